/**
 * The whole pack over whole stacks, through the offline runner: the dev stack passes with no mandatory violation; a
 * deliberately broken stack fails with the right policy names, after deployment and on a new stack's first preview
 * alike; enforcement levels and properties follow `--policy-pack-config` rules; unknown values become advisory "can't
 * run during preview" notices.
 */
import { devStack } from "./helpers/devStack";
import * as authorization from "@pulumi/azure-native/authorization";
import * as healthcareapis from "@pulumi/azure-native/healthcareapis";
import * as storage from "@pulumi/azure-native/storage";
import { BUILT_IN_ROLES } from "../azure/facts";
import { type CapturedResource, runUnderMocks } from "../harness/mockRun";
import {
    PolicyConfigError,
    type PolicyReport,
    type PolicyRunOptions,
    UNKNOWN_AT_PREVIEW,
    resolvePolicyConfig,
    runPolicyPack,
    stackValidationArgs,
} from "../harness/policyRunner";
import { policies } from "../policies/policies";
import { isStackPolicy } from "../policies/rules/common";

type Props = Record<string, any>;
let dev: CapturedResource[];
beforeAll(async () => {
    dev = (await devStack()).resources;
});

const find = (resources: CapturedResource[], name: string, type: string) => resources.find((r) => r.name === name && r.type === type)!;
const mandatory = (report: PolicyReport) =>
    [...new Set(report.violations.filter((v) => v.enforcementLevel === "mandatory").map((v) => v.policyName))].sort();

/** The dev stack with a cross-account grant, a FHIR service without CMK, and weak export storage. */
function brokenDev(): CapturedResource[] {
    const resources = structuredClone(dev);
    const fabrikamKey = find(resources, "fabrikam-cmk", "azure-native:keyvault:Key");
    const grant = find(resources, "contoso-cmk-crypto-grant", "azure-native:authorization:RoleAssignment");
    (grant.inputs as Props).scope = fabrikamKey.id;
    grant.propertyDependencies.scope = [fabrikamKey.urn];
    delete (find(resources, "tailspin-fhir", "azure-native:healthcareapis:FhirService").inputs as Props).encryption;
    Object.assign(find(resources, "fabrikam-export-storage", "azure-native:storage:StorageAccount").inputs, {
        minimumTlsVersion: "TLS1_0",
        allowBlobPublicAccess: true,
        allowSharedKeyAccess: true,
    });
    return resources;
}

describe("the dev stack", () => {
    test("passes the whole pack with no mandatory violation; only contoso and fabrikam are reported public", async () => {
        const report = await runPolicyPack(dev);
        expect(report.policiesRun).toBe(policies.length);
        expect(report.resourcesChecked).toBe(dev.filter((r) => r.custom).length);
        expect(report.resourcesChecked).toBeLessThan(dev.length); // components and the stack root are not resource-checked
        expect(mandatory(report)).toEqual([]);
        expect(report.violations.map((v) => [v.policyName, v.enforcementLevel, v.resourceName])).toEqual([
            ["fhir-public-network-access", "advisory", "contoso-fhir"],
            ["fhir-public-network-access", "advisory", "fabrikam-fhir"],
        ]);
        expect(report.violations[0].remediation).toMatch(/privateEndpointSubnetId/);
    });
});

type Edit = (inputs: Props, r: CapturedResource) => void;
/** `resources` with the named custom resources edited in place (the caller passes a copy). */
function edit(resources: CapturedResource[], edits: Record<string, Edit>): CapturedResource[] {
    for (const r of resources) if (r.custom && edits[r.name]) edits[r.name](r.inputs as Props, r);
    return resources;
}
/** `resources` without the named resources. */
const without =
    (...names: string[]) =>
    (resources: CapturedResource[]) =>
        resources.filter((r) => !names.includes(r.name));
/** The program's way of pointing `prop` at a resource's ID: the value, and the property's dependency on it. */
const pointAt =
    (prop: string, target: () => CapturedResource): Edit =>
    (inputs, r) => {
        inputs[prop] = target().id;
        r.propertyDependencies[prop] = [target().urn];
    };
const ofDev = (name: string, type: string) => () => find(dev, name, type);

/**
 * Stacks broken the way a program would break them (values and dependencies together), each with the mandatory
 * violations it must give, as [policy, resource], in report order: the same after deployment and on a first preview.
 */
const BREAKAGES: {
    what: string;
    break: (resources: CapturedResource[]) => CapturedResource[];
    expected: [string, string | undefined][];
}[] = [
    {
        what: "contoso's FHIR service without its crypto grant",
        break: without("contoso-cmk-crypto-grant"),
        expected: [["fhir-identity-holds-crypto-role", "contoso-fhir"]],
    },
    {
        what: "contoso's audit diagnostics missing (FHIR service, vault, blob service)",
        break: without("contoso-fhir-audit", "contoso-vault-audit", "contoso-export-blob-audit"),
        expected: [
            ["fhir-audit-diagnostics", "contoso-fhir"],
            ["keyvault-audit-diagnostics", "contoso-vault"],
            ["storage-blob-diagnostics", "contoso-export-storage"],
        ],
    },
    {
        what: "contoso's blob service (soft delete) missing, with its audit setting",
        break: without("contoso-export-blob-service", "contoso-export-blob-audit"),
        expected: [
            ["storage-blob-diagnostics", "contoso-export-storage"],
            ["storage-soft-delete", "contoso-export-storage"],
        ],
    },
    {
        what: "tailspin's private endpoint without its DNS zone group",
        break: without("tailspin-workspace-pe-dns"),
        expected: [["private-endpoint-dns-zone-group", "tailspin-workspace-pe"]],
    },
    {
        what: "a FHIR data role granted on the workspace",
        break: (rs) =>
            edit(rs, {
                "tailspin-fhir-data-reader-55555555-5555-4555-8555-555555555555": pointAt(
                    "scope",
                    ofDev("tailspin-workspace", "azure-native:healthcareapis:Workspace"),
                ),
            }),
        expected: [["rbac-fhir-roles-at-fhir-scope", "tailspin-fhir-data-reader-55555555-5555-4555-8555-555555555555"]],
    },
    {
        what: "the crypto grant on the resource group instead of the key",
        break: (rs) =>
            edit(rs, { "contoso-cmk-crypto-grant": pointAt("scope", ofDev("contoso-rg", "azure-native:resources:ResourceGroup")) }),
        expected: [
            ["fhir-identity-holds-crypto-role", "contoso-fhir"],
            ["rbac-data-roles-at-resource-scope", "contoso-cmk-crypto-grant"],
        ],
    },
    {
        what: "Owner for contoso's identity on its key",
        break: (rs) =>
            edit(rs, {
                "contoso-cmk-crypto-grant": (p) => (p.roleDefinitionId = p.roleDefinitionId.replace(/[^/]+$/, BUILT_IN_ROLES.Owner)),
            }),
        expected: [
            ["fhir-identity-holds-crypto-role", "contoso-fhir"],
            ["rbac-no-privileged-roles", "contoso-cmk-crypto-grant"],
        ],
    },
    {
        what: "fabrikam's FHIR service runs as contoso's identity and exports to contoso's storage",
        break: (rs) =>
            edit(rs, {
                "fabrikam-fhir": (p, r) => {
                    const identity = find(dev, "contoso-identity", "azure-native:managedidentity:UserAssignedIdentity");
                    const storage = find(dev, "contoso-export-storage", "azure-native:storage:StorageAccount");
                    p.identity.userAssignedIdentities = [identity.id];
                    r.propertyDependencies.identity = [identity.urn];
                    p.exportConfiguration.storageAccountName = (storage.inputs as Props).accountName;
                    r.propertyDependencies.exportConfiguration = [storage.urn];
                },
            }),
        expected: [
            ["account-isolation", "fabrikam-fhir"],
            ["account-isolation", "fabrikam-fhir"],
            ["fhir-identity-holds-crypto-role", "fabrikam-fhir"],
        ],
    },
    {
        what: "a CMK key name too long for the FHIR service (80 characters)",
        break: (rs) => edit(rs, { "contoso-cmk": (p) => (p.keyName = "k".repeat(80)) }),
        expected: [["cmk-key-name-length", "contoso-cmk"]],
    },
];

/** How the runner shows a stack: as after deployment (every value known), and as on a new stack's first preview. */
const MODES: [string, PolicyRunOptions][] = [
    ["after deployment", {}],
    ["on a first preview (IDs, principal IDs, key URIs and generated names unknown)", { firstPreview: true }],
];
/** "can't run during preview" notices: a policy that met an unknown value and decided nothing. */
const cantRun = (report: PolicyReport) =>
    report.violations.filter((v) => v.message.startsWith("can't run policy")).map((v) => v.policyName);

describe.each(MODES)("a deliberately broken stack, %s", (_mode, options) => {
    test("fails with the policies for the cross-account grant, the missing CMK and the weak storage", async () => {
        const report = await runPolicyPack(brokenDev(), {}, policies, options);
        expect(cantRun(report)).toEqual([]);
        expect(mandatory(report)).toEqual([
            "account-isolation",
            "fhir-cmk-encryption",
            "fhir-identity-holds-crypto-role",
            "storage-minimum-tls",
            "storage-no-public-blob-access",
            "storage-no-shared-key",
        ]);
        const byPolicy = (name: string) => report.violations.filter((v) => v.policyName === name);
        expect(byPolicy("account-isolation").map((v) => v.resourceName)).toEqual(["contoso-cmk-crypto-grant"]);
        expect(byPolicy("fhir-identity-holds-crypto-role").map((v) => v.resourceName)).toEqual(["contoso-fhir"]);
        expect(byPolicy("fhir-cmk-encryption").map((v) => v.resourceName)).toEqual(["tailspin-fhir"]);
        expect(byPolicy("storage-minimum-tls")[0]).toMatchObject({
            resourceName: "fabrikam-export-storage",
            resourceType: "azure-native:storage:StorageAccount",
        });
    });

    test("raw azure-native resources registered under mocks: retired API for FHIR, an Owner grant, untagged weak storage", async () => {
        const { resources } = await runUnderMocks(
            () => {
                new healthcareapis.Service("legacy", {
                    resourceGroupName: "rg-legacy",
                    kind: "fhir-R4",
                    location: "westeurope",
                    tags: { "fhir-platform:scope": "legacy" },
                });
                new authorization.RoleAssignment("owner", {
                    scope: "/subscriptions/00000000-0000-4000-8000-00000000d001",
                    principalId: "66666666-6666-4666-8666-666666666666",
                    roleDefinitionId:
                        "/subscriptions/00000000-0000-4000-8000-00000000d001/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
                    description: "[fhir-platform account=contoso] break glass",
                });
                // What a seed CMK template grants: Key Vault Crypto Officer on the whole resource group.
                new authorization.RoleAssignment("seed-crypto-officer", {
                    scope: "/subscriptions/00000000-0000-4000-8000-00000000d001/resourceGroups/rg-legacy",
                    principalId: "77777777-7777-4777-8777-777777777777",
                    roleDefinitionId:
                        "/subscriptions/00000000-0000-4000-8000-00000000d001/providers/Microsoft.Authorization/roleDefinitions/14b46e9e-c2b7-41b4-b07b-48a6ebf60603",
                    description: "[fhir-platform account=contoso] key administration",
                });
                new storage.StorageAccount("loose", {
                    resourceGroupName: "rg-legacy",
                    accountName: "stloose",
                    kind: "StorageV2",
                    sku: { name: "Standard_LRS" },
                });
                return {};
            },
            { stack: "broken", config: {} },
        );
        const report = await runPolicyPack(resources, {}, policies, options);
        expect(cantRun(report)).toEqual([]);
        expect(mandatory(report)).toEqual([
            "no-azure-api-for-fhir",
            "rbac-no-privileged-roles",
            "resources-tagged",
            "storage-blob-diagnostics",
            "storage-cmk-encryption",
            "storage-https-only",
            "storage-infrastructure-encryption",
            "storage-lifecycle-delete",
            "storage-minimum-tls",
            "storage-network-restricted",
            "storage-no-cross-tenant-replication",
            "storage-no-public-blob-access",
            "storage-no-shared-key",
            "storage-soft-delete",
        ]);
        expect(
            report.violations
                .filter((v) => v.policyName === "rbac-no-privileged-roles")
                .map((v) => [v.resourceName, v.message.replace(/ \(.*$/, "")]),
        ).toEqual([
            ["owner", "grants Owner at /subscriptions/00000000-0000-4000-8000-00000000d001"],
            ["seed-crypto-officer", "grants Key Vault Crypto Officer at a resourceGroup scope"],
        ]);
        expect(report.violations.filter((v) => v.policyName === "resources-tagged").map((v) => v.resourceName)).toEqual(["loose"]);
        expect(report.violations.filter((v) => v.policyName === "stateful-resources-protected").map((v) => v.enforcementLevel)).toEqual([
            "advisory",
        ]);
    });

    test.each(BREAKAGES.map((b) => [b.what, b] as const))("%s", async (_what, b) => {
        const report = await runPolicyPack(b.break(structuredClone(dev)), {}, policies, options);
        expect(cantRun(report)).toEqual([]);
        const found = report.violations.filter((v) => v.enforcementLevel === "mandatory").map((v) => [v.policyName, v.resourceName]);
        expect(found).toEqual(b.expected);
    });
});

describe("enforcement config (as --policy-pack-config)", () => {
    test('"all": "advisory" demotes every violation; a policy entry overrides "all"', async () => {
        const demoted = await runPolicyPack(brokenDev(), { all: "advisory" });
        expect(mandatory(demoted)).toEqual([]);
        expect(demoted.violations.length).toBeGreaterThan(6);
        const mixed = await runPolicyPack(brokenDev(), { all: { enforcementLevel: "advisory" }, "fhir-cmk-encryption": "mandatory" });
        expect(mandatory(mixed)).toEqual(["fhir-cmk-encryption"]);
    });

    test("deny public FHIR services: the public-network policy made mandatory fails the dev stack", async () => {
        const report = await runPolicyPack(dev, { "fhir-public-network-access": { enforcementLevel: "mandatory" } });
        expect(mandatory(report)).toEqual(["fhir-public-network-access"]);
        const exempt = await runPolicyPack(dev, {
            "fhir-public-network-access": { enforcementLevel: "mandatory", exemptAccounts: ["contoso", "fabrikam"] },
        });
        expect(exempt.violations).toEqual([]);
    });

    test("opt-in rules: required tags and HSM keys fail the dev stack once an organisation configures them", async () => {
        const report = await runPolicyPack(dev, {
            "required-tags": { requiredTags: ["dataClassification"] },
            "keyvault-hsm-keys": { requireHsmKeys: true },
        });
        expect(mandatory(report)).toEqual(["keyvault-hsm-keys", "required-tags"]);
        const of = (name: string) => report.violations.filter((v) => v.policyName === name);
        expect(
            of("keyvault-hsm-keys")
                .map((v) => v.resourceName)
                .sort(),
        ).toEqual(["contoso-cmk", "contoso-vault", "fabrikam-cmk", "fabrikam-vault", "tailspin-cmk", "tailspin-vault"]);
        // Every Azure resource that can carry tags, and nothing else (no grant, setting, blob service, zone group, table,
        // lifecycle policy, container or replication policy).
        const untaggable = [
            "RoleAssignment",
            "DiagnosticSetting",
            "SubscriptionDiagnosticSetting",
            "BlobServiceProperties",
            "PrivateDnsZoneGroup",
            "Table",
            "ManagementPolicy",
            "BlobContainer",
            "ObjectReplicationPolicy",
        ];
        const taggable = dev.filter((r) => r.custom && r.type.startsWith("azure-native:") && !untaggable.includes(r.type.split(":")[2]));
        expect(
            of("required-tags")
                .map((v) => v.resourceUrn)
                .sort(),
        ).toEqual(taggable.map((r) => r.urn).sort());
    });

    test("disabled policies do not run", async () => {
        const report = await runPolicyPack(brokenDev(), { all: "disabled", "storage-minimum-tls": "mandatory" });
        expect(report.policiesRun).toBe(1);
        expect(report.violations.map((v) => v.policyName)).toEqual(["storage-minimum-tls"]);
        const none = await runPolicyPack(brokenDev(), { "account-isolation": "disabled" });
        expect(none.violations.some((v) => v.policyName === "account-isolation")).toBe(false);
    });

    test("schema defaults apply; bad config is refused as the CLI would", () => {
        expect(resolvePolicyConfig({}).get("keyvault-soft-delete")).toEqual({
            enforcementLevel: "mandatory",
            properties: { minimumRetentionDays: 7 },
        });
        expect(
            resolvePolicyConfig({ "keyvault-soft-delete": { minimumRetentionDays: 30 } }).get("keyvault-soft-delete")!.properties,
        ).toEqual({ minimumRetentionDays: 30 });
        expect(() => resolvePolicyConfig({ "no-such-policy": "mandatory" })).toThrow(PolicyConfigError);
        expect(() => resolvePolicyConfig({ all: "strict" })).toThrow(/enforcement level must be one of/);
        expect(() => resolvePolicyConfig({ "keyvault-soft-delete": { minimumRetentionDays: 120 } })).toThrow(/must be <= 90/);
        expect(() => resolvePolicyConfig({ "fhir-public-network-access": { exemptAccounts: "contoso" } })).toThrow(/expected array/);
    });
});

describe("runner behaviour", () => {
    test("a check touching a value unknown at preview becomes an advisory notice, as in the analyzer", async () => {
        const resources = structuredClone(dev);
        const account = find(resources, "contoso-export-storage", "azure-native:storage:StorageAccount");
        (account.inputs as Props).minimumTlsVersion = UNKNOWN_AT_PREVIEW;
        expect(UNKNOWN_AT_PREVIEW).toBe("04da6b54-80e4-46f7-96ec-b56ff0331ba9"); // the engine's unknown-string sentinel
        const report = await runPolicyPack(resources);
        const notices = report.violations.filter((v) => v.resourceName === "contoso-export-storage");
        expect(notices.map((v) => [v.policyName, v.enforcementLevel])).toEqual([["storage-minimum-tls", "advisory"]]);
        expect(notices[0].message).toBe(
            "can't run policy 'storage-minimum-tls' during preview: string value at .minimumTlsVersion can't be known during preview",
        );
        expect(mandatory(report)).toEqual([]);
    });

    test("the report is sorted by policy, then URN, whatever the resource order", async () => {
        const a = await runPolicyPack(brokenDev());
        const b = await runPolicyPack([...brokenDev()].reverse());
        expect(b.violations).toEqual(a.violations);
        const keys = a.violations.map((v) => `${v.policyName}\u0000${v.resourceUrn ?? ""}`);
        expect(keys).toEqual([...keys].sort((x, y) => x.localeCompare(y)));
    });

    test("policies never mutate the captured resources", async () => {
        const before = JSON.stringify(dev);
        await runPolicyPack(dev);
        expect(JSON.stringify(dev)).toBe(before);
    });

    test("stack policies leave the resources they are given as they found them (the runner shares one set among them)", async () => {
        const resources = stackValidationArgs(dev).resources;
        const snapshot = () =>
            JSON.stringify(
                resources.map((r) => [
                    r.urn,
                    r.props,
                    r.parent?.urn,
                    r.dependencies.map((d) => d.urn),
                    Object.entries(r.propertyDependencies).map(([k, v]) => [k, v.map((d) => d.urn)]),
                ]),
            );
        const before = snapshot();
        const stackPolicies = policies.filter(isStackPolicy);
        expect(stackPolicies.length).toBeGreaterThan(3);
        for (const p of stackPolicies) {
            await p.validateStack(
                {
                    ...stackValidationArgs([]),
                    resources,
                    getConfig: <T extends object>() => resolvePolicyConfig().get(p.name)!.properties as T,
                },
                () => undefined,
            );
        }
        expect(snapshot()).toBe(before);
    });
});
