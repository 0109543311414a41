/** Storage: `$export` / `$import` data is PHI; the account that holds it takes Entra ID over TLS 1.2+ only. */
import * as storage from "@pulumi/azure-native/storage";
import { validateResourceOfType } from "@pulumi/policy";
import { FhirResourcePolicy } from "./common";

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
    remediationSteps: "Set minimumTlsVersion: \"TLS1_2\" (or \"TLS1_3\") on the storage account.",
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
        if (account.allowBlobPublicAccess !== false) reportViolation("anonymous blob access is not forbidden: one container setting away from public PHI");
    }),
};

export const storageNoSharedKey: FhirResourcePolicy = {
    name: "storage-no-shared-key",
    description: "Storage accounts disable shared key (account key and SAS) access, so every access is an Entra ID identity with a role.",
    enforcementLevel: "mandatory",
    remediationSteps: "Set allowSharedKeyAccess: false (and defaultToOAuthAuthentication: true); grant Storage Blob Data roles instead of handing out keys.",
    validateResource: validateResourceOfType(storage.StorageAccount, (account, _args, reportViolation) => {
        if (account.allowSharedKeyAccess !== false) reportViolation("shared key access is allowed: anyone with an account key or SAS bypasses RBAC");
    }),
};

export const storagePolicies = [storageHttpsOnly, storageMinimumTls, storageNoPublicBlobAccess, storageNoSharedKey];
