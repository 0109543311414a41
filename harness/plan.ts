/**
 * The offline plan: what `pulumi preview` would register, by account, from a mock-mode run of the real program, and
 * the policy pack's verdict. Pure and deterministic. Values the mocks invent (any output of a resource in the run) show
 * as `(known after deploy)`, and the plan records which output each stands for (`unknowns`), so two plans compare.
 */
import { type ConfigProblem, formatProblem } from "../config/schema";
import { FHIR_DATA_ROLES, builtInRoleName } from "../azure/facts";
import type { CapturedResource } from "./mockRun";
import { nameInput } from "./planFacts";
import { isRecord, mapJson } from "./stackFiles";
import type { PolicyReport, PolicyViolation } from "./policyRunner";
import type { LockDrift } from "./runStack";

export const PLATFORM_GROUP = "(platform)";
const ACCOUNT_COMPONENT = "fhir-platform:index:FhirAccount";
export const KNOWN_AFTER_DEPLOY = "(known after deploy)";
/** Version of the plan JSON: 2 has sanitized inputs with `unknowns`, `ignoreChanges` and `summaries`. */
export const PLAN_FORMAT = 2;

export interface PlanResource extends Pick<CapturedResource, "urn" | "type" | "name" | "custom" | "protect" | "inputs"> {
    /** Kind and logical name of the parent component (components and their children often share a name). */
    parent?: string;
    /** Logical name of the explicit provider. */
    provider?: string;
    /** The Azure name the resource gets, when an input sets it. */
    azureName?: string;
    /** Logical names of the resources this one waits for (explicit and through inputs). */
    dependsOn: string[];
    /** Input paths whose changes the engine ignores once the resource exists. */
    ignoreChanges?: string[];
    /** The `replacementTrigger` option: a different value on the next run makes the engine replace the resource. */
    replacementTrigger?: unknown;
    /** Input path -> the mock outputs its `(known after deploy)` parts stand for (`<output> of <resource>`), in order. */
    unknowns?: Record<string, string[]>;
}

export interface PlanGroup {
    name: string;
    resources: PlanResource[];
}

/** What a reviewer checks per account, read from the resources the program registers. */
export interface AccountSummary {
    key?: { name: string; size?: number; rotationDays?: number; olderKeys: number };
    /** "private" when a private endpoint is attached to the account's workspace. */
    network: "public" | "private";
    privateEndpoints: string[];
    keyVaultNetwork?: "trustedServices" | "allNetworks";
    export: boolean;
    import: boolean;
    smartProxy: boolean;
    corsOrigins: string[];
    /** FHIR data-plane grants by role. */
    grants: Record<string, number>;
    /** Optional so plans written before these settings existed still read. */
    initialImportMode?: boolean;
    /** Versioning policy, then per-type overrides: `versioned (Patient: versioned-update)`. */
    versioning?: string;
    smartIdentityProviders?: string[];
    acrLoginServers?: string[];
    usCoreMissingData?: boolean;
    /** Days the export storage's lifecycle policy keeps a blob. */
    exportRetentionDays?: number;
    /** Region of the account's recovery copy of `$export` output, when it has one. */
    recoveryCopy?: string;
}

/** What a reviewer checks stack-wide: how long audit logs are kept, and which subscriptions send their Activity Log. */
export interface PlatformSummary {
    auditTables: { table: string; retentionDays?: number; totalRetentionDays?: number }[];
    /** Subscription IDs whose Activity Log this stack sends to Log Analytics. */
    activityLog: string[];
}

export interface Plan {
    format: typeof PLAN_FORMAT;
    stack: string;
    groups: PlanGroup[];
    counts: { total: number; custom: number; components: number; protected: number; accounts: number };
    /** Per account (group name). */
    summaries: Record<string, AccountSummary>;
    /** Stack-wide settings (optional so plans written before it existed still read). */
    platform?: PlatformSummary;
    policy?: PolicyReport;
    /** Valid settings a reviewer should notice (initial import mode, no-version history): see configWarnings. */
    warnings?: ConfigProblem[];
    /** Present when the placement lock and the config disagree on which accounts exist (or there is no lock). */
    lock?: LockDrift;
}

// ---- input paths ---------------------------------------------------------------------------------------------------

function childPath(prefix: string, key: string): string {
    if (!/^[\w$:@/-]+$/.test(key)) return `${prefix}[${JSON.stringify(key)}]`;
    return prefix ? `${prefix}.${key}` : key;
}

/**
 * Rebuilds `value`, handing every leaf to `visit` with its path: objects by key (`a.b`), arrays that hold objects or
 * arrays by index (`a[0].b`); scalars, arrays of scalars and empty objects are leaves. One path scheme for listing,
 * sanitizing and diffing inputs.
 */
function mapLeaves(value: unknown, prefix: string, visit: (path: string, leaf: unknown) => unknown): unknown {
    if (Array.isArray(value)) {
        if (!value.some((v) => isRecord(v) || Array.isArray(v))) return visit(prefix, value);
        return value.map((v, i) => mapLeaves(v, `${prefix}[${i}]`, visit));
    }
    if (isRecord(value)) {
        const keys = Object.keys(value).sort();
        if (keys.length === 0) return prefix ? visit(prefix, value) : value;
        return Object.fromEntries(keys.map((k) => [k, mapLeaves(value[k], childPath(prefix, k), visit)]));
    }
    return visit(prefix, value);
}

/** Every leaf of an input object with its path, in a stable order. */
export function inputLeaves(value: unknown): [string, unknown][] {
    const out: [string, unknown][] = [];
    mapLeaves(value, "", (path, leaf) => out.push([path, leaf]));
    return out;
}

function strings(value: unknown): string[] {
    const out: string[] = [];
    mapJson(value, (v) => typeof v === "string" && out.push(v));
    return out;
}

// ---- mock values -----------------------------------------------------------------------------------------------------

/** Shorter outputs are never taken for mock values (booleans as text, "default", ...). */
const MIN_MOCK_VALUE_LENGTH = 4;

/**
 * The values a mock run invented: every string output of a resource that is not one of its own inputs (those the
 * mocks echo back) and not a literal input anywhere in the run (a value the program wrote itself), mapped to what it
 * is: `<output path> of <resource>`.
 */
export class MockValues {
    private readonly pattern?: RegExp;

    private constructor(private readonly sources: ReadonlyMap<string, string>) {
        const values = [...sources.keys()].sort((a, b) => b.length - a.length || a.localeCompare(b));
        if (values.length) this.pattern = new RegExp(values.map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"), "g");
    }

    static readonly none = new MockValues(new Map());

    static fromRun(resources: readonly CapturedResource[]): MockValues {
        const literals = new Set<string>();
        for (const r of resources) {
            if (!r.custom) continue;
            for (const [key, value] of Object.entries(r.inputs))
                if (!r.propertyDependencies[key]?.length) for (const s of strings(value)) literals.add(s);
        }
        const sources = new Map<string, string>();
        for (const r of resources) {
            if (!r.custom) continue;
            const own = new Set(strings(r.inputs));
            const outputs: [string, unknown][] = [...(r.id ? [["id", r.id] as [string, unknown]] : []), ...inputLeaves(r.outputs)];
            for (const [path, leaf] of outputs) {
                const items = Array.isArray(leaf)
                    ? leaf.map((v, i): [string, unknown] => [`${path}[${i}]`, v])
                    : [[path, leaf] as [string, unknown]];
                for (const [p, v] of items) {
                    if (typeof v !== "string" || v.length < MIN_MOCK_VALUE_LENGTH || own.has(v) || literals.has(v) || sources.has(v))
                        continue;
                    sources.set(v, `${p} of ${r.name}`);
                }
            }
        }
        return new MockValues(sources);
    }

    /** `s` with every mock value replaced by `(known after deploy)`, and what each stood for, in order. */
    sanitize(s: string): { text: string; sources: string[] } {
        const sources: string[] = [];
        if (!this.pattern) return { text: s, sources };
        const text = s.replace(this.pattern, (m) => {
            sources.push(this.sources.get(m)!);
            return KNOWN_AFTER_DEPLOY;
        });
        return { text, sources };
    }

    /** A copy of `value` with every string sanitized (stack outputs, messages). */
    sanitizeDeep(value: unknown): unknown {
        return mapJson(value, (v) => (typeof v === "string" ? this.sanitize(v).text : v));
    }

    /**
     * Sanitized inputs and, per leaf path, the sources of their `(known after deploy)` parts. With
     * `propertyDependencies`, inputs that depend on no resource are literals and stay as written.
     */
    sanitizeInputs(
        inputs: Record<string, unknown>,
        propertyDependencies?: Record<string, string[]>,
    ): { inputs: Record<string, unknown>; unknowns: Record<string, string[]> } {
        const unknowns: Record<string, string[]> = {};
        const clean = (path: string, leaf: unknown): unknown => {
            const found: string[] = [];
            const one = (v: unknown) => {
                if (typeof v !== "string") return v;
                const s = this.sanitize(v);
                found.push(...s.sources);
                return s.text;
            };
            const out = Array.isArray(leaf) ? leaf.map(one) : one(leaf);
            if (found.length) unknowns[path] = found;
            return out;
        };
        const out: Record<string, unknown> = {};
        for (const key of Object.keys(inputs).sort()) {
            const literal = propertyDependencies !== undefined && !propertyDependencies[key]?.length;
            out[key] = literal ? inputs[key] : mapLeaves(inputs[key], childPath("", key), clean);
        }
        return { inputs: out, unknowns };
    }
}

// ---- building the plan -----------------------------------------------------------------------------------------------

function azureName(r: CapturedResource): string | undefined {
    const key = nameInput(r.type);
    const v = key ? r.inputs[key] : undefined;
    return typeof v === "string" ? v : undefined;
}

/** Account owning a resource: the FhirAccount component up its parent chain, if any. */
export function accountOf(r: CapturedResource, byUrn: Map<string, CapturedResource>): string | undefined {
    for (let cur: CapturedResource | undefined = r; cur; cur = cur.parent ? byUrn.get(cur.parent) : undefined) {
        if (cur.type === ACCOUNT_COMPONENT) return cur.name;
    }
    return undefined;
}

const T = {
    key: "azure-native:keyvault:Key",
    vault: "azure-native:keyvault:Vault",
    workspace: "azure-native:healthcareapis:Workspace",
    fhir: "azure-native:healthcareapis:FhirService",
    endpoint: "azure-native:network:PrivateEndpoint",
    grant: "azure-native:authorization:RoleAssignment",
    storage: "azure-native:storage:StorageAccount",
    lifecycle: "azure-native:storage:ManagementPolicy",
    table: "azure-native:operationalinsights:Table",
    activityLog: "azure-native:monitor:SubscriptionDiagnosticSetting",
    provider: "pulumi:providers:azure-native",
} as const;

/** The value at a dotted path (`a.0.b`) of captured inputs (plain JSON: any step may be missing). */
function at(value: unknown, path: string): unknown {
    return path
        .split(".")
        .reduce<unknown>((v, k) => (typeof v === "object" && v !== null ? (v as Record<string, unknown>)[k] : undefined), value);
}

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** The settings a reviewer checks for one account, from its resources (and the run's workspaces and endpoints). */
export function summarizeAccount(own: readonly CapturedResource[], all: readonly CapturedResource[]): AccountSummary {
    const fhir = own.find((r) => r.type === T.fhir)?.inputs;
    const keys = own.filter((r) => r.type === T.key);
    const keyUrl = at(fhir, "encryption.customerManagedKeyEncryption.keyEncryptionKeyUrl");
    const current = keys.find((k) => k.outputs.keyUriWithVersion === keyUrl) ?? keys.at(-1);
    const size = at(current?.inputs, "properties.keySize");
    const rotation = /^P(\d+)D$/.exec(
        String(at(current?.inputs, "properties.rotationPolicy.lifetimeActions.0.trigger.timeAfterCreate") ?? ""),
    );
    const workspace = all.find((r) => r.type === T.workspace && fhir && r.inputs.workspaceName === fhir.workspaceName);
    const endpoints = all
        .filter(
            (r) =>
                r.type === T.endpoint &&
                list(r.inputs.privateLinkServiceConnections).some((c) => workspace?.id && at(c, "privateLinkServiceId") === workspace.id),
        )
        .map((r) => String(r.inputs.privateEndpointName ?? r.name));
    const acls = at(own.find((r) => r.type === T.vault)?.inputs, "properties.networkAcls");
    const policy = at(fhir, "resourceVersionPolicyConfiguration");
    const overrides = Object.entries(at(policy, "resourceTypeOverrides") ?? {}).map(([t, v]) => `${t}: ${String(v)}`);
    const versioning =
        at(policy, "default") !== undefined
            ? `${String(at(policy, "default"))}${overrides.length ? ` (${overrides.join(", ")})` : ""}`
            : undefined;
    const lifecycle = own.find((r) => r.type === T.lifecycle)?.inputs;
    const retention = at(lifecycle, "policy.rules.0.definition.actions.baseBlob.delete.daysAfterCreationGreaterThan");
    const recovery = own.find((r) => r.type === T.storage && fhir?.location !== undefined && r.inputs.location !== fhir.location);
    const grants: Record<string, number> = {};
    for (const g of own.filter((r) => r.type === T.grant)) {
        const role = builtInRoleName(String(g.inputs.roleDefinitionId ?? ""));
        if (role && (FHIR_DATA_ROLES as readonly string[]).includes(role)) grants[role] = (grants[role] ?? 0) + 1;
    }
    return {
        ...(current
            ? {
                  key: {
                      name: String(at(current.inputs, "keyName")),
                      ...(typeof size === "number" ? { size } : {}),
                      ...(rotation ? { rotationDays: Number(rotation[1]) } : {}),
                      olderKeys: keys.length - 1,
                  },
              }
            : {}),
        network: endpoints.length ? "private" : "public",
        privateEndpoints: endpoints.sort(),
        ...(acls
            ? { keyVaultNetwork: at(acls, "defaultAction") === "Allow" ? ("allNetworks" as const) : ("trustedServices" as const) }
            : {}),
        export: at(fhir, "exportConfiguration") !== undefined,
        import: at(fhir, "importConfiguration.enabled") === true,
        smartProxy: at(fhir, "authenticationConfiguration.smartProxyEnabled") === true,
        corsOrigins: list(at(fhir, "corsConfiguration.origins")).map(String),
        grants: Object.fromEntries(Object.entries(grants).sort(([a], [b]) => a.localeCompare(b))),
        initialImportMode: at(fhir, "importConfiguration.initialImportMode") === true,
        ...(versioning ? { versioning } : {}),
        smartIdentityProviders: list(at(fhir, "authenticationConfiguration.smartIdentityProviders")).map((p) => String(at(p, "authority"))),
        acrLoginServers: list(at(fhir, "acrConfiguration.loginServers")).map(String),
        usCoreMissingData: at(fhir, "implementationGuidesConfiguration.usCoreMissingData") === true,
        ...(typeof retention === "number" ? { exportRetentionDays: retention } : {}),
        ...(recovery ? { recoveryCopy: String(recovery.inputs.location) } : {}),
    };
}

/** The stack-wide settings, from the platform's resources. */
export function summarizePlatform(platform: readonly CapturedResource[], all: readonly CapturedResource[]): PlatformSummary {
    const days = (v: unknown) => (typeof v === "number" ? v : undefined);
    const subscriptionOf = (r: CapturedResource) =>
        String(all.find((p) => p.type === T.provider && r.provider?.startsWith(`${p.urn}::`))?.inputs.subscriptionId ?? "default");
    return {
        auditTables: platform
            .filter((r) => r.type === T.table)
            .map((r) => ({
                table: String(r.inputs.tableName),
                ...(days(r.inputs.retentionInDays) !== undefined ? { retentionDays: days(r.inputs.retentionInDays) } : {}),
                ...(days(r.inputs.totalRetentionInDays) !== undefined ? { totalRetentionDays: days(r.inputs.totalRetentionInDays) } : {}),
            }))
            .sort((a, b) => a.table.localeCompare(b.table)),
        activityLog: platform
            .filter((r) => r.type === T.activityLog)
            .map(subscriptionOf)
            .sort(),
    };
}

/** One line: audit table retention, Activity Log. */
export function platformSummaryLine(s: PlatformSummary): string {
    const tables = s.auditTables.map(
        (t) =>
            `${t.table} ${t.retentionDays ?? "workspace default"} d, ${t.totalRetentionDays ?? t.retentionDays ?? "workspace default"} d in total`,
    );
    return [
        `audit retention ${tables.length ? tables.join("; ") : "not set by this stack"}`,
        `Activity Log to Log Analytics: ${s.activityLog.length ? `subscription ${s.activityLog.join(", ")}` : "none from this stack"}`,
    ].join("; ");
}

/** One line: key, network, export/import, SMART identity providers, CORS, grants. */
export function summaryLine(s: AccountSummary): string {
    const onOff = (b: boolean) => (b ? "on" : "off");
    const k = s.key;
    const key = k
        ? `key ` +
          `${k.name}${k.size ? ` RSA ${k.size}` : ""}${k.rotationDays ? `, rotates every ${k.rotationDays} days` : ""}${k.olderKeys ? ` (+${k.olderKeys} older key${k.olderKeys > 1 ? "s" : ""} kept)` : ""}`
        : "no key";
    const network = s.network === "private" ? `private (${s.privateEndpoints.join(", ")})` : "public (Entra ID auth)";
    const vault =
        s.keyVaultNetwork === "allNetworks" ? "key vault open to all networks" : s.keyVaultNetwork ? "key vault trusted services only" : "";
    const grants = Object.entries(s.grants).map(([role, n]) => `${n}x ${role}`);
    return [
        key,
        `network ${network}${vault ? `, ${vault}` : ""}`,
        `export ${onOff(s.export)}, import ${onOff(s.import)}${s.initialImportMode ? " (INITIAL MODE: API writes blocked)" : ""}` +
            `${s.exportRetentionDays !== undefined ? `, exports deleted after ${s.exportRetentionDays} days` : ""}` +
            `${s.recoveryCopy ? `, recovery copy in ${s.recoveryCopy}` : ""}`,
        // The SMART on FHIR proxy is retired: shown only if something still turns it on (the policy pack denies it).
        `SMART ${s.smartIdentityProviders?.length ? `identity providers ${s.smartIdentityProviders.join(" ")}` : "none"}` +
            `${s.smartProxy ? " (RETIRED SMART PROXY ON)" : ""}`,
        `CORS ${s.corsOrigins.length ? s.corsOrigins.join(" ") : "none"}`,
        ...(s.versioning ? [`history ${s.versioning}`] : []),
        ...(s.acrLoginServers?.length ? [`$convert-data registries ${s.acrLoginServers.join(" ")}`] : []),
        ...(s.usCoreMissingData ? ["US Core missing data accepted"] : []),
        `grants ${grants.length ? grants.join(", ") : "none"}`,
    ].join("; ");
}

export function buildPlan(
    stack: string,
    resources: CapturedResource[],
    policy?: PolicyReport,
    mock: MockValues = MockValues.fromRun(resources),
): Plan {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const nameOf = (urn: string) => byUrn.get(urn)?.name ?? urn.split("::").pop()!;
    // Components and their children often share a name (contoso-cmk is both): label parents with their kind.
    const parentLabel = (urn: string) => `${(byUrn.get(urn)?.type ?? "").split(":").pop()} ${nameOf(urn)}`;
    const groups = new Map<string, PlanResource[]>();
    const raw = new Map<string, CapturedResource[]>();
    for (const r of resources) {
        if (r.type === "pulumi:pulumi:Stack") continue;
        const deps = new Set([...r.dependencies, ...Object.values(r.propertyDependencies).flat()]);
        const sanitized = r.custom ? mock.sanitizeInputs(r.inputs, r.propertyDependencies) : { inputs: {}, unknowns: {} };
        const name = azureName(r);
        const pr: PlanResource = {
            urn: r.urn,
            type: r.type,
            name: r.name,
            custom: r.custom,
            ...(r.parent && byUrn.get(r.parent)?.type !== "pulumi:pulumi:Stack" ? { parent: parentLabel(r.parent) } : {}),
            ...(r.provider ? { provider: r.provider.split("::")[3] } : {}),
            protect: r.protect,
            ...(r.custom && name ? { azureName: mock.sanitize(name).text } : {}),
            inputs: sanitized.inputs,
            ...(Object.keys(sanitized.unknowns).length ? { unknowns: sanitized.unknowns } : {}),
            ...(r.ignoreChanges.length ? { ignoreChanges: [...r.ignoreChanges] } : {}),
            ...(r.replacementTrigger !== undefined ? { replacementTrigger: r.replacementTrigger } : {}),
            dependsOn: [...deps]
                .filter((u) => byUrn.get(u)?.custom)
                .map(nameOf)
                .sort(),
        };
        const g = accountOf(r, byUrn) ?? PLATFORM_GROUP;
        groups.set(g, [...(groups.get(g) ?? []), pr]);
        raw.set(g, [...(raw.get(g) ?? []), r]);
    }
    const order = [...groups.keys()].sort(compareGroups);
    const planGroups = order.map((name) => ({
        name,
        resources: groups
            .get(name)!
            .sort(
                (a, b) =>
                    Number(b.custom === false) - Number(a.custom === false) || a.type.localeCompare(b.type) || a.name.localeCompare(b.name),
            ),
    }));
    const all = planGroups.flatMap((g) => g.resources);
    const summaries: Record<string, AccountSummary> = {};
    for (const name of order) if (name !== PLATFORM_GROUP) summaries[name] = summarizeAccount(raw.get(name)!, resources);
    const platform = raw.has(PLATFORM_GROUP) ? summarizePlatform(raw.get(PLATFORM_GROUP)!, resources) : undefined;
    return {
        format: PLAN_FORMAT,
        stack,
        groups: planGroups,
        counts: {
            total: all.length,
            custom: all.filter((r) => r.custom).length,
            components: all.filter((r) => !r.custom).length,
            protected: all.filter((r) => r.protect).length,
            accounts: planGroups.filter((g) => g.name !== PLATFORM_GROUP).length,
        },
        summaries,
        ...(platform ? { platform } : {}),
        ...(policy ? { policy: sanitizeReport(policy, mock) } : {}),
    };
}

/** Platform first, then accounts by name. */
export function compareGroups(a: string, b: string): number {
    return a === PLATFORM_GROUP ? (b === PLATFORM_GROUP ? 0 : -1) : b === PLATFORM_GROUP ? 1 : a.localeCompare(b);
}

export function groupLabel(name: string): string {
    return name === PLATFORM_GROUP ? "platform" : `account ${name}`;
}

function sanitizeReport(report: PolicyReport, mock: MockValues): PolicyReport {
    return {
        ...report,
        violations: report.violations.map((v) => ({
            ...v,
            message: mock.sanitize(v.message).text,
            remediation: mock.sanitize(v.remediation).text,
        })),
    };
}

// ---- rendering -------------------------------------------------------------------------------------------------------

/** Short label of a resource type: `azure-native:keyvault:Vault` -> `keyvault:Vault`. */
export function shortType(type: string): string {
    return type
        .replace(/^azure-native:/, "")
        .replace(/^pulumi-nodejs:dynamic\/[^:]*:/, "dynamic:")
        .replace(/^random:index\/randomString:/, "random:");
}

/** `path = value` lines of a resource's inputs, in path order. */
export function inputLines(inputs: Record<string, unknown>): string[] {
    return inputLeaves(inputs).map(([path, v]) => `${path} = ${JSON.stringify(v)}`);
}

/** A resource's one-line label: type, logical name, Azure name and flags. */
export function resourceLine(r: Pick<PlanResource, "type" | "name" | "azureName" | "protect" | "provider">): string {
    const flags = [r.protect ? "protected" : "", r.provider ? `provider=${r.provider}` : ""].filter(Boolean).join(", ");
    return `${shortType(r.type).padEnd(40)} ${r.name}${r.azureName ? `  "${r.azureName}"` : ""}${flags ? `  [${flags}]` : ""}`;
}

export function violationLine(v: PolicyViolation): string {
    const where = v.resourceName ? `${v.resourceName} (${v.resourceType ? shortType(v.resourceType) : "resource"})` : "stack";
    return `[${v.enforcementLevel}] ${v.policyName}: ${where}: ${v.message}`;
}

/**
 * What the placement lock and the config disagree on, for a reviewer: accounts `pulumi up` would create and delete, that a
 * rename is both, and the ways out. Empty when they agree.
 */
export function lockDriftLines(plan: Pick<Plan, "stack" | "lock">): string[] {
    const d = plan.lock;
    if (!d) return [];
    const place = `npm run place -- --stack ${plan.stack}`;
    if (!d.exists) return [`No placement lock yet (${d.file}): ${place} writes it; commit it with the stack file (CI checks it).`];
    const list = (names: string[]) => names.map((n) => `'${n}'`).join(", ");
    const [dropped, created] = [d.dropped.length, d.created.length];
    const these = (n: number) => (n === 1 ? "this account" : "these accounts");
    return [
        dropped &&
            `In ${d.file}, not in the config: ${list(d.dropped)}. pulumi up would delete every resource of ${these(dropped)}: FHIR ` +
                "service and its data, key vault and keys, storage, identity, grants (protected resources refuse, and the update fails).",
        created &&
            `In the config, not in ${d.file}: ${list(d.created)}. pulumi up would create every resource of ${these(created)}; ` +
                `${place} places ${created === 1 ? "it" : "them"} (commit the lock with the config).`,
        dropped &&
            created &&
            "If an account was renamed: a rename is a delete of every resource of the old name plus a create of every resource " +
                "of the new one. Nothing moves: the new account starts with an empty FHIR service and a new key; the old one's data " +
                "is deleted with it.",
        dropped &&
            `To keep ${list(d.dropped)}: put ${dropped === 1 ? "it" : "them"} back in Pulumi.${plan.stack}.yaml. ` +
                `To remove ${dropped === 1 ? "it" : "one"} on purpose: with the account still in the config, ` +
                `npm run decommission -- --stack ${plan.stack} --account ${d.dropped[0]} (docs/runbook.md), then remove it and run ` +
                `${place}. Never deployed? ${place} records the config as it is.`,
    ].filter((l): l is string => typeof l === "string");
}

/** Whether the plan fails on the placement lock: accounts it holds that the config dropped. */
export function lockDropsAccounts(plan: Pick<Plan, "lock">): boolean {
    return (plan.lock?.dropped.length ?? 0) > 0;
}

export function mandatoryViolations(plan: Plan): PolicyViolation[] {
    return plan.policy?.violations.filter((v) => v.enforcementLevel === "mandatory") ?? [];
}

/** The text plan's placement lock, review (config warnings) and policy sections, each only when it has something to say. */
export function policyText(plan: Plan): string[] {
    const lock = lockDriftLines(plan);
    const warnings = plan.warnings ?? [];
    const p = plan.policy;
    const mandatory = mandatoryViolations(plan).length;
    const failedLock = lockDropsAccounts(plan) ? ["FAILED: accounts in the placement lock are missing from the config"] : [];
    return [
        ...(lock.length ? ["Placement lock:", ...lock.map((l) => `  ${l}`), ...failedLock, ""] : []),
        ...(warnings.length ? [`Review (${warnings.length}):`, ...warnings.map((w) => `  warning: ${formatProblem(w)}`), ""] : []),
        ...(p
            ? [
                  `Policy pack: ${p.policiesRun} policies over ${p.resourcesChecked} resources: ${mandatory} mandatory, ` +
                      `${p.violations.length - mandatory} advisory violation(s)`,
                  ...p.violations.flatMap((v) => [`  ${violationLine(v)}`, `      fix: ${v.remediation}`]),
                  mandatory > 0 ? "FAILED: mandatory policy violations" : "PASSED: no mandatory policy violation",
              ]
            : []),
    ];
}

export function renderText(plan: Plan, options: { inputs?: boolean } = {}): string {
    const c = plan.counts;
    const lines = [
        `Offline plan of stack '${plan.stack}' (real program, Pulumi SDK mock mode; no cloud calls)`,
        `${c.accounts} account(s), ${c.total} resources to create: ${c.custom} cloud resources, ${c.components} components; ` +
            `${c.protected} protected`,
        `Values the mocks invent (random suffixes, resource IDs, principal IDs, key versions) show as ${KNOWN_AFTER_DEPLOY}.`,
        "",
    ];
    for (const g of plan.groups) {
        const custom = g.resources.filter((r) => r.custom).length;
        lines.push(`${groupLabel(g.name)}: ${g.resources.length} resources (${custom} cloud, ${g.resources.length - custom} components)`);
        if (plan.summaries[g.name]) lines.push(`  summary: ${summaryLine(plan.summaries[g.name])}`);
        if (g.name === PLATFORM_GROUP && plan.platform) lines.push(`  summary: ${platformSummaryLine(plan.platform)}`);
        for (const r of g.resources) {
            lines.push(`  + ${resourceLine(r)}`);
            if (r.parent) lines.push(`      parent: ${r.parent}`);
            if (r.dependsOn.length) lines.push(`      after: ${r.dependsOn.join(", ")}`);
            if (options.inputs && r.custom) for (const f of inputLines(r.inputs)) lines.push(`      ${f}`);
        }
        lines.push("");
    }
    lines.push(...policyText(plan));
    return `${lines.join("\n")}\n`;
}

export function md(s: string): string {
    return s.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

/** The policy verdict line and violation table of the markdown plan. */
export function policyMarkdown(plan: Plan): { verdict: string; table: string[] } {
    const mandatory = mandatoryViolations(plan).length;
    const policy = plan.policy
        ? mandatory > 0
            ? `:x: **${mandatory} mandatory policy violation(s)**`
            : ":white_check_mark: **No mandatory policy violation**"
        : "_Policies not run._";
    const verdict = lockDropsAccounts(plan)
        ? `:x: **Accounts in the placement lock are missing from the config** (see Placement lock)\n\n${policy}`
        : policy;
    const lock = lockDriftLines(plan);
    const violations = plan.policy?.violations ?? [];
    const row = (v: PolicyViolation) =>
        `| ${v.enforcementLevel} | \`${v.policyName}\` | ${md(v.resourceName ?? "stack")} | ${md(v.message)} | ${md(v.remediation)} |`;
    const section = (title: string, lines: string[]) => (lines.length ? [`### ${title}`, "", ...lines, ""] : []);
    const mark = lockDropsAccounts(plan) ? ":x:" : ":warning:";
    const header = ["| level | policy | resource | message | fix |", "|---|---|---|---|---|"];
    const table = [
        ...section(
            "Placement lock",
            lock.map((l) => `- ${mark} ${md(l)}`),
        ),
        ...section(
            "Review",
            (plan.warnings ?? []).map((w) => `- :warning: ${md(formatProblem(w))}`),
        ),
        ...section("Policy violations", violations.length ? [...header, ...violations.map(row)] : []),
    ];
    return { verdict, table };
}

/** `- **account**: summary` lines, one per account. */
export function summaryMarkdown(summaries: Record<string, AccountSummary>): string[] {
    const names = Object.keys(summaries).sort(compareGroups);
    return names.length ? ["**Accounts**", "", ...names.map((n) => `- **${md(n)}**: ${md(summaryLine(summaries[n]))}`), ""] : [];
}

export function renderMarkdown(plan: Plan): string {
    const c = plan.counts;
    const policy = policyMarkdown(plan);
    const out = [
        `## Offline plan: stack \`${plan.stack}\``,
        "",
        policy.verdict,
        "",
        `${c.accounts} account(s), **${c.total}** resources: ${c.custom} cloud resources, ${c.components} components, ${c.protected} ` +
            `protected. ` +
            "Produced by the real program in Pulumi's mock mode (no credentials); `pulumi preview` against Azure remains the authority. " +
            `Values the mocks invent show as ${KNOWN_AFTER_DEPLOY}.`,
        "",
        "| group | resources | cloud | components | protected |",
        "|---|---:|---:|---:|---:|",
        ...plan.groups.map((g) => {
            const cl = g.resources.filter((r) => r.custom).length;
            return (
                `| ${g.name === PLATFORM_GROUP ? "platform" : md(g.name)} | ${g.resources.length} | ${cl} | ` +
                `${g.resources.length - cl} | ${g.resources.filter((r) => r.protect).length} |`
            );
        }),
        "",
        ...(plan.platform ? [`**Platform**: ${md(platformSummaryLine(plan.platform))}`, ""] : []),
        ...summaryMarkdown(plan.summaries),
        ...policy.table,
    ];
    for (const g of plan.groups) {
        out.push(
            `<details><summary>${groupLabel(md(g.name))} (${g.resources.length})</summary>`,
            "",
            "| type | name | Azure name | protected | after |",
            "|---|---|---|---|---|",
        );
        for (const r of g.resources)
            out.push(
                `| ${shortType(r.type)} | ${md(r.name)} | ${md(r.azureName ?? "")} | ${r.protect ? "yes" : ""} | ` +
                    `${md(r.dependsOn.join(", "))} |`,
            );
        out.push("", "</details>", "");
    }
    return out.join("\n");
}
