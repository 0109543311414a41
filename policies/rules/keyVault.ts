/** Key Vault: the vault that holds each account's CMK must be recoverable, RBAC-governed and off the open internet. */
import * as keyvault from "@pulumi/azure-native/keyvault";
import { validateResourceOfType } from "@pulumi/policy";
import { KEY_VAULT_SOFT_DELETE_DAYS } from "../../azure/facts";
import { type ExemptAccountsConfig, type FhirResourcePolicy, bypassesAzureServices, exemptAccountsSchema, isExempt } from "./common";

export const keyVaultPurgeProtection: FhirResourcePolicy = {
    name: "keyvault-purge-protection",
    description: "Key vaults have purge protection on, so a deleted CMK vault cannot be purged before its retention ends.",
    enforcementLevel: "mandatory",
    remediationSteps: "Set properties.enablePurgeProtection: true on the vault (it cannot be turned off again once on).",
    validateResource: validateResourceOfType(keyvault.Vault, (vault, _args, reportViolation) => {
        if (vault.properties?.enablePurgeProtection !== true) {
            reportViolation("purge protection is off: a purged vault loses the CMK and with it every FHIR service it encrypts");
        }
    }),
};

export interface SoftDeleteConfig {
    minimumRetentionDays: number;
}

export const keyVaultSoftDelete: FhirResourcePolicy = {
    name: "keyvault-soft-delete",
    description:
        `Key vaults keep soft delete on, with a retention of at least ${KEY_VAULT_SOFT_DELETE_DAYS.min} days (Azure's ` +
        `default is ${KEY_VAULT_SOFT_DELETE_DAYS.default}).`,
    enforcementLevel: "mandatory",
    remediationSteps:
        `Leave properties.enableSoftDelete unset or true, and set properties.softDeleteRetentionInDays between the ` +
        `configured minimum and ${KEY_VAULT_SOFT_DELETE_DAYS.max} (the platform uses ` +
        `${KEY_VAULT_SOFT_DELETE_DAYS.default}).`,
    configSchema: {
        properties: {
            minimumRetentionDays: {
                type: "integer",
                minimum: KEY_VAULT_SOFT_DELETE_DAYS.min,
                maximum: KEY_VAULT_SOFT_DELETE_DAYS.max,
                default: KEY_VAULT_SOFT_DELETE_DAYS.min,
                description: "Shortest soft-delete retention allowed, in days.",
            },
        },
    },
    validateResource: validateResourceOfType(keyvault.Vault, (vault, args, reportViolation) => {
        const { minimumRetentionDays } = args.getConfig<SoftDeleteConfig>();
        const p = vault.properties;
        if (p?.enableSoftDelete === false) {
            reportViolation("soft delete is off: a deleted vault or key cannot be recovered");
            return;
        }
        // Unset means Azure's default (90 days).
        const days = p?.softDeleteRetentionInDays ?? KEY_VAULT_SOFT_DELETE_DAYS.default;
        if (days < minimumRetentionDays) {
            reportViolation(`soft-delete retention is ${days} days, below the minimum of ${minimumRetentionDays}`);
        }
    }),
};

export const keyVaultRbacAuthorization: FhirResourcePolicy = {
    name: "keyvault-rbac-authorization",
    description:
        "Key vaults use Azure RBAC for data-plane access, not access policies, so every grant is a visible, scoped role assignment.",
    enforcementLevel: "mandatory",
    remediationSteps:
        "Set properties.enableRbacAuthorization: true, remove accessPolicies, and grant Key Vault Crypto Service Encryption User at " +
        "the key's scope.",
    validateResource: validateResourceOfType(keyvault.Vault, (vault, _args, reportViolation) => {
        if (vault.properties?.enableRbacAuthorization !== true) {
            reportViolation("RBAC authorization is off: access policies grant vault-wide rights that no role assignment shows");
        }
        if ((vault.properties?.accessPolicies ?? []).length > 0) {
            reportViolation("the vault carries access policies: grant roles instead");
        }
    }),
};

export const keyVaultNetworkRestricted: FhirResourcePolicy = {
    name: "keyvault-network-restricted",
    description:
        "Key vaults deny public network access by default (firewall default action Deny), or disable public access altogether. " +
        "Accounts that open their vault on purpose (keyVaultNetwork: allNetworks) are listed in config `exemptAccounts` (read from " +
        "the account tag).",
    enforcementLevel: "mandatory",
    remediationSteps:
        'Set properties.networkAcls.defaultAction: "Deny" (the account\'s default keyVaultNetwork: trustedServices), or ' +
        'properties.publicNetworkAccess: "Disabled" with a private endpoint; for an account whose vault is open by design ' +
        "(keyVaultNetwork: allNetworks), list the account in this policy's exemptAccounts.",
    configSchema: {
        properties: {
            exemptAccounts: exemptAccountsSchema(
                "Accounts whose vault may accept every network (keyVaultNetwork: allNetworks); Entra ID and RBAC still apply.",
            ),
        },
    },
    validateResource: validateResourceOfType(keyvault.Vault, (vault, args, reportViolation) => {
        const p = vault.properties;
        if (p?.publicNetworkAccess?.toLowerCase() === "disabled") return;
        const action = p?.networkAcls?.defaultAction;
        if (action === "Deny" || isExempt(args, args.getConfig<ExemptAccountsConfig>().exemptAccounts)) return;
        reportViolation(
            `the vault firewall's default action is ${action ?? "unset (Allow)"}: set it to Deny, or exempt the account if its vault ` +
                `is open by design`,
        );
    }),
};

const VAULT_DEFAULT_BYPASS = "AzureServices";

export const keyVaultTrustedServicesBypass: FhirResourcePolicy = {
    name: "keyvault-trusted-services-bypass",
    description:
        "A key vault behind a firewall (default action Deny, or public network access disabled) lets trusted Microsoft services " +
        'bypass it: "Configure customer-managed keys for the FHIR service" requires it, and without it the service loses its key and ' +
        "answers 500.",
    enforcementLevel: "mandatory",
    remediationSteps: 'Set properties.networkAcls.bypass: "AzureServices" on the vault (the platform\'s vaults always do).',
    validateResource: validateResourceOfType(keyvault.Vault, (vault, _args, reportViolation) => {
        const p = vault.properties;
        const closed = p?.networkAcls?.defaultAction === "Deny" || p?.publicNetworkAccess?.toLowerCase() === "disabled";
        // Unset, Key Vault's bypass is AzureServices (Key Vault REST reference, NetworkRuleSet.bypass).
        const bypass = p?.networkAcls?.bypass ?? VAULT_DEFAULT_BYPASS;
        if (closed && !bypassesAzureServices(bypass)) {
            reportViolation(
                `the vault firewall lets no trusted Azure service through (bypass ${bypass}): the FHIR service could not reach its CMK`,
            );
        }
    }),
};

export const keyVaultPolicies = [
    keyVaultPurgeProtection,
    keyVaultSoftDelete,
    keyVaultRbacAuthorization,
    keyVaultNetworkRestricted,
    keyVaultTrustedServicesBypass,
];
