/**
 * The list of policies in the pack, importable without starting the analyzer (constructing a PolicyPack starts a
 * gRPC server): index.ts builds the pack from this list, tests and the offline plan run it directly.
 */
import type { FhirPolicy } from "./rules/common";
import { keyVaultPolicies } from "./rules/keyVault";
import { cmkKeyPolicies } from "./rules/cmkKey";
import { fhirServicePolicies } from "./rules/fhirService";
import { storagePolicies } from "./rules/storage";
import { roleAssignmentPolicies } from "./rules/roleAssignments";
import { isolationPolicies } from "./rules/isolation";
import { diagnosticsPolicies } from "./rules/diagnostics";
import { protectionPolicies } from "./rules/protection";
import { tagPolicies } from "./rules/tags";
import { networkPolicies } from "./rules/network";

export const POLICY_PACK_NAME = "fhir-platform-policies";

export const policies: FhirPolicy[] = [
    ...keyVaultPolicies,
    ...cmkKeyPolicies,
    ...fhirServicePolicies,
    ...storagePolicies,
    ...roleAssignmentPolicies,
    ...isolationPolicies,
    ...diagnosticsPolicies,
    ...networkPolicies,
    ...protectionPolicies,
    ...tagPolicies,
];

export type { FhirPolicy, FhirResourcePolicy, FhirStackPolicy } from "./rules/common";
