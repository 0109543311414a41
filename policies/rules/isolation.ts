/**
 * Account isolation across the stack: one account's principals never get rights on another account's resources, and
 * an account's FHIR service never runs as, encrypts with, or exports to another account's resources. Accounts are
 * read from the account tag (role assignments carry it in their description, since they cannot be tagged).
 */
import { PolicyResource } from "@pulumi/policy";
import { FhirStackPolicy, StackIndex, TYPES, accountOf, arr, label, obj, str } from "./common";
import { cmkKeysOf, identitiesOf } from "./roleAssignments";

function crossings(owner: PolicyResource, account: string, related: PolicyResource[], what: string): string[] {
    const out: string[] = [];
    for (const r of related) {
        const other = accountOf(r);
        if (other !== undefined && other !== account) out.push(`${label(owner)} of account ${account} ${what} ${label(r)} of account ${other}`);
    }
    return out;
}

export const accountIsolation: FhirStackPolicy = {
    name: "account-isolation",
    description: "No principal of one account is granted on another account's resources, and no account's FHIR service uses another account's identity, key or storage.",
    enforcementLevel: "mandatory",
    remediationSteps: "Scope each grant to resources of the account named in its description ([fhir-platform account=<name>]) and grant only that account's identity; wire each FHIR service to its own account's identity, key and storage.",
    validateStack: (args, reportViolation) => {
        const index = StackIndex.for(args.resources);
        for (const grant of index.of(TYPES.roleAssignment)) {
            const account = accountOf(grant);
            if (account === undefined) continue; // resources-tagged reports grants without an account
            const found = [
                ...crossings(grant, account, index.refs(grant, "scope"), "grants on"),
                ...crossings(grant, account, index.principals(grant), "grants to"),
            ];
            for (const m of found) reportViolation(m, grant.urn);
        }
        for (const fhir of index.of(TYPES.fhirService)) {
            const account = accountOf(fhir);
            if (account === undefined) continue;
            const exp = obj(fhir.props.exportConfiguration);
            const imp = obj(fhir.props.importConfiguration);
            const stores = [index.storageByName(exp?.storageAccountName), index.storageByName(imp?.integrationDataStore)].filter(
                (r): r is PolicyResource => r !== undefined,
            );
            const found = [
                ...crossings(fhir, account, identitiesOf(index, fhir), "runs as"),
                ...crossings(fhir, account, cmkKeysOf(index, fhir), "is encrypted with"),
                ...crossings(fhir, account, [...new Set(stores)], "exports or imports through"),
            ];
            for (const m of found) reportViolation(m, fhir.urn);
        }
        for (const st of index.of(TYPES.storageAccount)) {
            const account = accountOf(st);
            if (account === undefined) continue;
            const rules = arr(obj(st.props.networkRuleSet)?.resourceAccessRules).map((r) => str(obj(r)?.resourceId));
            const admitted = rules.map((id) => index.byArmId(id)).filter((r): r is PolicyResource => r !== undefined);
            for (const m of crossings(st, account, admitted, "admits through its firewall")) reportViolation(m, st.urn);
        }
    },
};

export const isolationPolicies = [accountIsolation];
