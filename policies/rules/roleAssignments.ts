/**
 * Role assignments: this stack grants narrow data roles at the narrowest scope, never management roles.
 * Role IDs come from components/azure.ts (Microsoft's built-in roles reference).
 */
import * as authorization from "@pulumi/azure-native/authorization";
import { PolicyResource, validateResourceOfType } from "@pulumi/policy";
import { FHIR_DATA_ROLES, PRIVILEGED_ROLES, VAULT_ADMIN_ROLES, builtInRoleName } from "../../components/azure";
import { FhirResourcePolicy, FhirStackPolicy, StackIndex, TYPES, label, parseArmId, str } from "./common";

const CRYPTO_ROLE = "Key Vault Crypto Service Encryption User";
const BLOB_ROLE = "Storage Blob Data Contributor";

/** Roles that manage access (or everything): refused at any scope. */
const REFUSED_ROLES = PRIVILEGED_ROLES;

export const rbacNoPrivilegedRoles: FhirResourcePolicy = {
    name: "rbac-no-privileged-roles",
    description: `This stack never grants ${REFUSED_ROLES.join(", ")} (they manage access or everything, far beyond what a FHIR account needs), nor ${VAULT_ADMIN_ROLES.join(", ")} at anything broader than one key vault (at a resource group or subscription they reach every account's keys).`,
    enforcementLevel: "mandatory",
    remediationSteps:
        "Grant the narrowest data role instead (FHIR Data roles on the FHIR service, Key Vault Crypto Service Encryption User on the key, Storage Blob Data Contributor on the storage account); scope Key Vault administration roles to one vault or key; platform administrators get management roles outside this stack.",
    validateResource: validateResourceOfType(authorization.RoleAssignment, (ra, _args, reportViolation) => {
        const role = builtInRoleName(ra.roleDefinitionId);
        if (role === undefined) return;
        if ((REFUSED_ROLES as readonly string[]).includes(role)) {
            reportViolation(`grants ${role} at ${ra.scope}`);
            return;
        }
        if (!(VAULT_ADMIN_ROLES as readonly string[]).includes(role)) return;
        const target = parseArmId(ra.scope);
        if (target.kind !== "vault" && target.kind !== "key") reportViolation(`grants ${role} at a ${target.kind} scope (${ra.scope}), broader than one key vault`);
    }),
};

export const rbacFhirRolesAtFhirScope: FhirResourcePolicy = {
    name: "rbac-fhir-roles-at-fhir-scope",
    description: "FHIR data-plane roles are granted only at a FHIR service's scope, never at a workspace, resource group or subscription (which would reach every account's data).",
    enforcementLevel: "mandatory",
    remediationSteps: "Set the role assignment's scope to the FHIR service's resource ID (…/Microsoft.HealthcareApis/workspaces/<ws>/fhirservices/<name>).",
    validateResource: validateResourceOfType(authorization.RoleAssignment, (ra, _args, reportViolation) => {
        const role = builtInRoleName(ra.roleDefinitionId);
        if (!role || !(FHIR_DATA_ROLES as readonly string[]).includes(role)) return;
        const target = parseArmId(ra.scope);
        if (target.kind !== "fhir") reportViolation(`${role} is granted at a ${target.kind} scope (${ra.scope}), not at a FHIR service`);
    }),
};

export const rbacDataRolesAtResourceScope: FhirResourcePolicy = {
    name: "rbac-data-roles-at-resource-scope",
    description: `${CRYPTO_ROLE} is granted only at a key vault or key scope, and ${BLOB_ROLE} only at a storage account (or container) scope.`,
    enforcementLevel: "mandatory",
    remediationSteps: "Scope the crypto grant to the CMK key (…/vaults/<vault>/keys/<key>) and the blob grant to the export storage account; never to a resource group or subscription.",
    validateResource: validateResourceOfType(authorization.RoleAssignment, (ra, _args, reportViolation) => {
        const role = builtInRoleName(ra.roleDefinitionId);
        const target = parseArmId(ra.scope);
        if (role === CRYPTO_ROLE && target.kind !== "key" && target.kind !== "vault") {
            reportViolation(`${role} is granted at a ${target.kind} scope (${ra.scope}), not at a key vault or key`);
        }
        if (role === BLOB_ROLE && target.kind !== "storage") {
            reportViolation(`${role} is granted at a ${target.kind} scope (${ra.scope}), not at a storage account`);
        }
    }),
};

/** The keys a FHIR service's CMK setting points at (by dependency on `encryption`, or by key URL). */
export function cmkKeysOf(index: StackIndex, fhir: PolicyResource): PolicyResource[] {
    const url = str((fhir.props.encryption as { customerManagedKeyEncryption?: { keyEncryptionKeyUrl?: unknown } } | undefined)?.customerManagedKeyEncryption?.keyEncryptionKeyUrl);
    return index.refs(fhir, "encryption", [url]).filter((r) => r.type === TYPES.key);
}

/** The user-assigned identities a FHIR service runs as. */
export function identitiesOf(index: StackIndex, fhir: PolicyResource): PolicyResource[] {
    const ids = (fhir.props.identity as { userAssignedIdentities?: unknown } | undefined)?.userAssignedIdentities;
    // Inputs list identity IDs; outputs (ARM) key a map by them.
    const values = Array.isArray(ids) ? ids : ids && typeof ids === "object" ? Object.keys(ids) : [];
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
    description: `Every FHIR service's identity holds ${CRYPTO_ROLE} on the key (or its vault) that the service's CMK uses; without it the service cannot be created, or answers 500 once access is lost.`,
    enforcementLevel: "mandatory",
    remediationSteps: `Grant ${CRYPTO_ROLE} to the FHIR service's user-assigned identity at the CMK key's scope, and make the FHIR service depend on that grant (and the RBAC propagation wait).`,
    validateStack: (args, reportViolation) => {
        const index = StackIndex.for(args.resources);
        const cryptoGrants = index.of(TYPES.roleAssignment).filter((g) => builtInRoleName(str(g.props.roleDefinitionId) ?? "") === CRYPTO_ROLE);
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
                    reportViolation(`${label(fhir)} runs as ${identities.map(label).join(", ")}, which holds no ${CRYPTO_ROLE} grant on ${label(key)} or its vault`, fhir.urn);
                }
            }
        }
    },
};

export const roleAssignmentPolicies = [rbacNoPrivilegedRoles, rbacFhirRolesAtFhirScope, rbacDataRolesAtResourceScope, fhirIdentityHoldsCryptoRole];
