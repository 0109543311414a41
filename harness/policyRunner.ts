/**
 * Runs the policy pack without the Pulumi CLI over resources captured by mockRun.ts, as @pulumi/policy's analyzer
 * server does: resource policies see each custom resource's inputs, stack policies every resource with parent and
 * dependencies linked; props sit behind the SDK's unknown-checking proxy (a check touching an unknown value becomes an
 * advisory "can't run during preview"); config is resolved and validated as the CLI does (Ajv for gojsonschema).
 * Argument bags follow pulumi/pulumi-policy's sdk/nodejs/policy/tests/util.ts. Every value is known, as in a preview of
 * a deployed stack, unless `{ firstPreview: true }` (`firstPreviewView`).
 */
import * as fs from "node:fs";
import * as policySdk from "@pulumi/policy";
import * as policyProxy from "@pulumi/policy/proxy";
import type {
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ReportViolation,
    ResourceValidationArgs,
    StackValidationArgs,
} from "@pulumi/policy";
import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";
import { suggest } from "../config/schema";
import type { CapturedResource } from "./mockRun";
import { isRecord, mapJson } from "./stackFiles";
import { policies as ALL_POLICIES } from "../policies/policies";
import { type FhirPolicy, UnknownValueError, isStackPolicy } from "../policies/rules/common";

/** The analyzer's unknown-checking proxy (throws `UnknownValueError`): exported by @pulumi/policy but @internal, so untyped. */
const { unknownCheckingProxy } = policySdk as unknown as {
    unknownCheckingProxy<T extends object>(value: T): T;
};

/**
 * The unknown value as the analyzer receives it: the engine marshals every computed value as the unknown *string*
 * sentinel (pulumi/pulumi sdk/go/common/resource/plugin/rpc.go), which the proxy (`unknownStringValue`, @internal)
 * refuses to hand to a policy: "string value at .scope can't be known during preview".
 */
export const UNKNOWN_AT_PREVIEW: string = (() => {
    const v = (policyProxy as unknown as { unknownStringValue?: unknown }).unknownStringValue;
    if (typeof v !== "string") throw new Error("@pulumi/policy/proxy no longer exports unknownStringValue: update harness/policyRunner.ts");
    return v;
})();

/** How the runner shows a stack to the policies. */
export interface PolicyRunOptions {
    /** As on the first `pulumi preview` of a new stack (`firstPreviewView`) instead of with every value known. */
    firstPreview?: boolean;
}

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

/**
 * A config the CLI would refuse (neither a level nor an object, a bad level, a value the policy's schema rejects) or,
 * stricter than the CLI, an unknown policy name: one line per problem, every problem listed.
 */
export class PolicyConfigError extends Error {
    constructor(readonly problems: string[]) {
        super(problems.join("\n"));
    }
}

function levelOf(v: unknown, where: string, problems: string[]): EnforcementLevel | undefined {
    if (v === undefined) return undefined;
    if (typeof v === "string" && (LEVELS as readonly string[]).includes(v)) return v as EnforcementLevel;
    problems.push(`${where}: enforcement level must be one of ${LEVELS.join(", ")}, got ${JSON.stringify(v)}`);
    return undefined;
}

/**
 * The schema the CLI checks a policy's resolved config against (`convertSchema`, pulumi/pulumi
 * pkg/resource/analyzer/config.go, via gojsonschema, whose newest draft is Ajv's default 07): the policy's `properties`
 * and `required`, nothing else, so a property the schema does not name passes (see `policyConfigWarnings`).
 */
export function policyConfigJsonSchema(schema: PolicyConfigSchema): Record<string, unknown> {
    return {
        type: "object",
        ...(Object.keys(schema.properties).length > 0 ? { properties: schema.properties } : {}),
        ...(schema.required && schema.required.length > 0 ? { required: schema.required } : {}),
    };
}

let ajv: Ajv | undefined;
const validators = new WeakMap<PolicyConfigSchema, ValidateFunction>();
/** A policy's compiled config validator, made once; a schema Ajv refuses (invalid, unknown keyword) is a pack defect. */
function validatorOf(policyName: string, schema: PolicyConfigSchema): ValidateFunction {
    let v = validators.get(schema);
    if (!v) {
        ajv ??= new Ajv({ allErrors: true, verbose: true });
        try {
            v = ajv.compile(policyConfigJsonSchema(schema));
        } catch (e) {
            throw new Error(`policy '${policyName}' has an invalid configSchema: ${(e as Error).message}`);
        }
        validators.set(schema, v);
    }
    return v;
}

/** `/exemptAccounts/0` as `exemptAccounts[0]` (JSON pointer, RFC 6901 escapes undone). */
function propertyPath(instancePath: string): string {
    return instancePath
        .split("/")
        .slice(1)
        .map((seg) => seg.replace(/~1/g, "/").replace(/~0/g, "~"))
        .map((seg, i) => (/^\d+$/.test(seg) ? `[${seg}]` : i === 0 ? seg : `.${seg}`))
        .join("");
}

/** One line per schema error, naming the policy and the property path (`expected <type>, got <value>` for a wrong type). */
function describeSchemaError(policy: string, e: ErrorObject): string {
    const path = propertyPath(e.instancePath);
    const where = path ? `${policy}.${path}` : policy;
    const params = e.params as Record<string, unknown>;
    switch (e.keyword) {
        case "required":
            return `${where}: config property '${String(params.missingProperty)}' is required`;
        case "type":
            return `${where}: expected ${String(params.type).replace(/,/g, " or ")}, got ${JSON.stringify(e.data)}`;
        case "enum":
            return `${where}: must be one of ${JSON.stringify(params.allowedValues)}, got ${JSON.stringify(e.data)}`;
        case "additionalProperties": {
            const name = String(params.additionalProperty);
            const known = Object.keys((e.parentSchema?.properties as Record<string, unknown> | undefined) ?? {});
            return `${where}: unknown property '${name}'${suggest(name, known)}${known.length ? `; properties: ${known.join(", ")}` : ""}`;
        }
        default:
            return `${where}: ${e.message ?? e.keyword}${e.keyword === "const" ? `, got ${JSON.stringify(e.data)}` : ""}`;
    }
}

function unknownPolicy(key: string, names: string[]): string {
    return `unknown policy '${key}'${suggest(key, names)}; the pack's policies are: ${names.join(", ")}`;
}

/**
 * Resolves a `--policy-pack-config` document as the CLI does (`ReconcilePolicyPackConfig`, pulumi/pulumi
 * pkg/resource/analyzer/config.go): per policy its level (policy entry, else "all", else its own, else advisory) and
 * properties (schema defaults, overridden by the entry), validated against its `configSchema`. Throws
 * `PolicyConfigError` listing every problem.
 */
export function resolvePolicyConfig(
    config: Record<string, unknown> = {},
    policies: readonly FhirPolicy[] = ALL_POLICIES,
): Map<string, ResolvedPolicyConfig> {
    if (!isRecord(config))
        throw new PolicyConfigError([
            `policy pack config must be a JSON object (policy name -> level or object), got ${JSON.stringify(config)}`,
        ]);
    const problems: string[] = [];
    const names = policies.map((p) => p.name);
    for (const key of Object.keys(config)) {
        if (key !== "all" && !names.includes(key)) problems.push(unknownPolicy(key, names));
    }
    const allEntry = config.all;
    const allLevel = levelOf(isRecord(allEntry) ? allEntry.enforcementLevel : allEntry, "all", problems);
    const out = new Map<string, ResolvedPolicyConfig>();
    for (const p of policies) {
        const entry = config[p.name];
        const entryObj = isRecord(entry) ? entry : undefined;
        if (entry !== undefined && typeof entry !== "string" && !entryObj) {
            problems.push(`${p.name}: config must be an enforcement level or an object, got ${JSON.stringify(entry)}`);
            continue;
        }
        const entryLevel = levelOf(entryObj ? entryObj.enforcementLevel : entry, p.name, problems);
        const properties: Record<string, unknown> = {};
        for (const [k, s] of Object.entries(p.configSchema?.properties ?? {}))
            if (s.default !== undefined) properties[k] = deepCopy(s.default);
        for (const [k, v] of Object.entries(entryObj ?? {})) if (k !== "enforcementLevel") properties[k] = v;
        if (p.configSchema) {
            const validate = validatorOf(p.name, p.configSchema);
            if (!validate(properties)) problems.push(...(validate.errors ?? []).map((e) => describeSchemaError(p.name, e)));
        }
        out.set(p.name, { enforcementLevel: entryLevel ?? allLevel ?? p.enforcementLevel ?? "advisory", properties });
    }
    if (problems.length > 0) throw new PolicyConfigError(problems);
    return out;
}

/** What the CLI accepts silently but is likely a mistake: properties a policy's `configSchema` does not name. */
export function policyConfigWarnings(config: Record<string, unknown> = {}, policies: readonly FhirPolicy[] = ALL_POLICIES): string[] {
    const warnings: string[] = [];
    for (const p of policies) {
        const entry = config[p.name];
        if (!isRecord(entry)) continue;
        const known = Object.keys(p.configSchema?.properties ?? {});
        for (const k of Object.keys(entry)) {
            if (k === "enforcementLevel" || known.includes(k)) continue;
            warnings.push(
                known.length > 0
                    ? `${p.name}: '${k}' is not one of its config properties (${known.join(", ")})${suggest(k, known)}; it is ignored`
                    : `${p.name}: the policy takes no config properties; '${k}' is ignored`,
            );
        }
    }
    return warnings;
}

/** A `--policy-pack-config` file, resolved: the document, and what `policyConfigWarnings` says of it. */
export interface PolicyConfigFile {
    config: Record<string, unknown>;
    warnings: string[];
}

/** Reads and checks a `--policy-pack-config` file as the CLI does: empty is no config; anything it refuses throws `PolicyConfigError`. */
export function readPolicyConfigFile(file: string, policies: readonly FhirPolicy[] = ALL_POLICIES): PolicyConfigFile {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw new PolicyConfigError([
            code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory, not a JSON file" : (e as Error).message,
        ]);
    }
    if (text.trim() === "") return { config: {}, warnings: [] };
    let config: unknown;
    try {
        config = JSON.parse(text);
    } catch (e) {
        throw new PolicyConfigError([`not valid JSON: ${(e as Error).message}`]);
    }
    if (!isRecord(config))
        throw new PolicyConfigError([
            `must be a JSON object (policy name -> level or object), got ${Array.isArray(config) ? "an array" : JSON.stringify(config)}`,
        ]);
    resolvePolicyConfig(config, policies);
    return { config, warnings: policyConfigWarnings(config, policies) };
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

/** A deep copy in this module's realm (structuredClone's objects fail the proxy's `instanceof Object` in Jest's vm). */
function deepCopy<T>(v: T): T {
    return mapJson(v, (x) => x) as T;
}

/** Props as a policy sees them: a private copy behind the SDK's unknown-checking proxy. */
function policyProps(v: Record<string, unknown>): Record<string, unknown> {
    return unknownCheckingProxy(deepCopy(v));
}

const EMPTY_TAGS: ReadonlyMap<string, string> = new Map();

/** A resource as a policy sees it (`props` given), its `urn::id` provider looked up in `byUrn`. */
function viewOf<AsType>(r: CapturedResource, props: Record<string, unknown>, byUrn: ReadonlyMap<string, CapturedResource>) {
    const p = r.provider ? byUrn.get(r.provider.slice(0, r.provider.lastIndexOf("::"))) : undefined;
    const provider: PolicyProviderResource | undefined = p && { type: p.type, props: policyProps(p.inputs), urn: p.urn, name: p.name };
    const opts: PolicyResourceOptions = {
        protect: r.protect,
        ignoreChanges: [],
        aliases: [],
        customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
        additionalSecretOutputs: [],
        ...(r.parent ? { parent: r.parent } : {}),
    };
    return {
        type: r.type,
        props,
        urn: r.urn,
        name: r.name,
        opts,
        ...(provider ? { provider } : {}),
        isType: (resourceClass: unknown) => isTypeOf(r.type, resourceClass),
        // Like the SDK: the props themselves when the type matches (typed by the caller's resource class).
        asType: ((resourceClass: unknown) => (isTypeOf(r.type, resourceClass) ? props : undefined)) as AsType,
    };
}

/** What every validation's argument bag holds besides the resource(s): stack tags, the policy's config, `notApplicable`. */
function bagOf(properties: Record<string, unknown>) {
    return { stackTags: EMPTY_TAGS, getConfig: <T extends object>() => deepCopy(properties) as T, notApplicable };
}

function resourceArgs(
    resource: CapturedResource,
    byUrn: ReadonlyMap<string, CapturedResource>,
    properties: Record<string, unknown>,
): ResourceValidationArgs {
    return { ...viewOf<ResourceValidationArgs["asType"]>(resource, policyProps(resource.inputs), byUrn), ...bagOf(properties) };
}

/**
 * The argument bag a resource policy gets for `resource` (its inputs, as in `pulumi preview`); `stack` is searched for
 * its provider. For one resource at a time: `runPolicyPack` indexes the stack by URN once for all resources.
 */
export function resourceValidationArgs(
    resource: CapturedResource,
    stack: readonly CapturedResource[] = [resource],
    properties: Record<string, unknown> = {},
    options: PolicyRunOptions = {},
): ResourceValidationArgs {
    const providerUrn = resource.provider?.slice(0, resource.provider.lastIndexOf("::"));
    const provider = providerUrn === undefined ? undefined : stack.find((r) => r.urn === providerUrn);
    const [shown, ...providers] = asShown([resource, ...(provider ? [provider] : [])], options);
    return resourceArgs(shown, new Map(providers.map((p) => [p.urn, p])), properties);
}

/** The type `validateResourceOfType` tied a validation to (`__pulumiType`): the analyzer skips it for other types. */
function validatedType(validate: unknown): string | undefined {
    const t = (validate as { __pulumiType?: unknown } | undefined)?.__pulumiType;
    return typeof t === "string" && t.length > 0 ? t : undefined;
}

/** The argument bag a stack policy gets: every resource, with parent and dependencies linked to each other. */
export function stackValidationArgs(
    resources: readonly CapturedResource[],
    properties: Record<string, unknown> = {},
    options: PolicyRunOptions = {},
): StackValidationArgs {
    return { resources: stackResources(asShown(resources, options)), ...bagOf(properties) };
}

const isProvider = (type: string) => type.startsWith("pulumi:providers:");

/**
 * The stack as the engine shows it on the first `pulumi preview` of a new stack (each unknown is `UNKNOWN_AT_PREVIEW`):
 * every output of a custom resource other than a provider is unknown, and it has no ID; every input that depends on
 * another resource (its `propertyDependencies`) is unknown as a whole; unset inputs stay unset. Conservative: the engine
 * keeps the known parts of an object input (a FHIR service's `identity.type`), this view hides all of it, so a policy
 * that decides here decides under the engine too (`npm run test:engine` checks the real thing). Components as captured.
 */
export function firstPreviewView(resources: readonly CapturedResource[]): CapturedResource[] {
    const providers = new Set(resources.filter((r) => isProvider(r.type)).map((r) => r.urn));
    return resources.map((r) => {
        if (!r.custom || isProvider(r.type)) return r;
        const inputs: Record<string, unknown> = { ...r.inputs };
        for (const [k, urns] of Object.entries(r.propertyDependencies)) {
            // An input the program leaves unset is known to be unset, whatever a dependency says.
            if (k in inputs && urns.some((u) => !providers.has(u))) inputs[k] = UNKNOWN_AT_PREVIEW;
        }
        const outputs: Record<string, unknown> = {};
        for (const k of Object.keys(r.outputs)) outputs[k] = UNKNOWN_AT_PREVIEW;
        const { id: _id, ...rest } = r;
        return { ...rest, inputs, outputs };
    });
}

/** The stack as `options` asks to show it. */
function asShown(resources: readonly CapturedResource[], options: PolicyRunOptions): readonly CapturedResource[] {
    return options.firstPreview === true ? firstPreviewView(resources) : resources;
}

/** Every resource as a stack policy sees it: props behind the unknown-checking proxy, parent and dependencies linked. */
function stackResources(resources: readonly CapturedResource[]): PolicyResource[] {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    // Inputs win over outputs: they are the program's intent (what preview shows); outputs only add what the provider
    // computes (IDs, URIs, principal IDs). Stale outputs must never mask an input.
    const built = new Map(
        resources.map((r): [string, PolicyResource] => [
            r.urn,
            {
                ...viewOf<PolicyResource["asType"]>(r, policyProps({ ...r.outputs, ...r.inputs }), byUrn),
                dependencies: [],
                propertyDependencies: {},
            },
        ]),
    );
    const link = (urns: string[]) => urns.map((u) => built.get(u)).filter((x): x is PolicyResource => x !== undefined);
    for (const r of resources) {
        const pr = built.get(r.urn)!;
        const parent = r.parent ? built.get(r.parent) : undefined;
        if (parent) pr.parent = parent;
        pr.dependencies = link(r.dependencies);
        for (const [k, urns] of Object.entries(r.propertyDependencies)) pr.propertyDependencies[k] = link(urns);
    }
    return [...built.values()];
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
 * style `config`, and returns the violations sorted by policy name, then URN, then message. `options.firstPreview`
 * shows the policies the stack as the first preview of a new stack does (`firstPreviewView`).
 */
export async function runPolicyPack(
    captured: readonly CapturedResource[],
    config: Record<string, unknown> = {},
    policies: readonly FhirPolicy[] = ALL_POLICIES,
    options: PolicyRunOptions = {},
): Promise<PolicyReport> {
    const resolved = resolvePolicyConfig(config, policies);
    const resources = asShown(captured, options);
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const violations: PolicyViolation[] = [];
    const custom = resources.filter((r) => r.custom);
    // Built once for every stack policy (the analyzer deserializes them again per policy): the copy of the whole stack
    // is most of a stack policy's cost, and sharing the array lets the policies share one StackIndex. Policies only
    // read it (test/policies.pack.suite.ts checks that they leave it as they found it).
    let stack: PolicyResource[] | undefined;
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
            await guarded(undefined, () =>
                p.validateStack({ resources: (stack ??= stackResources(resources)), ...bagOf(properties) }, report),
            );
            continue;
        }
        const validations =
            p.validateResource === undefined ? [] : Array.isArray(p.validateResource) ? p.validateResource : [p.validateResource];
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
