/**
 * What every rule file shares: the policy shape this pack insists on (a remediation text on every policy), ARM ID
 * parsing, and a stack index that relates resources the way the engine lets us (property dependencies first, ARM
 * IDs and names second, since the engine may hand a stack policy either).
 */
import * as policySdk from "@pulumi/policy";
import type { EnforcementLevel, PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { AHDS_PRIVATE_LINK_GROUP_ID } from "../../azure/facts";
import { ACCOUNT_TAG, PLATFORM_TAG, accountFromDescription } from "../../azure/naming";

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
    containerRegistry: "azure-native:containerregistry:Registry",
    privateEndpoint: "azure-native:network:PrivateEndpoint",
    privateDnsZoneGroup: "azure-native:network:PrivateDnsZoneGroup",
    privateDnsZone: "azure-native:privatedns:PrivateZone",
    diagnosticSetting: "azure-native:monitor:DiagnosticSetting",
    subscriptionDiagnosticSetting: "azure-native:monitor:SubscriptionDiagnosticSetting",
    logAnalytics: "azure-native:operationalinsights:Workspace",
    logAnalyticsTable: "azure-native:operationalinsights:Table",
    managementPolicy: "azure-native:storage:ManagementPolicy",
    blobContainer: "azure-native:storage:BlobContainer",
    objectReplicationPolicy: "azure-native:storage:ObjectReplicationPolicy",
    federatedCredential: "azure-native:managedidentity:FederatedIdentityCredential",
    lockAtResourceGroup: "azure-native:authorization:ManagementLockAtResourceGroupLevel",
    lockAtResource: "azure-native:authorization:ManagementLockAtResourceLevel",
    lockAtSubscription: "azure-native:authorization:ManagementLockAtSubscriptionLevel",
    lockByScope: "azure-native:authorization:ManagementLockByScope",
} as const;

/**
 * What the SDK's unknown-checking proxy throws when a policy reads a value the engine does not know yet (exported by
 * @pulumi/policy's index.js, but @internal, so stripped from its declarations: this is its runtime shape).
 */
export const UnknownValueError = (policySdk as unknown as { UnknownValueError: new (...args: never[]) => Error }).UnknownValueError;

/** Stands for a value the engine does not know yet: on the first preview of a new stack, what comes from another resource. */
export const UNKNOWN: unique symbol = Symbol("unknown until deployed");
export type Unknown = typeof UNKNOWN;

/**
 * `read()`, or UNKNOWN when it touches a value not known at preview (the proxy throws UnknownValueError, which would make
 * the analyzer skip the whole policy with an advisory "can't run" notice). Other errors pass through.
 */
export function known<T>(read: () => T): T | Unknown {
    try {
        return read();
    } catch (e) {
        if (e instanceof UnknownValueError) return UNKNOWN;
        throw e;
    }
}

/**
 * Said by every resource policy that passes a value it cannot read at preview: the engine analyzes each resource's
 * inputs again when `pulumi up` registers it, once the resources they come from exist, and a mandatory violation then
 * stops the update before the resource is created (pulumi/pulumi pkg/resource/deploy/step_generator.go).
 */
export const CHECKED_AT_UP =
    "A value not known at preview (computed from resources not yet created, as on a new stack's first preview) is checked when " +
    "`pulumi up` registers the resource, before it is created.";

/**
 * Calls `fn` on each item of `items` (a list in props) that is known at preview, with its index; items not known yet are
 * skipped (see CHECKED_AT_UP). Reading an unknown item would otherwise stop the whole policy.
 */
export function forEachKnown<T>(items: readonly T[], fn: (item: T, i: number) => void): void {
    for (let i = 0; i < items.length; i++) {
        const item = known(() => items[i]);
        if (item !== UNKNOWN) fn(item, i);
    }
}

/** `read()`, or `fallback` when it touches a value not known at preview. */
export function knownOr<T, F>(read: () => T, fallback: F): T | F {
    const v = known(read);
    return v === UNKNOWN ? fallback : v;
}

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

/**
 * Whether a firewall's `bypass` lets trusted Azure services through. Key Vault takes one value (`AzureServices` or
 * `None`), storage a comma-separated list (`AzureServices, Logging, Metrics`); both compare case-insensitively.
 */
export function bypassesAzureServices(bypass: string | undefined): boolean {
    return (bypass ?? "").split(",").some((b) => b.trim().toLowerCase() === "azureservices");
}

/** Config of a policy that accounts can opt out of on purpose (read from the account tag). */
export interface ExemptAccountsConfig {
    exemptAccounts: string[];
}
/** The `exemptAccounts` property of a policy's config schema, default none. */
export function exemptAccountsSchema(description: string) {
    return { type: "array", items: { type: "string", minLength: 1 }, default: [], description } as const;
}
/** Whether `r` belongs to an account the policy's config exempts. */
export function isExempt(r: { type: string; props: Record<string, unknown> }, exemptAccounts: readonly string[]): boolean {
    const account = accountOf(r);
    return account !== undefined && exemptAccounts.includes(account);
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
    | { kind: "registry"; name: string }
    | { kind: "resourceGroup"; name: string }
    | { kind: "subscription" }
    | { kind: "other" };

const ARM_PATTERNS: [RegExp, (m: RegExpExecArray) => ArmTarget][] = [
    [/\/providers\/microsoft\.keyvault\/vaults\/([^/]+)\/keys\/([^/]+)(\/[^/]+)?$/, (m) => ({ kind: "key", vault: m[1], key: m[2] })],
    [/\/providers\/microsoft\.keyvault\/vaults\/([^/]+)$/, (m) => ({ kind: "vault", vault: m[1] })],
    // A blob role at a container (or the blob service) of the account is still a storage scope.
    [
        /\/providers\/microsoft\.storage\/storageaccounts\/([^/]+)(\/blobservices\/[^/]+(\/containers\/[^/]+)?)?$/,
        (m) => ({ kind: "storage", account: m[1] }),
    ],
    [
        /\/providers\/microsoft\.healthcareapis\/workspaces\/([^/]+)\/fhirservices\/([^/]+)$/,
        (m) => ({ kind: "fhir", workspace: m[1], fhir: m[2] }),
    ],
    [/\/providers\/microsoft\.healthcareapis\/workspaces\/([^/]+)$/, (m) => ({ kind: "healthWorkspace", workspace: m[1] })],
    [/\/providers\/microsoft\.managedidentity\/userassignedidentities\/([^/]+)$/, (m) => ({ kind: "identity", name: m[1] })],
    [/\/providers\/microsoft\.operationalinsights\/workspaces\/([^/]+)$/, (m) => ({ kind: "logAnalytics", name: m[1] })],
    [/\/providers\/microsoft\.containerregistry\/registries\/([^/]+)$/, (m) => ({ kind: "registry", name: m[1] })],
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
            const vault = lc(p.vaultName),
                key = lc(p.keyName);
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
            const workspace = lc(p.workspaceName),
                fhir = lc(p.fhirServiceName);
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

/**
 * The storage account whose blob service an ARM ID names (`…/storageAccounts/<name>/blobServices/default`),
 * lower-cased. parseArmId reads the same ID as the account itself (a role at the blob service is a storage scope); a
 * diagnostic setting must tell them apart, since blob logs exist on the blob service only.
 */
export function blobServiceAccountOf(id: string | undefined): string | undefined {
    return id
        ? /\/providers\/microsoft\.storage\/storageaccounts\/([^/]+)\/blobservices\/default\/*$/.exec(id.toLowerCase())?.[1]
        : undefined;
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
 * Prop `key` of `r` as a name or ID to look a resource up by; undefined when it is not known yet (on a first preview a
 * name built on a random suffix, or an ID, is unknown: nothing known can name that resource, so there is no match).
 */
export function lookupValue(r: { props: Record<string, unknown> }, key: string): unknown {
    return knownOr(() => r.props[key], undefined);
}
const nameOf = (r: PolicyResource, key: string): string | undefined => lowerName(lookupValue(r, key));
/** A child resource's key within its resource group (names of private endpoints are unique per group, not globally). */
const resourceKey = (r: PolicyResource, groupKey: string, nameKey: string): string | undefined => {
    const g = nameOf(r, groupKey),
        n = nameOf(r, nameKey);
    return g && n ? `${g}/${n}` : undefined;
};
/** The first resource of `type` that property `prop` of `r` depends on. */
function depOfType(r: PolicyResource, prop: string, type: string): PolicyResource | undefined {
    return (r.propertyDependencies[prop] ?? []).find((d) => d.type === type);
}

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
    private readonly blobServicesByAccount: ScanIndex<PolicyResource, PolicyResource | undefined>;
    private readonly managementPoliciesByAccount: ScanIndex<PolicyResource, PolicyResource | undefined>;
    private readonly settingsByTarget: ScanIndex<PolicyResource, PolicyResource>;
    private readonly blobSettingsByAccount: ScanIndex<PolicyResource, PolicyResource | undefined>;
    private readonly endpointsByName: ScanIndex<PolicyResource, string | undefined>;
    private readonly zoneGroupsByEndpoint: ScanIndex<PolicyResource, PolicyResource | undefined>;

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
        // Names and IDs not known yet (a first preview) index nothing: no known value can name those resources.
        this.byTarget = new ScanIndex(resources, (r) => {
            const t = knownOr(() => armTargetOf(r), undefined);
            return t === undefined ? [] : [targetKey(t)];
        });
        this.vaultsByName = new ScanIndex(this.of(TYPES.vault), (v) => [nameOf(v, "vaultName")]);
        this.storageByAccountName = new ScanIndex(this.of(TYPES.storageAccount), (s) => [nameOf(s, "accountName")]);
        this.workspacesByName = new ScanIndex(this.of(TYPES.healthWorkspace), (w) => [nameOf(w, "workspaceName")]);
        this.identitiesByPrincipal = new ScanIndex(this.of(TYPES.identity), (i) => [nameOf(i, "principalId")]);
        this.blobServicesByAccount = new ScanIndex(this.of(TYPES.blobService), (b) => [this.storageOfChild(b)]);
        this.managementPoliciesByAccount = new ScanIndex(this.of(TYPES.managementPolicy), (m) => [this.storageOfChild(m)]);
        // A setting's target: its resourceUri's dependencies, else the resource its ID names; a blob service's ID names
        // the blob service (indexed by account below), not the account.
        this.settingsByTarget = new ScanIndex(this.of(TYPES.diagnosticSetting), (d) => {
            const deps = d.propertyDependencies.resourceUri ?? [];
            if (deps.length > 0) return deps;
            const id = str(lookupValue(d, "resourceUri"));
            return blobServiceAccountOf(id) === undefined ? this.refs(d, "resourceUri", () => [id]) : [];
        });
        this.blobSettingsByAccount = new ScanIndex(this.of(TYPES.diagnosticSetting), (d) => {
            const deps = d.propertyDependencies.resourceUri ?? [];
            if (deps.length > 0) return deps.filter((r) => r.type === TYPES.blobService).map((b) => this.storageOfChild(b));
            return [this.storageByName(blobServiceAccountOf(str(lookupValue(d, "resourceUri"))))];
        });
        this.endpointsByName = new ScanIndex(this.of(TYPES.privateEndpoint), (pe) => [
            resourceKey(pe, "resourceGroupName", "privateEndpointName"),
        ]);
        this.zoneGroupsByEndpoint = new ScanIndex(this.of(TYPES.privateDnsZoneGroup), (g) => [
            depOfType(g, "privateEndpointName", TYPES.privateEndpoint) ??
                this.endpointsByName.find(resourceKey(g, "resourceGroupName", "privateEndpointName")),
        ]);
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
     * URL) is one of the values `read` gives (default: the property's value), when they are known. Before the first
     * deployment those IDs are unknown, and the dependencies alone say what the property points at. Deduplicated, in
     * dependency order.
     */
    refs(r: PolicyResource, prop: string, read: () => unknown[] = () => [r.props[prop]]): PolicyResource[] {
        const out = new Set<PolicyResource>(r.propertyDependencies[prop] ?? []);
        const ids = knownOr(
            () =>
                read()
                    .flatMap((x) => (Array.isArray(x) ? [...(x as unknown[])] : [x]))
                    .map(str),
            [],
        );
        for (const id of ids) {
            const hit = this.byArmId(id);
            if (hit) out.add(hit);
        }
        return [...out];
    }

    /** The vault a key lives in (by dependency on its vaultName, or by name). */
    vaultOfKey(key: PolicyResource): PolicyResource | undefined {
        const dep = (key.propertyDependencies.vaultName ?? []).find((d) => d.type === TYPES.vault);
        if (dep) return dep;
        return this.vaultsByName.find(nameOf(key, "vaultName"));
    }

    storageByName(name: unknown): PolicyResource | undefined {
        const n = lowerName(name);
        return n ? this.storageByAccountName.find(n) : undefined;
    }

    /** The AHDS workspace named `name` (case-insensitively), the first in stack order. */
    healthWorkspaceByName(name: unknown): PolicyResource | undefined {
        return this.workspacesByName.find(lowerName(name));
    }

    /**
     * The storage account a child resource (blob service properties, a management policy) belongs to: by dependency on
     * its accountName, or by name.
     */
    storageOfChild(child: PolicyResource): PolicyResource | undefined {
        return depOfType(child, "accountName", TYPES.storageAccount) ?? this.storageByName(lookupValue(child, "accountName"));
    }

    /** The blob service properties of a storage account, in stack order. */
    blobServicesOf(account: PolicyResource): PolicyResource[] {
        return this.blobServicesByAccount.filter(account);
    }

    /** The lifecycle management policies of a storage account, in stack order. */
    managementPoliciesOf(account: PolicyResource): PolicyResource[] {
        return this.managementPoliciesByAccount.filter(account);
    }

    /** The diagnostic settings on `r` (by dependency on their resourceUri, or by ARM ID), in stack order. */
    diagnosticSettingsOn(r: PolicyResource): PolicyResource[] {
        return this.settingsByTarget.filter(r);
    }

    /** The diagnostic settings on a storage account's blob service (the resource in the stack, or its ARM ID). */
    blobDiagnosticSettingsOf(account: PolicyResource): PolicyResource[] {
        return this.blobSettingsByAccount.filter(account);
    }

    /** The DNS zone groups of a private endpoint (by dependency on their privateEndpointName, or by name). */
    privateDnsZoneGroupsOf(endpoint: PolicyResource): PolicyResource[] {
        return this.zoneGroupsByEndpoint.filter(endpoint);
    }

    /** Identities a principal ID points at: by dependency, or by the identity's principalId output (once known). */
    principals(grant: PolicyResource): PolicyResource[] {
        const out = new Set<PolicyResource>((grant.propertyDependencies.principalId ?? []).filter((d) => d.type === TYPES.identity));
        const pid = nameOf(grant, "principalId");
        if (pid) for (const i of this.identitiesByPrincipal.filter(pid)) out.add(i);
        return [...out];
    }
}

/** A private endpoint's connections, automatic and manual. */
export function privateLinkConnections(pe: PolicyResource): (Record<string, unknown> | undefined)[] {
    return [...arr(pe.props.privateLinkServiceConnections), ...arr(pe.props.manualPrivateLinkServiceConnections)].map(obj);
}

const CONNECTION_PROPS = ["privateLinkServiceConnections", "manualPrivateLinkServiceConnections"] as const;

/**
 * Whether a private endpoint connects to an AHDS workspace: by the private-link sub-resource its connections ask for
 * (`healthcareworkspace`); when the connections are not known yet (built from a workspace's ID on a first preview), by
 * their dependency on an AHDS workspace, whose only private-link sub-resource that is.
 */
export function isAhdsPrivateEndpoint(pe: PolicyResource): boolean {
    const groups = known(() => privateLinkConnections(pe).flatMap((c) => arr(c?.groupIds).map((g) => str(g)?.toLowerCase())));
    if (groups !== UNKNOWN) return groups.includes(AHDS_PRIVATE_LINK_GROUP_ID);
    return CONNECTION_PROPS.some((k) => (pe.propertyDependencies[k] ?? []).some((d) => d.type === TYPES.healthWorkspace));
}

/** A short, stable label for messages: `type name`. */
export function label(r: { type: string; name: string }): string {
    return `${r.type.split(":").pop()} '${r.name}'`;
}
