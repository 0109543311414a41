/**
 * The mock harness, and the dev stack as it captures it. The dev stack's URNs and Azure names are pinned in a
 * snapshot: a change that renames a Pulumi resource (a new URN: the engine would delete and recreate it, or refuse
 * because it is protected) or an Azure resource must update it on purpose (`npx jest test/mockRun.suite.ts -u`), and
 * say in its commit why, with aliases where a URN moves. Mock-generated parts of names (random suffixes) read
 * "(known after deploy)".
 */
import { devStack } from "./helpers/devStack";
import { engineUrn, maskValue, type MockRunResult, mockState, SECRET_MASK } from "../harness/mockRun";
import { buildPlan } from "../harness/plan";
import { runStack } from "../harness/runStack";

/** One mock run of the dev stack, shared by the tests that only read it. */
let dev: MockRunResult;
beforeAll(async () => {
    dev = await devStack();
});

test("dev stack: every URN and the Azure name of every cloud resource", () => {
    const plan = buildPlan("dev", dev.resources);
    const lines = plan.groups.flatMap((g) => g.resources.map((r) => `${r.urn}${r.azureName ? `  "${r.azureName}"` : ""}`)).sort();
    expect(lines).toMatchSnapshot();
});

test("the dev stack runs twice in one process and registers the same resources", async () => {
    const again = await runStack({ stack: "dev" });
    expect(dev.resources.length).toBeGreaterThan(30);
    expect(again.resources.map((r) => r.urn)).toEqual(dev.resources.map((r) => r.urn));
});

describe("mock harness", () => {
    test("URNs chain every ancestor type except the stack's, as the engine does", () => {
        const stackUrn = engineUrn("dev", "p", undefined, "pulumi:pulumi:Stack", "p-dev");
        expect(stackUrn).toBe("urn:pulumi:dev::p::pulumi:pulumi:Stack::p-dev");
        const platform = engineUrn("dev", "p", stackUrn, "x:index:Platform", "root");
        expect(platform).toBe("urn:pulumi:dev::p::x:index:Platform::root");
        const account = engineUrn("dev", "p", platform, "x:index:Account", "a");
        expect(engineUrn("dev", "p", account, "azure-native:keyvault:Vault", "a-vault")).toBe(
            "urn:pulumi:dev::p::x:index:Platform$x:index:Account$azure-native:keyvault:Vault::a-vault",
        );
    });

    test("secrets and dynamic provider code are masked, nothing else", () => {
        const secret = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: "hunter2" };
        expect(maskValue({ a: 1, b: [secret, "x"], __provider: "code", c: { d: secret } })).toEqual({
            a: 1,
            b: [SECRET_MASK, "x"],
            __provider: "[dynamic provider code]",
            c: { d: SECRET_MASK },
        });
    });

    test("captured resources carry parent, provider, dependencies and protect from the engine request", () => {
        const { resources } = dev;
        const vault = resources.find((r) => r.type === "azure-native:keyvault:Vault" && r.name === "contoso-vault")!;
        expect(vault.urn).toBe(
            "urn:pulumi:dev::fhir-platform::fhir-platform:index:FhirPlatform$fhir-platform:index:FhirAccount$fhir-platform:index:CustomerManagedKey$azure-native:keyvault:Vault::contoso-vault",
        );
        expect(vault.protect).toBe(true);
        expect(resources.find((r) => r.urn === vault.parent)?.type).toBe("fhir-platform:index:CustomerManagedKey");
        expect(vault.provider).toMatch(/pulumi:providers:azure-native::azure-dev::/);
        const rg = resources.find((r) => r.name === "contoso-rg")!;
        expect(vault.dependencies).toContain(rg.urn);
        expect(vault.propertyDependencies.resourceGroupName).toEqual([rg.urn]);
    });
});

describe("stack outputs a verifier and an operator need", () => {
    test("each account exports its key vault ID and network mode; custom resources carry mock outputs", () => {
        const { resources, outputs } = dev;
        const accounts = (outputs as { accounts: Record<string, { keyVaultId: string; publicNetworkAccess: string; keyUri: string }> })
            .accounts;
        const vault = resources.find((r) => r.name === "tailspin-vault")!;
        expect(accounts.tailspin.keyVaultId).toBe(vault.id);
        expect(accounts.tailspin.publicNetworkAccess).toBe("Disabled");
        expect(accounts.contoso.publicNetworkAccess).toBe("Enabled");
        const key = resources.find((r) => r.type === "azure-native:keyvault:Key" && r.name === "contoso-cmk")!;
        expect(key.outputs.keyUriWithVersion).toBe(accounts.contoso.keyUri);
    });
});

describe("mock state of object replication policies (also the engine fake's outputs)", () => {
    const SUB = "00000000-0000-4000-8000-00000000d001";
    const base = { resourceGroupName: "rg", sourceAccount: "/s", destinationAccount: "/d" };

    test("the destination (created as 'default') gets a policy ID and rule IDs; the source keeps what it was given", () => {
        const dest = mockState(
            "azure-native:storage:ObjectReplicationPolicy",
            "dest",
            {
                ...base,
                accountName: "srcopy",
                objectReplicationPolicyId: "default",
                rules: [{ sourceContainer: "recovery", destinationContainer: "recovery" }],
            },
            SUB,
        );
        expect(dest.state.policyId).toMatch(/^[0-9a-f-]{36}$/);
        expect(dest.state.rules).toEqual([
            { sourceContainer: "recovery", destinationContainer: "recovery", ruleId: expect.stringMatching(/^[0-9a-f-]{36}$/) },
        ]);
        const rules = dest.state.rules as { ruleId: string }[];
        const source = mockState(
            "azure-native:storage:ObjectReplicationPolicy",
            "source",
            {
                ...base,
                accountName: "stsource",
                objectReplicationPolicyId: dest.state.policyId,
                rules,
            },
            SUB,
        );
        expect([source.state.policyId, source.state.rules]).toEqual([dest.state.policyId, rules]);
    });

    // Under the engine's preview the source's rules come from the destination's outputs: a placeholder, not a list
    // (the dev stack's preview failed with "(inputs.rules ?? []).map is not a function").
    test("rules not known yet (a preview placeholder) are passed through, not mapped", () => {
        const placeholder = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
        const source = mockState(
            "azure-native:storage:ObjectReplicationPolicy",
            "source",
            {
                ...base,
                accountName: "stsource",
                objectReplicationPolicyId: placeholder,
                rules: placeholder,
            },
            SUB,
        );
        expect(source.state.rules).toBe(placeholder);
    });
});
