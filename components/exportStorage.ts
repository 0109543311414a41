import * as pulumi from "@pulumi/pulumi";
import * as storage from "@pulumi/azure-native/storage";
import type * as authorization from "@pulumi/azure-native/authorization";
import * as monitor from "@pulumi/azure-native/monitor";
import { type ExportStorageRedundancy, STORAGE_BLOB_LOG_CATEGORIES, exportStorageSku } from "../azure/facts";
import { diagnosticInputs } from "./diagnostics";
import { names } from "../azure/naming";
import { roleGrant } from "./roleGrant";
import { type AccountScope, componentOptions } from "./scope";

export interface ExportStorageArgs extends AccountScope {
    suffix: pulumi.Input<string>;
    identityPrincipalId: pulumi.Input<string>;
    /** ARM ID of the account's user-assigned identity: the storage reaches its encryption key as this identity. */
    identityId: pulumi.Input<string>;
    /** Vault URI and name of the account's current CMK (versionless: storage picks up new versions daily). */
    keyVaultUri: pulumi.Input<string>;
    keyName: string;
    /**
     * ARM IDs of the FHIR service that writes here and of its workspace, known before they exist (built from names),
     * so the firewall can admit them by resource-instance rule without a dependency cycle.
     */
    fhirServiceResourceId: pulumi.Input<string>;
    workspaceResourceId: pulumi.Input<string>;
    logAnalyticsWorkspaceId: pulumi.Input<string>;
    /** ZRS where the region offers it, else LRS (azure/facts.ts ZRS_REGIONS); never geo-redundant. */
    redundancy: ExportStorageRedundancy;
}

/** Days deleted blobs and containers stay recoverable. */
export const EXPORT_SOFT_DELETE_DAYS = 30;

/**
 * The account's `$export` (and `$import`) storage: StorageV2, HTTPS only, TLS 1.2, no public blob access, no shared
 * keys (Entra ID only), firewall default deny admitting only this account's FHIR service and its workspace
 * (resource-instance rules, as Microsoft's export setup registers both) and trusted Azure services; blob and container
 * soft delete; blob reads, writes and deletes logged to Log Analytics. The FHIR service reaches it as the account's
 * identity, granted Storage Blob Data Contributor on this account only.
 *
 * Encrypted like the FHIR data, both chosen at creation (Azure cannot add them later): with the account's own CMK
 * (versionless, so Azure Storage picks up each new key version within a day; the platform never disables a version),
 * through the account's user-assigned identity (a CMK at creation needs one), and with infrastructure encryption
 * (a second, platform-managed layer). The account must therefore wait for the identity's key grant to propagate.
 *
 * Hierarchical namespace stays off: AHDS `$export` writes to blob containers either way, and plain blob storage
 * keeps blob soft delete and versioning simple (the docs disagree on whether HNS is needed; we follow
 * "Configure export settings", which asks only for a storage account the identity can write to).
 */
export class ExportStorage extends pulumi.ComponentResource {
    readonly account: storage.StorageAccount;
    readonly blobService: storage.BlobServiceProperties;
    readonly blobDiagnostics: monitor.DiagnosticSetting;
    readonly grant: authorization.RoleAssignment;
    readonly accountName: pulumi.Output<string>;

    constructor(name: string, args: ExportStorageArgs, opts?: pulumi.ComponentResourceOptions) {
        // Named after its account since 0.2 (was `<account>-export`); its children kept their URNs.
        super(
            "fhir-platform:index:ExportStorage",
            name,
            {},
            { ...componentOptions(opts), aliases: [...(opts?.aliases ?? []), { name: `${name}-export` }] },
        );
        // Encrypted with the key at creation: after what the caller names in opts.dependsOn (the key grant's propagation).
        this.account = new storage.StorageAccount(`${name}-export-storage`, exportStorageInputs(args), {
            parent: this,
            protect: args.protect,
            ...(opts?.dependsOn ? { dependsOn: opts.dependsOn } : {}),
        });
        this.blobService = new storage.BlobServiceProperties(
            `${name}-export-blob-service`,
            blobServiceInputs(this.account.name, args.resourceGroupName),
            { parent: this },
        );
        this.blobDiagnostics = new monitor.DiagnosticSetting(
            `${name}-export-blob-audit`,
            diagnosticInputs(this.blobService.id, args.logAnalyticsWorkspaceId, STORAGE_BLOB_LOG_CATEGORIES, "Transaction"),
            { parent: this },
        );
        this.grant = roleGrant(
            `${name}-export-blob-grant`,
            {
                account: args.account,
                stack: args.stack,
                subscriptionId: args.subscriptionId,
                role: "Storage Blob Data Contributor",
                scope: this.account.id,
                principalId: args.identityPrincipalId,
                principalType: "ServicePrincipal",
                key: "identity/export-storage",
                description: `FHIR service identity of ${args.account} writes $export output`,
            },
            { parent: this },
        );
        this.accountName = this.account.name;
        this.registerOutputs({ accountName: this.accountName });
    }
}

/** The storage account's inputs (pure: the bench's flat baseline registers the same). */
export function exportStorageInputs(
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
        | "redundancy"
        | "tags"
    >,
): storage.StorageAccountArgs {
    return {
        accountName: pulumi.interpolate`${names.storage(args.account, "")}${args.suffix}`,
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
            resourceAccessRules: [
                { tenantId: args.tenantId, resourceId: args.fhirServiceResourceId },
                { tenantId: args.tenantId, resourceId: args.workspaceResourceId },
            ],
        },
        tags: args.tags,
    };
}

/** Blob and container soft delete on the export storage. */
export function blobServiceInputs(
    accountName: pulumi.Input<string>,
    resourceGroupName: pulumi.Input<string>,
): storage.BlobServicePropertiesArgs {
    return {
        accountName,
        resourceGroupName,
        blobServicesName: "default",
        deleteRetentionPolicy: { enabled: true, days: EXPORT_SOFT_DELETE_DAYS },
        containerDeleteRetentionPolicy: { enabled: true, days: EXPORT_SOFT_DELETE_DAYS },
    };
}
