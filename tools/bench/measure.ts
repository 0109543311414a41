/**
 * The bench driver: for each size, generate a stack, then run the program in fresh child processes (`reps` times) and
 * take medians.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { placeAccounts, validateConfig } from "../../config";
import { configMap } from "../../harness/runStack";
import { PROJECT_DIR } from "../../harness/stackFiles";
import { BENCH_STACK, generateRawConfig } from "./generate";
import { type HostMode, type HostResult, type HostSetup, hostProfileName, runHostChild } from "./host";
import { cpuProfileArgs, runJob } from "./job";
import type { BenchMode, ChildJob, ChildResult, RunAnalysis } from "./types";

export interface BenchOptions {
    sizes: number[];
    /** Repetitions, for one size. */
    reps: (accounts: number) => number;
    /** Write a V8 CPU profile of one program run per size into this directory. */
    profileDir?: string;
    /**
     * Run the children from JavaScript compiled into this directory (see `compileProject`) instead of through ts-node:
     * what a Pulumi project with `runtime.options.typescript: false` does.
     */
    compiledDir?: string;
    /** Called after each child, for progress output. */
    onResult?: (r: ChildResult, rep: number) => void;
    /** Also run the program in the language host's setups (tools/bench/host.ts), `reps` times each. */
    host?: {
        setups: HostSetup[];
        /** The project compiled with source maps: the children's harness and policy pack come from here. */
        harnessDir: string;
        reps: (accounts: number, mode: HostMode) => number;
        onResult?: (r: HostResult, rep: number) => void;
    };
}

/** The medians (and spread) of one language-host setup at one size. */
export interface HostFigures {
    reps: number;
    transpileOnly: boolean | null;
    startupMs: number;
    entryMs: number;
    /** Process start until the program is done. */
    programMs: Stat;
    packMs: Stat;
    /** Program plus policy pack: what the targets are about. */
    totalMs: Stat;
    peakRssBytes: Stat;
    resources: number;
    mandatory: number;
    advisory: number;
}

export interface Stat {
    median: number;
    min: number;
    max: number;
}

export interface ModeFigures {
    wallMs: Stat;
    peakRssBytes: Stat;
    peakHeapBytes: Stat;
    /** Heap V8 has committed at the end of the run: a steadier peak-heap figure than sampling (see ChildResult). */
    heapTotalBytes: Stat;
    /** RSS after loading the SDK, before the run (the floor every row shares). */
    rssBeforeBytes: number;
    custom: number;
    components: number;
    /** The policy pack over the captured stack (program mode only); violations from the first run. */
    policy?: { wallMs: Stat; mandatory: number; advisory: number };
}

export interface SizeResult {
    accounts: number;
    subscriptions: number;
    workspaces: number;
    reps: number;
    program: ModeFigures;
    analysis: RunAnalysis;
    profile?: string;
    /** Timed window of the profiled run, to cut startup out of the profile. */
    profileWindowUs?: [number, number];
    /** The language host's setups, when measured. */
    host?: Partial<Record<HostMode, HostFigures>>;
    /** CPU profile of one extra run of the project's own setup ("after"), whole process, when profiling. */
    hostProfile?: string;
}

export function median(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    const m = Math.floor(s.length / 2);
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function stat(xs: number[]): Stat {
    return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) };
}

/** Writes the inputs of one size: the program's config map and stack name. */
export function prepareInputs(accounts: number, dir: string): { file: string; subscriptions: number; workspaces: number } {
    const raw = generateRawConfig(accounts);
    const config = validateConfig(raw);
    const placements = placeAccounts(config).placements;
    const file = path.join(dir, `input-${accounts}.json`);
    fs.writeFileSync(file, JSON.stringify({ configMap: configMap(raw), plan: { stack: BENCH_STACK } }));
    return {
        file,
        subscriptions: new Set(placements.map((p) => p.subscription)).size,
        workspaces: new Set(placements.map((p) => p.workspaceGroup)).size,
    };
}

/**
 * Compiles the project into `outDir` (tsc without type checking: npm test does that), for `BenchOptions.compiledDir`
 * (no source maps) and the language host's compiled setup (with source maps, as a compiled project would ship them).
 */
export function compileProject(outDir: string, sourceMaps = false): void {
    const tsc = require.resolve("typescript/bin/tsc");
    const res = spawnSync(
        process.execPath,
        [
            tsc,
            ...["-p", path.join(PROJECT_DIR, "tsconfig.json"), "--noEmit", "false", "--noCheck", "--outDir", outDir],
            ...["--sourceMap", String(sourceMaps)],
        ],
        { encoding: "utf8" },
    );
    if (!fs.existsSync(path.join(outDir, "tools", "bench", "child.js")))
        throw new Error(`tsc could not compile the project for --compiled:\n${res.stdout}${res.stderr}`);
}

/** Runs one measurement in a fresh Node process and returns what it reported. */
export function runChild(job: ChildJob, dir: string, profileDir?: string, compiledDir?: string): ChildResult {
    const args = [
        "--expose-gc",
        ...(profileDir ? cpuProfileArgs(profileDir, `${job.mode}-${job.accounts}.cpuprofile`) : []),
        ...(compiledDir
            ? [path.join(compiledDir, "tools", "bench", "child.js")]
            : ["-r", "ts-node/register/transpile-only", path.join(__dirname, "child.ts")]),
    ];
    return runJob<ChildResult>(`${job.mode}, ${job.accounts} accounts`, dir, job, args, {
        ...process.env,
        TS_NODE_TRANSPILE_ONLY: "true",
        ...(compiledDir ? { NODE_PATH: path.join(PROJECT_DIR, "node_modules") } : {}),
    });
}

function figures(rs: ChildResult[]): ModeFigures {
    const policy = rs.every((r) => r.policy) ? rs.map((r) => r.policy!) : undefined;
    return {
        ...(policy
            ? { policy: { wallMs: stat(policy.map((p) => p.wallMs)), mandatory: policy[0].mandatory, advisory: policy[0].advisory } }
            : {}),
        wallMs: stat(rs.map((r) => r.wallMs)),
        peakRssBytes: stat(rs.map((r) => r.peakRssBytes)),
        peakHeapBytes: stat(rs.map((r) => r.peakHeapBytes)),
        heapTotalBytes: stat(rs.map((r) => r.heapTotalBytes)),
        rssBeforeBytes: median(rs.map((r) => r.rssBeforeBytes)),
        custom: rs[0].custom,
        components: rs[0].components,
    };
}

function hostFigures(rs: HostResult[]): HostFigures {
    return {
        reps: rs.length,
        transpileOnly: rs[0].transpileOnly,
        startupMs: median(rs.map((r) => r.startupMs)),
        entryMs: median(rs.map((r) => r.entryMs)),
        programMs: stat(rs.map((r) => r.programMs)),
        packMs: stat(rs.map((r) => r.packMs)),
        totalMs: stat(rs.map((r) => r.programMs + r.packMs)),
        peakRssBytes: stat(rs.map((r) => r.peakRssBytes)),
        resources: rs[0].resources,
        mandatory: rs[0].mandatory,
        advisory: rs[0].advisory,
    };
}

/** Each setup `reps` times, interleaved (before, after, compiled, before, ...) so drift hits all alike. */
function measureHost(host: NonNullable<BenchOptions["host"]>, accounts: number, inputFile: string, dir: string) {
    const runs = new Map<HostMode, HostResult[]>(host.setups.map((s) => [s.mode, []]));
    const most = Math.max(...host.setups.map((s) => host.reps(accounts, s.mode)));
    for (let rep = 0; rep < most; rep++) {
        for (const setup of host.setups) {
            if (rep >= host.reps(accounts, setup.mode)) continue;
            const r = runHostChild(setup, accounts, inputFile, dir, host.harnessDir);
            runs.get(setup.mode)!.push(r);
            host.onResult?.(r, rep);
        }
    }
    return Object.fromEntries([...runs].map(([mode, rs]) => [mode, hostFigures(rs)])) as Partial<Record<HostMode, HostFigures>>;
}

/** One more run of the "after" setup under the CPU profiler (not counted in the figures). */
function profileHost(host: NonNullable<BenchOptions["host"]>, accounts: number, inputFile: string, dir: string, profileDir: string) {
    const after = host.setups.find((s) => s.mode === "after");
    if (!after) return {};
    fs.mkdirSync(profileDir, { recursive: true });
    runHostChild(after, accounts, inputFile, dir, host.harnessDir, profileDir);
    return { hostProfile: path.join(profileDir, hostProfileName(after.mode, accounts)) };
}

export function runBenchmark(options: BenchOptions): SizeResult[] {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fhir-bench-"));
    try {
        return options.sizes.map((accounts) => {
            const input = prepareInputs(accounts, dir);
            const runs: Record<BenchMode, ChildResult[]> = { program: [] };
            const reps = options.reps(accounts);
            for (let rep = 0; rep < reps; rep++) {
                const r = runChild(
                    { mode: "program", accounts, inputFile: input.file, analyze: rep === 0 },
                    dir,
                    undefined,
                    options.compiledDir,
                );
                runs.program.push(r);
                options.onResult?.(r, rep);
            }
            let profile: { profile: string; profileWindowUs: [number, number] } | undefined;
            if (options.profileDir) {
                fs.mkdirSync(options.profileDir, { recursive: true });
                const r = runChild(
                    { mode: "program", accounts, inputFile: input.file, analyze: false },
                    dir,
                    options.profileDir,
                    options.compiledDir,
                );
                profile = { profile: path.join(options.profileDir, `program-${accounts}.cpuprofile`), profileWindowUs: r.windowUs };
            }
            return {
                accounts,
                subscriptions: input.subscriptions,
                workspaces: input.workspaces,
                reps,
                program: figures(runs.program),
                analysis: runs.program[0].analysis!,
                ...(profile ?? {}),
                ...(options.host ? { host: measureHost(options.host, accounts, input.file, dir) } : {}),
                ...(options.host && options.profileDir ? profileHost(options.host, accounts, input.file, dir, options.profileDir) : {}),
            };
        });
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}
