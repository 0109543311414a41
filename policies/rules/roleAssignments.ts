/**
 * Role assignments: this stack grants narrow data roles at the narrowest scope, never management roles.
 * Role IDs come from azure/facts.ts (Microsoft's built-in roles reference).
 *
 * The scope rules are stack policies: a grant's scope is usually another resource's ID, which the engine does not know
 * before that resource exists (a new stack's first preview), while the resource it depends on is known. Resource
 * policies get no dependencies, so they would skip every such grant at preview.
 */
import type { PolicyResource } from "@pulumi/policy";
import { type BuiltInRoleName, FHIR_DATA_ROLES, PRIVILEGED_ROLES, VAULT_ADMIN_ROLES, builtInRoleName } from "../../azure/facts";
import { type ArmTarget, type FhirStackPolicy, StackIndex, TYPES, UNKNOWN, known, knownOr, label, parseArmId, str } from "./common";

const CRYPTO_ROLE = "Key Vault Crypto Service Encryption User";
const BLOB_ROLE = "Storage Blob Data Contributor";

/** Roles that manage access (or everything): refused at any scope. */
const REFUSED_ROLES = PRIVILEGED_ROLES;

/**
 * The built-in role a grant gives, if it is one. A role definition ID not known at preview depends on a resource of
 * the stack (a custom role definition), so it is none of the built-in roles.
 */
export function roleOf(grant: PolicyResource): BuiltInRoleName | undefined {
    return knownOr(() => builtInRoleName(str(grant.props.roleDefinitionId) ?? ""), undefined);
}

/**
 * The ARM resource types a scope can depend on: the kind of target their IDs are, and how deep in ARM's hierarchy they
 * sit (a scope built on a resource's ID names that resource or one below it).
 */
const SCOPE_TYPES: ReadonlyMap<string, { kind: ArmTarget["kind"]; depth: number }> = new Map([
    [TYPES.resourceGroup, { kind: "resourceGroup", depth: 1 }],
    [TYPES.vault, { kind: "vault", depth: 2 }],
    [TYPES.storageAccount, { kind: "storage", depth: 2 }],
    [TYPES.healthWorkspace, { kind: "healthWorkspace", depth: 2 }],
    [TYPES.identity, { kind: "identity", depth: 2 }],
    [TYPES.logAnalytics, { kind: "logAnalytics", depth: 2 }],
    [TYPES.containerRegistry, { kind: "registry", depth: 2 }],
    [TYPES.key, { kind: "key", depth: 3 }],
    [TYPES.blobService, { kind: "storage", depth: 3 }],
    [TYPES.fhirService, { kind: "fhir", depth: 3 }],
] as const);

/** What a grant's scope is: its kind (`undefined` when it cannot be told before deployment) and words for messages. */
export interface GrantScope {
    kind: ArmTarget["kind"] | undefined;
    text: string;
}

/**
 * The scope of a grant: parsed from its ID when known; before the first deployment (ID unknown), the kind of the
 * deepest ARM resource the scope depends on. A scope that also depends on something that is not an ARM resource (a
 * random suffix, a component) was assembled from generated names: what it names cannot be told until it is deployed.
 */
export function grantScope(grant: PolicyResource): GrantScope {
    const scope = known(() => str(grant.props.scope));
    if (scope !== UNKNOWN) return { kind: parseArmId(scope).kind, text: scope ?? "unset" };
    const deps = (grant.propertyDependencies.scope ?? []).filter((d) => !d.type.startsWith("pulumi:providers:"));
    const typed = deps.map((d) => ({ d, t: SCOPE_TYPES.get(d.type) }));
    const deepest = typed.reduce<(typeof typed)[number] | undefined>(
        (best, x) => (x.t && (!best?.t || x.t.depth > best.t.depth) ? x : best),
        undefined,
    );
    if (deepest?.t === undefined || typed.some((x) => x.t === undefined)) {
        return { kind: undefined, text: `an ID assembled from ${deps.length > 0 ? deps.map(label).join(", ") : "values not known yet"}` };
    }
    return { kind: deepest.t.kind, text: `the ID of ${label(deepest.d)}, not known before deployment` };
}

/** "a key scope", or, for a scope that cannot be told before deployment, what it is built from. */
function scopeWords(s: GrantScope): string {
    if (s.kind === undefined) return `a scope that cannot be told before deployment (${s.text})`;
    return `${/^[aeiou]/.test(s.kind) ? "an" : "a"} ${s.kind} scope (${s.text})`;
}

/** Reports, for each role assignment of the stack with a role `check` cares about, what `check` finds wrong. */
function checkGrants(
    args: { resources: PolicyResource[] },
    reportViolation: (message: string, urn?: string) => void,
    check: (role: BuiltInRoleName, scope: () => GrantScope) => string | undefined,
): void {
    for (const grant of StackIndex.for(args.resources).of(TYPES.roleAssignment)) {
        const role = roleOf(grant);
        if (role === undefined) continue;
        const message = check(role, () => grantScope(grant));
        if (message !== undefined) reportViolation(message, grant.urn);
    }
}

const UNDECIDED_SCOPE =
    "Before the first deployment a scope given as a resource's ID is decided by the type of that resource (the scope property's " +
    "dependency); a scope assembled from generated names (a random suffix) cannot be told and is refused.";

export const rbacNoPrivilegedRoles: FhirStackPolicy = {
    name: "rbac-no-privileged-roles",
    description:
        `This stack never grants ${REFUSED_ROLES.join(", ")} (they manage access or everything, far beyond what a FHIR ` +
        `account needs), nor ${VAULT_ADMIN_ROLES.join(", ")} at anything broader than one key vault (at a resource group or ` +
        `subscription they reach every account's keys). ${UNDECIDED_SCOPE}`,
    enforcementLevel: "mandatory",
    remediationSteps:
        "Grant the narrowest data role instead (FHIR Data roles on the FHIR service, Key Vault Crypto Service Encryption User on the " +
        "key, Storage Blob Data Contributor on the storage account); scope Key Vault administration roles to one vault or key (its " +
        "`id`); platform administrators get management roles outside this stack.",
    validateStack: (args, reportViolation) =>
        checkGrants(args, reportViolation, (role, scopeOf) => {
            if ((REFUSED_ROLES as readonly string[]).includes(role)) return `grants ${role} at ${scopeOf().text}`;
            if (!(VAULT_ADMIN_ROLES as readonly string[]).includes(role)) return undefined;
            const scope = scopeOf();
            return scope.kind === "vault" || scope.kind === "key"
                ? undefined
                : `grants ${role} at ${scopeWords(scope)}, broader than one key vault`;
        }),
};

export const rbacFhirRolesAtFhirScope: FhirStackPolicy = {
    name: "rbac-fhir-roles-at-fhir-scope",
    description:
        `FHIR data-plane roles are granted only at a FHIR service's scope, never at a workspace, resource group or ` +
        `subscription (which would reach every account's data). ${UNDECIDED_SCOPE}`,
    enforcementLevel: "mandatory",
    remediationSteps:
        "Set the role assignment's scope to the FHIR service's resource ID (its `id`: " +
        "…/Microsoft.HealthcareApis/workspaces/<ws>/fhirservices/<name>).",
    validateStack: (args, reportViolation) =>
        checkGrants(args, reportViolation, (role, scopeOf) => {
            if (!(FHIR_DATA_ROLES as readonly string[]).includes(role)) return undefined;
            const scope = scopeOf();
            return scope.kind === "fhir" ? undefined : `${role} is granted at ${scopeWords(scope)}, not at a FHIR service`;
        }),
};

export const rbacDataRolesAtResourceScope: FhirStackPolicy = {
    name: "rbac-data-roles-at-resource-scope",
    description:
        `${CRYPTO_ROLE} is granted only at a key vault or key scope, and ${BLOB_ROLE} only at a storage account (or ` +
        `container) scope. ${UNDECIDED_SCOPE}`,
    enforcementLevel: "mandatory",
    remediationSteps:
        "Scope the crypto grant to the CMK key (its `id`: …/vaults/<vault>/keys/<key>) and the blob grant to the export storage " +
        "account; never to a resource group or subscription.",
    validateStack: (args, reportViolation) =>
        checkGrants(args, reportViolation, (role, scopeOf) => {
            if (role === CRYPTO_ROLE) {
                const scope = scopeOf();
                return scope.kind === "key" || scope.kind === "vault"
                    ? undefined
                    : `${role} is granted at ${scopeWords(scope)}, not at a key vault or key`;
            }
            if (role === BLOB_ROLE) {
                const scope = scopeOf();
                return scope.kind === "storage" ? undefined : `${role} is granted at ${scopeWords(scope)}, not at a storage account`;
            }
            return undefined;
        }),
};

/** The keys a FHIR service's CMK setting points at (by dependency on `encryption`, or by key URL). */
export function cmkKeysOf(index: StackIndex, fhir: PolicyResource): PolicyResource[] {
    const url = () =>
        (fhir.props.encryption as { customerManagedKeyEncryption?: { keyEncryptionKeyUrl?: unknown } } | undefined)
            ?.customerManagedKeyEncryption?.keyEncryptionKeyUrl;
    return index.refs(fhir, "encryption", () => [url()]).filter((r) => r.type === TYPES.key);
}

/** The user-assigned identities a FHIR service runs as. */
export function identitiesOf(index: StackIndex, fhir: PolicyResource): PolicyResource[] {
    const values = () => {
        const ids = (fhir.props.identity as { userAssignedIdentities?: unknown } | undefined)?.userAssignedIdentities;
        // Inputs list identity IDs; outputs (ARM) key a map by them.
        return Array.isArray(ids) ? ids : ids && typeof ids === "object" ? Object.keys(ids) : [];
    };
    return index.refs(fhir, "identity", values).filter((r) => r.type === TYPES.identity);
}

/** A value computed once, or the error computing it threw (thrown again on every use, as a recomputation would). */
type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };
function attempt<T>(f: () => T): Outcome<T> {
    try {
        return { ok: true, value: f() };
    } catch (error) {
        return { ok: false, error };
    }
}
function unwrap<T>(o: Outcome<T>): T {
    if (!o.ok) throw o.error;
    return o.value;
}

/**
 * Answers `grants.some((g) => index.refs(g, "scope").some((s) => scopes.has(s)) && index.principals(g).includes(identity))`
 * for many (scopes, identity) pairs in time linear in the grants overall: each grant's scope and principals are resolved
 * once, and only the grants on one of `scopes` are visited, in stack order. Errors (a value unknown at preview) surface
 * exactly where that scan would have met them: a scope that cannot be resolved stops the scan at its grant; principals
 * are read only for grants whose scope matched.
 */
class GrantsOnScopes {
    private readonly scopes: Outcome<PolicyResource[]>[];
    private readonly principals: (Outcome<PolicyResource[]> | undefined)[];
    private readonly byScope = new Map<PolicyResource, number[]>();
    private readonly scopeFailedAt: number;

    constructor(
        private readonly index: StackIndex,
        private readonly grants: PolicyResource[],
    ) {
        this.scopes = grants.map((g) => attempt(() => index.refs(g, "scope")));
        this.principals = grants.map(() => undefined);
        this.scopeFailedAt = this.scopes.findIndex((o) => !o.ok);
        this.scopes.forEach((o, i) => {
            if (!o.ok) return;
            for (const s of o.value) {
                const list = this.byScope.get(s) ?? [];
                if (list[list.length - 1] !== i) list.push(i);
                this.byScope.set(s, list);
            }
        });
    }

    held(scopes: ReadonlySet<PolicyResource>, identity: PolicyResource): boolean {
        const candidates = [...new Set([...scopes].flatMap((s) => this.byScope.get(s) ?? []))].sort((a, b) => a - b);
        const failedAt = this.scopeFailedAt < 0 ? Infinity : this.scopeFailedAt;
        for (const i of candidates) {
            if (i > failedAt) break;
            const principals = (this.principals[i] ??= attempt(() => this.index.principals(this.grants[i])));
            if (unwrap(principals).includes(identity)) return true;
        }
        if (failedAt !== Infinity) unwrap(this.scopes[failedAt]);
        return false;
    }
}

export const fhirIdentityHoldsCryptoRole: FhirStackPolicy = {
    name: "fhir-identity-holds-crypto-role",
    description:
        `Every FHIR service's identity holds ${CRYPTO_ROLE} on the key (or its vault) that the service's CMK uses; without ` +
        `it the service cannot be created, or answers 500 once access is lost.`,
    enforcementLevel: "mandatory",
    remediationSteps:
        `Grant ${CRYPTO_ROLE} to the FHIR service's user-assigned identity at the CMK key's scope, and make the FHIR ` +
        `service depend on that grant (and the RBAC propagation wait).`,
    validateStack: (args, reportViolation) => {
        const index = StackIndex.for(args.resources);
        const cryptoGrants = index.of(TYPES.roleAssignment).filter((g) => roleOf(g) === CRYPTO_ROLE);
        const grants = new GrantsOnScopes(index, cryptoGrants);
        for (const fhir of index.of(TYPES.fhirService)) {
            const keys = cmkKeysOf(index, fhir);
            const identities = identitiesOf(index, fhir);
            // No key or identity managed by this stack: nothing to relate (fhir-cmk-encryption covers a missing CMK).
            if (keys.length === 0 || identities.length === 0) continue;
            for (const key of keys) {
                const scopes = new Set([key, index.vaultOfKey(key)].filter((r): r is PolicyResource => r !== undefined));
                const held = identities.every((identity) => grants.held(scopes, identity));
                if (!held) {
                    reportViolation(
                        `${label(fhir)} runs as ${identities.map(label).join(", ")}, which holds no ${CRYPTO_ROLE} grant on ` +
                            `${label(key)} or its vault`,
                        fhir.urn,
                    );
                }
            }
        }
    },
};

export const roleAssignmentPolicies = [
    rbacNoPrivilegedRoles,
    rbacFhirRolesAtFhirScope,
    rbacDataRolesAtResourceScope,
    fhirIdentityHoldsCryptoRole,
];
