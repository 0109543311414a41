/**
 * `npm run bench [-- --quick] [--sizes 1,10,100,300] [--reps N] [--profile] [--compiled] [--out FILE] [--svg FILE]
 * [--json FILE]`: the benchmark (tools/bench/run.ts), which writes BENCHMARKS.md and docs/benchmark.svg.
 */
import * as path from "node:path";
import { PROJECT_DIR } from "../harness/stackFiles";
import { HOST_MODES } from "../tools/bench/host";
import { runBench } from "../tools/bench/run";
import { type CommandIo, consoleCommandIo, parseCommand, runCommand, usageError } from "../tools/command";

export const SPEC = {
    run: "npm run bench --",
    synopsis: "[options]",
    description:
        "Runs the stack program under the Pulumi SDK's mock mode for generated stacks of N accounts, each\n" +
        "in a fresh process, times the policy pack over each captured stack, and writes BENCHMARKS.md and docs/benchmark.svg.\n" +
        "Exit codes: 0 structure as expected (timings are reported, never failed on), 1 a structural target missed, 2 usage.",
    options: {
        quick: { type: "boolean", default: false, help: "sizes 1,10,30, one repetition, writes nothing unless --out/--svg are given" },
        sizes: { type: "string", value: "N,N,...", help: "account counts (default 1,10,100,300)" },
        reps: { type: "string", value: "N", help: "repetitions per size (default 3, 2 from 300 accounts)" },
        profile: { type: "boolean", default: false, help: "keep a CPU profile per run and summarize where the time goes" },
        compiled: { type: "boolean", default: false, help: "run the children from tsc output with plain node (writes nothing by default)" },
        "host-modes": {
            type: "string",
            value: "M,M,...|none",
            help: "language-host setups to measure: before, after, compiled (default all; --quick: after)",
        },
        out: { type: "string", value: "FILE", help: "the report (default BENCHMARKS.md)" },
        svg: { type: "string", value: "FILE", help: "the plot (default docs/benchmark.svg)" },
        json: { type: "string", value: "FILE", help: "every measurement as JSON" },
    },
} as const;

export function main(argv: string[], io: CommandIo = consoleCommandIo): number {
    const parsed = parseCommand(argv, SPEC, io);
    if ("exitCode" in parsed) return parsed.exitCode;
    const v = parsed.values;
    const sizes = (v.sizes ?? (v.quick ? "1,10,30" : "1,10,100,300")).split(",").map((s) => Number(s.trim()));
    if (sizes.some((n) => !Number.isInteger(n) || n < 1)) return usageError(SPEC, "--sizes takes whole numbers ≥ 1, comma-separated", io);
    const reps = v.reps ?? (v.quick ? "1" : undefined);
    const hostModes = (v["host-modes"] ?? (v.quick ? "after" : HOST_MODES.join(","))).split(",").map((s) => s.trim());
    const unknownMode = hostModes.find((m) => m !== "none" && !(HOST_MODES as readonly string[]).includes(m));
    if (unknownMode !== undefined) return usageError(SPEC, `--host-modes takes ${HOST_MODES.join(", ")} or none, not "${unknownMode}"`, io);
    if (reps !== undefined && !/^[1-9]\d*$/.test(reps)) return usageError(SPEC, "--reps takes a whole number ≥ 1", io);
    const writes = !v.quick && !v.compiled;
    const out = v.out ?? (writes ? path.join(PROJECT_DIR, "BENCHMARKS.md") : undefined);
    const svg = v.svg ?? (writes ? path.join(PROJECT_DIR, "docs", "benchmark.svg") : undefined);
    return runBench({
        argv,
        sizes,
        ...(reps ? { reps: Number(reps) } : {}),
        quick: v.quick,
        profile: v.profile,
        compiled: v.compiled,
        hostModes: HOST_MODES.filter((m) => hostModes.includes(m)),
        ...(out ? { out } : {}),
        ...(svg ? { svg } : {}),
        ...(v.json ? { json: v.json } : {}),
    });
}

runCommand(module, main);
