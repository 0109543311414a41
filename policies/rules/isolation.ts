/**
 * Account isolation across the stack: one account's principals never get rights on another account's resources, and
 * an account's FHIR service never runs as, encrypts with, or exports to another account's resources. Accounts are
 * read from the account tag (role assignments carry it in their description, since they cannot be tagged).
 */
import type { PolicyResource } from "@pulumi/policy";
import { SHARED_MARKER } from "../../azure/naming";
import { type FhirStackPolicy, StackIndex, TYPES, accountOf, arr, knownOr, label, lookupValue, obj, parseArmId, str } from "./common";
import { cmkKeysOf, identitiesOf, roleOf } from "./roleAssignments";

const ACR_PULL = "AcrPull";

/**
 * The storage accounts a FHIR service's export (or import) setting names: the accounts the setting depends on, and the
 * one its name names once known.
 */
function storesOf(index: StackIndex, fhir: PolicyResource, setting: string, nameKey: string): PolicyResource[] {
    const byName = index.storageByName(knownOr(() => obj(fhir.props[setting])?.[nameKey], undefined));
    const deps = (fhir.propertyDependencies[setting] ?? []).filter((r) => r.type === TYPES.storageAccount);
    return [...new Set([...deps, ...(byName ? [byName] : [])])];
}

/**
 * What a storage firewall's resource-instance rules admit: services that reach storage through their identity. The rule
 * set's other dependencies (the random suffix its names are built on, a subnet) are not admitted services.
 */
const ADMITTED_TYPES: readonly string[] = [TYPES.fhirService, TYPES.healthWorkspace];

function crossings(owner: PolicyResource, account: string, related: PolicyResource[], what: string): string[] {
    const out: string[] = [];
    for (const r of related) {
        const other = accountOf(r);
        if (other !== undefined && other !== account)
            out.push(`${label(owner)} of account ${account} ${what} ${label(r)} of account ${other}`);
    }
    return out;
}

export const accountIsolation: FhirStackPolicy = {
    name: "account-isolation",
    description:
        "No principal of one account is granted on another account's resources, no account's FHIR service uses another account's " +
        "identity, key or storage, and no storage firewall admits another account's service. Resources are related by property " +
        "dependency first, so this is decided on a new stack's first preview too, except a storage firewall's resource-instance " +
        "rules: they name the FHIR service by its generated names (the service depends on its storage, never the reverse), so on a " +
        "first preview nothing tells which service they admit; that part is decided on later previews (and at the end of `pulumi " +
        "up`).",
    enforcementLevel: "mandatory",
    remediationSteps:
        "Scope each grant to resources of the account named in its description ([fhir-platform account=<name>]) and grant only that " +
        "account's identity; wire each FHIR service to its own account's identity, key and storage.",
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
            const stores = [
                ...storesOf(index, fhir, "exportConfiguration", "storageAccountName"),
                ...storesOf(index, fhir, "importConfiguration", "integrationDataStore"),
            ];
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
            const ids = () => arr(obj(st.props.networkRuleSet)?.resourceAccessRules).map((r) => obj(r)?.resourceId);
            const admitted = index.refs(st, "networkRuleSet", ids).filter((r) => ADMITTED_TYPES.includes(r.type));
            for (const m of crossings(st, account, admitted, "admits through its firewall")) reportViolation(m, st.urn);
        }
    },
};

/** The registry a `$convert-data` login server names (`<registry>.azurecr.io`; ACR names are globally unique), lower-cased. */
function registryOfLoginServer(loginServer: string): string {
    return loginServer.trim().toLowerCase().split(".")[0];
}

/** The name of the registries property `prop` of `r` depends on (registries the stack creates), where known. */
function registriesDependedOn(r: PolicyResource, prop: string): string[] {
    return (r.propertyDependencies[prop] ?? [])
        .filter((d) => d.type === TYPES.containerRegistry)
        .map((d) => str(lookupValue(d, "registryName"))?.toLowerCase())
        .filter((n): n is string => n !== undefined);
}

/**
 * The registries a FHIR service lists for `$convert-data`: by login server, or, before a registry the stack creates
 * exists (its login server unknown), by the registry the setting depends on.
 */
function registriesOfService(fhir: PolicyResource): string[] {
    const servers: (string | undefined)[] = knownOr(() => arr(obj(fhir.props.acrConfiguration)?.loginServers).map((s) => str(s)), []);
    return [
        ...servers.filter((s): s is string => s !== undefined).map(registryOfLoginServer),
        ...registriesDependedOn(fhir, "acrConfiguration"),
    ];
}

/** The registry an AcrPull grant is on: by its scope's ID, or, before that ID is known, the registry the scope depends on. */
function registryOfGrant(g: PolicyResource): string | undefined {
    const target = parseArmId(str(lookupValue(g, "scope")));
    return target.kind === "registry" ? target.name : registriesDependedOn(g, "scope")[0];
}

export const acrRegistryIsolation: FhirStackPolicy = {
    name: "acr-registry-isolation",
    description:
        `No account's identity gets ${ACR_PULL} on a container registry that another account's FHIR service lists ` +
        `(acrConfiguration.loginServers) or another account's ${ACR_PULL} grant targets, unless the grant is marked ` +
        `${SHARED_MARKER} (a registry stack config declares shared): a registry is where an account's $convert-data ` +
        `templates live. A registry the stack creates is related by dependency (and its name) before its ID and login server ` +
        `exist.`,
    enforcementLevel: "mandatory",
    remediationSteps:
        `Give each account its own registry for $convert-data templates, or declare the registry shared in stack config ` +
        `(fhir-platform:sharedRegistryIds), which marks every grant on it ${SHARED_MARKER}.`,
    validateStack: (args, reportViolation) => {
        const index = StackIndex.for(args.resources);
        // Only AcrPull grants are read further.
        const pulls = index.of(TYPES.roleAssignment).filter((g) => roleOf(g) === ACR_PULL);
        const grantRegistry = new Map<PolicyResource, string>();
        // Accounts using each registry: listed by their FHIR service, or granted on it.
        const users = new Map<string, Set<string>>();
        const use = (registry: string, account: string | undefined) => {
            if (account !== undefined) users.set(registry, (users.get(registry) ?? new Set()).add(account));
        };
        for (const fhir of index.of(TYPES.fhirService)) {
            const account = accountOf(fhir);
            for (const registry of registriesOfService(fhir)) use(registry, account);
        }
        for (const g of pulls) {
            const registry = registryOfGrant(g);
            if (registry === undefined) continue;
            grantRegistry.set(g, registry);
            use(registry, accountOf(g));
        }
        for (const [g, registry] of grantRegistry) {
            const account = accountOf(g);
            if (account === undefined || str(g.props.description)?.includes(SHARED_MARKER)) continue;
            const others = [...(users.get(registry) ?? [])].filter((a) => a !== account).sort();
            if (others.length === 0) continue;
            const who = others.length === 1 ? `account ${others[0]} also uses` : `accounts ${others.join(", ")} also use`;
            reportViolation(
                `${label(g)} gives account ${account}'s identity ${ACR_PULL} on registry ${registry}, which ${who}; the grant is not ` +
                    `marked ${SHARED_MARKER}`,
                g.urn,
            );
        }
    },
};

export const isolationPolicies = [accountIsolation, acrRegistryIsolation];
