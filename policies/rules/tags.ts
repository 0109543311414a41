/**
 * Tags: every resource says which account it belongs to (or, for stack-wide resources, which platform scope), which
 * is what the isolation and cost reports read, and carries the tags the organisation requires. Role assignments cannot
 * be tagged: they carry the account in their description.
 */
import { ACCOUNT_TAG, PLATFORM_TAG, accountFromDescription } from "../../azure/naming";
import { type FhirResourcePolicy, TYPES, obj, str } from "./common";

/**
 * azure-native types with no `tags` input, because Azure gives them no tags (tagging them is impossible, not
 * forgotten): no tag rule ever flags them.
 */
export const UNTAGGABLE_TYPES: readonly string[] = [
    TYPES.roleAssignment,
    TYPES.lockAtResourceGroup,
    TYPES.lockAtResource,
    TYPES.lockAtSubscription,
    TYPES.lockByScope,
    TYPES.diagnosticSetting,
    TYPES.blobService,
    TYPES.privateDnsZoneGroup,
    TYPES.federatedCredential,
    TYPES.subscriptionDiagnosticSetting,
    TYPES.logAnalyticsTable,
    TYPES.managementPolicy,
    TYPES.blobContainer,
    TYPES.objectReplicationPolicy,
];

/** Resources a tag rule looks at: Azure resources that can carry tags. */
function taggable(type: string): boolean {
    return type.startsWith("azure-native:") && !UNTAGGABLE_TYPES.includes(type);
}

export const resourcesTagged: FhirResourcePolicy = {
    name: "resources-tagged",
    description:
        `Every Azure resource that can carry tags has the ${ACCOUNT_TAG} tag (or ${PLATFORM_TAG} for stack-wide resources); ` +
        `role assignments, which cannot, carry "[fhir-platform account=<name>]" in their description.`,
    enforcementLevel: "mandatory",
    remediationSteps:
        `Create resources through the platform components (they tag everything); for a hand-written resource, add tags ` +
        `{ "${ACCOUNT_TAG}": "<account>" } or { "${PLATFORM_TAG}": "<scope>" }, and build role assignment descriptions ` +
        `with accountDescription() from azure/naming.ts.`,
    validateResource: (args, reportViolation) => {
        if (args.type === TYPES.roleAssignment) {
            if (accountFromDescription(args.props.description) === undefined) {
                reportViolation(`role assignment '${args.name}' has no "[fhir-platform account=<name>]" marker in its description`);
            }
            return;
        }
        if (!taggable(args.type)) return;
        const tags = obj(args.props.tags);
        if (!str(tags?.[ACCOUNT_TAG]) && !str(tags?.[PLATFORM_TAG])) {
            reportViolation(`${args.type} '${args.name}' has neither the ${ACCOUNT_TAG} nor the ${PLATFORM_TAG} tag`);
        }
    },
};

export interface RequiredTagsConfig {
    requiredTags: string[];
}

export const requiredTags: FhirResourcePolicy = {
    name: "required-tags",
    description:
        "Every Azure resource that can carry tags has the tags the organisation requires (config `requiredTags`, e.g. owner, " +
        "environment, dataClassification; default none), each with a value. Tag names compare case-insensitively, as in Azure.",
    enforcementLevel: "mandatory",
    remediationSteps:
        "Add the tags to stack config fhir-platform:tags (every resource gets them) or to the account's tags; resources that Azure " +
        "cannot tag are never checked.",
    configSchema: {
        properties: {
            requiredTags: {
                type: "array",
                items: { type: "string", minLength: 1 },
                uniqueItems: true,
                default: [],
                description: "Tag names every taggable resource must carry with a non-empty value.",
            },
        },
    },
    validateResource: (args, reportViolation) => {
        const { requiredTags: required } = args.getConfig<RequiredTagsConfig>();
        if (required.length === 0 || !taggable(args.type)) return;
        const present = new Set(
            Object.entries(obj(args.props.tags) ?? {})
                .filter(([, v]) => str(v) !== undefined)
                .map(([k]) => k.toLowerCase()),
        );
        const missing = required.filter((t) => !present.has(t.toLowerCase()));
        if (missing.length > 0)
            reportViolation(`${args.type} '${args.name}' lacks required tag${missing.length === 1 ? "" : "s"} ${missing.join(", ")}`);
    },
};

export const tagPolicies = [resourcesTagged, requiredTags];
