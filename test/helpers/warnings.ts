/**
 * Warnings a suite provokes on purpose. Under mocks `pulumi.log.warn` prints with `console.warn` (jest adds a code
 * frame to each), so the program's expected warnings (an account not yet in the placement lock, a setting a reviewer
 * must notice) cluttered the test output. `expectWarnings(...)` in a suite takes the warnings matching one of its
 * patterns off the console and fails the suite when a pattern never matched (the warning is asserted, not hidden);
 * every other `console.warn` still reaches the console.
 */
export function expectWarnings(...expected: RegExp[]): { seen: string[] } {
    const seen: string[] = [];
    let spy: jest.SpyInstance | undefined;
    beforeAll(() => {
        const original = console.warn.bind(console);
        spy = jest.spyOn(console, "warn").mockImplementation((...args: unknown[]) => {
            const text = args.map(String).join(" ");
            if (expected.some((re) => re.test(text))) seen.push(text);
            else original(...args);
        });
    });
    afterAll(() => {
        spy?.mockRestore();
        const missing = expected.filter((re) => !seen.some((t) => re.test(t)));
        if (missing.length > 0) throw new Error(`expected warnings never came: ${missing.join(", ")}; seen: ${JSON.stringify(seen)}`);
    });
    return { seen };
}

/** The program's warning for accounts placed by this run, not yet recorded in the stack's placement lock. */
export function notYetLocked(stack: string): RegExp {
    return new RegExp(`placement of .+ is not in Pulumi\\.${stack.replace(/[.*+?^${}()|[\]\\-]/g, "\\$&")}\\.placement\\.json yet`);
}
