import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as resources from "@pulumi/azure-native/resources";
import {
    type ExportStorageRedundancy,
    acrLoginServer,
    entraAuthority,
    fhirServiceResourceId,
    healthWorkspaceResourceId,
} from "../azure/facts";
import type { AccountConfig, SubscriptionConfig } from "../config/schema";
import { ACCOUNT_TAG, STACK_TAG, SUFFIX_LENGTH, names } from "../azure/naming";
import type { Placement } from "../config/placement";
import { AccountIdentity } from "./accountIdentity";
import { CustomerManagedKey } from "./customerManagedKey";
import { ExportStorage } from "./exportStorage";
import { FhirWorkspace } from "./fhirWorkspace";
import { FhirService } from "./fhirService";
import type { AccountScope } from "./scope";

/** What every account shares from the platform. */
export interface PlatformContext {
    stack: string;
    tenantId: string;
    location: string;
    logAnalyticsWorkspaceId: pulumi.Input<string>;
    protect: boolean;
    rbacPropagationSeconds: number;
    /** Container registries several accounts may use for `$convert-data`. */
    sharedRegistryIds: readonly string[];
    /** Redundancy of every export storage account (ZRS where the region offers it, else LRS). */
    exportStorageRedundancy: ExportStorageRedundancy;
    /** Zones every private endpoint registers in (from config, or created by the platform). */
    privateDnsZoneIds?: { workspace: pulumi.Input<string>; fhir: pulumi.Input<string> };
    tags: Record<string, string>;
}

export interface FhirAccountArgs {
    config: AccountConfig;
    placement: Placement;
    subscription: SubscriptionConfig;
    platform: PlatformContext;
    /** The shared workspace this account's FHIR service joins; absent for a dedicated workspace. */
    sharedWorkspace?: { workspaceName: pulumi.Output<string>; plannedName: pulumi.Output<string>; resourceGroupName: string };
}

/** Per-account stack outputs. */
export interface FhirAccountOutputs {
    subscription: string;
    subscriptionId: string;
    workspaceGroup: string;
    resourceGroupName: string;
    workspaceResourceGroupName: string;
    workspaceName: pulumi.Output<string>;
    fhirServiceName: string;
    /** ARM ID of the FHIR service (verify reads its current key version through ARM). */
    fhirServiceId: pulumi.Output<string>;
    fhirUrl: pulumi.Output<string>;
    audience: pulumi.Output<string>;
    authority: string;
    identityResourceId: pulumi.Output<string>;
    identityClientId: pulumi.Output<string>;
    identityPrincipalId: pulumi.Output<string>;
    /** Versioned key URI the FHIR service was given at the last `pulumi up`. */
    keyUri: pulumi.Output<string>;
    /** ARM ID of the current CMK key (verify lists its versions through ARM). */
    keyId: pulumi.Output<string>;
    keyName: string;
    keyRotationDays: number;
    keyVaultUri: pulumi.Output<string>;
    /** ARM ID of the key vault (scope for re-granting the crypto role, e.g. after a lost-key incident). */
    keyVaultId: pulumi.Output<string>;
    /** Absent when the account has neither export nor import. */
    exportStorageAccount?: pulumi.Output<string>;
    exportEnabled: boolean;
    importEnabled: boolean;
    /** Authorities of the SMART on FHIR (Enhanced) identity providers the service accepts tokens from. */
    smartIdentityProviders: string[];
    /** Login servers of the `$convert-data` template registries (the identity has AcrPull there). */
    acrLoginServers: string[];
    /** `$convert-data` template images: `<loginServer>/<imageName>`, with `@<digest>` when pinned. */
    acrTemplateImages: string[];
    /** trustedServices or allNetworks: tells verify whether the vault firewall can explain a lost key. */
    keyVaultNetwork: string;
    /** Enabled, or Disabled with a private endpoint on the workspace: tells verify what a network failure means. */
    publicNetworkAccess: string;
}

/**
 * Everything one customer account owns: resource group, identity, key vault + CMK, export storage, (dedicated)
 * workspace and FHIR service. Every Pulumi name starts with the account name, never a list index.
 */
export class FhirAccount extends pulumi.ComponentResource {
    readonly resourceGroup: resources.ResourceGroup;
    readonly suffix: random.RandomString;
    readonly identity: AccountIdentity;
    readonly cmk: CustomerManagedKey;
    /** Present when export or import is on: nothing else needs it. */
    readonly storage?: ExportStorage;
    readonly workspace?: FhirWorkspace;
    readonly fhir: FhirService;
    readonly outputs: FhirAccountOutputs;

    constructor(name: string, args: FhirAccountArgs, opts?: pulumi.ComponentResourceOptions) {
        super("fhir-platform:index:FhirAccount", name, {}, opts);
        const a = args.config;
        const ctx = args.platform;
        const sub = args.subscription;
        const tags = { ...ctx.tags, ...a.tags, [ACCOUNT_TAG]: a.name, [STACK_TAG]: ctx.stack };
        const child = { parent: this };

        const rgName = names.accountResourceGroup(ctx.stack, a.name);
        this.resourceGroup = new resources.ResourceGroup(
            `${a.name}-rg`,
            { resourceGroupName: rgName, location: ctx.location, tags },
            { parent: this, protect: ctx.protect },
        );
        // One random suffix per account, created once and kept in state: vault, storage (and dedicated workspace)
        // names are globally unique in Azure, and must never change once deployed.
        this.suffix = new random.RandomString(
            `${a.name}-suffix`,
            { length: SUFFIX_LENGTH, special: false, upper: false, numeric: true, lower: true },
            { parent: this, protect: ctx.protect },
        );

        // What every leaf component of this account shares; each is named after the account, its children after it.
        const scope: AccountScope = {
            account: a.name,
            stack: ctx.stack,
            subscriptionId: sub.subscriptionId,
            tenantId: ctx.tenantId,
            resourceGroupName: this.resourceGroup.name,
            location: ctx.location,
            protect: ctx.protect,
            tags,
        };

        // Protected: azure-native replaces by deleting first, and without its identity the FHIR service cannot unwrap its key.
        this.identity = new AccountIdentity(name, scope, child);

        let workspaceName: pulumi.Output<string>;
        // The name alone, without waiting for the workspace: what the storage firewall rule needs.
        let plannedWorkspaceName: pulumi.Output<string>;
        let workspaceRg: string;
        if (args.sharedWorkspace) {
            workspaceName = args.sharedWorkspace.workspaceName;
            plannedWorkspaceName = args.sharedWorkspace.plannedName;
            workspaceRg = args.sharedWorkspace.resourceGroupName;
        } else {
            this.workspace = new FhirWorkspace(
                name,
                {
                    ...scope,
                    group: a.name,
                    suffix: this.suffix.result,
                    ...(a.privateEndpointSubnetId ? { privateEndpointSubnetId: a.privateEndpointSubnetId } : {}),
                    ...(ctx.privateDnsZoneIds ? { privateDnsZoneIds: ctx.privateDnsZoneIds } : {}),
                },
                child,
            );
            workspaceName = this.workspace.workspaceName;
            plannedWorkspaceName = this.workspace.plannedName;
            workspaceRg = rgName;
        }

        this.cmk = new CustomerManagedKey(
            name,
            {
                ...scope,
                suffix: this.suffix.result,
                keys: args.placement.keys,
                currentKey: args.placement.currentKey.name,
                identityPrincipalId: this.identity.principalId,
                network: a.keyVaultNetwork,
                logAnalyticsWorkspaceId: ctx.logAnalyticsWorkspaceId,
                rbacPropagationSeconds: ctx.rbacPropagationSeconds,
            },
            child,
        );

        // Encrypted with the key at creation: after the key grant's propagation wait.
        const storage =
            a.export || a.import
                ? new ExportStorage(
                      name,
                      {
                          ...scope,
                          suffix: this.suffix.result,
                          identityPrincipalId: this.identity.principalId,
                          identityId: this.identity.id,
                          keyVaultUri: this.cmk.vaultUri,
                          keyName: this.cmk.keyName,
                          // Built from names, not from the workspace resource: storage runs beside the workspace, not after it.
                          fhirServiceResourceId: plannedWorkspaceName.apply((ws) =>
                              fhirServiceResourceId(sub.subscriptionId, workspaceRg, ws, names.fhirService(a.name)),
                          ),
                          workspaceResourceId: plannedWorkspaceName.apply((ws) =>
                              healthWorkspaceResourceId(sub.subscriptionId, workspaceRg, ws),
                          ),
                          logAnalyticsWorkspaceId: ctx.logAnalyticsWorkspaceId,
                          redundancy: ctx.exportStorageRedundancy,
                      },
                      { ...child, dependsOn: [this.cmk.wait] },
                  )
                : undefined;
        if (storage) this.storage = storage;

        this.fhir = new FhirService(
            name,
            {
                ...scope,
                resourceGroupName: workspaceRg,
                settings: a,
                workspaceName,
                identityId: this.identity.id,
                identityPrincipalId: this.identity.principalId,
                keyUri: this.cmk.keyUri,
                ...(storage ? { exportStorageName: storage.accountName } : {}),
                logAnalyticsWorkspaceId: ctx.logAnalyticsWorkspaceId,
                sharedRegistryIds: ctx.sharedRegistryIds,
            },
            // The wait follows the crypto grant; the storage grant propagates meanwhile (export runs later). The service's
            // workspace may be shared: it depends on it through workspaceName.
            { ...child, dependsOn: storage ? [this.cmk.wait, storage.grant] : [this.cmk.wait] },
        );
        // A dedicated private workspace registers its DNS records once its one FHIR service exists.
        this.workspace?.attachPrivateDns([this.fhir.service], [names.fhirService(a.name)]);

        this.outputs = {
            subscription: sub.name,
            subscriptionId: sub.subscriptionId,
            workspaceGroup: args.placement.workspaceGroup,
            resourceGroupName: rgName,
            workspaceResourceGroupName: workspaceRg,
            workspaceName,
            fhirServiceName: names.fhirService(a.name),
            fhirServiceId: this.fhir.id,
            fhirUrl: this.fhir.url,
            audience: this.fhir.url,
            authority: entraAuthority(ctx.tenantId),
            identityResourceId: this.identity.id,
            identityClientId: this.identity.clientId,
            identityPrincipalId: this.identity.principalId,
            keyUri: this.cmk.keyUri,
            keyId: this.cmk.key.id,
            keyName: this.cmk.keyName,
            keyRotationDays: args.placement.currentKey.rotationDays,
            keyVaultUri: this.cmk.vaultUri,
            keyVaultId: this.cmk.vault.id,
            ...(storage ? { exportStorageAccount: storage.accountName } : {}),
            exportEnabled: a.export,
            importEnabled: a.import,
            smartIdentityProviders: a.smartIdentityProviders.map((p) => p.authority),
            acrLoginServers: (a.acr?.registryIds ?? []).map(acrLoginServer),
            acrTemplateImages: (a.acr?.ociArtifacts ?? []).map(
                (o) => `${o.loginServer.toLowerCase()}/${o.imageName}${o.digest ? `@${o.digest}` : ""}`,
            ),
            keyVaultNetwork: a.keyVaultNetwork,
            publicNetworkAccess: a.publicNetworkAccess,
        };
        this.registerOutputs({ fhirUrl: this.outputs.fhirUrl });
    }
}
