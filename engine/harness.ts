/**
 * Runs this project's real program under a real Pulumi CLI with the fake providers: a throwaway project directory
 * per stack (the program's own files, a stack file written by the caller), a local file backend, a passphrase, and
 * a fake ARM table of its own. Used by the engine tests (test/engine) and the real-engine benchmark.
 *
 * The CLI is engine/bin/pulumi (`npm run engine:build`), or any Pulumi CLI named by PULUMI_ENGINE (then its own
 * language host and dynamic-provider plugin are used, and only the fake providers come from engine/bin/home).
 */
import * as childProcess from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { type ArmRecord, FakeArmTable } from "./plugins/fakeArm";
import { BIN_DIR, PULUMI_BIN, PULUMI_HOME, REPO_ROOT } from "./paths";

/** The CLI under test. */
export function engineBinary(): string {
    return process.env.PULUMI_ENGINE || PULUMI_BIN;
}

/** Whether the CLI is the one built here (its launch plugins then come from engine/bin, on PATH). */
export function usesBuiltEngine(): boolean {
    return !process.env.PULUMI_ENGINE;
}

/** Files of the program a project directory needs (copied; its source folders and `node_modules` are linked). */
export const PROGRAM_FILES = ["Pulumi.yaml", "index.ts", "package.json", "tsconfig.json", "tsconfig.pulumi.json"];
export const PROGRAM_LINKS = ["azure", "config", "components", "program", "node_modules"];

export interface CommandResult {
    code: number;
    stdout: string;
    stderr: string;
    /** stdout and stderr, for messages. */
    output: string;
    ms: number;
}

/** A resource as `pulumi stack export` records it. */
export interface StateResource {
    urn: string;
    type: string;
    id?: string;
    custom: boolean;
    protect?: boolean;
    parent?: string;
    inputs?: Record<string, unknown>;
    outputs?: Record<string, unknown>;
}

export interface EngineProjectOptions {
    stack: string;
    /** The stack file's `config:` block (as YAML would hold it). */
    config: Record<string, unknown>;
    /** A placement lock to put beside the stack file (`Pulumi.<stack>.placement.json`). */
    placementLock?: unknown;
    /**
     * Force ts-node's type checking (PULUMI_NODEJS_TRANSPILE_ONLY=false: slower); by default the project decides, as for
     * a user: Pulumi.yaml's runtime tsconfig (tsconfig.pulumi.json) sets noCheck.
     */
    typeCheck?: boolean;
}

/** What a project's CLI runs need: where its state, plugins and fake ARM table are, and how its program is compiled. */
export interface EngineEnvOptions {
    /** The local file backend's directory (PULUMI_BACKEND_URL=file://…). */
    stateDir: string;
    /** The fake ARM table the fake providers keep (FHIR_FAKE_ARM_DIR). */
    armDir: string;
    /** Force the language host's type checking of the program (PULUMI_NODEJS_TRANSPILE_ONLY=false). */
    typeCheck?: boolean;
}

/**
 * The environment of a CLI run against the fake providers: the built CLI's plugins and the project's Node first on
 * PATH, a project-local PULUMI_HOME whose plugin cache holds the fake providers, a local file backend, a passphrase,
 * and no download of any kind. Checkpoints are the command's matter: see checkpointEnv.
 */
export function engineEnv({ stateDir, armDir, typeCheck = false }: EngineEnvOptions): NodeJS.ProcessEnv {
    const pathDirs = [...(usesBuiltEngine() ? [BIN_DIR] : []), path.join(REPO_ROOT, "node_modules", ".bin"), process.env.PATH ?? ""];
    return {
        ...process.env,
        PATH: pathDirs.join(path.delimiter),
        PULUMI_HOME,
        PULUMI_BACKEND_URL: `file://${stateDir}`,
        PULUMI_CONFIG_PASSPHRASE: "fhir-platform-engine-tests",
        PULUMI_SKIP_UPDATE_CHECK: "true",
        // Nothing may be downloaded: a missing plugin is an error, not a fetch.
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        ...(typeCheck ? { PULUMI_NODEJS_TRANSPILE_ONLY: "false" } : {}),
        FHIR_FAKE_ARM_DIR: armDir,
        CI: "true",
    };
}

/** The Pulumi subcommand of a CLI argument list (`preview`, `up`, `stack`, …): its first argument that is not a flag. */
export function pulumiCommand(args: readonly string[]): string | undefined {
    return args.find((a) => !a.startsWith("-"));
}

/**
 * A preview skips the CLI's per-step checkpoints: PULUMI_SKIP_CHECKPOINTS=true. Without it the CLI serializes and
 * integrity-checks the whole stack snapshot after every step of a preview too, and throws it away: the file and Azure
 * Blob backends (pkg/v3 backend/diy/backend.go, diyBackend.apply) and Pulumi Cloud (backend/httpstate/backend.go,
 * cloudBackend.apply) give a preview a SnapshotManager over a DiscardPersister, whose service loop saves after each
 * mutation (backend/snapshot.go, defaultServiceLoop, saveSnapshot) unless the variable selects unsafeServiceLoop, which
 * saves once, at the end, to the same discarding persister. So a preview loses nothing, and its cost stops growing
 * with the square of the stack (BENCHMARKS.md). Other commands keep the CLI's default: a crash mid-`up` then loses
 * only the steps in flight.
 */
export function checkpointEnv(args: readonly string[]): NodeJS.ProcessEnv {
    return pulumiCommand(args) === "preview" ? { PULUMI_SKIP_CHECKPOINTS: "true" } : {};
}

export class EngineProject {
    readonly stateDir: string;
    readonly armDir: string;
    readonly arm: FakeArmTable;
    /** Settings of the fake Azure for the next commands (FHIR_FAKE_RBAC_PROPAGATION_SECONDS, FHIR_FAKE_TENANT_DIR, …). */
    fakeAzureEnv: Record<string, string> = {};

    private constructor(
        readonly dir: string,
        readonly stack: string,
        private readonly typeCheck: boolean,
    ) {
        this.stateDir = path.join(dir, ".state");
        this.armDir = path.join(dir, ".arm");
        fs.mkdirSync(this.stateDir, { recursive: true });
        this.arm = new FakeArmTable(this.armDir);
    }

    /** A new project directory with the program and the given stack file; the stack is initialized. */
    static async create(options: EngineProjectOptions): Promise<EngineProject> {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), `fhir-engine-${options.stack}-`));
        for (const f of PROGRAM_FILES) fs.copyFileSync(path.join(REPO_ROOT, f), path.join(dir, f));
        for (const l of PROGRAM_LINKS) fs.symlinkSync(path.join(REPO_ROOT, l), path.join(dir, l));
        const project = new EngineProject(dir, options.stack, options.typeCheck ?? false);
        project.writeStackConfig(options.config);
        if (options.placementLock !== undefined) {
            fs.writeFileSync(
                path.join(dir, `Pulumi.${options.stack}.placement.json`),
                `${JSON.stringify(options.placementLock, null, 2)}\n`,
            );
        }
        const init = await project.pulumi(["stack", "init", options.stack]);
        if (init.code !== 0) throw new Error(`pulumi stack init failed:\n${init.output}`);
        return project;
    }

    /** A project directory prepared elsewhere (`npm run pulumi`: engine/cli.ts), with its backend and fake ARM table. */
    static open(dir: string, stack: string): EngineProject {
        return new EngineProject(dir, stack, false);
    }

    get stackFile(): string {
        return path.join(this.dir, `Pulumi.${this.stack}.yaml`);
    }

    /** Rewrites the stack file's config (keeping what the CLI added, such as the passphrase salt). */
    writeStackConfig(config: Record<string, unknown>): void {
        const existing = fs.existsSync(this.stackFile)
            ? ((yaml.load(fs.readFileSync(this.stackFile, "utf8")) ?? {}) as Record<string, unknown>)
            : {};
        fs.writeFileSync(this.stackFile, yaml.dump({ ...existing, config }, { lineWidth: 200 }));
    }

    readStackConfig(): Record<string, unknown> {
        const doc = (yaml.load(fs.readFileSync(this.stackFile, "utf8")) ?? {}) as { config?: Record<string, unknown> };
        return doc.config ?? {};
    }

    /** The environment every CLI run of this project gets (engineEnv); a preview adds checkpointEnv's setting. */
    env(): NodeJS.ProcessEnv {
        return { ...engineEnv({ stateDir: this.stateDir, armDir: this.armDir, typeCheck: this.typeCheck }), ...this.fakeAzureEnv };
    }

    /**
     * Runs the CLI in the project directory, non-interactively; never throws on a non-zero exit. `env` is laid over
     * the project's environment and the command's checkpoint setting (a benchmark sets PULUMI_SKIP_CHECKPOINTS itself).
     */
    pulumi(args: string[], options: PulumiRunOptions = {}): Promise<CommandResult> {
        return runCommand(engineBinary(), [...args, "--non-interactive"], {
            cwd: this.dir,
            env: { ...this.env(), ...checkpointEnv(args), ...options.env },
            timeoutMs: options.timeoutMs,
            onSpawn: options.onSpawn,
        });
    }

    /** `pulumi stack export`: every resource in the stack's state. */
    async state(): Promise<StateResource[]> {
        const r = await this.pulumi(["stack", "export", "--stack", this.stack]);
        if (r.code !== 0) throw new Error(`pulumi stack export failed:\n${r.output}`);
        const doc = JSON.parse(r.stdout) as { deployment?: { resources?: StateResource[] } };
        return doc.deployment?.resources ?? [];
    }

    /** Every record of the fake ARM table, frozen (engine/plugins/fakeArm.ts, JsonDirectory). */
    armRecords(): readonly ArmRecord[] {
        return this.arm.list();
    }

    remove(): void {
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}

export interface PulumiRunOptions {
    /** Variables laid over the project's environment. */
    env?: NodeJS.ProcessEnv;
    timeoutMs?: number;
    /** Called with the CLI's process once it is started (a benchmark samples its process tree, a crash test kills it). */
    onSpawn?: (child: childProcess.ChildProcess) => void;
}

export function runCommand(
    command: string,
    args: string[],
    options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; onSpawn?: (child: childProcess.ChildProcess) => void },
): Promise<CommandResult> {
    const started = Date.now();
    return new Promise((resolve, reject) => {
        const child = childProcess.spawn(command, args, {
            cwd: options.cwd,
            env: options.env ?? process.env,
            stdio: ["ignore", "pipe", "pipe"],
        });
        options.onSpawn?.(child);
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        const timer = setTimeout(() => child.kill("SIGTERM"), options.timeoutMs ?? 10 * 60 * 1000);
        child.on("error", (e) => {
            clearTimeout(timer);
            reject(new Error(`${command}: ${e.message}`));
        });
        child.on("close", (code, signal) => {
            clearTimeout(timer);
            resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr, output: `${stdout}${stderr}`, ms: Date.now() - started });
        });
    });
}

/** The URNs of what the program declared (not the stack itself or the engine's default providers). */
export function declaredUrns(resources: StateResource[]): string[] {
    return resources
        .filter((r) => r.type !== "pulumi:pulumi:Stack" && !/::default(_[0-9_]+)?$/.test(r.urn))
        .map((r) => r.urn)
        .sort();
}

/** Reads a repository stack file's config block (e.g. the dev stack's). */
export function repoStackConfig(stack: string): Record<string, unknown> {
    const doc = (yaml.load(fs.readFileSync(path.join(REPO_ROOT, `Pulumi.${stack}.yaml`), "utf8")) ?? {}) as {
        config?: Record<string, unknown>;
    };
    return doc.config ?? {};
}

/** Reads a repository placement lock, if the stack has one. */
export function repoPlacementLock(stack: string): unknown {
    const file = path.join(REPO_ROOT, `Pulumi.${stack}.placement.json`);
    return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as unknown) : undefined;
}

/** Runs an npm script of this repository (`npm run --silent <script> -- args`). */
export function npmRun(script: string, args: string[], timeoutMs = 5 * 60 * 1000): Promise<CommandResult> {
    const env = { ...process.env, PATH: [path.join(REPO_ROOT, "node_modules", ".bin"), process.env.PATH ?? ""].join(path.delimiter) };
    return runCommand("npm", ["run", "--silent", script, "--", ...args], { cwd: REPO_ROOT, env, timeoutMs });
}
