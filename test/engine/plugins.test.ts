/** The engine kit's own parts, without a deployment: the fake ARM's rules, the language host's helpers, the launch shims. */
import * as childProcess from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { mockState } from "../../harness/mockRun";
import { type ArmRecord, FakeArmTable, UNKNOWN, armState, checkInputs, diffInputs, previewOutputs } from "../../engine/plugins/fakeArm";
import { FakeAzure, FakeTenant } from "../../engine/plugins/fakeAzure";
import { AHDS_DEFAULT_QUOTAS, BUILT_IN_ROLES } from "../../azure/facts";
import { findResourcePackages, runArguments } from "../../engine/plugins/languageHost";
import { BIN_DIR, PULUMI_HOME, REPO_ROOT, installedVersion } from "../../engine/paths";
import { RunRequest, ProgramInfo } from "@pulumi/pulumi/proto/language_pb";
import * as grpc from "@grpc/grpc-js";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { ResourceProviderClient } from "@pulumi/pulumi/proto/provider_grpc_pb";
import { CheckRequest, type CheckResponse } from "@pulumi/pulumi/proto/provider_pb";
import { armRecord } from "./helpers";

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
        expect(checkInputs("azure-native:network:NetworkSecurityGroup", { a: 1 }, ctx)).toEqual({ inputs: { a: 1 }, failures: [] });
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
        expect(() => table.create({ ...rec, urn: "urn:b" })).toThrow(`cannot create already existing resource '${rec.id}'`);
        // ARM IDs are case-insensitive.
        expect(table.get("/SUBSCRIPTIONS/s/resourcegroups/RG")?.urn).toBe("urn:a");
        expect(table.delete(rec.id)).toBe(true);
        expect(table.delete(rec.id)).toBe(false);
        expect(table.list()).toEqual([]);
    });

    test("every provider process's listing sees the others' writes; unchanged records are parsed once, and frozen", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fake-arm-"));
        // Two tables over one directory: two provider processes of one stack.
        const [mine, theirs] = [new FakeArmTable(dir), new FakeArmTable(dir)];
        const rec = (name: string, outputs = {}) => ({
            id: `/subscriptions/s/resourceGroups/${name}`,
            urn: `urn:${name}`,
            type: "azure-native:resources:ResourceGroup",
            inputs: {},
            outputs,
        });
        theirs.create(rec("a"));
        theirs.create(rec("b"));
        const first = mine.list();
        const again = mine.list();
        expect(again.map((r) => r.urn).sort()).toEqual(["urn:a", "urn:b"]);
        // Not read again: the same objects.
        expect(again.find((r) => r.urn === "urn:a")).toBe(first.find((r) => r.urn === "urn:a"));
        // Shared, so frozen all the way down; `get` gives a record of one's own.
        const a = again.find((r) => r.urn === "urn:a") as ArmRecord;
        expect(() => {
            (a.outputs as Record<string, unknown>).x = 1;
        }).toThrow(TypeError);
        const own = mine.get(a.id) as ArmRecord;
        own.outputs.x = 1;
        expect(own.outputs).toEqual({ x: 1 });
        // The other process rewrites one, deletes the other, creates a third: the next listing has it all.
        theirs.put(rec("a", { state: "changed" }));
        theirs.delete(rec("b").id);
        theirs.create(rec("c"));
        const after = mine.list();
        expect(after.map((r) => [r.urn, r.outputs]).sort()).toEqual([
            ["urn:a", { state: "changed" }],
            ["urn:c", {}],
        ]);
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

    describe("the analyzer loads the pack without type-checking it (npm test type-checks it: tsconfig.json includes policies/)", () => {
        let dir: string;
        let packDir: string;
        beforeAll(() => {
            // A copy of the pack beside links to what it imports, with a type error that transpiling does not see.
            dir = fs.mkdtempSync(path.join(os.tmpdir(), "pack-"));
            packDir = path.join(dir, "policies");
            fs.cpSync(path.join(REPO_ROOT, "policies"), packDir, { recursive: true, filter: (f) => !f.includes("node_modules") });
            for (const link of ["azure", "node_modules"]) fs.symlinkSync(path.join(REPO_ROOT, link), path.join(dir, link));
            for (const f of ["tsconfig.json", "tsconfig.pulumi.json"]) fs.copyFileSync(path.join(REPO_ROOT, f), path.join(dir, f));
            fs.appendFileSync(path.join(packDir, "policies.ts"), '\nexport const notANumber: number = "text";\n');
        });
        afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
        const start = () => announcedPort(path.join(BIN_DIR, "pulumi-analyzer-policy"), ["127.0.0.1:1", "."], packDir);

        test("through package.json main (analyzer.js) a pack with a type error still starts", async () => {
            await expect(start()).resolves.toBeGreaterThan(0);
        });

        test("with index.ts as main, @pulumi/pulumi/cmd/run-policy-pack type-checks it and refuses to start (what analyzer.js avoids)", async () => {
            const manifest = path.join(packDir, "package.json");
            fs.writeFileSync(manifest, fs.readFileSync(manifest, "utf8").replace('"main": "analyzer.js"', '"main": "index.ts"'));
            await expect(start()).rejects.toThrow(/TS2322/);
        });
    });

    test("pulumi-resource-pulumi-nodejs starts the SDK's dynamic provider host", async () => {
        await expect(
            announcedPort(path.join(BIN_DIR, "pulumi-resource-pulumi-nodejs"), ["127.0.0.1:1"], REPO_ROOT),
        ).resolves.toBeGreaterThan(0);
    });

    test("a name the REST spec rejects fails the installed fake azure-native's Check over gRPC, in azure-native's words", async () => {
        const dir = path.join(PULUMI_HOME, "plugins", `resource-azure-native-v${installedVersion("@pulumi/azure-native")}`);
        const armDir = fs.mkdtempSync(path.join(os.tmpdir(), "fake-arm-"));
        const env = {
            ...process.env,
            FHIR_FAKE_ARM_DIR: armDir,
            PATH: [path.join(REPO_ROOT, "node_modules", ".bin"), process.env.PATH ?? ""].join(path.delimiter),
        };
        const child = childProcess.spawn(path.join(dir, "pulumi-resource-azure-native"), ["127.0.0.1:1"], {
            cwd: REPO_ROOT,
            env,
            stdio: ["ignore", "pipe", "inherit"],
        });
        try {
            const port = await new Promise<number>((resolve) =>
                child.stdout.once("data", (d: Buffer) => resolve(Number(d.toString().split("\n")[0]))),
            );
            const client = new ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
            const news = Struct.fromJavaScript({
                resourceGroupName: "rg-a",
                vaultName: "kv_with_underscore",
                location: "westeurope",
                properties: { tenantId: "t", sku: { family: "A", name: "standard" } },
            });
            const req = new CheckRequest().setUrn("urn:pulumi:dev::fhir-platform::azure-native:keyvault:Vault::v").setNews(news);
            const resp = await new Promise<CheckResponse>((resolve, reject) => client.check(req, (e, r) => (e ? reject(e) : resolve(r))));
            expect(resp.getFailuresList().map((f) => f.getReason())).toEqual([
                "'vaultName' does not match expression '^[a-zA-Z0-9-]{3,24}$'",
            ]);
            expect(resp.getInputs()?.toJavaScript()).toMatchObject({ azureApiVersion: "2024-11-01" });
            client.close();
        } finally {
            child.kill();
        }
    });

    // A CI job cancelled mid-run kills the CLI; a plugin it started after the kill's process list was read must not live on.
    test.each([
        ["the language host", () => path.join(BIN_DIR, "pulumi-language-nodejs")],
        [
            "the fake azure-native",
            () =>
                path.join(
                    PULUMI_HOME,
                    "plugins",
                    `resource-azure-native-v${installedVersion("@pulumi/azure-native")}`,
                    "pulumi-resource-azure-native",
                ),
        ],
    ])("%s exits when the engine that started it dies", async (_name, plugin) => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "orphan-"));
        const portFile = path.join(dir, "port");
        // The "engine": starts the plugin, waits for its port, prints its pid and exits without stopping it.
        const script = `"$0" 127.0.0.1:1 > "$1" 2>/dev/null & pid=$!; while [ ! -s "$1" ]; do sleep 0.1; done; echo $pid`;
        const env = {
            ...process.env,
            FHIR_FAKE_ARM_DIR: dir,
            PATH: [path.join(REPO_ROOT, "node_modules", ".bin"), process.env.PATH].join(":"),
        };
        const pid = Number(childProcess.execFileSync("sh", ["-c", script, plugin(), portFile], { cwd: REPO_ROOT, env, encoding: "utf8" }));
        // Running or sleeping, not gone nor a zombie (whether its new parent reaps it is not the plugin's doing).
        const alive = () => {
            try {
                return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, "utf8"));
            } catch {
                return false;
            }
        };
        try {
            const deadline = Date.now() + 10_000;
            while (alive() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
            expect(alive()).toBe(false);
        } finally {
            if (alive()) process.kill(pid, "SIGKILL");
            fs.rmSync(dir, { recursive: true, force: true });
        }
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

describe("fake Azure: the Azure rules, each from azure/facts.ts", () => {
    const RG = `/subscriptions/${SUB}/resourceGroups/rg-a`;
    const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "fake-azure-"));
    let tenantDir: string;
    let azure: FakeAzure;
    const saved = { ...process.env };
    beforeEach(() => {
        tenantDir = tmp();
        azure = new FakeAzure(new FakeArmTable(tmp()), new FakeTenant(tenantDir));
    });
    afterEach(() => {
        process.env = { ...saved };
    });

    const record = (type: string, name: string, inputs: Record<string, unknown>, subscription = SUB): ArmRecord =>
        armRecord(type, name, inputs, subscription);
    const vault = (name: string, extra: Record<string, unknown> = {}) =>
        record("azure-native:keyvault:Vault", name, {
            resourceGroupName: "rg-a",
            vaultName: name,
            location: "westeurope",
            properties: {
                tenantId: "t",
                sku: { family: "A", name: "standard" },
                softDeleteRetentionInDays: 7,
                enablePurgeProtection: true,
                ...extra,
            },
        });

    test("vault and storage names are unique across the tenant (another stack's table), and a deleted vault's name is kept until its retention ends", () => {
        azure.create(vault("kv-shared"), SUB);
        const otherStack = new FakeAzure(new FakeArmTable(tmp()), new FakeTenant(tenantDir));
        expect(() => otherStack.create(vault("kv-shared"), SUB)).toThrow(/Code="VaultAlreadyExists".*'kv-shared' is already in use/);
        const storage = (n: string) =>
            record("azure-native:storage:StorageAccount", n, {
                resourceGroupName: "rg-a",
                accountName: n,
                location: "westeurope",
                kind: "StorageV2",
                sku: { name: "Standard_LRS" },
            });
        azure.create(storage("stshared"), SUB);
        expect(() => otherStack.create(storage("stshared"), SUB)).toThrow(/StorageAccountAlreadyTaken/);
        azure.delete(vault("kv-shared").id);
        expect(() => otherStack.create(vault("kv-shared"), SUB)).toThrow(/Code="ConflictError".*already exists in deleted state/);
        process.env.FHIR_FAKE_NOW = String(Date.now() + 8 * 24 * 3600 * 1000);
        expect(otherStack.create(vault("kv-shared"), SUB).id).toContain("kv-shared");
    });

    test("Keys_CreateIfNotExist: other key parameters answer 400; the same ones return the key unchanged", () => {
        const key = record("azure-native:keyvault:Key", "k", {
            resourceGroupName: "rg-a",
            vaultName: "kv-a",
            keyName: "k",
            properties: { kty: "RSA", keySize: 3072 },
        });
        const created = azure.create(key, SUB);
        expect(() => azure.update(created, { ...key.inputs, properties: { kty: "RSA", keySize: 2048 } }, {}, SUB)).toThrow(
            /Code="KeyCreationParametersDidNotMatchExistingKey"/,
        );
        const same = azure.update(created, { ...key.inputs, tags: { a: "b" } }, { changed: true }, SUB);
        expect(same.outputs).toEqual(created.outputs);
    });

    test("a FHIR service with a customer-managed key fails until its identity's crypto grant is older than the propagation delay", () => {
        process.env.FHIR_FAKE_RBAC_PROPAGATION_SECONDS = "60";
        const t0 = Date.UTC(2027, 0, 1);
        process.env.FHIR_FAKE_NOW = String(t0);
        const v = azure.create(vault("kv-a"), SUB);
        azure.create(
            record("azure-native:keyvault:Key", "k", {
                resourceGroupName: "rg-a",
                vaultName: "kv-a",
                keyName: "k",
                properties: { kty: "RSA" },
            }),
            SUB,
        );
        const identity = azure.create(
            record("azure-native:managedidentity:UserAssignedIdentity", "id", {
                resourceGroupName: "rg-a",
                resourceName: "id-a",
                location: "westeurope",
            }),
            SUB,
        );
        const fhir = record("azure-native:healthcareapis:FhirService", "f", {
            resourceGroupName: "rg-a",
            workspaceName: "wsa",
            fhirServiceName: "fhira",
            location: "westeurope",
            identity: { type: "UserAssigned", userAssignedIdentities: [identity.id] },
            encryption: { customerManagedKeyEncryption: { keyEncryptionKeyUrl: "https://kv-a.vault.azure.net/keys/k/0123" } },
        });
        expect(() => azure.create(fhir, SUB)).toThrow(/Code="ForbiddenByRbac"/);
        azure.create(
            record("azure-native:authorization:RoleAssignment", "g", {
                scope: `${v.id}/keys/k`,
                roleAssignmentName: "00000000-0000-4000-8000-000000000001",
                principalId: identity.outputs.principalId,
                roleDefinitionId: `/providers/Microsoft.Authorization/roleDefinitions/${BUILT_IN_ROLES["Key Vault Crypto Service Encryption User"]}`,
            }),
            SUB,
        );
        process.env.FHIR_FAKE_NOW = String(t0 + 30_000);
        expect(() => azure.create(fhir, SUB)).toThrow(/ForbiddenByRbac/);
        process.env.FHIR_FAKE_NOW = String(t0 + 61_000);
        expect(azure.create(fhir, SUB).id).toMatch(/fhirservices\/fhira$/);
    });

    test("regions, ZRS and the retired SMART proxy are refused with ARM's codes; quotas per subscription count every stack's services", () => {
        const ws = (location: string) =>
            record("azure-native:healthcareapis:Workspace", "w", { resourceGroupName: "rg-a", workspaceName: "wsa", location });
        expect(() => azure.create(ws("qatarcentral"), SUB)).toThrow(/LocationNotAvailableForResourceType.*retired in Qatar Central/);
        expect(() => azure.create(ws("canadaeast"), SUB)).toThrow(/LocationNotAvailableForResourceType/);
        const zrs = record("azure-native:storage:StorageAccount", "s", {
            resourceGroupName: "rg-a",
            accountName: "sta",
            location: "ukwest",
            kind: "StorageV2",
            sku: { name: "Standard_ZRS" },
        });
        expect(() => azure.create(zrs, SUB)).toThrow(/SkuNotAvailable/);
        const fhir = (name: string, extra: Record<string, unknown> = {}, subscription = SUB) =>
            record(
                "azure-native:healthcareapis:FhirService",
                name,
                {
                    resourceGroupName: "rg-a",
                    workspaceName: `ws${name}`,
                    fhirServiceName: name,
                    location: "westeurope",
                    ...extra,
                },
                subscription,
            );
        process.env.FHIR_FAKE_NOW = "2026-09-22T00:00:00Z";
        expect(() => azure.create(fhir("smart", { authenticationConfiguration: { smartProxyEnabled: true } }), SUB)).toThrow(
            /SMART on FHIR proxy was retired on 2026-09-21/,
        );
        const otherStack = new FakeAzure(new FakeArmTable(tmp()), new FakeTenant(tenantDir));
        for (let i = 0; i < AHDS_DEFAULT_QUOTAS.fhirServicesPerSubscription; i++) otherStack.create(fhir(`f${i}`), SUB);
        expect(() => azure.create(fhir("f10"), SUB)).toThrow(/Code="QuotaExceeded".*FHIR services per subscription.*Maximum allowed: 10/);
        // Another subscription has its own quota; a raised quota is Microsoft's to grant (FHIR_FAKE_QUOTAS).
        const d002 = "00000000-0000-4000-8000-00000000d002";
        expect(azure.create(fhir("f10", {}, d002), d002).id).toContain("d002");
        process.env.FHIR_FAKE_QUOTAS = JSON.stringify({ [SUB]: { fhirServicesPerSubscription: 11 } });
        expect(azure.create(fhir("f11"), SUB).id).toContain("f11");
    });

    test("a private endpoint's DNS zone group gets A records for the FHIR services its workspace had when it was written", () => {
        const wsId = `${RG}/providers/Microsoft.HealthcareApis/workspaces/wsa`;
        azure.create(
            record("azure-native:network:PrivateEndpoint", "pe", {
                resourceGroupName: "rg-a",
                privateEndpointName: "pe-a",
                privateLinkServiceConnections: [{ privateLinkServiceId: wsId }],
            }),
            SUB,
        );
        const service = (n: string) =>
            record("azure-native:healthcareapis:FhirService", n, {
                resourceGroupName: "rg-a",
                workspaceName: "wsa",
                fhirServiceName: n,
                location: "westeurope",
            });
        azure.create(service("one"), SUB);
        const zone = `${RG}/providers/Microsoft.Network/privateDnsZones/privatelink.fhir.azurehealthcareapis.com`;
        const group = azure.create(
            record("azure-native:network:PrivateDnsZoneGroup", "dns", {
                resourceGroupName: "rg-a",
                privateEndpointName: "pe-a",
                privateDnsZoneGroupName: "default",
                privateDnsZoneConfigs: [{ name: "fhir", privateDnsZoneId: zone }],
            }),
            SUB,
        );
        const names = (r: ArmRecord) =>
            ((r.outputs.privateDnsZoneConfigs as { recordSets: { fqdn: string }[] }[])[0].recordSets ?? []).map((x) => x.fqdn);
        expect(names(group)).toEqual(["wsa-one.privatelink.fhir.azurehealthcareapis.com"]);
        azure.create(service("two"), SUB);
        // The record set is what was written: the new service has none until the group is written again.
        expect(names(azure.table.get(group.id)!)).toEqual(["wsa-one.privatelink.fhir.azurehealthcareapis.com"]);
        const rewritten = azure.update(group, group.inputs, group.outputs, SUB);
        expect(names(rewritten)).toEqual([
            "wsa-one.privatelink.fhir.azurehealthcareapis.com",
            "wsa-two.privatelink.fhir.azurehealthcareapis.com",
        ]);
    });
});
