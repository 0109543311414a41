/**
 * The plan of a stack at a git ref, made by that ref's own code, stack file and lock: `git archive` into a temporary
 * directory (removed afterwards) with this checkout's node_modules linked, where its `scripts/plan.ts --json --no-policies`
 * runs.
 */
import { execFile, execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PROJECT_DIR } from "./stackFiles";

export type BasePlan =
    /** The plan JSON the ref's plan script wrote (any version of it). */
    | { kind: "plan"; commit: string; document: unknown }
    /** The ref has no stack file for this stack: every resource is new. */
    | { kind: "no-stack-file"; commit: string };

/** The base plan could not be made: the message says why (a bad ref, an invalid config at the ref, ...). */
export class BasePlanError extends Error {}

export interface BasePlanOptions {
    ref: string;
    stack: string;
    /** The project (where Pulumi.<stack>.yaml lives) inside a git checkout. */
    projectDir: string;
    /** node_modules the ref's code runs with. Defaults to this checkout's. */
    nodeModules?: string;
    /** Upper bound for the ref's plan run. */
    timeoutMs?: number;
}

function git(cwd: string, args: string[]): string {
    return execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
}

function firstLine(e: unknown): string {
    const stderr = (e as { stderr?: string | Buffer }).stderr;
    return String(stderr ?? (e as Error).message ?? e)
        .trim()
        .split("\n")[0];
}

export async function planAtRef(o: BasePlanOptions): Promise<BasePlan> {
    let top: string;
    try {
        top = git(o.projectDir, ["rev-parse", "--show-toplevel"]);
    } catch (e) {
        throw new BasePlanError(`--base needs a git checkout: ${path.resolve(o.projectDir)} is not in one (${firstLine(e)})`);
    }
    const prefix = path.relative(fs.realpathSync(top), fs.realpathSync(o.projectDir)).split(path.sep).join("/");
    let commit: string;
    try {
        commit = git(top, ["rev-parse", "--verify", "--quiet", `${o.ref}^{commit}`]);
    } catch {
        throw new BasePlanError(
            `--base ${o.ref}: no such commit here (a branch of another clone? fetch it first: git fetch origin <branch>)`,
        );
    }
    const stackFile = `${prefix ? `${prefix}/` : ""}Pulumi.${o.stack}.yaml`;
    try {
        git(top, ["cat-file", "-e", `${commit}:${stackFile}`]);
    } catch {
        return { kind: "no-stack-file", commit };
    }
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "fhir-plan-base-"));
    try {
        const tar = execFileSync("git", ["archive", "--format=tar", commit, ...(prefix ? [prefix] : [])], {
            cwd: top,
            maxBuffer: 1024 * 1024 * 1024,
            stdio: ["ignore", "pipe", "pipe"],
        });
        execFileSync("tar", ["-x", "-f", "-", "-C", tmp], { input: tar, stdio: ["pipe", "ignore", "pipe"] });
        const dir = path.join(tmp, prefix);
        const script = path.join(dir, "scripts", "plan.ts");
        if (!fs.existsSync(script)) throw new BasePlanError(`--base ${o.ref}: no scripts/plan.ts there, so no plan of it can be made`);
        if (!fs.existsSync(path.join(dir, "node_modules")))
            fs.symlinkSync(o.nodeModules ?? path.join(PROJECT_DIR, "node_modules"), path.join(dir, "node_modules"), "dir");
        const out = path.join(tmp, "base-plan.json");
        const tsNode = require.resolve("ts-node/dist/bin.js", { paths: [o.nodeModules ?? PROJECT_DIR] });
        await new Promise<void>((resolve, reject) => {
            execFile(
                process.execPath,
                [tsNode, "--transpile-only", "scripts/plan.ts", "--stack", o.stack, "--json", out, "--no-policies"],
                {
                    cwd: dir,
                    env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "true" },
                    timeout: o.timeoutMs ?? 600_000,
                    maxBuffer: 256 * 1024 * 1024,
                },
                (error, _stdout, stderr) => {
                    // Exit code 1 is a plan that fails its own checks (e.g. accounts its placement lock holds and its config
                    // dropped): it is still the base's plan, and the head's verdict is what this run reports.
                    if (!error || (error.code === 1 && fs.existsSync(out))) return resolve();
                    const text = String(stderr)
                        .replace(/^plan of .* took \d+ ms\n?/m, "")
                        .trim();
                    reject(
                        new BasePlanError(
                            `the plan of '${o.stack}' at ${o.ref} failed (exit ${error.code ?? error.signal}):\n${text || error.message}`,
                        ),
                    );
                },
            );
        });
        return { kind: "plan", commit, document: JSON.parse(fs.readFileSync(out, "utf8")) as unknown };
    } catch (e) {
        if (e instanceof BasePlanError) throw e;
        throw new BasePlanError(`--base ${o.ref}: ${firstLine(e)}`);
    } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
    }
}
