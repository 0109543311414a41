/**
 * The platform's secure defaults: what a stack file (config/schema.ts) and a consumer of the components (components/)
 * may leave out, and the value both then get. One source, so that a platform team using `FhirAccount` from its own
 * program gets what the platform's own stacks get. Azure's own limits and defaults are in facts.ts, with their sources;
 * these are the platform's choices within them.
 */
import { EXPORT_RETENTION_DAYS, HIPAA_SIX_YEARS_DAYS, KEY_ROTATION_DAYS, LOG_ANALYTICS_RETENTION, RBAC_PROPAGATION_SECONDS } from "./facts";
import { CMK_KEY_NAME } from "./naming";

/** Per account. */
export const ACCOUNT_DEFAULTS = {
    /** The CMK's name in the account's vault. */
    keyName: CMK_KEY_NAME,
    /** RSA 3072, the larger of the two sizes the FHIR service accepts (facts.ts CMK_KEY_SIZES). */
    keySize: 3072,
    keyRotationDays: KEY_ROTATION_DAYS.default,
    /** `$export` on: export storage (CMK-encrypted, firewalled, lifecycle-deleted) is created. */
    export: true,
    import: false,
    initialImportMode: false,
    /** The FHIR service's own default: every version kept, for audit. */
    resourceVersionPolicy: "versioned",
    usCoreMissingData: false,
    /** Vault firewall: deny every network, trusted Microsoft services through. */
    keyVaultNetwork: "trustedServices",
} as const;

/** CORS, when an account sets it (only origins are required). */
export const CORS_DEFAULTS = {
    headers: ["*"],
    methods: ["GET", "OPTIONS"],
    allowCredentials: false,
} as const;

/** Per stack (platform). */
export const PLATFORM_DEFAULTS = {
    exportRetentionDays: EXPORT_RETENTION_DAYS.default,
    rbacPropagationSeconds: RBAC_PROPAGATION_SECONDS.default,
    logAnalyticsRetentionDays: LOG_ANALYTICS_RETENTION.interactive.default,
    /** Six years: HIPAA's documentation retention, applied to audit logs. */
    logAnalyticsTotalRetentionDays: HIPAA_SIX_YEARS_DAYS,
} as const;
