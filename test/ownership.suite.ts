/**
 * One Azure resource, one owner (config/ownership.ts): the Azure identities the stack derives are exactly what the
 * program registers, no valid config of one stack derives the same identity twice (property test over generated
 * stacks), and the collisions that are possible across stacks sharing a subscription are refused with both owners and
 * the field to change named.
 */
import {
    ConfigValidationError,
    type PlatformConfig,
    type RawConfig,
    azureIdentities,
    ownershipConflicts,
    placeAccounts,
    resolveStack,
    validateConfig,
} from "../config";
import { FHIR_DATA_ROLES } from "../azure";
import type { CapturedResource } from "../harness/mockRun";
import { configMap } from "../harness/runStack";
import { configSource } from "../harness/stackFiles";
import { SUB_A, SUB_B, SUB_C, capture, pid, projectDirWith, rawConfig } from "./helpers/stack";
import { expectWarnings, notYetLocked } from "./helpers/warnings";

// The generated stacks' names vary with the seed.
expectWarnings(notYetLocked("own"), /placement of .+ is not in Pulumi\..+\.placement\.json yet/);

/** A small seeded PRNG (mulberry32): a failing case is reproducible from its seed. */
function prng(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

const LOWER = "abcdefghijklmnopqrstuvwxyz";
const DIGITS = "0123456789";
const VNET = `/subscriptions/${SUB_A}/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/vnet-hub`;
const SUBNET = `${VNET}/subnets/pe`;

/** A random stack config that should be valid: names of every allowed shape, both placements, pins, private accounts. */
function randomStack(seed: number): { stack: string; raw: RawConfig } {
    const r = prng(seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
    const word = (min: number, max: number, first: string, rest: string) =>
        pick(first.split("")) + Array.from({ length: min - 1 + Math.floor(r() * (max - min + 1)) }, () => pick(rest.split(""))).join("");
    // Stack names allow letters, digits, hyphens, underscores and periods (and upper case).
    const stack = word(1, 12, LOWER + LOWER.toUpperCase(), `${LOWER + DIGITS + "-_.".repeat(3)}ABC`);
    const shared = r() < 0.5;
    const names = new Set<string>();
    const n = 1 + Math.floor(r() * 12);
    while (names.size < n) {
        // Short alphabets make accidental likenesses (ws..., pool..., prefixes of each other) likely.
        const name = word(3, 12, "pwsa", "aolsw0123");
        if (!/^pool\d+$/.test(name) && name !== "platform") names.add(name);
    }
    const groups = ["wsa", "wsaw", "poolx", "aaa", "swa"].filter((g) => !names.has(g));
    const accounts = [...names].map((name) => {
        const a: Record<string, unknown> = { name, export: r() < 0.7, import: r() < 0.3 };
        if (r() < 0.3) Object.assign(a, { publicNetworkAccess: "Disabled", privateEndpointSubnetId: SUBNET });
        if (shared && r() < 0.4 && groups.length) a.workspace = pick(groups);
        if (r() < 0.5) a.subscription = pick(["one", "two"]);
        a.grants = Array.from({ length: Math.floor(r() * 3) }, (_, i) => ({
            principalId: pid(i + 1),
            principalType: "User",
            role: FHIR_DATA_ROLES[i],
        }));
        return a;
    });
    const quota = { workspaces: 1000, fhirServices: 10000, fhirServicesPerWorkspace: 1000 };
    return {
        stack,
        raw: rawConfig(accounts as never, {
            placement: shared ? "shared" : "dedicated",
            subscriptions: [
                { name: "one", subscriptionId: SUB_A, ...quota },
                { name: "two", subscriptionId: SUB_B, ...quota },
            ],
            privateDns: { virtualNetworkIds: [VNET] },
            ...(r() < 0.3
                ? {
                      logAnalytics: {
                          workspaceId: `/subscriptions/${SUB_A}/resourceGroups/x/providers/Microsoft.OperationalInsights/workspaces/law`,
                      },
                  }
                : {}),
        }),
    };
}

/** Config and placement of a generated stack, or undefined when the generator produced an invalid combination. */
function resolved(raw: RawConfig): { config: PlatformConfig; placements: ReturnType<typeof placeAccounts>["placements"] } | undefined {
    try {
        const config = validateConfig(raw);
        const placement = placeAccounts(config);
        return placement.problems.length ? undefined : { config, placements: placement.placements };
    } catch (e) {
        if (e instanceof ConfigValidationError) return undefined;
        throw e;
    }
}

describe("the naming scheme never derives one Azure identity twice within a stack", () => {
    test("property: 600 generated stacks (dedicated and shared, pins, private endpoints, two subscriptions): no collision", () => {
        let valid = 0;
        for (let seed = 1; seed <= 600; seed++) {
            const { stack, raw } = randomStack(seed);
            const r = resolved(raw);
            if (!r) continue;
            valid++;
            const ids = azureIdentities(stack, r.config, r.placements);
            expect({ seed, stack, conflicts: ownershipConflicts(ids) }).toEqual({ seed, stack, conflicts: [] });
        }
        // The generator must mostly produce valid stacks, or the property says little.
        expect(valid).toBeGreaterThan(400);
    });
});

/** azure-native type -> ARM type, and the scope its name is unique in (from the resource's own inputs). */
const ARM: Record<string, { type: string; name: string; scope: (i: Record<string, string>) => string }> = {
    "azure-native:resources:ResourceGroup": {
        type: "Microsoft.Resources/resourceGroups",
        name: "resourceGroupName",
        scope: () => "subscription",
    },
    "azure-native:managedidentity:UserAssignedIdentity": {
        type: "Microsoft.ManagedIdentity/userAssignedIdentities",
        name: "resourceName",
        scope: (i) => i.resourceGroupName,
    },
    "azure-native:keyvault:Vault": { type: "Microsoft.KeyVault/vaults", name: "vaultName", scope: (i) => i.resourceGroupName },
    "azure-native:keyvault:Key": {
        type: "Microsoft.KeyVault/vaults/keys",
        name: "keyName",
        scope: (i) => `${i.resourceGroupName}/${i.vaultName}`,
    },
    "azure-native:storage:StorageAccount": {
        type: "Microsoft.Storage/storageAccounts",
        name: "accountName",
        scope: (i) => i.resourceGroupName,
    },
    "azure-native:healthcareapis:Workspace": {
        type: "Microsoft.HealthcareApis/workspaces",
        name: "workspaceName",
        scope: (i) => i.resourceGroupName,
    },
    "azure-native:healthcareapis:FhirService": {
        type: "Microsoft.HealthcareApis/workspaces/fhirservices",
        name: "fhirServiceName",
        scope: (i) => `${i.resourceGroupName}/${i.workspaceName}`,
    },
    "azure-native:network:PrivateEndpoint": {
        type: "Microsoft.Network/privateEndpoints",
        name: "privateEndpointName",
        scope: (i) => i.resourceGroupName,
    },
    "azure-native:operationalinsights:Workspace": {
        type: "Microsoft.OperationalInsights/workspaces",
        name: "workspaceName",
        scope: (i) => i.resourceGroupName,
    },
    "azure-native:privatedns:PrivateZone": {
        type: "Microsoft.Network/privateDnsZones",
        name: "privateZoneName",
        scope: (i) => i.resourceGroupName,
    },
    "azure-native:privatedns:VirtualNetworkLink": {
        type: "Microsoft.Network/privateDnsZones/virtualNetworkLinks",
        name: "virtualNetworkLinkName",
        scope: (i) => `${i.resourceGroupName}/${i.privateZoneName}`,
    },
    "azure-native:authorization:RoleAssignment": {
        type: "Microsoft.Authorization/roleAssignments",
        name: "roleAssignmentName",
        scope: () => "subscription",
    },
    "azure-native:operationalinsights:Table": {
        type: "Microsoft.OperationalInsights/workspaces/tables",
        name: "tableName",
        scope: (i) => `${i.resourceGroupName}/${i.workspaceName}`,
    },
    // A subscription's diagnostic setting: its name is unique in the subscription.
    "azure-native:monitor:SubscriptionDiagnosticSetting": {
        type: "Microsoft.Insights/diagnosticSettings",
        name: "name",
        scope: () => "subscription",
    },
};
/** Named after their parent resource, with a fixed name: unique whenever the parent is. */
const CHILDREN_OF_NAMED = [
    "azure-native:monitor:DiagnosticSetting",
    "azure-native:network:PrivateDnsZoneGroup",
    "azure-native:storage:BlobServiceProperties",
    "azure-native:storage:ManagementPolicy",
    "azure-native:storage:BlobContainer",
    "azure-native:storage:ObjectReplicationPolicy",
];

function registeredIdentities(resources: CapturedResource[]): string[] {
    const subOf = new Map(
        resources.filter((r) => r.type === "pulumi:providers:azure-native").map((r) => [r.name, String(r.inputs.subscriptionId)]),
    );
    return resources
        .filter((r) => r.custom && r.type.startsWith("azure-native:") && !CHILDREN_OF_NAMED.includes(r.type))
        .map((r) => {
            const arm = ARM[r.type];
            if (!arm) throw new Error(`no Azure identity mapping for ${r.type}: add it here and to config/ownership.ts`);
            const i = r.inputs as Record<string, string>;
            return [subOf.get(r.provider!.split("::")[3]), arm.scope(i), arm.type, i[arm.name]].join("|").toLowerCase();
        })
        .sort();
}

describe("the derived identities are exactly what the program registers", () => {
    // The first generated stacks that are valid and small enough to run quickly (a few seconds each under mocks).
    const seeds = Array.from({ length: 200 }, (_, i) => i + 1)
        .filter((seed) => {
            const { raw } = randomStack(seed);
            return (raw.accounts as unknown[]).length <= 6 && resolved(raw) !== undefined;
        })
        .slice(0, 3);
    test.each(seeds.map((s) => [s]))("generated stack (seed %i)", async (seed) => {
        const { stack, raw } = randomStack(seed);
        const r = resolved(raw);
        expect(r).toBeDefined();
        const c = await capture(raw, { stack });
        const suffix = (logical: string) =>
            String(c.resources.find((x) => x.type === "random:index/randomString:RandomString" && x.name === logical)!.outputs.result);
        const derived = azureIdentities(stack, r!.config, r!.placements, (kind, name) =>
            suffix(kind === "account" ? `${name}-suffix` : `ws-${name}-suffix`),
        )
            .map((i) => [i.subscriptionId, i.scope, i.type, i.name].join("|").toLowerCase())
            .sort();
        expect(derived).toEqual(registeredIdentities(c.resources));
    });

    test("shared placement with a pinned group, a private pool, two subscriptions and a second key", async () => {
        const raw = rawConfig(
            [
                {
                    name: "contoso",
                    workspace: "team1",
                    grants: [{ principalId: pid(1), principalType: "Group", role: "FHIR Data Reader" }],
                    acr: {
                        registryIds: [
                            `/subscriptions/${SUB_B}/resourceGroups/tpl/providers/Microsoft.ContainerRegistry/registries/contosotpl`,
                        ],
                    },
                },
                { name: "fabrikam", publicNetworkAccess: "Disabled", privateEndpointSubnetId: SUBNET, subscription: "two", export: false },
                { name: "tailspin", keyName: "fhir-cmk-2", import: true },
            ],
            {
                placement: "shared",
                subscriptions: [
                    { name: "one", subscriptionId: SUB_A },
                    { name: "two", subscriptionId: SUB_B },
                ],
                privateDns: { virtualNetworkIds: [VNET] },
            },
        );
        const lock = {
            version: 1 as const,
            accounts: {
                tailspin: { subscription: "one", workspace: "pool01", keys: [{ name: "fhir-cmk", size: 3072, rotationDays: 365 }] },
            },
        };
        const c = await capture(raw, { stack: "own", lock });
        const config = validateConfig(raw);
        const { placements } = placeAccounts(config, lock);
        const suffix = (logical: string) => String(c.resources.find((x) => x.name === logical)!.outputs.result);
        const derived = azureIdentities("own", config, placements, (kind, name) =>
            suffix(kind === "account" ? `${name}-suffix` : `ws-${name}-suffix`),
        )
            .map((i) => [i.subscriptionId, i.scope, i.type, i.name].join("|").toLowerCase())
            .sort();
        expect(derived).toEqual(registeredIdentities(c.resources));
        expect(derived.filter((d) => d.includes("microsoft.keyvault/vaults/keys"))).toHaveLength(4);
    });
});

test("a recovery copy's storage and an existing workspace's tables (in a subscription the stack does not deploy into) are derived as registered", async () => {
    const raw = rawConfig([{ name: "contoso", recoveryCopy: true }, { name: "fabrikam" }], {
        recoveryCopy: { location: "northeurope" },
        logAnalytics: {
            workspaceId: `/subscriptions/${SUB_C}/resourceGroups/rg-sec/providers/Microsoft.OperationalInsights/workspaces/law-central`,
            manageTableRetention: true,
        },
    });
    const c = await capture(raw, { stack: "own" });
    const r = resolved(raw)!;
    const suffix = (logical: string) => String(c.resources.find((x) => x.name === logical)!.outputs.result);
    const derived = azureIdentities("own", r.config, r.placements, (_kind, name) => suffix(`${name}-suffix`))
        .map((i) => [i.subscriptionId, i.scope, i.type, i.name].join("|").toLowerCase())
        .sort();
    expect(derived).toEqual(registeredIdentities(c.resources));
    expect(derived.filter((d) => d.includes("|srcontoso"))).toHaveLength(1);
    expect(
        derived.filter((d) => d.startsWith(`${SUB_C}|rg-sec/law-central|microsoft.operationalinsights/workspaces/tables|`)),
    ).toHaveLength(3);
});

describe("collisions across stacks that share a subscription", () => {
    const identities = (stack: string, raw: RawConfig) => {
        const r = resolved(raw)!;
        return azureIdentities(stack, r.config, r.placements);
    };

    test("stack 'a-ws' with account 'g' and stack 'a' with workspace group 'g' both derive rg-fhir-a-ws-g", () => {
        const problems = ownershipConflicts([
            ...identities("a-ws", rawConfig([{ name: "g" + "ro" }, { name: "other" }])),
            // The Activity Log setting of the subscription is another stack's (below): this test is about resource groups.
            ...identities(
                "a",
                rawConfig([{ name: "contoso", workspace: "gro" }], {
                    placement: "shared",
                    subscriptions: [{ name: "main", subscriptionId: SUB_A, activityLog: false }],
                }),
            ),
        ]);
        expect(problems).toEqual([
            {
                path: "accounts[0].name",
                account: "gro",
                message:
                    `resource group 'rg-fhir-a-ws-gro' (subscription ${SUB_A}) would be managed by account 'gro' of stack 'a-ws' and ` +
                    `workspace group 'gro' of stack 'a': ` +
                    "two Pulumi resources for one Azure resource (settings fight on every update, deleting one deletes the other's). " +
                    "Rename one of: accounts[0].name of stack 'a-ws', accounts[0].workspace of stack 'a'",
            },
        ]);
    });

    test("stacks 'Dev' and 'dev' (resource group names are case-insensitive) share every platform name", () => {
        const problems = ownershipConflicts([
            ...identities("Dev", rawConfig([{ name: "contoso" }])),
            ...identities("dev", rawConfig([{ name: "fabrikam" }])),
        ]);
        expect(problems.map((p) => p.message.split(" would")[0])).toEqual([
            `Activity Log diagnostic setting 'fhir-platform-activity-log' (subscription ${SUB_A})`,
            `resource group 'rg-fhir-dev-platform' (subscription ${SUB_A})`,
            `Log Analytics workspace 'log-fhir-dev' in rg-fhir-dev-platform (subscription ${SUB_A})`,
            `Log Analytics table 'AzureDiagnostics' in rg-fhir-dev-platform/log-fhir-dev (subscription ${SUB_A})`,
            `Log Analytics table 'StorageBlobLogs' in rg-fhir-dev-platform/log-fhir-dev (subscription ${SUB_A})`,
            `Log Analytics table 'AzureActivity' in rg-fhir-dev-platform/log-fhir-dev (subscription ${SUB_A})`,
        ]);
        expect(problems[1].message).toContain("Rename one of: the stack name 'Dev', the stack name 'dev'");
    });

    test("stacks 'dev_1' and 'dev-1' derive the same names (underscores become hyphens)", () => {
        expect(
            ownershipConflicts([
                ...identities("dev_1", rawConfig([{ name: "contoso" }])),
                ...identities("dev-1", rawConfig([{ name: "fabrikam" }])),
            ]),
        ).toHaveLength(6);
    });

    test("the same stacks in different subscriptions do not collide", () => {
        const other = { subscriptions: [{ name: "main", subscriptionId: SUB_B }] };
        expect(
            ownershipConflicts([
                ...identities("Dev", rawConfig([{ name: "contoso" }])),
                ...identities("dev", rawConfig([{ name: "fabrikam" }], other)),
            ]),
        ).toEqual([]);
    });
});

test("within a stack, the check runs before anything is registered (a hand-edited lock listing one key twice)", () => {
    const key = { name: "fhir-cmk", size: 3072, rotationDays: 365 };
    const lock = { version: 1 as const, accounts: { contoso: { subscription: "main", workspace: "contoso", keys: [key, key] } } };
    expect(() =>
        resolveStack({
            config: configSource(configMap(rawConfig([{ name: "contoso" }]))),
            stack: "t",
            projectDir: projectDirWith("t", lock),
        }),
    ).toThrow(
        /key 'fhir-cmk' in rg-fhir-t-contoso\/kv-contoso-\{suffix of account contoso\} \(subscription 'main'\) would be managed by account 'contoso' of stack 't' and account 'contoso' of stack 't'/,
    );
});

describe("one owner for what several stacks could each claim: a subscription's Activity Log, an existing workspace's tables", () => {
    const identities = (stack: string, raw: RawConfig) => {
        const r = resolved(raw)!;
        return azureIdentities(stack, r.config, r.placements);
    };
    const LAW = `/subscriptions/${SUB_B}/resourceGroups/rg-sec/providers/Microsoft.OperationalInsights/workspaces/law-central`;
    const shards = (a: RawConfig, b: RawConfig) => ownershipConflicts([...identities("prod-eu-1", a), ...identities("prod-eu-2", b)]);

    test("two shards in one subscription both sending its Activity Log are refused, naming both fields and the way out", () => {
        const problems = shards(
            rawConfig([{ name: "contoso" }], { logAnalytics: { workspaceId: LAW } }),
            rawConfig([{ name: "fabrikam" }], { logAnalytics: { workspaceId: LAW } }),
        );
        expect(problems).toEqual([
            {
                path: "subscriptions[0].activityLog",
                message:
                    `Activity Log diagnostic setting 'fhir-platform-activity-log' (subscription ${SUB_A}) would be managed by the platform ` +
                    "of stack 'prod-eu-1' and the platform of stack 'prod-eu-2': two Pulumi resources for one Azure resource (settings " +
                    "fight on every update, deleting one deletes the other's). Leave it to one stack: set activityLog: false on one of: " +
                    "subscriptions[0].activityLog of stack 'prod-eu-1', subscriptions[0].activityLog of stack 'prod-eu-2'",
            },
        ]);
    });

    test("with activityLog: false in all but one shard, or in every shard (an existing setup), nothing collides", () => {
        const off = { logAnalytics: { workspaceId: LAW }, subscriptions: [{ name: "main", subscriptionId: SUB_A, activityLog: false }] };
        expect(
            shards(rawConfig([{ name: "contoso" }], { logAnalytics: { workspaceId: LAW } }), rawConfig([{ name: "fabrikam" }], off)),
        ).toEqual([]);
        expect(shards(rawConfig([{ name: "contoso" }], off), rawConfig([{ name: "fabrikam" }], off))).toEqual([]);
        // Off: no setting derived at all.
        expect(
            identities("x", rawConfig([{ name: "contoso" }], off)).filter((i) => i.type === "Microsoft.Insights/diagnosticSettings"),
        ).toEqual([]);
    });

    test("a subscription listed but not used by any account gets no setting; each used one gets exactly one", () => {
        const ids = identities(
            "x",
            rawConfig([{ name: "contoso", subscription: "two" }], {
                subscriptions: [
                    { name: "one", subscriptionId: SUB_A },
                    { name: "two", subscriptionId: SUB_B },
                    { name: "three", subscriptionId: SUB_C },
                ],
            }),
        ).filter((i) => i.type === "Microsoft.Insights/diagnosticSettings");
        // The first subscription hosts Log Analytics, so it is always used.
        expect(ids.map((i) => i.subscriptionId)).toEqual([SUB_A, SUB_B]);
    });

    test("two stacks managing an existing workspace's tables are refused; only one may set manageTableRetention", () => {
        const manage = { logAnalytics: { workspaceId: LAW, manageTableRetention: true } };
        const off = { subscriptions: [{ name: "main", subscriptionId: SUB_A, activityLog: false }] };
        const problems = shards(rawConfig([{ name: "contoso" }], manage), rawConfig([{ name: "fabrikam" }], { ...manage, ...off }));
        expect(problems.map((p) => [p.path, p.message.split(" would")[0]])).toEqual([
            ["logAnalytics.manageTableRetention", `Log Analytics table 'AzureDiagnostics' in rg-sec/law-central (subscription ${SUB_B})`],
            ["logAnalytics.manageTableRetention", `Log Analytics table 'StorageBlobLogs' in rg-sec/law-central (subscription ${SUB_B})`],
            ["logAnalytics.manageTableRetention", `Log Analytics table 'AzureActivity' in rg-sec/law-central (subscription ${SUB_B})`],
        ]);
        expect(problems[0].message).toContain("Leave the workspace's tables to one stack: set manageTableRetention: false on one of");
        expect(
            shards(
                rawConfig([{ name: "contoso" }], manage),
                rawConfig([{ name: "fabrikam" }], { ...off, logAnalytics: { workspaceId: LAW } }),
            ),
        ).toEqual([]);
    });
});
