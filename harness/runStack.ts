import { CONFIG_NAMESPACE, type ConfigProblem, type RawConfig, type ResolvedStack, resolveStack } from "../config";
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
}

/** Runs the real stack program (index.ts's `defineStack`) under mocks. Rejects with ConfigValidationError on bad config. */
export function runStack(options: RunStackOptions): Promise<StackRun> {
    const projectDir = options.projectDir ?? PROJECT_DIR;
    const config = options.config ?? readStackConfig(options.stack, projectDir);
    // Validate before entering the Pulumi stack: an error thrown inside the SDK's root Stack resource leaves
    // rejected promises behind that no caller can handle. A bad config rejects here, with nothing registered.
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
    }).then((run) => ({ ...run, warnings: resolved.warnings }));
}

/** Builds a namespaced config map from plain values: `{ location: "westeurope", accounts: [...] }`. */
export function configMap(values: RawConfig): Record<string, string> {
    return toConfigMap(Object.fromEntries(Object.entries(values).map(([k, v]) => [`${CONFIG_NAMESPACE}:${k}`, v])));
}
