/**
 * Runs the policy pack without the Pulumi CLI, over resources captured by harness/mockRun.ts, the way the
 * analyzer server in @pulumi/policy does: resource policies see each custom resource's inputs, stack policies see
 * every resource (components and the stack root included) with parent and dependencies resolved to other resources;
 * props go through the SDK's unknown-checking proxy (a check touching an unknown value becomes an advisory
 * "can't run during preview" notice); config gets schema defaults and enforcement levels resolved as the CLI does
 * (policy entry, then "all", then the policy's own level), and is validated against each policy's config schema with
 * Ajv as the CLI validates it with gojsonschema. Argument bags follow pulumi/pulumi-policy's
 * sdk/nodejs/policy/tests/util.ts.
 *
 * By default every value is known, as in a preview of a deployed stack. `{ firstPreview: true }` shows the policies
 * the stack as the first `pulumi preview` of a new stack does (`firstPreviewView`): what the engine cannot know before
 * the first deployment is the SDK's unknown value, so a check that reads it meets the proxy.
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
import { policies as ALL_POLICIES } from "../policies/policies";
import { type FhirPolicy, UnknownValueError, isStackPolicy } from "../policies/rules/common";

/**
 * The analyzer's unknown-checking proxy: exported by @pulumi/policy's index.js but marked @internal, so its types are
 * stripped from the published declarations. This is its runtime shape. (What it throws: `UnknownValueError`.)
 */
const { unknownCheckingProxy } = policySdk as unknown as {
    unknownCheckingProxy<T extends object>(value: T): T;
};

/**
 * The value the proxy treats as unknown, as the analyzer receives it: the engine marshals every computed value, of
 * whatever type, as the unknown *string* sentinel (pulumi/pulumi sdk/go/common/resource/plugin/rpc.go), which the
 * policy SDK passes through deserialization unchanged and its proxy (`@pulumi/policy/proxy`, `unknownStringValue`,
 * @internal like the proxy itself) refuses to hand to a policy: "string value at .scope can't be known during preview".
 */
export const UNKNOWN_AT_PREVIEW: string = (() => {
    const v = (policyProxy as unknown as { unknownStringValue?: unknown }).unknownStringValue;
    if (typeof v !== "string") throw new Error("@pulumi/policy/proxy no longer exports unknownStringValue: update harness/policyRunner.ts");
    return v;
})();

/** How the runner shows a stack to the policies. */
export interface PolicyRunOptions {
    /**
     * As on the first `pulumi preview` of a new stack (nothing deployed yet), instead of with every value known: see
     * `firstPreviewView`. Default false.
     */
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
 * Thrown for a config the CLI would refuse: a value that is neither a level nor an object, a bad enforcement level, a
 * value the policy's schema rejects; and (stricter than the CLI, which passes them through) an unknown policy name.
 * `problems` has one line per problem, every problem listed, as the CLI lists them.
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

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * The schema the Pulumi CLI checks a policy's resolved config properties against (`convertSchema` in pulumi/pulumi
 * pkg/resource/analyzer/config.go, run through gojsonschema): an object with the policy's `properties` and `required`,
 * nothing else, so a property the schema does not name is accepted there (see `policyConfigWarnings`). Draft-07 (Ajv's
 * default) is the newest draft gojsonschema implements.
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
/**
 * The compiled validator of a policy's config schema, made once. Ajv refuses a schema that is not valid JSON Schema or
 * uses an unknown keyword (gojsonschema would ignore the keyword): a defect of the pack, reported as such.
 */
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
 * Resolves a `--policy-pack-config` document for `policies` as the CLI does (pulumi/pulumi
 * pkg/resource/analyzer/config.go, `ReconcilePolicyPackConfig`): per policy its enforcement level (policy entry, else
 * "all", else the policy's own, else advisory) and its properties (schema defaults, overridden by the entry), then the
 * properties validated against the policy's `configSchema` with a JSON Schema validator. Throws `PolicyConfigError`
 * listing every problem.
 */
export function resolvePolicyConfig(
    config: Record<string, unknown> = {},
    policies: readonly FhirPolicy[] = ALL_POLICIES,
): Map<string, ResolvedPolicyConfig> {
    if (!isObject(config))
        throw new PolicyConfigError([
            `policy pack config must be a JSON object (policy name -> level or object), got ${JSON.stringify(config)}`,
        ]);
    const problems: string[] = [];
    const names = policies.map((p) => p.name);
    for (const key of Object.keys(config)) {
        if (key !== "all" && !names.includes(key)) problems.push(unknownPolicy(key, names));
    }
    const allEntry = config.all;
    const allLevel = levelOf(isObject(allEntry) ? allEntry.enforcementLevel : allEntry, "all", problems);
    const out = new Map<string, ResolvedPolicyConfig>();
    for (const p of policies) {
        const entry = config[p.name];
        const entryObj = isObject(entry) ? entry : undefined;
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

/**
 * What the CLI accepts without a word but is most likely a mistake: properties a policy's `configSchema` does not name
 * (its wrapper schema allows any; see `policyConfigJsonSchema`), and properties given to a policy with no config.
 */
export function policyConfigWarnings(config: Record<string, unknown> = {}, policies: readonly FhirPolicy[] = ALL_POLICIES): string[] {
    const warnings: string[] = [];
    for (const p of policies) {
        const entry = config[p.name];
        if (!isObject(entry)) continue;
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

/**
 * Reads and checks a `--policy-pack-config` file as the CLI would before running anything: an empty file is no config
 * (as in the CLI); a missing file, invalid JSON or a value the CLI would refuse throws `PolicyConfigError`.
 */
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
    if (!isObject(config))
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
function resourceArgs(
    resource: CapturedResource,
    byUrn: ReadonlyMap<string, CapturedResource>,
    properties: Record<string, unknown>,
): ResourceValidationArgs {
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
        asType: ((resourceClass: unknown) =>
            isTypeOf(resource.type, resourceClass) ? props : undefined) as ResourceValidationArgs["asType"],
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
    options: PolicyRunOptions = {},
): ResourceValidationArgs {
    const providerUrn = resource.provider?.slice(0, resource.provider.lastIndexOf("::"));
    const provider = providerUrn === undefined ? undefined : stack.find((r) => r.urn === providerUrn);
    const [shown, ...providers] = asShown([resource, ...(provider ? [provider] : [])], options);
    return resourceArgs(shown, new Map(providers.map((p) => [p.urn, p])), properties);
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
export function stackValidationArgs(
    resources: readonly CapturedResource[],
    properties: Record<string, unknown> = {},
    options: PolicyRunOptions = {},
): StackValidationArgs {
    return stackArgs(stackResources(asShown(resources, options)), properties);
}

function stackArgs(resources: PolicyResource[], properties: Record<string, unknown>): StackValidationArgs {
    return {
        resources,
        stackTags: EMPTY_TAGS,
        getConfig: <T extends object>() => deepCopy(properties) as T,
        notApplicable,
    };
}

const isProvider = (type: string) => type.startsWith("pulumi:providers:");

/**
 * The captured stack as the engine shows it to the policies on the first `pulumi preview` of a new stack, when nothing
 * exists yet (each unknown value is `UNKNOWN_AT_PREVIEW`):
 * - every output of a custom resource is unknown: IDs, principal IDs, key URIs, vault URIs, random results… (stack
 *   policies see inputs over outputs, so what stays unknown there is what the provider computes); custom resources
 *   have no ID. Providers are the exception: the engine configures them during preview.
 * - every input that depends on another resource (a key of its `propertyDependencies` naming one) is unknown as a whole:
 *   names built on a random suffix, scopes and resource URIs built on IDs, a FHIR service's key URL and identity. An
 *   input the program does not set stays unset.
 * Conservative by design: where the program passes an object whose leaves are outputs, the engine keeps its known parts
 * (a FHIR service's `identity.type` beside the unknown identity ID), where this view hides the whole input. A policy
 * that decides here therefore decides under the engine; `npm run test:engine` checks the real thing. Components are
 * left as captured (their outputs are registered later; no policy reads them).
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
            await guarded(undefined, () => p.validateStack(stackArgs((stack ??= stackResources(resources)), properties), report));
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
