/**
 * The program's mapping from a validated stack config and its placement to the components' arguments, and from the
 * components' outputs back to the stack outputs. The components know nothing of the config: this is the only place
 * where the two meet.
 */
import type * as pulumi from "@pulumi/pulumi";
import { acrLoginServer } from "../azure/facts";
import { names } from "../azure/naming";
import type { CmkKeySize, FhirAccount, FhirPlatformArgs, PlatformAccount } from "../components";
import type { AccountConfig, Placement, PlatformConfig } from "../config";

/** One account's config and placement as FhirPlatform takes them. */
export function platformAccount(a: AccountConfig, p: Placement): PlatformAccount {
    return {
        name: a.name,
        subscription: p.subscription,
        ...(p.dedicated ? {} : { workspaceGroup: p.workspaceGroup }),
        // Sizes in the lock were validated against the config's (2048 or 3072) when the account was placed.
        keys: p.keys.map((k) => ({ name: k.name, size: k.size as CmkKeySize, rotationDays: k.rotationDays })),
        currentKey: p.currentKey.name,
        keyVaultNetwork: a.keyVaultNetwork,
        ...(a.privateEndpointSubnetId ? { privateEndpointSubnetId: a.privateEndpointSubnetId } : {}),
        ...(a.exportRetentionDays !== undefined ? { exportRetentionDays: a.exportRetentionDays } : {}),
        recoveryCopy: a.recoveryCopy,
        tags: a.tags,
        export: a.export,
        import: a.import,
        initialImportMode: a.initialImportMode,
        smartIdentityProviders: a.smartIdentityProviders,
        ...(a.cors ? { cors: a.cors } : {}),
        resourceVersionPolicy: a.resourceVersionPolicy,
        resourceVersionOverrides: Object.entries(a.resourceVersionOverrides).map(([resourceType, policy]) => ({ resourceType, policy })),
        usCoreMissingData: a.usCoreMissingData,
        ...(a.acr ? { acr: a.acr } : {}),
        grants: a.grants,
    };
}

/** The whole stack as FhirPlatform takes it: accounts in placement order (the order they are registered in). */
export function platformArgs(config: PlatformConfig, placements: Placement[], stack: string): FhirPlatformArgs {
    const accounts = new Map(config.accounts.map((a) => [a.name, a]));
    const la = config.logAnalytics;
    return {
        stack,
        tenantId: config.tenantId,
        location: config.location,
        subscriptions: config.subscriptions.map((s) => ({ name: s.name, subscriptionId: s.subscriptionId, activityLog: s.activityLog })),
        accounts: placements.map((p) => platformAccount(accounts.get(p.account)!, p)),
        logAnalytics: {
            ...(la.workspaceId ? { workspaceId: la.workspaceId } : {}),
            retentionDays: la.retentionDays,
            totalRetentionDays: la.totalRetentionDays,
            ...(la.manageTableRetention !== undefined ? { manageTableRetention: la.manageTableRetention } : {}),
        },
        ...(config.privateDns ? { privateDns: config.privateDns } : {}),
        ...(config.exportStorageRedundancy ? { exportStorageRedundancy: config.exportStorageRedundancy } : {}),
        exportRetentionDays: config.exportRetentionDays,
        ...(config.recoveryCopy ? { recoveryCopyLocation: config.recoveryCopy.location } : {}),
        rbacPropagationSeconds: config.rbacPropagationSeconds,
        sharedRegistryIds: config.sharedRegistryIds,
        tags: config.tags,
    };
}

/** Per-account stack outputs (what `npm run verify` and the recovery workflow read). */
export interface FhirAccountOutputs {
    subscription: string;
    subscriptionId: string;
    workspaceGroup: string;
    resourceGroupName: pulumi.Output<string>;
    workspaceResourceGroupName: pulumi.Output<string>;
    workspaceName: pulumi.Output<string>;
    fhirServiceName: pulumi.Output<string>;
    /** ARM ID of the FHIR service (verify reads its current key version through ARM). */
    fhirServiceId: pulumi.Output<string>;
    fhirUrl: pulumi.Output<string>;
    audience: pulumi.Output<string>;
    authority: pulumi.Output<string>;
    identityResourceId: pulumi.Output<string>;
    identityClientId: pulumi.Output<string>;
    identityPrincipalId: pulumi.Output<string>;
    /** Versioned key URI the FHIR service was given at the last `pulumi up`. */
    keyUri: pulumi.Output<string>;
    /** ARM ID of the current CMK key (verify lists its versions through ARM). */
    keyId: pulumi.Output<string>;
    keyName: pulumi.Output<string>;
    keyRotationDays: number;
    keyVaultUri: pulumi.Output<string>;
    /** ARM ID of the key vault (scope for re-granting the crypto role, e.g. after a lost-key incident). */
    keyVaultId: pulumi.Output<string>;
    /** Absent when the account has neither export nor import. */
    exportStorageAccount?: pulumi.Output<string>;
    /** Days the export storage keeps a blob before its lifecycle policy deletes it (absent without storage). */
    exportRetentionDays?: number;
    /** The second-region copy of `$export` output (absent unless the account opted in): what the recovery workflow reads. */
    recoveryCopy?: { storageAccount: pulumi.Output<string>; location: string; container: string };
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

/** One account's stack outputs: the component's outputs, and what the config and placement say of it. */
export function accountOutputs(m: FhirAccount, a: AccountConfig, p: Placement, config: PlatformConfig): FhirAccountOutputs {
    const sub = config.subscriptions.find((s) => s.name === p.subscription)!;
    const recoveryLocation = a.recoveryCopy && a.export ? config.recoveryCopy?.location : undefined;
    return {
        subscription: sub.name,
        subscriptionId: sub.subscriptionId,
        workspaceGroup: p.workspaceGroup,
        resourceGroupName: m.resourceGroupName,
        workspaceResourceGroupName: m.workspaceResourceGroupName,
        workspaceName: m.workspaceName,
        fhirServiceName: m.fhirServiceName,
        fhirServiceId: m.fhirServiceId,
        fhirUrl: m.fhirUrl,
        audience: m.fhirUrl,
        authority: m.authority,
        identityResourceId: m.identityResourceId,
        identityClientId: m.identityClientId,
        identityPrincipalId: m.identityPrincipalId,
        keyUri: m.keyUri,
        keyId: m.keyId,
        keyName: m.keyName,
        keyRotationDays: p.currentKey.rotationDays,
        keyVaultUri: m.keyVaultUri,
        keyVaultId: m.keyVaultId,
        ...(m.exportStorageAccount
            ? { exportStorageAccount: m.exportStorageAccount, exportRetentionDays: a.exportRetentionDays ?? config.exportRetentionDays }
            : {}),
        ...(m.recoveryStorageAccount && recoveryLocation
            ? {
                  recoveryCopy: {
                      storageAccount: m.recoveryStorageAccount,
                      location: recoveryLocation,
                      container: names.recoveryContainer(),
                  },
              }
            : {}),
        exportEnabled: a.export,
        importEnabled: a.import,
        smartIdentityProviders: a.smartIdentityProviders.map((s) => s.authority),
        acrLoginServers: (a.acr?.registryIds ?? []).map(acrLoginServer),
        acrTemplateImages: (a.acr?.ociArtifacts ?? []).map(
            (o) => `${o.loginServer.toLowerCase()}/${o.imageName}${o.digest ? `@${o.digest}` : ""}`,
        ),
        keyVaultNetwork: a.keyVaultNetwork,
        publicNetworkAccess: a.publicNetworkAccess,
    };
}
