/**
 * Every Azure name and Pulumi logical name is derived here, from the account (or workspace group) name and the
 * stack, never from a position in a list: reordering, adding or removing accounts never renames another's resources.
 * Globally unique names (vault, storage, AHDS workspace) end in a random suffix that is created once and kept in state.
 */
import { createHash } from "node:crypto";
import { NAME_RULES, type NamedResourceKind } from "./facts";

/** Account names: 3-12 lowercase letters and digits, starting with a letter (fits every derived Azure name). */
export const ACCOUNT_NAME_PATTERN = /^[a-z][a-z0-9]{2,11}$/;
/** Names of automatically created shared workspace groups (pool01, pool02, ...): reserved, no account may take one. */
export const AUTO_WORKSPACE_GROUP_PATTERN = /^pool\d+$/;
/**
 * Account names the platform uses for itself, each with the reason: an account with this name would derive the same
 * Azure name as a platform resource (one Azure resource, two Pulumi owners).
 */
export const RESERVED_ACCOUNT_NAMES: Readonly<Record<string, string>> = {
    platform: "the platform resource group is rg-fhir-<stack>-platform, which an account named 'platform' would also derive",
};
/** Workspace groups (shared workspaces) follow the same rule. */
export const WORKSPACE_GROUP_PATTERN = ACCOUNT_NAME_PATTERN;
const ACCOUNT_NAME_MAX = 12;

/** Length of the random suffix that makes vault, storage and workspace names globally unique. */
export const SUFFIX_LENGTH = 6;
/** The CMK key's name inside its vault. */
export const CMK_KEY_NAME = "fhir-cmk";

/** Tag naming the account a resource belongs to. Role assignments cannot be tagged: they carry it in their description. */
export const ACCOUNT_TAG = "fhir-platform:account";
/** Tag on stack-wide resources (Log Analytics, shared workspaces), whose value names the scope. */
export const PLATFORM_TAG = "fhir-platform:scope";
/** Tag naming the stack that manages a resource. */
export const STACK_TAG = "fhir-platform:stack";

const DESCRIPTION_MARKER = /\[fhir-platform account=([a-z0-9]+)\]/;
/** Marks a grant on a resource that stack config declares shared between accounts (a `$convert-data` registry). */
export const SHARED_MARKER = "[shared]";
/** Role assignment description carrying the account, since role assignments have no tags. */
export function accountDescription(account: string, text: string): string {
    return `[fhir-platform account=${account}] ${text}`;
}
export function accountFromDescription(description: unknown): string | undefined {
    return typeof description === "string" ? DESCRIPTION_MARKER.exec(description)?.[1] : undefined;
}

/** Resource group names allow what stack names allow; lower-case for uniformity. */
function stackPart(stack: string): string {
    return stack.toLowerCase().replace(/[^a-z0-9-]/g, "-");
}

export const names = {
    platformResourceGroup: (stack: string) => `rg-fhir-${stackPart(stack)}-platform`,
    accountResourceGroup: (stack: string, account: string) => `rg-fhir-${stackPart(stack)}-${account}`,
    workspaceResourceGroup: (stack: string, group: string) => `rg-fhir-${stackPart(stack)}-ws-${group}`,
    logAnalytics: (stack: string) => `log-fhir-${stackPart(stack)}`.slice(0, NAME_RULES.logAnalyticsWorkspace.max).replace(/-+$/, ""),
    identity: (account: string) => `id-fhir-${account}`,
    keyVault: (account: string, suffix: string) => `kv-${account}-${suffix}`,
    storage: (account: string, suffix: string) => `st${account}${suffix}`,
    workspace: (group: string, suffix: string) => `ws${group}${suffix}`,
    fhirService: (account: string) => account,
    privateEndpoint: (group: string) => `pe-ahds-${group}`,
    /** The DNS zone group of a private endpoint (a child of the endpoint: one per endpoint). */
    privateDnsZoneGroup: () => "default",
    /**
     * A private DNS zone's link to a VNet: the VNet's name (for people) and a hash of its full ID (two VNets of the same
     * name in different resource groups or subscriptions get different links). Link names allow 1-80 characters.
     */
    virtualNetworkLink: (virtualNetworkId: string) =>
        `link-${virtualNetworkId.split("/").pop()!.slice(0, 60)}-${createHash("sha256").update(virtualNetworkId.toLowerCase()).digest("hex").slice(0, 8)}`,
    /** Every diagnostic setting the platform creates (one per resource, so one name is enough). */
    diagnosticSetting: () => "audit-to-log-analytics",
    /**
     * A subscription's Activity Log setting: the same name in every stack, so two stacks that would both send one
     * subscription's Activity Log derive the same Azure resource and the ownership check refuses them.
     */
    activityLogSetting: () => "fhir-platform-activity-log",
    /** The second-region storage account holding an account's recovery copy (`sr`, where export storage is `st`). */
    recoveryStorage: (account: string, suffix: string) => `sr${account}${suffix}`,
    /** The container `$export` writes the recovery copy to, replicated to the same container in the second region. */
    recoveryContainer: () => "recovery",
};

/** Longest key vault name the naming scheme can produce (for the 94-character CMK rule). */
export function maxKeyVaultNameLength(): number {
    return names.keyVault("a".repeat(ACCOUNT_NAME_MAX), "0".repeat(SUFFIX_LENGTH)).length;
}

/** Returns a problem text when `name` breaks Azure's rule for `kind`, else undefined. */
export function checkName(kind: NamedResourceKind, name: string): string | undefined {
    const rule = NAME_RULES[kind];
    if (name.length < rule.min || name.length > rule.max) return `${kind} name '${name}' must be ${rule.min}-${rule.max} characters`;
    if (!rule.pattern.test(name)) return `${kind} name '${name}' has characters Azure does not allow`;
    return undefined;
}

/**
 * A stable GUID for a role assignment name (ARM requires a GUID): a name-based UUID (version 5 layout) of the parts,
 * so the same grant always gets the same name and a re-run never creates a duplicate assignment.
 */
export function stableGuid(...parts: string[]): string {
    const h = createHash("sha1").update(parts.join("\u0000")).digest();
    h[6] = (h[6] & 0x0f) | 0x50;
    h[8] = (h[8] & 0x3f) | 0x80;
    const hex = h.subarray(0, 16).toString("hex");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/**
 * The crypto grant's stable key (part of its role assignment name) for one of an account's keys: the first (and usually
 * only) key keeps the original.
 */
export function cryptoGrantKey(keyName: string, firstKeyName: string): string {
    return keyName === firstKeyName ? "identity/cmk" : `identity/cmk/${keyName}`;
}
