/**
 * Faults under the real engine (engine/plugins/faults.ts, each rule with its source): ARM throttling (429 with
 * Retry-After) and transient 500s, retried as azure-native retries them; a long-running FHIR create that fails for one
 * account, measured with and without `--continue-on-error`; the provider process killed during a create; the CLI itself
 * killed during a create. Each time: the other accounts complete (at the latest on the next run), the next `pulumi up`
 * converges with nothing replaced or deleted, and every resource Azure created ends up in state (after docs/runbook.md
 * step 7's commands, where the engine lost it). Small stacks (two accounts, then one more), shared between steps.
 */
import * as childProcess from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { type CommandResult, type EngineProject, EngineProject as Project, declaredUrns, npmRun } from "../../engine/harness";
import { readFaultLog } from "../../engine/plugins/faults";
import { DESTRUCTIVE_OPS, type RunChanges, changesOf } from "./engineEvents";
import { accountsOf, allUrns, devConfig, offlinePlan, shellWords } from "./helpers";

const FHIR = "azure-native:healthcareapis:FhirService";
/** Retry waits shortened a hundredfold: the count and order of retries are what is checked, not minutes of sleep. */
const TIME_SCALE = "0.01";
/** FHIR creation takes about a quarter of an hour in Azure; here a few seconds, so that the two accounts' creates overlap. */
const FHIR_CREATE_SECONDS = 5;

function config(names: string[]): Record<string, unknown> {
    const base = devConfig();
    const dev = accountsOf(base);
    return {
        ...base,
        "fhir-platform:accounts": names.map((name) => {
            const { recoveryCopy: _copy, ...a } = dev.find((x) => x.name === name) ?? { ...dev[0], name };
            return { ...a, name };
        }),
    };
}

function faultEnv(rules: unknown[], extra: Record<string, string> = {}): Record<string, string> {
    return {
        FHIR_FAKE_FAULTS: JSON.stringify(rules),
        FHIR_FAKE_TIME_SCALE: TIME_SCALE,
        FHIR_FAKE_LRO_SECONDS: JSON.stringify({ [FHIR]: FHIR_CREATE_SECONDS }),
        ...extra,
    };
}

const UP = ["up", "--yes", "--skip-preview", "--json", "--stack", "dev"];
const projects: EngineProject[] = [];
afterAll(() => {
    for (const p of projects) p.remove();
});

async function newProject(names: string[]): Promise<EngineProject> {
    const p = await Project.create({ stack: "dev", config: config(names) });
    projects.push(p);
    return p;
}

function expectOk(r: { code: number; output: string }): void {
    expect({ code: r.code, output: r.code === 0 ? "" : r.output.slice(-4000) }).toEqual({ code: 0, output: "" });
}

/** Every resource the fake Azure holds is in state (nothing lost); returns the ARM-backed URNs missing from state. */
async function lostBy(p: EngineProject): Promise<string[]> {
    const inState = new Set((await p.state()).map((r) => r.urn));
    return p
        .armRecords()
        .filter((r) => !inState.has(r.urn))
        .map((r) => r.urn.split("::").pop() as string);
}

/** The offline plan of a project's stack file, per set of accounts (the URNs do not depend on the project directory). */
const plans = new Map<string, Promise<Map<string, string[]>>>();
function planOf(p: EngineProject): Promise<Map<string, string[]>> {
    const key = JSON.stringify(p.readStackConfig()["fhir-platform:accounts"]);
    if (!plans.has(key)) plans.set(key, offlinePlan(p));
    return plans.get(key) as Promise<Map<string, string[]>>;
}

/** The run converged: the program's every resource in state, a preview with no changes, nothing replaced or deleted. */
async function expectConverged(p: EngineProject, changes: RunChanges): Promise<void> {
    expect(changes.steps.filter((s) => DESTRUCTIVE_OPS.includes(s.op))).toEqual([]);
    expect(declaredUrns(await p.state())).toEqual(allUrns(await planOf(p)));
    expect(await lostBy(p)).toEqual([]);
    expectOk(await p.pulumi(["preview", "--expect-no-changes", "--stack", "dev"]));
}

/**
 * Does what the runbook says with `npm run adopt`'s output: its `az resource show` checks (here: the fake ARM), then the
 * `pulumi` commands, imports only of what exists. Returns the commands run.
 */
async function runAdoption(p: EngineProject, args: string[]): Promise<string[]> {
    const printed = await npmRun("adopt", ["--stack", "dev", "--project-dir", p.dir, ...args]);
    expectOk(printed);
    const run: string[] = [];
    for (const line of printed.stdout.split("\n").filter((l) => l.startsWith("pulumi "))) {
        const words = shellWords(line);
        if (words[1] === "import" && !p.arm.get(words[4] as string)) continue;
        expectOk(await p.pulumi(words.slice(1)));
        run.push(line);
    }
    return run;
}

/**
 * Kills a process and everything it started, as a cancelled CI job does to its process tree (SIGKILL, no cleanup). The
 * tree is read before the kill (afterwards its orphans belong to init).
 */
function killTree(pid: number): void {
    const rows = childProcess
        .execFileSync("ps", ["-eo", "pid=,ppid="], { encoding: "utf8" })
        .trim()
        .split("\n")
        .map((l) => l.trim().split(/\s+/).map(Number));
    const tree = [pid];
    for (let i = 0; i < tree.length; i++) for (const [child, parent] of rows) if (parent === tree[i]) tree.push(child as number);
    for (const p of tree) {
        try {
            process.kill(p, "SIGKILL");
        } catch {
            // already gone
        }
    }
}

const measured: Record<string, unknown> = {};
/** The two stacks of the long-running failure, reused for the killed provider and the killed CLI. */
const lro: Record<string, EngineProject> = {};

describe("faults under the real engine", () => {
    test("429 with Retry-After and transient 500s are retried as azure-native retries them: the first deployment succeeds", async () => {
        const p = await newProject(["contoso", "fabrikam"]);
        p.fakeAzureEnv = faultEnv([
            { match: "FhirService::contoso-fhir", op: "create", kind: "throttle", times: 2, retryAfterSeconds: 30 },
            { match: "RoleAssignment::contoso-cmk-crypto-grant", op: "create", kind: "throttle", times: 1, retryAfterSeconds: 5 },
            { match: "StorageAccount::fabrikam-export-storage", op: "create", kind: "serverError", times: 2 },
            { match: "keyvault:Key::fabrikam-cmk", op: "read", kind: "throttle", times: 1, retryAfterSeconds: 1 },
        ]);
        const r = await p.pulumi(UP);
        expectOk(r);
        await expectConverged(p, changesOf(r.stdout));
        // A refresh that is throttled once reads again and changes nothing.
        expectOk(await p.pulumi(["up", "--yes", "--skip-preview", "--refresh", "--expect-no-changes", "--stack", "dev"]));
        const log = readFaultLog(path.join(p.armDir, ".faults.jsonl"));
        expect(log.map((e) => [e.urn.split("::").pop(), e.status, e.outcome, e.delayMs])).toEqual(
            expect.arrayContaining([
                ["contoso-fhir", 429, "retried", 30_000],
                ["contoso-fhir", 429, "retried", 30_000],
                ["contoso-cmk-crypto-grant", 429, "retried", 5_000],
                ["fabrikam-export-storage", 500, "retried", 20_000],
                ["fabrikam-export-storage", 500, "retried", 60_000],
                ["fabrikam-cmk", 429, "retried", 1_000],
            ]),
        );
        expect(log.filter((e) => e.outcome !== "retried")).toEqual([]);
        measured.retried = {
            throttled: log.filter((e) => e.status === 429).length,
            serverErrors: log.filter((e) => e.status === 500).length,
        };
    });

    for (const continueOnError of [false, true]) {
        const mode = continueOnError ? "with --continue-on-error" : "without --continue-on-error";
        describe(`a long-running FHIR create fails for one account, ${mode}`, () => {
            let p: EngineProject;
            const figures: Record<string, unknown> = {};
            measured[mode] = figures;

            test("the run fails; the failed service is kept in state with its error; no resource Azure created is lost", async () => {
                p = await newProject(["contoso", "fabrikam"]);
                lro[mode] = p;
                const plan = await planOf(p);
                // contoso's create fails after 1 s while fabrikam's (FHIR_CREATE_SECONDS) is still running: the moment where
                // the flag decides whether fabrikam's dependents are created in this run or wait for the next.
                p.fakeAzureEnv = faultEnv([{ match: "FhirService::contoso-fhir", op: "create", kind: "operationFailed", afterSeconds: 1 }]);
                const r = await p.pulumi([...UP, ...(continueOnError ? ["--continue-on-error"] : [])]);
                expect(r.code).not.toBe(0);
                expect(r.output).toMatch(/Code=\\*"InternalServerError\\*" Message=\\*"The operation to provision contoso-fhir failed/);
                const state = await p.state();
                const failed = state.find((s) => s.urn.endsWith("::contoso-fhir")) as { initErrors?: string[] } | undefined;
                expect(failed?.initErrors?.join("\n")).toMatch(/The operation to provision contoso-fhir failed/);
                expect(await lostBy(p)).toEqual([]);
                const missing = (account: string) => (plan.get(account) ?? []).filter((u) => !state.some((s) => s.urn === u));
                figures.firstRun = {
                    seconds: Math.round(r.ms / 100) / 10,
                    inState: [...plan.values()].flat().filter((u) => state.some((s) => s.urn === u)).length,
                    fabrikamLeftForNextRun: missing("fabrikam").length,
                    contosoLeftForNextRun: missing("contoso").length,
                };
                // With --continue-on-error every resource that does not depend on the failed service is created in this run:
                // the other account is complete, and contoso lacks only what hangs on its FHIR service.
                if (continueOnError) {
                    expect(missing("fabrikam")).toEqual([]);
                    expect(missing("contoso").map((u) => u.split("::").pop())).toEqual(
                        (plan.get("contoso") ?? []).filter((u) => /::contoso-fhir-/.test(u)).map((u) => u.split("::").pop()),
                    );
                }
            });

            test("the next pulumi up converges: the failed service is updated in place, the rest created, nothing replaced or deleted", async () => {
                p.fakeAzureEnv = {};
                const r = await p.pulumi(UP);
                expectOk(r);
                const changes = changesOf(r.stdout);
                expect(changes.steps.filter((s) => s.op === "update").map((s) => s.name)).toEqual(["contoso-fhir"]);
                figures.secondRun = {
                    seconds: Math.round(r.ms / 100) / 10,
                    created: changes.steps.filter((s) => s.op === "create").length,
                    updated: 1,
                };
                await expectConverged(p, changes);
            });
        });
    }

    test("measured: --continue-on-error leaves less for the next run, and never more", () => {
        type Figures = { firstRun: { inState: number; fabrikamLeftForNextRun: number; contosoLeftForNextRun: number } };
        const without = (measured["without --continue-on-error"] as Figures).firstRun;
        const withIt = (measured["with --continue-on-error"] as Figures).firstRun;
        // Without the flag the engine starts nothing after the failure: fabrikam's FHIR service finishes, what depends on it
        // waits for the next run. With it, only what depends on the failed service waits.
        expect(without.fabrikamLeftForNextRun).toBeGreaterThan(0);
        expect(withIt.fabrikamLeftForNextRun).toBe(0);
        expect(withIt.contosoLeftForNextRun).toBe(without.contosoLeftForNextRun);
        expect(withIt.inState).toBeGreaterThan(without.inState);
        process.stdout.write(`fault figures: ${JSON.stringify(measured)}\n`);
    });

    test("the provider process killed during a create: the engine loses what Azure created; npm run adopt's commands put it back", async () => {
        const p = lro["without --continue-on-error"] as EngineProject;
        p.writeStackConfig(config(["contoso", "fabrikam", "northwind"]));
        p.fakeAzureEnv = faultEnv([{ match: "FhirService::northwind-fhir", op: "create", kind: "killProvider" }]);
        const killed = await p.pulumi(UP);
        expect(killed.code).not.toBe(0);
        expect(killed.output).toMatch(/pulumi-resource-azure-native exited prematurely/);
        // Azure created the service; the engine read the broken connection as "nothing happened" and kept no trace of it.
        expect(p.armRecords().some((r) => r.urn.endsWith("::northwind-fhir"))).toBe(true);
        expect(await lostBy(p)).toEqual(["northwind-fhir"]);
        const exported = JSON.parse((await p.pulumi(["stack", "export", "--stack", "dev"])).stdout) as {
            deployment: { pending_operations?: unknown[] };
        };
        expect(exported.deployment.pending_operations ?? []).toEqual([]);

        // Run again (runbook step 7): azure-native refuses to create over it, naming its ID.
        p.fakeAzureEnv = {};
        const refused = await p.pulumi(["up", "--yes", "--skip-preview", "--stack", "dev"]);
        expect(refused.code).not.toBe(0);
        expect(refused.output).toMatch(/cannot create already existing resource '[^']+\/fhirservices\/northwind'/);
        const log = path.join(p.dir, "refused.log");
        fs.writeFileSync(log, refused.output);
        const commands = await runAdoption(p, ["--log", log]);
        expect(commands.map((c) => shellWords(c).slice(0, 3).join(" "))).toEqual([`pulumi import ${FHIR}`]);

        const r = await p.pulumi(UP);
        expectOk(r);
        await expectConverged(p, changesOf(r.stdout));
    });

    test("the CLI killed during a create: pulumi cancel, then npm run adopt's commands for the pending create; the next up converges", async () => {
        const p = lro["with --continue-on-error"] as EngineProject;
        p.writeStackConfig(config(["contoso", "fabrikam", "wingtip"]));
        p.fakeAzureEnv = faultEnv([], { FHIR_FAKE_LRO_SECONDS: JSON.stringify({ [FHIR]: 6 }) });
        let cli: childProcess.ChildProcess | undefined;
        const watcher = setInterval(() => {
            // Azure accepted the FHIR create (it shows Creating): the CLI dies now, as a cancelled job's does.
            if (cli && p.armRecords().some((r) => r.urn.endsWith("::wingtip-fhir"))) {
                clearInterval(watcher);
                if (cli.pid !== undefined) killTree(cli.pid);
            }
        }, 200);
        const killed: CommandResult = await p.pulumi(UP, {
            timeoutMs: 10 * 60_000,
            onSpawn: (child) => {
                cli = child;
            },
        });
        clearInterval(watcher);
        expect(killed.code).not.toBe(0);

        p.fakeAzureEnv = {};
        const locked = await p.pulumi(["up", "--yes", "--skip-preview", "--stack", "dev"]);
        expect(locked.output).toMatch(/the stack is currently locked[\s\S]*pulumi cancel/);
        expectOk(await p.pulumi(["cancel", "--yes", "--stack", "dev"]));
        const exported = await p.pulumi(["stack", "export", "--stack", "dev"]);
        const pending = (
            JSON.parse(exported.stdout) as { deployment: { pending_operations?: { type: string; resource: { urn: string } }[] } }
        ).deployment.pending_operations;
        // The FHIR service's create was in flight (others may have been too: whatever the engine had started).
        const pendingNames = pending?.map((o) => (o.type === "creating" ? o.resource.urn.split("::").pop() : o.type)) ?? [];
        expect(pendingNames).toContain("wingtip-fhir");
        // What Azure holds and the state does not is exactly the pending creates that reached Azure.
        const lost = await lostBy(p);
        expect(lost).toContain("wingtip-fhir");
        for (const name of lost) expect(pendingNames).toContain(name);

        // Wait for Azure's create to end (runbook: the provisioning state must be final before importing).
        const fhir = () => p.armRecords().find((r) => r.urn.endsWith("::wingtip-fhir"));
        while ((fhir()?.azure?.readyAt ?? 0) > Date.now()) await new Promise((resolve) => setTimeout(resolve, 500));
        const file = path.join(p.dir, "state.json");
        fs.writeFileSync(file, exported.stdout);
        const commands = await runAdoption(p, ["--export", file]);
        expect(commands.map((c) => shellWords(c).slice(0, 2).join(" "))).toEqual(["pulumi refresh", ...lost.map(() => "pulumi import")]);
        expect(commands.some((c) => c.includes(`'${fhir()?.id}'`))).toBe(true);

        const r = await p.pulumi(UP);
        expectOk(r);
        await expectConverged(p, changesOf(r.stdout));
    });
});
