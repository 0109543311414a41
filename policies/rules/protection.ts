/**
 * Pulumi protection for resources that hold data or keys. The engine passes each resource's `protect` option to
 * resource policies; this stays advisory by default, since short-lived test stacks turn protection off on purpose
 * (config `protectStatefulResources`), and Key Vault purge protection already guards the keys themselves.
 */
import { type FhirResourcePolicy, TYPES } from "./common";

/**
 * Types whose deletion loses data or access to it: the user-assigned identity too (azure-native replaces by deleting
 * first, and a FHIR service whose identity is gone cannot unwrap its key: docs/keys.md), private DNS zones (every
 * private account resolves through them: docs/network.md), and the Log Analytics tables' retention settings (removing one
 * hands the audit evidence back to the workspace's default retention).
 */
export const STATEFUL_TYPES = [
    TYPES.resourceGroup,
    TYPES.identity,
    TYPES.vault,
    TYPES.key,
    TYPES.storageAccount,
    TYPES.healthWorkspace,
    TYPES.fhirService,
    TYPES.logAnalytics,
    TYPES.logAnalyticsTable,
    TYPES.privateDnsZone,
];

export interface ProtectionConfig {
    resourceTypes: string[];
}

export const statefulResourcesProtected: FhirResourcePolicy = {
    name: "stateful-resources-protected",
    description:
        "Resources that hold data, keys, audit logs, the identity that unwraps the key, or the private DNS names are protected in " +
        "Pulumi, so no `pulumi destroy` or replacement deletes them by accident.",
    enforcementLevel: "advisory",
    remediationSteps:
        "Set fhir-platform:protectStatefulResources: true in the stack config (components pass `protect` to these resources); to " +
        "delete one on purpose, `pulumi state unprotect <urn>` first.",
    configSchema: {
        properties: {
            resourceTypes: {
                type: "array",
                items: { type: "string" },
                default: STATEFUL_TYPES,
                description: "Resource types that must be protected.",
            },
        },
    },
    validateResource: (args, reportViolation) => {
        const { resourceTypes } = args.getConfig<ProtectionConfig>();
        if (!resourceTypes.includes(args.type)) return;
        if (args.opts.protect !== true) reportViolation(`${args.type} '${args.name}' is not protected`);
    },
};

export const protectionPolicies = [statefulResourcesProtected];
