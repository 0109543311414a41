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

function sameTarget(a: ArmTarget, b: ArmTarget): boolean {
    return JSON.stringify(a) === JSON.stringify(b);
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

/** Relates the resources of a stack: what a property points at, by dependency or by ARM ID/name. */
export class StackIndex {
    readonly byType = new Map<string, PolicyResource[]>();

    constructor(readonly resources: PolicyResource[]) {
        for (const r of resources) {
            const list = this.byType.get(r.type) ?? [];
            list.push(r);
            this.byType.set(r.type, list);
        }
    }

    of(type: string): PolicyResource[] {
        return this.byType.get(type) ?? [];
    }

    /** The stack resource an ARM ID or key URL names, if the stack manages it. */
    byArmId(id: string | undefined): PolicyResource | undefined {
        const target = parseArmId(id);
        if (target.kind === "other" || target.kind === "subscription") return undefined;
        return this.resources.find((r) => {
            const t = armTargetOf(r);
            return t !== undefined && sameTarget(t, target);
        });
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
        const name = str(key.props.vaultName)?.toLowerCase();
        return this.of(TYPES.vault).find((v) => str(v.props.vaultName)?.toLowerCase() === name);
    }

    storageByName(name: unknown): PolicyResource | undefined {
        const n = str(name)?.toLowerCase();
        return n ? this.of(TYPES.storageAccount).find((s) => str(s.props.accountName)?.toLowerCase() === n) : undefined;
    }

    /** Identities a principal ID points at: by dependency, or by the identity's principalId output. */
    principals(grant: PolicyResource): PolicyResource[] {
        const out = new Set<PolicyResource>((grant.propertyDependencies.principalId ?? []).filter((d) => d.type === TYPES.identity));
        const pid = str(grant.props.principalId)?.toLowerCase();
        if (pid) for (const i of this.of(TYPES.identity)) if (str(i.props.principalId)?.toLowerCase() === pid) out.add(i);
        return [...out];
    }
}

/** A short, stable label for messages: `type name`. */
export function label(r: { type: string; name: string }): string {
    return `${r.type.split(":").pop()} '${r.name}'`;
}
