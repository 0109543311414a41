/**
 * Two debugging aids of the Pulumi SDK that cost a large preview most of its time, skipped by the stack program
 * (index.ts) before its first resource. Library users of the components are not affected: only index.ts calls these.
 *
 * Per-promise stacks: `debuggablePromise` (@pulumi/pulumi/runtime/debuggable.js) runs `new Error().stack` for every
 * promise the SDK makes (several per output property of every resource: a FHIR service has dozens) and keeps the text
 * only to print it when PULUMI_DEBUG_PROMISE_LEAKS is set. Under the language host, `source-map-support` (registered by
 * @pulumi/pulumi/cmd/run for every program) maps each frame of each of those stacks to its TypeScript source. Measured
 * at 100 accounts (BENCHMARKS.md, finding 0): two thirds of the program's run (40.1 s with the stacks, 13.1 s without).
 * This wraps that export so the capture runs with `Error.stackTraceLimit = 0`: the SDK still tracks every promise for
 * its leak report, and every other error (a config error, a bug in a component, a provider failure) keeps its whole
 * stack, mapped to the TypeScript source. Nothing changes when PULUMI_DEBUG_PROMISE_LEAKS is set (the stacks are then
 * printed, so they are kept) or FHIR_PLATFORM_SDK_PROMISE_STACKS=1 (to compare, or to debug the SDK itself).
 *
 * Debug-level log messages: the SDK's runtime logs three per custom resource at debug level (`Registering resource`,
 * `RegisterResource RPC prepared`, `... finished`) and five per component (the same pair again for its outputs:
 * @pulumi/pulumi/runtime/resource.js), and `log.debug` sends each to the engine as its own `Log` RPC whenever an
 * engine is connected (@pulumi/pulumi/log/index.js), shown or not: about three of every four RPCs the program makes.
 * The CLI then writes each to its automatic log file (pkg/v3 logging/encrypted.go, StartLogging: every command, at
 * debug level). Measured at 100 accounts, 3 interleaved pairs (BENCHMARKS.md, finding 7): program CPU 33.0 s -> 26.0 s,
 * CLI 12.3 s -> 10.6 s. The stack program drops them (all but the root stack resource's three, which
 * @pulumi/pulumi/cmd/run registers before index.ts runs: test/engine/preview.test.ts); `pulumi --debug` then shows no
 * other SDK debug lines from it, and FHIR_PLATFORM_SDK_DEBUG_LOGS=1 keeps them. Warnings, errors and info messages are
 * untouched.
 */

type DebuggablePromise = <T>(p: Promise<T>, ctx: unknown) => Promise<T>;

interface DebuggableModule {
    debuggablePromise: DebuggablePromise & { withoutStacks?: true };
}

/** Whether the SDK's promise stacks are wanted as they are (see above). */
export function promiseStacksWanted(env: NodeJS.ProcessEnv = process.env): boolean {
    return !!env.PULUMI_DEBUG_PROMISE_LEAKS || env.FHIR_PLATFORM_SDK_PROMISE_STACKS === "1";
}

/**
 * Installs the wrapper once per process (idempotent). Returns whether the SDK's promises now skip their stacks: false
 * when they are wanted, or when this SDK version no longer has the export (then nothing is changed).
 */
export function skipSdkPromiseStacks(env: NodeJS.ProcessEnv = process.env): boolean {
    if (promiseStacksWanted(env)) return false;
    // An internal module of the SDK, without type declarations: checked at run time instead.
    const debuggable = require("@pulumi/pulumi/runtime/debuggable") as Partial<DebuggableModule>;
    const original = debuggable.debuggablePromise;
    if (typeof original !== "function") return false;
    if (original.withoutStacks) return true;
    const wrapped = <T>(p: Promise<T>, ctx: unknown): Promise<T> => {
        const limit = Error.stackTraceLimit;
        Error.stackTraceLimit = 0;
        try {
            return original(p, ctx);
        } finally {
            Error.stackTraceLimit = limit;
        }
    };
    debuggable.debuggablePromise = Object.assign(wrapped, { withoutStacks: true as const });
    return true;
}

/** Whether the SDK's debug-level log messages are wanted (see above). */
export function debugLogsWanted(env: NodeJS.ProcessEnv = process.env): boolean {
    return env.FHIR_PLATFORM_SDK_DEBUG_LOGS === "1";
}

type LogFunction = (msg: string, ...rest: unknown[]) => Promise<void>;

interface LogModule {
    debug: LogFunction & { dropped?: true };
}

/**
 * Replaces the SDK's `log.debug` (which its runtime calls through the module's exports) with one that sends nothing
 * (idempotent). Returns whether debug messages are now dropped: false when they are wanted, or when this SDK version
 * no longer has the export (then nothing is changed).
 */
export function skipSdkDebugLogs(env: NodeJS.ProcessEnv = process.env): boolean {
    if (debugLogsWanted(env)) return false;
    const log = require("@pulumi/pulumi/log") as Partial<LogModule>;
    if (typeof log.debug !== "function") return false;
    if (log.debug.dropped) return true;
    log.debug = Object.assign((_msg: string) => Promise.resolve(), { dropped: true as const });
    return true;
}

/** Whether each resource's stack trace is wanted as the SDK computes it, without the cache (see below). */
export function resourceStacksUncached(env: NodeJS.ProcessEnv = process.env): boolean {
    return env.FHIR_PLATFORM_SDK_RESOURCE_STACKS === "1";
}

/** A frame of a resource's stack trace, as the SDK sends it to the engine (@pulumi/pulumi/resource.js). */
interface SourcePosition {
    uri: string;
    line: number;
    column: number;
}

type StackTraceFunction = (skip: number) => (SourcePosition | undefined)[];

interface ResourceModule {
    Resource: { stackTrace: StackTraceFunction & { cached?: true } };
}

/** The raw position and naming of every frame of a stack, one string: what the SDK's result depends on. */
function frameKey(sites: NodeJS.CallSite[]): string | undefined {
    let key = "";
    for (const s of sites) {
        if (s.isEval()) return undefined; // an eval frame's text also depends on where the eval ran
        key += `${s.getFileName()}:${s.getLineNumber()}:${s.getColumnNumber()}:${s.getTypeName()}.${s.getFunctionName()}:${s.isToplevel()}${s.isConstructor()}${s.isAsync()}\n`;
    }
    return key;
}

/**
 * Memoizes each resource's stack trace by the raw positions of its frames (idempotent). Returns whether the cache is
 * installed: false when it is not wanted, or when this SDK version no longer has `Resource.stackTrace`.
 *
 * Every resource's constructor records the stack it was created from (`Resource.stackTrace`, called from the
 * constructor of @pulumi/pulumi's `Resource`): `new Error().stack` with no frame limit, every frame mapped to its
 * TypeScript source by source-map-support (which @pulumi/pulumi/cmd/run registers), parsed back with a regular
 * expression and made a file URL; the engine keeps the result in the state (`sourcePosition`, `stackTrace`). The
 * accounts of a stack are built by the same code, so every account repeats the same stacks: at 100 accounts, the 2,161
 * resources the program registers come from 36 distinct stacks. The cache keys each call by its frames' raw positions
 * and names (V8's structured call sites, which cost no formatting and no source mapping) and returns, for a stack it
 * has seen, the SDK's own result for it; for a new stack it calls the SDK. The result is the same frame for frame
 * (test/sdkStacks.test.ts), and it is computed during the program's synchronous construction, before the first
 * registration reaches the engine: the part of a preview nothing else overlaps (BENCHMARKS.md, finding 7).
 * FHIR_PLATFORM_SDK_RESOURCE_STACKS=1 keeps the SDK's computation for every resource.
 */
export function cacheSdkResourceStacks(env: NodeJS.ProcessEnv = process.env): boolean {
    if (resourceStacksUncached(env)) return false;
    const { Resource } = require("@pulumi/pulumi/resource") as Partial<ResourceModule>;
    const original = Resource?.stackTrace;
    if (!Resource || typeof original !== "function") return false;
    if (original.cached) return true;
    const cache = new Map<string, (SourcePosition | undefined)[]>();
    const cached = function (this: unknown, skip: number) {
        const prepare = Error.prepareStackTrace;
        const limit = Error.stackTraceLimit;
        const holder: { stack?: NodeJS.CallSite[] } = {};
        try {
            Error.stackTraceLimit = Number.POSITIVE_INFINITY;
            Error.prepareStackTrace = (_error, sites) => sites;
            Error.captureStackTrace(holder, cached);
            holder.stack = holder.stack?.slice(); // read while the structured form is in place
        } finally {
            Error.prepareStackTrace = prepare;
            Error.stackTraceLimit = limit;
        }
        // One frame deeper than the SDK's own call (this function): the SDK skips one more.
        const frames = holder.stack && frameKey(holder.stack);
        if (frames === undefined) return original.call(this, skip + 1);
        const key = `${skip}\n${frames}`;
        let trace = cache.get(key);
        if (!trace) {
            trace = original.call(this, skip + 1);
            cache.set(key, trace);
        }
        return trace.slice();
    };
    Resource.stackTrace = Object.assign(cached, { cached: true as const });
    return true;
}
