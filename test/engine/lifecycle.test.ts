/**
 * A stack's life under the real engine, against the fake ARM: create, no-op updates, reordering, a new account,
 * protection, and decommissioning one account. The steps share one stack and run in order.
 */
import { type EngineProject, type StateResource, declaredUrns, npmRun } from "../../engine/harness";
import {
    POLICY_PACK_DIR,
    DYNAMIC_WAIT_TYPE,
    accountsOf,
    allUrns,
    byUrn,
    devConfig,
    devProject,
    offlinePlan,
    previewSteps,
    shellWords,
} from "./helpers";

let project: EngineProject;
let initialPlan: Map<string, string[]>;
let afterCreate: StateResource[];

beforeAll(async () => {
    project = await devProject();
    initialPlan = await offlinePlan(project);
});
afterAll(() => project?.remove());

/** Records in the fake ARM table for a stack's custom resources (the engine's providers and dynamic resources excepted). */
function armBacked(resources: StateResource[]): StateResource[] {
    return resources.filter((r) => r.custom && !r.type.startsWith("pulumi:providers:") && !r.type.startsWith("pulumi-nodejs:dynamic"));
}

function expectOk(r: { code: number; output: string }): void {
    expect({ code: r.code, output: r.code === 0 ? "" : r.output }).toEqual({ code: 0, output: "" });
}

describe("the dev stack's lifecycle under the real engine", () => {
    test("pulumi up creates exactly the URNs the offline plan lists, each one in the fake ARM", async () => {
        const r = await project.pulumi(["up", "--yes", "--skip-preview", "--stack", "dev", "--policy-pack", POLICY_PACK_DIR]);
        expectOk(r);
        afterCreate = await project.state();
        expect(declaredUrns(afterCreate)).toEqual(allUrns(initialPlan));
        const records = project.armRecords();
        expect(records.map((x) => x.urn).sort()).toEqual(
            armBacked(afterCreate)
                .map((x) => x.urn)
                .sort(),
        );
        // The engine recorded the IDs the fake ARM gave.
        const ids = new Map(records.map((x) => [x.urn, x.id]));
        for (const res of armBacked(afterCreate)) expect(res.id).toBe(ids.get(res.urn));
        // Protection reached the engine: the stateful resources are protected in state.
        expect(afterCreate.filter((x) => x.protect).length).toBeGreaterThan(0);
    });

    test(
        "the RBAC wait runs as a dynamic provider: its code is in state, it follows the crypto grant and the FHIR service waits for " +
            "it",
        () => {
            const state = byUrn(afterCreate);
            const waits = afterCreate.filter((x) => x.type === DYNAMIC_WAIT_TYPE);
            expect(waits.map((w) => w.urn.split("::").pop()).sort()).toEqual(
                accountsOf(devConfig())
                    .map((a) => `${a.name}-cmk-grant-propagation`)
                    .sort(),
            );
            for (const wait of waits) {
                expect(typeof wait.outputs?.__provider).toBe("string");
                expect(String(wait.outputs?.__provider)).toContain("setTimeout");
                expect(wait.outputs?.seconds).toBe(1);
                const account = (wait.urn.split("::").pop() ?? "").replace(/-cmk-grant-propagation$/, "");
                const grant = afterCreate.find((x) => x.urn.endsWith(`::${account}-cmk-crypto-grant`));
                expect(grant?.id).toMatch(/\/providers\/Microsoft\.Authorization\/roleAssignments\//);
                expect(wait.outputs?.trigger).toBe(grant?.id);
                const fhir = afterCreate.find(
                    (x) => x.type === "azure-native:healthcareapis:FhirService" && x.urn.endsWith(`::${account}-fhir`),
                );
                expect(fhir).toBeDefined();
                const deps = (fhir as StateResource & { dependencies?: string[] }).dependencies ?? [];
                expect(deps).toContain(wait.urn);
                expect(state.get(wait.urn)).toBe(wait);
            }
        },
    );

    test("a second pulumi up reports no changes (--expect-no-changes), the dynamic provider's code deserialized for its diff", async () => {
        expectOk(await project.pulumi(["up", "--yes", "--stack", "dev", "--expect-no-changes"]));
    });

    test("reordering the accounts changes nothing", async () => {
        const config = devConfig();
        project.writeStackConfig({ ...config, "fhir-platform:accounts": [...accountsOf(config)].reverse() });
        expectOk(await project.pulumi(["preview", "--stack", "dev", "--expect-no-changes"]));
    });

    test("adding an account creates only that account's resources", async () => {
        const config = devConfig();
        const added = { name: "northwind", keySize: 2048 };
        project.writeStackConfig({ ...config, "fhir-platform:accounts": [...accountsOf(config), added] });
        const plan = await offlinePlan(project);
        const expected = plan.get("northwind") ?? [];
        expect(expected.length).toBeGreaterThan(5);

        const preview = await project.pulumi(["preview", "--stack", "dev", "--json"]);
        expectOk(preview);
        const changed = previewSteps(preview.stdout).filter((s) => s.op !== "same");
        expect(changed.filter((s) => s.op !== "create")).toEqual([]);
        expect(changed.map((s) => s.urn).sort()).toEqual(expected);

        const before = new Set(declaredUrns(await project.state()));
        expectOk(await project.pulumi(["up", "--yes", "--skip-preview", "--stack", "dev"]));
        const after = declaredUrns(await project.state());
        expect(after.filter((u) => !before.has(u))).toEqual(expected);
        expect(after.filter((u) => before.has(u))).toEqual([...before].sort());
    });

    test("pulumi destroy is refused because of protected resources, before anything is deleted", async () => {
        const before = declaredUrns(await project.state());
        const records = project.armRecords().length;
        // With its preview (the default): the engine refuses the whole destroy up front. (With --skip-preview it would
        // delete every unprotected resource, role assignments included, before stopping at the first protected one.)
        const r = await project.pulumi(["destroy", "--yes", "--stack", "dev"]);
        expect(r.code).not.toBe(0);
        expect(r.output).toMatch(/cannot be deleted\s+because it is protected/);
        expect(declaredUrns(await project.state())).toEqual(before);
        expect(project.armRecords().length).toBe(records);
    });

    test(
        "after npm run decommission's commands for one account and removing it from the stack file, pulumi up deletes exactly its " +
            "resources",
        async () => {
            const before = await project.state();

            const decommission = await npmRun("decommission", ["--stack", "dev", "--account", "fabrikam", "--project-dir", project.dir]);
            expect({ code: decommission.code, output: decommission.code === 0 ? "" : decommission.output }).toEqual({
                code: 0,
                output: "",
            });
            const commands = decommission.stdout.split("\n").filter((l) => l.startsWith("pulumi "));
            expect(commands.length).toBeGreaterThan(0);
            const unprotected = new Set<string>();
            for (const line of commands) {
                const [, ...args] = shellWords(line);
                expectOk(await project.pulumi(args));
                unprotected.add(args[args.length - 1]);
            }
            // Exactly fabrikam's protected resources were unprotected.
            const fabrikam = new Set(initialPlan.get("fabrikam") ?? []);
            const protectedBefore = before.filter((x) => x.protect);
            expect([...unprotected].sort()).toEqual(
                protectedBefore
                    .filter((x) => fabrikam.has(x.urn))
                    .map((x) => x.urn)
                    .sort(),
            );

            const config = project.readStackConfig();
            project.writeStackConfig({ ...config, "fhir-platform:accounts": accountsOf(config).filter((a) => a.name !== "fabrikam") });
            const r = await project.pulumi(["up", "--yes", "--skip-preview", "--stack", "dev"]);
            expectOk(r);
            const after = declaredUrns(await project.state());
            const removed = declaredUrns(before).filter((u) => !after.includes(u));
            expect(removed).toEqual([...fabrikam].sort());
            expect(after).toEqual(declaredUrns(before).filter((u) => !fabrikam.has(u)));
            // The fake ARM agrees: nothing of fabrikam is left, everything else is still there.
            expect(project.armRecords().filter((x) => fabrikam.has(x.urn))).toEqual([]);
            expect(project.armRecords().length).toBe(armBacked(before).filter((x) => !fabrikam.has(x.urn)).length);
        },
    );
});
