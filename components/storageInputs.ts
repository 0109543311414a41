/**
 * The inputs of the storage resources an account owns (ExportStorage and RecoveryCopy register them): hardened,
 * CMK-encrypted storage accounts, their blob service settings, lifecycle policy and recovery container.
 */
import type * as pulumi from "@pulumi/pulumi";
import type * as storage from "@pulumi/azure-native/storage";
import { MANAGEMENT_POLICY_NAME, exportStorageSku } from "../azure/facts";
import { names } from "../azure/naming";
import type { StorageRedundancy } from "./types";

/** Days deleted blobs and containers stay recoverable. */
export const EXPORT_SOFT_DELETE_DAYS = 30;

/** What a hardened, CMK-encrypted storage account of an account needs (export storage, and its recovery copy). */
export interface HardenedStorageSpec {
    accountName: pulumi.Input<string>;
    resourceGroupName: pulumi.Input<string>;
    location: string;
    tenantId: string;
    identityId: pulumi.Input<string>;
    keyVaultUri: pulumi.Input<string>;
    keyName: pulumi.Input<string>;
    redundancy: StorageRedundancy;
    /** Resources admitted through the firewall by resource-instance rule (none for the recovery copy). */
    admittedResourceIds: pulumi.Input<string>[];
    tags?: { [key: string]: string };
}

/**
 * StorageV2, HTTPS only, TLS 1.2, no public blobs, no shared keys, no cross-tenant replication, no hierarchical
 * namespace; the account's CMK (versionless) through its user-assigned identity plus infrastructure encryption, both
 * set at creation; firewall default Deny with trusted services and the given resource-instance rules.
 */
export function hardenedStorageInputs(args: HardenedStorageSpec): storage.StorageAccountArgs {
    return {
        accountName: args.accountName,
        resourceGroupName: args.resourceGroupName,
        location: args.location,
        kind: "StorageV2",
        sku: { name: exportStorageSku(args.redundancy) },
        enableHttpsTrafficOnly: true,
        minimumTlsVersion: "TLS1_2",
        allowBlobPublicAccess: false,
        allowSharedKeyAccess: false,
        defaultToOAuthAuthentication: true,
        allowCrossTenantReplication: false,
        isHnsEnabled: false,
        identity: { type: "UserAssigned", userAssignedIdentities: [args.identityId] },
        encryption: {
            keySource: "Microsoft.Keyvault",
            keyVaultProperties: { keyVaultUri: args.keyVaultUri, keyName: args.keyName },
            encryptionIdentity: { encryptionUserAssignedIdentity: args.identityId },
            requireInfrastructureEncryption: true,
            services: { blob: { enabled: true, keyType: "Account" }, file: { enabled: true, keyType: "Account" } },
        },
        publicNetworkAccess: "Enabled",
        networkRuleSet: {
            defaultAction: "Deny",
            bypass: "AzureServices",
            ipRules: [],
            virtualNetworkRules: [],
            resourceAccessRules: args.admittedResourceIds.map((resourceId) => ({ tenantId: args.tenantId, resourceId })),
        },
        tags: args.tags,
    };
}

/**
 * Blob and container soft delete on the export storage; with a recovery copy, blob versioning (on both accounts) and the
 * change feed (on the source, kept as long as the exports it lists), which object replication needs.
 */
export function blobServiceInputs(
    accountName: pulumi.Input<string>,
    resourceGroupName: pulumi.Input<string>,
    replication: { versioning?: boolean; changeFeedDays?: number } = {},
): storage.BlobServicePropertiesArgs {
    return {
        accountName,
        resourceGroupName,
        blobServicesName: "default",
        deleteRetentionPolicy: { enabled: true, days: EXPORT_SOFT_DELETE_DAYS },
        containerDeleteRetentionPolicy: { enabled: true, days: EXPORT_SOFT_DELETE_DAYS },
        ...(replication.versioning ? { isVersioningEnabled: true } : {}),
        ...(replication.changeFeedDays !== undefined ? { changeFeed: { enabled: true, retentionInDays: replication.changeFeedDays } } : {}),
    };
}

/**
 * The lifecycle policy: every blob (no prefix filter: `$export` names a new container per run) is deleted `days` after it
 * was written, and so are its previous versions and snapshots (Azure deletes a current version only once they are gone).
 * Block blobs are what `$export` writes; append blobs get the one action Azure supports for them, delete.
 */
export function lifecyclePolicyInputs(
    accountName: pulumi.Input<string>,
    resourceGroupName: pulumi.Input<string>,
    days: number,
): storage.ManagementPolicyArgs {
    const after = { daysAfterCreationGreaterThan: days };
    return {
        accountName,
        resourceGroupName,
        managementPolicyName: MANAGEMENT_POLICY_NAME,
        policy: {
            rules: [
                {
                    name: "delete-block-blobs",
                    enabled: true,
                    type: "Lifecycle",
                    definition: {
                        filters: { blobTypes: ["blockBlob"] },
                        actions: { baseBlob: { delete: after }, version: { delete: after }, snapshot: { delete: after } },
                    },
                },
                {
                    name: "delete-append-blobs",
                    enabled: true,
                    type: "Lifecycle",
                    definition: { filters: { blobTypes: ["appendBlob"] }, actions: { baseBlob: { delete: after } } },
                },
            ],
        },
    };
}

/** The recovery container (private, like every container: the account forbids public blob access). */
export function recoveryContainerInputs(
    accountName: pulumi.Input<string>,
    resourceGroupName: pulumi.Input<string>,
): storage.BlobContainerArgs {
    return { accountName, resourceGroupName, containerName: names.recoveryContainer(), publicAccess: "None" };
}
