/**
 * The program as a whole: a bad config (or a bad placement) rejects with ConfigValidationError and registers no
 * resource at all; resolveStack reads the placement lock from the project directory; the lock keeps deployed
 * accounts where they are when the platform's placement mode changes; names the program derives stay valid whatever
 * the stack and account names (checked before any resource).
 */
import { ConfigValidationError, type PlacementLock, resolveStack, validateConfig } from "../config";
import { configMap } from "../harness/runStack";
import { configSource } from "../harness/stackFiles";
import { T, accountNames, capture, inputs, problemsOf, projectDirWith, rawConfig, runCounting } from "./helpers/stack";
import { expectWarnings, notYetLocked } from "./helpers/warnings";

expectWarnings(notYetLocked("t"), notYetLocked("mode"));

describe("a bad config registers nothing", () => {
    test("the counting harness does see registrations of a good config (so zero below means something)", async () => {
        const { error, registered } = await runCounting(rawConfig([{ name: "contoso" }]));
        expect(error).toBeUndefined();
        expect(registered).toEqual(
            expect.arrayContaining([`${T.platform}::fhir-platform`, `${T.account}::contoso`, `${T.fhir}::contoso-fhir`]),
        );
    });

    test.each([
        ["key size 4096", rawConfig([{ name: "contoso", keySize: 4096 }]), /account 'contoso', field 'accounts\[0\]\.keySize'/],
        [
            "unknown role",
            rawConfig([
                {
                    name: "contoso",
                    grants: [{ principalId: "11111111-1111-4111-8111-111111111111", principalType: "User", role: "FHIR Reader" }],
                },
            ]),
            /did you mean 'FHIR Data Reader'/,
        ],
        ["missing tenant", { ...rawConfig([{ name: "contoso" }]), tenantId: undefined }, /field 'tenantId'/],
        ["duplicate account", rawConfig([{ name: "contoso" }, { name: "contoso" }]), /duplicate account/],
        [
            "11 accounts, dedicated, one subscription (placement)",
            rawConfig(accountNames(11).map((name) => ({ name }))),
            /does not fit: every subscription is full.*fhirServices: <granted>/,
        ],
        [
            "11 pinned to one workspace (placement)",
            rawConfig(
                accountNames(11).map((name) => ({ name, workspace: "team1" })),
                { placement: "shared" },
            ),
            /workspace 'team1' would hold 11/,
        ],
    ])("%s: rejects with ConfigValidationError, no resource registered", async (_label, raw, message) => {
        const { error, registered } = await runCounting(raw);
        expect(error).toBeInstanceOf(ConfigValidationError);
        expect((error as ConfigValidationError).message).toMatch(message);
        expect(registered).toEqual([]);
    });

    test("all problems of a bad stack are in the one error", async () => {
        const { error, registered } = await runCounting(
            rawConfig([{ name: "Contoso" }, { name: "tailspin", publicNetworkAccess: "Disabled", keySize: 1024 }]),
        );
        expect((error as ConfigValidationError).problems.map((p) => `${p.account} ${p.path}`).sort()).toEqual([
            "Contoso accounts[0].name",
            "tailspin accounts[1].keySize",
            "tailspin accounts[1].privateEndpointSubnetId",
            "undefined privateDns",
        ]);
        expect(registered).toEqual([]);
    });
});

describe("resolveStack", () => {
    const raw = rawConfig(
        accountNames(3).map((name) => ({ name })),
        { placement: "shared" },
    );

    test("without a lock every account is newly placed", () => {
        const { placement } = resolveStack({ config: configSource(configMap(raw)), stack: "t", projectDir: projectDirWith("t") });
        expect(placement.newlyPlaced).toEqual(["acct001", "acct002", "acct003"]);
    });

    test("reads Pulumi.<stack>.placement.json from the project directory", () => {
        const lock: PlacementLock = { version: 1, accounts: { acct002: { subscription: "main", workspace: "team9" } } };
        const { placement } = resolveStack({ config: configSource(configMap(raw)), stack: "t", projectDir: projectDirWith("t", lock) });
        expect(placement.newlyPlaced).toEqual(["acct001", "acct003"]);
        expect(placement.placements.find((p) => p.account === "acct002")!.workspaceGroup).toBe("team9");
    });

    test("placement problems are a ConfigValidationError too", () => {
        const lock: PlacementLock = { version: 1, accounts: { acct001: { subscription: "gone", workspace: "pool01" } } };
        const problems = problemsOf(() =>
            resolveStack({ config: configSource(configMap(raw)), stack: "t", projectDir: projectDirWith("t", lock) }),
        );
        expect(problems[0]).toEqual(expect.objectContaining({ account: "acct001", message: expect.stringContaining("'gone'") }));
    });

    test("outputs list the accounts not yet in the lock", async () => {
        const s = await capture(raw, { stack: "t" });
        expect(s.result.outputs.unlockedAccounts).toEqual(["acct001", "acct002", "acct003"]);
        const locked = await capture(raw, {
            stack: "t",
            lock: { version: 1, accounts: s.result.outputs.placement as PlacementLock["accounts"] },
        });
        expect(locked.result.outputs.unlockedAccounts).toEqual([]);
    });
});

describe("changing the placement mode never moves a deployed account", () => {
    test("dedicated -> shared: accounts in the lock keep their own workspace; only new accounts are packed", async () => {
        const before = await capture(rawConfig([{ name: "contoso" }, { name: "fabrikam" }]), { stack: "mode" });
        const lock: PlacementLock = { version: 1, accounts: before.result.outputs.placement as PlacementLock["accounts"] };
        const after = await capture(rawConfig([{ name: "contoso" }, { name: "fabrikam" }, { name: "tailspin" }], { placement: "shared" }), {
            stack: "mode",
            lock,
        });
        for (const a of ["contoso", "fabrikam"]) {
            const f0 = inputs(before.ofAccount(a, T.fhir)[0]);
            const f1 = inputs(after.ofAccount(a, T.fhir)[0]);
            expect([a, f1.workspaceName, f1.resourceGroupName]).toEqual([a, f0.workspaceName, f0.resourceGroupName]);
            expect(after.ofAccount(a, T.fhir)[0].urn).toBe(before.ofAccount(a, T.fhir)[0].urn);
            expect(after.ofAccount(a, T.workspace).map((w) => w.urn)).toEqual(before.ofAccount(a, T.workspace).map((w) => w.urn));
        }
        // The new account joins a shared pool, not a deployed account's dedicated workspace.
        expect(after.outputs("tailspin").workspaceGroup).toBe("pool01");
        expect(
            after
                .ofType(T.workspace)
                .map((w) => w.name)
                .sort(),
        ).toEqual(["contoso-workspace", "fabrikam-workspace", "pool01-workspace"]);
    });
});

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
