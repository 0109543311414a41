/**
 * Monitor: the audit trail of PHI and of the keys that protect it reaches Log Analytics. FHIR services send their
 * AuditLogs (who read or changed which PHI), key vaults their AuditEvent (who used or changed a key), export storage
 * its blob reads, writes and deletes. Sources: "Enable diagnostic logging in the FHIR service", "Azure Key Vault
 * logging", "Monitor Azure Blob Storage"; category names in azure/facts.ts.
 */
import type { PolicyResource } from "@pulumi/policy";
import { FHIR_AUDIT_LOG_CATEGORY, KEY_VAULT_AUDIT_LOG_CATEGORY, STORAGE_BLOB_LOG_CATEGORIES } from "../../azure/facts";
import { type FhirStackPolicy, StackIndex, TYPES, arr, label, lookupValue, obj, parseArmId, str } from "./common";

/** What a resource's diagnostic settings must send to Log Analytics: categories, or a category group that holds them all. */
interface LogRequirement {
    categories: readonly string[];
    /** Category groups (lower-case) that include every one of `categories`. */
    groups: readonly string[];
}

/** `audit` and `allLogs` both include the FHIR service's AuditLogs and Key Vault's AuditEvent. */
const AUDIT_GROUPS = ["audit", "alllogs"];
/** Only `allLogs` is sure to include every blob category (StorageRead, StorageWrite and StorageDelete). */
const ALL_LOGS_GROUPS = ["alllogs"];

function toLogAnalytics(index: StackIndex, setting: PolicyResource): boolean {
    if ((setting.propertyDependencies.workspaceId ?? []).some((r) => r.type === TYPES.logAnalytics)) return true;
    const id = str(lookupValue(setting, "workspaceId"));
    return parseArmId(id).kind === "logAnalytics" || index.byArmId(id)?.type === TYPES.logAnalytics;
}

/** The categories of `req` that none of `settings` sends, enabled, to Log Analytics. */
function missingLogs(index: StackIndex, settings: PolicyResource[], req: LogRequirement): string[] {
    const sent = new Set<string>();
    for (const s of settings) {
        if (!toLogAnalytics(index, s)) continue;
        for (const l of arr(s.props.logs)) {
            const log = obj(l);
            if (log?.enabled !== true) continue;
            if (req.groups.includes(str(log.categoryGroup)?.toLowerCase() ?? "")) return [];
            const category = str(log.category);
            if (category) sent.add(category.toLowerCase());
        }
    }
    return req.categories.filter((c) => !sent.has(c.toLowerCase()));
}

/** Reports each of `targets` whose settings (as `settingsOf` finds them) leave any of `req` out of Log Analytics. */
function checkLogs(
    index: StackIndex,
    targets: PolicyResource[],
    settingsOf: (r: PolicyResource) => PolicyResource[],
    req: LogRequirement,
    where: string,
    reportViolation: (message: string, urn?: string) => void,
): void {
    for (const r of targets) {
        const settings = settingsOf(r);
        if (settings.length === 0) {
            reportViolation(`${label(r)} has no diagnostic setting${where}`, r.urn);
            continue;
        }
        const missing = missingLogs(index, settings, req);
        if (missing.length > 0)
            reportViolation(`${label(r)} has diagnostic settings${where}, but none sends ${missing.join(", ")} to Log Analytics`, r.urn);
    }
}

export const fhirAuditDiagnostics: FhirStackPolicy = {
    name: "fhir-audit-diagnostics",
    description:
        `Every FHIR service has a diagnostic setting that sends its ${FHIR_AUDIT_LOG_CATEGORY} (or the audit category group) ` +
        `to a Log Analytics workspace.`,
    enforcementLevel: "mandatory",
    remediationSteps:
        `Add a monitor:DiagnosticSetting with resourceUri = the FHIR service's ID, workspaceId = the platform Log ` +
        `Analytics workspace, and logs [{ category: "${FHIR_AUDIT_LOG_CATEGORY}", enabled: true }].`,
    validateStack: (args, reportViolation) => {
        const index = StackIndex.for(args.resources);
        const req = { categories: [FHIR_AUDIT_LOG_CATEGORY], groups: AUDIT_GROUPS };
        checkLogs(index, index.of(TYPES.fhirService), (r) => index.diagnosticSettingsOn(r), req, "", reportViolation);
    },
};

export const keyVaultAuditDiagnostics: FhirStackPolicy = {
    name: "keyvault-audit-diagnostics",
    description:
        `Every key vault has a diagnostic setting that sends its ${KEY_VAULT_AUDIT_LOG_CATEGORY} log (every use and change ` +
        `of a CMK; or the audit category group) to a Log Analytics workspace.`,
    enforcementLevel: "mandatory",
    remediationSteps:
        `Add a monitor:DiagnosticSetting with resourceUri = the vault's ID, workspaceId = the platform Log Analytics ` +
        `workspace, and logs [{ category: "${KEY_VAULT_AUDIT_LOG_CATEGORY}", enabled: true }].`,
    validateStack: (args, reportViolation) => {
        const index = StackIndex.for(args.resources);
        const req = { categories: [KEY_VAULT_AUDIT_LOG_CATEGORY], groups: AUDIT_GROUPS };
        checkLogs(index, index.of(TYPES.vault), (r) => index.diagnosticSettingsOn(r), req, "", reportViolation);
    },
};

export interface BlobDiagnosticsConfig {
    categories: string[];
}

export const storageBlobDiagnostics: FhirStackPolicy = {
    name: "storage-blob-diagnostics",
    description:
        `Every storage account's blob service has a diagnostic setting that sends ${STORAGE_BLOB_LOG_CATEGORIES.join(", ")} ` +
        `(who read, wrote or deleted exported PHI; or the allLogs category group) to a Log Analytics workspace. Config ` +
        `\`categories\` (default all three).`,
    enforcementLevel: "mandatory",
    remediationSteps:
        `Add a monitor:DiagnosticSetting with resourceUri = the blob service's ID ` +
        `(…/storageAccounts/<name>/blobServices/default, not the account's), workspaceId = the platform Log Analytics ` +
        `workspace, and logs ${STORAGE_BLOB_LOG_CATEGORIES.map((c) => `{ category: "${c}", enabled: true }`).join(", ")}.`,
    configSchema: {
        properties: {
            categories: {
                type: "array",
                items: { enum: [...STORAGE_BLOB_LOG_CATEGORIES] },
                minItems: 1,
                uniqueItems: true,
                default: [...STORAGE_BLOB_LOG_CATEGORIES],
                description: "Blob log categories that must reach Log Analytics.",
            },
        },
    },
    validateStack: (args, reportViolation) => {
        const { categories } = args.getConfig<BlobDiagnosticsConfig>();
        const index = StackIndex.for(args.resources);
        const req = { categories, groups: ALL_LOGS_GROUPS };
        checkLogs(
            index,
            index.of(TYPES.storageAccount),
            (r) => index.blobDiagnosticSettingsOf(r),
            req,
            " on its blob service",
            reportViolation,
        );
    },
};

export const fhirDiagnosticsDestinationType: FhirStackPolicy = {
    name: "fhir-diagnostics-destination-type",
    description:
        "Diagnostic settings of FHIR services leave logAnalyticsDestinationType unset: no resource-specific table is documented for " +
        "the FHIR service, and the API returns the field as null whatever was sent (azure-rest-api-specs #22400), so `Dedicated` is a " +
        "diff on every preview.",
    enforcementLevel: "advisory",
    remediationSteps:
        "Remove logAnalyticsDestinationType from the FHIR service's diagnostic setting (the logs go to the AzureDiagnostics table).",
    validateStack: (args, reportViolation) => {
        const index = StackIndex.for(args.resources);
        for (const fhir of index.of(TYPES.fhirService)) {
            for (const s of index.diagnosticSettingsOn(fhir)) {
                if (str(s.props.logAnalyticsDestinationType)?.toLowerCase() !== "dedicated") continue;
                reportViolation(
                    `${label(s)} on ${label(fhir)} sets logAnalyticsDestinationType Dedicated, which the API returns as null: a ` +
                        `permanent diff`,
                    s.urn,
                );
            }
        }
    },
};

export const diagnosticsPolicies = [fhirAuditDiagnostics, keyVaultAuditDiagnostics, storageBlobDiagnostics, fhirDiagnosticsDestinationType];
