import * as pulumi from "@pulumi/pulumi";
import * as storage from "@pulumi/azure-native/storage";
import type * as authorization from "@pulumi/azure-native/authorization";
import * as monitor from "@pulumi/azure-native/monitor";
import { STORAGE_BLOB_LOG_CATEGORIES, defaultExportStorageRedundancy } from "../azure/facts";
import { PLATFORM_DEFAULTS } from "../azure/defaults";
import { diagnosticInputs } from "./diagnostics";
import { names } from "../azure/naming";
import { RecoveryCopy } from "./recoveryCopy";
import { roleGrant } from "./roleGrant";
import { type AccountScope, componentOptions, protects, replaceableChild, statefulChild } from "./scope";
import { blobServiceInputs, hardenedStorageInputs, lifecyclePolicyInputs, recoveryContainerInputs } from "./storageInputs";
import type { StorageRedundancy } from "./types";
import { type Problem, accountProblems, refuse, storageProblems } from "./validate";

export { EXPORT_SOFT_DELETE_DAYS } from "./storageInputs";

export interface ExportStorageArgs extends AccountScope {
    /** Random, state-kept suffix that makes the storage name (`st<account><suffix>`) globally unique. */
    suffix: pulumi.Input<string>;
    /** Principal ID of the account's identity: granted Storage Blob Data Contributor on this account only. */
    identityPrincipalId: pulumi.Input<string>;
    /** ARM ID of the account's user-assigned identity: the storage reaches its encryption key as this identity. */
    identityId: pulumi.Input<string>;
    /** URI of the vault of the account's customer-managed key. */
    keyVaultUri: pulumi.Input<string>;
    /** Name of the account's current key (versionless: storage picks up new versions daily). */
    keyName: pulumi.Input<string>;
    /**
     * ARM ID of the FHIR service that writes here, known before it exists (built from names), so the firewall can admit
     * it by resource-instance rule without a dependency cycle.
     */
    fhirServiceResourceId: pulumi.Input<string>;
    /** ARM ID of the FHIR service's workspace (admitted like the service, as Microsoft's export setup registers both). */
    workspaceResourceId: pulumi.Input<string>;
    /** The Log Analytics workspace the blob audit log (reads, writes, deletes) goes to. */
    logAnalyticsWorkspaceId: pulumi.Input<string>;
    /** ZRS or LRS, never geo-redundant. Default: ZRS where the region offers it, else LRS. */
    redundancy?: StorageRedundancy;
    /** Days after which the lifecycle policy deletes every blob (`$export` output, staged `$import` files). Default: 30. */
    retentionDays?: number;
    /** The second region of a recovery copy of the `$export` output (docs/recovery.md); absent: no copy. */
    recoveryLocation?: string;
    /** Redundancy of the recovery copy's storage. Default: ZRS where its region offers it, else LRS. */
    recoveryRedundancy?: StorageRedundancy;
}

/** The child resources of an ExportStorage, for TypeScript code that composes it. */
export interface ExportStorageChildren {
    account: storage.StorageAccount;
    blobService: storage.BlobServiceProperties;
    blobDiagnostics: monitor.DiagnosticSetting;
    lifecycle: storage.ManagementPolicy;
    /** The container `$export?_container=recovery` writes to, replicated to the second region (with a recovery copy). */
    recoveryContainer?: storage.BlobContainer;
    recovery?: RecoveryCopy;
    grant: authorization.RoleAssignment;
}
const childrenOf = new WeakMap<ExportStorage, ExportStorageChildren>();

/**
 * The account's `$export` (and `$import`) storage: StorageV2, HTTPS and TLS 1.2 only, no public blob access, no shared
 * keys, firewall default deny admitting only this account's FHIR service and workspace (resource-instance rules, as
 * Microsoft's export setup registers both) and trusted Azure services; blob and container soft delete; blob reads,
 * writes and deletes logged to Log Analytics. Only the account's identity holds Storage Blob Data Contributor here.
 *
 * Encrypted from creation (Azure cannot add it later) with the account's versionless CMK (Azure Storage picks up a new
 * key version within a day) through its user-assigned identity, plus infrastructure encryption: so `dependsOn` (the key
 * grant's propagation) holds back the storage accounts only; `protect` protects them. No hierarchical namespace: the
 * docs disagree, and "Configure export settings" asks only for a storage account the identity can write to.
 */
export class ExportStorage extends pulumi.ComponentResource {
    /** The storage account's name (`st<account><suffix>`): what the FHIR service's export configuration names. */
    readonly accountName: pulumi.Output<string>;
    /** ARM ID of the storage account. */
    readonly accountId: pulumi.Output<string>;
    /** The recovery copy's storage account name (with a recovery copy). */
    readonly recoveryAccountName?: pulumi.Output<string>;

    constructor(name: string, args: ExportStorageArgs, opts?: pulumi.ComponentResourceOptions) {
        // Named after its account since 0.2 (was `<account>-export`); its children kept their URNs.
        const own = componentOptions(opts, true);
        super("fhir-platform:index:ExportStorage", name, {}, { ...own, aliases: [...(own.aliases ?? []), { name: `${name}-export` }] });
        const redundancy = args.redundancy ?? defaultExportStorageRedundancy(args.location);
        const retentionDays = args.retentionDays ?? PLATFORM_DEFAULTS.exportRetentionDays;
        const recoveryLocation = args.recoveryLocation;
        const recoveryRedundancy = recoveryLocation
            ? (args.recoveryRedundancy ?? defaultExportStorageRedundancy(recoveryLocation))
            : undefined;
        const problems: Problem[] = [
            ...accountProblems(args.account),
            ...storageProblems(args.location, redundancy, retentionDays, { redundancy: "redundancy", retentionDays: "retentionDays" }),
        ];
        if (recoveryLocation) {
            problems.push(
                ...storageProblems(recoveryLocation, recoveryRedundancy, undefined, {
                    redundancy: "recoveryRedundancy",
                    retentionDays: "",
                }),
            );
            if (recoveryLocation === args.location) problems.push(["recoveryLocation", `must be another region than ${args.location}`]);
        }
        refuse(`ExportStorage ${args.account}`, problems, this);
        const dependsOn = opts?.dependsOn ? { dependsOn: opts.dependsOn } : {};
        // Encrypted with the key at creation: after what the caller names in opts.dependsOn (the key grant's propagation).
        const account = new storage.StorageAccount(`${name}-export-storage`, exportStorageInputs({ ...args, redundancy }), {
            ...statefulChild(this, opts),
            ...dependsOn,
        });
        // Object replication needs versioning and the change feed on its source (azure/facts.ts).
        const blobService = new storage.BlobServiceProperties(
            `${name}-export-blob-service`,
            blobServiceInputs(
                account.name,
                args.resourceGroupName,
                recoveryLocation ? { versioning: true, changeFeedDays: retentionDays } : {},
            ),
            replaceableChild(this),
        );
        // Exported PHI ages out: every blob is deleted `retentionDays` after it was written, then kept soft-deleted for
        // EXPORT_SOFT_DELETE_DAYS more (docs/recovery.md).
        const lifecycle = new storage.ManagementPolicy(
            `${name}-export-lifecycle`,
            lifecyclePolicyInputs(account.name, args.resourceGroupName, retentionDays),
            replaceableChild(this),
        );
        const blobDiagnostics = new monitor.DiagnosticSetting(
            `${name}-export-blob-audit`,
            diagnosticInputs(blobService.id, args.logAnalyticsWorkspaceId, STORAGE_BLOB_LOG_CATEGORIES, "Transaction"),
            replaceableChild(this),
        );
        const grant = roleGrant(
            `${name}-export-blob-grant`,
            {
                account: args.account,
                stack: args.stack,
                subscriptionId: args.subscriptionId,
                role: "Storage Blob Data Contributor",
                scope: account.id,
                principalId: args.identityPrincipalId,
                principalType: "ServicePrincipal",
                key: "identity/export-storage",
                description: `FHIR service identity of ${args.account} writes $export output`,
            },
            replaceableChild(this),
        );
        let recovered: Pick<ExportStorageChildren, "recoveryContainer" | "recovery"> = {};
        if (recoveryLocation) {
            // Both containers must exist before the replication rule names them; versioning first.
            const recoveryContainer = new storage.BlobContainer(
                `${name}-export-recovery-container`,
                recoveryContainerInputs(account.name, args.resourceGroupName),
                { ...replaceableChild(this), dependsOn: [blobService] },
            );
            const recovery = new RecoveryCopy(
                name,
                {
                    account: args.account,
                    stack: args.stack,
                    subscriptionId: args.subscriptionId,
                    tenantId: args.tenantId,
                    resourceGroupName: args.resourceGroupName,
                    location: recoveryLocation,
                    ...(args.tags ? { tags: args.tags } : {}),
                    suffix: args.suffix,
                    identityId: args.identityId,
                    keyVaultUri: args.keyVaultUri,
                    keyName: args.keyName,
                    logAnalyticsWorkspaceId: args.logAnalyticsWorkspaceId,
                    ...(recoveryRedundancy ? { redundancy: recoveryRedundancy } : {}),
                    retentionDays,
                    sourceAccountName: account.name,
                    sourceAccountId: account.id,
                    sourceContainerName: recoveryContainer.name,
                },
                // Encrypted with the key at creation too: after the key grant's propagation, never after the FHIR service.
                { parent: this, protect: protects(opts), ...dependsOn },
            );
            recovered = { recoveryContainer, recovery };
            this.recoveryAccountName = recovery.accountName;
        }
        childrenOf.set(this, { account, blobService, blobDiagnostics, lifecycle, grant, ...recovered });
        this.accountName = account.name;
        this.accountId = account.id;
        this.registerOutputs({
            accountName: this.accountName,
            accountId: this.accountId,
            ...(this.recoveryAccountName ? { recoveryAccountName: this.recoveryAccountName } : {}),
        });
    }

    /** The storage account, its settings, grant and recovery copy (TypeScript only: other languages get the outputs). */
    get children(): ExportStorageChildren {
        return childrenOf.get(this)!;
    }
}

/** The storage account's inputs. */
function exportStorageInputs(
    args: Pick<
        ExportStorageArgs,
        | "account"
        | "resourceGroupName"
        | "location"
        | "suffix"
        | "tenantId"
        | "identityId"
        | "keyVaultUri"
        | "keyName"
        | "fhirServiceResourceId"
        | "workspaceResourceId"
        | "tags"
    > & { redundancy: StorageRedundancy },
): storage.StorageAccountArgs {
    return hardenedStorageInputs({
        ...args,
        accountName: pulumi.interpolate`${names.storage(args.account, "")}${args.suffix}`,
        admittedResourceIds: [args.fhirServiceResourceId, args.workspaceResourceId],
    });
}
