import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as resources from "@pulumi/azure-native/resources";
import { entraAuthority, fhirServiceResourceId, healthWorkspaceResourceId } from "../azure/facts";
import { ACCOUNT_DEFAULTS } from "../azure/defaults";
import { ACCOUNT_TAG, STACK_TAG, SUFFIX_LENGTH, names } from "../azure/naming";
import { AccountIdentity } from "./accountIdentity";
import { CustomerManagedKey, defaultKeys } from "./customerManagedKey";
import { ExportStorage } from "./exportStorage";
import { FhirWorkspace } from "./fhirWorkspace";
import { FhirService, fhirSettingsProblems } from "./fhirService";
import { type AccountScope, componentOptions, protects, statefulChild } from "./scope";
import type { CmkKey, FhirServiceSettings, KeyVaultNetwork, PrivateDnsZoneIds, StorageRedundancy } from "./types";
import { type Problem, accountProblems, keyProblems, rbacWaitProblems, refuse, storageProblems } from "./validate";

/** What the platform's config says of one account, besides where it is placed; every field has the platform's default. */
export interface AccountSettings extends FhirServiceSettings {
    /**
     * Every customer-managed key of the account, in the order Azure created them (the first keeps the original resource
     * names; a key's size and rotation are fixed at creation, so another size is another key). Default: one key
     * `fhir-cmk`, RSA 3072, a new version every 365 days.
     */
    keys?: CmkKey[];
    /** The key in use (one of `keys`): the FHIR service and the export storage are encrypted with it. Default: the last key. */
    currentKey?: string;
    /** How the key vault firewall admits callers. Default: trustedServices. */
    keyVaultNetwork?: KeyVaultNetwork;
    /**
     * A subnet for a private endpoint on the account's dedicated workspace (then `privateDnsZoneIds` is required). For a
     * shared workspace, the workspace's own endpoint serves the account.
     */
    privateEndpointSubnetId?: string;
    /** Days export storage keeps a blob before its lifecycle policy deletes it. Default: 30. */
    exportRetentionDays?: number;
    /** Tags of every resource of the account (the account and stack tags are added). */
    tags?: { [key: string]: string };
}

/** A shared workspace an account's FHIR service joins (FhirPlatform's, or one made with FhirWorkspace). */
export interface WorkspaceRef {
    /** The workspace's name, an output of the workspace (FhirWorkspace.workspaceName): the FHIR service waits for it. */
    name: pulumi.Input<string>;
    /**
     * The same name known before the workspace exists (FhirWorkspace.plannedName): the export storage firewall admits the
     * workspace by it without waiting for the workspace. Default: `name`.
     */
    plannedName?: pulumi.Input<string>;
    /** The workspace's resource group. */
    resourceGroupName: pulumi.Input<string>;
}

export interface FhirAccountArgs extends AccountSettings {
    /**
     * The account (3 to 12 lowercase letters and digits, starting with a letter): every Azure name of the account derives
     * from it. Default: the component's name.
     */
    account?: string;
    /** The stack the account belongs to: part of resource group names, the stack tag and role assignment names. Default: the Pulumi stack. */
    stack?: string;
    /** The subscription the account's resources are created in (the azure-native provider's). */
    subscriptionId: string;
    /** The Entra tenant of the subscription. */
    tenantId: string;
    /** The Azure region (one with the FHIR service). */
    location: string;
    /** The Log Analytics workspace every audit log of the account goes to (FHIR AuditLogs, vault AuditEvent, blob logs). */
    logAnalyticsWorkspaceId: pulumi.Input<string>;
    /** The private DNS zones a private endpoint registers in; required with privateEndpointSubnetId. */
    privateDnsZoneIds?: PrivateDnsZoneIds;
    /** A shared workspace the FHIR service joins; absent: the account gets a dedicated workspace. */
    workspace?: WorkspaceRef;
    /** Redundancy of the export storage. Default: ZRS where the region offers it, else LRS. */
    exportStorageRedundancy?: StorageRedundancy;
    /** A second region where the account's `$export` output is copied (object replication); needs export. Absent: no copy. */
    recoveryLocation?: string;
    /** Seconds to wait, once, after the identity's key grant before the key is used (Azure documents up to 10 minutes). Default: 600. */
    rbacPropagationSeconds?: number;
    /** Container registries several accounts may list for `$convert-data` (their grants say so). */
    sharedRegistryIds?: string[];
}

/**
 * Everything a FhirAccount would refuse in its arguments (FhirPlatform asks before registering anything), each with
 * its field.
 */
export function fhirAccountProblems(
    account: string,
    args: AccountSettings &
        Pick<
            FhirAccountArgs,
            "location" | "privateDnsZoneIds" | "workspace" | "exportStorageRedundancy" | "recoveryLocation" | "rbacPropagationSeconds"
        >,
): Problem[] {
    const keys = args.keys ?? defaultKeys();
    const storageOn = (args.export ?? ACCOUNT_DEFAULTS.export) || (args.import ?? ACCOUNT_DEFAULTS.import);
    const problems: Problem[] = [
        ...accountProblems(account),
        ...keyProblems(keys, args.currentKey ?? keys[keys.length - 1]?.name ?? ""),
        ...rbacWaitProblems(args.rbacPropagationSeconds),
        ...fhirSettingsProblems(args),
        ...(storageOn
            ? storageProblems(args.location, args.exportStorageRedundancy, args.exportRetentionDays, {
                  redundancy: "exportStorageRedundancy",
                  retentionDays: "exportRetentionDays",
              })
            : []),
    ];
    if (args.privateEndpointSubnetId && !args.privateDnsZoneIds)
        problems.push(["privateDnsZoneIds", "a private endpoint (privateEndpointSubnetId) needs the private DNS zones it registers in"]);
    if (args.privateEndpointSubnetId && args.workspace)
        problems.push(["privateEndpointSubnetId", "a shared workspace has its own private endpoint: set it on the workspace"]);
    if (args.recoveryLocation !== undefined && !(args.export ?? ACCOUNT_DEFAULTS.export))
        problems.push(["recoveryLocation", "needs export: true (the copy is made of $export output)"]);
    if (args.recoveryLocation !== undefined && args.recoveryLocation === args.location)
        problems.push(["recoveryLocation", `must be another region than ${args.location}`]);
    return problems;
}

/** The child resources of a FhirAccount, for TypeScript code that composes it. */
export interface FhirAccountChildren {
    resourceGroup: resources.ResourceGroup;
    suffix: random.RandomString;
    identity: AccountIdentity;
    cmk: CustomerManagedKey;
    /** Present when export or import is on: nothing else needs it. */
    storage?: ExportStorage;
    /** The dedicated workspace (absent when the account joins a shared one). */
    workspace?: FhirWorkspace;
    fhir: FhirService;
}
const childrenOf = new WeakMap<FhirAccount, FhirAccountChildren>();

/**
 * Everything one customer account owns: resource group, identity, key vault + CMK, export storage, (dedicated)
 * workspace and FHIR service. Every Pulumi name starts with the component's name, never a list index. Only the
 * required fields give what the platform's stacks get: CMK RSA 3072, vault firewall, export storage with the CMK,
 * lifecycle deletion after 30 days, audit logs to Log Analytics, a 600 s wait for the key grant to propagate. The
 * `protect` option protects the stateful resources (resource group, suffix, identity, vault, keys and their grants,
 * storage, workspace, FHIR service); grants to people, diagnostic settings and the private endpoint stay replaceable.
 */
export class FhirAccount extends pulumi.ComponentResource {
    /** The account's resource group. */
    readonly resourceGroupName: pulumi.Output<string>;
    /** The resource group of the account's workspace (the account's own, or the shared workspace's). */
    readonly workspaceResourceGroupName: pulumi.Output<string>;
    /** The AHDS workspace the FHIR service is in. */
    readonly workspaceName: pulumi.Output<string>;
    /** The FHIR service's Azure name. */
    readonly fhirServiceName: pulumi.Output<string>;
    /** ARM ID of the FHIR service. */
    readonly fhirServiceId: pulumi.Output<string>;
    /** The FHIR service's URL, which is also the audience of its tokens. */
    readonly fhirUrl: pulumi.Output<string>;
    /** The authority that issues the service's tokens (`https://login.microsoftonline.com/<tenant>`). */
    readonly authority: pulumi.Output<string>;
    /** ARM ID of the account's user-assigned identity. */
    readonly identityResourceId: pulumi.Output<string>;
    /** Client ID of the identity. */
    readonly identityClientId: pulumi.Output<string>;
    /** Principal (object) ID of the identity. */
    readonly identityPrincipalId: pulumi.Output<string>;
    /** Versioned URI of the key the FHIR service was given at the last `pulumi up`. */
    readonly keyUri: pulumi.Output<string>;
    /** ARM ID of the current key. */
    readonly keyId: pulumi.Output<string>;
    /** Name of the current key. */
    readonly keyName: pulumi.Output<string>;
    /** URI of the account's key vault. */
    readonly keyVaultUri: pulumi.Output<string>;
    /** ARM ID of the key vault. */
    readonly keyVaultId: pulumi.Output<string>;
    /** The export storage account's name (absent when the account has neither export nor import). */
    readonly exportStorageAccount?: pulumi.Output<string>;
    /** The recovery copy's storage account name (absent without a recovery copy). */
    readonly recoveryStorageAccount?: pulumi.Output<string>;

    constructor(name: string, args: FhirAccountArgs, opts?: pulumi.ComponentResourceOptions) {
        super("fhir-platform:index:FhirAccount", name, {}, componentOptions(opts));
        const account = args.account ?? name;
        const stack = args.stack ?? pulumi.getStack();
        const keys = args.keys ?? defaultKeys();
        const currentKey = args.currentKey ?? keys[keys.length - 1]?.name ?? "";
        const storageOn = (args.export ?? ACCOUNT_DEFAULTS.export) || (args.import ?? ACCOUNT_DEFAULTS.import);
        refuse(`FhirAccount ${account}`, fhirAccountProblems(account, args), this);

        const tags = { ...args.tags, [ACCOUNT_TAG]: account, [STACK_TAG]: stack };
        const rgName = names.accountResourceGroup(stack, account);
        const resourceGroup = new resources.ResourceGroup(
            `${account}-rg`,
            { resourceGroupName: rgName, location: args.location, tags },
            statefulChild(this, opts),
        );
        // One random suffix per account, created once and kept in state: vault, storage (and dedicated workspace)
        // names are globally unique in Azure, and must never change once deployed.
        const suffix = new random.RandomString(
            `${account}-suffix`,
            { length: SUFFIX_LENGTH, special: false, upper: false, numeric: true, lower: true },
            statefulChild(this, opts),
        );
        // The leaf components protect their stateful children when this account is protected.
        const leaf = { parent: this, protect: protects(opts) };

        // What every leaf component of this account shares; each is named after the account, its children after it.
        const scope: AccountScope = {
            account,
            stack,
            subscriptionId: args.subscriptionId,
            tenantId: args.tenantId,
            resourceGroupName: resourceGroup.name,
            location: args.location,
            tags,
        };

        // Protected: azure-native replaces by deleting first, and without its identity the FHIR service cannot unwrap its key.
        const identity = new AccountIdentity(name, scope, leaf);

        let workspaceName: pulumi.Input<string>;
        // The name alone, without waiting for the workspace: what the storage firewall rule needs.
        let plannedWorkspaceName: pulumi.Input<string>;
        let workspaceRg: pulumi.Input<string>;
        let workspace: FhirWorkspace | undefined;
        if (args.workspace) {
            workspaceName = args.workspace.name;
            plannedWorkspaceName = args.workspace.plannedName ?? args.workspace.name;
            workspaceRg = args.workspace.resourceGroupName;
        } else {
            workspace = new FhirWorkspace(
                name,
                {
                    group: account,
                    suffix: suffix.result,
                    resourceGroupName: scope.resourceGroupName,
                    location: args.location,
                    tags,
                    ...(args.privateEndpointSubnetId ? { privateEndpointSubnetId: args.privateEndpointSubnetId } : {}),
                    ...(args.privateDnsZoneIds ? { privateDnsZoneIds: args.privateDnsZoneIds } : {}),
                },
                leaf,
            );
            workspaceName = workspace.workspaceName;
            plannedWorkspaceName = workspace.plannedName;
            workspaceRg = rgName;
        }

        const cmk = new CustomerManagedKey(
            name,
            {
                ...scope,
                suffix: suffix.result,
                keys,
                currentKey,
                identityPrincipalId: identity.principalId,
                ...(args.keyVaultNetwork ? { network: args.keyVaultNetwork } : {}),
                logAnalyticsWorkspaceId: args.logAnalyticsWorkspaceId,
                ...(args.rbacPropagationSeconds !== undefined ? { rbacPropagationSeconds: args.rbacPropagationSeconds } : {}),
            },
            leaf,
        );
        const keyWait = cmk.children.wait;

        // Encrypted with the key at creation: after the key grant's propagation wait.
        const fhirName = names.fhirService(account);
        const storage = storageOn
            ? new ExportStorage(
                  name,
                  {
                      ...scope,
                      suffix: suffix.result,
                      identityPrincipalId: identity.principalId,
                      identityId: identity.id,
                      keyVaultUri: cmk.vaultUri,
                      keyName: currentKey,
                      // Built from names, not from the workspace resource: storage runs beside the workspace, not after it.
                      fhirServiceResourceId: pulumi
                          .all([plannedWorkspaceName, workspaceRg])
                          .apply(([ws, rg]) => fhirServiceResourceId(args.subscriptionId, rg, ws, fhirName)),
                      workspaceResourceId: pulumi
                          .all([plannedWorkspaceName, workspaceRg])
                          .apply(([ws, rg]) => healthWorkspaceResourceId(args.subscriptionId, rg, ws)),
                      logAnalyticsWorkspaceId: args.logAnalyticsWorkspaceId,
                      ...(args.exportStorageRedundancy ? { redundancy: args.exportStorageRedundancy } : {}),
                      ...(args.exportRetentionDays !== undefined ? { retentionDays: args.exportRetentionDays } : {}),
                      ...(args.recoveryLocation ? { recoveryLocation: args.recoveryLocation } : {}),
                  },
                  { ...leaf, dependsOn: [keyWait] },
              )
            : undefined;

        const fhir = new FhirService(
            name,
            {
                ...scope,
                ...fhirServiceSettings(args),
                resourceGroupName: workspaceRg,
                workspaceName,
                identityId: identity.id,
                identityPrincipalId: identity.principalId,
                keyUri: cmk.keyUri,
                ...(storage ? { exportStorageName: storage.accountName } : {}),
                logAnalyticsWorkspaceId: args.logAnalyticsWorkspaceId,
                ...(args.sharedRegistryIds ? { sharedRegistryIds: args.sharedRegistryIds } : {}),
            },
            // The wait follows the crypto grant; the storage grant propagates meanwhile (export runs later). The service's
            // workspace may be shared: it depends on it through workspaceName.
            { ...leaf, dependsOn: storage ? [keyWait, storage.children.grant] : [keyWait] },
        );
        // A dedicated private workspace registers its DNS records once its one FHIR service exists.
        workspace?.attachPrivateDns([fhir.children.service], [fhirName]);
        childrenOf.set(this, {
            resourceGroup,
            suffix,
            identity,
            cmk,
            fhir,
            ...(storage ? { storage } : {}),
            ...(workspace ? { workspace } : {}),
        });

        this.resourceGroupName = pulumi.output(rgName);
        this.workspaceResourceGroupName = pulumi.output(workspaceRg);
        this.workspaceName = pulumi.output(workspaceName);
        this.fhirServiceName = fhir.serviceName;
        this.fhirServiceId = fhir.id;
        this.fhirUrl = fhir.url;
        this.authority = pulumi.output(entraAuthority(args.tenantId));
        this.identityResourceId = identity.id;
        this.identityClientId = identity.clientId;
        this.identityPrincipalId = identity.principalId;
        this.keyUri = cmk.keyUri;
        this.keyId = cmk.keyId;
        this.keyName = cmk.keyName;
        this.keyVaultUri = cmk.vaultUri;
        this.keyVaultId = cmk.vaultId;
        if (storage) this.exportStorageAccount = storage.accountName;
        if (storage?.recoveryAccountName) this.recoveryStorageAccount = storage.recoveryAccountName;
        this.registerOutputs({
            resourceGroupName: this.resourceGroupName,
            workspaceResourceGroupName: this.workspaceResourceGroupName,
            workspaceName: this.workspaceName,
            fhirServiceName: this.fhirServiceName,
            fhirServiceId: this.fhirServiceId,
            fhirUrl: this.fhirUrl,
            authority: this.authority,
            identityResourceId: this.identityResourceId,
            identityClientId: this.identityClientId,
            identityPrincipalId: this.identityPrincipalId,
            keyUri: this.keyUri,
            keyId: this.keyId,
            keyName: this.keyName,
            keyVaultUri: this.keyVaultUri,
            keyVaultId: this.keyVaultId,
            ...(this.exportStorageAccount ? { exportStorageAccount: this.exportStorageAccount } : {}),
            ...(this.recoveryStorageAccount ? { recoveryStorageAccount: this.recoveryStorageAccount } : {}),
        });
    }

    /** The account's resource group, suffix and components (TypeScript only: other languages get the outputs). */
    get children(): FhirAccountChildren {
        return childrenOf.get(this)!;
    }
}

/** The FHIR service settings of an account's args (and nothing else of the account); FhirService fills in the defaults. */
function fhirServiceSettings(a: FhirServiceSettings): FhirServiceSettings {
    return {
        export: a.export,
        import: a.import,
        initialImportMode: a.initialImportMode,
        smartIdentityProviders: a.smartIdentityProviders,
        cors: a.cors,
        resourceVersionPolicy: a.resourceVersionPolicy,
        resourceVersionOverrides: a.resourceVersionOverrides,
        usCoreMissingData: a.usCoreMissingData,
        acr: a.acr,
        grants: a.grants,
    };
}
