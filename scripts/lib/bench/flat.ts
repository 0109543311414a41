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
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import * as keyvault from "@pulumi/azure-native/keyvault";
import * as storage from "@pulumi/azure-native/storage";
import * as healthcareapis from "@pulumi/azure-native/healthcareapis";
import * as network from "@pulumi/azure-native/network";
import * as monitor from "@pulumi/azure-native/monitor";
import * as authorization from "@pulumi/azure-native/authorization";
import { BuiltInRoleName, entraAuthority, fhirServiceResourceId, fhirServiceUrl } from "../../../components/azure";
import { ACCOUNT_TAG, PLATFORM_TAG, STACK_TAG, SUFFIX_LENGTH, names } from "../../../components/naming";
import { RbacPropagationWait } from "../../../components/rbacPropagationWait";
import { roleAssignmentInputs } from "../../../components/roleGrant";
import { cmkKeyInputs, vaultInputs } from "../../../components/customerManagedKey";
import { blobServiceInputs, exportStorageInputs } from "../../../components/exportStorage";
import { privateEndpointInputs } from "../../../components/fhirWorkspace";
import { auditDiagnosticInputs, dataPlaneGrantArgs, dataPlaneGrantName, fhirServiceInputs } from "../../../components/fhirService";
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
                privateEndpointInputs({ group, resourceGroupName: rgName, location: cfg.location, tags, privateEndpointSubnetId: subnet }, ws.id),
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
        const grant = (name: string, role: BuiltInRoleName, scope: pulumi.Input<string>, principalId: pulumi.Input<string>, key: string, description: string) =>
            new authorization.RoleAssignment(
                name,
                roleAssignmentInputs({ account: a.name, stack, subscriptionId: sub.subscriptionId, role, scope, principalId, principalType: "ServicePrincipal", key, description }),
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
            vaultInputs({ account: a.name, resourceGroupName: rg.name, location: cfg.location, tenantId: cfg.tenantId, suffix: suffix.result, tags }),
            { provider, protect },
        );
        const key = new keyvault.Key(
            `${a.name}-cmk`,
            cmkKeyInputs({ resourceGroupName: rg.name, keySize: a.keySize, keyRotationDays: a.keyRotationDays, tags, vaultName: vault.name }),
            { provider, protect },
        );
        const cryptoGrant = grant(`${a.name}-cmk-crypto-grant`, "Key Vault Crypto Service Encryption User", key.id, identity.principalId, "identity/cmk", `FHIR service identity of ${a.name} wraps and unwraps its CMK`);
        const wait = new RbacPropagationWait(`${a.name}-cmk-grant-propagation`, { trigger: cryptoGrant.id, seconds: cfg.rbacPropagationSeconds });
        const keyUri = cfg.cmkKeyUri === "versionless" ? key.keyUri : key.keyUriWithVersion;

        let storageName: pulumi.Output<string> | undefined;
        let storageGrant: authorization.RoleAssignment | undefined;
        if (a.export || a.import) {
            const fhirServiceResourceIdPlanned = plannedName.apply((ws) => fhirServiceResourceId(sub.subscriptionId, workspaceRg, ws, names.fhirService(a.name)));
            const account = new storage.StorageAccount(
                `${a.name}-export-storage`,
                exportStorageInputs({ account: a.name, resourceGroupName: rg.name, location: cfg.location, suffix: suffix.result, tenantId: cfg.tenantId, fhirServiceResourceId: fhirServiceResourceIdPlanned, tags }),
                { provider, protect },
            );
            new storage.BlobServiceProperties(`${a.name}-export-blob-service`, blobServiceInputs(account.name, rg.name), { provider });
            storageGrant = grant(`${a.name}-export-blob-grant`, "Storage Blob Data Contributor", account.id, identity.principalId, "identity/export-storage", `FHIR service identity of ${a.name} writes $export output`);
            storageName = account.name;
        }

        const serviceName = names.fhirService(a.name);
        const url = workspaceName.apply((ws) => fhirServiceUrl(ws, serviceName));
        const fhir = new healthcareapis.FhirService(
            `${a.name}-fhir`,
            fhirServiceInputs({ config: a, workspaceName, resourceGroupName: workspaceRg, location: cfg.location, identityId: identity.id, keyUri, tenantId: cfg.tenantId, exportStorageName: storageName, tags, url }),
            { provider, protect, dependsOn: storageGrant ? [wait, storageGrant] : [wait] },
        );
        new monitor.DiagnosticSetting(`${a.name}-fhir-audit`, auditDiagnosticInputs(fhir.id, lawId), { provider });
        for (const g of a.grants) {
            new authorization.RoleAssignment(
                dataPlaneGrantName(a.name, g),
                roleAssignmentInputs(dataPlaneGrantArgs({ config: a, stack, subscriptionId: sub.subscriptionId }, g, fhir.id)),
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
