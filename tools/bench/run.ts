/**
 * `npm run bench` as a library: measures, renders BENCHMARKS.md and docs/benchmark.svg, and returns the exit code
 * (scripts/bench.ts parses the arguments).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { compileProject, runBenchmark } from "./measure";
import { type Machine, checkTargets } from "./report";
import { renderBenchmarksMd, renderBenchSvg } from "./document";
import { summarizeProfile } from "./profile";
import { type HostMode, hostSetups, projectRuntime } from "./host";

export interface BenchArgs {
    sizes: number[];
    /** Fixed by --reps; else 3, and 2 from 300 accounts up (keeps the default run under 10 minutes on 2 cores). */
    reps?: number;
    quick: boolean;
    profile: boolean;
    compiled: boolean;
    /** The language host's setups to measure (tools/bench/host.ts); none skips them. */
    hostModes: HostMode[];
    out?: string;
    svg?: string;
    json?: string;
    /** The command line, for the report. */
    argv: string[];
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

export function runBench(args: BenchArgs): number {
    const argv = args.argv;
    const started = Date.now();
    const profileDir = args.profile ? fs.mkdtempSync(path.join(os.tmpdir(), "fhir-bench-prof-")) : undefined;
    const compiledDir = args.compiled ? fs.mkdtempSync(path.join(os.tmpdir(), "fhir-bench-js-")) : undefined;
    if (compiledDir) compileProject(compiledDir);
    const hostCompiledDir = args.hostModes.length ? fs.mkdtempSync(path.join(os.tmpdir(), "fhir-bench-host-js-")) : undefined;
    if (hostCompiledDir) compileProject(hostCompiledDir, true);
    const setups = hostCompiledDir ? hostSetups(projectRuntime(), hostCompiledDir).filter((s) => args.hostModes.includes(s.mode)) : [];
    const hostReps = (n: number, mode: HostMode) =>
        args.reps ?? (n >= 300 ? (mode === "before" ? 1 : 2) : n >= 100 && mode === "before" ? 2 : 3);
    const results = runBenchmark({
        sizes: args.sizes,
        reps: (n) => args.reps ?? (n >= 300 ? 2 : 3),
        ...(profileDir ? { profileDir } : {}),
        ...(compiledDir ? { compiledDir } : {}),
        ...(hostCompiledDir
            ? {
                  host: {
                      setups,
                      harnessDir: hostCompiledDir,
                      reps: hostReps,
                      onResult: (r, rep) =>
                          console.error(
                              `  host ${r.mode.padEnd(8)} ${String(r.accounts).padStart(4)} accounts, rep ${rep + 1}: program ` +
                                  `${(r.programMs / 1000).toFixed(2)} s + pack ${(r.packMs / 1000).toFixed(2)} s, peak RSS ` +
                                  `${Math.round(r.peakRssBytes / 2 ** 20)} MiB (${((Date.now() - started) / 1000).toFixed(0)} s elapsed)`,
                          ),
                  },
              }
            : {}),
        onResult: (r, rep) =>
            console.error(
                `  ${r.mode.padEnd(7)} ${String(r.accounts).padStart(4)} accounts, rep ${rep + 1}: ${(r.wallMs / 1000).toFixed(2)} s, ` +
                    `peak RSS ${Math.round(r.peakRssBytes / 2 ** 20)} MiB, ${r.custom} custom + ${r.components} components` +
                    `${r.policy ? `, policy pack ${(r.policy.wallMs / 1000).toFixed(2)} s` : ""} ` +
                    `(${((Date.now() - started) / 1000).toFixed(0)} s elapsed)`,
            ),
    });
    const profiles = profileDir
        ? results.flatMap((r) => [
              ...(r.hostProfile && fs.existsSync(r.hostProfile)
                  ? [{ accounts: r.accounts, what: "language host, after (whole process)", summary: summarizeProfile(r.hostProfile) }]
                  : []),
              ...(r.profile && fs.existsSync(r.profile)
                  ? [
                        {
                            accounts: r.accounts,
                            what: "composition: program under mocks (timed run)",
                            summary: summarizeProfile(r.profile, r.profileWindowUs),
                        },
                    ]
                  : []),
          ])
        : [];
    for (const d of [compiledDir, hostCompiledDir]) if (d) fs.rmSync(d, { recursive: true, force: true });
    const m = machine(
        argv,
        args.compiled
            ? "compiled JavaScript (tsc, no source maps), plain node"
            : "ts-node (transpile-only) in the composition section; the language host section says how its setups load it",
    );
    const md = renderBenchmarksMd({
        results,
        machine: m,
        profiles,
        elapsedMs: Date.now() - started,
        previous: args.out && fs.existsSync(args.out) ? fs.readFileSync(args.out, "utf8") : undefined,
    });
    if (args.out) fs.writeFileSync(args.out, md);
    if (args.svg) {
        fs.mkdirSync(path.dirname(args.svg), { recursive: true });
        fs.writeFileSync(args.svg, renderBenchSvg(results, m));
    }
    if (args.json) fs.writeFileSync(args.json, JSON.stringify({ machine: m, results, profiles }, null, 2));
    console.log(md);
    if (profileDir) console.error(`bench: CPU profiles kept in ${profileDir} (open them in Chrome DevTools, Performance tab)`);
    // Structural targets fail the run; timing targets (overhead, growth, the policy pack's time) are reported only.
    const failed = checkTargets(results).filter((c) => !c.ok && !/overhead|growth|policy pack|language host/.test(c.name));
    for (const c of failed) console.error(`bench: ${c.name}: ${c.detail}`);
    return failed.length ? 1 : 0;
}
