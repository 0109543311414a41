/**
 * The flat baseline: the same custom resources as the stack program (azure-native, random, the RBAC wait), with the
 * same names, inputs, options and data flow between them, and the same stack outputs, but registered in one function
 * with no component resources, no config parsing and no validation. It reads a plan the bench resolved beforehand
 * (config with defaults applied, and placement), so what it costs is what the SDK costs for these resources.
 *
 * Kept in step with components/ by `compareCustomResources`: the bench fails if the two register different
 * custom resources (type, name, inputs).
 */
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { Provider } from "@pulumi/azure-native/provider";
import * as resources from "@pulumi/azure-native/resources";
import * as operationalinsights from "@pulumi/azure-native/operationalinsights";
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import * as keyvault from "@pulumi/azure-native/keyvault";
import * as storage from "@pulumi/azure-native/storage";
import * as healthcareapis from "@pulumi/azure-native/healthcareapis";
import * as network from "@pulumi/azure-native/network";
import * as monitor from "@pulumi/azure-native/monitor";
import * as authorization from "@pulumi/azure-native/authorization";
import {
    AHDS_PRIVATE_LINK_GROUP_ID,
    BuiltInRoleName,
    FHIR_AUDIT_LOG_CATEGORY,
    FHIR_KIND_R4,
    KEY_VAULT_SOFT_DELETE_DAYS,
    PrincipalType,
    entraAuthority,
    fhirServiceResourceId,
    fhirServiceUrl,
    roleDefinitionId,
} from "../../../components/azure";
import { ACCOUNT_TAG, CMK_KEY_NAME, PLATFORM_TAG, STACK_TAG, SUFFIX_LENGTH, accountDescription, names, stableGuid } from "../../../components/naming";
import { RbacPropagationWait } from "../../../components/rbacPropagationWait";
import { EXPORT_SOFT_DELETE_DAYS } from "../../../components/exportStorage";
import type { PlatformConfig } from "../../../components/config";
import type { Placement } from "../../../components/placement";

/** What the baseline needs, resolved ahead of time (JSON-serializable). */
export interface FlatPlan {
    stack: string;
    config: PlatformConfig;
    placements: Placement[];
}

/** Registers every custom resource of the plan; returns the same stack outputs as `defineStack`. */
export function flatProgram(plan: FlatPlan): Record<string, unknown> {
    const { stack, config: cfg } = plan;
    const protect = cfg.protectStatefulResources;
    const platformTags = (scope: string) => ({ ...cfg.tags, [PLATFORM_TAG]: scope, [STACK_TAG]: stack });
    const subs = new Map(cfg.subscriptions.map((s) => [s.name, s]));
    const providers = new Map<string, Provider>();
    const used = new Set([cfg.subscriptions[0].name, ...plan.placements.map((p) => p.subscription)]);
    for (const s of cfg.subscriptions.filter((s) => used.has(s.name))) {
        providers.set(s.name, new Provider(`azure-${s.name}`, { subscriptionId: s.subscriptionId, location: cfg.location }));
    }
    const home = providers.get(cfg.subscriptions[0].name)!;
    const suffixArgs = { length: SUFFIX_LENGTH, special: false, upper: false, numeric: true, lower: true };

    let lawId: pulumi.Output<string>;
    if (cfg.logAnalytics.workspaceId) {
        lawId = pulumi.output(cfg.logAnalytics.workspaceId);
    } else {
        const rg = new resources.ResourceGroup(
            "platform-rg",
            { resourceGroupName: names.platformResourceGroup(stack), location: cfg.location, tags: platformTags("platform") },
            { provider: home, protect },
        );
        lawId = new operationalinsights.Workspace(
            "platform-log-analytics",
            {
                workspaceName: names.logAnalytics(stack),
                resourceGroupName: rg.name,
                location: cfg.location,
                sku: { name: "PerGB2018" },
                retentionInDays: cfg.logAnalytics.retentionDays,
                tags: platformTags("platform"),
            },
            { provider: home, protect },
        ).id;
    }

    const accountByName = new Map(cfg.accounts.map((a) => [a.name, a]));
    /** Returns the workspace's name as created, and as planned (from the suffix alone, for the storage firewall rule). */
    const workspace = (group: string, rgName: pulumi.Input<string>, suffix: pulumi.Input<string>, subnet: string | undefined, tags: Record<string, string>, provider: Provider) => {
        const plannedName = pulumi.interpolate`${names.workspace(group, "")}${suffix}`;
        const ws = new healthcareapis.Workspace(`${group}-workspace`, { workspaceName: plannedName, resourceGroupName: rgName, location: cfg.location, tags }, { provider, protect });
        if (subnet) {
            new network.PrivateEndpoint(
                `${group}-workspace-pe`,
                {
                    privateEndpointName: names.privateEndpoint(group),
                    resourceGroupName: rgName,
                    location: cfg.location,
                    subnet: { id: subnet },
                    privateLinkServiceConnections: [{ name: names.privateEndpoint(group), privateLinkServiceId: ws.id, groupIds: [AHDS_PRIVATE_LINK_GROUP_ID] }],
                    tags,
                },
                { provider },
            );
        }
        return { workspaceName: ws.name, plannedName };
    };

    const shared = new Map<string, { workspaceName: pulumi.Output<string>; plannedName: pulumi.Output<string>; rgName: string }>();
    for (const group of [...new Set(plan.placements.filter((p) => !p.dedicated).map((p) => p.workspaceGroup))].sort()) {
        const first = plan.placements.find((p) => p.workspaceGroup === group)!;
        const provider = providers.get(first.subscription)!;
        const rgName = names.workspaceResourceGroup(stack, group);
        const tags = platformTags(`workspace:${group}`);
        const rg = new resources.ResourceGroup(`ws-${group}-rg`, { resourceGroupName: rgName, location: cfg.location, tags }, { provider, protect });
        const suffix = new random.RandomString(`ws-${group}-suffix`, suffixArgs, { protect });
        shared.set(group, { ...workspace(group, rg.name, suffix.result, accountByName.get(first.account)!.privateEndpointSubnetId, tags, provider), rgName });
    }

    const accountOutputs: Record<string, unknown> = {};
    for (const p of plan.placements) {
        const a = accountByName.get(p.account)!;
        const sub = subs.get(p.subscription)!;
        const provider = providers.get(p.subscription)!;
        const tags = { ...cfg.tags, ...a.tags, [ACCOUNT_TAG]: a.name, [STACK_TAG]: stack };
        const grant = (name: string, role: BuiltInRoleName, scope: pulumi.Input<string>, principalId: pulumi.Input<string>, principalType: PrincipalType, key: string, description: string) =>
            new authorization.RoleAssignment(
                name,
                {
                    roleAssignmentName: stableGuid(stack, sub.subscriptionId, a.name, key, role),
                    scope,
                    roleDefinitionId: roleDefinitionId(sub.subscriptionId, role),
                    principalId,
                    principalType,
                    description: accountDescription(a.name, description),
                },
                { provider },
            );

        const rgName = names.accountResourceGroup(stack, a.name);
        const rg = new resources.ResourceGroup(`${a.name}-rg`, { resourceGroupName: rgName, location: cfg.location, tags }, { provider, protect });
        const suffix = new random.RandomString(`${a.name}-suffix`, suffixArgs, { protect });
        const identity = new managedidentity.UserAssignedIdentity(
            `${a.name}-identity`,
            { resourceName: names.identity(a.name), resourceGroupName: rg.name, location: cfg.location, tags },
            { provider },
        );
        const sharedWs = shared.get(p.workspaceGroup);
        const { workspaceName, plannedName } = sharedWs ?? workspace(a.name, rg.name, suffix.result, a.privateEndpointSubnetId, tags, provider);
        const workspaceRg = sharedWs ? sharedWs.rgName : rgName;

        const vault = new keyvault.Vault(
            `${a.name}-vault`,
            {
                vaultName: pulumi.interpolate`${names.keyVault(a.name, "")}${suffix.result}`,
                resourceGroupName: rg.name,
                location: cfg.location,
                properties: {
                    tenantId: cfg.tenantId,
                    sku: { family: "A", name: "standard" },
                    enableRbacAuthorization: true,
                    enableSoftDelete: true,
                    softDeleteRetentionInDays: KEY_VAULT_SOFT_DELETE_DAYS.default,
                    enablePurgeProtection: true,
                    publicNetworkAccess: "Enabled",
                    networkAcls: { defaultAction: "Deny", bypass: "AzureServices", ipRules: [], virtualNetworkRules: [] },
                },
                tags,
            },
            { provider, protect },
        );
        const key = new keyvault.Key(
            `${a.name}-cmk`,
            {
                keyName: CMK_KEY_NAME,
                vaultName: vault.name,
                resourceGroupName: rg.name,
                properties: {
                    kty: "RSA",
                    keySize: a.keySize,
                    keyOps: ["wrapKey", "unwrapKey"],
                    attributes: { enabled: true },
                    rotationPolicy: {
                        attributes: { expiryTime: `P${a.keyRotationDays + 90}D` },
                        lifetimeActions: [
                            { trigger: { timeAfterCreate: `P${a.keyRotationDays}D` }, action: { type: "rotate" } },
                            { trigger: { timeBeforeExpiry: "P30D" }, action: { type: "notify" } },
                        ],
                    },
                },
                tags,
            },
            { provider, protect },
        );
        const cryptoGrant = grant(`${a.name}-cmk-crypto-grant`, "Key Vault Crypto Service Encryption User", key.id, identity.principalId, "ServicePrincipal", "identity/cmk", `FHIR service identity of ${a.name} wraps and unwraps its CMK`);
        const wait = new RbacPropagationWait(`${a.name}-cmk-grant-propagation`, { trigger: cryptoGrant.id, seconds: cfg.rbacPropagationSeconds });
        const keyUri = cfg.cmkKeyUri === "versionless" ? key.keyUri : key.keyUriWithVersion;

        let storageName: pulumi.Output<string> | undefined;
        let storageGrant: authorization.RoleAssignment | undefined;
        if (a.export || a.import) {
            const account = new storage.StorageAccount(
                `${a.name}-export-storage`,
                {
                    accountName: pulumi.interpolate`${names.storage(a.name, "")}${suffix.result}`,
                    resourceGroupName: rg.name,
                    location: cfg.location,
                    kind: "StorageV2",
                    sku: { name: "Standard_ZRS" },
                    enableHttpsTrafficOnly: true,
                    minimumTlsVersion: "TLS1_2",
                    allowBlobPublicAccess: false,
                    allowSharedKeyAccess: false,
                    defaultToOAuthAuthentication: true,
                    allowCrossTenantReplication: false,
                    isHnsEnabled: false,
                    publicNetworkAccess: "Enabled",
                    networkRuleSet: {
                        defaultAction: "Deny",
                        bypass: "AzureServices",
                        ipRules: [],
                        virtualNetworkRules: [],
                        resourceAccessRules: [
                            { tenantId: cfg.tenantId, resourceId: plannedName.apply((ws) => fhirServiceResourceId(sub.subscriptionId, workspaceRg, ws, names.fhirService(a.name))) },
                        ],
                    },
                    tags,
                },
                { provider, protect },
            );
            new storage.BlobServiceProperties(
                `${a.name}-export-blob-service`,
                {
                    accountName: account.name,
                    resourceGroupName: rg.name,
                    blobServicesName: "default",
                    deleteRetentionPolicy: { enabled: true, days: EXPORT_SOFT_DELETE_DAYS },
                    containerDeleteRetentionPolicy: { enabled: true, days: EXPORT_SOFT_DELETE_DAYS },
                },
                { provider },
            );
            storageGrant = grant(`${a.name}-export-blob-grant`, "Storage Blob Data Contributor", account.id, identity.principalId, "ServicePrincipal", "identity/export-storage", `FHIR service identity of ${a.name} writes $export output`);
            storageName = account.name;
        }

        const serviceName = names.fhirService(a.name);
        const url = workspaceName.apply((ws) => fhirServiceUrl(ws, serviceName));
        const fhir = new healthcareapis.FhirService(
            `${a.name}-fhir`,
            {
                fhirServiceName: serviceName,
                workspaceName,
                resourceGroupName: workspaceRg,
                location: cfg.location,
                kind: FHIR_KIND_R4,
                identity: { type: "UserAssigned", userAssignedIdentities: [identity.id] },
                encryption: { customerManagedKeyEncryption: { keyEncryptionKeyUrl: keyUri } },
                authenticationConfiguration: { authority: entraAuthority(cfg.tenantId), audience: url, smartProxyEnabled: a.smartProxy },
                ...(a.export ? { exportConfiguration: { storageAccountName: storageName } } : {}),
                importConfiguration: a.import ? { enabled: true, initialImportMode: false, integrationDataStore: storageName } : { enabled: false },
                ...(a.cors
                    ? {
                          corsConfiguration: {
                              origins: a.cors.origins,
                              headers: a.cors.headers,
                              methods: a.cors.methods,
                              allowCredentials: a.cors.allowCredentials,
                              ...(a.cors.maxAge !== undefined ? { maxAge: a.cors.maxAge } : {}),
                          },
                      }
                    : {}),
                tags,
            },
            { provider, protect, dependsOn: storageGrant ? [wait, storageGrant] : [wait] },
        );
        new monitor.DiagnosticSetting(
            `${a.name}-fhir-audit`,
            {
                name: "audit-to-log-analytics",
                resourceUri: fhir.id,
                workspaceId: lawId,
                logAnalyticsDestinationType: "Dedicated",
                logs: [{ category: FHIR_AUDIT_LOG_CATEGORY, enabled: true }],
                metrics: [{ category: "AllMetrics", enabled: true }],
            },
            { provider },
        );
        for (const g of a.grants) {
            grant(
                `${a.name}-fhir-${g.role.replace(/^FHIR /, "").replace(/ /g, "-").toLowerCase()}-${g.principalId}`,
                g.role,
                fhir.id,
                g.principalId,
                g.principalType,
                `principal/${g.principalId}`,
                g.description ?? `${g.role} on the FHIR service of ${a.name}`,
            );
        }
        accountOutputs[a.name] = {
            subscription: sub.name,
            subscriptionId: sub.subscriptionId,
            workspaceGroup: p.workspaceGroup,
            resourceGroupName: rgName,
            workspaceResourceGroupName: workspaceRg,
            workspaceName,
            fhirServiceName: serviceName,
            fhirUrl: url,
            audience: url,
            authority: entraAuthority(cfg.tenantId),
            identityResourceId: identity.id,
            identityClientId: identity.clientId,
            identityPrincipalId: identity.principalId,
            keyUri,
            keyVaultUri: vault.properties.apply((v) => v.vaultUri ?? ""),
            keyVaultId: vault.id,
            ...(storageName ? { exportStorageAccount: storageName } : {}),
            exportEnabled: a.export,
            smartProxyEnabled: a.smartProxy,
            publicNetworkAccess: a.publicNetworkAccess,
        };
    }
    const lock: Record<string, { subscription: string; workspace: string }> = {};
    for (const p of [...plan.placements].sort((x, y) => x.account.localeCompare(y.account))) lock[p.account] = { subscription: p.subscription, workspace: p.workspaceGroup };
    return { accounts: accountOutputs, logAnalyticsWorkspaceId: lawId, placement: lock, unlockedAccounts: plan.placements.map((p) => p.account).sort() };
}
