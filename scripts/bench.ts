/**
 * `npm run bench [-- --quick] [--sizes 1,10,100,300] [--reps N] [--profile] [--compiled] [--out BENCHMARKS.md] [--svg docs/benchmark.svg] [--json file]`
 *
 * Runs the stack program and a flat baseline (same custom resources, no components or config handling) under the
 * Pulumi SDK's mock mode for generated stacks of N accounts, each run in a fresh process, and writes BENCHMARKS.md
 * and docs/benchmark.svg; after each program run, the same child times the policy pack over the captured stack.
 * `--quick` (sizes 1,10,30, one repetition) writes nothing unless --out/--svg are given.
 * `--compiled` runs the children from tsc output with plain node instead of ts-node (writes nothing by default).
 * Exits 1 when the baseline and the program register different custom resources, a dependency crosses accounts,
 * or the critical path is longer than the target (timings are reported, never failed on: machines differ).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_DIR } from "../harness/stackFiles";
import { compileProject, runBenchmark } from "../tools/bench/measure";
import { Machine, checkTargets } from "../tools/bench/report";
import { renderBenchmarksMd, renderBenchSvg } from "../tools/bench/document";
import { summarizeProfile } from "../tools/bench/profile";

interface Args {
    sizes: number[];
    /** Fixed by --reps; else 3, and 2 from 300 accounts up (keeps the default run under 10 minutes on 2 cores). */
    reps?: number;
    quick: boolean;
    profile: boolean;
    compiled: boolean;
    out?: string;
    svg?: string;
    json?: string;
}

function parseArgs(argv: string[]): Args {
    const quick = argv.includes("--quick");
    const value = (flag: string): string | undefined => {
        const i = argv.indexOf(flag);
        if (i < 0) return undefined;
        const v = argv[i + 1];
        if (v === undefined || v.startsWith("--")) throw new Error(`${flag} needs a value`);
        return v;
    };
    const known = new Set(["--quick", "--profile", "--compiled", "--sizes", "--reps", "--out", "--svg", "--json"]);
    for (const a of argv) if (a.startsWith("--") && !known.has(a)) throw new Error(`unknown option ${a}; options: ${[...known].join(" ")}`);
    const sizes = (value("--sizes") ?? (quick ? "1,10,30" : "1,10,100,300")).split(",").map((s) => Number(s.trim()));
    if (sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new Error("--sizes takes whole numbers ≥ 1, comma-separated");
    const repsText = value("--reps") ?? (quick ? "1" : undefined);
    const reps = repsText === undefined ? undefined : Number(repsText);
    if (reps !== undefined && (!Number.isInteger(reps) || reps < 1)) throw new Error("--reps takes a whole number ≥ 1");
    const compiled = argv.includes("--compiled");
    const out = value("--out") ?? (quick || compiled ? undefined : path.join(PROJECT_DIR, "BENCHMARKS.md"));
    const svg = value("--svg") ?? (quick || compiled ? undefined : path.join(PROJECT_DIR, "docs", "benchmark.svg"));
    const json = value("--json");
    return { sizes, ...(reps ? { reps } : {}), quick, profile: argv.includes("--profile"), compiled, ...(out ? { out } : {}), ...(svg ? { svg } : {}), ...(json ? { json } : {}) };
}

function machine(argv: string[], loader: string): Machine {
    const cpus = os.cpus();
    return {
        cpuModel: cpus[0]?.model.trim() ?? "unknown",
        cores: cpus.length,
        memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
        node: process.version,
        platform: `${os.type()} ${os.release()} ${os.arch()}`,
        date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
        command: ["npm run bench", ...(argv.length ? ["--", ...argv] : [])].join(" "),
        loader,
    };
}

function main(): number {
    const argv = process.argv.slice(2);
    const args = parseArgs(argv);
    const started = Date.now();
    const profileDir = args.profile ? fs.mkdtempSync(path.join(os.tmpdir(), "fhir-bench-prof-")) : undefined;
    const compiledDir = args.compiled ? fs.mkdtempSync(path.join(os.tmpdir(), "fhir-bench-js-")) : undefined;
    if (compiledDir) compileProject(compiledDir);
    const results = runBenchmark({
        sizes: args.sizes,
        reps: (n) => args.reps ?? (n >= 300 ? 2 : 3),
        ...(profileDir ? { profileDir } : {}),
        ...(compiledDir ? { compiledDir } : {}),
        onResult: (r, rep) =>
            console.error(
                `  ${r.mode.padEnd(7)} ${String(r.accounts).padStart(4)} accounts, rep ${rep + 1}: ${(r.wallMs / 1000).toFixed(2)} s, ` +
                    `peak RSS ${Math.round(r.peakRssBytes / 2 ** 20)} MiB, ${r.custom} custom + ${r.components} components` +
                    `${r.policy ? `, policy pack ${(r.policy.wallMs / 1000).toFixed(2)} s` : ""} (${((Date.now() - started) / 1000).toFixed(0)} s elapsed)`,
            ),
    });
    const profiles = profileDir
        ? results.filter((r) => r.profile && fs.existsSync(r.profile)).map((r) => ({ accounts: r.accounts, summary: summarizeProfile(r.profile!, r.profileWindowUs) }))
        : [];
    if (compiledDir) fs.rmSync(compiledDir, { recursive: true, force: true });
    const m = machine(argv, args.compiled ? "compiled JavaScript (tsc, no source maps), plain node" : "ts-node (transpile-only), as the Pulumi Node language host runs a TypeScript program");
    const md = renderBenchmarksMd({ results, machine: m, profiles, elapsedMs: Date.now() - started, previous: args.out && fs.existsSync(args.out) ? fs.readFileSync(args.out, "utf8") : undefined });
    if (args.out) fs.writeFileSync(args.out, md);
    if (args.svg) {
        fs.mkdirSync(path.dirname(args.svg), { recursive: true });
        fs.writeFileSync(args.svg, renderBenchSvg(results, m));
    }
    if (args.json) fs.writeFileSync(args.json, JSON.stringify({ machine: m, results, profiles }, null, 2));
    console.log(md);
    if (profileDir) console.error(`bench: CPU profiles kept in ${profileDir} (open them in Chrome DevTools, Performance tab)`);
    // Structural targets fail the run; timing targets (overhead, growth, the policy pack's time) are reported only.
    const failed = checkTargets(results).filter((c) => !c.ok && !/overhead|growth|policy pack/.test(c.name));
    for (const c of failed) console.error(`bench: ${c.name}: ${c.detail}`);
    return failed.length ? 1 : 0;
}

try {
    process.exitCode = main();
} catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
    process.exitCode = 2;
}
