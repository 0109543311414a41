/**
 * The components as a Pulumi component package (PulumiPlugin.yaml, package.json `main`): the package exports every
 * component, and enums with the Azure facts' values; a consumer who passes only the required fields gets what the platform's stacks get; and a consumer's bad
 * arguments are refused, naming the component, the account and every field, before any child resource.
 * test/engine/package.test.ts: the schema Pulumi's component analyzer makes of it (`pulumi package get-schema`: every
 * input, output and type described, the enums the Azure facts' values), and a Pulumi YAML program deploying FhirAccount.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { getPulumiComponents } from "@pulumi/pulumi/provider/experimental/provider";
import { Provider } from "@pulumi/azure-native/provider";
import * as components from "../components";
import { CMK_KEY_SIZES, EXPORT_STORAGE_REDUNDANCIES, FHIR_DATA_ROLES, FHIR_VERSION_POLICIES, PRINCIPAL_TYPES } from "../azure/facts";
import { KEY_VAULT_NETWORKS, validateConfig } from "../config";
import { type CapturedResource, runUnderMocks } from "../harness/mockRun";
import { PACKAGE_COMPONENTS } from "./helpers/package";
import { Captured, SUB_A, T, TENANT, pid, rawConfig, run } from "./helpers/stack";

const ROOT = path.resolve(__dirname, "..");
const PACKAGE = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { name: string; main: string };
const LAW = `/subscriptions/${SUB_A}/resourceGroups/rg-logs/providers/Microsoft.OperationalInsights/workspaces/law-shared`;
const SUBNET = `/subscriptions/${SUB_A}/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet/subnets/pe`;
const ZONES = {
    workspace: `/subscriptions/${SUB_A}/resourceGroups/rg-hub/providers/Microsoft.Network/privateDnsZones/privatelink.workspace.azurehealthcareapis.com`,
    fhir: `/subscriptions/${SUB_A}/resourceGroups/rg-hub/providers/Microsoft.Network/privateDnsZones/privatelink.fhir.azurehealthcareapis.com`,
};

/** Every class in components/ that extends pulumi.ComponentResource, by reading the sources. */
function componentClassesInSources(): string[] {
    const dir = path.join(ROOT, "components");
    return fs
        .readdirSync(dir)
        .filter((f) => f.endsWith(".ts"))
        .flatMap((f) => [...fs.readFileSync(path.join(dir, f), "utf8").matchAll(/export class (\w+) extends pulumi\.ComponentResource/g)])
        .map((m) => m[1])
        .sort();
}

describe("the package entry", () => {
    // What the component provider serves (`pulumi package get-schema` analyzes these: test/engine/package.test.ts).
    const exported = getPulumiComponents(components)
        .map((c) => c.name)
        .sort();

    test("package.json main exports every component in components/, and only those", () => {
        expect(PACKAGE.main).toBe("components/index.ts");
        expect(exported).toEqual(componentClassesInSources());
        expect(exported).toEqual([...PACKAGE_COMPONENTS]);
    });

    test("the enums the package exports are the Azure facts' values (and the config's), so every language offers what Azure accepts", () => {
        const values = (e: Record<string, string | number>) => Object.values(e).sort();
        expect(values(components.FhirDataRole)).toEqual([...FHIR_DATA_ROLES].sort());
        expect(values(components.PrincipalType)).toEqual([...PRINCIPAL_TYPES].sort());
        expect(values(components.FhirVersionPolicy)).toEqual([...FHIR_VERSION_POLICIES].sort());
        expect(values(components.CmkKeySize)).toEqual([...CMK_KEY_SIZES].sort());
        expect(values(components.StorageRedundancy)).toEqual([...EXPORT_STORAGE_REDUNDANCIES].sort());
        expect(values(components.KeyVaultNetwork)).toEqual([...KEY_VAULT_NETWORKS].sort());
    });

    test("every CORS method the package offers is one the stack config accepts", () => {
        for (const method of Object.values(components.CorsMethod)) {
            expect(() =>
                validateConfig(rawConfig([{ name: "contoso", cors: { origins: ["https://a.example"], methods: [method] } }])),
            ).not.toThrow();
        }
    });
});

/** A custom resource as another run can compare it: type, name, protection, inputs, and what it waits for by name. */
function shape(resources: CapturedResource[], r: CapturedResource) {
    const byUrn = new Map(resources.map((x) => [x.urn, x]));
    const name = (u: string) => byUrn.get(u)?.name ?? u;
    return {
        id: `${r.type}::${r.name}`,
        protect: r.protect,
        inputs: r.inputs,
        dependsOn: [...new Set([...r.dependencies, ...Object.values(r.propertyDependencies).flat()].map(name))].sort(),
        replacementTrigger: r.replacementTrigger,
        deleteBeforeReplace: r.deleteBeforeReplace,
    };
}

/** The custom resources under the FhirAccount named `account`, as `shape`s, sorted. */
function accountShapes(resources: CapturedResource[], account: string) {
    const c = new Captured({ resources, outputs: {} });
    return resources
        .filter((r) => r.custom && c.accountOf(r) === account)
        .map((r) => shape(resources, r))
        .sort((a, b) => a.id.localeCompare(b.id));
}

describe("a consumer's FhirAccount with only the required fields gets what the platform's stacks get", () => {
    const stack = "pkg";
    // The consumer's own azure-native provider for the subscription (the mocks make IDs from a provider's subscription).
    const consumer = (args: Partial<components.FhirAccountArgs> = {}) =>
        runUnderMocks(
            () => {
                const provider = new Provider("azure-main", { subscriptionId: SUB_A, location: "westeurope" });
                const account = new components.FhirAccount(
                    "contoso",
                    { subscriptionId: SUB_A, tenantId: TENANT, location: "westeurope", logAnalyticsWorkspaceId: LAW, ...args },
                    { protect: true, providers: [provider] },
                );
                return { fhirUrl: account.fhirUrl };
            },
            { stack, config: {} },
        );

    test("the same resources, inputs, protection and dependencies as a stack account with every default", async () => {
        const platform = await run(rawConfig([{ name: "contoso" }], { logAnalytics: { workspaceId: LAW } }), { stack });
        const mine = await consumer();
        const theirs = accountShapes(platform.resources, "contoso");
        expect(theirs.length).toBeGreaterThan(15);
        expect(accountShapes(mine.resources, "contoso")).toEqual(theirs);
        // Without the protect option nothing is protected: protection is Pulumi's resource option, not an argument.
        const unprotected = await runUnderMocks(
            () => {
                new components.FhirAccount("contoso", {
                    subscriptionId: SUB_A,
                    tenantId: TENANT,
                    location: "westeurope",
                    logAnalyticsWorkspaceId: LAW,
                });
                return {};
            },
            { stack, config: {} },
        );
        expect(unprotected.resources.filter((r) => r.protect)).toEqual([]);
    });

    test("a private dedicated workspace: the DNS zone group after the FHIR service, replaced when its members change", async () => {
        const platform = await run(
            rawConfig([{ name: "contoso", publicNetworkAccess: "Disabled", privateEndpointSubnetId: SUBNET }], {
                logAnalytics: { workspaceId: LAW },
                privateDns: { zoneIds: ZONES },
            }),
            { stack },
        );
        const mine = await consumer({ privateEndpointSubnetId: SUBNET, privateDnsZoneIds: ZONES });
        expect(accountShapes(mine.resources, "contoso")).toEqual(accountShapes(platform.resources, "contoso"));
        const group = new Captured(mine).one(T.dnsZoneGroup, "contoso-workspace-pe-dns");
        expect(shape(mine.resources, group)).toMatchObject({ replacementTrigger: "contoso", deleteBeforeReplace: true, protect: false });
        expect(shape(mine.resources, group).dependsOn).toContain("contoso-fhir");
    });
});

describe("a consumer's bad arguments", () => {
    /** Runs `build` under mocks; returns the error and what was registered before it. */
    async function refused(build: () => void): Promise<{ message: string; registered: string[] }> {
        const registered: string[] = [];
        let message = "";
        await runUnderMocks(
            () => {
                try {
                    build();
                } catch (e) {
                    message = (e as Error).message;
                }
                return {};
            },
            { stack: "bad", config: {} },
        ).then((r) => registered.push(...r.resources.filter((x) => x.type !== "pulumi:pulumi:Stack").map((x) => x.type)));
        return { message, registered };
    }

    test("FhirAccount names itself, the account and every field at fault, and registers no child", async () => {
        const { message, registered } = await refused(
            () =>
                new components.FhirAccount("Contoso", {
                    subscriptionId: SUB_A,
                    tenantId: TENANT,
                    location: "northcentralus",
                    logAnalyticsWorkspaceId: LAW,
                    keys: [{ name: "cmk", size: 4096 as components.CmkKeySize, rotationDays: 365 }],
                    currentKey: "other",
                    exportStorageRedundancy: "ZRS",
                    privateEndpointSubnetId: SUBNET,
                    grants: [{ principalId: pid(1), principalType: "User", role: "Owner" as components.FhirDataRole }],
                    rbacPropagationSeconds: 5000,
                }),
        );
        expect(message).toMatch(/^FhirAccount Contoso: /);
        for (const field of [
            "account",
            "keys[0].size",
            "currentKey",
            "rbacPropagationSeconds",
            "grants[0].role",
            "exportStorageRedundancy",
            "privateDnsZoneIds",
        ])
            expect(message).toContain(`field '${field}'`);
        expect(message).toContain("4096 is not a key size the FHIR service accepts (2048 or 3072)");
        expect(message).toContain("ZRS is not offered in northcentralus");
        expect(registered).toEqual([T.account]);
    });

    test("FhirPlatform checks every account before it registers anything but itself", async () => {
        const { message, registered } = await refused(
            () =>
                new components.FhirPlatform("p", {
                    tenantId: TENANT,
                    location: "westeurope",
                    subscriptions: [{ name: "main", subscriptionId: SUB_A }],
                    accounts: [{ name: "contoso" }, { name: "contoso", subscription: "other" }, { name: "fabrikam", recoveryCopy: true }],
                }),
        );
        expect(message).toContain("field 'accounts[1].name': account 'contoso' is listed twice");
        expect(message).toContain("field 'accounts[1].subscription': 'other' is not in subscriptions (main)");
        expect(message).toContain("field 'accounts[2].recoveryCopy': needs the platform's recoveryCopyLocation");
        expect(registered).toEqual([T.platform]);
    });

    test("a valid consumer stack passes the same checks (the refusals are not blanket)", async () => {
        const r = await runUnderMocks(
            () => {
                const p = new components.FhirPlatform("p", {
                    tenantId: TENANT,
                    location: "westeurope",
                    subscriptions: [{ name: "main", subscriptionId: SUB_A }],
                    accounts: [{ name: "contoso" }, { name: "fabrikam", workspaceGroup: "pool01" }],
                });
                return { accounts: p.accounts };
            },
            { stack: "ok", config: {} },
        );
        const accounts = r.outputs.accounts as Record<string, components.PlatformAccountOutputs>;
        expect(Object.keys(accounts).sort()).toEqual(["contoso", "fabrikam"]);
        expect(accounts.fabrikam.workspaceName).toMatch(/^wspool01/);
        expect(accounts.contoso.exportStorageAccount).toMatch(/^stcontoso/);
    });
});
