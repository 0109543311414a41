/**
 * Runs before every test file. Jest raises `Error.stackTraceLimit` to 100; the Pulumi language host leaves Node's
 * default of 10. The SDK formats a stack for every promise it makes (`debuggablePromise`), and jest maps every frame
 * of it through source maps, so at 100 frames that formatting was most of a test's time (a profile of the dev stack
 * under jest: 44% in jest's `formatStackTrace`). Ten frames, as users get, still reach the failing test line.
 */
Error.stackTraceLimit = 10;
