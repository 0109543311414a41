/**
 * The CrossGuard entry point the Pulumi CLI runs (`pulumi preview --policy-pack policies`). Constructing the pack
 * starts the analyzer's gRPC server, so nothing else imports this file: use ./policies (the list), or
 * harness/policyRunner.ts to run it without the engine.
 */
import { PolicyPack } from "@pulumi/policy";
import { POLICY_PACK_NAME, policies } from "./policies";

new PolicyPack(POLICY_PACK_NAME, {
    description: "fhir-platform rules: CMK encryption, account isolation, data protection for Azure Health Data Services FHIR.",
    provider: "azure-native",
    tags: ["azure", "fhir", "healthcare", "security"],
    policies,
});
