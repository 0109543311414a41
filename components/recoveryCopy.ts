import * as pulumi from "@pulumi/pulumi";
import * as storage from "@pulumi/azure-native/storage";
import * as monitor from "@pulumi/azure-native/monitor";
import { type ExportStorageRedundancy, OBJECT_REPLICATION_DESTINATION_POLICY_ID, STORAGE_BLOB_LOG_CATEGORIES } from "../azure/facts";
import { names } from "../azure/naming";
import { diagnosticInputs } from "./diagnostics";
import { blobServiceInputs, hardenedStorageInputs, lifecyclePolicyInputs, recoveryContainerInputs } from "./storageInputs";
import { type AccountScope, componentOptions } from "./scope";

export interface RecoveryCopyArgs extends AccountScope {
    /** The account's random suffix: the copy's storage name is `sr<account><suffix>`, globally unique like the rest. */
    suffix: pulumi.Input<string>;
    /** The account's user-assigned identity, through which the copy reaches the account's key (set at creation). */
    identityId: pulumi.Input<string>;
    keyVaultUri: pulumi.Input<string>;
    keyName: string;
    logAnalyticsWorkspaceId: pulumi.Input<string>;
    redundancy: ExportStorageRedundancy;
    /** Days the copy keeps a blob (the export storage's own retention: deletes there replicate here too). */
    retentionDays: number;
    /** The export storage account the copy replicates from, and its recovery container. */
    sourceAccountName: pulumi.Input<string>;
    sourceAccountId: pulumi.Input<string>;
    sourceContainerName: pulumi.Input<string>;
}

/**
 * The platform's own copy of an account's `$export` output, in a second region (`location` here is that region): a
 * storage account hardened like export storage (the same CMK, infrastructure encryption, no shared keys, firewall
 * Deny, soft delete, blob audit logs, lifecycle deletion), a `recovery` container, and an object replication policy
 * from the export storage's `recovery` container to it (created on the destination first, then on the source with the
 * IDs Azure returned: azure/facts.ts). Nothing writes to it but replication (Azure refuses other writes to a replication
 * destination), and nothing is granted on it: a restore reads it with a role given at that time (docs/recovery.md).
 * Made only for accounts that opt in: it puts PHI in a second region.
 */
export class RecoveryCopy extends pulumi.ComponentResource {
    readonly account: storage.StorageAccount;
    readonly blobService: storage.BlobServiceProperties;
    readonly blobDiagnostics: monitor.DiagnosticSetting;
    readonly lifecycle: storage.ManagementPolicy;
    readonly container: storage.BlobContainer;
    readonly destinationPolicy: storage.ObjectReplicationPolicy;
    readonly sourcePolicy: storage.ObjectReplicationPolicy;
    readonly accountName: pulumi.Output<string>;

    constructor(name: string, args: RecoveryCopyArgs, opts?: pulumi.ComponentResourceOptions) {
        super("fhir-platform:index:RecoveryCopy", name, {}, componentOptions(opts));
        this.account = new storage.StorageAccount(
            `${name}-recovery-storage`,
            hardenedStorageInputs({
                accountName: pulumi.interpolate`${names.recoveryStorage(args.account, "")}${args.suffix}`,
                resourceGroupName: args.resourceGroupName,
                location: args.location,
                tenantId: args.tenantId,
                identityId: args.identityId,
                keyVaultUri: args.keyVaultUri,
                keyName: args.keyName,
                redundancy: args.redundancy,
                admittedResourceIds: [],
                tags: args.tags,
            }),
            { parent: this, protect: args.protect, ...(opts?.dependsOn ? { dependsOn: opts.dependsOn } : {}) },
        );
        this.blobService = new storage.BlobServiceProperties(
            `${name}-recovery-blob-service`,
            blobServiceInputs(this.account.name, args.resourceGroupName, { versioning: true }),
            { parent: this },
        );
        this.blobDiagnostics = new monitor.DiagnosticSetting(
            `${name}-recovery-blob-audit`,
            diagnosticInputs(this.blobService.id, args.logAnalyticsWorkspaceId, STORAGE_BLOB_LOG_CATEGORIES, "Transaction"),
            { parent: this },
        );
        this.lifecycle = new storage.ManagementPolicy(
            `${name}-recovery-lifecycle`,
            lifecyclePolicyInputs(this.account.name, args.resourceGroupName, args.retentionDays),
            { parent: this },
        );
        this.container = new storage.BlobContainer(
            `${name}-recovery-container`,
            recoveryContainerInputs(this.account.name, args.resourceGroupName),
            { parent: this, dependsOn: [this.blobService] },
        );
        // Full resource IDs: both accounts forbid cross-tenant replication, so Azure must see that they share a tenant.
        const rule = { sourceContainer: args.sourceContainerName, destinationContainer: this.container.name };
        this.destinationPolicy = new storage.ObjectReplicationPolicy(
            `${name}-recovery-replication-destination`,
            {
                accountName: this.account.name,
                resourceGroupName: args.resourceGroupName,
                objectReplicationPolicyId: OBJECT_REPLICATION_DESTINATION_POLICY_ID,
                sourceAccount: args.sourceAccountId,
                destinationAccount: this.account.id,
                rules: [rule],
            },
            { parent: this },
        );
        this.sourcePolicy = new storage.ObjectReplicationPolicy(
            `${name}-recovery-replication-source`,
            {
                accountName: args.sourceAccountName,
                resourceGroupName: args.resourceGroupName,
                objectReplicationPolicyId: this.destinationPolicy.policyId,
                sourceAccount: args.sourceAccountId,
                destinationAccount: this.account.id,
                // The rule IDs Azure gave the destination's rules.
                rules: this.destinationPolicy.rules.apply((rules) =>
                    (rules ?? []).map((r) => ({
                        ...(r.ruleId ? { ruleId: r.ruleId } : {}),
                        sourceContainer: r.sourceContainer,
                        destinationContainer: r.destinationContainer,
                    })),
                ),
            },
            { parent: this },
        );
        this.accountName = this.account.name;
        this.registerOutputs({ accountName: this.accountName });
    }
}
