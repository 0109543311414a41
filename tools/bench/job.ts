/** The bench's child processes: a job file in, a result file out, one fresh Node process per measurement. */
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { PROJECT_DIR } from "../../harness/stackFiles";

/**
 * Writes `job` to a file in `dir`, runs `node ...nodeArgs <job file> <result file>` in the project directory with
 * `env`, and returns the result file, parsed. `label` names the child in file names and in the error of a failed run.
 */
export function runJob<T>(label: string, dir: string, job: unknown, nodeArgs: string[], env: NodeJS.ProcessEnv): T {
    const tag = `${label.replace(/[^\w-]+/g, "-")}-${process.hrtime.bigint()}`;
    const jobFile = path.join(dir, `job-${tag}.json`);
    const resultFile = path.join(dir, `result-${tag}.json`);
    fs.writeFileSync(jobFile, JSON.stringify(job));
    const res = spawnSync(process.execPath, [...nodeArgs, jobFile, resultFile], {
        cwd: PROJECT_DIR,
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
        env,
    });
    if (res.status !== 0 || !fs.existsSync(resultFile)) {
        throw new Error(`bench child (${label}) failed with ${res.status ?? res.signal}:\n${res.stderr}`);
    }
    return JSON.parse(fs.readFileSync(resultFile, "utf8")) as T;
}

/** Node arguments that write a V8 CPU profile of the whole process to `dir/name`. */
export function cpuProfileArgs(dir: string, name: string): string[] {
    return ["--cpu-prof", "--cpu-prof-dir", dir, "--cpu-prof-name", name];
}
