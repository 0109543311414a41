/**
 * program/sdkStacks.ts: the SDK's per-promise debug stacks are skipped (the largest cost of a large preview), while
 * every other error keeps its stack, and the stacks come back when someone debugs promise leaks; its debug-level log
 * messages no longer reach the engine, unless asked for.
 */
import { debugLogsWanted, promiseStacksWanted, type skipSdkDebugLogs, skipSdkPromiseStacks } from "../program/sdkStacks";

type Debuggable = { debuggablePromise: <T>(p: Promise<T>, ctx: unknown) => Promise<T> };
const debuggable = (): Debuggable => require("@pulumi/pulumi/runtime/debuggable") as Debuggable;
const stackOf = (p: Promise<unknown>) => (p as unknown as { _debugStackTrace: string })._debugStackTrace;

function originalStacks<T>(f: () => T): T {
    const d = debuggable();
    const installed = d.debuggablePromise;
    let result: T | undefined;
    jest.isolateModules(() => {
        result = f();
    });
    d.debuggablePromise = installed;
    return result as T;
}

test("the SDK's promises keep no stack once skipped, still resolve, and the stack limit is restored", async () => {
    expect(skipSdkPromiseStacks({})).toBe(true);
    const limit = Error.stackTraceLimit;
    const inner = Promise.resolve(42);
    const p = debuggable().debuggablePromise(inner, "test");
    expect(stackOf(inner)).toMatch(/^Error/);
    expect(stackOf(inner)).not.toMatch(/\n\s+at /);
    expect(Error.stackTraceLimit).toBe(limit);
    await expect(p).resolves.toBe(42);
    // Idempotent: a second call does not wrap the wrapper.
    const wrapped = debuggable().debuggablePromise;
    expect(skipSdkPromiseStacks({})).toBe(true);
    expect(debuggable().debuggablePromise).toBe(wrapped);
});

test("a rejected promise is still rejected through the wrapper", async () => {
    skipSdkPromiseStacks({});
    await expect(debuggable().debuggablePromise(Promise.reject(new Error("boom")), "test")).rejects.toThrow("boom");
});

test("the stacks are kept when promise leaks are being debugged, or on request", () => {
    expect(promiseStacksWanted({ PULUMI_DEBUG_PROMISE_LEAKS: "true" })).toBe(true);
    expect(promiseStacksWanted({ FHIR_PLATFORM_SDK_PROMISE_STACKS: "1" })).toBe(true);
    expect(promiseStacksWanted({})).toBe(false);
    expect(skipSdkPromiseStacks({ PULUMI_DEBUG_PROMISE_LEAKS: "1" })).toBe(false);
    // A fresh SDK module (as in a process where they are wanted) keeps capturing frames.
    originalStacks(() => {
        const fresh = debuggable();
        expect(skipSdkPromiseStacks({ FHIR_PLATFORM_SDK_PROMISE_STACKS: "1" })).toBe(false);
        const inner = Promise.resolve(1);
        void fresh.debuggablePromise(inner, "test");
        expect(stackOf(inner)).toMatch(/\n\s+at /);
    });
});

describe("the SDK's debug-level log messages", () => {
    type Log = typeof import("@pulumi/pulumi/log");
    /**
     * Runs `f` with a fresh SDK connected to a real gRPC Engine service, as in the program's process, after
     * skipSdkDebugLogs(env) when env is given; returns that call's result and the severity of every Log request the
     * engine received, as the CLI would receive them.
     */
    async function withEngine(env: NodeJS.ProcessEnv | undefined, f: (log: Log) => Promise<void>) {
        const grpc = require("@grpc/grpc-js") as typeof import("@grpc/grpc-js");
        const { EngineService } = require("@pulumi/pulumi/proto/engine_grpc_pb");
        const { Empty } = require("google-protobuf/google/protobuf/empty_pb");
        const severities: number[] = [];
        const server = new grpc.Server();
        server.addService(EngineService, {
            log: (call: { request: { getSeverity(): number } }, done: (e: null, r: unknown) => void) => {
                severities.push(call.request.getSeverity());
                done(null, new Empty());
            },
        });
        const port = await new Promise<number>((resolve, reject) =>
            server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
        );
        const store = require("@pulumi/pulumi/runtime/state").getStore();
        const before = store.settings.options.engineAddr;
        store.settings.options.engineAddr = `127.0.0.1:${port}`;
        try {
            let log: Log | undefined;
            let skipped: boolean | undefined;
            jest.isolateModules(() => {
                log = require("@pulumi/pulumi/log");
                if (env) skipped = (require("../program/sdkStacks") as { skipSdkDebugLogs: typeof skipSdkDebugLogs }).skipSdkDebugLogs(env);
            });
            await f(log as Log);
            return { skipped, severities };
        } finally {
            store.settings.options.engineAddr = before;
            server.forceShutdown();
        }
    }
    const { LogSeverity } = require("@pulumi/pulumi/proto/engine_pb");
    const everyLevel = async (log: Log) => {
        await log.debug("Registering resource: t=test");
        await log.info("info");
        await log.warn("warning");
    };

    test("reach the engine as one RPC each, unless skipped: then debug sends nothing, info and warnings still do", async () => {
        expect(await withEngine(undefined, everyLevel)).toEqual({
            skipped: undefined,
            severities: [LogSeverity.DEBUG, LogSeverity.INFO, LogSeverity.WARNING],
        });
        expect(await withEngine({}, everyLevel)).toEqual({ skipped: true, severities: [LogSeverity.INFO, LogSeverity.WARNING] });
    });

    test("are kept on request", async () => {
        expect(debugLogsWanted({ FHIR_PLATFORM_SDK_DEBUG_LOGS: "1" })).toBe(true);
        expect(debugLogsWanted({})).toBe(false);
        expect(await withEngine({ FHIR_PLATFORM_SDK_DEBUG_LOGS: "1" }, everyLevel)).toEqual({
            skipped: false,
            severities: [LogSeverity.DEBUG, LogSeverity.INFO, LogSeverity.WARNING],
        });
    });

    test("skipping twice keeps one replacement", () => {
        jest.isolateModules(() => {
            const { skipSdkDebugLogs: skip } = require("../program/sdkStacks") as { skipSdkDebugLogs: typeof skipSdkDebugLogs };
            const log = require("@pulumi/pulumi/log") as Log;
            expect(skip({})).toBe(true);
            const replaced = log.debug;
            expect(skip({})).toBe(true);
            expect(log.debug).toBe(replaced);
        });
    });
});

describe("each resource's stack trace (cacheSdkResourceStacks)", () => {
    type Trace = ({ uri: string; line: number; column: number } | undefined)[];
    interface ResourceStatics {
        stackTrace(skip: number): Trace;
        callsites(): unknown[];
    }
    /** A fresh SDK `Resource` class, and cacheSdkResourceStacks(env)'s result on it. */
    function freshResource(env: NodeJS.ProcessEnv) {
        let Resource!: ResourceStatics;
        let installed!: boolean;
        jest.isolateModules(() => {
            Resource = (require("@pulumi/pulumi/resource") as { Resource: ResourceStatics }).Resource;
            const sdkStacks = require("../program/sdkStacks") as typeof import("../program/sdkStacks");
            installed = sdkStacks.cacheSdkResourceStacks(env);
        });
        return { Resource, installed };
    }

    test("is the SDK's own, frame for frame, computed once per distinct stack", () => {
        const uncached = freshResource({ FHIR_PLATFORM_SDK_RESOURCE_STACKS: "1" });
        const { Resource, installed } = freshResource({});
        expect(uncached.installed).toBe(false);
        expect(installed).toBe(true);
        // Both called at the same depth below `site`, skipping the frames above it, as the SDK's constructor skips its own
        // four (Resource.stackTrace(4)).
        const bySdk = (skip: number) => uncached.Resource.stackTrace(skip);
        const byCache = (skip: number) => Resource.stackTrace(skip);
        const site = (f: (skip: number) => Trace) => f(3);
        const otherSite = (f: (skip: number) => Trace) => [f(3)][0];
        // Counts the SDK's computations: a wrapper around its `callsites` adds a frame, so both classes get one.
        const computations = [uncached.Resource, Resource].map((R) => {
            const callsites = R.callsites;
            const counter = { count: 0 };
            R.callsites = function (this: unknown) {
                counter.count++;
                return callsites.call(this);
            };
            return counter;
        });
        const seen: Trace[] = [];
        const computedByCache: number[] = [];
        for (let i = 0; i < 3; i++) {
            for (const at of [site, otherSite]) {
                // From one call site, so that every frame is the same.
                const [expected, actual, computed] = [bySdk, byCache].flatMap((f) => {
                    const before = computations[1].count;
                    const trace = at(f);
                    return f === byCache ? [trace, computations[1].count - before] : [trace];
                });
                computedByCache.push(computed as number);
                expect(actual).toEqual(expected);
                seen.push(actual as Trace);
            }
        }
        // Mapped to this TypeScript file, at the two call sites: not the same frames.
        expect(seen[0][0]?.uri).toMatch(/\/test\/sdkStacks\.test\.ts$/);
        expect(seen[1][0]?.uri).toMatch(/\/test\/sdkStacks\.test\.ts$/);
        expect(seen[0][0]?.line).not.toBe(seen[1][0]?.line);
        // Computed for the first call from each site only.
        expect(computedByCache).toEqual([1, 1, 0, 0, 0, 0]);
        expect(computations[0].count).toBe(6);
        // Each caller gets its own array: a cache hit is a copy.
        const [first, second] = [byCache, byCache].map((f) => site(f));
        first.pop();
        expect(second).toHaveLength(first.length + 1);
    });

    test("installs once, and not at all when the SDK's computation is asked for", () => {
        jest.isolateModules(() => {
            const { Resource } = require("@pulumi/pulumi/resource") as { Resource: ResourceStatics };
            const { cacheSdkResourceStacks, resourceStacksUncached } =
                require("../program/sdkStacks") as typeof import("../program/sdkStacks");
            const sdk = Resource.stackTrace;
            expect(resourceStacksUncached({ FHIR_PLATFORM_SDK_RESOURCE_STACKS: "1" })).toBe(true);
            expect(resourceStacksUncached({})).toBe(false);
            expect(cacheSdkResourceStacks({ FHIR_PLATFORM_SDK_RESOURCE_STACKS: "1" })).toBe(false);
            expect(Resource.stackTrace).toBe(sdk);
            expect(cacheSdkResourceStacks({})).toBe(true);
            const cached = Resource.stackTrace;
            expect(cached).not.toBe(sdk);
            expect(cacheSdkResourceStacks({})).toBe(true);
            expect(Resource.stackTrace).toBe(cached);
        });
    });
});
