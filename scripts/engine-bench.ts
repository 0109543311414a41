/**
 * `npm run bench:engine [-- --sizes 10,40,100,300] [--commands preview,up] [--checkpoints every-step,at-end]
 * [--pack on,off] [--reps N] [--max-minutes M] [--crash-accounts N] [--parallel-accounts N] [--node-profile]
 * [--json FILE] [--out FILE]`: the real engine at scale (engine/bench.ts), a crash in the middle of `up`
 * (engine/crash.ts) and `--parallel` against the RBAC wait; the full run writes BENCHMARKS.md's real-engine section
 * (engine/benchReport.ts).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
    type Checkpoints,
    type EngineCase,
    type EngineCommand,
    type EngineRun,
    type ParallelWaits,
    benchEngine,
    engineVersions,
    parallelWaits,
} from "../engine/bench";
import { type EngineBenchData, formatRun, updateBenchmarksMd } from "../engine/benchReport";
import { buildSupport } from "../engine/build";
import { CRASH_SIGNALS, type CrashResult, crashUp } from "../engine/crash";
import { REPO_ROOT } from "../engine/paths";
import { type CommandIo, consoleCommandIo, parseCommand, runCommand, usageError } from "../tools/command";

export const SPEC = {
    run: "npm run bench:engine --",
    synopsis: "[options]",
    description:
        "Times real `pulumi preview` and `pulumi up --yes --skip-preview` runs (the CLI built here, the language host, the program,\n" +
        "fake providers that answer at once, the policy pack) of fresh stacks of N generated accounts, with the CLI's per-step\n" +
        "checkpoints (every-step) and without (at-end: PULUMI_SKIP_CHECKPOINTS=true), and splits their CPU by process. Per size\n" +
        "and command: at-end with the pack, at-end without it, every-step with it. Then a crash in the middle of up (each\n" +
        "checkpoint mode × SIGKILL, SIGTERM, SIGINT) and --parallel against the RBAC wait. With no filter it rewrites\n" +
        "BENCHMARKS.md's real-engine section (about 2 hours on 2 quiet cores). Needs npm run engine:build.\n" +
        "Exit codes: 0 measured, 1 a run failed, 2 usage.",
    options: {
        sizes: {
            type: "string",
            value: "N,N,...",
            default: "10,40,100,300",
            help: "account counts (default 10,40,100,300: 40 is the recommended shard size)",
        },
        commands: {
            type: "string",
            value: "C,...",
            default: "preview,up,grow",
            help: "preview, up (a new stack), grow (10 accounts added to a deployed one); default all",
        },
        checkpoints: { type: "string", value: "M,M", default: "at-end,every-step", help: "at-end, every-step or both (default both)" },
        pack: { type: "string", value: "on,off", default: "on,off", help: "with the policy pack, without, or both (default both)" },
        reps: { type: "string", value: "N", default: "1", help: "runs per case (default 1)" },
        "max-minutes": {
            type: "string",
            value: "M",
            default: "45",
            help: "stop a run after M minutes and extrapolate it from smaller ones (default 45)",
        },
        "crash-accounts": {
            type: "string",
            value: "N",
            help: "size of the crash experiment (default 30 in the full run, else none; 0: none)",
        },
        "parallel-accounts": {
            type: "string",
            value: "N",
            help: "size of the --parallel experiment, 15 s waits (default 20 in the full run, else none; 0: none)",
        },
        "node-profile": { type: "boolean", default: false, help: "also keep V8 CPU profiles of the Node processes and summarize them" },
        json: { type: "string", value: "FILE", help: "every run as JSON" },
        "from-json": {
            type: "string",
            value: "FILE,...",
            help: "measure nothing: render the section from --json files of earlier runs (merged in order)",
        },
        out: { type: "string", value: "FILE", help: "the report to update (default BENCHMARKS.md for the full matrix, none otherwise)" },
    },
} as const;

function list<T extends string>(value: string, allowed: readonly T[]): T[] | undefined {
    const items = value.split(",").map((s) => s.trim());
    return items.every((i) => (allowed as readonly string[]).includes(i)) ? (items as T[]) : undefined;
}

/**
 * The cases of the matrix: per size and command, at-end with and without the pack, every-step with it (grow: with the
 * pack only).
 */
export function matrix(
    sizes: number[],
    commands: EngineCommand[],
    checkpoints: Checkpoints[],
    packs: boolean[],
    reps: number,
): EngineCase[] {
    const cases: EngineCase[] = [];
    for (const accounts of sizes) {
        for (const command of commands) {
            const shapes: EngineCase[] = [
                { command, accounts, pack: true, checkpoints: "at-end" },
                { command, accounts, pack: false, checkpoints: "at-end" },
                { command, accounts, pack: true, checkpoints: "every-step" },
            ];
            for (const c of shapes) {
                if (!checkpoints.includes(c.checkpoints) || !packs.includes(c.pack) || (command === "grow" && !c.pack)) continue;
                for (let i = 0; i < reps; i++) cases.push(c);
            }
        }
    }
    return cases;
}

/** Several runs' data as one: runs and crashes in order, the last --parallel figure, the commands and times summed. */
export function mergeData(parts: EngineBenchData[]): EngineBenchData {
    const parallel = parts.map((p) => p.parallel).filter((p) => p !== undefined);
    return {
        meta: {
            ...parts[0].meta,
            command: parts.map((p) => p.meta.command).join("`, then `"),
            date: parts[parts.length - 1].meta.date,
            elapsedSeconds: parts.reduce((n, p) => n + p.meta.elapsedSeconds, 0),
        },
        runs: parts.flatMap((p) => p.runs),
        crashes: parts.flatMap((p) => p.crashes ?? []),
        ...(parallel.length ? { parallel: parallel[parallel.length - 1] } : {}),
    };
}

export async function main(argv: string[], io: CommandIo = consoleCommandIo): Promise<number> {
    const parsed = parseCommand(argv, SPEC, io);
    if ("exitCode" in parsed) return parsed.exitCode;
    const v = parsed.values;
    const sizes = v.sizes.split(",").map(Number);
    const commands = list<EngineCommand>(v.commands, ["preview", "up", "grow"]);
    const checkpoints = list<Checkpoints>(v.checkpoints, ["at-end", "every-step"]);
    const packs = list(v.pack, ["on", "off"]);
    if (sizes.some((n) => !Number.isInteger(n) || n < 1) || !/^[1-9]\d*$/.test(v.reps) || !/^[1-9]\d*$/.test(v["max-minutes"]))
        return usageError(SPEC, "--sizes, --reps and --max-minutes take whole numbers ≥ 1", io);
    if ([v["crash-accounts"], v["parallel-accounts"]].some((x) => x !== undefined && !/^\d+$/.test(x)))
        return usageError(SPEC, "--crash-accounts and --parallel-accounts take whole numbers", io);
    if (!commands || !checkpoints || !packs)
        return usageError(SPEC, "--commands, --checkpoints and --pack take the values their help lists", io);
    const full = argv.every((a) => !/^--(sizes|commands|checkpoints|pack|reps)\b/.test(a));
    const crashAccounts = Number(v["crash-accounts"] ?? (full ? 30 : 0));
    const parallelAccounts = Number(v["parallel-accounts"] ?? (full ? 20 : 0));
    const out = v.out ?? (full ? path.join(REPO_ROOT, "BENCHMARKS.md") : undefined);
    const cases = matrix(
        sizes,
        commands,
        checkpoints,
        packs.map((p) => p === "on"),
        Number(v.reps),
    );
    if (v["from-json"]) {
        const target = v.out ?? path.join(REPO_ROOT, "BENCHMARKS.md");
        const parts = v["from-json"].split(",").map((f) => JSON.parse(fs.readFileSync(f, "utf8")) as EngineBenchData);
        updateBenchmarksMd(target, mergeData(parts));
        io.err(`wrote ${path.relative(process.cwd(), target)}`);
        return 0;
    }
    const started = Date.now();
    try {
        buildSupport();
        const versions = await engineVersions();
        const runs: EngineRun[] = [];
        const crashes: CrashResult[] = [];
        let parallel: ParallelWaits | undefined;
        const snapshot = (): EngineBenchData => ({
            meta: {
                command: `npm run bench:engine${argv.length ? ` -- ${argv.join(" ")}` : ""}`,
                pulumi: versions.pulumi,
                node: versions.node,
                cores: os.cpus().length,
                cpuModel: os.cpus()[0]?.model ?? "unknown",
                date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
                elapsedSeconds: (Date.now() - started) / 1000,
            },
            runs,
            crashes,
            ...(parallel ? { parallel } : {}),
        });
        // The JSON is rewritten after every measurement: a run that fails later keeps what it measured.
        const save = () => v.json && fs.writeFileSync(v.json, `${JSON.stringify(snapshot(), null, 2)}\n`);
        await benchEngine({
            cases,
            profileCli: true,
            profileNode: v["node-profile"],
            maxMinutes: Number(v["max-minutes"]),
            onRun: (run, i, total) => {
                runs.push(run);
                save();
                io.err(`[${i + 1}/${total}] ${formatRun(run)}`);
            },
        });
        for (const checkpoints of crashAccounts ? (["every-step", "at-end"] as const) : []) {
            for (const signal of CRASH_SIGNALS) {
                const c = await crashUp({ accounts: crashAccounts, checkpoints, signal });
                io.err(
                    `crash, checkpoints ${checkpoints}, ${signal}: ${c.orphans} of ${c.inAzure} Azure resources unknown to the state, ` +
                        `${c.pendingOperations} pending; recovery ${c.recovery.stateMatchesAzure ? "complete" : `left ${c.recovery.orphansLeft}`}`,
                );
                crashes.push(c);
                save();
            }
        }
        parallel = parallelAccounts ? await parallelWaits(parallelAccounts, 15) : undefined;
        if (parallel)
            io.err(`--parallel: default ${parallel.defaultSeconds.toFixed(1)} s, unbounded ${parallel.unboundedSeconds.toFixed(1)} s`);
        save();
        const data = snapshot();
        if (out) {
            updateBenchmarksMd(out, data);
            io.err(`wrote ${path.relative(process.cwd(), out)}`);
        }
        return 0;
    } catch (e) {
        io.err(e instanceof Error ? e.message : String(e));
        return 1;
    }
}

runCommand(module, main);
