/**
 * The offline plan and the engine agree: for the dev stack and its variants, `npm run plan` (SDK mock mode) and
 * `pulumi preview` (the real engine, the fake providers with azure-native's Check and Diff) list the same resources,
 * the same inputs (where both know the value), the same protect flags; and on a deployed dev stack the plan diff's
 * verdicts (create, update, replace, delete) are the engine's.
 */
import { type EngineProject, EngineProject as Project, repoPlacementLock } from "../../engine/harness";
import { UNKNOWN } from "../../engine/plugins/fakeArm";
import { KNOWN_AFTER_DEPLOY, type Plan, inputLeaves } from "../../harness/plan";
import { diffPlans, sideOf } from "../../harness/planDiff";
import { type Account, accountsOf, devConfig, offlinePlanDocument } from "./helpers";

interface PreviewState {
    urn: string;
    type: string;
    custom?: boolean;
    protect?: boolean;
    inputs?: Record<string, unknown>;
}
interface Step {
    op: string;
    urn: string;
    newState?: PreviewState;
}

async function preview(project: EngineProject): Promise<Step[]> {
    const r = await project.pulumi(["preview", "--json", "--stack", project.stack]);
    if (r.code !== 0) throw new Error(`pulumi preview failed:\n${r.output}`);
    return ((JSON.parse(r.stdout) as { steps?: Step[] }).steps ?? []).filter(
        (s) => s.newState?.type !== "pulumi:pulumi:Stack" && !/::default(_[0-9_]+)?$/.test(s.urn),
    );
}

function planResources(plan: Plan) {
    return new Map(plan.groups.flatMap((g) => g.resources.map((r) => [r.urn, r] as const)));
}

/** `a.b[0].c` → `a`, `a.b`, `a.b[0]`. */
function prefixes(path: string): string[] {
    const out: string[] = [];
    for (const m of path.matchAll(/[.[]/g)) out.push(path.slice(0, m.index));
    return out;
}

/** Input leaves the plan knows (no mock value in them), compared with the engine's where the engine knows them too. */
function inputMismatches(plan: Plan, steps: Step[]): string[] {
    const planned = planResources(plan);
    const out: string[] = [];
    for (const s of steps) {
        const p = planned.get(s.urn);
        if (!p || !s.newState?.custom) continue;
        const engine = new Map(inputLeaves(s.newState.inputs ?? {}));
        for (const [path, value] of inputLeaves(p.inputs)) {
            // Mock values, and the dynamic provider's serialized code (the plan writes a placeholder).
            if (JSON.stringify(value).includes(KNOWN_AFTER_DEPLOY) || path === "__provider") continue;
            const got = engine.get(path);
            if (got === undefined && [...engine.keys()].some((k) => k.startsWith(`${path}.`) || k.startsWith(`${path}[`))) continue;
            // Unknown at preview, itself or an enclosing object (the SDK sends an object holding an unknown as unknown).
            if (typeof got === "string" && got.includes(UNKNOWN)) continue;
            if (prefixes(path).some((q) => engine.get(q) === UNKNOWN)) continue;
            if (JSON.stringify(got) !== JSON.stringify(value))
                out.push(`${s.urn} ${path}: plan ${JSON.stringify(value)}, engine ${JSON.stringify(got)}`);
        }
        // What the engine has beyond the plan: only what azure-native's Check adds (azureApiVersion, a location) and the
        // engine's own provider `version`; a leaf the plan holds as a whole (a mock value) or as children is not extra.
        const planPaths = inputLeaves(p.inputs).map(([path]) => path);
        for (const [path, value] of engine) {
            const top = path.split(/[.[]/)[0];
            const added =
                top === "azureApiVersion" ||
                top === "location" ||
                top.startsWith("__") ||
                (top === "version" && s.urn.includes("$pulumi:providers:"));
            const planned = planPaths.some((q) => q === path || prefixes(path).includes(q) || prefixes(q).includes(path));
            if (!added && !planned && value !== UNKNOWN) out.push(`${s.urn} ${path}: only the engine has it`);
        }
    }
    return out;
}

async function compareFresh(config: Record<string, unknown>, lock: unknown): Promise<void> {
    const project = await Project.create({ stack: "dev", config, placementLock: lock });
    try {
        const [plan, steps] = [await offlinePlanDocument(project), await preview(project)];
        const planned = planResources(plan);
        // Every variant deploys FHIR services (a stack both sides read as empty would agree trivially).
        expect(steps.filter((s) => s.newState?.type === "azure-native:healthcareapis:FhirService").length).toBeGreaterThan(0);
        expect(steps.map((s) => s.urn).sort()).toEqual([...planned.keys()].sort());
        expect(steps.filter((s) => s.op !== "create")).toEqual([]);
        expect(inputMismatches(plan, steps)).toEqual([]);
        const protect = (urns: [string, boolean][]) =>
            urns
                .filter(([, p]) => p)
                .map(([u]) => u)
                .sort();
        expect(protect(steps.map((s) => [s.urn, s.newState?.protect === true]))).toEqual(
            protect([...planned].map(([u, r]) => [u, r.protect])),
        );
    } finally {
        project.remove();
    }
}

const dev = () => devConfig();
const withAccounts = (f: (a: Account) => Account) => {
    const c = dev();
    return { ...c, "fhir-platform:accounts": accountsOf(c).map(f) };
};
const SUBNET = accountsOf(dev()).find((a) => a.name === "tailspin")?.privateEndpointSubnetId;

describe("npm run plan and pulumi preview agree on resources, inputs and protect flags", () => {
    test("the dev stack (dedicated workspaces)", () => compareFresh(dev(), repoPlacementLock("dev")));
    test("shared placement", () => compareFresh({ ...dev(), "fhir-platform:placement": "shared" }, undefined));
    test("every account private", () =>
        compareFresh(
            withAccounts((a) => ({ ...a, privateEndpointSubnetId: SUBNET, publicNetworkAccess: "Disabled" })),
            undefined,
        ));
    test("import and a container registry on every account", () =>
        compareFresh(
            withAccounts((a) => ({
                ...a,
                import: true,
                acr: {
                    registryIds: [
                        `/subscriptions/00000000-0000-4000-8000-00000000d001/resourceGroups/rg-t/providers/Microsoft.ContainerRegistry/registries/${a.name}templates`,
                    ],
                },
            })),
            undefined,
        ));
    // The CLI gives a bare key the project's namespace: `rbacPropagationSeconds` is `fhir-platform:rbacPropagationSeconds`.
    test("a key written without the fhir-platform: namespace (rbacPropagationSeconds)", () => {
        const c = dev();
        delete c["fhir-platform:rbacPropagationSeconds"];
        return compareFresh({ ...c, rbacPropagationSeconds: 7 }, repoPlacementLock("dev"));
    });
    test("a key written without the namespace: accounts", () => {
        const c = dev();
        const accounts = c["fhir-platform:accounts"];
        delete c["fhir-platform:accounts"];
        return compareFresh({ ...c, accounts }, repoPlacementLock("dev"));
    });
});

describe("on a deployed dev stack, the plan diff's verdicts are the engine's", () => {
    let project: EngineProject;
    let base: Plan;
    beforeAll(async () => {
        project = await Project.create({ stack: "dev", config: dev(), placementLock: repoPlacementLock("dev") });
        const up = await project.pulumi(["up", "--yes", "--skip-preview", "--stack", "dev"]);
        if (up.code !== 0) throw new Error(up.output);
        base = await offlinePlanDocument(project);
    });
    afterAll(() => project?.remove());

    async function verdicts(config: Record<string, unknown>): Promise<{ plan: Record<string, string>; engine: Record<string, string> }> {
        project.writeStackConfig(config);
        try {
            const head = await offlinePlanDocument(project);
            const d = diffPlans(sideOf(base), sideOf(head));
            const plan: Record<string, string> = {};
            for (const g of d.groups) {
                for (const r of g.added) plan[r.urn] = "create";
                for (const r of g.removed) plan[r.urn] = "delete";
                for (const c of g.changed) if (c.action !== "ignored") plan[c.urn] = c.action;
            }
            const engine: Record<string, string> = {};
            for (const s of await preview(project)) {
                if (s.op === "same") continue;
                engine[s.urn] = ["replace", "create-replacement", "delete-replaced"].includes(s.op) ? "replace" : s.op;
            }
            return { plan, engine };
        } finally {
            project.writeStackConfig(dev());
        }
    }

    test("a grant's principalType and description change: an update (azure-native replaces only on principalId and scope)", async () => {
        const v = await verdicts(
            withAccounts((a) =>
                a.name === "contoso"
                    ? {
                          ...a,
                          grants: (a.grants as Record<string, unknown>[]).map((g) => ({
                              ...g,
                              principalType: "User",
                              description: "changed",
                          })),
                      }
                    : a,
            ),
        );
        expect(v.engine).toEqual(v.plan);
        expect(Object.values(v.plan)).toContain("update");
        expect(Object.values(v.plan)).not.toContain("replace");
    });

    test("a deployed key's size change is refused by the plan and by the program under the engine, before anything reaches Azure", async () => {
        // Azure would answer 400 KeyCreationParametersDidNotMatchExistingKey (the fake's rule, plugins.test.ts); the
        // placement lock refuses the change first, naming the account and the field.
        project.writeStackConfig(withAccounts((a) => (a.name === "contoso" ? { ...a, keySize: 2048 } : a)));
        try {
            await expect(offlinePlanDocument(project)).rejects.toThrow(/accounts\[0\]\.keySize/);
            const r = await project.pulumi(["preview", "--stack", "dev"]);
            expect(r.code).not.toBe(0);
            expect(r.output).toMatch(/accounts\[0\]\.keySize/);
            expect(r.output).toContain("contoso");
        } finally {
            project.writeStackConfig(dev());
        }
    });

    test("a new account: its resources created; tags changed: updates", async () => {
        const c = dev();
        const v = await verdicts({
            ...c,
            "fhir-platform:tags": { environment: "dev", owner: "another-team" },
            "fhir-platform:accounts": [...accountsOf(c), { name: "northwind", keySize: 2048 }],
        });
        expect(v.engine).toEqual(v.plan);
        expect(Object.values(v.plan)).toEqual(expect.arrayContaining(["create", "update"]));
    });
});
