import type * as pulumi from "@pulumi/pulumi";
import type * as monitor from "@pulumi/azure-native/monitor";
import { ACTIVITY_LOG_CATEGORIES } from "../azure/facts";
import { names } from "../azure/naming";

/**
 * A diagnostic setting sending `categories` (and a metric category) of `resourceUri` to Log Analytics. No
 * `logAnalyticsDestinationType`: for Key Vault and the FHIR service the API returns it as null whatever was sent
 * (azure-rest-api-specs issue #22400), a permanent diff, and no resource-specific table is documented for FHIR.
 */
export function diagnosticInputs(
    resourceUri: pulumi.Input<string>,
    workspaceId: pulumi.Input<string>,
    categories: readonly string[],
    metric: string,
): monitor.DiagnosticSettingArgs {
    return {
        name: names.diagnosticSetting(),
        resourceUri,
        workspaceId,
        logs: categories.map((category) => ({ category, enabled: true })),
        metrics: [{ category: metric, enabled: true }],
    };
}

/**
 * A subscription's Activity Log (control-plane changes: key URL edits, role assignment deletions, firewall changes, Azure
 * Policy effects, Defender alerts) to Log Analytics, every category (azure/facts.ts ACTIVITY_LOG_CATEGORIES). It lands in
 * the AzureActivity table. Registered with the subscription's provider; named the same in every stack, so only one stack
 * can own it (config/ownership.ts).
 */
export function activityLogInputs(workspaceId: pulumi.Input<string>): monitor.SubscriptionDiagnosticSettingArgs {
    return {
        name: names.activityLogSetting(),
        workspaceId,
        logs: ACTIVITY_LOG_CATEGORIES.map((category) => ({ category, enabled: true })),
    };
}
