/**
 * The components as a component package under the real engine: the CLI built here extracts the package's schema from
 * the repository (PulumiPlugin.yaml, package.json `main`: Pulumi's component analyzer over the TypeScript types), and a
 * program in another language, Pulumi YAML (its language host built from the Go module pinned in engine/yaml/go.mod),
 * adds the package by path and deploys a FhirAccount with only the required fields against the fake providers, the
 * component itself constructed by the Node.js host from this repository's sources.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { type CommandResult, type StateResource, engineBinary, runCommand, usesBuiltEngine } from "../../engine/harness";
import { BIN_DIR, PULUMI_HOME, REPO_ROOT } from "../../engine/paths";
import { CMK_KEY_SIZES, EXPORT_STORAGE_REDUNDANCIES, FHIR_DATA_ROLES, FHIR_VERSION_POLICIES, PRINCIPAL_TYPES } from "../../azure/facts";
import { KEY_VAULT_NETWORKS } from "../../config";
import { PACKAGE_COMPONENTS } from "../helpers/package";
import { byUrn } from "./helpers";

const SUB = "00000000-0000-4000-8000-0000000000a1";
const TENANT = "72f988bf-0000-4000-8000-0000000000aa";
const LAW = `/subscriptions/${SUB}/resourceGroups/rg-logs/providers/Microsoft.OperationalInsights/workspaces/law-shared`;
const READER = "11111111-1111-4111-8111-111111111111";

interface SchemaProperty {
    type?: string;
    $ref?: string;
    description?: string;
    items?: SchemaProperty;
    plain?: boolean;
}
interface PackageSchema {
    name: string;
    version: string;
    resources: Record<
        string,
        {
            isComponent?: boolean;
            description?: string;
            inputProperties: Record<string, SchemaProperty>;
            requiredInputs?: string[];
            properties: Record<string, SchemaProperty>;
        }
    >;
    types: Record<
        string,
        {
            type: string;
            enum?: { name: string; value: string | number; description?: string }[];
            properties?: Record<string, SchemaProperty>;
        }
    >;
    dependencies?: unknown[];
}

let dir: string;
beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "fhir-engine-package-"));
    fs.mkdirSync(path.join(dir, "state"));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The CLI with the engine tests' environment (engine/harness.ts EngineProject), in `cwd`. */
function pulumi(args: string[], cwd: string): Promise<CommandResult> {
    const pathDirs = [...(usesBuiltEngine() ? [BIN_DIR] : []), path.join(REPO_ROOT, "node_modules", ".bin"), process.env.PATH ?? ""];
    return runCommand(engineBinary(), [...args, "--non-interactive"], {
        cwd,
        env: {
            ...process.env,
            PATH: pathDirs.join(path.delimiter),
            PULUMI_HOME,
            PULUMI_BACKEND_URL: `file://${path.join(dir, "state")}`,
            PULUMI_CONFIG_PASSPHRASE: "fhir-platform-engine-tests",
            PULUMI_SKIP_UPDATE_CHECK: "true",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
            FHIR_FAKE_ARM_DIR: path.join(dir, "arm"),
            CI: "true",
        },
        timeoutMs: 10 * 60 * 1000,
    });
}

test("pulumi package get-schema <repository>: every component, its inputs and outputs, described, with the platform's enums", async () => {
    fs.mkdirSync(path.join(dir, "schema"), { recursive: true });
    const r = await pulumi(["package", "get-schema", REPO_ROOT], path.join(dir, "schema"));
    expect({ code: r.code, output: r.code === 0 ? "" : r.output }).toEqual({ code: 0, output: "" });
    const schema = JSON.parse(r.stdout.slice(r.stdout.indexOf("{"))) as PackageSchema;
    expect([schema.name, schema.version]).toEqual(["fhir-platform", "0.1.0"]);
    // The tokens the platform's stacks already use: deployed URNs stay as they are.
    expect(Object.keys(schema.resources).sort()).toEqual(PACKAGE_COMPONENTS.map((c) => `fhir-platform:index:${c}`));
    // No child resource leaks into the schema as a reference to azure-native's (other languages get IDs and names).
    expect(schema.dependencies ?? []).toEqual([]);
    // The schema's docs in every language: every component, input, output, type property and enum value is described.
    const undescribed: string[] = [];
    for (const [token, res] of Object.entries(schema.resources)) {
        expect([token, res.isComponent, Object.keys(res.inputProperties).length > 0, Object.keys(res.properties).length > 0]).toEqual([
            token,
            true,
            true,
            true,
        ]);
        if (!res.description) undescribed.push(token);
        for (const [k, p] of [...Object.entries(res.inputProperties), ...Object.entries(res.properties)])
            if (!p.description) undescribed.push(`${token}.${k}`);
    }
    for (const [token, t] of Object.entries(schema.types)) {
        for (const [k, p] of Object.entries(t.properties ?? {})) if (!p.description) undescribed.push(`${token}.${k}`);
        for (const e of t.enum ?? []) if (!e.description) undescribed.push(`${token}.${e.name}`);
    }
    expect(undescribed).toEqual([]);
    const account = schema.resources["fhir-platform:index:FhirAccount"];
    expect([...(account.requiredInputs ?? [])].sort()).toEqual(["location", "logAnalyticsWorkspaceId", "subscriptionId", "tenantId"]);
    expect(Object.keys(account.properties)).toEqual(
        expect.arrayContaining([
            "fhirUrl",
            "fhirServiceId",
            "identityClientId",
            "identityPrincipalId",
            "keyUri",
            "keyVaultUri",
            "exportStorageAccount",
        ]),
    );
    expect(Object.keys(schema.resources["fhir-platform:index:FhirPlatform"].properties).sort()).toEqual([
        "accounts",
        "logAnalyticsWorkspaceId",
    ]);
    // Values that name or shape resources are plain; values that come from other resources take outputs.
    expect([account.inputProperties.account.plain, account.inputProperties.logAnalyticsWorkspaceId.plain]).toEqual([true, undefined]);
    expect(account.inputProperties.grants.items).toMatchObject({ $ref: "#/types/fhir-platform:index:FhirDataGrant" });
    expect(account.inputProperties.keys.items).toMatchObject({ $ref: "#/types/fhir-platform:index:CmkKey" });
    expect(account.inputProperties.keyVaultNetwork).toMatchObject({ $ref: "#/types/fhir-platform:index:KeyVaultNetwork" });
    // The enums are the Azure facts' values (and the config's), so every language offers what Azure accepts.
    const values = (name: string) => (schema.types[`fhir-platform:index:${name}`].enum ?? []).map((e) => e.value).sort();
    expect(values("FhirDataRole")).toEqual([...FHIR_DATA_ROLES].sort());
    expect(values("PrincipalType")).toEqual([...PRINCIPAL_TYPES].sort());
    expect(values("FhirVersionPolicy")).toEqual([...FHIR_VERSION_POLICIES].sort());
    expect(values("StorageRedundancy")).toEqual([...EXPORT_STORAGE_REDUNDANCIES].sort());
    expect(values("KeyVaultNetwork")).toEqual([...KEY_VAULT_NETWORKS].sort());
    expect(schema.types["fhir-platform:index:CmkKeySize"]).toMatchObject({
        type: "number",
        enum: CMK_KEY_SIZES.map((value) => ({ value })),
    });
});

test(
    "a Pulumi YAML program adds the package by path and deploys a FhirAccount with only the required fields: the platform's " +
        "secure defaults, protection from the protect option, outputs back in YAML, and a second preview with no changes",
    async () => {
        const project = path.join(dir, "yaml");
        fs.mkdirSync(project, { recursive: true });
        const program = {
            name: "fhir-yaml-consumer",
            runtime: "yaml",
            resources: {
                contoso: {
                    type: "fhir-platform:index:FhirAccount",
                    properties: {
                        subscriptionId: SUB,
                        tenantId: TENANT,
                        location: "westeurope",
                        logAnalyticsWorkspaceId: LAW,
                        grants: [{ principalId: READER, principalType: "Group", role: "FHIR Data Reader" }],
                        // The fakes grant at once; Azure's propagation wait (600 s by default) is for a real subscription.
                        rbacPropagationSeconds: 1,
                    },
                    options: { protect: true },
                },
            },
            outputs: { fhirUrl: "${contoso.fhirUrl}", keyVaultUri: "${contoso.keyVaultUri}", storage: "${contoso.exportStorageAccount}" },
        };
        fs.writeFileSync(path.join(project, "Pulumi.yaml"), yaml.dump(program, { lineWidth: 200 }));

        // `pulumi package add`: the CLI finds PulumiPlugin.yaml, runs the component provider from source and generates the
        // YAML "SDK" (a package declaration). pulumi-language-yaml v1.25.0 does not implement Link, so the CLI stops before
        // recording the package in Pulumi.yaml: the test writes the `packages:` entry Link would have written.
        const add = await pulumi(["package", "add", REPO_ROOT], project);
        expect(add.output).toContain("Successfully generated an SDK for the fhir-platform package");
        expect(add.code === 0 || /linking package: method Link not implemented/.test(add.output)).toBe(true);
        expect(yaml.load(fs.readFileSync(path.join(project, "sdks", "fhir-platform", "fhir-platform-0.1.0.yaml"), "utf8"))).toMatchObject({
            name: "fhir-platform",
            version: "0.1.0",
        });
        fs.writeFileSync(
            path.join(project, "Pulumi.yaml"),
            yaml.dump({ ...program, packages: { "fhir-platform": REPO_ROOT } }, { lineWidth: 200 }),
        );
        // The RBAC propagation wait is a Node.js dynamic provider, which the engine starts in the program's directory:
        // a consumer in another language installs @pulumi/pulumi beside Pulumi.yaml (pulumi/pulumi#5455). Linked here.
        fs.mkdirSync(path.join(project, "node_modules", "@pulumi"), { recursive: true });
        fs.symlinkSync(path.join(REPO_ROOT, "node_modules", "@pulumi", "pulumi"), path.join(project, "node_modules", "@pulumi", "pulumi"));

        const init = await pulumi(["stack", "init", "dev"], project);
        expect({ code: init.code, output: init.code === 0 ? "" : init.output }).toEqual({ code: 0, output: "" });
        const up = await pulumi(["up", "--yes", "--skip-preview"], project);
        expect({ code: up.code, output: up.code === 0 ? "" : up.output }).toEqual({ code: 0, output: "" });

        const exported = await pulumi(["stack", "export"], project);
        const state = (JSON.parse(exported.stdout) as { deployment: { resources: StateResource[] } }).deployment.resources;
        const named = (type: string, name: string) => state.find((r) => r.type === type && r.urn.endsWith(`::${name}`));
        const custom = state.filter((r) => r.custom && !r.type.startsWith("pulumi:providers:"));
        // The account's resources, under the same component tokens as the platform's stacks.
        expect(custom.map((r) => `${r.type}::${r.urn.split("::").pop()}`).sort()).toEqual(
            [
                "azure-native:authorization:RoleAssignment::contoso-cmk-crypto-grant",
                "azure-native:authorization:RoleAssignment::contoso-export-blob-grant",
                `azure-native:authorization:RoleAssignment::contoso-fhir-data-reader-${READER}`,
                "azure-native:healthcareapis:FhirService::contoso-fhir",
                "azure-native:healthcareapis:Workspace::contoso-workspace",
                "azure-native:keyvault:Key::contoso-cmk",
                "azure-native:keyvault:Vault::contoso-vault",
                "azure-native:managedidentity:UserAssignedIdentity::contoso-identity",
                "azure-native:monitor:DiagnosticSetting::contoso-export-blob-audit",
                "azure-native:monitor:DiagnosticSetting::contoso-fhir-audit",
                "azure-native:monitor:DiagnosticSetting::contoso-vault-audit",
                "azure-native:resources:ResourceGroup::contoso-rg",
                "azure-native:storage:BlobServiceProperties::contoso-export-blob-service",
                "azure-native:storage:ManagementPolicy::contoso-export-lifecycle",
                "azure-native:storage:StorageAccount::contoso-export-storage",
                "pulumi-nodejs:dynamic/fhir-platform:RbacPropagationWait::contoso-cmk-grant-propagation",
                "random:index/randomString:RandomString::contoso-suffix",
            ].sort(),
        );
        const fhir = named("azure-native:healthcareapis:FhirService", "contoso-fhir")!;
        expect(fhir.urn).toBe(
            "urn:pulumi:dev::fhir-yaml-consumer::fhir-platform:index:FhirAccount$fhir-platform:index:FhirService$" +
                "azure-native:healthcareapis:FhirService::contoso-fhir",
        );
        // protect: true on the component protects its stateful resources; grants to people and diagnostics stay replaceable.
        expect(
            custom
                .filter((r) => r.protect)
                .map((r) => r.urn.split("::").pop())
                .sort(),
        ).toEqual(
            [
                "contoso-cmk",
                "contoso-cmk-crypto-grant",
                "contoso-export-storage",
                "contoso-fhir",
                "contoso-identity",
                "contoso-rg",
                "contoso-suffix",
                "contoso-vault",
                "contoso-workspace",
            ].sort(),
        );
        // Secure defaults with nothing asked for: CMK RSA 3072, the vault firewall, storage encrypted with the key, no shared keys.
        const vault = named("azure-native:keyvault:Vault", "contoso-vault")!.inputs as { properties: Record<string, unknown> };
        expect(vault.properties).toMatchObject({
            enableRbacAuthorization: true,
            enablePurgeProtection: true,
            networkAcls: { defaultAction: "Deny", bypass: "AzureServices" },
        });
        expect(named("azure-native:keyvault:Key", "contoso-cmk")!.inputs).toMatchObject({ properties: { kty: "RSA", keySize: 3072 } });
        expect(named("azure-native:storage:StorageAccount", "contoso-export-storage")!.inputs).toMatchObject({
            allowSharedKeyAccess: false,
            encryption: { keySource: "Microsoft.Keyvault", requireInfrastructureEncryption: true },
            networkRuleSet: { defaultAction: "Deny" },
        });
        const key = named("azure-native:keyvault:Key", "contoso-cmk")!;
        const fhirInputs = fhir.inputs as { encryption: { customerManagedKeyEncryption: { keyEncryptionKeyUrl: string } } };
        expect(fhirInputs.encryption.customerManagedKeyEncryption.keyEncryptionKeyUrl).toBe(
            (key.outputs as { keyUriWithVersion: string }).keyUriWithVersion,
        );
        // The FHIR service waits for the key grant's propagation and the storage grant, as in the platform's stacks.
        const deps = (fhir as StateResource & { dependencies?: string[] }).dependencies ?? [];
        const resources = byUrn(state);
        expect(deps.map((u) => resources.get(u)?.urn.split("::").pop()).sort()).toEqual(
            expect.arrayContaining(["contoso-cmk-grant-propagation", "contoso-export-blob-grant"]),
        );

        const outputs = await pulumi(["stack", "output", "--json"], project);
        const out = JSON.parse(outputs.stdout) as Record<string, string>;
        expect(out.fhirUrl).toMatch(/^https:\/\/wscontoso[a-z0-9]{6}-contoso\.fhir\.azurehealthcareapis\.com$/);
        expect(out.keyVaultUri).toMatch(/^https:\/\/kv-contoso-[a-z0-9]{6}\.vault\.azure\.net\/$/);
        expect(out.storage).toMatch(/^stcontoso[a-z0-9]{6}$/);

        const again = await pulumi(["preview", "--expect-no-changes"], project);
        expect({ code: again.code, output: again.code === 0 ? "" : again.output }).toEqual({ code: 0, output: "" });
    },
);
