/**
 * What every rule file shares: the policy shape this pack insists on (a remediation text on every policy), ARM ID
 * parsing, and a stack index that relates resources the way the engine lets us (property dependencies first, ARM
 * IDs and names second, since the engine may hand a stack policy either).
 */
import { EnforcementLevel, PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { ACCOUNT_TAG, PLATFORM_TAG, accountFromDescription } from "../../components/naming";

/** Every policy in this pack names its level and says how to fix a violation. */
type Documented = { enforcementLevel: Exclude<EnforcementLevel, "remediate" | "disabled">; remediationSteps: string };
export type FhirResourcePolicy = ResourceValidationPolicy & Documented;
export type FhirStackPolicy = StackValidationPolicy & Documented;
export type FhirPolicy = FhirResourcePolicy | FhirStackPolicy;

export function isStackPolicy(p: FhirPolicy): p is FhirStackPolicy {
    return "validateStack" in p && typeof p.validateStack === "function";
}

export const TYPES = {
    resourceGroup: "azure-native:resources:ResourceGroup",
    identity: "azure-native:managedidentity:UserAssignedIdentity",
    vault: "azure-native:keyvault:Vault",
    key: "azure-native:keyvault:Key",
    roleAssignment: "azure-native:authorization:RoleAssignment",
    storageAccount: "azure-native:storage:StorageAccount",
    blobService: "azure-native:storage:BlobServiceProperties",
    healthWorkspace: "azure-native:healthcareapis:Workspace",
    fhirService: "azure-native:healthcareapis:FhirService",
    apiForFhir: "azure-native:healthcareapis:Service",
    privateEndpoint: "azure-native:network:PrivateEndpoint",
    diagnosticSetting: "azure-native:monitor:DiagnosticSetting",
    logAnalytics: "azure-native:operationalinsights:Workspace",
} as const;

/** A value read from props that are typed loosely (stack policies see outputs or inputs). */
export function str(v: unknown): string | undefined {
    return typeof v === "string" && v.length > 0 ? v : undefined;
}
export function obj(v: unknown): Record<string, unknown> | undefined {
    return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}
export function arr(v: unknown): unknown[] {
    return Array.isArray(v) ? v : [];
}

/** What an ARM resource ID (or a Key Vault key URL) points at, lower-cased: Azure compares IDs case-insensitively. */
export type ArmTarget =
    | { kind: "key"; vault: string; key: string }
    | { kind: "vault"; vault: string }
    | { kind: "storage"; account: string }
    | { kind: "fhir"; workspace: string; fhir: string }
    | { kind: "healthWorkspace"; workspace: string }
    | { kind: "identity"; name: string }
    | { kind: "logAnalytics"; name: string }
    | { kind: "resourceGroup"; name: string }
    | { kind: "subscription" }
    | { kind: "other" };

const ARM_PATTERNS: [RegExp, (m: RegExpExecArray) => ArmTarget][] = [
    [/\/providers\/microsoft\.keyvault\/vaults\/([^/]+)\/keys\/([^/]+)(\/[^/]+)?$/, (m) => ({ kind: "key", vault: m[1], key: m[2] })],
    [/\/providers\/microsoft\.keyvault\/vaults\/([^/]+)$/, (m) => ({ kind: "vault", vault: m[1] })],
    // A blob role at a container (or the blob service) of the account is still a storage scope.
    [/\/providers\/microsoft\.storage\/storageaccounts\/([^/]+)(\/blobservices\/[^/]+(\/containers\/[^/]+)?)?$/, (m) => ({ kind: "storage", account: m[1] })],
    [/\/providers\/microsoft\.healthcareapis\/workspaces\/([^/]+)\/fhirservices\/([^/]+)$/, (m) => ({ kind: "fhir", workspace: m[1], fhir: m[2] })],
    [/\/providers\/microsoft\.healthcareapis\/workspaces\/([^/]+)$/, (m) => ({ kind: "healthWorkspace", workspace: m[1] })],
    [/\/providers\/microsoft\.managedidentity\/userassignedidentities\/([^/]+)$/, (m) => ({ kind: "identity", name: m[1] })],
    [/\/providers\/microsoft\.operationalinsights\/workspaces\/([^/]+)$/, (m) => ({ kind: "logAnalytics", name: m[1] })],
    [/^\/subscriptions\/[^/]+\/resourcegroups\/([^/]+)$/, (m) => ({ kind: "resourceGroup", name: m[1] })],
    [/^\/subscriptions\/[^/]+$/, () => ({ kind: "subscription" })],
    // Key Vault data-plane URL: https://<vault>.vault.azure.net/keys/<key>[/<version>]
    [/^https:\/\/([^./]+)\.vault\.[^/]+\/keys\/([^/]+)(\/[^/]*)?$/, (m) => ({ kind: "key", vault: m[1], key: m[2] })],
];

export function parseArmId(id: string | undefined): ArmTarget {
    if (!id) return { kind: "other" };
    const s = id.toLowerCase().replace(/\/+$/, "");
    for (const [re, make] of ARM_PATTERNS) {
        const m = re.exec(s);
        if (m) return make(m);
    }
    return { kind: "other" };
}

/** The same target computed from a resource's own props (names are inputs, so known at preview more often than IDs). */
export function armTargetOf(r: { type: string; props: Record<string, unknown> }): ArmTarget | undefined {
    const p = r.props;
    const lc = (v: unknown) => str(v)?.toLowerCase();
    switch (r.type) {
        case TYPES.key: {
            const vault = lc(p.vaultName), key = lc(p.keyName);
            return vault && key ? { kind: "key", vault, key } : undefined;
        }
        case TYPES.vault: {
            const vault = lc(p.vaultName);
            return vault ? { kind: "vault", vault } : undefined;
        }
        case TYPES.storageAccount: {
            const account = lc(p.accountName);
            return account ? { kind: "storage", account } : undefined;
        }
        case TYPES.fhirService: {
            const workspace = lc(p.workspaceName), fhir = lc(p.fhirServiceName);
            return workspace && fhir ? { kind: "fhir", workspace, fhir } : undefined;
        }
        case TYPES.healthWorkspace: {
            const workspace = lc(p.workspaceName);
            return workspace ? { kind: "healthWorkspace", workspace } : undefined;
        }
        case TYPES.identity: {
            const name = lc(p.resourceName);
            return name ? { kind: "identity", name } : undefined;
        }
        case TYPES.logAnalytics: {
            const name = lc(p.workspaceName);
            return name ? { kind: "logAnalytics", name } : undefined;
        }
        default:
            return undefined;
    }
}

/** A string equal for equal targets (parseArmId and armTargetOf build each kind with its fields in the same order). */
function targetKey(t: ArmTarget): string {
    return JSON.stringify(t);
}

/** The account a resource belongs to: its account tag, or the marker in a role assignment's description. */
export function accountOf(r: { type: string; props: Record<string, unknown> }): string | undefined {
    if (r.type === TYPES.roleAssignment) return accountFromDescription(r.props.description);
    return str(obj(r.props.tags)?.[ACCOUNT_TAG]);
}
/** The platform scope of a stack-wide resource (Log Analytics, shared workspaces), if tagged so. */
export function platformScopeOf(r: { props: Record<string, unknown> }): string | undefined {
    return str(obj(r.props.tags)?.[PLATFORM_TAG]);
}

/**
 * An index over `items` by the keys `keysOf(item)` gives, answering exactly what a scan of `items` in order would,
 * failures included: reading a prop that is unknown at preview throws (the SDK's unknown-checking proxy), so `find` throws
 * the error of the first item it could not read when that item comes before the first hit (a scan would have stopped
 * there), and `filter` throws it whenever there is one (a filter reads every item). Built on first use and then O(1) per
 * lookup, where a scan per lookup made the stack policies quadratic in the number of accounts.
 */
export class ScanIndex<T, K> {
    private built?: { at: Map<K, number[]>; failedAt: number; failure: unknown };

    constructor(
        private readonly items: readonly T[],
        private readonly keysOf: (item: T) => Iterable<K>,
    ) {}

    private index(): NonNullable<ScanIndex<T, K>["built"]> {
        if (this.built) return this.built;
        const at = new Map<K, number[]>();
        let failedAt = Infinity;
        let failure: unknown;
        this.items.forEach((item, i) => {
            let keys: Iterable<K>;
            try {
                keys = this.keysOf(item);
            } catch (e) {
                if (failedAt === Infinity) [failedAt, failure] = [i, e];
                return;
            }
            for (const k of keys) {
                const list = at.get(k);
                if (!list) at.set(k, [i]);
                else if (list[list.length - 1] !== i) list.push(i);
            }
        });
        this.built = { at, failedAt, failure };
        return this.built;
    }

    /** `items.find((x) => keysOf(x) includes k)`, or its error. */
    find(k: K): T | undefined {
        const { at, failedAt, failure } = this.index();
        const first = at.get(k)?.[0];
        if (failedAt < (first ?? Infinity)) throw failure;
        return first === undefined ? undefined : this.items[first];
    }

    /** `items.filter((x) => keysOf(x) includes k)`, in order, or its error. */
    filter(k: K): T[] {
        const { at, failedAt, failure } = this.index();
        if (failedAt !== Infinity) throw failure;
        return (at.get(k) ?? []).map((i) => this.items[i]);
    }
}

const lowerName = (v: unknown): string | undefined => str(v)?.toLowerCase();

/**
 * Relates the resources of a stack: what a property points at, by dependency or by ARM ID/name. Lookups go through
 * `ScanIndex`es built on first use, so a stack policy is linear in the number of resources.
 */
export class StackIndex {
    readonly byType = new Map<string, PolicyResource[]>();
    private readonly byTarget: ScanIndex<PolicyResource, string>;
    private readonly vaultsByName: ScanIndex<PolicyResource, string | undefined>;
    private readonly storageByAccountName: ScanIndex<PolicyResource, string | undefined>;
    private readonly workspacesByName: ScanIndex<PolicyResource, string | undefined>;
    private readonly identitiesByPrincipal: ScanIndex<PolicyResource, string | undefined>;

    private static readonly cache = new WeakMap<readonly PolicyResource[], StackIndex>();

    /**
     * The index of `resources`, made once per array: stack policies given the same `args.resources` share it. (The
     * analyzer gives each stack policy a fresh array, so each policy builds its own; either way in linear time.)
     */
    static for(resources: PolicyResource[]): StackIndex {
        let index = StackIndex.cache.get(resources);
        if (!index) StackIndex.cache.set(resources, (index = new StackIndex(resources)));
        return index;
    }

    constructor(readonly resources: PolicyResource[]) {
        for (const r of resources) {
            const list = this.byType.get(r.type) ?? [];
            list.push(r);
            this.byType.set(r.type, list);
        }
        this.byTarget = new ScanIndex(resources, (r) => {
            const t = armTargetOf(r);
            return t === undefined ? [] : [targetKey(t)];
        });
        this.vaultsByName = new ScanIndex(this.of(TYPES.vault), (v) => [lowerName(v.props.vaultName)]);
        this.storageByAccountName = new ScanIndex(this.of(TYPES.storageAccount), (s) => [lowerName(s.props.accountName)]);
        this.workspacesByName = new ScanIndex(this.of(TYPES.healthWorkspace), (w) => [lowerName(w.props.workspaceName)]);
        this.identitiesByPrincipal = new ScanIndex(this.of(TYPES.identity), (i) => [lowerName(i.props.principalId)]);
    }

    of(type: string): PolicyResource[] {
        return this.byType.get(type) ?? [];
    }

    /** The stack resource an ARM ID or key URL names, if the stack manages it (the first one, in stack order). */
    byArmId(id: string | undefined): PolicyResource | undefined {
        const target = parseArmId(id);
        if (target.kind === "other" || target.kind === "subscription") return undefined;
        return this.byTarget.find(targetKey(target));
    }

    /**
     * The resources property `prop` of `r` refers to: its property dependencies, plus any resource whose ARM ID (or key
     * URL) is one of `values` (default: the property's value). Deduplicated, in dependency order.
     */
    refs(r: PolicyResource, prop: string, values: unknown[] = [r.props[prop]]): PolicyResource[] {
        const out = new Set<PolicyResource>(r.propertyDependencies[prop] ?? []);
        for (const v of values.flatMap((x) => (Array.isArray(x) ? x : [x]))) {
            const hit = this.byArmId(str(v));
            if (hit) out.add(hit);
        }
        return [...out];
    }

    /** The vault a key lives in (by dependency on its vaultName, or by name). */
    vaultOfKey(key: PolicyResource): PolicyResource | undefined {
        const dep = (key.propertyDependencies.vaultName ?? []).find((d) => d.type === TYPES.vault);
        if (dep) return dep;
        return this.vaultsByName.find(lowerName(key.props.vaultName));
    }

    storageByName(name: unknown): PolicyResource | undefined {
        const n = lowerName(name);
        return n ? this.storageByAccountName.find(n) : undefined;
    }

    /** The AHDS workspace named `name` (case-insensitively), the first in stack order. */
    healthWorkspaceByName(name: unknown): PolicyResource | undefined {
        return this.workspacesByName.find(lowerName(name));
    }

    /** Identities a principal ID points at: by dependency, or by the identity's principalId output. */
    principals(grant: PolicyResource): PolicyResource[] {
        const out = new Set<PolicyResource>((grant.propertyDependencies.principalId ?? []).filter((d) => d.type === TYPES.identity));
        const pid = lowerName(grant.props.principalId);
        if (pid) for (const i of this.identitiesByPrincipal.filter(pid)) out.add(i);
        return [...out];
    }
}

/** A short, stable label for messages: `type name`. */
export function label(r: { type: string; name: string }): string {
    return `${r.type.split(":").pop()} '${r.name}'`;
}
