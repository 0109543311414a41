/**
 * program/sdkStacks.ts: the SDK's per-promise debug stacks are skipped (the largest cost of a large preview), while
 * every other error keeps its stack, and the stacks come back when someone debugs promise leaks.
 */
import { promiseStacksWanted, skipSdkPromiseStacks } from "../program/sdkStacks";

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
