/**
 * `npm run pulumi -- <pulumi arguments>` (scripts/pulumi.ts): the Pulumi CLI built here (engine/bin/pulumi,
 * `npm run engine:build`) with this project's plugins (language host, fake azure-native and random providers, the
 * policy-pack launcher), in the environment the engine tests use (engine/harness.ts), on a backend and a copy of the
 * stack file that never touch tracked files:
 *
 *  - a project copy in engine/bin/local/project (gitignored): the program's files copied, its source folders linked,
 *    `Pulumi.<stack>.yaml` and its placement lock written from the tracked ones on every run. The copy differs in two
 *    things only: `fhir-platform:rbacPropagationSeconds: 1` (the fakes need no propagation; a by-hand `up` would
 *    otherwise sleep 600 s per account) and the passphrase salt `pulumi stack init` adds. The CLI rewrites the copy as
 *    it likes (salt, requoting); the tracked file stays as it is, so CI sees no change;
 *  - a file backend, a passphrase and a fake ARM table in that directory, kept between runs: `up` then `preview` shows
 *    what changed, `destroy` empties it, deleting engine/bin/local starts over;
 *  - the stack is created on first use; `--stack <org>/<stack>` (Pulumi Cloud's form) names the local stack <stack>;
 *  - `preview` runs with PULUMI_SKIP_CHECKPOINTS=true: the diy backend saves the snapshot after every step unless it is
 *    set (pkg/backend/snapshot.go, NewSnapshotManager: `env.SkipCheckpoints` selects `unsafeServiceLoop`, which saves
 *    once at the end), and for a preview every save goes to a `DiscardPersister` ("For dry-run operations we substitute
 *    a discarding persister so nothing is written to disk", pkg/backend/diy/backend.go, apply), so a preview loses
 *    nothing by skipping them (pinned CLI v3.274.1).
 */
import * as childProcess from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { isDeepStrictEqual } from "node:util";
import * as yaml from "js-yaml";
import { lockFileName } from "../config/placement";
import { cliConfigKey, parseStackRef, parseYaml, projectName, readStackConfig, stackFile } from "../harness/stackFiles";
import { buildSupport } from "./build";
import { EngineProject, PROGRAM_FILES, PROGRAM_LINKS, engineBinary, usesBuiltEngine } from "./harness";
import { BIN_DIR, REPO_ROOT } from "./paths";

/** Where `npm run pulumi` keeps its project copy, backend and fake ARM table (gitignored with engine/bin). */
export const LOCAL_DIR = path.join(BIN_DIR, "local");
/** The RBAC wait of the stack file copy: the fake providers grant at once. */
export const FAKE_RBAC_WAIT_SECONDS = 1;
/** The stack file keys the CLI adds for its secrets provider: the copy keeps its own, never the tracked file's. */
const SECRETS_SETTINGS = ["secretsprovider", "encryptedkey", "encryptionsalt"];
/** Global flags of the CLI that take a value (so the value is not taken for the command). */
const GLOBAL_VALUE_FLAGS = new Set([
    "--color",
    "-C",
    "--cwd",
    "--profiling",
    "--tracing",
    "--tracing-header",
    "--memprofilerate",
    "-v",
    "--verbose",
]);
/** Flags whose value is a path: resolved against the directory `npm run` was started from. */
const PATH_FLAGS = new Set(["--policy-pack", "--policy-pack-config", "--file", "--save-plan", "--plan"]);
/** Commands that run the program against a stack: they need `--stack` (so its file copy can be written). */
const STACK_COMMANDS = new Set(["preview", "pre", "up", "update", "refresh", "destroy", "watch"]);

export interface PulumiInvocation {
    /** The arguments to give the CLI: stack reference made local, path flags made absolute. */
    args: string[];
    /** The command word (`preview`, `stack`, ...), if any. */
    command?: string;
    /** The stack named by --stack/-s, as a local stack name. */
    stack?: string;
}

/** Reads and rewrites the arguments for the local project copy, or returns a usage error. */
export function invocation(argv: readonly string[], cwd: string, project: string): PulumiInvocation | { error: string } {
    const args: string[] = [];
    let command: string | undefined;
    let stack: string | undefined;
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const eq = a.indexOf("=");
        const flag = a.startsWith("-") ? (eq > 0 ? a.slice(0, eq) : a) : undefined;
        const joined = eq > 0 && flag !== undefined;
        const value = joined ? a.slice(eq + 1) : argv[i + 1];
        const take = (rewritten: string) => {
            args.push(joined ? `${flag}=${rewritten}` : flag!, ...(joined ? [] : [rewritten]));
            if (!joined) i++;
        };
        if (flag === "--stack" || flag === "-s") {
            if (value === undefined) return { error: `${flag} needs a stack name` };
            const ref = parseStackRef(value, project);
            if ("error" in ref) return ref;
            stack = ref.stack;
            take(ref.stack);
        } else if (flag !== undefined && PATH_FLAGS.has(flag) && value !== undefined) {
            take(path.resolve(cwd, value));
        } else if (flag !== undefined && GLOBAL_VALUE_FLAGS.has(flag) && !joined && command === undefined && value !== undefined) {
            take(value);
        } else {
            if (flag === undefined && command === undefined) command = a;
            args.push(a);
        }
    }
    if (command !== undefined && STACK_COMMANDS.has(command) && stack === undefined)
        return { error: `pulumi ${command} needs --stack <name>: npm run pulumi writes the copy of Pulumi.<name>.yaml it runs on` };
    return { args, ...(command !== undefined ? { command } : {}), ...(stack !== undefined ? { stack } : {}) };
}

/** The project copy: the program's files (refreshed on every run) and links to its source folders and packages. */
export function prepareProject(localDir: string, repoDir: string = REPO_ROOT): string {
    const dir = path.join(localDir, "project");
    fs.mkdirSync(dir, { recursive: true });
    for (const f of PROGRAM_FILES) fs.copyFileSync(path.join(repoDir, f), path.join(dir, f));
    for (const l of [...PROGRAM_LINKS, "policies"]) {
        const link = path.join(dir, l);
        if (!fs.existsSync(link)) fs.symlinkSync(path.join(repoDir, l), link);
    }
    return dir;
}

/**
 * Writes `Pulumi.<stack>.yaml` of the project copy from the tracked one: the same config as the CLI reads it, but the
 * fake RBAC wait, and the copy's own secrets settings (the passphrase salt `stack init` wrote). Copies the placement
 * lock too. Throws when the tracked file is one the offline tools refuse, or when the copy would read differently.
 */
export function writeStackCopy(stack: string, projectDir: string, repoDir: string = REPO_ROOT): void {
    const tracked = stackFile(stack, repoDir);
    const copy = stackFile(stack, projectDir);
    const expected = readStackConfig(stack, repoDir);
    const doc = asRecord(parseYaml(fs.readFileSync(tracked, "utf8"), tracked));
    const previous = fs.existsSync(copy) ? asRecord(parseYaml(fs.readFileSync(copy, "utf8"), copy)) : {};
    const project = projectName(repoDir);
    const waitKey = `${project}:rbacPropagationSeconds`;
    const config: Record<string, unknown> = Object.fromEntries(
        Object.entries(asRecord(doc.config)).filter(([key]) => cliConfigKey(key, project) !== waitKey),
    );
    config[waitKey] = FAKE_RBAC_WAIT_SECONDS;
    const out: Record<string, unknown> = Object.fromEntries(Object.entries(doc).filter(([k]) => !SECRETS_SETTINGS.includes(k)));
    for (const k of SECRETS_SETTINGS) if (previous[k] !== undefined) out[k] = previous[k];
    out.config = config;
    fs.writeFileSync(copy, yaml.dump(out, { lineWidth: -1, noRefs: true }));
    const actual = readStackConfig(stack, projectDir);
    const wanted = { ...expected, [waitKey]: String(FAKE_RBAC_WAIT_SECONDS) };
    if (!isDeepStrictEqual(actual, wanted))
        throw new Error(`the copy of ${path.basename(tracked)} reads differently from it (a bug in engine/cli.ts): ${copy}`);
    const lock = path.join(repoDir, lockFileName(stack));
    const lockCopy = path.join(projectDir, lockFileName(stack));
    if (fs.existsSync(lock)) fs.copyFileSync(lock, lockCopy);
    else fs.rmSync(lockCopy, { force: true });
}

/** Whether the project copy's file backend holds the stack (the diy backend's project-scoped layout). */
export function stackExists(project: EngineProject, name: string, stack: string): boolean {
    const base = path.join(project.stateDir, ".pulumi", "stacks", name, `${stack}.json`);
    return fs.existsSync(base) || fs.existsSync(`${base}.gz`);
}

/** The environment of a run: the engine tests' (engine/harness.ts), interactive unless the caller is CI, no checkpoints for a preview. */
export function pulumiEnv(
    project: EngineProject,
    command: string | undefined,
    callerEnv: NodeJS.ProcessEnv = process.env,
): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...project.env() };
    if (callerEnv.CI === undefined) delete env.CI;
    else env.CI = callerEnv.CI;
    if (command === "preview" || command === "pre") env.PULUMI_SKIP_CHECKPOINTS = "true";
    return env;
}

export interface RunPulumiOptions {
    /** Where relative path arguments resolve (npm sets INIT_CWD to the directory `npm run` was started in). */
    cwd?: string;
    /** Project copy, backend and fake ARM table. Default engine/bin/local. */
    localDir?: string;
    /** Where the tracked stack files and the program are. Default this repository. */
    repoDir?: string;
    stdio?: childProcess.StdioOptions;
    err?: (line: string) => void;
}

/** Runs the CLI as described above; resolves to its exit code (2 for a usage error). */
export async function runPulumi(argv: readonly string[], o: RunPulumiOptions = {}): Promise<number> {
    const err = o.err ?? ((line: string) => void process.stderr.write(`${line}\n`));
    const repoDir = o.repoDir ?? REPO_ROOT;
    const name = projectName(repoDir);
    const inv = invocation(argv, o.cwd ?? process.cwd(), name);
    if ("error" in inv) {
        err(`npm run pulumi: ${inv.error}`);
        return 2;
    }
    if (usesBuiltEngine() && !fs.existsSync(engineBinary())) {
        err(`npm run pulumi: no Pulumi CLI at ${path.relative(process.cwd(), engineBinary())}: run npm run engine:build first`);
        return 2;
    }
    buildSupport();
    const localDir = o.localDir ?? LOCAL_DIR;
    const dir = prepareProject(localDir, repoDir);
    const project = EngineProject.open(dir, inv.stack ?? "");
    const env = pulumiEnv(project, inv.command);
    if (inv.stack !== undefined) {
        if (fs.existsSync(stackFile(inv.stack, repoDir))) writeStackCopy(inv.stack, dir, repoDir);
        const initializing = inv.command === "stack" && inv.args.includes("init");
        if (!initializing && !stackExists(project, name, inv.stack)) {
            const init = childProcess.spawnSync(engineBinary(), ["stack", "init", inv.stack, "--non-interactive"], {
                cwd: dir,
                env,
                encoding: "utf8",
            });
            if (init.status !== 0) {
                err(`npm run pulumi: pulumi stack init ${inv.stack} failed:\n${init.stdout}${init.stderr}`);
                return init.status ?? 1;
            }
        }
    }
    err(
        `npm run pulumi: ${path.relative(repoDir, engineBinary())} against fake Azure, backend and stack file copy in ` +
            `${path.relative(repoDir, localDir) || localDir} (rbacPropagationSeconds: ${FAKE_RBAC_WAIT_SECONDS}` +
            `${env.PULUMI_SKIP_CHECKPOINTS ? ", PULUMI_SKIP_CHECKPOINTS=true" : ""}); tracked files are not touched`,
    );
    return new Promise((resolve, reject) => {
        const child = childProcess.spawn(engineBinary(), inv.args, { cwd: dir, env, stdio: o.stdio ?? "inherit" });
        child.on("error", reject);
        child.on("close", (code, signal) => resolve(code ?? (signal ? 128 : 1)));
    });
}

function asRecord(v: unknown): Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}
