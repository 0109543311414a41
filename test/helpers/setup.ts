/**
 * Runs before every test file. Jest raises `Error.stackTraceLimit` to 100; the Pulumi language host leaves Node's
 * default of 10. The SDK formats a stack for every promise it makes (`debuggablePromise`), and jest maps every frame
 * of it through source maps, so at 100 frames that formatting was most of a test's time (a profile of the dev stack
 * under jest: 44% in jest's `formatStackTrace`). Ten frames, as users get, still reach the failing test line.
 *
 * Then the SDK's per-promise stacks are skipped as index.ts and the mock harness skip them (program/sdkStacks.ts), also
 * for suites that set up the SDK's mocks themselves: 2.6 s of the jest workers' CPU (`debuggablePromise`, profiled
 * under `npx jest`). test/sdkStacks.test.ts checks the original behaviour in a fresh module registry.
 */
import { skipSdkPromiseStacks } from "../../program/sdkStacks";

Error.stackTraceLimit = 10;
skipSdkPromiseStacks();
