/**
 * The real engine at scale: wall time and CPU (split by process) of `pulumi preview` and `pulumi up --yes
 * --skip-preview` (what pulumi/actions runs) of fresh stacks of N generated accounts (tools/bench/generate.ts), with
 * and without the policy pack, with the CLI's per-step checkpoints and without them (PULUMI_SKIP_CHECKPOINTS=true).
 * Each run gets its own project directory, local file backend and fake ARM table; the fake providers answer at once
 * and the RBAC wait is 0 s, so what is measured is the engine's own cost: the part Azure's latency does not hide.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { BENCH_STACK, generateRawConfig } from "../tools/bench/generate";
import { type ProfileSummary, summarizeProfile } from "../tools/bench/profile";
import { goBinary } from "./build";
import { type CpuSplit, type ProcessRole, sampleCpu } from "./cpu";
import { EngineProject, engineBinary, runCommand } from "./harness";
import { DIST_DIR, REPO_ROOT } from "./paths";

/**
 * `preview` and `up` of a stack never deployed (everything to create); `grow`: `up` of a stack of N accounts already
 * deployed (checkpoints at end, not measured) to which GROW_BY accounts were added: a day-2 change.
 */
export type EngineCommand = "preview" | "up" | "grow";
export const GROW_BY = 10;
/** `every-step`: the CLI's default; `at-end`: PULUMI_SKIP_CHECKPOINTS=true. */
export type Checkpoints = "every-step" | "at-end";

export interface EngineCase {
    command: EngineCommand;
    accounts: number;
    pack: boolean;
    checkpoints: Checkpoints;
}

export interface CliProfile {
    /** Seconds of CPU samples in the profile. */
    totalSeconds: number;
    /** Cumulative share of named parts of the CLI's work. */
    parts: { part: string; seconds: number; share: number }[];
    /** The functions with the most self time. */
    top: { fn: string; seconds: number; share: number }[];
}

export interface NodeProfile {
    role: ProcessRole;
    summary: ProfileSummary;
}

export interface EngineRun extends EngineCase {
    /** Resources the run created or would create (the stack included). */
    resources: number;
    seconds: number;
    cpu: CpuSplit;
    /** The 1-minute load average before the run and its highest value during it. */
    load: { before: number; max: number };
    cliProfile?: CliProfile;
    nodeProfiles?: NodeProfile[];
    /** Set when the run was stopped at the time limit (then `resources` is 0 and `seconds` the limit). */
    stoppedAtLimit?: boolean;
}

export interface EngineBenchOptions {
    cases: EngineCase[];
    /** Keep a Go CPU profile of the CLI (`--profiling`) for every run, and summarize it. */
    profileCli?: boolean;
    /** Also keep V8 CPU profiles of the program, the analyzer and the plugins (NODE_OPTIONS=--cpu-prof). */
    profileNode?: boolean;
    /** Stop a run after this many minutes (default 180); the report extrapolates it instead. */
    maxMinutes?: number;
    /** Called after each run (progress). */
    onRun?: (run: EngineRun, index: number, total: number) => void;
}

/** The stack file's config of a generated stack: RBAC wait 0 s, so nothing waits but the engine. */
export function benchStackConfig(accounts: number): Record<string, unknown> {
    const raw = { ...generateRawConfig(accounts), rbacPropagationSeconds: 0 };
    return {
        "pulumi:disable-default-providers": ["azure-native"],
        ...Object.fromEntries(Object.entries(raw).map(([k, v]) => [`fhir-platform:${k}`, v])),
    };
}

/** The CLI arguments of a case. */
export function caseArgs(c: EngineCase): string[] {
    const pack = c.pack ? ["--policy-pack", path.join(REPO_ROOT, "policies")] : [];
    return c.command === "preview"
        ? ["preview", "--stack", BENCH_STACK, ...pack]
        : ["up", "--yes", "--skip-preview", "--stack", BENCH_STACK, ...pack];
}

/** For `grow`: deploys the N accounts (checkpoints at end), then writes the stack file with GROW_BY accounts more. */
async function deployBeforeGrowing(project: EngineProject, c: EngineCase): Promise<void> {
    const r = await project.pulumi(caseArgs({ ...c, command: "up" }), { env: checkpointVariable("at-end") });
    if (r.code !== 0) throw new Error(`the first up of ${c.accounts} accounts failed:\n${r.output.slice(-4000)}`);
    project.writeStackConfig(benchStackConfig(c.accounts + GROW_BY));
}

/** PULUMI_SKIP_CHECKPOINTS for a case, set either way (the harness's own choice for previews is overridden). */
export function checkpointVariable(checkpoints: Checkpoints): NodeJS.ProcessEnv {
    return { PULUMI_SKIP_CHECKPOINTS: checkpoints === "at-end" ? "true" : "false" };
}

/** The CLI's summary count: `+ 2001 to create` (preview) or `+ 2001 created` (up). */
export function resourceCount(stdout: string): number {
    const m = /\+ (\d+) (?:to create|created)/.exec(stdout);
    return m ? Number(m[1]) : 0;
}

/**
 * Named parts of the CLI's work, by the functions that do them: cumulative time of the function (of all of them, for a
 * part that sums several functions that never call each other). Parts may nest: the indented ones are inside the one
 * above.
 */
export const CLI_PARTS: { part: string; fn: RegExp; sum?: boolean }[] = [
    { part: "saving the snapshot after a step (all of it)", fn: /backend\.\(\*SnapshotManager\)\.saveSnapshot$/ },
    { part: "  building and serializing the snapshot", fn: /backend\.\(\*SnapshotManager\)\.Deployment$/ },
    { part: "  integrity check of the snapshot", fn: /snapshot\.VerifyIntegrity$/ },
    { part: "  writing it, with a backup copy (file backend)", fn: /diy\.\(\*diySnapshotPersister\)\.Save$/ },
    { part: "registrations from the program (resource monitor)", fn: /deploy\.\(\*resmon\)\.RegisterResource$/ },
    { part: "step generation", fn: /deploy\.\(\*stepGenerator\)\.GenerateSteps$/ },
    { part: "step execution (provider calls)", fn: /deploy\.\(\*stepExecutor\)\.worker$/ },
    { part: "policy analyzer calls", fn: /plugin\.\(\*analyzer\)\.(Analyze|AnalyzeStack|Remediate)$/, sum: true },
    { part: "display", fn: /display\.ShowEvents$/ },
    { part: "garbage collector", fn: /^runtime\.gcBgMarkWorker$/ },
];

/** `go tool pprof -top -cum` output: the profile's total and each function's flat and cumulative seconds. */
export function parsePprofTop(text: string): { totalSeconds: number; rows: { flat: number; cum: number; fn: string }[] } {
    const seconds = (s: string) =>
        s.endsWith("ms") ? Number(s.slice(0, -2)) / 1000 : s.endsWith("s") ? Number(s.slice(0, -1)) : Number(s);
    const total = /Total samples = ([\d.]+m?s)/.exec(text);
    const rows: { flat: number; cum: number; fn: string }[] = [];
    for (const line of text.split("\n")) {
        const m = /^\s*([\d.]+(?:m?s)?)\s+[\d.]+%\s+[\d.]+%\s+([\d.]+(?:m?s)?)\s+[\d.]+%\s+(.+?)(?: \(inline\))?$/.exec(line);
        if (m) rows.push({ flat: seconds(m[1]), cum: seconds(m[2]), fn: m[3].trim() });
    }
    return { totalSeconds: total ? seconds(total[1]) : 0, rows };
}

/** The CLI's work in named parts (CLI_PARTS) and its hottest functions, from `go tool pprof -top -cum` output. */
export function cliProfileFrom(text: string): CliProfile {
    const { totalSeconds, rows } = parsePprofTop(text);
    const share = (s: number) => (totalSeconds ? Math.round((s / totalSeconds) * 1000) / 10 : 0);
    const parts = CLI_PARTS.map(({ part, fn, sum }) => {
        const matching = rows.filter((row) => fn.test(row.fn)).map((row) => row.cum);
        const s = sum ? matching.reduce((a, b) => a + b, 0) : Math.max(0, ...matching);
        return { part, seconds: Math.round(s * 100) / 100, share: share(s) };
    });
    const top = [...rows]
        .sort((a, b) => b.flat - a.flat)
        .slice(0, 12)
        .map((row) => ({ fn: row.fn, seconds: row.flat, share: share(row.flat) }));
    return { totalSeconds, parts, top };
}

/** Summarizes a Go CPU profile (`--profiling`) with `go tool pprof -top -cum`. */
export async function summarizeCliProfile(file: string): Promise<CliProfile> {
    const args = ["tool", "pprof", "-top", "-cum", "-nodecount=1000000", "-nodefraction=0", file];
    const r = await runCommand(goBinary(), args, { cwd: REPO_ROOT });
    if (r.code !== 0) throw new Error(`go tool pprof failed:\n${r.output.slice(-2000)}`);
    return cliProfileFrom(r.stdout);
}

/** Runs one case in a fresh project; throws when the CLI fails. */
export async function runCase(
    c: EngineCase,
    options: { profileCli?: boolean; profileNode?: boolean; maxMinutes?: number } = {},
): Promise<EngineRun> {
    const project = await EngineProject.create({ stack: BENCH_STACK, config: benchStackConfig(c.accounts) });
    const profileDir = path.join(project.dir, ".profiles");
    fs.mkdirSync(profileDir, { recursive: true });
    try {
        if (c.command === "grow") await deployBeforeGrowing(project, c);
        const loadBefore = os.loadavg()[0];
        let maxLoad = loadBefore;
        const loadTimer = setInterval(() => (maxLoad = Math.max(maxLoad, os.loadavg()[0])), 1000);
        let sampler: ReturnType<typeof sampleCpu> | undefined;
        const args = [...caseArgs(c), ...(options.profileCli ? ["--profiling", path.join(profileDir, "cli")] : [])];
        const env: NodeJS.ProcessEnv = {
            ...checkpointVariable(c.checkpoints),
            // Every Node process profiles itself; the plugins the CLI interrupts exit so that theirs is written too.
            ...(options.profileNode
                ? {
                      NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${profileDir} --require ${path.join(DIST_DIR, "engine", "plugins", "exitOnInterrupt.js")}`,
                  }
                : {}),
        };
        const timeoutMs = (options.maxMinutes ?? 180) * 60 * 1000;
        const r = await project.pulumi(args, {
            env,
            timeoutMs,
            onSpawn: (child) => {
                if (child.pid !== undefined) sampler = sampleCpu(child.pid);
            },
        });
        clearInterval(loadTimer);
        const cpu = sampler?.stop();
        const load = { before: loadBefore, max: maxLoad };
        if (cpu && r.code !== 0 && r.ms >= timeoutMs)
            return { ...c, resources: 0, seconds: timeoutMs / 1000, cpu, load, stoppedAtLimit: true };
        if (r.code !== 0 || !cpu) throw new Error(`${c.command} of ${c.accounts} accounts failed:\n${r.output.slice(-4000)}`);
        const run: EngineRun = {
            ...c,
            resources: resourceCount(r.stdout),
            seconds: r.ms / 1000,
            cpu,
            load,
        };
        const files = fs.readdirSync(profileDir);
        const cliFile = files.find((f) => /^cli\.\d+\.cpu$/.test(f));
        if (cliFile) run.cliProfile = await summarizeCliProfile(path.join(profileDir, cliFile));
        if (options.profileNode) {
            run.nodeProfiles = files
                .filter((f) => f.endsWith(".cpuprofile"))
                .map((f) => {
                    const pid = Number(/\.(\d+)\.\d+\.\d+\.cpuprofile$/.exec(f)?.[1]);
                    return { role: cpu.roleOf[pid] ?? "other", summary: summarizeProfile(path.join(profileDir, f)) };
                })
                .sort((a, b) => b.summary.totalMs - a.summary.totalMs);
        }
        return run;
    } finally {
        project.remove();
    }
}

/** Runs every case in order, each in a fresh project. */
export async function benchEngine(options: EngineBenchOptions): Promise<EngineRun[]> {
    const runs: EngineRun[] = [];
    for (const [i, c] of options.cases.entries()) {
        const run = await runCase(c, options);
        runs.push(run);
        options.onRun?.(run, i, options.cases.length);
    }
    return runs;
}

export interface ParallelWaits {
    accounts: number;
    waitSeconds: number;
    /** The CLI's default --parallel here: 4 × GOMAXPROCS (pkg/v3 cmd/pulumi/operations/up.go, defaultParallel). */
    defaultWorkers: number;
    /** Wall time of `up` with the default --parallel, and with --parallel 2147483647 (one goroutine per step). */
    defaultSeconds: number;
    unboundedSeconds: number;
}

/**
 * How the RBAC wait meets `--parallel`: each step holds one of the step executor's workers until its provider call
 * returns (pkg/v3 resource/deploy/step_executor.go, newStepExecutor and worker), so N waits of S seconds take about
 * ceil(N / workers) × S. `up` of N accounts with an S-second wait, checkpoints at end, with the CLI's default and with
 * an unbounded --parallel.
 */
export async function parallelWaits(accounts: number, waitSeconds: number): Promise<ParallelWaits> {
    const seconds: number[] = [];
    for (const parallel of [[], ["--parallel", "2147483647"]]) {
        const config = { ...benchStackConfig(accounts), "fhir-platform:rbacPropagationSeconds": waitSeconds };
        const project = await EngineProject.create({ stack: BENCH_STACK, config });
        try {
            const args = [...caseArgs({ command: "up", accounts, pack: false, checkpoints: "at-end" }), ...parallel];
            const r = await project.pulumi(args, { env: checkpointVariable("at-end") });
            if (r.code !== 0) throw new Error(`up of ${accounts} accounts failed:\n${r.output.slice(-3000)}`);
            seconds.push(r.ms / 1000);
        } finally {
            project.remove();
        }
    }
    return { accounts, waitSeconds, defaultWorkers: 4 * os.cpus().length, defaultSeconds: seconds[0], unboundedSeconds: seconds[1] };
}

/** The CLI's version and the Node the plugins and the program run on (the first on the harness's PATH). */
export async function engineVersions(): Promise<{ pulumi: string; node: string }> {
    const pulumi = (await runCommand(engineBinary(), ["version"], { cwd: REPO_ROOT })).stdout.trim();
    const env = { ...process.env, PATH: `${path.join(REPO_ROOT, "node_modules", ".bin")}${path.delimiter}${process.env.PATH ?? ""}` };
    const node = (await runCommand("node", ["--version"], { cwd: REPO_ROOT, env })).stdout.trim();
    return { pulumi, node };
}
