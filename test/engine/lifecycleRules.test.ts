/**
 * The fake Azure's rules for time, refresh and faults, each on its own (no engine): key versions on the rotation
 * policy's schedule, storage following a versionless key within a day, the FHIR service pinned to its version and
 * answering 500 while it cannot use it, what a GET returns and what azure-native's Read makes of it, and the retries
 * azure-native makes on 429 and 500. Sources: azure/facts.ts KEY_LIFECYCLE, ARM_RETRY; azure/providerRules.ts READ.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ARM_RETRY, BUILT_IN_ROLES } from "../../azure/facts";
import { applyDiff, azureOutputs, projectToInputs, refreshedInputs, restGet } from "../../engine/plugins/armShapes";
import { type ArmRecord, FakeArmTable } from "../../engine/plugins/fakeArm";
import { ArmError, FakeAzure, FakeTenant, fhirKeyProblem } from "../../engine/plugins/fakeAzure";
import { Faults, backoffMs, readFaultLog } from "../../engine/plugins/faults";
import { keyVersions, storageKeyVersion } from "../../engine/plugins/keyVault";
import { parseFhirService, parseKeyVersion } from "../../tools/verify/arm";
import { assessKey } from "../../tools/verify/keys";
import type { AccountTarget } from "../../tools/verify/targets";
import { armRecord } from "./helpers";

const SUB = "00000000-0000-4000-8000-00000000d001";
const DAY = 24 * 3600 * 1000;
const T0 = Date.UTC(2027, 0, 4, 9);
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "fake-life-"));
const saved = { ...process.env };
afterEach(() => {
    process.env = { ...saved };
});
const at = (ms: number) => {
    process.env.FHIR_FAKE_NOW = String(ms);
};

const record = (type: string, name: string, inputs: Record<string, unknown>): ArmRecord => armRecord(type, name, inputs, SUB);

/** One account's key chain in the fake Azure, created at T0: vault, key rotating every `rotateDays`, identity, grant, FHIR service pinned to the key's first version, storage on the versionless key. */
function deployAccount(rotateDays: number, policyExtra: Record<string, unknown> = {}) {
    const table = new FakeArmTable(tmp());
    const azure = new FakeAzure(table, new FakeTenant(tmp()));
    at(T0);
    const vault = azure.create(
        record("azure-native:keyvault:Vault", "v", {
            resourceGroupName: "rg-a",
            vaultName: "kv-a",
            location: "westeurope",
            properties: { tenantId: "t", sku: { family: "A", name: "standard" }, enablePurgeProtection: true },
        }),
        SUB,
    );
    const key = azure.create(
        record("azure-native:keyvault:Key", "k", {
            resourceGroupName: "rg-a",
            vaultName: "kv-a",
            keyName: "k",
            properties: {
                kty: "RSA",
                keySize: 3072,
                rotationPolicy: {
                    lifetimeActions: [{ trigger: { timeAfterCreate: `P${rotateDays}D` }, action: { type: "rotate" } }],
                    ...policyExtra,
                },
            },
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
    const grant = azure.create(
        record("azure-native:authorization:RoleAssignment", "g", {
            scope: `${vault.id}/keys/k`,
            roleAssignmentName: "00000000-0000-4000-8000-000000000001",
            principalId: identity.outputs.principalId,
            roleDefinitionId: `/providers/Microsoft.Authorization/roleDefinitions/${BUILT_IN_ROLES["Key Vault Crypto Service Encryption User"]}`,
        }),
        SUB,
    );
    const fhirInputs = {
        resourceGroupName: "rg-a",
        workspaceName: "wsa",
        fhirServiceName: "fhira",
        location: "westeurope",
        kind: "fhir-R4",
        identity: { type: "UserAssigned", userAssignedIdentities: [identity.id] },
        encryption: { customerManagedKeyEncryption: { keyEncryptionKeyUrl: String(key.outputs.keyUriWithVersion) } },
        corsConfiguration: { origins: ["https://a.example"], maxAge: 600 },
        tags: { owner: "platform-team" },
    };
    const fhir = azure.create(record("azure-native:healthcareapis:FhirService", "f", fhirInputs), SUB);
    at(T0 + 3600_000);
    const storage = azure.create(
        record("azure-native:storage:StorageAccount", "s", {
            resourceGroupName: "rg-a",
            accountName: "sta",
            location: "westeurope",
            kind: "StorageV2",
            sku: { name: "Standard_LRS" },
            identity: { type: "UserAssigned", userAssignedIdentities: [identity.id] },
            encryption: {
                keySource: "Microsoft.Keyvault",
                keyVaultProperties: { keyName: "k", keyVaultUri: "https://kv-a.vault.azure.net/" },
                encryptionIdentity: { encryptionUserAssignedIdentity: identity.id },
            },
        }),
        SUB,
    );
    return { table, azure, key, identity, grant, fhir, fhirInputs, storage };
}

describe("time in Key Vault: versions on the rotation policy's schedule, storage within a day, the FHIR service pinned", () => {
    test("a new version appears timeAfterCreate after the previous one; without expiryTime none expires; Keys - Get answers the newest (with :443)", () => {
        const { table, key } = deployAccount(90);
        const stored = table.get(key.id) as ArmRecord;
        expect(keyVersions(stored, T0 + 90 * DAY - 1)).toHaveLength(1);
        expect(keyVersions(stored, T0 + 90 * DAY)).toHaveLength(2);
        const threeYears = keyVersions(stored, T0 + 1096 * DAY);
        expect(threeYears).toHaveLength(13);
        expect(new Set(threeYears.map((v) => v.version)).size).toBe(13);
        for (const v of threeYears) {
            expect(v.version).toMatch(/^[0-9a-f]{32}$/);
            expect(v.enabled).toBe(true);
            expect(v.expires).toBeUndefined();
        }
        // The first version is the one ARM gave at creation (what the FHIR service was pinned to).
        expect(String(key.outputs.keyUriWithVersion)).toBe(`https://kv-a.vault.azure.net:443/keys/k/${threeYears[0].version}`);
        const later = azureOutputs(table, stored, T0 + 200 * DAY);
        expect(later.keyUriWithVersion).toBe(`https://kv-a.vault.azure.net:443/keys/k/${threeYears[2].version}`);
        expect(later.attributes).toEqual(expect.objectContaining({ enabled: true, created: Math.floor((T0 + 180 * DAY) / 1000) }));
    });

    test('a policy expiryTime gives each new version an expiry, never the first ("It doesn\'t affect a current key")', () => {
        const { table, key } = deployAccount(90, { attributes: { expiryTime: "P120D" } });
        const [v0, v1] = keyVersions(table.get(key.id) as ArmRecord, T0 + 100 * DAY);
        expect(v0.expires).toBeUndefined();
        expect(v1.expires).toBe(v1.created + 120 * DAY);
    });

    test("storage with a versionless key checks the vault once a day: it follows a new version within 24 hours, never sooner than its next check", () => {
        const { table, key, storage } = deployAccount(90);
        const k = table.get(key.id) as ArmRecord;
        const created = storage.createdAt as number;
        const [v0, v1] = keyVersions(k, T0 + 91 * DAY);
        // v1 appears at T0 + 90 d; storage checks at created + n days (created = T0 + 1 h).
        expect(storageKeyVersion(created, k, T0 + 90 * DAY + 1800_000)?.version.version).toBe(v0.version);
        expect(storageKeyVersion(created, k, T0 + 90 * DAY + 3600_000)).toEqual({
            version: expect.objectContaining({ version: v1.version }),
            since: T0 + 90 * DAY + 3600_000,
        });
        for (let t = T0 + 2 * DAY; t < T0 + 400 * DAY; t += 7 * 3600_000) {
            const used = storageKeyVersion(created, k, t)?.version as { created: number };
            const newest = keyVersions(k, t).at(-1) as { created: number };
            expect(t - newest.created < DAY || used.created === newest.created).toBe(true);
        }
        const outputs = azureOutputs(table, table.get(storage.id) as ArmRecord, T0 + 100 * DAY);
        expect(outputs.encryption).toEqual(
            expect.objectContaining({
                keyVaultProperties: expect.objectContaining({
                    currentVersionedKeyIdentifier: `https://kv-a.vault.azure.net/keys/k/${v1.version}`,
                }),
            }),
        );
    });

    test("the FHIR service stays on its version; it cannot use its key (answers 500) once the grant is gone, the version is disabled or has expired", () => {
        const { table, azure, key, grant, fhir } = deployAccount(90);
        const service = () => table.get(fhir.id) as ArmRecord;
        const later = T0 + 400 * DAY;
        expect(azureOutputs(table, service(), later).encryption).toEqual(fhir.inputs.encryption);
        expect(fhirKeyProblem(table, service(), later)).toBeUndefined();
        const [v0] = keyVersions(table.get(key.id) as ArmRecord, later);
        azure.outOfBand(key.id, (side) => ({ ...side, versionChanges: { [v0.version]: { enabled: false, at: later } } }));
        expect(fhirKeyProblem(table, service(), later - 1)).toBeUndefined();
        expect(fhirKeyProblem(table, service(), later)).toMatch(/disabled/);
        azure.outOfBand(key.id, (side) => ({ ...side, versionChanges: {} }));
        azure.delete(grant.id);
        expect(fhirKeyProblem(table, service(), later)).toMatch(/no Key Vault Crypto Service Encryption User grant/);

        // An expiry policy and a month without rotation runs: the service, still on a version that expired, fails;
        // the platform's policy sets no expiryTime for exactly this reason (docs/keys.md).
        const expiring = deployAccount(30, { attributes: { expiryTime: "P35D" } });
        const pinnedTo = (ms: number) =>
            expiring.azure.update(
                expiring.table.get(expiring.fhir.id) as ArmRecord,
                {
                    ...expiring.fhirInputs,
                    encryption: {
                        customerManagedKeyEncryption: {
                            keyEncryptionKeyUrl: String(
                                azureOutputs(expiring.table, expiring.table.get(expiring.key.id) as ArmRecord, ms).keyUriWithVersion,
                            ),
                        },
                    },
                },
                expiring.fhir.outputs,
                SUB,
            );
        at(T0 + 31 * DAY);
        pinnedTo(T0 + 31 * DAY);
        expect(fhirKeyProblem(expiring.table, expiring.table.get(expiring.fhir.id) as ArmRecord, T0 + 60 * DAY)).toBeUndefined();
        expect(fhirKeyProblem(expiring.table, expiring.table.get(expiring.fhir.id) as ArmRecord, T0 + 66 * DAY)).toMatch(/expired/);
    });

    test("verify's key check reads the fake's ARM answers as it reads Azure's: the version in use, the newest, the lag", () => {
        const { table, fhir, key } = deployAccount(90);
        const when = T0 + 93 * DAY;
        const svc = parseFhirService(restGet(table, fhir.id, when)?.body);
        const list = restGet(table, `${key.id}/versions`, when)?.body as { value: unknown[] };
        const versions = list.value.map(parseKeyVersion).filter((v) => v !== undefined);
        expect(versions).toHaveLength(2);
        const target = { account: "a", fhirServiceId: fhir.id, keyId: key.id, keyRotationDays: 90 } as AccountTarget;
        const { status } = assessKey({ target, keyUrl: svc?.keyEncryptionKeyUrl, versions, nowMs: when, lagHours: 48, expiryWarnDays: 30 });
        expect(status).toEqual(expect.objectContaining({ version: versions[0]?.version, isLatest: false, problems: ["lagging"] }));
        expect(svc?.identity?.userAssigned).toEqual(
            expect.objectContaining({
                [String((fhir.inputs.identity as { userAssignedIdentities: string[] }).userAssignedIdentities[0]).toLowerCase()]:
                    expect.anything(),
            }),
        );
    });
});

describe("refresh as azure-native's Read: only what Azure changed reaches the inputs", () => {
    test("a GET with Azure's shapes and nothing changed leaves the inputs as they were; taking the GET as the inputs would not", () => {
        const { table, fhir, fhirInputs, key, storage } = deployAccount(90);
        const service = table.get(fhir.id) as ArmRecord;
        const before = azureOutputs(table, service, T0);
        const after = azureOutputs(table, service, T0 + 400 * DAY);
        expect(refreshedInputs(service.type, fhirInputs, before, after)).toEqual(fhirInputs);
        // The GET differs from the inputs (identity map, read-only state, no path parameters): a Read that returned its
        // projection as the inputs would make every refresh an update (and a replacement, for the path parameters).
        expect(before.identity).toEqual(expect.objectContaining({ userAssignedIdentities: expect.any(Object) }));
        expect(before.provisioningState).toBe("Succeeded");
        expect(projectToInputs(service.type, after)).not.toEqual(fhirInputs);
        // A rotation changes the key's outputs, not its inputs; storage switching versions changes no input either.
        const k = table.get(key.id) as ArmRecord;
        expect(refreshedInputs(k.type, k.inputs, azureOutputs(table, k, T0), azureOutputs(table, k, T0 + 400 * DAY))).toEqual(k.inputs);
        const s = table.get(storage.id) as ArmRecord;
        expect(refreshedInputs(s.type, s.inputs, azureOutputs(table, s, T0 + DAY), azureOutputs(table, s, T0 + 400 * DAY))).toEqual(
            s.inputs,
        );
    });

    test("a portal edit (a tag, a nested setting) comes back as that change only", () => {
        const { table, azure, fhir, fhirInputs } = deployAccount(90);
        const before = azureOutputs(table, table.get(fhir.id) as ArmRecord, T0);
        azure.outOfBand(fhir.id, (side) => ({ ...side, drift: { tags: { owner: "someone" }, corsConfiguration: { maxAge: 5 } } }));
        const after = azureOutputs(table, table.get(fhir.id) as ArmRecord, T0);
        expect(refreshedInputs(fhir.type, fhirInputs, before, after)).toEqual({
            ...fhirInputs,
            tags: { owner: "someone" },
            corsConfiguration: { ...fhirInputs.corsConfiguration, maxAge: 5 },
        });
        // A PUT overwrites it (the next pulumi up puts the program's values back).
        azure.update(table.get(fhir.id) as ArmRecord, fhirInputs, fhir.outputs, SUB);
        expect(azureOutputs(table, table.get(fhir.id) as ArmRecord, T0).tags).toEqual(fhirInputs.tags);
    });

    test("applyDiff as azure-native's: deletes, adds, and updates recursively into objects and arrays", () => {
        expect(
            applyDiff(
                { a: 1, b: { c: 1, d: 2 }, e: [{ f: 1, g: 1 }], x: 1 },
                { a: 1, b: { c: 1 }, e: [{ f: 1 }], x: 1 },
                { a: 2, b: { c: 3 }, e: [{ f: 4 }], y: 5 },
            ),
        ).toEqual({
            a: 2,
            b: { c: 3, d: 2 },
            e: [{ f: 4, g: 1 }],
            y: 5,
        });
    });
});

describe("faults: azure-native's retries on what ARM answers", () => {
    const urn = "urn:pulumi:dev::p::azure-native:healthcareapis:FhirService::contoso-fhir";
    const faults = (rules: ConstructorParameters<typeof Faults>[0]) => {
        const log = path.join(tmp(), "faults.jsonl");
        return { faults: new Faults(rules, log), log };
    };
    beforeEach(() => {
        process.env.FHIR_FAKE_TIME_SCALE = "0";
    });

    test("429 with Retry-After is retried after that long, at most 3 times; a Retry-After beyond 120 s is not retried", async () => {
        const twice = faults([{ match: "contoso-fhir", op: "create", kind: "throttle", times: 2, retryAfterSeconds: 7 }]);
        await expect(twice.faults.withRetries("create", urn, SUB, () => "created")).resolves.toBe("created");
        expect(readFaultLog(twice.log).map((e) => [e.status, e.outcome, e.delayMs])).toEqual([
            [429, "retried", 7000],
            [429, "retried", 7000],
        ]);
        const always = faults([{ match: "contoso-fhir", op: "create", kind: "throttle", times: 10 }]);
        const failed = always.faults.withRetries("create", urn, SUB, () => "created");
        await expect(failed).rejects.toThrow(/Status=429 Code="SubscriptionRequestsThrottled"/);
        expect(readFaultLog(always.log).map((e) => e.outcome)).toEqual([...Array(ARM_RETRY.maxRetries).fill("retried"), "failed"]);
        const long = faults([{ match: "contoso-fhir", op: "create", kind: "throttle", retryAfterSeconds: 121 }]);
        await expect(long.faults.withRetries("create", urn, SUB, () => "created")).rejects.toBeInstanceOf(ArmError);
        expect(readFaultLog(long.log).map((e) => e.outcome)).toEqual(["failed"]);
    });

    test("500 is retried with azure-native's backoff (20 s, 60 s, 120 s capped); other resources and operations are untouched", async () => {
        const { faults: f, log } = faults([{ match: "contoso-fhir", op: "create", kind: "serverError", times: 3 }]);
        await expect(f.withRetries("update", urn, SUB, () => "updated")).resolves.toBe("updated");
        await expect(f.withRetries("create", urn.replace("contoso", "fabrikam"), SUB, () => "other")).resolves.toBe("other");
        expect(readFaultLog(log)).toEqual([]);
        await expect(f.withRetries("create", urn, SUB, () => "created")).resolves.toBe("created");
        expect(readFaultLog(log).map((e) => e.delayMs)).toEqual([backoffMs(1), backoffMs(2), backoffMs(3)]);
        expect([backoffMs(1), backoffMs(2), backoffMs(3)]).toEqual([20_000, 60_000, 120_000]);
    });
});
