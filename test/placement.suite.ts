/**
 * Quota-aware, stable placement (issue 7): packing, stability with the lock, quota validation naming the workspace or
 * subscription, pins against the lock, quota overrides, a 250-account platform, and two subscriptions through the
 * real program (each account's resources registered through its own subscription's provider).
 */
import { type PlacementLock, type PlacementResult, parsePlacementLock, placeAccounts, validateConfig } from "../config";
import { canonical, generatedRawConfig, summarize } from "../tools/placementReport";
import { type Captured, SUB_A, SUB_B, SUB_C, T, accountNames, capture, inputs, pid, rawConfig, shuffled } from "./helpers/stack";
import { expectWarnings, notYetLocked } from "./helpers/warnings";

expectWarnings(notYetLocked("multi"));

const shared = (names: string[], overrides: Record<string, unknown> = {}) =>
    validateConfig(
        rawConfig(
            names.map((name) => ({ name })),
            { placement: "shared", ...overrides },
        ),
    );
const where = (r: PlacementResult) => Object.fromEntries(r.placements.map((p) => [p.account, `${p.subscription}/${p.workspaceGroup}`]));
/** Accounts of `before` whose place differs in `after`. */
const moved = (before: PlacementResult, after: PlacementResult) => {
    const b = where(before);
    return Object.entries(where(after))
        .filter(([a, w]) => b[a] !== undefined && b[a] !== w)
        .map(([a]) => a);
};
const workspacesOf = (r: PlacementResult) => new Set(r.placements.map((p) => p.workspaceGroup));

/** Three subscriptions at Azure's default quotas (10 FHIR services each). */
const THREE_SUBS = {
    subscriptions: [
        { name: "main", subscriptionId: SUB_A },
        { name: "second", subscriptionId: SUB_B },
        { name: "third", subscriptionId: SUB_C },
    ],
};

// "Supported FHIR features", Service limits: "By default, each subscription is limited to a maximum of 10 FHIR services".
describe("Azure's default quota: 10 FHIR services per subscription", () => {
    test("25 accounts, shared, one subscription at default quotas: refused, naming the 15 that do not fit and both ways out", () => {
        const r = placeAccounts(shared(accountNames(25)));
        expect(r.problems).toEqual([
            {
                path: "subscriptions",
                account: accountNames(25).slice(10).join(", "),
                message: expect.stringMatching(
                    /^15 accounts do not fit: every subscription is full \('main' 10\/10 FHIR services, 1\/10 workspaces\)\. Azure's default quota is 10 FHIR services per subscription \(Microsoft Learn, "Supported FHIR features", Service limits\)\. Either add a subscription to subscriptions .*, or, where Microsoft granted a quota increase for a subscription, declare it there: fhirServices: <granted>$/,
                ),
            },
        ]);
        expect(r.placements).toHaveLength(10);
    });

    test("with three subscriptions the same 25 are placed 10/10/5, one workspace each", () => {
        const r = placeAccounts(shared(accountNames(25), THREE_SUBS));
        expect(r.problems).toEqual([]);
        const per = (sub: string) => r.placements.filter((p) => p.subscription === sub);
        expect([per("main").length, per("second").length, per("third").length]).toEqual([10, 10, 5]);
        expect(new Set(per("main").map((p) => p.workspaceGroup))).toEqual(new Set(["pool01"]));
        expect(new Set(per("second").map((p) => p.workspaceGroup))).toEqual(new Set(["pool02"]));
        expect(new Set(per("third").map((p) => p.workspaceGroup))).toEqual(new Set(["pool03"]));
    });

    test("a declared (granted) quota raises the limit: 25 in one subscription", () => {
        const r = placeAccounts(shared(accountNames(25), { subscriptions: [{ name: "main", subscriptionId: SUB_A, fhirServices: 25 }] }));
        expect(r.problems).toEqual([]);
        expect(new Set(r.placements.map((p) => p.subscription))).toEqual(new Set(["main"]));
    });

    test("a lock written under the old 100 assumption is refused with the way out; locked accounts are not moved", () => {
        const lock: PlacementLock = {
            version: 1,
            accounts: Object.fromEntries(
                accountNames(12).map((a, i) => [a, { subscription: "main", workspace: i < 10 ? "pool01" : "pool02" }]),
            ),
        };
        const r = placeAccounts(shared(accountNames(12), THREE_SUBS), lock);
        expect(r.placements.every((p) => p.subscription === "main")).toBe(true);
        expect(r.problems).toEqual([
            {
                path: "subscriptions",
                message: expect.stringMatching(
                    /^subscription 'main' would hold 12 FHIR services; its quota is 10; declare the quota Microsoft granted this subscription/,
                ),
            },
        ]);
    });
});

describe("packing (shared)", () => {
    const names = accountNames(25);
    const first = placeAccounts(shared(names, THREE_SUBS));

    test("25 accounts yield 3 workspaces of 10, 10 and 5", () => {
        expect(first.problems).toEqual([]);
        expect([...workspacesOf(first)].sort()).toEqual(["pool01", "pool02", "pool03"]);
        const sizes = [...workspacesOf(first)].sort().map((w) => first.placements.filter((p) => p.workspaceGroup === w).length);
        expect(sizes).toEqual([10, 10, 5]);
        expect(first.placements.every((p) => !p.dedicated)).toBe(true);
        expect(first.newlyPlaced).toHaveLength(25);
    });

    test("adding a 26th account (sorting before all others) moves no other account", () => {
        const after = placeAccounts(shared(["aardvark", ...names], THREE_SUBS), first.lock);
        expect(after.problems).toEqual([]);
        expect(moved(first, after)).toEqual([]);
        expect(after.newlyPlaced).toEqual(["aardvark"]);
        expect(where(after).aardvark).toBe("third/pool03");
    });

    test("without the lock the same addition would move accounts: the lock is what makes placement stable", () => {
        expect(moved(first, placeAccounts(shared(["aardvark", ...names], THREE_SUBS)))).not.toEqual([]);
    });

    test("removing the 3rd account moves no other account, and its slot is reused by the next new one", () => {
        const without3 = names.filter((n) => n !== "acct003");
        const after = placeAccounts(shared(without3, THREE_SUBS), first.lock);
        expect(after.problems).toEqual([]);
        expect(moved(first, after)).toEqual([]);
        expect(Object.keys(after.lock.accounts)).not.toContain("acct003");
        const refill = placeAccounts(shared([...without3, "zebra"], THREE_SUBS), after.lock);
        expect(where(refill).zebra).toBe("main/pool01");
        expect(moved(first, refill)).toEqual([]);
    });

    test("reordering with or without the lock changes nothing", () => {
        for (const seed of [7, 8]) {
            const order = shuffled(names, seed);
            expect(canonical(placeAccounts(shared(order, THREE_SUBS), first.lock))).toBe(canonical(first));
            expect(canonical(placeAccounts(shared(order, THREE_SUBS)))).toBe(canonical(first));
        }
    });

    test("accounts that disagree on network access never share a workspace", () => {
        const subnet = `/subscriptions/${SUB_A}/resourceGroups/n/providers/Microsoft.Network/virtualNetworks/v/subnets/s`;
        const cfg = validateConfig(
            rawConfig(
                [
                    { name: "open1" },
                    { name: "private1", publicNetworkAccess: "Disabled", privateEndpointSubnetId: subnet },
                    { name: "open2" },
                ],
                { placement: "shared", privateDns: { virtualNetworkIds: [subnet.replace(/\/subnets\/s$/, "")] } },
            ),
        );
        const r = placeAccounts(cfg);
        expect(r.problems).toEqual([]);
        expect(where(r).open1).toBe(where(r).open2);
        expect(where(r).private1).not.toBe(where(r).open1);
    });
});

describe("quota validation", () => {
    test("11 accounts pinned to one workspace fail, naming the workspace (and the subscription's quota)", () => {
        const cfg = validateConfig(
            rawConfig(
                accountNames(11).map((name) => ({ name, workspace: "team1" })),
                { placement: "shared" },
            ),
        );
        const r = placeAccounts(cfg);
        expect(r.problems).toHaveLength(2);
        expect(r.problems[0].message).toMatch(/workspace 'team1' would hold 11 FHIR services; subscription 'main' allows 10 per workspace/);
        expect(r.problems[0].account).toBe("acct011");
        expect(r.problems[1].message).toMatch(/subscription 'main' would hold 11 FHIR services; its quota is 10/);
    });

    test("10 pinned to one workspace is fine", () => {
        expect(
            placeAccounts(
                validateConfig(
                    rawConfig(
                        accountNames(10).map((name) => ({ name, workspace: "team1" })),
                        { placement: "shared" },
                    ),
                ),
            ).problems,
        ).toEqual([]);
    });

    test("dedicated mode over 10 accounts in one subscription fails, naming the subscription", () => {
        const r = placeAccounts(validateConfig(rawConfig(accountNames(11).map((name) => ({ name })))));
        expect(r.problems).toHaveLength(1);
        expect(r.problems[0]).toEqual(expect.objectContaining({ account: "acct011", path: "subscriptions" }));
        expect(r.problems[0].message).toMatch(
            /^does not fit: every subscription is full \('main' 10\/10 FHIR services, 10\/10 workspaces\).*declare it there: fhirServices: <granted>, workspaces: <granted>$/,
        );
    });

    test("dedicated mode spills into the next subscription when there is one", () => {
        const r = placeAccounts(
            validateConfig(
                rawConfig(
                    accountNames(11).map((name) => ({ name })),
                    {
                        subscriptions: [
                            { name: "main", subscriptionId: SUB_A },
                            { name: "second", subscriptionId: SUB_B },
                        ],
                    },
                ),
            ),
        );
        expect(r.problems).toEqual([]);
        expect(where(r).acct011).toBe("second/acct011");
        expect(r.placements.every((p) => p.dedicated && p.workspaceGroup === p.account)).toBe(true);
    });

    test("an account pinned to a full subscription is refused, pointing at the pin", () => {
        const r = placeAccounts(
            shared([...accountNames(10), "pinned"], {
                ...THREE_SUBS,
                accounts: [...accountNames(10).map((name) => ({ name, subscription: "main" })), { name: "pinned", subscription: "main" }],
            }),
        );
        expect(r.problems).toEqual([
            expect.objectContaining({
                account: "pinned",
                message: expect.stringMatching(/^does not fit: the pinned subscription is full .*pin the account there, or unpin it/),
            }),
        ]);
    });

    test("shared mode with a granted quota of 100 FHIR services: the 101st fails, naming the subscription and its counts", () => {
        const r = placeAccounts(shared(accountNames(101), { subscriptions: [{ name: "main", subscriptionId: SUB_A, fhirServices: 100 }] }));
        expect(r.problems).toHaveLength(1);
        expect(r.problems[0].message).toMatch(/'main' 100\/100 FHIR services, 10\/10 workspaces/);
    });

    test("quota overrides per subscription: raised per-workspace limit packs 25 accounts into 2 workspaces", () => {
        const r = placeAccounts(
            shared(accountNames(25), {
                subscriptions: [{ name: "main", subscriptionId: SUB_A, fhirServicesPerWorkspace: 20, fhirServices: 25 }],
            }),
        );
        expect(r.problems).toEqual([]);
        expect(workspacesOf(r).size).toBe(2);
    });

    test("quota overrides per subscription: a lowered subscription limit sends the rest to the next subscription", () => {
        const r = placeAccounts(
            shared(accountNames(12), {
                subscriptions: [
                    { name: "main", subscriptionId: SUB_A, fhirServices: 5 },
                    { name: "second", subscriptionId: SUB_B },
                ],
            }),
        );
        expect(r.problems).toEqual([]);
        expect(r.placements.filter((p) => p.subscription === "main")).toHaveLength(5);
        expect(r.placements.filter((p) => p.subscription === "second")).toHaveLength(7);
        // A workspace never spans subscriptions.
        for (const w of workspacesOf(r))
            expect(new Set(r.placements.filter((p) => p.workspaceGroup === w).map((p) => p.subscription)).size).toBe(1);
    });

    test("a raised pinned-workspace quota admits 11 in one workspace", () => {
        const cfg = validateConfig(
            rawConfig(
                accountNames(11).map((name) => ({ name, workspace: "team1" })),
                {
                    placement: "shared",
                    subscriptions: [{ name: "main", subscriptionId: SUB_A, fhirServicesPerWorkspace: 11, fhirServices: 11 }],
                },
            ),
        );
        expect(placeAccounts(cfg).problems).toEqual([]);
    });
});

describe("the lock wins over config, loudly", () => {
    const lock: PlacementLock = { version: 1, accounts: { contoso: { subscription: "main", workspace: "pool01" } } };

    test("a workspace pin that contradicts the lock is an error, not a move", () => {
        const r = placeAccounts(validateConfig(rawConfig([{ name: "contoso", workspace: "team1" }], { placement: "shared" })), lock);
        expect(r.problems).toEqual([
            expect.objectContaining({
                account: "contoso",
                path: "workspace",
                message: expect.stringMatching(/pins workspace 'team1' but the account is deployed in 'pool01'/),
            }),
        ]);
    });

    test("a subscription pin that contradicts the lock is an error", () => {
        const cfg = validateConfig(
            rawConfig([{ name: "contoso", subscription: "second" }], {
                placement: "shared",
                subscriptions: [
                    { name: "main", subscriptionId: SUB_A },
                    { name: "second", subscriptionId: SUB_B },
                ],
            }),
        );
        const r = placeAccounts(cfg, lock);
        expect(r.problems).toEqual([
            expect.objectContaining({
                account: "contoso",
                path: "subscription",
                message: expect.stringMatching(/pins subscription 'second' but the account is deployed in 'main'/),
            }),
        ]);
    });

    test("a locked subscription that disappeared from config is an error", () => {
        const cfg = validateConfig(
            rawConfig([{ name: "contoso" }], { placement: "shared", subscriptions: [{ name: "other", subscriptionId: SUB_B }] }),
        );
        expect(placeAccounts(cfg, lock).problems[0]).toEqual(
            expect.objectContaining({ account: "contoso", message: expect.stringMatching(/'main', which is no longer in subscriptions/) }),
        );
    });

    test("switching a locked shared account to dedicated is an error", () => {
        expect(placeAccounts(validateConfig(rawConfig([{ name: "contoso" }])), lock).problems[0].message).toMatch(
            /switching modes would move it/,
        );
    });

    test("a locked dedicated account stays dedicated after the platform switches to shared", () => {
        const dedicatedLock: PlacementLock = { version: 1, accounts: { contoso: { subscription: "main", workspace: "contoso" } } };
        const r = placeAccounts(shared(["contoso", "fabrikam"]), dedicatedLock);
        expect(r.problems).toEqual([]);
        expect(r.placements).toEqual([
            expect.objectContaining({ account: "contoso", subscription: "main", workspaceGroup: "contoso", dedicated: true }),
            expect.objectContaining({ account: "fabrikam", subscription: "main", workspaceGroup: "pool01", dedicated: false }),
        ]);
    });

    test("a pin that agrees with the lock is fine", () => {
        expect(
            placeAccounts(validateConfig(rawConfig([{ name: "contoso", workspace: "pool01" }], { placement: "shared" })), lock).problems,
        ).toEqual([]);
    });
});

describe("250 generated accounts over 25 subscriptions at Azure's default quotas", () => {
    const raw = generatedRawConfig(250, 25);
    const cfg = validateConfig(raw);
    const first = placeAccounts(cfg);

    test("placement is within every quota", () => {
        const summary = summarize(cfg, first);
        expect(first.problems).toEqual([]);
        expect(first.placements).toHaveLength(250);
        expect(summary.withinQuotas).toBe(true);
        for (const s of summary.subscriptions) {
            expect(s.workspaces).toBeLessThanOrEqual(10);
            expect(s.fhirServices).toBeLessThanOrEqual(10);
        }
        for (const w of summary.workspaces) expect(w.members).toBeLessThanOrEqual(10);
        expect(summary.subscriptions.map((s) => s.fhirServices)).toEqual(Array(25).fill(10));
    });

    test("with a granted quota of 100 declared, 3 subscriptions hold them 100/100/50", () => {
        const granted = placeAccounts(validateConfig(generatedRawConfig(250, 3, 100)));
        expect(granted.problems).toEqual([]);
        expect(summarize(validateConfig(generatedRawConfig(250, 3, 100)), granted).subscriptions.map((s) => s.fhirServices)).toEqual([
            100, 100, 50,
        ]);
    });

    test("a shuffled order (with the lock) gives the identical placement", () => {
        for (const seed of [11, 12, 13]) {
            const order = shuffled(raw.accounts as { name: string }[], seed);
            expect(order.map((a) => a.name)).not.toEqual((raw.accounts as { name: string }[]).map((a) => a.name));
            expect(canonical(placeAccounts(validateConfig({ ...raw, accounts: order }), first.lock))).toBe(canonical(first));
        }
    });
});

describe("two subscriptions through the real program", () => {
    const subs = [
        { name: "main", subscriptionId: SUB_A, fhirServices: 2 },
        { name: "second", subscriptionId: SUB_B },
        { name: "unused", subscriptionId: SUB_C },
    ];
    const accounts = [
        { name: "contoso", grants: [{ principalId: pid(1), principalType: "Group", role: "FHIR Data Reader" }] },
        { name: "fabrikam" },
        // Overflows main (2 FHIR services) into second.
        { name: "tailspin", grants: [{ principalId: pid(2), principalType: "User", role: "FHIR Data Writer" }] },
        { name: "wingtip", subscription: "second" },
    ];
    const subIdOf: Record<string, string> = { main: SUB_A, second: SUB_B };
    let s: Captured;
    beforeAll(async () => {
        s = await capture(rawConfig(accounts, { placement: "shared", subscriptions: subs }), { stack: "multi" });
    });

    test("placement: two accounts in main, two in second, shown in outputs", () => {
        expect(s.result.outputs.placement).toEqual({
            contoso: expect.objectContaining({ subscription: "main", workspace: "pool01" }),
            fabrikam: expect.objectContaining({ subscription: "main", workspace: "pool01" }),
            tailspin: expect.objectContaining({ subscription: "second", workspace: "pool02" }),
            wingtip: expect.objectContaining({ subscription: "second", workspace: "pool02" }),
        });
        expect(s.outputs("tailspin")).toEqual(
            expect.objectContaining({ subscription: "second", subscriptionId: SUB_B, workspaceGroup: "pool02" }),
        );
    });

    test("one explicit provider per used subscription, each with its subscription ID", () => {
        const providers = s.ofType(T.provider);
        expect(providers.map((p) => [p.name, inputs(p).subscriptionId]).sort()).toEqual([
            ["azure-main", SUB_A],
            ["azure-second", SUB_B],
        ]);
    });

    test("every azure-native resource of an account is registered through its own subscription's provider", () => {
        for (const account of ["contoso", "fabrikam", "tailspin", "wingtip"]) {
            const sub = (s.result.outputs.placement as PlacementLock["accounts"])[account].subscription;
            const azure = s.ofAccount(account).filter((r) => r.custom && r.type.startsWith("azure-native:"));
            expect(azure.length).toBeGreaterThanOrEqual(8);
            for (const r of azure) expect([r.name, s.providerName(r)]).toEqual([r.name, `azure-${sub}`]);
        }
    });

    test("no azure-native custom resource relies on a default provider", () => {
        for (const r of s.resources.filter((x) => x.custom && x.type.startsWith("azure-native:")))
            expect([r.name, r.provider]).toEqual([r.name, expect.stringContaining("pulumi:providers:azure-native::azure-")]);
    });

    test("resource group, vault, key, identity, storage, FHIR service and grants live in the account's subscription", () => {
        for (const account of ["contoso", "fabrikam", "tailspin", "wingtip"]) {
            const subId = subIdOf[s.outputs(account).subscription as string];
            for (const type of [T.rg, T.identity, T.vault, T.key, T.storage, T.fhir, T.grant]) {
                const rs = s.ofAccount(account, type);
                expect(rs.length).toBeGreaterThan(0);
                for (const r of rs) expect([r.name, r.id!.startsWith(`/subscriptions/${subId}/`)]).toEqual([r.name, true]);
            }
            for (const g of s.ofAccount(account, T.grant)) {
                expect(inputs(g).roleDefinitionId).toMatch(
                    new RegExp(`^/subscriptions/${subId}/providers/Microsoft.Authorization/roleDefinitions/`),
                );
                expect(inputs(g).scope).toMatch(new RegExp(`^/subscriptions/${subId}/`));
            }
        }
    });

    test("each shared workspace and its resource group are in the subscription of its members", () => {
        const pool2 = s.ofType(T.workspace).find((w) => w.name === "pool02-workspace")!;
        expect(s.providerName(pool2)).toBe("azure-second");
        expect(pool2.id).toMatch(new RegExp(`^/subscriptions/${SUB_B}/resourceGroups/rg-fhir-multi-ws-pool02/`));
        expect(s.providerName(s.one(T.rg, "ws-pool02-rg"))).toBe("azure-second");
        expect(inputs(s.ofAccount("tailspin", T.fhir)[0]).workspaceName).toBe(inputs(pool2).workspaceName);
    });

    test("the data-plane grant of an account in the second subscription is at its own FHIR service there", () => {
        const g = s.ofAccount("tailspin", T.grant).find((x) => inputs(x).principalId === pid(2))!;
        expect(inputs(g).scope).toBe(s.ofAccount("tailspin", T.fhir)[0].id);
        expect(inputs(g).scope).toMatch(/\/workspaces\/wspool02[a-z0-9]{6}\/fhirservices\/tailspin$/);
    });
});

describe("create-only key settings are remembered by the lock", () => {
    const keyLock = (keys: { name: string; size: number; rotationDays: number }[]): PlacementLock => ({
        version: 1,
        accounts: { contoso: { subscription: "main", workspace: "contoso", keys } },
    });
    const deployed = keyLock([{ name: "fhir-cmk", size: 3072, rotationDays: 365 }]);
    const withKey = (key: Record<string, unknown>) => validateConfig(rawConfig([{ name: "contoso", ...key }]));

    test("a new account's key settings go into the lock", () => {
        expect(placeAccounts(withKey({ keySize: 2048, keyRotationDays: 90 })).lock.accounts.contoso.keys).toEqual([
            { name: "fhir-cmk", size: 2048, rotationDays: 90 },
        ]);
    });

    test("changing keySize of a deployed key is an error naming the account, the field, the lock and what to do", () => {
        const r = placeAccounts(withKey({ keySize: 2048 }), deployed, {}, "Pulumi.dev.placement.json");
        expect(r.problems).toEqual([
            {
                path: "accounts[0].keySize",
                account: "contoso",
                message: expect.stringMatching(
                    /^2048 differs from key 'fhir-cmk' as Azure created it \(3072 bits, recorded in Pulumi\.dev\.placement\.json\): Azure sets a key's size .* refuses other parameters for an existing key: 400 KeyCreationParametersDidNotMatchExistingKey.*Keep keySize: 3072, or move to a new key: set keyName to a new name \(e\.g\. fhir-cmk-2\) with keySize: 2048/,
                ),
            },
        ]);
    });

    test("changing keyRotationDays of a deployed key says how to change the policy in Key Vault and record it", () => {
        const r = placeAccounts(withKey({ keyRotationDays: 90 }), deployed, {}, "Pulumi.dev.placement.json");
        expect(r.problems.map((p) => [p.path, p.account])).toEqual([["accounts[0].keyRotationDays", "contoso"]]);
        expect(r.problems[0].message).toMatch(
            /az keyvault key rotation-policy update, docs\/keys\.md .*npm run place -- --stack dev --accept-key-settings contoso/,
        );
        const accepted = placeAccounts(withKey({ keyRotationDays: 90 }), deployed, { acceptKeySettings: ["contoso"] });
        expect(accepted.problems).toEqual([]);
        expect(accepted.lock.accounts.contoso.keys).toEqual([{ name: "fhir-cmk", size: 3072, rotationDays: 90 }]);
    });

    test("a new keyName is a new key, recorded after the old one, which is kept", () => {
        const r = placeAccounts(withKey({ keyName: "fhir-cmk-2", keySize: 2048 }), deployed);
        expect(r.problems).toEqual([]);
        expect(r.placements[0].keys).toEqual([
            { name: "fhir-cmk", size: 3072, rotationDays: 365 },
            { name: "fhir-cmk-2", size: 2048, rotationDays: 365 },
        ]);
        expect(r.placements[0].currentKey.name).toBe("fhir-cmk-2");
        // Going back to the old key makes it current again; the newer one stays (it encrypted data too), and the
        // creation order, which decides resource names, never changes.
        const back = placeAccounts(withKey({}), r.lock);
        expect(back.placements[0].keys.map((k) => k.name)).toEqual(["fhir-cmk", "fhir-cmk-2"]);
        expect(back.placements[0].currentKey).toEqual({ name: "fhir-cmk", size: 3072, rotationDays: 365 });
    });

    test("a lock written before keys were recorded is filled from the config, without a problem", () => {
        const r = placeAccounts(withKey({ keySize: 2048 }), {
            version: 1,
            accounts: { contoso: { subscription: "main", workspace: "contoso" } },
        });
        expect(r.problems).toEqual([]);
        expect(r.lock.accounts.contoso.keys).toEqual([{ name: "fhir-cmk", size: 2048, rotationDays: 365 }]);
    });

    test("a lock with malformed keys is refused, naming the file and the account", () => {
        expect(() =>
            parsePlacementLock(
                JSON.stringify({
                    version: 1,
                    accounts: { contoso: { subscription: "main", workspace: "contoso", keys: [{ name: "fhir-cmk", size: "big" }] } },
                }),
                "Pulumi.x.placement.json",
            ),
        ).toThrow(/Pulumi\.x\.placement\.json: account 'contoso' has malformed keys/);
    });

    test("a lock entry without its subscription or workspace is refused; a file that is no lock says so", () => {
        const lock = (accounts: unknown) => JSON.stringify({ version: 1, accounts });
        expect(() => parsePlacementLock(lock({ contoso: { subscription: "main" } }), "Pulumi.x.placement.json")).toThrow(
            "Pulumi.x.placement.json: account 'contoso' has a malformed entry (expected { subscription, workspace, keys? })",
        );
        for (const text of [lock(null), lock([]), JSON.stringify({ version: 2, accounts: {} }), "[]"])
            expect(() => parsePlacementLock(text, "Pulumi.x.placement.json")).toThrow(
                'Pulumi.x.placement.json: not a placement lock (expected {"version": 1, "accounts": {...}})',
            );
    });

    test("a valid lock is read as written, so `npm run place -- --check` sees any difference from the lock it would write", () => {
        const text = JSON.stringify({ accounts: { contoso: { workspace: "contoso", subscription: "main", note: "x" } }, version: 1 });
        expect(JSON.stringify(parsePlacementLock(text, "Pulumi.x.placement.json"))).toBe(text);
    });
});
