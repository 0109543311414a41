/**
 * The flat baseline: the same custom resources as the stack program (azure-native, random, the RBAC wait), with the
 * same names, inputs, options and data flow between them, and the same stack outputs, but registered in one function
 * with no component resources, no config parsing and no validation. It reads a plan the bench resolved beforehand
 * (config with defaults applied, and placement), so what it costs is what the SDK costs for these resources.
 *
 * Resource inputs come from the components' own pure input builders (vaultInputs, fhirServiceInputs, ...), so the
 * two cannot drift apart; `compareCustomResources` still checks every run that both register the same custom
 * resources (type, name, inputs, options, dependencies).
 */
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { Provider } from "@pulumi/azure-native/provider";
import * as resources from "@pulumi/azure-native/resources";
import * as operationalinsights from "@pulumi/azure-native/operationalinsights";
import * as privatedns from "@pulumi/azure-native/privatedns";
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import * as keyvault from "@pulumi/azure-native/keyvault";
import * as storage from "@pulumi/azure-native/storage";
import * as healthcareapis from "@pulumi/azure-native/healthcareapis";
import * as network from "@pulumi/azure-native/network";
import * as monitor from "@pulumi/azure-native/monitor";
import * as authorization from "@pulumi/azure-native/authorization";
import {
    AHDS_PRIVATE_DNS_ZONES,
    type AhdsPrivateDnsZone,
    type BuiltInRoleName,
    FHIR_AUDIT_LOG_CATEGORY,
    KEY_VAULT_AUDIT_LOG_CATEGORY,
    STORAGE_BLOB_LOG_CATEGORIES,
    entraAuthority,
    fhirServiceResourceId,
    fhirServiceUrl,
    healthWorkspaceResourceId,
    acrLoginServer,
    defaultExportStorageRedundancy,
} from "../../azure/facts";
import { ACCOUNT_TAG, PLATFORM_TAG, STACK_TAG, SUFFIX_LENGTH, names } from "../../azure/naming";
import { RbacPropagationWait } from "../../components/rbacPropagationWait";
import { roleAssignmentInputs } from "../../components/roleGrant";
import { cmkKeyInputs, keyResourceName, vaultInputs } from "../../components/customerManagedKey";
import { diagnosticInputs } from "../../components/diagnostics";
import { blobServiceInputs, exportStorageInputs } from "../../components/exportStorage";
import { privateDnsZoneGroupInputs, privateEndpointInputs } from "../../components/fhirWorkspace";
import {
    dataPlaneGrantArgs,
    dataPlaneGrantName,
    fhirServiceInputs,
    registryGrantArgs,
    registryGrantName,
} from "../../components/fhirService";
import { cryptoGrantKey } from "../../config/ownership";
import type { PlatformConfig } from "../../config/schema";
import type { Placement } from "../../config/placement";

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
    const createZones = cfg.privateDns?.virtualNetworkIds !== undefined && plan.placements.length > 0;
    const rg =
        !cfg.logAnalytics.workspaceId || createZones
            ? new resources.ResourceGroup(
                  "platform-rg",
                  { resourceGroupName: names.platformResourceGroup(stack), location: cfg.location, tags: platformTags("platform") },
                  { provider: home, protect },
              )
            : undefined;
    if (cfg.logAnalytics.workspaceId) {
        lawId = pulumi.output(cfg.logAnalytics.workspaceId);
    } else {
        lawId = new operationalinsights.Workspace(
            "platform-log-analytics",
            {
                workspaceName: names.logAnalytics(stack),
                resourceGroupName: rg!.name,
                location: cfg.location,
                sku: { name: "PerGB2018" },
                retentionInDays: cfg.logAnalytics.retentionDays,
                tags: platformTags("platform"),
            },
            { provider: home, protect },
        ).id;
    }
    let zoneIds: { workspace: pulumi.Input<string>; fhir: pulumi.Input<string> } | undefined = cfg.privateDns?.zoneIds;
    if (createZones) {
        const ids: Partial<Record<AhdsPrivateDnsZone, pulumi.Output<string>>> = {};
        for (const zone of Object.keys(AHDS_PRIVATE_DNS_ZONES) as AhdsPrivateDnsZone[]) {
            const tags = platformTags("platform");
            const z = new privatedns.PrivateZone(
                `platform-dns-${zone}`,
                { privateZoneName: AHDS_PRIVATE_DNS_ZONES[zone], resourceGroupName: rg!.name, location: "Global", tags },
                { provider: home, protect },
            );
            for (const vnet of cfg.privateDns!.virtualNetworkIds!) {
                const link = names.virtualNetworkLink(vnet);
                new privatedns.VirtualNetworkLink(
                    `platform-dns-${zone}-${link}`,
                    {
                        virtualNetworkLinkName: link,
                        privateZoneName: z.name,
                        resourceGroupName: rg!.name,
                        location: "Global",
                        virtualNetwork: { id: vnet },
                        registrationEnabled: false,
                        tags,
                    },
                    { provider: home },
                );
            }
            ids[zone] = z.id;
        }
        zoneIds = { workspace: ids.workspace!, fhir: ids.fhir! };
    }

    const accountByName = new Map(cfg.accounts.map((a) => [a.name, a]));
    /** Returns the workspace's name as created, and as planned (from the suffix alone, for the storage firewall rule). */
    const workspace = (
        group: string,
        rgName: pulumi.Input<string>,
        suffix: pulumi.Input<string>,
        subnet: string | undefined,
        tags: Record<string, string>,
        provider: Provider,
    ) => {
        const plannedName = pulumi.interpolate`${names.workspace(group, "")}${suffix}`;
        const ws = new healthcareapis.Workspace(
            `${group}-workspace`,
            { workspaceName: plannedName, resourceGroupName: rgName, location: cfg.location, tags },
            { provider, protect },
        );
        if (subnet) {
            const pe = new network.PrivateEndpoint(
                `${group}-workspace-pe`,
                privateEndpointInputs(
                    { group, resourceGroupName: rgName, location: cfg.location, tags, privateEndpointSubnetId: subnet },
                    ws.id,
                ),
                { provider },
            );
            new network.PrivateDnsZoneGroup(`${group}-workspace-pe-dns`, privateDnsZoneGroupInputs(pe.name, rgName, zoneIds!), {
                provider,
            });
        }
        return { workspaceName: ws.name, plannedName };
    };

    const shared = new Map<string, { workspaceName: pulumi.Output<string>; plannedName: pulumi.Output<string>; rgName: string }>();
    for (const group of [...new Set(plan.placements.filter((p) => !p.dedicated).map((p) => p.workspaceGroup))].sort()) {
        const first = plan.placements.find((p) => p.workspaceGroup === group)!;
        const provider = providers.get(first.subscription)!;
        const rgName = names.workspaceResourceGroup(stack, group);
        const tags = platformTags(`workspace:${group}`);
        const wsRg = new resources.ResourceGroup(
            `ws-${group}-rg`,
            { resourceGroupName: rgName, location: cfg.location, tags },
            { provider, protect },
        );
        const suffix = new random.RandomString(`ws-${group}-suffix`, suffixArgs, { protect });
        shared.set(group, {
            ...workspace(group, wsRg.name, suffix.result, accountByName.get(first.account)!.privateEndpointSubnetId, tags, provider),
            rgName,
        });
    }

    const accountOutputs: Record<string, unknown> = {};
    for (const p of plan.placements) {
        const a = accountByName.get(p.account)!;
        const sub = subs.get(p.subscription)!;
        const provider = providers.get(p.subscription)!;
        const tags = { ...cfg.tags, ...a.tags, [ACCOUNT_TAG]: a.name, [STACK_TAG]: stack };
        const grant = (
            name: string,
            role: BuiltInRoleName,
            scope: pulumi.Input<string>,
            principalId: pulumi.Input<string>,
            key: string,
            description: string,
            isProtected = false,
        ) =>
            new authorization.RoleAssignment(
                name,
                roleAssignmentInputs({
                    account: a.name,
                    stack,
                    subscriptionId: sub.subscriptionId,
                    role,
                    scope,
                    principalId,
                    principalType: "ServicePrincipal",
                    key,
                    description,
                }),
                { provider, protect: isProtected && protect },
            );

        const rgName = names.accountResourceGroup(stack, a.name);
        const accountRg = new resources.ResourceGroup(
            `${a.name}-rg`,
            { resourceGroupName: rgName, location: cfg.location, tags },
            { provider, protect },
        );
        const suffix = new random.RandomString(`${a.name}-suffix`, suffixArgs, { protect });
        const identity = new managedidentity.UserAssignedIdentity(
            `${a.name}-identity`,
            { resourceName: names.identity(a.name), resourceGroupName: accountRg.name, location: cfg.location, tags },
            { provider, protect },
        );
        const sharedWs = shared.get(p.workspaceGroup);
        const { workspaceName, plannedName } =
            sharedWs ?? workspace(a.name, accountRg.name, suffix.result, a.privateEndpointSubnetId, tags, provider);
        const workspaceRg = sharedWs ? sharedWs.rgName : rgName;

        const vault = new keyvault.Vault(
            `${a.name}-vault`,
            vaultInputs({
                account: a.name,
                resourceGroupName: accountRg.name,
                location: cfg.location,
                tenantId: cfg.tenantId,
                suffix: suffix.result,
                network: a.keyVaultNetwork,
                tags,
            }),
            { provider, protect },
        );
        new monitor.DiagnosticSetting(
            `${a.name}-vault-audit`,
            diagnosticInputs(vault.id, lawId, [KEY_VAULT_AUDIT_LOG_CATEGORY], "AllMetrics"),
            { provider },
        );
        const first = p.keys[0].name;
        let key!: keyvault.Key;
        let cryptoGrant!: authorization.RoleAssignment;
        for (const k of p.keys) {
            const isCurrent = k.name === p.currentKey.name;
            const keyName = keyResourceName(a.name, k.name, first);
            const created = new keyvault.Key(
                keyName,
                cmkKeyInputs({ resourceGroupName: accountRg.name, key: k, tags, vaultName: vault.name }),
                {
                    provider,
                    protect,
                    ignoreChanges: ["properties", "tags"],
                },
            );
            const g = grant(
                `${keyName}-crypto-grant`,
                "Key Vault Crypto Service Encryption User",
                created.id,
                identity.principalId,
                cryptoGrantKey(k.name, first),
                `FHIR service and export storage identity of ${a.name} wrap and unwrap with key ${k.name}`,
                true,
            );
            if (isCurrent) [key, cryptoGrant] = [created, g];
        }
        const wait = new RbacPropagationWait(`${a.name}-cmk-grant-propagation`, {
            trigger: cryptoGrant.id,
            seconds: cfg.rbacPropagationSeconds,
        });
        const keyUri = key.keyUriWithVersion;
        const vaultUri = vault.properties.apply((v) => v.vaultUri ?? "");

        let storageName: pulumi.Output<string> | undefined;
        let storageGrant: authorization.RoleAssignment | undefined;
        if (a.export || a.import) {
            const fhirServiceResourceIdPlanned = plannedName.apply((ws) =>
                fhirServiceResourceId(sub.subscriptionId, workspaceRg, ws, names.fhirService(a.name)),
            );
            const workspaceResourceId = plannedName.apply((ws) => healthWorkspaceResourceId(sub.subscriptionId, workspaceRg, ws));
            const account = new storage.StorageAccount(
                `${a.name}-export-storage`,
                exportStorageInputs({
                    account: a.name,
                    resourceGroupName: accountRg.name,
                    location: cfg.location,
                    suffix: suffix.result,
                    tenantId: cfg.tenantId,
                    identityId: identity.id,
                    keyVaultUri: vaultUri,
                    keyName: p.currentKey.name,
                    fhirServiceResourceId: fhirServiceResourceIdPlanned,
                    workspaceResourceId,
                    redundancy: defaultExportStorageRedundancy(cfg.location),
                    tags,
                }),
                { provider, protect, dependsOn: [wait] },
            );
            const blob = new storage.BlobServiceProperties(
                `${a.name}-export-blob-service`,
                blobServiceInputs(account.name, accountRg.name),
                { provider },
            );
            new monitor.DiagnosticSetting(
                `${a.name}-export-blob-audit`,
                diagnosticInputs(blob.id, lawId, STORAGE_BLOB_LOG_CATEGORIES, "Transaction"),
                { provider },
            );
            storageGrant = grant(
                `${a.name}-export-blob-grant`,
                "Storage Blob Data Contributor",
                account.id,
                identity.principalId,
                "identity/export-storage",
                `FHIR service identity of ${a.name} writes $export output`,
            );
            storageName = account.name;
        }

        const serviceName = names.fhirService(a.name);
        const url = workspaceName.apply((ws) => fhirServiceUrl(ws, serviceName));
        const fhir = new healthcareapis.FhirService(
            `${a.name}-fhir`,
            fhirServiceInputs({
                account: a.name,
                settings: a,
                workspaceName,
                resourceGroupName: workspaceRg,
                location: cfg.location,
                identityId: identity.id,
                keyUri,
                tenantId: cfg.tenantId,
                exportStorageName: storageName,
                tags,
                url,
            }),
            { provider, protect, dependsOn: storageGrant ? [wait, storageGrant] : [wait] },
        );
        new monitor.DiagnosticSetting(`${a.name}-fhir-audit`, diagnosticInputs(fhir.id, lawId, [FHIR_AUDIT_LOG_CATEGORY], "AllMetrics"), {
            provider,
        });
        for (const g of a.grants) {
            new authorization.RoleAssignment(
                dataPlaneGrantName(a.name, g),
                roleAssignmentInputs(dataPlaneGrantArgs({ account: a.name, stack, subscriptionId: sub.subscriptionId }, g, fhir.id)),
                { provider },
            );
        }
        for (const registryId of a.acr?.registryIds ?? []) {
            new authorization.RoleAssignment(
                registryGrantName(a.name, registryId),
                roleAssignmentInputs(
                    registryGrantArgs(
                        {
                            account: a.name,
                            stack,
                            subscriptionId: sub.subscriptionId,
                            identityPrincipalId: identity.principalId,
                            sharedRegistryIds: cfg.sharedRegistryIds,
                        },
                        registryId,
                    ),
                ),
                { provider },
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
            fhirServiceId: fhir.id,
            fhirUrl: url,
            audience: url,
            authority: entraAuthority(cfg.tenantId),
            identityResourceId: identity.id,
            identityClientId: identity.clientId,
            identityPrincipalId: identity.principalId,
            keyUri,
            keyId: key.id,
            keyName: p.currentKey.name,
            keyRotationDays: p.currentKey.rotationDays,
            keyVaultUri: vaultUri,
            keyVaultId: vault.id,
            ...(storageName ? { exportStorageAccount: storageName } : {}),
            exportEnabled: a.export,
            importEnabled: a.import,
            smartIdentityProviders: a.smartIdentityProviders.map((x) => x.authority),
            acrLoginServers: (a.acr?.registryIds ?? []).map(acrLoginServer),
            acrTemplateImages: (a.acr?.ociArtifacts ?? []).map(
                (o) => `${o.loginServer.toLowerCase()}/${o.imageName}${o.digest ? `@${o.digest}` : ""}`,
            ),
            keyVaultNetwork: a.keyVaultNetwork,
            publicNetworkAccess: a.publicNetworkAccess,
        };
    }
    const lock: Record<string, { subscription: string; workspace: string; keys: Placement["keys"] }> = {};
    for (const p of [...plan.placements].sort((x, y) => x.account.localeCompare(y.account)))
        lock[p.account] = { subscription: p.subscription, workspace: p.workspaceGroup, keys: p.keys };
    return {
        accounts: accountOutputs,
        logAnalyticsWorkspaceId: lawId,
        placement: lock,
        unlockedAccounts: plan.placements.map((p) => p.account).sort(),
    };
}
