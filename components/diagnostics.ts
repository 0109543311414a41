import type * as pulumi from "@pulumi/pulumi";
import type * as monitor from "@pulumi/azure-native/monitor";
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
