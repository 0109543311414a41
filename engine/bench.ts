/**
 * Wall time of a real `pulumi preview` (engine + language host + program + fake providers + the CrossGuard pack) of a
 * fresh stack with N generated accounts (tools/bench/generate.ts, the stacks `npm run bench` measures under
 * mocks), each in its own project directory and local backend. Prints a markdown table for BENCHMARKS.md.
 */
import * as os from "node:os";
import { BENCH_STACK, generateRawConfig } from "../tools/bench/generate";
import { EngineProject, engineBinary, runCommand } from "./harness";
import { REPO_ROOT } from "./paths";
import * as path from "node:path";

interface Row {
    accounts: number;
    resources: number;
    seconds: number[];
}

export interface EngineBenchOptions {
    sizes: number[];
    reps: number;
    /** Run the CrossGuard pack in the preview. */
    policies: boolean;
    /** Let the language host type-check the program (its default without noCheck). */
    typeCheck: boolean;
}

function stackConfig(accounts: number): Record<string, unknown> {
    const raw = generateRawConfig(accounts);
    return {
        "pulumi:disable-default-providers": ["azure-native"],
        ...Object.fromEntries(Object.entries(raw).map(([k, v]) => [`fhir-platform:${k}`, v])),
    };
}

/** Measures real previews and prints a markdown table for BENCHMARKS.md. */
export async function benchEngine({ sizes, reps, policies, typeCheck }: EngineBenchOptions): Promise<void> {
    const version = (await runCommand(engineBinary(), ["version"], { cwd: REPO_ROOT })).stdout.trim();
    // The Node the plugins and the program run on: the first on the tests' PATH (the project's, node_modules/.bin).
    const node = (
        await runCommand("node", ["--version"], {
            cwd: REPO_ROOT,
            env: { ...process.env, PATH: `${path.join(REPO_ROOT, "node_modules", ".bin")}${path.delimiter}${process.env.PATH ?? ""}` },
        })
    ).stdout.trim();
    const rows: Row[] = [];
    for (const n of sizes) {
        const row: Row = { accounts: n, resources: 0, seconds: [] };
        for (let i = 0; i < reps; i++) {
            const project = await EngineProject.create({ stack: BENCH_STACK, config: stackConfig(n), typeCheck });
            try {
                const args = ["preview", "--stack", BENCH_STACK, ...(policies ? ["--policy-pack", path.join(REPO_ROOT, "policies")] : [])];
                const r = await project.pulumi(args);
                if (r.code !== 0) throw new Error(`preview of ${n} accounts failed:\n${r.output.slice(-4000)}`);
                const m = /\+ (\d+) to create/.exec(r.stdout);
                row.resources = m ? Number(m[1]) : 0;
                row.seconds.push(r.ms / 1000);
                process.stderr.write(`${n} accounts, run ${i + 1}: ${(r.ms / 1000).toFixed(1)} s, ${row.resources} resources\n`);
            } finally {
                project.remove();
            }
        }
        rows.push(row);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
    console.log(
        `pulumi ${version}, ${os.cpus().length} cores, Node ${node}; policy pack ${policies ? "on" : "off"}; program ` +
            `${typeCheck ? "type-checked (PULUMI_NODEJS_TRANSPILE_ONLY=false)" : "as Pulumi.yaml configures it (tsconfig.pulumi.json, noCheck)"}`,
    );
    console.log("");
    console.log("| accounts | resources in the preview | wall time (median) | runs |");
    console.log("|---:|---:|---:|---|");
    for (const r of rows) {
        console.log(
            `| ${r.accounts} | ${r.resources} | ${median(r.seconds).toFixed(1)} s | ${r.seconds.map((s) => s.toFixed(1)).join(", ")} s |`,
        );
    }
}
