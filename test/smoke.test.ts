import { runStack } from "../harness/runStack";

test("the dev stack runs twice in one process and registers the same resources", async () => {
    const a = await runStack({ stack: "dev" });
    const b = await runStack({ stack: "dev" });
    expect(a.resources.length).toBeGreaterThan(30);
    expect(b.resources.map((r) => r.urn)).toEqual(a.resources.map((r) => r.urn));
});
