import {
    CONFIG_NAMESPACE,
    type ConfigProblem,
    type RawConfig,
    type ResolvedStack,
    lockFileName,
    readPlacementLock,
    resolveStack,
} from "../config";
import { defineStack } from "../program";
import { type MockRunResult, runUnderMocks } from "./mockRun";
import { PROJECT_DIR, configSource, readStackConfig, toConfigMap } from "./stackFiles";

export interface RunStackOptions {
    stack: string;
    /** Namespaced config map (`fhir-platform:accounts` -> JSON). Defaults to the stack file's. */
    config?: Record<string, string>;
    /** Where the stack file (when `config` is absent) and the placement lock are read from. Defaults to the repo root. */
    projectDir?: string;
}

export interface StackRun extends MockRunResult {
    /** Valid settings a reviewer should notice (what the program logs as warnings). */
    warnings: ConfigProblem[];
    /** Where the placement lock and the config disagree on which accounts exist. */
    lock: LockDrift;
}

/** Accounts the placement lock and the config disagree on (both lists sorted). */
export interface LockDrift {
    /** `Pulumi.<stack>.placement.json`. */
    file: string;
    /** Whether the stack has a placement lock at all. */
    exists: boolean;
    /** In the config, not in the lock: `pulumi up` creates every resource of these accounts. */
    created: string[];
    /** In the lock, not in the config: `pulumi up` deletes every resource of these accounts (protected ones refuse). */
    dropped: string[];
}

/** Which accounts the lock and the config disagree on, from a resolved stack and the lock it was resolved with. */
export function lockDrift(stack: string, projectDir: string, resolved: ResolvedStack): LockDrift {
    const lock = readPlacementLock(projectDir, stack);
    const names = new Set(resolved.config.accounts.map((a) => a.name));
    return {
        file: lockFileName(stack),
        exists: lock !== undefined,
        created: [...resolved.placement.newlyPlaced].sort(),
        dropped: Object.keys(lock?.accounts ?? {})
            .filter((a) => !names.has(a))
            .sort(),
    };
}

/** Runs the real stack program (index.ts's `defineStack`) under mocks. Rejects with ConfigValidationError on bad config. */
export function runStack(options: RunStackOptions): Promise<StackRun> {
    const projectDir = options.projectDir ?? PROJECT_DIR;
    const config = options.config ?? readStackConfig(options.stack, projectDir);
    // Validate first: an error thrown inside the SDK's root Stack leaves rejected promises no caller can handle.
    const args = { config: configSource(config), stack: options.stack, projectDir };
    let resolved: ResolvedStack;
    try {
        resolved = resolveStack(args);
    } catch (e) {
        return Promise.reject(e);
    }
    return runUnderMocks(() => ({ ...defineStack(args, resolved) }), {
        stack: options.stack,
        config,
    }).then((run) => ({ ...run, warnings: resolved.warnings, lock: lockDrift(options.stack, projectDir, resolved) }));
}

/** Builds a namespaced config map from plain values: `{ location: "westeurope", accounts: [...] }`. */
export function configMap(values: RawConfig): Record<string, string> {
    return toConfigMap(Object.fromEntries(Object.entries(values).map(([k, v]) => [`${CONFIG_NAMESPACE}:${k}`, v])));
}
