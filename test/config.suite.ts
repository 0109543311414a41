/**
 * validateConfig: defaults, every kind of bad input (each problem names the account and the field), and all problems
 * reported at once. Pure: no Pulumi runtime involved. The "nothing is registered" half lives in program.suite.ts.
 */
import {
    type ConfigProblem,
    ConfigValidationError,
    configWarnings,
    formatProblem,
    loadConfig,
    readRawConfig,
    validateConfig,
} from "../config";
import { AHDS_DEFAULT_QUOTAS } from "../azure";
import { describe as describeValue, pathText, suggest } from "../config/problems";
import { SUB_A, SUB_B, TENANT, pid, problemsOf, rawConfig } from "./helpers/stack";

const ok = (name: string, extra: Record<string, unknown> = {}) => ({ name, ...extra });
const VNET = `/subscriptions/${SUB_A}/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/vnet-hub`;
const zoneId = (zone: string) => `/subscriptions/${SUB_A}/resourceGroups/dns/providers/Microsoft.Network/privateDnsZones/${zone}`;
const SUBNET = `/subscriptions/${SUB_A}/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/v/subnets/s`;
const privateAccount = (name: string) => ok(name, { publicNetworkAccess: "Disabled", privateEndpointSubnetId: SUBNET });
const REGISTRY = (name: string) => `/subscriptions/${SUB_A}/resourceGroups/tpl/providers/Microsoft.ContainerRegistry/registries/${name}`;
const LAW = `/subscriptions/${SUB_B}/resourceGroups/rg-sec/providers/Microsoft.OperationalInsights/workspaces/law-central`;

/** The problems whose path is exactly `path` (and, when given, whose account is `account`). */
function at(problems: ConfigProblem[], path: string, account?: string): ConfigProblem[] {
    return problems.filter((p) => p.path === path && (account === undefined || p.account === account));
}

function expectOneProblem(raw: Record<string, unknown>, path: string, account: string | undefined, message: RegExp): ConfigProblem {
    const problems = problemsOf(() => validateConfig(raw));
    const hits = at(problems, path, account);
    expect({ problems, hits: hits.length }).toEqual(expect.objectContaining({ hits: 1 }));
    expect(hits[0].message).toMatch(message);
    if (account !== undefined) expect(formatProblem(hits[0])).toContain(`account '${account}'`);
    expect(formatProblem(hits[0])).toContain(`field '${path}'`);
    return hits[0];
}

describe("defaults", () => {
    const cfg = validateConfig(rawConfig([ok("contoso")]));
    const a = cfg.accounts[0];

    test("account defaults: RSA 3072, export on, import off, the retired SMART proxy off, public, no grants, no recovery copy", () => {
        expect(a).toEqual({
            name: "contoso",
            keyName: "fhir-cmk",
            keySize: 3072,
            keyRotationDays: 365,
            export: true,
            import: false,
            smartProxy: false,
            grants: [],
            publicNetworkAccess: "Enabled",
            keyVaultNetwork: "trustedServices",
            tags: {},
            initialImportMode: false,
            smartIdentityProviders: [],
            resourceVersionPolicy: "versioned",
            resourceVersionOverrides: {},
            usCoreMissingData: false,
            recoveryCopy: false,
        });
    });

    test(
        "platform defaults: dedicated placement, protection on, 600 s RBAC wait (Microsoft's 10 minutes), listed regions only, " +
            "created Log Analytics keeping audit tables 90 days interactively and 2191 days (six years) in total, exports deleted " +
            "after 30 days, no recovery copy",
        () => {
            expect(cfg.placement).toBe("dedicated");
            expect(cfg.protectStatefulResources).toBe(true);
            expect(cfg.rbacPropagationSeconds).toBe(600);
            expect(cfg.allowUnlistedLocation).toBe(false);
            expect(cfg.privateDns).toBeUndefined();
            expect([cfg.environment, cfg.deploy]).toEqual([undefined, true]);
            expect(cfg.logAnalytics).toEqual({ retentionDays: 90, totalRetentionDays: 2191 });
            expect(cfg.exportRetentionDays).toBe(30);
            expect(cfg.recoveryCopy).toBeUndefined();
            expect(cfg.tags).toEqual({});
        },
    );

    // "Supported FHIR features", Service limits: "By default, each subscription is limited to a maximum of 10 FHIR services".
    test("subscription quotas default to Azure's (10 FHIR per workspace, 10 workspaces, 10 FHIR per subscription); Activity Log sent", () => {
        expect(cfg.subscriptions).toEqual([
            { name: "main", subscriptionId: SUB_A, fhirServicesPerWorkspace: 10, workspaces: 10, fhirServices: 10, activityLog: true },
        ]);
        expect(AHDS_DEFAULT_QUOTAS).toEqual({
            fhirServicesPerWorkspace: 10,
            workspacesPerSubscription: 10,
            fhirServicesPerSubscription: 10,
        });
    });

    test("explicit values are kept, GUIDs lower-cased, CORS filled in", () => {
        const c = validateConfig(
            rawConfig(
                [
                    ok("fabrikam", {
                        keySize: 2048,
                        keyRotationDays: 90,
                        export: false,
                        import: true,
                        grants: [{ principalId: pid(3).toUpperCase(), principalType: "User", role: "FHIR SMART User", description: "app" }],
                        cors: { origins: ["https://app.example.com"] },
                        publicNetworkAccess: "Disabled",
                        privateEndpointSubnetId: `/subscriptions/${SUB_A}/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/v/subnets/s`,
                        tags: { costCenter: "cc1" },
                    }),
                ],
                {
                    tenantId: TENANT.toUpperCase(),
                    placement: "shared",
                    protectStatefulResources: false,
                    rbacPropagationSeconds: 0,
                    privateDns: { virtualNetworkIds: [VNET] },
                    tags: { env: "test" },
                    logAnalytics: {
                        workspaceId: `/subscriptions/${SUB_A}/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/law`,
                        retentionDays: 30,
                        manageTableRetention: true,
                    },
                },
            ),
        );
        expect(c.tenantId).toBe(TENANT);
        expect(c).toEqual(
            expect.objectContaining({
                placement: "shared",
                protectStatefulResources: false,
                rbacPropagationSeconds: 0,
                privateDns: { virtualNetworkIds: [VNET] },
                tags: { env: "test" },
            }),
        );
        expect(c.logAnalytics.workspaceId).toMatch(/workspaces\/law$/);
        const f = c.accounts[0];
        expect(f).toEqual(
            expect.objectContaining({
                keySize: 2048,
                keyRotationDays: 90,
                export: false,
                import: true,
                publicNetworkAccess: "Disabled",
                tags: { costCenter: "cc1" },
            }),
        );
        expect(f.grants).toEqual([{ principalId: pid(3), principalType: "User", role: "FHIR SMART User", description: "app" }]);
        expect(f.cors).toEqual({
            origins: ["https://app.example.com"],
            headers: ["*"],
            methods: ["GET", "OPTIONS"],
            allowCredentials: false,
        });
    });
});

describe("each bad input gives one clear problem naming the account and the field", () => {
    test.each([
        ["Contoso", /not a valid account name/],
        ["ab", /3 to 12 lowercase letters and digits/],
        ["contoso-eu", /not a valid account name/],
        ["averyveryverylongname", /not a valid account name/],
        ["1contoso", /starting with a letter/],
    ])("bad account name %p", (name, message) => {
        expectOneProblem(rawConfig([ok(name)]), "accounts[0].name", name, message);
    });

    test("missing account name names the account by position", () => {
        expectOneProblem(rawConfig([{ keySize: 2048 } as never]), "accounts[0].name", "#0", /is required/);
    });

    test("key size 4096 is refused, with the sizes Azure accepts", () => {
        expectOneProblem(
            rawConfig([ok("contoso", { keySize: 4096 })]),
            "accounts[0].keySize",
            "contoso",
            /4096 is not a key size.*2048 or 3072/,
        );
    });

    test("key size of the wrong type", () => {
        expectOneProblem(rawConfig([ok("contoso", { keySize: "3072" })]), "accounts[0].keySize", "contoso", /must be a number/);
    });

    test("key rotation out of range", () => {
        expectOneProblem(rawConfig([ok("contoso", { keyRotationDays: 7 })]), "accounts[0].keyRotationDays", "contoso", /28 to 3650/);
    });

    test.each(["export", "import", "smartProxy"])("%s must be a boolean", (key) => {
        expectOneProblem(rawConfig([ok("contoso", { [key]: "yes" })]), `accounts[0].${key}`, "contoso", /must be a boolean/);
    });

    test("duplicate account names the second occurrence and where the first is", () => {
        expectOneProblem(
            rawConfig([ok("contoso"), ok("fabrikam"), ok("contoso")]),
            "accounts[2].name",
            "contoso",
            /duplicate account: 'contoso' is already defined at accounts\[0\]/,
        );
    });

    test("unknown role suggests the closest FHIR role and lists them all", () => {
        const p = expectOneProblem(
            rawConfig([ok("contoso", { grants: [{ principalId: pid(1), principalType: "Group", role: "FHIR Data Reeder" }] })]),
            "accounts[0].grants[0].role",
            "contoso",
            /unknown role "FHIR Data Reeder"; did you mean 'FHIR Data Reader'\?/,
        );
        expect(p.message).toContain("FHIR SMART User");
    });

    test("a privileged role is not a FHIR data-plane role", () => {
        expectOneProblem(
            rawConfig([ok("contoso", { grants: [{ principalId: pid(1), principalType: "Group", role: "Owner" }] })]),
            "accounts[0].grants[0].role",
            "contoso",
            /unknown role "Owner"/,
        );
    });

    test("unknown field typo suggests the field", () => {
        expectOneProblem(
            rawConfig([ok("contoso", { keysize: 2048 })]),
            "accounts[0].keysize",
            "contoso",
            /unknown field; did you mean 'keySize'\?/,
        );
    });

    test("unknown platform-level field", () => {
        expectOneProblem(
            rawConfig([ok("contoso")], { locaton: "westeurope" }),
            "locaton",
            undefined,
            /unknown field; did you mean 'location'\?/,
        );
    });

    test("unknown grant field", () => {
        expectOneProblem(
            rawConfig([
                ok("contoso", {
                    grants: [{ principalId: pid(1), principalType: "Group", role: "FHIR Data Reader", scope: "/subscriptions/x" }],
                }),
            ]),
            "accounts[0].grants[0].scope",
            "contoso",
            /unknown field/,
        );
    });

    test("bad principal id", () => {
        expectOneProblem(
            rawConfig([ok("contoso", { grants: [{ principalId: "alice@contoso.com", principalType: "User", role: "FHIR Data Reader" }] })]),
            "accounts[0].grants[0].principalId",
            "contoso",
            /object ID \(a GUID\).*alice@contoso\.com/,
        );
    });

    test("bad principal type, with a suggestion", () => {
        expectOneProblem(
            rawConfig([ok("contoso", { grants: [{ principalId: pid(1), principalType: "Servicprincipal", role: "FHIR Data Reader" }] })]),
            "accounts[0].grants[0].principalType",
            "contoso",
            /must be one of User, Group, ServicePrincipal.*did you mean 'ServicePrincipal'/,
        );
    });

    test("the same role granted twice to one principal", () => {
        const g = { principalId: pid(1), principalType: "Group", role: "FHIR Data Reader" };
        expectOneProblem(
            rawConfig([ok("contoso", { grants: [g, { ...g, principalId: pid(1).toUpperCase() }] })]),
            "accounts[0].grants",
            "contoso",
            /granted twice/,
        );
    });

    test("bad CORS origin (a path, plain http)", () => {
        const problems = problemsOf(() =>
            validateConfig(rawConfig([ok("contoso", { cors: { origins: ["https://app.example.com/path", "http://app.example.com"] } })])),
        );
        expect(at(problems, "accounts[0].cors.origins[0]", "contoso")[0].message).toMatch(/https origin/);
        expect(at(problems, "accounts[0].cors.origins[1]", "contoso")[0].message).toMatch(/https origin/);
        expect(problems).toHaveLength(2);
    });

    test("CORS '*' with credentials, and an unknown method", () => {
        const problems = problemsOf(() =>
            validateConfig(rawConfig([ok("contoso", { cors: { origins: ["*"], allowCredentials: true, methods: ["GET", "FETCH"] } })])),
        );
        expect(at(problems, "accounts[0].cors.origins[0]", "contoso")[0].message).toMatch(/cannot be combined with allowCredentials/);
        expect(at(problems, "accounts[0].cors.methods[1]", "contoso")[0].message).toMatch(/FETCH/);
    });

    test("CORS without origins", () => {
        expectOneProblem(
            rawConfig([ok("contoso", { cors: { methods: ["GET"] } })]),
            "accounts[0].cors.origins",
            "contoso",
            /at least one origin/,
        );
    });

    test("localhost over http is allowed for development", () => {
        expect(() => validateConfig(rawConfig([ok("contoso", { cors: { origins: ["http://localhost:3000"] } })]))).not.toThrow();
    });

    test("Disabled public network access without a subnet", () => {
        expectOneProblem(
            rawConfig([ok("tailspin", { publicNetworkAccess: "Disabled" })]),
            "accounts[0].privateEndpointSubnetId",
            "tailspin",
            /required when publicNetworkAccess is Disabled/,
        );
    });

    test("publicNetworkAccess must be Enabled or Disabled", () => {
        expectOneProblem(
            rawConfig([ok("tailspin", { publicNetworkAccess: "Off" })]),
            "accounts[0].publicNetworkAccess",
            "tailspin",
            /Enabled or Disabled/,
        );
    });

    test("a subnet that is not a subnet resource ID", () => {
        expectOneProblem(
            rawConfig([ok("tailspin", { privateEndpointSubnetId: "snet-private" })]),
            "accounts[0].privateEndpointSubnetId",
            "tailspin",
            /subnet resource ID/,
        );
    });

    test("unknown subscription, with a suggestion and the list", () => {
        expectOneProblem(
            rawConfig([ok("contoso", { subscription: "mian" })], { placement: "shared" }),
            "accounts[0].subscription",
            "contoso",
            /unknown subscription 'mian'; did you mean 'main'\?; subscriptions are: main/,
        );
    });

    test("workspace pin with dedicated placement", () => {
        expectOneProblem(
            rawConfig([ok("contoso", { workspace: "team1" })]),
            "accounts[0].workspace",
            "contoso",
            /only applies with placement: shared/,
        );
    });

    test("shared: a workspace pin that is an account's name (that account's dedicated workspace)", () => {
        expectOneProblem(
            rawConfig([ok("contoso"), ok("fabrikam", { workspace: "contoso" })], { placement: "shared" }),
            "accounts[1].workspace",
            "fabrikam",
            /'contoso' is an account name/,
        );
    });

    test("bad workspace group name", () => {
        expectOneProblem(
            rawConfig([ok("contoso", { workspace: "Team-1" })], { placement: "shared" }),
            "accounts[0].workspace",
            "contoso",
            /not a valid workspace group/,
        );
    });

    test("missing location", () => {
        const { location: _, ...raw } = rawConfig([ok("contoso")]);
        expectOneProblem(raw, "location", undefined, /is required/);
    });

    test("location given as a display name", () => {
        expectOneProblem(rawConfig([ok("contoso")], { location: "West Europe" }), "location", undefined, /region name like westeurope/);
    });

    test("missing tenant", () => {
        const { tenantId: _, ...raw } = rawConfig([ok("contoso")]);
        expectOneProblem(raw, "tenantId", undefined, /Entra tenant ID/);
    });

    test("missing subscriptions", () => {
        const { subscriptions: _, ...raw } = rawConfig([ok("contoso")]);
        expectOneProblem(raw, "subscriptions", undefined, /is required/);
    });

    test("empty subscriptions", () => {
        expectOneProblem(rawConfig([ok("contoso")], { subscriptions: [] }), "subscriptions", undefined, /non-empty list/);
    });

    test("subscription with a bad ID, a duplicate name and a duplicate ID", () => {
        const problems = problemsOf(() =>
            validateConfig(
                rawConfig([ok("contoso")], {
                    subscriptions: [
                        { name: "main", subscriptionId: SUB_A },
                        { name: "main", subscriptionId: SUB_B },
                        { name: "other", subscriptionId: SUB_A.toUpperCase() },
                        { name: "bad", subscriptionId: "not-a-guid" },
                    ],
                }),
            ),
        );
        expect(at(problems, "subscriptions[1].name")[0].message).toMatch(/appears twice/);
        expect(at(problems, "subscriptions[2].subscriptionId")[0].message).toMatch(/appears twice/);
        expect(at(problems, "subscriptions[3].subscriptionId")[0].message).toMatch(/a GUID/);
    });

    test("quota override out of range", () => {
        expectOneProblem(
            rawConfig([ok("contoso")], { subscriptions: [{ name: "main", subscriptionId: SUB_A, workspaces: 0 }] }),
            "subscriptions[0].workspaces",
            undefined,
            /whole number from 1/,
        );
    });

    test("missing accounts", () => {
        const { accounts: _, ...raw } = rawConfig([]);
        expectOneProblem(raw, "accounts", undefined, /is required/);
    });

    test("accounts not a list", () => {
        expectOneProblem(rawConfig([], { accounts: { contoso: {} } }), "accounts", undefined, /must be a list/);
    });

    test("account tag value that is not a string", () => {
        expectOneProblem(
            rawConfig([ok("contoso", { tags: { costCenter: 42 } })]),
            "accounts[0].tags.costCenter",
            "contoso",
            /tag value must be a string/,
        );
    });

    test("tag name with a forbidden character", () => {
        expectOneProblem(
            rawConfig([ok("contoso", { tags: { "cost/center": "x" } })]),
            "accounts[0].tags.cost/center",
            "contoso",
            /without < > %/,
        );
    });

    test("tag value over 256 characters", () => {
        expectOneProblem(
            rawConfig([ok("contoso", { tags: { note: "x".repeat(257) } })]),
            "accounts[0].tags.note",
            "contoso",
            /at most 256/,
        );
    });

    test("the platform's own tag names are reserved (an account cannot pose as another)", () => {
        expectOneProblem(
            rawConfig([ok("contoso", { tags: { "fhir-platform:account": "fabrikam" } })]),
            "accounts[0].tags.fhir-platform:account",
            "contoso",
            /reserved/,
        );
    });

    test("platform tags that are not a map", () => {
        expectOneProblem(rawConfig([ok("contoso")], { tags: ["env=dev"] }), "tags", undefined, /map of tag names/);
    });

    test.each([
        ["placement", "spread", /dedicated .* or shared/],
        [
            "cmkKeyUri",
            "versionless",
            /was removed: the FHIR service always gets the versioned key URI.*Delete the key 'fhir-platform:cmkKeyUri'/,
        ],
        ["keyVaultNetwork", "trustedServices", /unknown field/],
        ["environment", "Prod", /lowercase letters, digits and hyphens/],
        ["deploy", "no", /must be a boolean/],
        ["rbacPropagationSeconds", 3600, /0 to 1800/],
        ["protectStatefulResources", "no", /must be a boolean/],
        ["logAnalytics", { workspaceId: "law-1" }, /Log Analytics workspace resource ID/],
    ])("bad platform value %s", (key, value, message) => {
        const problems = problemsOf(() => validateConfig(rawConfig([ok("contoso")], { [key]: value })));
        expect(problems).toHaveLength(1);
        expect(problems[0].path.startsWith(key)).toBe(true);
        expect(problems[0].message).toMatch(message);
    });
});

describe("every problem at once", () => {
    const raw = rawConfig(
        [
            ok("contoso", { keySize: 4096, grants: [{ principalId: "nobody", principalType: "Group", role: "FHIR Data Raeder" }] }),
            ok("Fabrikam"),
            ok("tailspin", { publicNetworkAccess: "Disabled", keysize: 2048, cors: { origins: ["ftp://x"] } }),
            ok("contoso"),
            ok("wingtip", { subscription: "nowhere", workspace: "team1", tags: { n: 1 } }),
        ],
        { tenantId: "contoso.onmicrosoft.com", location: undefined },
    );
    let error: ConfigValidationError;
    beforeAll(() => {
        try {
            validateConfig(raw);
        } catch (e) {
            error = e as ConfigValidationError;
        }
    });

    test("one ConfigValidationError lists every problem, each with its account and field", () => {
        expect(error).toBeInstanceOf(ConfigValidationError);
        const seen = error.problems.map((p) => `${p.account ?? "-"} ${p.path}`);
        expect(seen).toEqual(
            expect.arrayContaining([
                "- location",
                "- tenantId",
                "- privateDns",
                "contoso accounts[0].keySize",
                "contoso accounts[0].grants[0].principalId",
                "contoso accounts[0].grants[0].role",
                "Fabrikam accounts[1].name",
                "tailspin accounts[2].privateEndpointSubnetId",
                "tailspin accounts[2].keysize",
                "tailspin accounts[2].cors.origins[0]",
                "contoso accounts[3].name",
                "wingtip accounts[4].subscription",
                "wingtip accounts[4].workspace",
                "wingtip accounts[4].tags.n",
            ]),
        );
        expect(error.problems).toHaveLength(14);
    });

    test("the message counts the problems and prints each on its own line", () => {
        expect(error.message).toMatch(/^fhir-platform config has 14 problems:\n/);
        expect(error.message.split("\n").filter((l) => l.startsWith("  - "))).toHaveLength(14);
        expect(error.message).toContain("account 'wingtip', field 'accounts[4].subscription': unknown subscription 'nowhere'");
        expect(error.name).toBe("ConfigValidationError");
    });

    // zod skips a refinement once anything below it failed: the rules that relate fields (config/rules.ts) are told to
    // run anyway, on what did parse.
    test("rules that relate fields still run when the fields around them are wrong", () => {
        const problems = problemsOf(() =>
            validateConfig(
                rawConfig(
                    [
                        ok("contoso", {
                            keySize: 4096,
                            export: false,
                            publicNetworkAccess: "Disabled",
                            grants: [
                                { principalId: "nobody", principalType: "User", role: "FHIR Data Exporter" },
                                { principalId: pid(1), principalType: "Usr", role: "FHIR Data Reader" },
                            ],
                            cors: { origins: ["*", "ftp://x"], allowCredentials: true, maxAge: -1 },
                            acr: {
                                registryIds: [REGISTRY("tpl001"), "tpl002"],
                                ociArtifacts: [{ loginServer: "tpl01.azurecr.io", imageName: 1 }],
                            },
                        }),
                        ok("contoso", { subscription: "mian", tags: { n: 1 } }),
                    ],
                    { location: "westeurope", logAnalytics: { workspaceId: LAW, retentionDays: 60, totalRetentionDays: 3000 } },
                ),
            ),
        );
        expect(problems.map((p) => `${p.account ?? "-"} ${p.path}`).sort()).toEqual(
            [
                "contoso accounts[0].keySize",
                "contoso accounts[0].grants[0].principalId",
                "contoso accounts[0].grants[0].role", // Exporter with export off: a rule
                "contoso accounts[0].grants[1].principalType",
                "contoso accounts[0].privateEndpointSubnetId", // a rule
                "contoso accounts[0].cors.origins[0]", // '*' with credentials: a rule
                "contoso accounts[0].cors.origins[1]",
                "contoso accounts[0].cors.maxAge",
                "contoso accounts[0].acr.registryIds[1]",
                "contoso accounts[0].acr.ociArtifacts[0].loginServer", // not a listed registry's: a rule
                "contoso accounts[0].acr.ociArtifacts[0].imageName",
                "contoso accounts[1].name", // duplicate: a rule
                "contoso accounts[1].subscription", // unknown subscription: a rule
                "contoso accounts[1].tags.n",
                "- privateDns", // required by a private account: a rule
                "- logAnalytics.retentionDays", // not applied to an existing workspace: a rule
                "- logAnalytics.totalRetentionDays",
                "- logAnalytics.totalRetentionDays", // set, though wrong: not applied either (a rule about the key, not its value)
            ].sort(),
        );
        expect(at(problems, "logAnalytics.totalRetentionDays").map((p) => p.message)).toEqual([
            expect.stringMatching(/^3000 days is not a total retention Azure accepts/),
            expect.stringMatching(/^is not applied to an existing workspace/),
        ]);
    });

    test("a list over its limit still has its items checked, and hides no other problem", () => {
        const registries = Array.from({ length: 21 }, (_, i) => REGISTRY(`tpl${String(i).padStart(3, "0")}`));
        const problems = problemsOf(() =>
            validateConfig(
                rawConfig([ok("contoso", { acr: { registryIds: [...registries.slice(1), "tpl000"] } }), ok("contoso")], {
                    privateDns: { virtualNetworkIds: [VNET, "vnet-2"] },
                }),
            ),
        );
        expect(problems.map((p) => p.path)).toEqual(
            expect.arrayContaining([
                "accounts[0].acr.registryIds",
                "accounts[0].acr.registryIds[20]",
                "privateDns.virtualNetworkIds",
                "privateDns.virtualNetworkIds[1]",
                "accounts[1].name",
            ]),
        );
        expect(problems).toHaveLength(5);
    });

    // A rule reads only values that parsed: 2.5 days is not also "shorter than the analytics retention", a string is not
    // also "more than a single VNet", and a malformed subnet is not also "required".
    test("a value with a problem of its own is not read by the rules that relate it to others", () => {
        expect(
            problemsOf(() =>
                validateConfig(
                    rawConfig([ok("contoso", { publicNetworkAccess: "Disabled", privateEndpointSubnetId: "snet-1" })], {
                        privateDns: { virtualNetworkIds: "vnet-hub" },
                        logAnalytics: { retentionDays: 365, totalRetentionDays: 2.5 },
                    }),
                ),
            ).map((p) => p.path),
        ).toEqual(["logAnalytics.totalRetentionDays", "privateDns.virtualNetworkIds", "accounts[0].privateEndpointSubnetId"]);
    });
});

describe("reading config from a Pulumi-like source", () => {
    test("JSON values are parsed, plain strings kept, unknown namespaces ignored", () => {
        const map: Record<string, string> = {
            location: "westeurope",
            tenantId: TENANT,
            subscriptions: JSON.stringify([{ name: "main", subscriptionId: SUB_A }]),
            rbacPropagationSeconds: "30",
            accounts: JSON.stringify([{ name: "contoso" }]),
        };
        const raw = readRawConfig({ get: (k) => map[k] });
        expect(raw.location).toBe("westeurope");
        expect(raw.rbacPropagationSeconds).toBe(30);
        const cfg = loadConfig({ get: (k) => map[k] });
        expect(cfg.rbacPropagationSeconds).toBe(30);
        expect(cfg.accounts.map((a) => a.name)).toEqual(["contoso"]);
    });
});

describe("Azure behaviour the config must respect (issue: Azure behaviour before the first deployment)", () => {
    test.each([
        ["northeurop", /not a region where Microsoft offers the AHDS FHIR service; did you mean 'northeurope'\?/],
        ["West Europe", /must be a region name like westeurope.*did you mean 'westeurope'\?/],
        ["brazilsouth", /not a region where Microsoft offers the AHDS FHIR service.*allowUnlistedLocation: true/],
    ])("location %p is refused with a suggestion", (location, message) => {
        expectOneProblem(rawConfig([ok("contoso")], { location }), "location", undefined, message);
    });

    // "Regional availability of services and features": no FHIR service in Canada East; AHDS retired in Qatar Central on
    // 31 October 2025; South Africa North offers it.
    test("canadaeast is not a FHIR region; southafricanorth is", () => {
        expectOneProblem(
            rawConfig([ok("contoso")], { location: "canadaeast" }),
            "location",
            undefined,
            /'canadaeast' is not a region where Microsoft offers the AHDS FHIR service; regions .*"Regional availability of services and features"/,
        );
        expect(validateConfig(rawConfig([ok("contoso")], { location: "southafricanorth" })).location).toBe("southafricanorth");
    });

    test("qatarcentral is refused as retired, even with allowUnlistedLocation", () => {
        for (const allowUnlistedLocation of [false, true])
            expectOneProblem(
                rawConfig([ok("contoso")], { location: "qatarcentral", allowUnlistedLocation }),
                "location",
                undefined,
                /'qatarcentral': Azure Health Data Services was retired in Qatar Central on 31 October 2025.*pick another region/,
            );
    });

    test("smartProxy: true is refused (retired 2026-09-21), pointing to SMART on FHIR (Enhanced); false is accepted", () => {
        expectOneProblem(
            rawConfig([ok("contoso", { smartProxy: true })]),
            "accounts[0].smartProxy",
            "contoso",
            /SMART on FHIR proxy was retired on 2026-09-21 .*will report errors.*use SMART on FHIR \(Enhanced\): smartIdentityProviders/,
        );
        expect(validateConfig(rawConfig([ok("contoso", { smartProxy: false })])).accounts[0].smartProxy).toBe(false);
    });

    test("exportStorageRedundancy: absent by default (ZRS where offered, else LRS, decided by the platform); ZRS refused where not offered", () => {
        expect(validateConfig(rawConfig([ok("contoso")])).exportStorageRedundancy).toBeUndefined();
        expect(
            validateConfig(rawConfig([ok("contoso")], { location: "ukwest", exportStorageRedundancy: "LRS" })).exportStorageRedundancy,
        ).toBe("LRS");
        expectOneProblem(
            rawConfig([ok("contoso")], { location: "northcentralus", exportStorageRedundancy: "ZRS" }),
            "exportStorageRedundancy",
            undefined,
            /ZRS is not offered in 'northcentralus'.*"Azure regions that support zone-redundant storage \(ZRS\)"/,
        );
        expectOneProblem(
            rawConfig([ok("contoso")], { exportStorageRedundancy: "GRS" }),
            "exportStorageRedundancy",
            undefined,
            /must be ZRS or LRS \(never geo-redundant: exports are copies of PHI\), got "GRS"/,
        );
    });

    test("acr.registryIds: at most 20 registries per FHIR service", () => {
        const reg = (i: number) =>
            `/subscriptions/${SUB_A}/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/templates${String(i).padStart(2, "0")}`;
        expect(
            validateConfig(rawConfig([ok("contoso", { acr: { registryIds: Array.from({ length: 20 }, (_, i) => reg(i)) } })])).accounts[0]
                .acr?.registryIds,
        ).toHaveLength(20);
        expectOneProblem(
            rawConfig([ok("contoso", { acr: { registryIds: Array.from({ length: 21 }, (_, i) => reg(i)) } })]),
            "accounts[0].acr.registryIds",
            "contoso",
            /lists 21 registries; a FHIR service accepts at most 20 .*"You can register up to 20 Azure Container Registry servers/,
        );
    });

    test("FHIR Data Bulk Operator can be granted", () => {
        const c = validateConfig(
            rawConfig([ok("contoso", { grants: [{ principalId: pid(1), principalType: "User", role: "FHIR Data Bulk Operator" }] })]),
        );
        expect(c.accounts[0].grants[0].role).toBe("FHIR Data Bulk Operator");
    });

    test("a region Microsoft added later is accepted only with allowUnlistedLocation: true", () => {
        expect(validateConfig(rawConfig([ok("contoso")], { location: "brazilsouth", allowUnlistedLocation: true })).location).toBe(
            "brazilsouth",
        );
    });

    test("a private account needs privateDns, naming the account, so its FHIR host resolves in the VNet", () => {
        expectOneProblem(
            rawConfig([privateAccount("tailspin")]),
            "privateDns",
            undefined,
            /required when an account is private \(tailspin\).*cannot resolve the FHIR host/,
        );
    });

    // "Configure Private Link for Azure Health Data Services": "associate only a single virtual network with the DNS zone".
    test("privateDns.virtualNetworkIds takes a single VNet", () => {
        expectOneProblem(
            rawConfig([privateAccount("tailspin")], { privateDns: { virtualNetworkIds: [VNET, `${VNET}2`] } }),
            "privateDns.virtualNetworkIds",
            undefined,
            /must list a single VNet: .*"associate only a single virtual network with the DNS zone".*give zoneIds instead/,
        );
    });

    test("privateDns takes existing zones (hub and spoke) or VNets to link created zones", () => {
        const zones = {
            workspace: zoneId("privatelink.workspace.azurehealthcareapis.com"),
            fhir: zoneId("privatelink.fhir.azurehealthcareapis.com"),
        };
        expect(validateConfig(rawConfig([privateAccount("tailspin")], { privateDns: { zoneIds: zones } })).privateDns).toEqual({
            zoneIds: zones,
        });
        expect(validateConfig(rawConfig([privateAccount("tailspin")], { privateDns: { virtualNetworkIds: [VNET] } })).privateDns).toEqual({
            virtualNetworkIds: [VNET],
        });
    });

    test.each([
        [{ zoneIds: {}, virtualNetworkIds: [VNET] }, "privateDns", /exactly one of the two/],
        [{}, "privateDns", /exactly one of the two/],
        [{ virtualNetworkIds: [] }, "privateDns.virtualNetworkIds", /must list one VNet ID/],
        [{ virtualNetworkIds: ["vnet-hub"] }, "privateDns.virtualNetworkIds[0]", /virtual network resource ID/],
        [
            {
                zoneIds: {
                    workspace: zoneId("privatelink.workspace.azurehealthcareapis.com"),
                    fhir: zoneId("privatelink.azurehealthcareapis.com"),
                },
            },
            "privateDns.zoneIds.fhir",
            /points at zone 'privatelink.azurehealthcareapis.com'.*privatelink.fhir.azurehealthcareapis.com/,
        ],
        [
            {
                zoneIds: {
                    workspace: "privatelink.workspace.azurehealthcareapis.com",
                    fhir: zoneId("privatelink.fhir.azurehealthcareapis.com"),
                },
            },
            "privateDns.zoneIds.workspace",
            /resource ID of the private DNS zone/,
        ],
    ])("bad privateDns %j", (privateDns, path, message) => {
        expectOneProblem(rawConfig([privateAccount("tailspin")], { privateDns }), path, undefined, message);
    });

    test("keyVaultNetwork is trustedServices or allNetworks, with a suggestion", () => {
        expect(validateConfig(rawConfig([ok("contoso", { keyVaultNetwork: "allNetworks" })])).accounts[0].keyVaultNetwork).toBe(
            "allNetworks",
        );
        expectOneProblem(
            rawConfig([ok("contoso", { keyVaultNetwork: "trustedservice" })]),
            "accounts[0].keyVaultNetwork",
            "contoso",
            /trustedServices, allNetworks.*did you mean 'trustedServices'/,
        );
    });

    test("keyName must be a Key Vault key name that keeps vault + key within the FHIR service's 94 characters", () => {
        expect(validateConfig(rawConfig([ok("contoso", { keyName: "fhir-cmk-2" })])).accounts[0].keyName).toBe("fhir-cmk-2");
        expectOneProblem(
            rawConfig([ok("contoso", { keyName: "fhir_cmk" })]),
            "accounts[0].keyName",
            "contoso",
            /characters Azure does not allow/,
        );
        expectOneProblem(
            rawConfig([ok("contoso", { keyName: "k".repeat(73) })]),
            "accounts[0].keyName",
            "contoso",
            /at most 72 characters.*94/,
        );
    });

    test("the account name 'platform' is reserved: it would derive the platform's resource group", () => {
        expectOneProblem(
            rawConfig([ok("platform")]),
            "accounts[0].name",
            "platform",
            /'platform' is reserved: the platform resource group is rg-fhir-<stack>-platform/,
        );
    });
});

describe("errors a person can act on (operator experience)", () => {
    const source = (values: Record<string, unknown>) => {
        const map = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
        return { get: (k: string) => map[k], keys: () => Object.keys(map) };
    };

    test("a misspelled stack-wide key is an error with a suggestion, not silently ignored", () => {
        const problems = problemsOf(() =>
            loadConfig(source({ ...rawConfig([ok("contoso")]), placment: "shared", rbacPropagationSecond: 30 })),
        );
        expect(problems).toEqual([
            { path: "placment", message: "unknown field; did you mean 'placement'?" },
            { path: "rbacPropagationSecond", message: "unknown field; did you mean 'rbacPropagationSeconds'?" },
        ]);
    });

    test("a block indented one level too far out says where it belongs", () => {
        expectOneProblem(
            rawConfig([ok("fabrikam", { cors: {}, origins: ["https://app.example.com"] })]),
            "accounts[0].origins",
            "fabrikam",
            /'origins' belongs inside 'cors': indent it under cors:/,
        );
    });

    test("an account name with capitals suggests the lower-case one", () => {
        expectOneProblem(rawConfig([ok("Contoso")]), "accounts[0].name", "Contoso", /; use 'contoso'$/);
    });

    test("an e-mail where an object ID belongs says how to find the object ID; any other non-GUID warns about client IDs", () => {
        const grant = (principalId: string) =>
            rawConfig([ok("contoso", { grants: [{ principalId, principalType: "User", role: "FHIR Data Reader" }] })]);
        expectOneProblem(
            grant("alice@contoso.com"),
            "accounts[0].grants[0].principalId",
            "contoso",
            /'alice@contoso.com' is a sign-in name, not an object ID; find the object ID with `az ad user show --id alice@contoso.com --query id -o tsv`/,
        );
        expectOneProblem(
            grant("my-app"),
            "accounts[0].grants[0].principalId",
            "contoso",
            /service principal's object ID .* not its application \(client\) ID/,
        );
    });

    test.each([
        ["FHIR Data Exporter", { export: false }, /grants FHIR Data Exporter, but export is off for this account.*set export: true/],
        ["FHIR Data Importer", {}, /grants FHIR Data Importer, but import is off for this account.*set import: true/],
    ])("a grant of %s on an account that cannot use it", (role, extra, message) => {
        expectOneProblem(
            rawConfig([ok("contoso", { ...extra, grants: [{ principalId: pid(1), principalType: "User", role }] })]),
            "accounts[0].grants[0].role",
            "contoso",
            message,
        );
    });

    test("missing required values say 'is required', never 'got undefined'", () => {
        const problems = problemsOf(() => validateConfig({ accounts: [{ grants: [{}], cors: {} }], subscriptions: [{}] }));
        expect(problems.map((p) => p.path)).toEqual(
            expect.arrayContaining([
                "location",
                "tenantId",
                "subscriptions[0].name",
                "subscriptions[0].subscriptionId",
                "accounts[0].name",
                "accounts[0].grants[0].principalId",
                "accounts[0].cors.origins",
            ]),
        );
        for (const p of problems) expect(formatProblem(p)).not.toMatch(/undefined/);
    });

    test("the error names the stack file", () => {
        expect(() => loadConfig(source({ location: "westeurope" }), "Pulumi.staging.yaml")).toThrow(
            /^Pulumi\.staging\.yaml: fhir-platform config has \d+ problems:/,
        );
    });
});

describe("FHIR service options", () => {
    const REG = (name: string, sub = SUB_A) =>
        `/subscriptions/${sub}/resourceGroups/tpl/providers/Microsoft.ContainerRegistry/registries/${name}`;

    test("defaults: versioned history, no overrides, US Core missing data off, initial import off, no SMART providers, no registry", () => {
        const a = validateConfig(rawConfig([ok("contoso")])).accounts[0];
        expect(a).toEqual(
            expect.objectContaining({
                resourceVersionPolicy: "versioned",
                resourceVersionOverrides: {},
                usCoreMissingData: false,
                initialImportMode: false,
                smartIdentityProviders: [],
            }),
        );
        expect(a.acr).toBeUndefined();
    });

    test.each([
        [
            { resourceVersionPolicy: "version-update" },
            "accounts[0].resourceVersionPolicy",
            /one of versioned, versioned-update, no-version.*did you mean 'versioned-update'/,
        ],
        [
            { resourceVersionOverrides: { patient: "versioned" } },
            "accounts[0].resourceVersionOverrides.patient",
            /FHIR resource type such as Patient/,
        ],
        [
            { resourceVersionOverrides: { Patient: "history" } },
            "accounts[0].resourceVersionOverrides.Patient",
            /one of versioned, versioned-update, no-version/,
        ],
        [{ initialImportMode: true }, "accounts[0].initialImportMode", /needs import: true/],
        [
            { smartIdentityProviders: [{ authority: "http://idp.example.com", applications: [{ clientId: pid(1), audience: "x" }] }] },
            "accounts[0].smartIdentityProviders[0].authority",
            /must be an https URL/,
        ],
        [
            { smartIdentityProviders: [{ authority: "https://idp.example.com", applications: [{ clientId: "my-app", audience: "x" }] }] },
            "accounts[0].smartIdentityProviders[0].applications[0].clientId",
            /client ID \(a GUID\)/,
        ],
        [
            { smartIdentityProviders: [{ authority: "https://idp.example.com", applications: [] }] },
            "accounts[0].smartIdentityProviders[0].applications",
            /at least one application/,
        ],
        [
            {
                smartIdentityProviders: [
                    {
                        authority: "https://idp.example.com",
                        applications: [{ clientId: pid(1), audience: "x", allowedDataActions: ["Write"] }],
                    },
                ],
            },
            "accounts[0].smartIdentityProviders[0].applications[0].allowedDataActions[0]",
            /must be one of Read/,
        ],
        [{ acr: { registryIds: ["contosotemplates.azurecr.io"] } }, "accounts[0].acr.registryIds[0]", /container registry resource ID/],
        [
            { acr: { registryIds: [REG("contosotpl")], ociArtifacts: [{ loginServer: "contosotp.azurecr.io", imageName: "x:1" }] } },
            "accounts[0].acr.ociArtifacts[0].loginServer",
            /not the login server of a registry in acr.registryIds.*did you mean 'contosotpl.azurecr.io'/,
        ],
        [
            {
                acr: {
                    registryIds: [REG("contosotpl")],
                    ociArtifacts: [{ loginServer: "contosotpl.azurecr.io", imageName: "x:1", digest: "latest" }],
                },
            },
            "accounts[0].acr.ociArtifacts[0].digest",
            /sha256:<64 hex digits>/,
        ],
    ])("bad option %j", (extra: Record<string, unknown>, path, message) => {
        expectOneProblem(
            rawConfig([ok("contoso", { import: extra.initialImportMode ? undefined : true, ...extra })]),
            path,
            "contoso",
            message,
        );
    });

    test("one account's templates registry is not another's, unless stack config declares it shared", () => {
        const accounts = [
            ok("contoso", { acr: { registryIds: [REG("tpl001")] } }),
            ok("fabrikam", { acr: { registryIds: [REG("TPL001")] } }),
        ];
        expectOneProblem(
            rawConfig(accounts),
            "accounts[1].acr.registryIds",
            "fabrikam",
            /registry TPL001 is already listed by account 'contoso'.*sharedRegistryIds/,
        );
        expect(validateConfig(rawConfig(accounts, { sharedRegistryIds: [REG("tpl001")] })).sharedRegistryIds).toEqual([REG("tpl001")]);
    });

    test("initial import mode is valid with import on, and is a warning a reviewer sees", () => {
        const cfg = validateConfig(
            rawConfig([ok("contoso", { import: true, initialImportMode: true, resourceVersionOverrides: { AuditEvent: "no-version" } })]),
        );
        expect(configWarnings(cfg).map((w) => [w.account, w.path])).toEqual([
            ["contoso", "accounts[0].initialImportMode"],
            ["contoso", "accounts[0].resourceVersionPolicy"],
        ]);
        expect(configWarnings(cfg)[0].message).toMatch(/blocks API writes/);
        expect(configWarnings(cfg)[1].message).toMatch(/no history for AuditEvent/);
    });
});

describe("audit retention, Activity Log, export lifecycle and recovery copy", () => {
    const LAW = `/subscriptions/${SUB_B}/resourceGroups/rg-sec/providers/Microsoft.OperationalInsights/workspaces/law-central`;

    // "Manage data retention in a Log Analytics workspace", Tables - Update: totalRetentionInDays "can be between 4 and
    // 730; or 1095, 1460, 1826, 2191, 2556, 2922, 3288, 3653, 4018, or 4383".
    test("total retention: 4-730 days or whole years up to 12; six years is 2191, and 2190 gets that suggestion", () => {
        for (const totalRetentionDays of [90, 730, 1095, 2191, 4383])
            expect(
                validateConfig(rawConfig([ok("contoso")], { logAnalytics: { totalRetentionDays } })).logAnalytics.totalRetentionDays,
            ).toBe(totalRetentionDays);
        expectOneProblem(
            rawConfig([ok("contoso")], { logAnalytics: { totalRetentionDays: 2190 } }),
            "logAnalytics.totalRetentionDays",
            undefined,
            /2190 days is not a total retention Azure accepts: 4 to 730 days, or whole years: 1095, 1460, 1826, 2191,.*; did you mean 2191\?/,
        );
        expectOneProblem(
            rawConfig([ok("contoso")], { logAnalytics: { totalRetentionDays: 5000 } }),
            "logAnalytics.totalRetentionDays",
            undefined,
            /^5000 days is not a total retention Azure accepts: .*Tables - Update\)$/,
        );
        expectOneProblem(
            rawConfig([ok("contoso")], { logAnalytics: { retentionDays: 365, totalRetentionDays: 180 } }),
            "logAnalytics.totalRetentionDays",
            undefined,
            /180 days is shorter than the analytics retention \(retentionDays: 365\), which it includes/,
        );
    });

    test("an existing workspace: the stack sets no retention there unless manageTableRetention is true", () => {
        const c = validateConfig(rawConfig([ok("contoso")], { logAnalytics: { workspaceId: LAW } }));
        expect(c.logAnalytics.manageTableRetention).toBeUndefined();
        for (const key of ["retentionDays", "totalRetentionDays"])
            expectOneProblem(
                rawConfig([ok("contoso")], { logAnalytics: { workspaceId: LAW, [key]: 730 } }),
                `logAnalytics.${key}`,
                undefined,
                /is not applied to an existing workspace: its retention is its owner's .*Set manageTableRetention: true/,
            );
        expect(
            validateConfig(
                rawConfig([ok("contoso")], { logAnalytics: { workspaceId: LAW, manageTableRetention: true, totalRetentionDays: 2556 } }),
            ).logAnalytics,
        ).toEqual({ workspaceId: LAW, manageTableRetention: true, retentionDays: 90, totalRetentionDays: 2556 });
        expectOneProblem(
            rawConfig([ok("contoso")], { logAnalytics: { manageTableRetention: true } }),
            "logAnalytics.manageTableRetention",
            undefined,
            /applies only with workspaceId .*the stack always sets the audit tables' retention in the workspace it creates/,
        );
    });

    test("Activity Log per subscription: a boolean, default true", () => {
        const c = validateConfig(
            rawConfig([ok("contoso")], {
                subscriptions: [
                    { name: "one", subscriptionId: SUB_A },
                    { name: "two", subscriptionId: SUB_B, activityLog: false },
                ],
            }),
        );
        expect(c.subscriptions.map((s) => s.activityLog)).toEqual([true, false]);
        expectOneProblem(
            rawConfig([ok("contoso")], { subscriptions: [{ name: "one", subscriptionId: SUB_A, activityLog: "no" }] }),
            "subscriptions[0].activityLog",
            undefined,
            /must be a boolean \(true or false\), got "no"/,
        );
    });

    test("export retention: 1 to 365 days, stack-wide (default 30) and per account", () => {
        const c = validateConfig(rawConfig([ok("contoso"), ok("fabrikam", { exportRetentionDays: 7 })], { exportRetentionDays: 60 }));
        expect([c.exportRetentionDays, c.accounts[0].exportRetentionDays, c.accounts[1].exportRetentionDays]).toEqual([60, undefined, 7]);
        expectOneProblem(
            rawConfig([ok("contoso")], { exportRetentionDays: 0 }),
            "exportRetentionDays",
            undefined,
            /whole number from 1 to 365/,
        );
        expectOneProblem(
            rawConfig([ok("contoso", { exportRetentionDays: 400 })]),
            "accounts[0].exportRetentionDays",
            "contoso",
            /whole number from 1 to 365, got 400/,
        );
    });

    test("a recovery copy is an opt-in per stack (a second region) and per account (with export on); every problem at once", () => {
        const c = validateConfig(
            rawConfig([ok("contoso", { recoveryCopy: true }), ok("fabrikam")], { recoveryCopy: { location: "northeurope" } }),
        );
        expect([c.recoveryCopy, c.accounts.map((a) => a.recoveryCopy)]).toEqual([{ location: "northeurope" }, [true, false]]);
        const problems = problemsOf(() =>
            validateConfig(
                rawConfig([ok("contoso", { recoveryCopy: true, export: false }), ok("fabrikam", { recoveryCopy: true })], {
                    recoveryCopy: { location: "westeurope" },
                }),
            ),
        );
        expect(problems.map(formatProblem)).toEqual([
            "field 'recoveryCopy.location': 'westeurope' is the stack's own location: the recovery copy goes to a second region (a " +
                "regional outage takes both otherwise)",
            "account 'contoso', field 'accounts[0].recoveryCopy': needs export: true (the copy is made of $export output)",
        ]);
        expectOneProblem(
            rawConfig([ok("contoso", { recoveryCopy: true })]),
            "accounts[0].recoveryCopy",
            "contoso",
            /needs the stack's fhir-platform:recoveryCopy: \{ location: <second region> \}/,
        );
        expectOneProblem(
            rawConfig([ok("contoso")], { recoveryCopy: { location: "North Europe" } }),
            "recoveryCopy.location",
            undefined,
            /must be a region name like northeurope, got "North Europe"/,
        );
    });
});

describe("how a problem is worded (config/problems.ts)", () => {
    test("one problem or several: the count, the plural, every problem on its own line with its account and field", () => {
        expect(new ConfigValidationError([{ path: "location", message: "required" }]).message).toBe(
            "fhir-platform config has 1 problem:\n  - field 'location': required",
        );
        const two = new ConfigValidationError(
            [
                { path: "accounts[0].keySize", account: "contoso", message: "must be 2048 or 3072" },
                { path: "location", message: "required" },
            ],
            "Pulumi.dev.yaml",
        );
        expect(two.message).toBe(
            "Pulumi.dev.yaml has 2 problems:\n  - account 'contoso', field 'accounts[0].keySize': must be 2048 or 3072\n  - field 'location': required",
        );
        expect(two.name).toBe("ConfigValidationError");
    });

    test("did you mean: the closest candidate, case-insensitively, within a third of its length (at least 2 edits)", () => {
        expect(suggest("keysize", ["location", "keySize"])).toBe("; did you mean 'keySize'?");
        expect(suggest("keySiz", ["keySize", "keySizes"])).toBe("; did you mean 'keySize'?");
        // 'placement' (9 characters) allows 3 edits, not 4; 'cors' (4) allows 2, not 3.
        expect(suggest("plcmnt", ["placement"])).toBe("; did you mean 'placement'?");
        expect(suggest("plcmn", ["placement"])).toBe("");
        expect(suggest("cox", ["cors"])).toBe("; did you mean 'cors'?");
        expect(suggest("cx", ["cors"])).toBe("");
        expect(suggest("anything", [])).toBe("");
    });

    test("a zod path as the stack file spells it; a value as the stack file wrote it", () => {
        expect(pathText(["accounts", 2, "cors", "origins", 0])).toBe("accounts[2].cors.origins[0]");
        expect(pathText([])).toBe("");
        expect(describeValue("West Europe")).toBe('"West Europe"');
        expect(describeValue({ a: [1] })).toBe('{"a":[1]}');
        expect(describeValue(undefined)).toBe("undefined");
    });
});
