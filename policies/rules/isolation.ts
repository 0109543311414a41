/**
 * Account isolation across the stack: one account's principals never get rights on another account's resources, and
 * an account's FHIR service never runs as, encrypts with, or exports to another account's resources. Accounts are
 * read from the account tag (role assignments carry it in their description, since they cannot be tagged).
 */
import { PolicyResource } from "@pulumi/policy";
import { builtInRoleName } from "../../components/azure";
import { SHARED_MARKER } from "../../components/naming";
import { FhirStackPolicy, StackIndex, TYPES, accountOf, arr, label, obj, parseArmId, str } from "./common";
import { cmkKeysOf, identitiesOf } from "./roleAssignments";

const ACR_PULL = "AcrPull";

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

/** The registry a `$convert-data` login server names (`<registry>.azurecr.io`; ACR names are globally unique), lower-cased. */
function registryOfLoginServer(loginServer: string): string {
    return loginServer.trim().toLowerCase().split(".")[0];
}

export const acrRegistryIsolation: FhirStackPolicy = {
    name: "acr-registry-isolation",
    description: `No account's identity gets ${ACR_PULL} on a container registry that another account's FHIR service lists (acrConfiguration.loginServers) or another account's ${ACR_PULL} grant targets, unless the grant is marked ${SHARED_MARKER} (a registry stack config declares shared): a registry is where an account's $convert-data templates live.`,
    enforcementLevel: "mandatory",
    remediationSteps: `Give each account its own registry for $convert-data templates, or declare the registry shared in stack config (fhir-platform:sharedRegistryIds), which marks every grant on it ${SHARED_MARKER}.`,
    validateStack: (args, reportViolation) => {
        const index = StackIndex.for(args.resources);
        // Only AcrPull grants are read further (their scope is a registry ID from config, known at preview).
        const pulls = index.of(TYPES.roleAssignment).filter((g) => builtInRoleName(str(g.props.roleDefinitionId) ?? "") === ACR_PULL);
        const grantRegistry = new Map<PolicyResource, string>();
        // Accounts using each registry: listed by their FHIR service, or granted on it.
        const users = new Map<string, Set<string>>();
        const use = (registry: string, account: string | undefined) => {
            if (account !== undefined) users.set(registry, (users.get(registry) ?? new Set()).add(account));
        };
        for (const fhir of index.of(TYPES.fhirService)) {
            const account = accountOf(fhir);
            for (const server of arr(obj(fhir.props.acrConfiguration)?.loginServers)) {
                const s = str(server);
                if (s) use(registryOfLoginServer(s), account);
            }
        }
        for (const g of pulls) {
            const target = parseArmId(str(g.props.scope));
            if (target.kind !== "registry") continue;
            grantRegistry.set(g, target.name);
            use(target.name, accountOf(g));
        }
        for (const [g, registry] of grantRegistry) {
            const account = accountOf(g);
            if (account === undefined || str(g.props.description)?.includes(SHARED_MARKER)) continue;
            const others = [...(users.get(registry) ?? [])].filter((a) => a !== account).sort();
            if (others.length === 0) continue;
            const who = others.length === 1 ? `account ${others[0]} also uses` : `accounts ${others.join(", ")} also use`;
            reportViolation(`${label(g)} gives account ${account}'s identity ${ACR_PULL} on registry ${registry}, which ${who}; the grant is not marked ${SHARED_MARKER}`, g.urn);
        }
    },
};

export const isolationPolicies = [accountIsolation, acrRegistryIsolation];
