/**
 * Monitor: the audit trail of PHI and of the keys that protect it reaches Log Analytics, and stays there. FHIR services
 * send their AuditLogs (who read or changed which PHI), key vaults their AuditEvent (who used or changed a key), export
 * storage its blob reads, writes and deletes, every subscription its Activity Log (who changed the control plane); the
 * tables they land in keep them for the configured minimum. Sources: "Enable diagnostic logging in the FHIR service",
 * "Azure Key Vault logging", "Monitor Azure Blob Storage", "Activity log in Azure Monitor", "Manage data retention in a
 * Log Analytics workspace"; category and table names in azure/facts.ts.
 */
import type { PolicyResource } from "@pulumi/policy";
import {
    ACTIVITY_LOG_CATEGORIES,
    AUDIT_LOG_TABLES,
    type AuditLogTable,
    FHIR_AUDIT_LOG_CATEGORY,
    HIPAA_SIX_YEARS_DAYS,
    KEY_VAULT_AUDIT_LOG_CATEGORY,
    LOG_ANALYTICS_RETENTION,
    REQUIRED_ACTIVITY_LOG_CATEGORIES,
    STORAGE_BLOB_LOG_CATEGORIES,
} from "../../azure/facts";
import {
    type FhirStackPolicy,
    StackIndex,
    TYPES,
    arr,
    blobServiceAccountOf,
    knownOr,
    label,
    lookupValue,
    obj,
    parseArmId,
    str,
} from "./common";

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

export interface ActivityLogConfig {
    categories: string[];
    exemptSubscriptions: string[];
}

/** The subscription a resource is deployed into: its explicit azure-native provider's subscriptionId, lower-cased. */
function subscriptionOf(r: PolicyResource): string | undefined {
    return r.provider?.type === "pulumi:providers:azure-native" ? str(r.provider.props.subscriptionId)?.toLowerCase() : undefined;
}

export const subscriptionActivityLog: FhirStackPolicy = {
    name: "subscription-activity-log",
    description:
        "Every subscription the stack deploys into (the subscriptionId of an azure-native provider its resources use) has a " +
        "subscription diagnostic setting (monitor:SubscriptionDiagnosticSetting) that sends the Activity Log to a Log Analytics " +
        "workspace: key URL changes, role assignment deletions and firewall edits are then on record. Config `categories` " +
        `(default ${REQUIRED_ACTIVITY_LOG_CATEGORIES.join(", ")}); \`exemptSubscriptions\` (default []): subscriptions whose ` +
        "Activity Log another stack or an existing setup sends (config `subscriptions[].activityLog: false`).",
    enforcementLevel: "mandatory",
    remediationSteps:
        "Leave subscriptions[].activityLog at true in the stack file of the one stack that owns the subscription's setting (the " +
        "platform then registers it with the subscription's provider); where another stack or an existing setup owns it, list " +
        "the subscription ID in this policy's exemptSubscriptions.",
    configSchema: {
        properties: {
            categories: {
                type: "array",
                items: { enum: [...ACTIVITY_LOG_CATEGORIES] },
                minItems: 1,
                uniqueItems: true,
                default: [...REQUIRED_ACTIVITY_LOG_CATEGORIES],
                description: "Activity Log categories every subscription must send to Log Analytics.",
            },
            exemptSubscriptions: {
                type: "array",
                items: { type: "string", pattern: "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$" },
                uniqueItems: true,
                default: [],
                description: "Subscription IDs whose Activity Log setting is owned outside this stack.",
            },
        },
    },
    validateStack: (args, reportViolation) => {
        const { categories, exemptSubscriptions } = args.getConfig<ActivityLogConfig>();
        const exempt = new Set(exemptSubscriptions.map((s) => s.toLowerCase()));
        const index = StackIndex.for(args.resources);
        // The subscriptions in use, each with the provider that deploys into it (for the report).
        const used = new Map<string, PolicyResource["provider"]>();
        for (const r of args.resources) {
            const sub = r.type.startsWith("azure-native:") ? subscriptionOf(r) : undefined;
            if (sub && !used.has(sub)) used.set(sub, r.provider);
        }
        const settingsBySub = new Map<string, PolicyResource[]>();
        for (const s of index.of(TYPES.subscriptionDiagnosticSetting)) {
            const sub = subscriptionOf(s);
            if (sub) settingsBySub.set(sub, [...(settingsBySub.get(sub) ?? []), s]);
        }
        for (const [sub, provider] of used) {
            if (exempt.has(sub)) continue;
            const where = `subscription ${sub}${provider ? ` (provider '${provider.name}')` : ""}`;
            const settings = settingsBySub.get(sub) ?? [];
            if (settings.length === 0) {
                reportViolation(
                    `${where} has no Activity Log diagnostic setting: who changed keys, role assignments or firewalls is kept 90 days in ` +
                        "the Activity Log only, not in Log Analytics",
                    provider?.urn,
                );
                continue;
            }
            const missing = missingLogs(index, settings, { categories, groups: ALL_LOGS_GROUPS });
            if (missing.length > 0)
                reportViolation(
                    `${where} has an Activity Log setting, but none sends ${missing.join(", ")} to Log Analytics`,
                    settings[0].urn,
                );
        }
    },
};

export interface AuditRetentionConfig {
    minimumRetentionDays: number;
    minimumTotalRetentionDays: number;
}

/** The table a setting's logs land in (settings with a destination type are not judged: the platform sends none). */
function auditTableOf(setting: PolicyResource): AuditLogTable | undefined {
    if (setting.type === TYPES.subscriptionDiagnosticSetting) return "AzureActivity";
    if (str(lookupValue(setting, "logAnalyticsDestinationType"))?.toLowerCase() === "dedicated") return undefined;
    const deps = setting.propertyDependencies.resourceUri ?? [];
    const target =
        deps.length > 0
            ? deps.map((d) => d.type)
            : (() => {
                  const id = str(lookupValue(setting, "resourceUri"));
                  if (blobServiceAccountOf(id) !== undefined) return [TYPES.blobService];
                  const kind = parseArmId(id).kind;
                  return kind === "fhir" ? [TYPES.fhirService] : kind === "vault" ? [TYPES.vault] : [];
              })();
    if (target.includes(TYPES.blobService)) return "StorageBlobLogs";
    if (target.includes(TYPES.fhirService) || target.includes(TYPES.vault)) return "AzureDiagnostics";
    return undefined;
}

/** A workspace as `<resource group>/<name>`, lower-cased (a setting's workspace ID and a table's inputs both give it). */
function workspaceKeyOfId(id: string | undefined): string | undefined {
    const m = /\/resourcegroups\/([^/]+)\/providers\/microsoft\.operationalinsights\/workspaces\/([^/]+)$/.exec(id?.toLowerCase() ?? "");
    return m ? `${m[1]}/${m[2]}` : undefined;
}
function workspaceKeyOf(r: PolicyResource, groupKey: string, nameKey: string): string | undefined {
    const g = str(lookupValue(r, groupKey))?.toLowerCase();
    const n = str(lookupValue(r, nameKey))?.toLowerCase();
    return g && n ? `${g}/${n}` : undefined;
}

/** Days from a retention input: a number, or undefined for "the default" (unset, null or -1). */
function days(v: unknown): number | undefined {
    return typeof v === "number" && v >= 0 ? v : undefined;
}

export const logAnalyticsAuditRetention: FhirStackPolicy = {
    name: "log-analytics-audit-retention",
    description:
        "The Log Analytics tables the stack's audit logs land in (AzureDiagnostics for FHIR AuditLogs and Key Vault AuditEvent, " +
        "StorageBlobLogs for blob logs, AzureActivity for the Activity Log) have a retention setting in the stack " +
        "(operationalinsights:Table) that keeps them at least the configured days, in total and interactively. Judged for " +
        "every workspace the stack creates or manages tables of; an existing workspace whose retention its owner keeps is not " +
        `seen. Config \`minimumTotalRetentionDays\` (default ${HIPAA_SIX_YEARS_DAYS}, six years: HIPAA 45 CFR 164.316(b)(2)(i)), ` +
        `\`minimumRetentionDays\` (default ${LOG_ANALYTICS_RETENTION.interactive.min}).`,
    enforcementLevel: "mandatory",
    remediationSteps:
        "Set fhir-platform:logAnalytics.totalRetentionDays (and retentionDays) to at least the minimum; the platform registers an " +
        "operationalinsights:Table per audit table with those values (with an existing workspace: manageTableRetention: true).",
    configSchema: {
        properties: {
            minimumTotalRetentionDays: {
                type: "integer",
                minimum: LOG_ANALYTICS_RETENTION.total.min,
                maximum: LOG_ANALYTICS_RETENTION.total.max,
                default: HIPAA_SIX_YEARS_DAYS,
                description: "Shortest total retention (analytics + long-term) of an audit table, in days.",
            },
            minimumRetentionDays: {
                type: "integer",
                minimum: LOG_ANALYTICS_RETENTION.tableInteractive.min,
                maximum: LOG_ANALYTICS_RETENTION.tableInteractive.max,
                default: LOG_ANALYTICS_RETENTION.interactive.min,
                description: "Shortest analytics (interactive) retention of an audit table, in days.",
            },
        },
    },
    validateStack: (args, reportViolation) => {
        const { minimumRetentionDays, minimumTotalRetentionDays } = args.getConfig<AuditRetentionConfig>();
        const index = StackIndex.for(args.resources);
        const workspaces = index.of(TYPES.logAnalytics);
        const workspaceByKey = new Map<string, PolicyResource>();
        for (const w of workspaces) {
            const k = workspaceKeyOf(w, "resourceGroupName", "workspaceName");
            if (k) workspaceByKey.set(k, w);
        }
        // A workspace is named by its resource when the stack has it, else by resource group and name.
        const ref = (dep: PolicyResource | undefined, key: string | undefined): string | undefined =>
            (dep ?? (key ? workspaceByKey.get(key) : undefined))?.urn ?? key;

        const tables = new Map<string, PolicyResource[]>();
        for (const t of index.of(TYPES.logAnalyticsTable)) {
            const dep = (t.propertyDependencies.workspaceName ?? []).find((d) => d.type === TYPES.logAnalytics);
            const w = ref(dep, workspaceKeyOf(t, "resourceGroupName", "workspaceName"));
            if (w) tables.set(w, [...(tables.get(w) ?? []), t]);
        }
        const required = new Map<string, Map<AuditLogTable, PolicyResource>>();
        for (const s of [...index.of(TYPES.diagnosticSetting), ...index.of(TYPES.subscriptionDiagnosticSetting)]) {
            const table = auditTableOf(s);
            const sends = arr(s.props.logs).some((l) => obj(l)?.enabled === true);
            if (!table || !sends) continue;
            const dep = (s.propertyDependencies.workspaceId ?? []).find((d) => d.type === TYPES.logAnalytics);
            const w = ref(dep, workspaceKeyOfId(str(lookupValue(s, "workspaceId"))));
            if (!w) continue;
            const need = required.get(w) ?? new Map<AuditLogTable, PolicyResource>();
            if (!need.has(table)) need.set(table, s);
            required.set(w, need);
        }
        const byUrn = new Map(workspaces.map((w) => [w.urn, w]));
        for (const [w, need] of required) {
            const own = tables.get(w) ?? [];
            const workspace = byUrn.get(w);
            // An existing workspace the stack manages no table of: its owner keeps its retention; not seen here.
            if (!workspace && own.length === 0) continue;
            const wsLabel = workspace ? label(workspace) : `workspace '${w}'`;
            const workspaceDays = days(knownOr(() => workspace?.props.retentionInDays, undefined));
            for (const [table, setting] of need) {
                const t = own.find((x) => str(lookupValue(x, "tableName"))?.toLowerCase() === table.toLowerCase());
                if (!t) {
                    reportViolation(
                        `${AUDIT_LOG_TABLES[table]} land in table ${table} of ${wsLabel} (from ${label(setting)}), which has no retention ` +
                            "setting in the stack: Azure keeps them for the workspace's default retention only",
                        workspace?.urn ?? setting.urn,
                    );
                    continue;
                }
                const interactive = days(knownOr(() => t.props.retentionInDays, undefined)) ?? workspaceDays;
                const total = days(knownOr(() => t.props.totalRetentionInDays, undefined)) ?? interactive;
                if (total === undefined || total < minimumTotalRetentionDays) {
                    reportViolation(
                        `${label(t)} (${table} of ${wsLabel}) keeps ${AUDIT_LOG_TABLES[table]} ` +
                            `${total === undefined ? "for the workspace's default retention (not in the stack)" : `${total} days`} in total, below ` +
                            `the minimum of ${minimumTotalRetentionDays}`,
                        t.urn,
                    );
                }
                if (interactive !== undefined && interactive < minimumRetentionDays) {
                    reportViolation(
                        `${label(t)} (${table} of ${wsLabel}) keeps ${interactive} days of analytics retention, below the minimum of ` +
                            `${minimumRetentionDays}`,
                        t.urn,
                    );
                }
            }
        }
    },
};

export const diagnosticsPolicies = [
    fhirAuditDiagnostics,
    keyVaultAuditDiagnostics,
    storageBlobDiagnostics,
    fhirDiagnosticsDestinationType,
    subscriptionActivityLog,
    logAnalyticsAuditRetention,
];
