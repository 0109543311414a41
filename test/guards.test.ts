/** Names the program derives must stay valid whatever the stack and account names: checked before any resource. */
import { validateConfig, ConfigValidationError } from "../config";
import { rawConfig, runCounting } from "./helpers/stack";

describe("reserved and derived names", () => {
    test("an account may not take an automatic workspace pool's name", () => {
        let error: unknown;
        try {
            validateConfig(rawConfig([{ name: "contoso" }, { name: "pool03" }], { placement: "shared" }));
        } catch (e) {
            error = e;
        }
        expect(error).toBeInstanceOf(ConfigValidationError);
        expect((error as ConfigValidationError).problems).toEqual([
            expect.objectContaining({
                account: "pool03",
                path: "accounts[1].name",
                message: expect.stringContaining("reserved for automatically created shared workspaces"),
            }),
        ]);
        // Near misses stay valid.
        expect(() => validateConfig(rawConfig([{ name: "poolside" }, { name: "pool" }]))).not.toThrow();
    });

    test("a stack name that makes a resource group name too long fails before any resource, naming the account", async () => {
        const stack = "s".repeat(80);
        const { error, registered } = await runCounting(
            rawConfig([{ name: "contoso" }, { name: "fabrikam" }], { placement: "shared" }),
            stack,
        );
        expect(error).toBeInstanceOf(ConfigValidationError);
        expect(registered).toEqual([]);
        const problems = (error as ConfigValidationError).problems;
        expect(problems.map((p) => p.account)).toEqual(expect.arrayContaining(["contoso", "fabrikam"]));
        expect(problems.every((p) => p.path === "stack name" && p.message.includes("use a shorter stack name"))).toBe(true);
        // One problem per distinct name: the shared workspace's resource group is reported once.
        expect(new Set(problems.map((p) => p.message)).size).toBe(problems.length);
    });

    test("a stack name that fits registers the stack", async () => {
        const { error, registered } = await runCounting(rawConfig([{ name: "contoso" }]), "prod-westeurope-01");
        expect(error).toBeUndefined();
        expect(registered.length).toBeGreaterThan(10);
    });
});
