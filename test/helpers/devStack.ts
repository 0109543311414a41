import { type StackRun, runStack } from "../../harness/runStack";

let run: Promise<StackRun> | undefined;

/**
 * The dev stack under mocks, run once per jest file and frozen: the suites grouped in one file (helpers/suites.ts)
 * read the same capture instead of running the program again each, and a suite that tried to change it would throw
 * instead of changing what another suite reads. (test/mockRun.suite.ts runs it twice on purpose: determinism.)
 */
export function devStack(): Promise<StackRun> {
    run ??= runStack({ stack: "dev" }).then(deepFreeze);
    return run;
}

function deepFreeze<T>(value: T): T {
    if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
        Object.freeze(value);
        for (const v of Object.values(value)) deepFreeze(v);
    }
    return value;
}
