/** The engine kit's own parts, without a deployment: the fake ARM's rules, the language host's helpers, the launch shims. */
import * as childProcess from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { mockState } from "../../harness/mockRun";
import { FakeArmTable, UNKNOWN, armState, diffInputs, previewOutputs } from "../../engine/plugins/fakeArm";
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

    test("diff: names, placement and create-only settings replace; other settings update; unknowns count as changes", () => {
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
        expect(diffInputs(key, olds, { ...olds, properties: { kty: "RSA", keySize: 2048 } })).toEqual({
            changed: ["properties"],
            replaces: ["properties"],
        });
        expect(diffInputs(key, olds, { ...olds, location: "northeurope" }).replaces).toEqual(["location"]);
        const storage = "azure-native:storage:StorageAccount";
        expect(diffInputs(storage, { sku: { name: "Standard_LRS" } }, { sku: { name: "Standard_ZRS" } })).toEqual({
            changed: ["sku"],
            replaces: [],
        });
        expect(diffInputs(storage, { accountName: "a" }, { accountName: UNKNOWN })).toEqual({
            changed: ["accountName"],
            replaces: ["accountName"],
        });
        // A role assignment cannot be modified, only replaced.
        expect(diffInputs("azure-native:authorization:RoleAssignment", { description: "a" }, { description: "b" }).replaces).toEqual([
            "description",
        ]);
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
