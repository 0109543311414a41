/** Monitor: every FHIR service sends its audit logs to Log Analytics (who read or changed which PHI, and when). */
import { PolicyResource } from "@pulumi/policy";
import { FHIR_AUDIT_LOG_CATEGORY } from "../../components/azure";
import { FhirStackPolicy, ScanIndex, StackIndex, TYPES, arr, label, obj, parseArmId, str } from "./common";

/** Category groups that include the FHIR service's AuditLogs category. */
const AUDIT_GROUPS = ["audit", "alllogs"];

function sendsAuditLogs(setting: PolicyResource): boolean {
    return arr(setting.props.logs).some((l) => {
        const log = obj(l);
        if (log?.enabled !== true) return false;
        return str(log.category) === FHIR_AUDIT_LOG_CATEGORY || AUDIT_GROUPS.includes(str(log.categoryGroup)?.toLowerCase() ?? "");
    });
}

function toLogAnalytics(index: StackIndex, setting: PolicyResource): boolean {
    if ((setting.propertyDependencies.workspaceId ?? []).some((r) => r.type === TYPES.logAnalytics)) return true;
    return parseArmId(str(setting.props.workspaceId)).kind === "logAnalytics" || index.byArmId(str(setting.props.workspaceId))?.type === TYPES.logAnalytics;
}

export const fhirAuditDiagnostics: FhirStackPolicy = {
    name: "fhir-audit-diagnostics",
    description: `Every FHIR service has a diagnostic setting that sends its ${FHIR_AUDIT_LOG_CATEGORY} (or the audit category group) to a Log Analytics workspace.`,
    enforcementLevel: "mandatory",
    remediationSteps: `Add a monitor:DiagnosticSetting with resourceUri = the FHIR service's ID, workspaceId = the platform Log Analytics workspace, and logs [{ category: "${FHIR_AUDIT_LOG_CATEGORY}", enabled: true }].`,
    validateStack: (args, reportViolation) => {
        const index = StackIndex.for(args.resources);
        // The settings on each resource, resolved once for all settings (not once per FHIR service).
        const settingsOn = new ScanIndex(index.of(TYPES.diagnosticSetting), (s) => index.refs(s, "resourceUri"));
        for (const fhir of index.of(TYPES.fhirService)) {
            const mine = settingsOn.filter(fhir);
            if (mine.length === 0) {
                reportViolation(`${label(fhir)} has no diagnostic setting`, fhir.urn);
            } else if (!mine.some((s) => sendsAuditLogs(s) && toLogAnalytics(index, s))) {
                reportViolation(`${label(fhir)} has diagnostic settings, but none sends ${FHIR_AUDIT_LOG_CATEGORY} to Log Analytics`, fhir.urn);
            }
        }
    },
};

export const diagnosticsPolicies = [fhirAuditDiagnostics];
