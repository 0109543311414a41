/**
 * Ownership tags: every resource says which account it belongs to (or, for stack-wide resources, which platform
 * scope), which is what the isolation and cost reports read. Role assignments cannot be tagged: they carry the
 * account in their description.
 */
import { ACCOUNT_TAG, PLATFORM_TAG, accountFromDescription } from "../../components/naming";
import { FhirResourcePolicy, TYPES, obj, str } from "./common";

/** azure-native types with no `tags` input (tagging them is impossible, not forgotten). */
export const UNTAGGABLE_TYPES: readonly string[] = [TYPES.diagnosticSetting, TYPES.blobService, "azure-native:network:PrivateDnsZoneGroup"];

export const resourcesTagged: FhirResourcePolicy = {
    name: "resources-tagged",
    description: `Every Azure resource carries the ${ACCOUNT_TAG} tag (or ${PLATFORM_TAG} for stack-wide resources); role assignments carry "[fhir-platform account=<name>]" in their description.`,
    enforcementLevel: "mandatory",
    remediationSteps: `Create resources through the platform components (they tag everything); for a hand-written resource, add tags { "${ACCOUNT_TAG}": "<account>" } or { "${PLATFORM_TAG}": "<scope>" }, and build role assignment descriptions with accountDescription() from components/naming.ts.`,
    validateResource: (args, reportViolation) => {
        if (!args.type.startsWith("azure-native:") || UNTAGGABLE_TYPES.includes(args.type)) return;
        if (args.type === TYPES.roleAssignment) {
            if (accountFromDescription(args.props.description) === undefined) {
                reportViolation(`role assignment '${args.name}' has no "[fhir-platform account=<name>]" marker in its description`);
            }
            return;
        }
        const tags = obj(args.props.tags);
        if (!str(tags?.[ACCOUNT_TAG]) && !str(tags?.[PLATFORM_TAG])) {
            reportViolation(`${args.type} '${args.name}' has neither the ${ACCOUNT_TAG} nor the ${PLATFORM_TAG} tag`);
        }
    },
};

export const tagPolicies = [resourcesTagged];
