import * as pulumi from "@pulumi/pulumi";
import * as storage from "@pulumi/azure-native/storage";
import * as monitor from "@pulumi/azure-native/monitor";
import { OBJECT_REPLICATION_DESTINATION_POLICY_ID, STORAGE_BLOB_LOG_CATEGORIES, defaultExportStorageRedundancy } from "../azure/facts";
import { PLATFORM_DEFAULTS } from "../azure/defaults";
import { names } from "../azure/naming";
import { diagnosticInputs } from "./diagnostics";
import { blobServiceInputs, hardenedStorageInputs, lifecyclePolicyInputs, recoveryContainerInputs } from "./storageInputs";
import { type AccountScope, componentOptions, replaceableChild, statefulChild } from "./scope";
import type { StorageRedundancy } from "./types";
import { accountProblems, refuse, storageProblems } from "./validate";

export interface RecoveryCopyArgs extends AccountScope {
    /** The account's random suffix: the copy's storage name is `sr<account><suffix>`, globally unique like the rest. */
    suffix: pulumi.Input<string>;
    /** The account's user-assigned identity, through which the copy reaches the account's key (set at creation). */
    identityId: pulumi.Input<string>;
    /** URI of the vault of the account's customer-managed key. */
    keyVaultUri: pulumi.Input<string>;
    /** Name of the account's current key (versionless). */
    keyName: pulumi.Input<string>;
    /** The Log Analytics workspace the copy's blob audit log goes to. */
    logAnalyticsWorkspaceId: pulumi.Input<string>;
    /** ZRS or LRS, never geo-redundant. Default: ZRS where the region (`location`, the second region) offers it, else LRS. */
    redundancy?: StorageRedundancy;
    /** Days the copy keeps a blob (the export storage's own retention: deletes there replicate here too). Default: 30. */
    retentionDays?: number;
    /** Name of the export storage account the copy replicates from. */
    sourceAccountName: pulumi.Input<string>;
    /** ARM ID of that export storage account. */
    sourceAccountId: pulumi.Input<string>;
    /** Name of the source's recovery container. */
    sourceContainerName: pulumi.Input<string>;
}

/** The child resources of a RecoveryCopy, for TypeScript code that composes it. */
export interface RecoveryCopyChildren {
    account: storage.StorageAccount;
    blobService: storage.BlobServiceProperties;
    blobDiagnostics: monitor.DiagnosticSetting;
    lifecycle: storage.ManagementPolicy;
    container: storage.BlobContainer;
    destinationPolicy: storage.ObjectReplicationPolicy;
    sourcePolicy: storage.ObjectReplicationPolicy;
}
const childrenOf = new WeakMap<RecoveryCopy, RecoveryCopyChildren>();

/**
 * The platform's own copy of an account's `$export` output, in a second region (`location` here is that region): a
 * storage account hardened like export storage (the same CMK, infrastructure encryption, no shared keys, firewall
 * Deny, soft delete, blob audit logs, lifecycle deletion), a `recovery` container, and an object replication policy
 * from the export storage's `recovery` container to it (created on the destination first, then on the source with the
 * IDs Azure returned: azure/facts.ts). Nothing writes to it but replication (Azure refuses other writes to a replication
 * destination), and nothing is granted on it: a restore reads it with a role given at that time (docs/recovery.md).
 * Made only for accounts that opt in: it puts PHI in a second region. The `protect` option protects the copy's storage
 * account; `dependsOn` holds back that account only (it is encrypted with the key at creation).
 */
export class RecoveryCopy extends pulumi.ComponentResource {
    /** The copy's storage account name (`sr<account><suffix>`): what the recovery workflow reads. */
    readonly accountName: pulumi.Output<string>;

    constructor(name: string, args: RecoveryCopyArgs, opts?: pulumi.ComponentResourceOptions) {
        super("fhir-platform:index:RecoveryCopy", name, {}, componentOptions(opts, true));
        const redundancy = args.redundancy ?? defaultExportStorageRedundancy(args.location);
        const retentionDays = args.retentionDays ?? PLATFORM_DEFAULTS.exportRetentionDays;
        refuse(
            `RecoveryCopy ${args.account}`,
            [
                ...accountProblems(args.account),
                ...storageProblems(args.location, redundancy, retentionDays, { redundancy: "redundancy", retentionDays: "retentionDays" }),
            ],
            this,
        );
        const account = new storage.StorageAccount(
            `${name}-recovery-storage`,
            hardenedStorageInputs({
                accountName: pulumi.interpolate`${names.recoveryStorage(args.account, "")}${args.suffix}`,
                resourceGroupName: args.resourceGroupName,
                location: args.location,
                tenantId: args.tenantId,
                identityId: args.identityId,
                keyVaultUri: args.keyVaultUri,
                keyName: args.keyName,
                redundancy,
                admittedResourceIds: [],
                ...(args.tags ? { tags: args.tags } : {}),
            }),
            { ...statefulChild(this, opts), ...(opts?.dependsOn ? { dependsOn: opts.dependsOn } : {}) },
        );
        const blobService = new storage.BlobServiceProperties(
            `${name}-recovery-blob-service`,
            blobServiceInputs(account.name, args.resourceGroupName, { versioning: true }),
            replaceableChild(this),
        );
        const blobDiagnostics = new monitor.DiagnosticSetting(
            `${name}-recovery-blob-audit`,
            diagnosticInputs(blobService.id, args.logAnalyticsWorkspaceId, STORAGE_BLOB_LOG_CATEGORIES, "Transaction"),
            replaceableChild(this),
        );
        const lifecycle = new storage.ManagementPolicy(
            `${name}-recovery-lifecycle`,
            lifecyclePolicyInputs(account.name, args.resourceGroupName, retentionDays),
            replaceableChild(this),
        );
        const container = new storage.BlobContainer(
            `${name}-recovery-container`,
            recoveryContainerInputs(account.name, args.resourceGroupName),
            { ...replaceableChild(this), dependsOn: [blobService] },
        );
        // Full resource IDs: both accounts forbid cross-tenant replication, so Azure must see that they share a tenant.
        const rule = { sourceContainer: args.sourceContainerName, destinationContainer: container.name };
        const destinationPolicy = new storage.ObjectReplicationPolicy(
            `${name}-recovery-replication-destination`,
            {
                accountName: account.name,
                resourceGroupName: args.resourceGroupName,
                objectReplicationPolicyId: OBJECT_REPLICATION_DESTINATION_POLICY_ID,
                sourceAccount: args.sourceAccountId,
                destinationAccount: account.id,
                rules: [rule],
            },
            replaceableChild(this),
        );
        const sourcePolicy = new storage.ObjectReplicationPolicy(
            `${name}-recovery-replication-source`,
            {
                accountName: args.sourceAccountName,
                resourceGroupName: args.resourceGroupName,
                objectReplicationPolicyId: destinationPolicy.policyId,
                sourceAccount: args.sourceAccountId,
                destinationAccount: account.id,
                // The rule IDs Azure gave the destination's rules.
                rules: destinationPolicy.rules.apply((rules) =>
                    (rules ?? []).map((r) => ({
                        ...(r.ruleId ? { ruleId: r.ruleId } : {}),
                        sourceContainer: r.sourceContainer,
                        destinationContainer: r.destinationContainer,
                    })),
                ),
            },
            replaceableChild(this),
        );
        childrenOf.set(this, { account, blobService, blobDiagnostics, lifecycle, container, destinationPolicy, sourcePolicy });
        this.accountName = account.name;
        this.registerOutputs({ accountName: this.accountName });
    }

    /** The copy's storage, its settings and replication policies (TypeScript only: other languages get the outputs). */
    get children(): RecoveryCopyChildren {
        return childrenOf.get(this)!;
    }
}
