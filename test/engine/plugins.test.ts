/** The engine kit's own parts, without a deployment: the fake ARM's rules, the language host's helpers, the launch shims. */
import * as childProcess from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { mockState } from "../../harness/mockRun";
import { FakeArmTable, UNKNOWN, armState, checkInputs, diffInputs, previewOutputs } from "../../engine/plugins/fakeArm";
import { findResourcePackages, runArguments } from "../../engine/plugins/languageHost";
import { BIN_DIR, PULUMI_HOME, REPO_ROOT, installedVersion } from "../../engine/paths";
import { RunRequest, ProgramInfo } from "@pulumi/pulumi/proto/language_pb";

const SUB = "00000000-0000-4000-8000-00000000d001";

describe("fake ARM", () => {
    test("outputs of a type the offline harness knows are mockState's", () => {
        const inputs = { resourceGroupName: "rg-a", vaultName: "kv-a", keyName: "k", properties: { kty: "RSA", keySize: 3072 } };
        const { id, outputs } = armState("azure-native:keyvault:Key", "a-cmk", inputs, SUB);
        const expected = mockState("azure-native:keyvault:Key", "a-cmk", inputs, SUB);
        expect(id).toBe(expected.id);
        expect(outputs).toEqual(expected.state);
        expect(outputs.keyUriWithVersion).toMatch(/^https:\/\/kv-a\.vault\.azure\.net\/keys\/k\/[0-9a-f]{32}$/);
    });

    test("a type it does not know gets an ARM-shaped ID from its name input and placement", () => {
        const inGroup = armState(
            "azure-native:network:NetworkSecurityGroup",
            "nsg",
            { resourceGroupName: "rg-a", networkSecurityGroupName: "nsg-a" },
            SUB,
        );
        expect(inGroup.id).toBe(`/subscriptions/${SUB}/resourceGroups/rg-a/providers/Microsoft.Network/networkSecurityGroups/nsg-a`);
        expect(inGroup.outputs.name).toBe("nsg-a");
        const scoped = armState(
            "azure-native:authorization:ManagementLockByScope",
            "lock",
            { scope: "/subscriptions/x/resourceGroups/rg-a", lockName: "l" },
            SUB,
        );
        expect(scoped.id).toBe("/subscriptions/x/resourceGroups/rg-a/providers/Microsoft.Authorization/managementLockByScopes/l");
    });

    test("diff as azure-native's: path parameters and the table's replace paths replace; nested create-only settings update", () => {
        const key = "azure-native:keyvault:Key";
        const olds = {
            resourceGroupName: "rg",
            vaultName: "kv",
            keyName: "k",
            properties: { kty: "RSA", keySize: 3072 },
            tags: { a: "1" },
        };
        expect(diffInputs(key, olds, { ...olds })).toEqual({ changed: [], replaces: [] });
        expect(diffInputs(key, olds, { ...olds, tags: { a: "2" } })).toEqual({ changed: ["tags"], replaces: [] });
        expect(diffInputs(key, olds, { ...olds, keyName: "k2" })).toEqual({ changed: ["keyName"], replaces: ["keyName"] });
        // azure-native sends a key-size change as an update (KeyProperties has no mutability mark); Azure refuses it.
        expect(diffInputs(key, olds, { ...olds, properties: { kty: "RSA", keySize: 2048 } })).toEqual({
            changed: ["properties"],
            replaces: [],
        });
        const storage = "azure-native:storage:StorageAccount";
        expect(diffInputs(storage, { sku: { name: "Standard_LRS" } }, { sku: { name: "Standard_ZRS" } })).toEqual({
            changed: ["sku"],
            replaces: [],
        });
        expect(diffInputs(storage, { accountName: "a" }, { accountName: UNKNOWN })).toEqual({
            changed: ["accountName"],
            replaces: ["accountName"],
        });
        // forceNewMap: a storage account's location and isHnsEnabled; azure-native ignores case and spaces in a location.
        expect(diffInputs(storage, { location: "westeurope" }, { location: "northeurope" }).replaces).toEqual(["location"]);
        expect(diffInputs(storage, { location: "westeurope" }, { location: "West Europe" })).toEqual({ changed: [], replaces: [] });
        expect(diffInputs(storage, { encryption: { requireInfrastructureEncryption: true } }, { encryption: {} }).replaces).toEqual([]);
        // A vault's location has no mutability mark: an update (Azure refuses it; the plan says so).
        expect(diffInputs("azure-native:keyvault:Vault", { location: "westeurope" }, { location: "northeurope" }).replaces).toEqual([]);
        // The FHIR service's kind has no mutability mark in 2024-03-31: an update.
        expect(diffInputs("azure-native:healthcareapis:FhirService", { kind: "fhir-R4" }, { kind: "fhir-Stu3" })).toEqual({
            changed: ["kind"],
            replaces: [],
        });
        // A role assignment: principalId and scope replace (forceNewMap); its description, principalType update.
        const ra = "azure-native:authorization:RoleAssignment";
        expect(diffInputs(ra, { description: "a", principalType: "User" }, { description: "b", principalType: "Group" }).replaces).toEqual(
            [],
        );
        expect(diffInputs(ra, { principalId: "a" }, { principalId: "b" }).replaces).toEqual(["principalId"]);
        // A type the table does not list: its name-like inputs (path parameters) replace, the rest updates.
        const table = "azure-native:operationalinsights:Table";
        expect(diffInputs(table, { tableName: "t", retentionInDays: 30 }, { tableName: "u", retentionInDays: 60 })).toEqual({
            changed: ["retentionInDays", "tableName"],
            replaces: ["tableName"],
        });
    });

    test("check as azure-native's: location and azureApiVersion filled in, required properties, types and name rules reported", () => {
        const ctx = { olds: {}, resourceGroupLocation: (rg: string) => (rg === "rg-a" ? "westeurope" : undefined) };
        const vault = "azure-native:keyvault:Vault";
        const ok = checkInputs(
            vault,
            { resourceGroupName: "rg-a", vaultName: "kv-a", properties: { tenantId: "t", sku: { family: "A", name: "standard" } } },
            ctx,
        );
        expect(ok.failures).toEqual([]);
        expect(ok.inputs).toMatchObject({ location: "westeurope", azureApiVersion: "2024-11-01" });
        const bad = checkInputs(
            vault,
            { resourceGroupName: "rg-b", vaultName: "kv_a", properties: { sku: { name: "standard" }, enableSoftDelete: "yes" } },
            ctx,
        );
        expect(bad.failures).toEqual([
            "missing required property 'location'. Either set it explicitly or configure it with 'pulumi config set azure-native:location <value>'.",
            "missing required property 'properties.tenantId'",
            "missing required property 'properties.sku.family'",
            "'properties.enableSoftDelete' should be of type 'boolean' but got a string",
            "'vaultName' does not match expression '^[a-zA-Z0-9-]{3,24}$'",
        ]);
        // Unknown values are not validated; an unknown resource group makes the location unknown.
        const unknown = checkInputs(vault, { resourceGroupName: UNKNOWN, vaultName: UNKNOWN, properties: UNKNOWN }, ctx);
        expect(unknown).toEqual({ inputs: expect.objectContaining({ location: UNKNOWN }), failures: [] });
        expect(
            checkInputs("azure-native:healthcareapis:Workspace", { resourceGroupName: "rg-a", workspaceName: "ab", location: "x" }, ctx)
                .failures,
        ).toEqual(["'workspaceName' is too short (2): at least 3 characters required"]);
        // A type the table does not list passes unchanged.
        expect(checkInputs("azure-native:operationalinsights:Table", { a: 1 }, ctx)).toEqual({ inputs: { a: 1 }, failures: [] });
    });

    test("preview outputs: inputs as given, Azure-computed values unknown on create and kept on update", () => {
        const inputs = { vaultName: "kv", properties: { tenantId: "t" } };
        const computed = { vaultName: "kv", name: "kv", properties: { tenantId: "t", vaultUri: "https://kv.vault.azure.net/" } };
        expect(previewOutputs(inputs, computed)).toEqual({
            vaultName: "kv",
            name: UNKNOWN,
            properties: { tenantId: "t", vaultUri: UNKNOWN },
        });
        expect(previewOutputs(inputs, computed, computed)).toEqual(computed);
    });

    test("the table refuses to create over an existing ID (as azure-native does) and deleting what is gone succeeds", () => {
        const table = new FakeArmTable(fs.mkdtempSync(path.join(os.tmpdir(), "fake-arm-")));
        const rec = {
            id: "/subscriptions/s/resourceGroups/rg",
            urn: "urn:a",
            type: "azure-native:resources:ResourceGroup",
            inputs: {},
            outputs: {},
        };
        table.create(rec);
        expect(() => table.create({ ...rec, urn: "urn:b" })).toThrow(/already exists \(created by urn:a\)/);
        // ARM IDs are case-insensitive.
        expect(table.get("/SUBSCRIPTIONS/s/resourcegroups/RG")?.urn).toBe("urn:a");
        expect(table.delete(rec.id)).toBe(true);
        expect(table.delete(rec.id)).toBe(false);
        expect(table.list()).toEqual([]);
    });
});

describe("language host", () => {
    test("finds the resource plugins the program's packages declare, at their exact versions", () => {
        const found = findResourcePackages(REPO_ROOT);
        expect(found).toEqual(
            expect.arrayContaining([
                { name: "azure-native", version: installedVersion("@pulumi/azure-native") },
                { name: "random", version: installedVersion("@pulumi/random") },
            ]),
        );
        expect(found.map((p) => p.name)).not.toContain("pulumi");
    });

    test("starts the program with @pulumi/pulumi/cmd/run and the real host's flags", () => {
        const info = new ProgramInfo().setRootDirectory("/p").setProgramDirectory("/p").setEntryPoint(".");
        const req = new RunRequest()
            .setMonitorAddress("127.0.0.1:1")
            .setProject("fhir-platform")
            .setStack("dev")
            .setPwd("/p")
            .setDryrun(true)
            .setParallel(8)
            .setOrganization("organization")
            .setInfo(info);
        expect(runArguments(req, "/run.js", "127.0.0.1:2")).toEqual([
            "/run.js",
            "--monitor",
            "127.0.0.1:1",
            "--engine",
            "127.0.0.1:2",
            "--organization",
            "organization",
            "--project",
            "fhir-platform",
            "--root-directory",
            "/p",
            "--stack",
            "dev",
            "--pwd",
            "/p",
            "--dry-run",
            "--parallel",
            "8",
            ".",
        ]);
    });
});

/** Starts a plugin as the engine would and resolves with the port it announces on its first stdout line. */
function announcedPort(command: string, args: string[], cwd: string): Promise<number> {
    return new Promise((resolve, reject) => {
        const env = { ...process.env, PATH: [path.join(REPO_ROOT, "node_modules", ".bin"), process.env.PATH ?? ""].join(path.delimiter) };
        const child = childProcess.spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        let err = "";
        child.stderr.on("data", (d: Buffer) => (err += d.toString()));
        child.stdout.on("data", (d: Buffer) => {
            out += d.toString();
            const line = out.split("\n")[0];
            if (out.includes("\n")) {
                child.kill();
                if (/^\d+$/.test(line.trim())) resolve(Number(line.trim()));
                else reject(new Error(`unexpected first line '${line}' (stderr: ${err})`));
            }
        });
        child.on("exit", (code) => {
            if (!out.includes("\n")) reject(new Error(`${command} exited with ${code} before announcing a port: ${err}`));
        });
    });
}

describe("launch plugins", () => {
    test("pulumi-analyzer-policy starts the policy pack from its directory", async () => {
        await expect(
            announcedPort(path.join(BIN_DIR, "pulumi-analyzer-policy"), ["127.0.0.1:1", "."], path.join(REPO_ROOT, "policies")),
        ).resolves.toBeGreaterThan(0);
    });

    test("pulumi-resource-pulumi-nodejs starts the SDK's dynamic provider host", async () => {
        await expect(
            announcedPort(path.join(BIN_DIR, "pulumi-resource-pulumi-nodejs"), ["127.0.0.1:1"], REPO_ROOT),
        ).resolves.toBeGreaterThan(0);
    });

    test("fake providers are installed at the SDKs' exact versions", async () => {
        for (const [pkg, name] of [
            ["@pulumi/azure-native", "azure-native"],
            ["@pulumi/random", "random"],
        ]) {
            const dir = path.join(PULUMI_HOME, "plugins", `resource-${name}-v${installedVersion(pkg)}`);
            await expect(announcedPort(path.join(dir, `pulumi-resource-${name}`), ["127.0.0.1:1"], REPO_ROOT)).resolves.toBeGreaterThan(0);
        }
    });
});
