/**
 * The program as the Pulumi Node language host runs it (tools/bench/hostChild.js), in three setups measured side by
 * side in one run:
 * - **before**: the project as it was before preview speed was worked on: no runtime tsconfig (ts-node type-checks
 *   with tsconfig.json) and the SDK's per-promise stacks kept (FHIR_PLATFORM_SDK_PROMISE_STACKS=1);
 * - **after**: the project as Pulumi.yaml configures it now (runtime.options: tsconfig, nodeargs);
 * - **compiled**: the alternative not chosen: JavaScript compiled by tsc (with source maps), as `main: <dir>/index.js`
 *   with `typescript: false` would run it, plus the same nodeargs.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { PROJECT_DIR } from "../../harness/stackFiles";
import { cpuProfileArgs, runJob } from "./job";

export const HOST_MODES = ["before", "after", "compiled"] as const;
export type HostMode = (typeof HOST_MODES)[number];

/** What one host child reported (times in ms from the process's start). */
export interface HostResult {
    mode: HostMode;
    accounts: number;
    /** ts-node's mode as the host decided it (null: no ts-node, compiled JavaScript). */
    transpileOnly: boolean | null;
    /** Node, the SDK, ts-node and the harness loaded; the entry point not yet required. */
    startupMs: number;
    /** The entry point required: every module loaded (and type-checked, if so) and every resource constructed. */
    entryMs: number;
    /** Every registration answered and the stack outputs resolved. */
    programMs: number;
    /** The policy pack over the registered resources, after the program. */
    packMs: number;
    /** Peak RSS when the program finished (before the pack), and at the end. */
    peakRssBytes: number;
    peakRssWithPackBytes: number;
    resources: number;
    mandatory: number;
    advisory: number;
}

/** Pulumi.yaml's `runtime.options` that decide how the language host starts the program. */
export interface ProjectRuntime {
    typescript: boolean;
    tsconfig?: string;
    nodeargs: string[];
}

export function projectRuntime(projectDir: string = PROJECT_DIR): ProjectRuntime {
    const project = yaml.load(fs.readFileSync(path.join(projectDir, "Pulumi.yaml"), "utf8")) as {
        runtime?: string | { options?: { typescript?: boolean; tsconfig?: string; nodeargs?: string } };
    };
    const options = typeof project.runtime === "object" ? (project.runtime.options ?? {}) : {};
    return {
        typescript: options.typescript !== false,
        ...(options.tsconfig ? { tsconfig: options.tsconfig } : {}),
        nodeargs: (options.nodeargs ?? "").split(/\s+/).filter(Boolean),
    };
}

export interface HostSetup {
    mode: HostMode;
    nodeargs: string[];
    env: Record<string, string>;
    compiledDir?: string;
}

/** The three setups (see the file comment); `compiledDir` holds `compileProject(dir, true)`. */
export function hostSetups(runtime: ProjectRuntime, compiledDir: string): HostSetup[] {
    const setups: HostSetup[] = [
        { mode: "before", nodeargs: [], env: { FHIR_PLATFORM_SDK_PROMISE_STACKS: "1" } },
        { mode: "after", nodeargs: runtime.nodeargs, env: runtime.tsconfig ? { PULUMI_NODEJS_TSCONFIG_PATH: runtime.tsconfig } : {} },
    ];
    setups.push({ mode: "compiled", nodeargs: runtime.nodeargs, env: {}, compiledDir });
    return setups;
}

/** Variables that would change how the emulated host loads the program: the setup decides them, not the caller's shell. */
const HOST_VARIABLES = /^(PULUMI_NODEJS_|TS_NODE_|NODE_OPTIONS$|FHIR_PLATFORM_SDK_PROMISE_STACKS$|PULUMI_DEBUG_PROMISE_LEAKS$)/;

/** `env` without the variables that decide how the host loads the program (HOST_VARIABLES). */
export function withoutHostVariables(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
    return Object.fromEntries(Object.entries(env).filter(([k]) => !HOST_VARIABLES.test(k)));
}

/** The file name of a host child's CPU profile. */
export function hostProfileName(mode: HostMode, accounts: number): string {
    return `host-${mode}-${accounts}.cpuprofile`;
}

/** Runs one host child: a fresh Node process with the setup's node arguments and variables. */
export function runHostChild(
    setup: HostSetup,
    accounts: number,
    inputFile: string,
    dir: string,
    harnessDir?: string,
    /** Write a V8 CPU profile of the whole process here, named by `hostProfileName`. */
    profileDir?: string,
): HostResult {
    const job = {
        accounts,
        inputFile,
        projectDir: PROJECT_DIR,
        ...(harnessDir ? { harnessDir } : {}),
        ...(setup.compiledDir ? { compiledDir: setup.compiledDir } : {}),
    };
    const profile = profileDir ? cpuProfileArgs(profileDir, hostProfileName(setup.mode, accounts)) : [];
    const result = runJob<Omit<HostResult, "mode">>(
        `host ${setup.mode}, ${accounts} accounts`,
        dir,
        job,
        [...setup.nodeargs, ...profile, path.join(__dirname, "hostChild.js")],
        // The compiled harness (and the compiled setup) resolve packages from the project, so the SDK is one module.
        { ...withoutHostVariables(process.env), ...setup.env, NODE_PATH: path.join(PROJECT_DIR, "node_modules") },
    );
    return { mode: setup.mode, ...result };
}
