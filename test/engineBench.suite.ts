/**
 * The real-engine harness and benchmark without the real CLI: which runs skip the CLI's per-step checkpoints, the
 * process CPU sampler, the pprof reader, the matrix of cases, and the BENCHMARKS.md section (targets, extrapolation of
 * a run stopped at the limit, the crash table, and that `npm run bench` keeps the section).
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { type EngineRun, caseArgs, checkpointVariable, cliProfileFrom, resourceCount } from "../engine/bench";
import { engineTargets, extrapolate, renderEngineSection, updateBenchmarksMd } from "../engine/benchReport";
import { processRole, sampleCpu } from "../engine/cpu";
import type { CrashResult } from "../engine/crash";
import { EngineProject, checkpointEnv, pulumiCommand } from "../engine/harness";
import { ENGINE_END, ENGINE_START, keptBlock } from "../tools/bench/document";
import { matrix } from "../scripts/engine-bench";

describe("checkpoints in the engine harness", () => {
    test("a preview skips the CLI's per-step checkpoints; up, destroy, refresh and stack commands keep the CLI's default", () => {
        expect(checkpointEnv(["preview", "--stack", "dev", "--policy-pack", "policies"])).toEqual({ PULUMI_SKIP_CHECKPOINTS: "true" });
        for (const args of [
            ["up", "--yes"],
            ["destroy", "--yes"],
            ["refresh", "--yes"],
            ["stack", "export"],
            ["cancel", "--yes"],
        ]) {
            expect({ args, env: checkpointEnv(args) }).toEqual({ args, env: {} });
        }
        expect(pulumiCommand(["--non-interactive", "up"])).toBe("up");
    });

    describe("EngineProject.pulumi runs the CLI with the command's setting (a stand-in CLI prints what it got)", () => {
        let dir: string;
        let project: EngineProject;
        const saved = process.env.PULUMI_ENGINE;
        beforeAll(async () => {
            dir = fs.mkdtempSync(path.join(os.tmpdir(), "fake-pulumi-"));
            const cli = path.join(dir, "pulumi");
            fs.writeFileSync(cli, '#!/bin/sh\necho "skip=${PULUMI_SKIP_CHECKPOINTS:-unset} $1"\n', { mode: 0o755 });
            process.env.PULUMI_ENGINE = cli;
            project = await EngineProject.create({ stack: "dev", config: {} });
        });
        afterAll(() => {
            if (saved === undefined) delete process.env.PULUMI_ENGINE;
            else process.env.PULUMI_ENGINE = saved;
            project?.remove();
            fs.rmSync(dir, { recursive: true, force: true });
        });

        test("preview: skipped; up: the CLI's default; a benchmark's explicit choice wins", async () => {
            expect((await project.pulumi(["preview", "--stack", "dev"])).stdout.trim()).toBe("skip=true preview");
            expect((await project.pulumi(["up", "--yes"])).stdout.trim()).toBe("skip=unset up");
            expect((await project.pulumi(["preview"], { env: checkpointVariable("every-step") })).stdout.trim()).toBe("skip=false preview");
            expect((await project.pulumi(["up"], { env: checkpointVariable("at-end") })).stdout.trim()).toBe("skip=true up");
        });
    });
});

describe("the CPU sampler", () => {
    test("processes are told apart by their command lines", () => {
        expect(processRole("/w/engine/bin/pulumi preview --stack bench --non-interactive")).toBe("cli");
        expect(processRole("node /w/node_modules/@pulumi/pulumi/cmd/run/index.js --monitor 127.0.0.1:1 --project p .")).toBe("program");
        expect(processRole("node /w/node_modules/@pulumi/pulumi/cmd/run-policy-pack/index.js 127.0.0.1:1 /w/policies")).toBe("policy pack");
        expect(processRole("node /w/engine/bin/dist/engine/plugins/fakeProvider.js azure-native 3.28.0 127.0.0.1:1")).toBe("providers");
        expect(processRole("node /w/node_modules/@pulumi/pulumi/cmd/dynamic-provider/index.js 127.0.0.1:1")).toBe("dynamic provider");
        expect(processRole("node /w/engine/bin/dist/engine/plugins/languageHost.js 127.0.0.1:1")).toBe("language host");
        expect(processRole("sh -c something else")).toBe("other");
    });

    test("counts the CPU a process of the tree spends, under its role", async () => {
        // Busy until it has used 150 ms of CPU, however loaded the machine is (the sampler reads all of /proc each time).
        const child = spawn(process.execPath, ["-e", "while (process.cpuUsage().user < 150000) {}"], { stdio: "ignore" });
        const sampler = sampleCpu(child.pid as number, 50);
        await new Promise((resolve) => child.on("exit", resolve));
        const split = sampler.stop();
        expect(split.roleOf[child.pid as number]).toBe("other");
        expect(split.seconds.other).toBeGreaterThanOrEqual(0.05);
        expect(split.totalSeconds).toBe(split.seconds.other);
    });
});

describe("the benchmark's cases and readings", () => {
    test("per size and command: at-end with the pack, at-end without it, every-step with it; filters apply", () => {
        const all = matrix([10], ["preview", "up"], ["at-end", "every-step"], [true, false], 1);
        expect(all.map((c) => `${c.command} ${c.checkpoints} ${c.pack}`)).toEqual([
            "preview at-end true",
            "preview at-end false",
            "preview every-step true",
            "up at-end true",
            "up at-end false",
            "up every-step true",
        ]);
        expect(matrix([10, 100], ["up"], ["every-step"], [true], 2)).toHaveLength(4);
        // grow (accounts added to a deployed stack): with the pack only.
        expect(matrix([100], ["grow"], ["at-end", "every-step"], [true, false], 1).map((c) => `${c.checkpoints} ${c.pack}`)).toEqual([
            "at-end true",
            "every-step true",
        ]);
    });

    test("up runs as pulumi/actions runs it (--yes --skip-preview); the pack is given by path", () => {
        expect(caseArgs({ command: "up", accounts: 10, pack: false, checkpoints: "at-end" })).toEqual([
            "up",
            "--yes",
            "--skip-preview",
            "--stack",
            "bench",
        ]);
        expect(caseArgs({ command: "preview", accounts: 10, pack: true, checkpoints: "at-end" }).slice(-1)[0]).toMatch(/policies$/);
        expect(resourceCount("Resources:\n    + 2001 to create\n")).toBe(2001);
        expect(resourceCount("Resources:\n    + 212 created\n")).toBe(212);
    });

    test("pprof's table: units, zero flat times, inlined frames; parts by cumulative time, sums where they do not nest", () => {
        const text = [
            "Duration: 31.61s, Total samples = 10s (31.6%)",
            "      flat  flat%   sum%        cum   cum%",
            "         0     0%     0%      6.50s 65.00%  github.com/pulumi/pulumi/pkg/v3/backend.(*SnapshotManager).saveSnapshot",
            "     0.01s  0.10%  0.10%      2.50s 25.00%  github.com/pulumi/pulumi/pkg/v3/resource/stack/snapshot.VerifyIntegrity",
            "     0.80s  8.00%  8.10%      0.80s  8.00%  crypto/md5.block",
            "         0     0%  8.10%      300ms  3.00%  github.com/pulumi/pulumi/pkg/v3/resource/plugin.(*analyzer).Analyze",
            "         0     0%  8.10%      200ms  2.00%  github.com/pulumi/pulumi/pkg/v3/resource/plugin.(*analyzer).Remediate (inline)",
        ].join("\n");
        const p = cliProfileFrom(text);
        expect(p.totalSeconds).toBe(10);
        const part = (name: string) => p.parts.find((x) => x.part.trim().startsWith(name));
        expect(part("saving the snapshot")).toEqual(expect.objectContaining({ seconds: 6.5, share: 65 }));
        expect(part("integrity check")?.seconds).toBe(2.5);
        expect(part("policy analyzer calls")?.seconds).toBe(0.5);
        expect(p.top[0]).toEqual({ fn: "crypto/md5.block", seconds: 0.8, share: 8 });
    });
});

function run(partial: Partial<EngineRun> & Pick<EngineRun, "command" | "accounts" | "checkpoints" | "pack" | "seconds">): EngineRun {
    const zero = { cli: 0, program: 0, "policy pack": 0, providers: 0, "dynamic provider": 0, "language host": 0, other: 0 };
    return {
        resources: partial.accounts * 20,
        cpu: { seconds: zero, peakRssMiB: zero, processes: zero, totalSeconds: 0, roleOf: {} },
        load: { before: 0.1, max: 0.5 },
        ...partial,
    };
}

describe("the real-engine section of BENCHMARKS.md", () => {
    const runs: EngineRun[] = [
        run({ command: "preview", accounts: 100, checkpoints: "at-end", pack: true, seconds: 18 }),
        run({ command: "preview", accounts: 300, checkpoints: "at-end", pack: true, seconds: 62 }),
        run({ command: "up", accounts: 100, checkpoints: "at-end", pack: true, seconds: 25 }),
        run({ command: "up", accounts: 100, checkpoints: "every-step", pack: true, seconds: 280 }),
        run({ command: "up", accounts: 300, checkpoints: "at-end", pack: true, seconds: 75 }),
        run({ command: "up", accounts: 300, checkpoints: "every-step", pack: true, seconds: 2700, resources: 0, stoppedAtLimit: true }),
    ];

    test("targets: preview at 100 and 300 and its growth, up at 100 per checkpoint mode; a stopped run never meets one", () => {
        expect(engineTargets(runs).map((t) => [t.name, t.ok])).toEqual([
            ["`pulumi preview` at 100 accounts (pack on, checkpoints at end)", true],
            ["`pulumi preview` at 300 accounts", false],
            ["`pulumi preview` growth 100 → 300", false],
            ["engine's own cost of `pulumi up` at 100 accounts, checkpoints every-step, file backend", false],
            ["engine's own cost of `pulumi up` at 100 accounts, checkpoints at-end, file backend", true],
            ["engine's own cost of `pulumi up` at the recommended shard size (20 accounts), checkpoints every-step", undefined],
            ["`pulumi preview` at the recommended shard size (20 accounts)", undefined],
        ]);
    });

    test("a run stopped at the limit is extrapolated from the largest finished one by the square of the resources", () => {
        const stopped = runs[5];
        const e = extrapolate(runs, stopped);
        // 75 s at end + (280 - 25) s × (6000 / 2000)² = 75 + 2295.
        expect(e?.seconds).toBeCloseTo(2370, 5);
        expect(e?.from.accounts).toBe(100);
        expect(renderEngineSection({ meta: META, runs })).toContain("> 45 min (stopped); ≈ 40 min extrapolated (n² from 100 accounts)");
    });

    test("the crash table says what the state lost and whether the recovery brought it back", () => {
        const crash: CrashResult = {
            accounts: 10,
            checkpoints: "at-end",
            signal: "SIGKILL",
            at: 0.5,
            azureResources: 137,
            stoppedAfterSeconds: 14.7,
            exit: "SIGKILL → exit 128",
            inAzure: 69,
            inState: 0,
            pendingOperations: 0,
            orphans: 69,
            orphansByType: { "azure-native:resources:ResourceGroup": 13, "azure-native:keyvault:Vault": 10 },
            rerun: { code: 1, locked: true, alreadyExists: 0, firstError: "error: the stack is currently locked by 1 lock(s)." },
            recovery: {
                commands: ["pulumi cancel --yes", "pulumi up --yes --skip-preview"],
                upCode: 1,
                firstError: "error: cannot create already existing resource",
                stateMatchesAzure: false,
                orphansLeft: 69,
            },
        };
        const md = renderEngineSection({ meta: META, runs, crashes: [crash] });
        expect(md).toContain("| at-end | SIGKILL | SIGKILL → exit 128 after 14.7 s | 69 | 0 | 0 | **69** (13 ResourceGroup, 10 Vault) |");
        expect(md).toContain("69 still unknown to the state");
    });

    test("with --node-profile, every Node process's profile: CPU not idle, summed per role, and how much is this project's code", () => {
        const summary = (busyMs: number, ours: { place: string; ms: number; share: number }[]) => ({
            totalMs: busyMs + 7000,
            byPlace: [
                { place: "(idle)", ms: 7000, share: 0 },
                { place: "(garbage collector)", ms: busyMs / 4, share: 0 },
                { place: "@pulumi/pulumi/.", ms: (busyMs * 3) / 4, share: 0 },
            ],
            topFunctions: [],
            inclusive: [],
            ours,
        });
        const nodeProfiles = [
            { role: "providers" as const, summary: summary(1000, [{ place: "engine/", ms: 40, share: 0 }]) },
            {
                role: "program" as const,
                summary: summary(20000, [
                    { place: "components/", ms: 120, share: 0 },
                    { place: "config/", ms: 0, share: 0 },
                ]),
            },
            { role: "providers" as const, summary: summary(2000, [{ place: "engine/", ms: 60, share: 0 }]) },
        ];
        const md = renderEngineSection({ meta: META, runs: [{ ...runs[0], nodeProfiles }] });
        expect(md).toContain("| program | 1 | 20.00 | 5.00 | @pulumi/pulumi/. 15.00 | components/ 0.12 |");
        expect(md).toContain("| providers | 2 | 3.00 | 0.75 | @pulumi/pulumi/. 2.25 | engine/ 0.10 |");
        expect(md.indexOf("| program |")).toBeLessThan(md.indexOf("| providers |"));
    });

    test("bench:engine replaces only its section; npm run bench keeps it", () => {
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "benchmarks-")), "BENCHMARKS.md");
        fs.writeFileSync(file, `# Benchmarks\n\nIntro.\n\n${ENGINE_START}\nold\n${ENGINE_END}\n\n## Findings\n\nKept.\n`);
        updateBenchmarksMd(file, { meta: META, runs });
        const text = fs.readFileSync(file, "utf8");
        expect(text.startsWith("# Benchmarks\n\nIntro.\n\n")).toBe(true);
        expect(text.endsWith("\n\n## Findings\n\nKept.\n")).toBe(true);
        expect(keptBlock(text, ENGINE_START, ENGINE_END)).toContain("## The real engine");
        expect(text).not.toContain("\nold\n");
        // Without a section yet, it goes before the first heading after the title.
        fs.writeFileSync(file, "# Benchmarks\n\nIntro.\n\n## Findings\n");
        updateBenchmarksMd(file, { meta: META, runs });
        expect(fs.readFileSync(file, "utf8").indexOf(ENGINE_START)).toBeLessThan(fs.readFileSync(file, "utf8").indexOf("## Findings"));
    });
});

const META = {
    command: "npm run bench:engine",
    pulumi: "v3.274.1",
    node: "v24.21.0",
    cores: 2,
    cpuModel: "test",
    date: "2026-12-03T00:00:00Z",
    elapsedSeconds: 60,
};
