/**
 * The pack's cost grows linearly with the stack, checked by counting work instead of timing it (timings live in the
 * benchmark, `npm run bench`): property reads on the captured resources for the whole run, and reads of resource props
 * inside each stack policy. A lookup that scans every resource, or a map rebuilt per resource, makes these counts grow
 * with the square of the accounts; linear code grows them with the resources.
 */
import type { PolicyResource } from "@pulumi/policy";
import type { CapturedResource } from "../harness/mockRun";
import { configMap, runStack } from "../harness/runStack";
import { expectWarnings, notYetLocked } from "./helpers/warnings";
import { BENCH_STACK, generateRawConfig } from "../tools/bench/generate";
import { type PolicyRunOptions, firstPreviewView, resolvePolicyConfig, runPolicyPack, stackValidationArgs } from "../harness/policyRunner";
import { policies } from "../policies/policies";
import { type FhirStackPolicy, ScanIndex, StackIndex, isStackPolicy } from "../policies/rules/common";

expectWarnings(notYetLocked("bench"));

/**
 * Both sizes have every kind of account the generator makes (a private one is every tenth). Twice the accounts is
 * enough to tell linear from quadratic: n² reads grow reads per resource ×2, far beyond SLACK, and the least of the
 * scans this replaced (×2.3 from 10 to 30 accounts) grows them ×1.65 from 10 to 20. Larger stacks only cost time.
 */
const SMALL = 10;
const LARGE = 20;
/**
 * Reads per resource may grow by this factor from SMALL to LARGE accounts (shared resources, rounding): measured ×1.00
 * to ×1.05 (from 10 to 30 accounts); a growth of ×2 is what n² reads would give.
 */
const SLACK = 1.3;

const REGISTRY_RG =
    "/subscriptions/00000000-0000-4000-8000-00000000b001/resourceGroups/rg-templates/providers/Microsoft.ContainerRegistry/registries";
const SHARED_REGISTRY = `${REGISTRY_RG}/sharedtemplates`;

/**
 * The benchmark's generated stack, plus `$convert-data` registries (which the generator does not make), so that the
 * registry rule relates grants and FHIR services at scale: every fifth account has its own registry, every fifth
 * (another) lists a registry stack config declares shared.
 */
function withRegistries(n: number): ReturnType<typeof generateRawConfig> {
    const raw = generateRawConfig(n);
    const accounts = (raw.accounts as Record<string, unknown>[]).map((a, i) => {
        if (i % 5 === 2) return { ...a, acr: { registryIds: [`${REGISTRY_RG}/templates${String(i).padStart(4, "0")}`] } };
        if (i % 5 === 4) return { ...a, acr: { registryIds: [SHARED_REGISTRY] } };
        return a;
    });
    return { ...raw, accounts, sharedRegistryIds: [SHARED_REGISTRY] };
}

const stacks = new Map<number, CapturedResource[]>();
beforeAll(async () => {
    for (const n of [SMALL, LARGE]) stacks.set(n, (await runStack({ stack: BENCH_STACK, config: configMap(withRegistries(n)) })).resources);
});

/** `target` behind a proxy that counts reads of its own properties. */
function counted<T extends object>(target: T, counter: { reads: number }): T {
    return new Proxy(target, {
        get(t, k, receiver) {
            counter.reads++;
            return Reflect.get(t, k, receiver) as unknown;
        },
    });
}

async function packReads(resources: CapturedResource[], options: PolicyRunOptions): Promise<number> {
    const counter = { reads: 0 };
    // Counted on the stack as shown: a first preview shows copies (firstPreviewView, one map over the stack), which the
    // pack then reads as it reads the captured stack after deployment.
    const shown = options.firstPreview ? firstPreviewView(resources) : resources;
    const report = await runPolicyPack(
        shown.map((r) => counted(r, counter)),
        {},
        policies,
    );
    expect(report.policiesRun).toBe(policies.length);
    // A first preview decides as much: a policy stopped by an unknown value would read less and hide a scan.
    expect(report.violations.filter((v) => v.message.startsWith("can't run policy"))).toEqual([]);
    return counter.reads;
}

async function stackPolicyReads(p: FhirStackPolicy, resources: CapturedResource[], options: PolicyRunOptions): Promise<number> {
    const counter = { reads: 0 };
    const args = stackValidationArgs(resources, resolvePolicyConfig().get(p.name)!.properties, options);
    for (const r of args.resources) r.props = counted(r.props, counter);
    await p.validateStack(args, () => undefined);
    return counter.reads;
}

test("the generated stacks differ in size as the accounts do, and have registry grants (shared and not)", () => {
    const growth = stacks.get(LARGE)!.length / stacks.get(SMALL)!.length;
    expect(growth).toBeGreaterThan(1.7);
    expect(growth).toBeLessThan(2.2);
    const pulls = stacks.get(SMALL)!.filter((r) => r.type === "azure-native:authorization:RoleAssignment" && /-acr-pull-/.test(r.name));
    expect(pulls.map((r) => String((r.inputs as { description?: unknown }).description).includes("[shared]")).sort()).toEqual([
        false,
        false,
        true,
        true,
    ]);
});

/** After deployment (every value known), and on a new stack's first preview, where lookups go by dependency. */
const MODES: [string, PolicyRunOptions][] = [
    ["after deployment", {}],
    ["on a first preview", { firstPreview: true }],
];

describe.each(MODES)("the pack is linear in the size of the stack, %s", (_mode, options) => {
    test("the whole pack reads the captured resources a number of times proportional to their count", async () => {
        const [small, large] = [stacks.get(SMALL)!, stacks.get(LARGE)!];
        const perResource = [(await packReads(small, options)) / small.length, (await packReads(large, options)) / large.length];
        expect(perResource[1]).toBeLessThanOrEqual(perResource[0] * SLACK);
    });

    const stackPolicies = policies.filter(isStackPolicy);
    test.each(stackPolicies.map((p) => [p.name, p] as const))("stack policy %s reads props in linear number", async (_name, p) => {
        const [small, large] = [stacks.get(SMALL)!, stacks.get(LARGE)!];
        const perResource = [
            (await stackPolicyReads(p, small, options)) / small.length,
            (await stackPolicyReads(p, large, options)) / large.length,
        ];
        expect(perResource[0]).toBeGreaterThan(0);
        expect(perResource[1]).toBeLessThanOrEqual(perResource[0] * SLACK);
    });
});

describe("ScanIndex answers as the scan it replaces, failures included", () => {
    /** Items whose key reading throws, like props holding a value unknown at preview. */
    const items = [{ k: "a" }, { k: "b" }, { k: undefined, fails: true }, { k: "a" }, { k: "c" }];
    const keyOf = (x: (typeof items)[number]) => {
        if (x.fails) throw new Error("unknown at preview");
        return [x.k];
    };
    const scan = {
        find: (k: string) => items.find((x) => keyOf(x)[0] === k),
        filter: (k: string) => items.filter((x) => keyOf(x)[0] === k),
    };
    const outcome = (f: () => unknown) => {
        try {
            return { value: f() };
        } catch (e) {
            return { error: (e as Error).message };
        }
    };

    test.each(["a", "b", "c", "z"])("find and filter of %s", (k) => {
        const index = new ScanIndex(items, keyOf);
        expect(outcome(() => index.find(k))).toEqual(outcome(() => scan.find(k)));
        expect(outcome(() => index.filter(k))).toEqual(outcome(() => scan.filter(k)));
    });

    test("keys are read once per item, however many lookups", () => {
        let reads = 0;
        const index = new ScanIndex(["x", "y", "x"], (s) => {
            reads++;
            return [s, s];
        });
        for (let i = 0; i < 10; i++) expect(index.filter("x")).toEqual(["x", "x"]);
        expect(index.find("y")).toBe("y");
        expect(reads).toBe(3);
    });

    test("stack policies given the same resources share one StackIndex", () => {
        const resources: PolicyResource[] = stackValidationArgs(stacks.get(SMALL)!).resources;
        expect(StackIndex.for(resources)).toBe(StackIndex.for(resources));
        expect(StackIndex.for([...resources])).not.toBe(StackIndex.for(resources));
    });
});
