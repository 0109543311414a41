/**
 * Runs the policy pack without the Pulumi CLI, over resources captured by scripts/lib/mockRun.ts, the way the
 * analyzer server in @pulumi/policy does: resource policies see each custom resource's inputs, stack policies see
 * every resource (components and the stack root included) with parent and dependencies resolved to other resources;
 * props go through the SDK's unknown-checking proxy (a check touching an unknown value becomes an advisory
 * "can't run during preview" notice); config gets schema defaults and enforcement levels resolved as the CLI does
 * (policy entry, then "all", then the policy's own level). Argument bags follow pulumi/pulumi-policy's
 * sdk/nodejs/policy/tests/util.ts.
 */
import * as policySdk from "@pulumi/policy";
import {
    EnforcementLevel,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ReportViolation,
    ResourceValidationArgs,
    StackValidationArgs,
} from "@pulumi/policy";
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import { CapturedResource } from "../scripts/lib/mockRun";
import { policies as ALL_POLICIES } from "./policies";
import { FhirPolicy, isStackPolicy } from "./rules/common";

/**
 * The analyzer's unknown-value machinery: exported by @pulumi/policy's index.js but marked @internal, so its types are
 * stripped from the published declarations. This is its runtime shape.
 */
const { unknownCheckingProxy, UnknownValueError } = policySdk as unknown as {
    unknownCheckingProxy<T extends object>(value: T): T;
    UnknownValueError: new (...args: never[]) => Error;
};

export interface PolicyViolation {
    policyName: string;
    enforcementLevel: "advisory" | "mandatory";
    resourceUrn?: string;
    resourceType?: string;
    resourceName?: string;
    message: string;
    remediation: string;
}

export interface PolicyReport {
    violations: PolicyViolation[];
    policiesRun: number;
    resourcesChecked: number;
}

const LEVELS: readonly EnforcementLevel[] = ["advisory", "mandatory", "remediate", "disabled"];

export interface ResolvedPolicyConfig {
    enforcementLevel: EnforcementLevel;
    /** Config properties with schema defaults applied (what `args.getConfig()` returns). */
    properties: Record<string, unknown>;
}

/** Thrown for a config the CLI would refuse: unknown policy, bad enforcement level, a value the schema rejects. */
export class PolicyConfigError extends Error {}

function levelOf(v: unknown, where: string): EnforcementLevel | undefined {
    if (v === undefined) return undefined;
    if (typeof v === "string" && (LEVELS as readonly string[]).includes(v)) return v as EnforcementLevel;
    throw new PolicyConfigError(`${where}: enforcement level must be one of ${LEVELS.join(", ")}, got ${JSON.stringify(v)}`);
}

function typeMatches(t: string, v: unknown): boolean {
    switch (t) {
        case "integer":
            return Number.isInteger(v);
        case "number":
            return typeof v === "number";
        case "string":
        case "boolean":
            return typeof v === t;
        case "array":
            return Array.isArray(v);
        case "object":
            return v !== null && typeof v === "object" && !Array.isArray(v);
        case "null":
            return v === null;
        default:
            return true;
    }
}

/** The subset of JSON Schema this pack's config schemas use: type, enum, minimum/maximum, array items. */
function checkValue(schema: PolicyConfigJSONSchema, v: unknown, where: string): void {
    const types = schema.type === undefined ? [] : Array.isArray(schema.type) ? schema.type : [schema.type];
    if (types.length > 0 && !types.some((t) => typeMatches(t, v))) throw new PolicyConfigError(`${where}: expected ${types.join(" or ")}, got ${JSON.stringify(v)}`);
    if (schema.enum && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(v))) throw new PolicyConfigError(`${where}: must be one of ${JSON.stringify(schema.enum)}`);
    if (typeof v === "number") {
        if (schema.minimum !== undefined && v < schema.minimum) throw new PolicyConfigError(`${where}: must be >= ${schema.minimum}`);
        if (schema.maximum !== undefined && v > schema.maximum) throw new PolicyConfigError(`${where}: must be <= ${schema.maximum}`);
    }
    if (Array.isArray(v) && schema.items && typeof schema.items === "object" && !Array.isArray(schema.items)) {
        const items = schema.items;
        v.forEach((x, i) => checkValue(items, x, `${where}[${i}]`));
    }
}

/**
 * Resolves a `--policy-pack-config` document for `policies`: per policy its enforcement level (policy entry, else
 * "all", else the policy's own, else advisory) and its properties (schema defaults, overridden by the entry).
 */
export function resolvePolicyConfig(config: Record<string, unknown> = {}, policies: readonly FhirPolicy[] = ALL_POLICIES): Map<string, ResolvedPolicyConfig> {
    const names = new Set(policies.map((p) => p.name));
    for (const key of Object.keys(config)) {
        if (key !== "all" && !names.has(key)) throw new PolicyConfigError(`policy pack config names unknown policy '${key}'`);
    }
    const allEntry = config.all;
    const allLevel = levelOf(typeof allEntry === "object" && allEntry !== null ? (allEntry as { enforcementLevel?: unknown }).enforcementLevel : allEntry, "all");
    const out = new Map<string, ResolvedPolicyConfig>();
    for (const p of policies) {
        const entry = config[p.name];
        const entryObj = typeof entry === "object" && entry !== null && !Array.isArray(entry) ? (entry as Record<string, unknown>) : undefined;
        if (entry !== undefined && typeof entry !== "string" && !entryObj) throw new PolicyConfigError(`${p.name}: config must be an enforcement level or an object`);
        const entryLevel = levelOf(entryObj ? entryObj.enforcementLevel : entry, p.name);
        const properties: Record<string, unknown> = {};
        const schemaProps = p.configSchema?.properties ?? {};
        for (const [k, s] of Object.entries(schemaProps)) if (s.default !== undefined) properties[k] = deepCopy(s.default);
        for (const [k, v] of Object.entries(entryObj ?? {})) {
            if (k === "enforcementLevel") continue;
            const schema = schemaProps[k];
            if (schema) checkValue(schema, v, `${p.name}.${k}`);
            properties[k] = v;
        }
        for (const req of p.configSchema?.required ?? []) {
            if (!(req in properties)) throw new PolicyConfigError(`${p.name}: config property '${req}' is required`);
        }
        out.set(p.name, { enforcementLevel: entryLevel ?? allLevel ?? p.enforcementLevel ?? "advisory", properties });
    }
    return out;
}

/** What `args.notApplicable()` throws (the policy does not apply to this resource or stack). */
export class NotApplicableError extends Error {}
function notApplicable(reason?: string): never {
    throw new NotApplicableError(reason);
}

/** The Pulumi type token a resource class carries (generated SDK classes have a static `__pulumiType`). */
function isTypeOf(type: string, resourceClass: unknown): boolean {
    const c = resourceClass as { __pulumiType?: unknown; isInstance?: (o: unknown) => boolean };
    if (typeof c.__pulumiType === "string" && c.__pulumiType.length > 0) return c.__pulumiType === type;
    return typeof c.isInstance === "function" && c.isInstance({ __pulumiType: type }) === true;
}

/**
 * A plain deep copy made in this module's realm. (structuredClone builds objects of the host realm, which fail the
 * proxy's `instanceof Object` test when the pack runs inside a vm context such as Jest's, leaving props unchecked.)
 */
function deepCopy<T>(v: T): T {
    if (Array.isArray(v)) return v.map(deepCopy) as T;
    if (v !== null && typeof v === "object") {
        const out: Record<string, unknown> = {};
        for (const [k, x] of Object.entries(v)) out[k] = deepCopy(x);
        return out as T;
    }
    return v;
}

/** Props as a policy sees them: a private copy behind the SDK's unknown-checking proxy. */
function policyProps(v: Record<string, unknown>): Record<string, unknown> {
    return unknownCheckingProxy(deepCopy(v));
}

function resourceOptions(r: CapturedResource): PolicyResourceOptions {
    return {
        protect: r.protect,
        ignoreChanges: [],
        aliases: [],
        customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
        additionalSecretOutputs: [],
        ...(r.parent ? { parent: r.parent } : {}),
    };
}

/** The provider resource behind a `urn::id` provider reference, when the stack registered it. */
function providerOf(r: CapturedResource, byUrn: ReadonlyMap<string, CapturedResource>): PolicyProviderResource | undefined {
    if (!r.provider) return undefined;
    const p = byUrn.get(r.provider.slice(0, r.provider.lastIndexOf("::")));
    return p ? { type: p.type, props: policyProps(p.inputs), urn: p.urn, name: p.name } : undefined;
}

const EMPTY_TAGS: ReadonlyMap<string, string> = new Map();

/** The argument bag a resource policy gets for `resource` (its inputs, as in `pulumi preview`), its provider looked up in `byUrn`. */
function resourceArgs(resource: CapturedResource, byUrn: ReadonlyMap<string, CapturedResource>, properties: Record<string, unknown>): ResourceValidationArgs {
    const props = policyProps(resource.inputs);
    const provider = providerOf(resource, byUrn);
    return {
        type: resource.type,
        props,
        urn: resource.urn,
        name: resource.name,
        opts: resourceOptions(resource),
        ...(provider ? { provider } : {}),
        stackTags: EMPTY_TAGS,
        isType: (resourceClass) => isTypeOf(resource.type, resourceClass),
        // Like the SDK: the props themselves when the type matches (typed by the caller's resource class).
        asType: ((resourceClass: unknown) => (isTypeOf(resource.type, resourceClass) ? props : undefined)) as ResourceValidationArgs["asType"],
        getConfig: <T extends object>() => deepCopy(properties) as T,
        notApplicable,
    };
}

/**
 * The argument bag a resource policy gets for `resource` (its inputs, as in `pulumi preview`); `stack` is searched for
 * its provider. For one resource at a time: `runPolicyPack` indexes the stack by URN once for all resources.
 */
export function resourceValidationArgs(
    resource: CapturedResource,
    stack: readonly CapturedResource[] = [resource],
    properties: Record<string, unknown> = {},
): ResourceValidationArgs {
    const providerUrn = resource.provider?.slice(0, resource.provider.lastIndexOf("::"));
    const provider = providerUrn === undefined ? undefined : stack.find((r) => r.urn === providerUrn);
    return resourceArgs(resource, new Map(provider ? [[provider.urn, provider]] : []), properties);
}

/**
 * The resource type a validation is limited to, when `validateResourceOfType` attached it (as `__pulumiType`): the
 * analyzer skips such a validation for other types without building its arguments, and so does `runPolicyPack`.
 */
function validatedType(validate: unknown): string | undefined {
    const t = (validate as { __pulumiType?: unknown } | undefined)?.__pulumiType;
    return typeof t === "string" && t.length > 0 ? t : undefined;
}

/** The argument bag a stack policy gets: every resource, with parent and dependencies linked to each other. */
export function stackValidationArgs(resources: readonly CapturedResource[], properties: Record<string, unknown> = {}): StackValidationArgs {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const built = new Map<string, PolicyResource>();
    for (const r of resources) {
        // Inputs win over outputs: they are the program's intent (what preview shows); outputs only add what the
        // provider computes (IDs, URIs, principal IDs). Stale outputs must never mask an input.
        const props = policyProps({ ...r.outputs, ...r.inputs });
        const provider = providerOf(r, byUrn);
        built.set(r.urn, {
            type: r.type,
            props,
            urn: r.urn,
            name: r.name,
            opts: resourceOptions(r),
            ...(provider ? { provider } : {}),
            dependencies: [],
            propertyDependencies: {},
            isType: (resourceClass) => isTypeOf(r.type, resourceClass),
            asType: ((resourceClass: unknown) => (isTypeOf(r.type, resourceClass) ? props : undefined)) as PolicyResource["asType"],
        });
    }
    const link = (urns: string[]) => urns.map((u) => built.get(u)).filter((x): x is PolicyResource => x !== undefined);
    for (const r of resources) {
        const pr = built.get(r.urn)!;
        const parent = r.parent ? built.get(r.parent) : undefined;
        if (parent) pr.parent = parent;
        pr.dependencies = link(r.dependencies);
        for (const [k, urns] of Object.entries(r.propertyDependencies)) pr.propertyDependencies[k] = link(urns);
    }
    return {
        resources: [...built.values()],
        stackTags: EMPTY_TAGS,
        getConfig: <T extends object>() => deepCopy(properties) as T,
        notApplicable,
    };
}

function compare(a: PolicyViolation, b: PolicyViolation): number {
    return (
        a.policyName.localeCompare(b.policyName) ||
        (a.resourceUrn ?? "").localeCompare(b.resourceUrn ?? "") ||
        a.message.localeCompare(b.message)
    );
}

/**
 * Runs every enabled policy of the pack over `resources` (as captured by mockRun) with a `--policy-pack-config`
 * style `config`, and returns the violations sorted by policy name, then URN, then message.
 */
export async function runPolicyPack(resources: CapturedResource[], config: Record<string, unknown> = {}, policies: readonly FhirPolicy[] = ALL_POLICIES): Promise<PolicyReport> {
    const resolved = resolvePolicyConfig(config, policies);
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const violations: PolicyViolation[] = [];
    const custom = resources.filter((r) => r.custom);
    let policiesRun = 0;

    for (const p of policies) {
        const { enforcementLevel, properties } = resolved.get(p.name)!;
        if (enforcementLevel === "disabled") continue;
        policiesRun++;
        // As the server does: a remediation policy still violating reports as mandatory.
        const level = enforcementLevel === "advisory" ? "advisory" : "mandatory";
        const record = (r: CapturedResource | undefined, message: string, lvl: "advisory" | "mandatory" = level) =>
            violations.push({
                policyName: p.name,
                enforcementLevel: lvl,
                ...(r ? { resourceUrn: r.urn, resourceType: r.type, resourceName: r.name } : {}),
                message,
                remediation: p.remediationSteps,
            });
        const guarded = async (r: CapturedResource | undefined, run: () => Promise<void> | void) => {
            try {
                await run();
            } catch (e) {
                if (e instanceof NotApplicableError) return;
                if (e instanceof UnknownValueError) {
                    record(r, `can't run policy '${p.name}' during preview: ${e.message}`, "advisory");
                    return;
                }
                throw new Error(`policy '${p.name}' failed${r ? ` on ${r.urn}` : ""}: ${e instanceof Error ? e.message : String(e)}`);
            }
        };

        if (isStackPolicy(p)) {
            const report: ReportViolation = (message, urn) => record(urn ? byUrn.get(urn) : undefined, message);
            await guarded(undefined, () => p.validateStack(stackValidationArgs(resources, properties), report));
            continue;
        }
        const validations = p.validateResource === undefined ? [] : Array.isArray(p.validateResource) ? p.validateResource : [p.validateResource];
        // The analyzer's fast path: a single validation tied to one type is not called for other types.
        const onlyType = Array.isArray(p.validateResource) ? undefined : validatedType(p.validateResource);
        for (const r of custom) {
            if (onlyType !== undefined && r.type !== onlyType) continue;
            const report: ReportViolation = (message) => record(r, message);
            for (const validate of validations) {
                await guarded(r, () => validate(resourceArgs(r, byUrn, properties), report));
            }
        }
    }
    violations.sort(compare);
    return { violations, policiesRun, resourcesChecked: custom.length };
}
