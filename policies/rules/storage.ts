/**
 * Storage: `$export` / `$import` data is PHI. The account that holds it takes Entra ID over TLS 1.2+ only, from the
 * account's own FHIR service and trusted Azure services, is encrypted with the account's key (plus a second layer), and
 * keeps deleted blobs and containers recoverable, and deletes exports once they age out. Sources: "Configure export
 * settings", "Customer-managed keys for Azure Storage encryption", "Soft delete for blobs"/"for containers", "Prevent
 * object replication across tenants", "Azure Blob Storage lifecycle management overview".
 */
import * as storage from "@pulumi/azure-native/storage";
import { type PolicyResource, validateResourceOfType } from "@pulumi/policy";
import { EXPORT_RETENTION_DAYS } from "../../azure/facts";
import {
    CHECKED_AT_UP,
    type FhirResourcePolicy,
    type FhirStackPolicy,
    StackIndex,
    TYPES,
    UNKNOWN,
    arr,
    bypassesAzureServices,
    known,
    knownOr,
    label,
    obj,
    str,
} from "./common";

export const storageHttpsOnly: FhirResourcePolicy = {
    name: "storage-https-only",
    description: "Storage accounts accept HTTPS traffic only.",
    enforcementLevel: "mandatory",
    remediationSteps: "Set enableHttpsTrafficOnly: true on the storage account.",
    validateResource: validateResourceOfType(storage.StorageAccount, (account, _args, reportViolation) => {
        if (account.enableHttpsTrafficOnly !== true) reportViolation("HTTPS-only is not set: data could travel in clear text");
    }),
};

const ALLOWED_TLS = ["TLS1_2", "TLS1_3"];
export const storageMinimumTls: FhirResourcePolicy = {
    name: "storage-minimum-tls",
    description: "Storage accounts require TLS 1.2 or later.",
    enforcementLevel: "mandatory",
    remediationSteps: 'Set minimumTlsVersion: "TLS1_2" (or "TLS1_3") on the storage account.',
    validateResource: validateResourceOfType(storage.StorageAccount, (account, _args, reportViolation) => {
        const v = account.minimumTlsVersion;
        if (v === undefined || !ALLOWED_TLS.includes(v)) reportViolation(`minimum TLS version is ${v ?? "unset"}: require TLS1_2 or later`);
    }),
};

export const storageNoPublicBlobAccess: FhirResourcePolicy = {
    name: "storage-no-public-blob-access",
    description: "Storage accounts forbid anonymous (public) blob access.",
    enforcementLevel: "mandatory",
    remediationSteps: "Set allowBlobPublicAccess: false on the storage account.",
    validateResource: validateResourceOfType(storage.StorageAccount, (account, _args, reportViolation) => {
        if (account.allowBlobPublicAccess !== false)
            reportViolation("anonymous blob access is not forbidden: one container setting away from public PHI");
    }),
};

export const storageNoSharedKey: FhirResourcePolicy = {
    name: "storage-no-shared-key",
    description: "Storage accounts disable shared key (account key and SAS) access, so every access is an Entra ID identity with a role.",
    enforcementLevel: "mandatory",
    remediationSteps:
        "Set allowSharedKeyAccess: false (and defaultToOAuthAuthentication: true); grant Storage Blob Data roles instead of handing " +
        "out keys.",
    validateResource: validateResourceOfType(storage.StorageAccount, (account, _args, reportViolation) => {
        if (account.allowSharedKeyAccess !== false)
            reportViolation("shared key access is allowed: anyone with an account key or SAS bypasses RBAC");
    }),
};

/** Public network access off admits private endpoints only: tighter than any firewall. (Not known yet: not known to be off.) */
function publicAccessDisabled(account: { publicNetworkAccess?: string }): boolean {
    return known(() => account.publicNetworkAccess?.toLowerCase()) === "disabled";
}

/**
 * Said by the storage rules: the firewall and encryption settings of export storage name other resources (the FHIR
 * service's ID, the vault's URI, the identity), so on a new stack's first preview the engine may know none of them.
 */
const STORAGE_AT_PREVIEW = `Settings built from other resources may be unknown as a whole on a new stack's first preview. ${CHECKED_AT_UP}`;

export const storageNetworkRestricted: FhirResourcePolicy = {
    name: "storage-network-restricted",
    description:
        `Storage accounts deny network access by default (firewall default action Deny; the FHIR service comes in by ` +
        `resource-instance rule), or disable public access altogether. ${STORAGE_AT_PREVIEW}`,
    enforcementLevel: "mandatory",
    remediationSteps:
        'Set networkRuleSet.defaultAction: "Deny" and admit the account\'s FHIR service and its workspace with ' +
        "networkRuleSet.resourceAccessRules (IP rules do not work for services in the same region).",
    validateResource: validateResourceOfType(storage.StorageAccount, (account, _args, reportViolation) => {
        if (publicAccessDisabled(account)) return;
        const action = known(() => account.networkRuleSet?.defaultAction);
        if (action !== UNKNOWN && action !== "Deny")
            reportViolation(`the storage firewall's default action is ${action ?? "unset (Allow)"}: set it to Deny`);
    }),
};

export const storageTrustedServicesBypass: FhirResourcePolicy = {
    name: "storage-trusted-services-bypass",
    description:
        `A storage account behind a firewall lets trusted Azure services bypass it (Microsoft's export setup: the FHIR ` +
        `service reaches its export storage as a trusted service, besides its resource-instance rule). ${STORAGE_AT_PREVIEW}`,
    enforcementLevel: "mandatory",
    remediationSteps: 'Set networkRuleSet.bypass to include "AzureServices" (e.g. "AzureServices" or "AzureServices, Logging, Metrics").',
    validateResource: validateResourceOfType(storage.StorageAccount, (account, _args, reportViolation) => {
        const rules = known(() => account.networkRuleSet);
        if (rules === UNKNOWN) return;
        const closed = known(() => rules?.defaultAction) === "Deny" || publicAccessDisabled(account);
        const bypass = known(() => rules?.bypass);
        if (closed && bypass !== UNKNOWN && !bypassesAzureServices(bypass)) {
            reportViolation(
                `the storage firewall lets no trusted Azure service through (bypass ${bypass ?? "unset: set it explicitly"}): $export ` +
                    `could not reach it`,
            );
        }
    }),
};

export const storageNoCrossTenantReplication: FhirResourcePolicy = {
    name: "storage-no-cross-tenant-replication",
    description:
        "Storage accounts forbid object replication to other Entra tenants, so exported PHI cannot be copied out of the tenant by a " +
        "replication policy.",
    enforcementLevel: "mandatory",
    remediationSteps:
        "Set allowCrossTenantReplication: false on the storage account (unset, the default depends on when the account was created).",
    validateResource: validateResourceOfType(storage.StorageAccount, (account, _args, reportViolation) => {
        if (account.allowCrossTenantReplication !== false) {
            reportViolation(
                `allowCrossTenantReplication is ${account.allowCrossTenantReplication ?? "unset"}: objects could be replicated to ` +
                    `another tenant`,
            );
        }
    }),
};

export const storageCmkEncryption: FhirResourcePolicy = {
    name: "storage-cmk-encryption",
    description:
        `Storage accounts encrypt exported PHI with the account's customer-managed key (keySource Microsoft.Keyvault, a ` +
        `vault and a key), like the FHIR service itself. ${STORAGE_AT_PREVIEW}`,
    enforcementLevel: "mandatory",
    remediationSteps:
        'Set encryption { keySource: "Microsoft.Keyvault", keyVaultProperties: { keyVaultUri, keyName } (versionless: storage follows ' +
        "new key versions), encryptionIdentity: { encryptionUserAssignedIdentity } } with the account's identity, granted Key Vault " +
        "Crypto Service Encryption User on the key.",
    validateResource: validateResourceOfType(storage.StorageAccount, (account, _args, reportViolation) => {
        const e = known(() => account.encryption);
        if (e === UNKNOWN) return;
        const keySource = known(() => e?.keySource);
        if (keySource === UNKNOWN) return;
        if (keySource?.toLowerCase() !== "microsoft.keyvault") {
            reportViolation(
                `encryption keySource is ${keySource ?? "unset (Microsoft.Storage)"}: data would be encrypted with a ` +
                    `Microsoft-managed key only`,
            );
            return;
        }
        // A vault URI or key name not known yet comes from another resource: it is set.
        const missing = (["keyVaultUri", "keyName"] as const).filter((k) => !known(() => e?.keyVaultProperties?.[k]));
        if (missing.length > 0)
            reportViolation(`encryption.keyVaultProperties lacks ${missing.join(" and ")}: no customer-managed key is named`);
    }),
};

export const storageInfrastructureEncryption: FhirResourcePolicy = {
    name: "storage-infrastructure-encryption",
    description:
        `Storage accounts add infrastructure encryption (a second, platform-managed layer under the customer-managed key); ` +
        `it can only be set at creation. ${STORAGE_AT_PREVIEW}`,
    enforcementLevel: "mandatory",
    remediationSteps:
        "Set encryption.requireInfrastructureEncryption: true when the account is created (an existing account cannot be changed: " +
        "create a new one and point the FHIR service's export at it).",
    validateResource: validateResourceOfType(storage.StorageAccount, (account, _args, reportViolation) => {
        const required = known(() => account.encryption?.requireInfrastructureEncryption);
        if (required !== UNKNOWN && required !== true)
            reportViolation("infrastructure encryption is off: data has one encryption layer only");
    }),
};

export interface SoftDeleteRetentionConfig {
    minimumRetentionDays: number;
}

/** Days Azure accepts for blob and container soft delete. Source: "Soft delete for blobs": 1 to 365. */
const BLOB_SOFT_DELETE_DAYS = { min: 1, max: 365 } as const;
const SOFT_DELETE_POLICIES = { deleteRetentionPolicy: "blob", containerDeleteRetentionPolicy: "container" } as const;

export const storageSoftDelete: FhirStackPolicy = {
    name: "storage-soft-delete",
    description:
        `Every storage account has blob service properties (storage:BlobServiceProperties) with blob and container soft ` +
        `delete on, kept at least the configured days, so deleted exports can be recovered. Config \`minimumRetentionDays\` ` +
        `(${BLOB_SOFT_DELETE_DAYS.min}-${BLOB_SOFT_DELETE_DAYS.max}, default 7).`,
    enforcementLevel: "mandatory",
    remediationSteps:
        'Add a storage:BlobServiceProperties for the account (blobServicesName "default") with deleteRetentionPolicy and ' +
        "containerDeleteRetentionPolicy { enabled: true, days: <at least the minimum> } (the platform keeps 30 days).",
    configSchema: {
        properties: {
            minimumRetentionDays: {
                type: "integer",
                minimum: BLOB_SOFT_DELETE_DAYS.min,
                maximum: BLOB_SOFT_DELETE_DAYS.max,
                default: 7,
                description: "Shortest blob and container soft-delete retention allowed, in days.",
            },
        },
    },
    validateStack: (args, reportViolation) => {
        const { minimumRetentionDays } = args.getConfig<SoftDeleteRetentionConfig>();
        const index = StackIndex.for(args.resources);
        for (const account of index.of(TYPES.storageAccount)) {
            const services = index.blobServicesOf(account);
            if (services.length === 0) {
                reportViolation(
                    `${label(account)} has no blob service properties: blob and container soft delete are off by default`,
                    account.urn,
                );
                continue;
            }
            for (const svc of services) {
                for (const [prop, what] of Object.entries(SOFT_DELETE_POLICIES)) {
                    const policy = obj(svc.props[prop]);
                    const days = typeof policy?.days === "number" ? policy.days : undefined;
                    if (policy?.enabled !== true)
                        reportViolation(`${label(svc)} of ${label(account)}: ${what} soft delete is off`, svc.urn);
                    else if (days === undefined || days < minimumRetentionDays) {
                        reportViolation(
                            `${label(svc)} of ${label(account)}: ${what} soft delete keeps ${days ?? "unset"} days, below the minimum ` +
                                `of ${minimumRetentionDays}`,
                            svc.urn,
                        );
                    }
                }
            }
        }
    },
};

export interface LifecycleConfig {
    maximumDays: number;
}

/** The days after which a delete action fires, from `daysAfterCreationGreaterThan` or `daysAfterModificationGreaterThan`. */
function deleteAfter(action: unknown): number | undefined {
    const d = obj(obj(action)?.delete);
    const n = d?.daysAfterCreationGreaterThan ?? d?.daysAfterModificationGreaterThan;
    return typeof n === "number" ? n : undefined;
}

/**
 * Why the lifecycle rules of a storage account's management policies do not age out every block blob within `maximum`
 * days (and, when `versioned`, their previous versions too), or undefined when one rule does.
 */
function lifecycleGap(policies: PolicyResource[], maximum: number, versioned: boolean): string | undefined {
    const rules = policies.flatMap((p) => arr(obj(knownOr(() => p.props.policy, undefined))?.rules).map(obj));
    const reasons: string[] = [];
    for (const r of rules) {
        if (!r || r.enabled === false || str(r.type)?.toLowerCase() !== "lifecycle") continue;
        const def = obj(r.definition);
        const filters = obj(def?.filters);
        const types = arr(filters?.blobTypes).map((t) => str(t)?.toLowerCase());
        if (!types.includes("blockblob")) continue;
        if (arr(filters?.prefixMatch).length > 0 || arr(filters?.blobIndexMatch).length > 0) {
            reasons.push(`rule '${str(r.name)}' applies to some blobs only (prefix or tag filter)`);
            continue;
        }
        const actions = obj(def?.actions);
        const base = deleteAfter(actions?.baseBlob);
        const versions = deleteAfter(actions?.version);
        if (base === undefined || base > maximum) {
            reasons.push(`rule '${str(r.name)}' deletes blobs ${base === undefined ? "never" : `after ${base} days`}`);
        } else if (versioned && (versions === undefined || versions > maximum)) {
            reasons.push(
                `rule '${str(r.name)}' keeps previous versions ${versions === undefined ? "forever" : `${versions} days`}, and Azure ` +
                    "deletes a blob's current version only once its previous versions are gone",
            );
        } else return undefined;
    }
    return reasons.length ? reasons.join("; ") : "no enabled lifecycle rule deletes block blobs";
}

export const storageLifecycleDelete: FhirStackPolicy = {
    name: "storage-lifecycle-delete",
    description:
        "Every storage account has a lifecycle management policy (storage:ManagementPolicy, by dependency on its `accountName`, " +
        "or by name) with an enabled rule that deletes every block blob (no prefix or tag filter) at most the configured days " +
        "after it was written, and its previous versions too where versioning is on: exported PHI ages out. Config " +
        `\`maximumDays\` (${EXPORT_RETENTION_DAYS.min}-${EXPORT_RETENTION_DAYS.max}, default ${EXPORT_RETENTION_DAYS.max}).`,
    enforcementLevel: "mandatory",
    remediationSteps:
        "Set fhir-platform:exportRetentionDays (or the account's exportRetentionDays); the platform registers a management policy " +
        "named 'default' whose rule deletes base blobs, versions and snapshots that many days after creation.",
    configSchema: {
        properties: {
            maximumDays: {
                type: "integer",
                minimum: EXPORT_RETENTION_DAYS.min,
                maximum: EXPORT_RETENTION_DAYS.max,
                default: EXPORT_RETENTION_DAYS.max,
                description: "Longest a blob may stay in a storage account before a lifecycle rule deletes it, in days.",
            },
        },
    },
    validateStack: (args, reportViolation) => {
        const { maximumDays } = args.getConfig<LifecycleConfig>();
        const index = StackIndex.for(args.resources);
        for (const account of index.of(TYPES.storageAccount)) {
            const policies = index.managementPoliciesOf(account);
            if (policies.length === 0) {
                reportViolation(
                    `${label(account)} has no lifecycle management policy: exported PHI stays until someone deletes it`,
                    account.urn,
                );
                continue;
            }
            const versioned = index.blobServicesOf(account).some((b) => knownOr(() => b.props.isVersioningEnabled, undefined) === true);
            const gap = lifecycleGap(policies, maximumDays, versioned);
            if (gap)
                reportViolation(
                    `${label(account)}: its lifecycle policy does not age out exports within ${maximumDays} days: ${gap}`,
                    policies[0].urn,
                );
        }
    },
};

export const storagePolicies = [
    storageHttpsOnly,
    storageMinimumTls,
    storageNoPublicBlobAccess,
    storageNoSharedKey,
    storageNetworkRestricted,
    storageTrustedServicesBypass,
    storageNoCrossTenantReplication,
    storageCmkEncryption,
    storageInfrastructureEncryption,
    storageSoftDelete,
    storageLifecycleDelete,
];
