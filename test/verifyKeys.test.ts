/**
 * verify's key check: did key rotation reach each FHIR service? End to end against loopback fakes (identity endpoint,
 * FHIR service, Azure Resource Manager) through the real CLI code, then the assessment as a pure function. The clock
 * is fixed: ages, lags and expiries are exact, and nothing waits.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { BUILT_IN_ROLES } from "../azure/facts";
import type { AccountResult } from "../tools/verify/check";
import { parseVerifyArgs, runVerify } from "../tools/verify/cli";
import { armResourceFor, parseKeyVersion, READER_ROLE, type KeyVersion } from "../tools/verify/arm";
import { diagnoseServerError } from "../tools/verify/diagnose";
import type { HttpResponse } from "../tools/verify/http";
import { assessKey, formatHours, parseKeyUrl, type KeyStatus } from "../tools/verify/keys";
import { parseTargets, VerifyConfigError, type AccountTarget } from "../tools/verify/targets";
import {
    ARM_AUDIENCE,
    FAKE_IDENTITY_PRINCIPAL,
    IN_USE_VERSION,
    NEWER_VERSION,
    OLDER_VERSION,
    RECREATED_PRINCIPAL,
    STALE_PRINCIPAL,
    fakeFhirServiceId,
    fakeIdentityId,
    fakeKeyId,
} from "./fakes/armServer";
import { FakeSigner } from "./fakes/jwt";
import {
    RIG_CALLER_OID as CALLER_OID,
    RIG_TENANT as TENANT,
    diagnosisText as text,
    resultOf as account,
    startVerifyRig,
    type RigRun as Run,
    type RigSetup as Setup,
    type VerifyRig,
} from "./fakes/verifyRig";

const NOW = Date.parse("2026-11-15T12:00:00Z");
const D = 86_400;

let rig: VerifyRig;
const closers: (() => Promise<void>)[] = [];
beforeAll(async () => {
    rig = await startVerifyRig({ nowMs: NOW, tmpPrefix: "verify-keys-" });
});
afterAll(async () => {
    await Promise.all(closers.map((c) => c()));
    await rig.close();
});
const setup: VerifyRig["setup"] = (accounts) => rig.setup(accounts);
const verify: VerifyRig["verify"] = (s, extra) => rig.verify(s, extra);

const keyCheck = (r: AccountResult) => r.checks.find((c) => c.name === "key");
const codes = (r: AccountResult): string[] => r.diagnoses.map((d) => d.code);

describe("key check end to end (fake identity, FHIR and Azure Resource Manager)", () => {
    let s: Setup;
    let run: Run;
    beforeAll(async () => {
        s = await setup({
            healthy: { arm: { behaviour: "healthy" } },
            pending: { arm: { behaviour: "pending" } },
            lagging: { arm: { behaviour: "lagging" } },
            expiring: { arm: { behaviour: "expiring" } },
            expired: { arm: { behaviour: "expired" } },
            broken: { fhir: { behaviour: "server-error" }, arm: { behaviour: "disabled" } },
            versionless: { arm: { behaviour: "versionless" } },
            otherkey: { arm: { behaviour: "other-key" } },
            noreader: { arm: { behaviour: "forbidden" } },
            deleted: { arm: { behaviour: "deleted" } },
            legacy: {},
        });
        run = await verify(s);
    });

    it("exits 1; healthy, pending and legacy accounts pass, every key problem fails its account", () => {
        expect(run.code).toBe(1);
        const healthy = run.report?.accounts.filter((a) => a.healthy).map((a) => a.account);
        expect(healthy).toEqual(["healthy", "pending", "legacy"]);
        expect(run.stdout).toMatch(/^ACCOUNT\s+TOKEN\s+DNS\s+METADATA\s+READ\s+EXPORT\s+SMART\s+KEY\s+SMOKE\s+RESULT$/m);
        expect(run.stdout).toMatch(/^lagging\s+ok\s+-\s+ok\s+ok\s+ok\s+-\s+FAIL\s+-\s+key: rotation has not reached the service/m);
    });

    it("reads ARM with an ARM token, the documented api-versions, and every page of versions", () => {
        expect(rig.mi.requests.map((r) => r.resource)).toContain(ARM_AUDIENCE);
        expect(s.arm.requests.length).toBeGreaterThan(0);
        expect(s.arm.requests.every((r) => r.status !== 400 && r.status !== 401)).toBe(true);
        const forHealthy = s.arm.requests.filter((r) => r.account === "healthy");
        expect(forHealthy.map((r) => [r.kind, r.apiVersion])).toEqual([
            ["fhir", "2024-03-31"],
            ["identity", "2023-01-31"], // the identity's principal now, for the 500 diagnosis
            ["versions", "2024-11-01"],
            ["versions", "2024-11-01"], // the fake serves one version per page: nextLink followed
        ]);
        expect(s.arm.requests.some((r) => r.account === "legacy")).toBe(false);
    });

    it("reports, per account, the version in use, whether it is the latest enabled one, its age and expiry", () => {
        const h = account(run, "healthy");
        expect(keyCheck(h)?.status).toBe("pass");
        expect(h.key).toMatchObject<Partial<KeyStatus>>({
            version: IN_USE_VERSION,
            latestEnabledVersion: IN_USE_VERSION,
            isLatest: true,
            enabled: true,
            ageHours: 30 * 24,
            versionCount: 2,
            problems: [],
        });
        expect(h.key?.expiresAt).toBeUndefined();
        expect(run.stdout).toContain("KEY VERSIONS (Azure Resource Manager)");
        expect(run.stdout).toMatch(
            new RegExp(`^  healthy\\s+ok\\s+fhir-cmk/${IN_USE_VERSION}, latest enabled version, 30 d old, no expiry$`, "m"),
        );
        expect(run.stdout).toMatch(/^ {2}legacy\s+-\s+skipped: stack outputs lack fhirServiceId\/keyId \(redeploy with this version\)$/m);
    });

    it("a newer version inside the lag window passes, with a note", () => {
        const p = account(run, "pending");
        expect(keyCheck(p)?.status).toBe("pass");
        expect(p.key).toMatchObject({ isLatest: false, newerVersion: NEWER_VERSION });
        expect(p.key?.notes.join("\n")).toContain("created 3 h ago: within --key-lag-hours 48");
    });

    it("lagging: names the versions and says to run the rotation workflow / pulumi refresh && pulumi up", () => {
        const r = account(run, "lagging");
        expect(codes(r)).toEqual(["key-lagging"]);
        const d = r.diagnoses[0]!;
        expect(d.summary).toBe("key: rotation has not reached the service: it uses 01234567… although fedcba98… has been enabled for 5 d");
        expect(d.facts.join("\n")).toContain(`${NEWER_VERSION} (created 2026-11-10 12:00 UTC)`);
        expect(d.facts.join("\n")).toContain("--key-lag-hours 48");
        expect(d.remedies.join("\n")).toContain("run the workflow .github/workflows/key-rotation.yml, or `pulumi up --refresh`");
        expect(d.remedies.join("\n")).toContain("keep 01234567… enabled");
        expect(r.key).toMatchObject({ isLatest: false, ageHours: 95 * 24 });
    });

    it("expiring soon and expired: the danger (wrap vs unwrap) and the fix", () => {
        const soon = account(run, "expiring");
        expect(codes(soon)).toEqual(["key-expiring"]);
        expect(soon.diagnoses[0]!.summary).toContain("expires in 10 d (2026-11-25 12:00 UTC)");
        expect(text(soon)).toContain(
            `az keyvault key set-attributes --id https://kv-expiring.vault.azure.net/keys/fhir-cmk/${IN_USE_VERSION} --expires`,
        );
        expect(text(soon)).toContain("no longer wraps");
        const past = account(run, "expired");
        expect(codes(past)).toEqual(["key-expired"]);
        expect(past.diagnoses[0]!.summary).toContain("expired 2026-11-13 12:00 UTC: Key Vault still unwraps with it but no longer wraps");
        expect(text(past)).toContain("az keyvault key rotate --vault-name kv-expired --name fhir-cmk");
        expect(past.key?.expiresInHours).toBe(-48);
        expect(run.stdout).toMatch(/^ {2}expired\s+FAIL\s+.*EXPIRED 2026-11-13$/m);
    });

    it(
        "disabled: the 500 diagnosis says the version in use is disabled, names the vault firewall, and the key check says how to " +
            "re-enable",
        () => {
            const r = account(run, "broken");
            expect(codes(r)).toEqual(["server-error", "key-disabled"]);
            const [fivehundred, key] = r.diagnoses as [AccountResult["diagnoses"][0], AccountResult["diagnoses"][0]];
            expect(fivehundred.summary).toBe(`GET /metadata: 500 server error: its CMK key version fhir-cmk/${IN_USE_VERSION} is disabled`);
            expect(fivehundred.facts.join("\n")).toContain("the key check (Azure Resource Manager) found that its CMK key version");
            // Re-enabling comes first when the key check found the version disabled; the port ARM adds is gone.
            expect(fivehundred.remedies[1]).toContain(
                `az keyvault key set-attributes --id https://kv-broken.vault.azure.net/keys/fhir-cmk/${IN_USE_VERSION} --enabled true`,
            );
            const remedies = fivehundred.remedies.join("\n");
            expect(remedies).toContain("trusted-services list does not name Health Data Services");
            expect(remedies).toContain("az keyvault show --name kv-broken --query properties.networkAcls");
            expect(remedies).toContain("keyVaultNetwork: allNetworks");
            expect(remedies).toContain(BUILT_IN_ROLES["Key Vault Crypto Service Encryption User"]);
            expect(remedies).toContain("recovered from soft delete");
            expect(key.summary).toContain("is disabled: the service cannot use its key and answers 500");
            expect(key.remedies.join("\n")).toContain("never disable a version a FHIR service or storage account still uses");
            expect(key.remedies.join("\n")).not.toContain(":443");
            expect(run.stdout).toMatch(new RegExp(`^  broken\\s+FAIL\\s+fhir-cmk/${IN_USE_VERSION}, DISABLED, 30 d old, no expiry$`, "m"));
        },
    );

    it("versionless URL, another vault's key, a deleted key", () => {
        const v = account(run, "versionless");
        expect(codes(v)).toEqual(["key-versionless"]);
        expect(v.diagnoses[0]!.summary).toBe(
            "key: the FHIR service has a versionless key URL https://kv-versionless.vault.azure.net/keys/fhir-cmk",
        );
        expect(text(v)).toContain("Microsoft documents only versioned key URIs for FHIR CMK");
        const o = account(run, "otherkey");
        expect(codes(o)).toEqual(["key-other-key"]);
        expect(o.diagnoses[0]!.summary).toBe("key: the FHIR service uses kv-elsewhere/fhir-cmk, not the stack's key kv-otherkey/fhir-cmk");
        const gone = account(run, "deleted");
        expect(codes(gone)).toEqual(["key-deleted"]);
        expect(gone.key?.problems).toEqual(["deleted"]);
        expect(text(gone)).toContain("az keyvault key recover --vault-name kv-deleted --name fhir-cmk");
    });

    it("ARM 403: the verifying identity needs Reader on the account's resource group", () => {
        const r = account(run, "noreader");
        expect(codes(r)).toEqual(["arm-forbidden"]);
        expect(r.diagnoses[0]!.summary).toContain("403 Forbidden: the verifying identity needs Reader on the account's resource group");
        expect(r.diagnoses[0]!.remedies[0]).toBe(
            `grant Reader (${READER_ROLE.id}): \`az role assignment create --assignee-object-id ${CALLER_OID} --role Reader --scope ` +
                `/subscriptions/00000000-0000-4000-8000-00000000d001/resourceGroups/rg-fhir-dev-noreader\``,
        );
        expect(r.key).toBeUndefined();
        // The data plane was fine: only the key check failed.
        expect(r.checks.filter((c) => c.status === "fail").map((c) => c.name)).toEqual(["key"]);
    });

    it("never prints a token (FHIR or ARM): not in stdout, stderr or the JSON report", () => {
        // ARM tokens were issued too (aud https://management.azure.com), and the fake ARM's 403 names the caller.
        const audiences = rig.signer.issued.map((tok) => {
            const v = rig.signer.verify(tok);
            return v.ok ? v.claims.aud : undefined;
        });
        expect(audiences).toContain(ARM_AUDIENCE);
        expect(rig.signer.leaksIn([run.stdout, run.stderr, JSON.stringify(run.report ?? {})].join("\n"))).toEqual([]);
    });
});

describe("the leak detector the redaction tests rely on", () => {
    it("finds a whole token, a signature alone, and anything JWT-shaped", () => {
        const own = new FakeSigner();
        const token = own.sign({ aud: "a", iss: "i", tid: "t", oid: "o", iat: 0, exp: 1 });
        expect(own.leaksIn("nothing here")).toEqual([]);
        expect(own.leaksIn(`got ${token}`)).toEqual(["token #1 (whole)", "a JWT-shaped string"]);
        expect(own.leaksIn(`sig ${token.split(".")[2]}`)).toEqual(["token #1 (signature)"]);
        expect(own.leaksIn("eyJhbGciOiJub25lIn0.eyJ4Ijo")).toEqual(["a JWT-shaped string"]);
    });
});

describe("key check thresholds are the options'", () => {
    let s: Setup;
    beforeAll(async () => {
        s = await setup({
            lagging: { arm: { behaviour: "lagging" } },
            expiring: { arm: { behaviour: "expiring" } },
            pending: { arm: { behaviour: "pending" } },
        });
    });

    it("a 5-day lag and a 10-day expiry pass with --key-lag-hours 200 --key-expiry-warn-days 5", async () => {
        const run = await verify(s, [
            "--account",
            "lagging",
            "--account",
            "expiring",
            "--key-lag-hours",
            "200",
            "--key-expiry-warn-days",
            "5",
        ]);
        expect(run.code).toBe(0);
        expect(account(run, "lagging").key?.notes.join("\n")).toContain("within --key-lag-hours 200");
    });

    it("a 3-hour-old version fails with --key-lag-hours 1", async () => {
        const run = await verify(s, ["--account", "pending", "--key-lag-hours", "1"]);
        expect(run.code).toBe(1);
        expect(codes(account(run, "pending"))).toEqual(["key-lagging"]);
        expect(account(run, "pending").diagnoses[0]!.summary).toContain("has been enabled for 3 h");
    });
});

describe("nextLink", () => {
    it("a nextLink to another origin is not followed: the ARM token goes nowhere else", async () => {
        const seen: (string | undefined)[] = [];
        const foreign = http.createServer((req, res) => {
            seen.push(req.headers.authorization);
            res.writeHead(200, { "content-type": "application/json" });
            res.end('{"value":[]}');
        });
        await new Promise<void>((resolve) => foreign.listen(0, "127.0.0.1", resolve));
        closers.push(() => new Promise<void>((resolve) => foreign.close(() => resolve())));
        const foreignUrl = `http://127.0.0.1:${(foreign.address() as AddressInfo).port}${fakeKeyId("x")}/versions?api-version=2024-11-01&$skiptoken=1`;
        const s = await setup({ leaky: { arm: { behaviour: "foreign-next-link", foreignNextLink: foreignUrl } } });
        const run = await verify(s);
        expect(run.code).toBe(1);
        const d = account(run, "leaky").diagnoses[0]!;
        expect(d.code).toBe("arm-error");
        expect(d.summary).toContain("not followed (the ARM token goes nowhere else)");
        expect(seen).toEqual([]);
    });
});

describe("key check options", () => {
    it("defaults: 48 h lag, 30 days expiry warning, public-cloud ARM", () => {
        const a = parseVerifyArgs(["--stack", "dev"]);
        expect([a.keyLagHours, a.keyExpiryWarnDays, a.armEndpoint]).toEqual([48, 30, "https://management.azure.com"]);
        const b = parseVerifyArgs([
            "--stack",
            "dev",
            "--key-lag-hours",
            "72",
            "--key-expiry-warn-days",
            "0",
            "--arm-endpoint",
            "https://management.usgovcloudapi.net/",
        ]);
        expect([b.keyLagHours, b.keyExpiryWarnDays, b.armEndpoint]).toEqual([72, 0, "https://management.usgovcloudapi.net"]);
        // The ARM token's audience: another cloud's ARM takes tokens for itself; a loopback fake gets public-cloud ones.
        expect(armResourceFor(b.armEndpoint)).toBe("https://management.usgovcloudapi.net");
        expect(armResourceFor(a.armEndpoint)).toBe("https://management.azure.com");
        expect(armResourceFor("http://127.0.0.1:4000")).toBe("https://management.azure.com");
    });

    it.each([
        [["--key-lag-hours", "0"], /--key-lag-hours: expected an integer >= 1, got "0"/],
        [["--key-lag-hours", "two days"], /--key-lag-hours: expected an integer >= 1, got "two days"/],
        [["--key-lag-hours", "1.5"], /--key-lag-hours: expected an integer >= 1/],
        [["--key-expiry-warn-days=-1"], /--key-expiry-warn-days: expected an integer >= 0, got "-1"/],
        [["--arm-endpoint", "management.azure.com"], /--arm-endpoint: not a URL/],
        [["--arm-endpoint", "ftp://management.azure.com"], /--arm-endpoint: must be https/],
        [["--arm-endpoint", "http://management.azure.com"], /--arm-endpoint: must be https \(plain http only on loopback/],
        [["--arm-endpoint", "https://management.azure.com/subscriptions"], /--arm-endpoint: give only scheme, host and port/],
    ])("exits 2 on %j", async (extra, message) => {
        const err: string[] = [];
        const code = await runVerify(["--stack", "dev", ...extra], {
            stdout: () => undefined,
            stderr: (l) => err.push(l),
            stackOutputs: async () => ({ accounts: {} }),
        });
        expect(code).toBe(2);
        expect(err.join("\n")).toMatch(message);
        expect(err.join("\n")).toContain("Usage: npm run verify");
    });

    it("--help lists the key options and the permissions", async () => {
        const out: string[] = [];
        expect(await runVerify(["--help"], { stdout: (l) => out.push(l), stderr: () => undefined })).toBe(0);
        expect(out.join("\n")).toMatch(/--key-lag-hours N[\s\S]*--key-expiry-warn-days N[\s\S]*--arm-endpoint URL/);
        expect(out.join("\n")).toContain("Reader on each account's resource groups");
    });
});

describe("assessKey (pure)", () => {
    const nowS = NOW / 1000;
    const target: AccountTarget = {
        account: "a",
        fhirUrl: "https://wsa-a.fhir.azurehealthcareapis.com",
        audience: "https://wsa-a.fhir.azurehealthcareapis.com",
        authority: `https://login.microsoftonline.com/${TENANT}`,
        exportEnabled: false,
        smartIdentityProviders: [],
        acrLoginServers: [],
        acrTemplateImages: [],
        fhirServiceId: "/subscriptions/s/resourceGroups/rg-a/providers/Microsoft.HealthcareApis/workspaces/wsa/fhirservices/a",
        keyId: "/subscriptions/s/resourceGroups/rg-a/providers/Microsoft.KeyVault/vaults/kv-a/keys/fhir-cmk",
        keyRotationDays: 90,
    };
    const version = (v: string, createdAgoS: number, extra: Partial<KeyVersion> = {}): KeyVersion => ({
        version: v,
        keyUriWithVersion: `https://kv-a.vault.azure.net:443/keys/fhir-cmk/${v}`,
        enabled: true,
        created: nowS - createdAgoS,
        ...extra,
    });
    const assess = (keyUrl: string | undefined, versions: KeyVersion[] | undefined, lagHours = 48, expiryWarnDays = 30) =>
        assessKey({ target, keyUrl, versions, nowMs: NOW, lagHours, expiryWarnDays });
    const inUseUrl = `https://kv-a.vault.azure.net/keys/fhir-cmk/${IN_USE_VERSION}`;

    it("lags only when a newer enabled version is older than the threshold (strictly)", () => {
        expect(assess(inUseUrl, [version(IN_USE_VERSION, 100 * D), version(NEWER_VERSION, 48 * 3600)]).diagnoses).toEqual([]);
        expect(assess(inUseUrl, [version(IN_USE_VERSION, 100 * D), version(NEWER_VERSION, 48 * 3600 + 1)]).status.problems).toEqual([
            "lagging",
        ]);
        // A newer but disabled version is not one the service should move to.
        expect(
            assess(inUseUrl, [version(IN_USE_VERSION, 100 * D), version(NEWER_VERSION, 10 * D, { enabled: false })]).status,
        ).toMatchObject({ isLatest: true, problems: [] });
    });

    it("the lag runs from the first newer version, not the newest", () => {
        const r = assess(inUseUrl, [
            version(IN_USE_VERSION, 200 * D),
            version(NEWER_VERSION, 100 * D),
            version("ffff0000ffff0000ffff0000ffff0000", 3600),
        ]);
        expect(r.status.newerVersion).toBe(NEWER_VERSION);
        expect(r.diagnoses[0]!.summary).toContain("has been enabled for 100 d");
        expect(r.status.latestEnabledVersion).toBe("ffff0000ffff0000ffff0000ffff0000");
    });

    it("matches vault, key and version case-insensitively, and ignores the :443 ARM adds", () => {
        const r = assess(`https://KV-A.vault.azure.net:443/keys/FHIR-CMK/${IN_USE_VERSION.toUpperCase()}`, [
            version(IN_USE_VERSION, 10 * D),
        ]);
        expect(r.diagnoses).toEqual([]);
        expect(r.status.isLatest).toBe(true);
    });

    it("expiry: warns within the window (0 days: only once expired), fails once expired", () => {
        const soon = [version(IN_USE_VERSION, 10 * D, { expires: nowS + 10 * D })];
        expect(assess(inUseUrl, soon).status.problems).toEqual(["expiring"]);
        expect(assess(inUseUrl, soon, 48, 9).diagnoses).toEqual([]);
        expect(assess(inUseUrl, [version(IN_USE_VERSION, 10 * D, { expires: nowS })], 48, 0).status.problems).toEqual(["expired"]);
    });

    it("a version the key does not list, a service without CMK, a URL that is not a key", () => {
        expect(assess(inUseUrl, [version(NEWER_VERSION, D)]).status.problems).toEqual(["unknown-version"]);
        expect(assess(undefined, [version(IN_USE_VERSION, D)]).status.problems).toEqual(["no-cmk"]);
        expect(assess("https://kv-a.vault.azure.net/secrets/x", []).status.problems).toEqual(["not-a-key-url"]);
    });

    it("notes an idle rotation policy and disabled old versions, without failing", () => {
        const r = assess(inUseUrl, [version(OLDER_VERSION, 300 * D, { enabled: false }), version(IN_USE_VERSION, 200 * D)]);
        expect(r.diagnoses).toEqual([]);
        expect(r.status.notes.join("\n")).toContain("the newest enabled version is 200 d old although the stack rotates every 90 d");
        expect(r.status.notes.join("\n")).toContain("1 other version(s) disabled");
    });
});

describe("ARM shapes and URLs", () => {
    it("reads `exp` (the wire name of the expiry), created/updated and enabled from properties.attributes", () => {
        const v = parseKeyVersion({
            name: "abc",
            properties: {
                attributes: { enabled: true, created: 10, updated: 20, exp: 30, expires: 99 },
                keyUriWithVersion: "https://v.vault.azure.net:443/keys/k/abc",
            },
        });
        expect(v).toEqual({
            version: "abc",
            keyUriWithVersion: "https://v.vault.azure.net:443/keys/k/abc",
            enabled: true,
            created: 10,
            updated: 20,
            expires: 30,
        });
        expect(parseKeyVersion({ properties: { attributes: {} } })).toBeUndefined();
        expect(parseKeyVersion({ name: "x", properties: {} })?.enabled).toBe(false);
    });

    it("parses key URLs with and without version", () => {
        expect(parseKeyUrl("https://kv-a.vault.azure.net:443/keys/fhir-cmk/abc")).toEqual({
            vaultHost: "kv-a.vault.azure.net",
            vaultName: "kv-a",
            keyName: "fhir-cmk",
            version: "abc",
        });
        expect(parseKeyUrl("https://kv-a.vault.azure.net/keys/fhir-cmk/")).toEqual({
            vaultHost: "kv-a.vault.azure.net",
            vaultName: "kv-a",
            keyName: "fhir-cmk",
        });
        expect(parseKeyUrl("not a url")).toBeUndefined();
        expect(formatHours(47.4)).toBe("47 h");
        expect(formatHours(49)).toBe("2 d");
        expect(formatHours(10 * 24 - 0.01)).toBe("10 d");
    });

    it("stack outputs: malformed ARM IDs and rotation days are configuration problems", () => {
        let err: unknown;
        try {
            parseTargets({
                accounts: {
                    a: {
                        fhirUrl: "https://x",
                        audience: "https://x",
                        authority: "https://login.microsoftonline.com/t",
                        exportEnabled: false,
                        smartIdentityProviders: [],
                        acrLoginServers: [],
                        acrTemplateImages: [],
                        fhirServiceId: "wsa/a",
                        keyId: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv",
                        keyRotationDays: "90",
                    },
                },
            });
        } catch (e) {
            err = e;
        }
        expect(err).toBeInstanceOf(VerifyConfigError);
        const problems = (err as VerifyConfigError).problems.join("\n");
        expect(problems).toContain(
            "accounts.a.fhirServiceId: not an ARM ID of the form " +
                "/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.HealthcareApis/workspaces/<ws>/fhirservices/<name>",
        );
        expect(problems).toContain("accounts.a.keyId: not an ARM ID");
        expect(problems).toContain('accounts.a.keyRotationDays: expected a whole number of days >= 1, got "90"');
    });
});

describe("500 diagnosis and the vault network", () => {
    const t: AccountTarget = {
        account: "a",
        fhirUrl: "https://x",
        audience: "https://x",
        authority: "https://login.microsoftonline.com/t",
        exportEnabled: false,
        smartIdentityProviders: [],
        acrLoginServers: [],
        acrTemplateImages: [],
        keyUri: "https://kv-a.vault.azure.net/keys/fhir-cmk/v1",
        keyVaultUri: "https://kv-a.vault.azure.net/",
    };
    const res: HttpResponse = { kind: "response", status: 500, headers: new Headers(), body: "", attempts: 1, waits: [] };
    const all = (d: ReturnType<typeof diagnoseServerError>): string => [d.summary, ...d.facts, ...d.remedies].join("\n");

    it("trustedServices: names the firewall and the documentation conflict; allNetworks: rules the firewall out", () => {
        const trusted = all(diagnoseServerError({ ...t, keyVaultNetwork: "trustedServices" }, "GET /metadata", res));
        expect(trusted).toContain("does not name Health Data Services");
        expect(trusted).toContain("--bypass AzureServices");
        const open = all(diagnoseServerError({ ...t, keyVaultNetwork: "allNetworks" }, "GET /metadata", res));
        expect(open).toContain("its firewall is not the cause");
        expect(open).not.toContain("--bypass AzureServices");
        expect(open).toContain("Key Vault Crypto Service Encryption User");
    });

    it("an expired version in use leads the summary; a healthy key check points at access instead", () => {
        const expired: KeyStatus = {
            vaultName: "kv-a",
            keyName: "fhir-cmk",
            keyUrl: t.keyUri!,
            version: "v1",
            enabled: true,
            expiresAt: "2026-11-01T00:00:00.000Z",
            problems: ["expired"],
            notes: [],
        };
        expect(diagnoseServerError(t, "GET /metadata", res, expired).summary).toBe(
            "GET /metadata: 500 server error: its CMK key version fhir-cmk/v1 expired 2026-11-01",
        );
        const fine: KeyStatus = {
            vaultName: "kv-a",
            keyName: "fhir-cmk",
            keyUrl: t.keyUri!,
            version: "v1",
            enabled: true,
            problems: [],
            notes: [],
        };
        const d = diagnoseServerError(t, "GET /metadata", res, fine);
        expect(d.summary).toContain("likely lost access to its CMK key");
        expect(d.facts.join("\n")).toContain("enabled and without expiry: look at access (role, firewall) first");
    });
});

describe("500 diagnosis: a re-created user-assigned identity (ARM facts)", () => {
    let run: Run;
    beforeAll(async () => {
        const s = await setup({
            same: { fhir: { behaviour: "server-error" }, arm: { behaviour: "healthy", identity: "same" } },
            recreated: { fhir: { behaviour: "server-error" }, arm: { behaviour: "healthy", identity: "recreated" } },
            stale: { fhir: { behaviour: "server-error" }, arm: { behaviour: "healthy", identity: "service-stale" } },
            missing: { fhir: { behaviour: "server-error" }, arm: { behaviour: "healthy", identity: "missing" } },
        });
        run = await verify(s);
    });
    const serverError = (name: string) => account(run, name).diagnoses.find((d) => d.code === "server-error")!;

    it("re-created since the last `pulumi up`: the identity's principal differs from the outputs', the service still holds the old", () => {
        const d = serverError("recreated");
        expect(d.summary).toBe(
            "GET /metadata: 500 server error: the account's identity was re-created or removed from the service: update the service",
        );
        expect(d.facts).toContain(
            `the identity ${fakeIdentityId("recreated")} now has principal ${RECREATED_PRINCIPAL}, the stack outputs say ` +
                `${FAKE_IDENTITY_PRINCIPAL}: it was re-created since the last \`pulumi up\``,
        );
        expect(d.facts).toContain(
            `the FHIR service still holds principal ${FAKE_IDENTITY_PRINCIPAL} for that identity, not ${RECREATED_PRINCIPAL}: it was not ` +
                "updated after the identity was re-created",
        );
        // The remedy comes first: re-grant, then a PUT of the service (pulumi up makes none while its inputs are unchanged).
        expect(d.remedies[1]).toContain(
            "if the account's user-assigned identity was re-created (new principal ID): re-grant and update the FHIR service again",
        );
        expect(d.remedies[1]).toContain(`az resource update --ids ${fakeFhirServiceId("recreated")} --api-version 2024-03-31`);
    });

    it("the outputs were refreshed but the service was not updated: says so as a fact", () => {
        const d = serverError("stale");
        expect(d.facts).toContain(
            `the FHIR service still holds principal ${STALE_PRINCIPAL} for that identity, not ${FAKE_IDENTITY_PRINCIPAL}: it was not ` +
                "updated after the identity was re-created",
        );
        expect(d.facts.join("\n")).not.toContain("now has principal");
    });

    it("the service without the account's identity; and nothing said when ARM agrees with the outputs", () => {
        expect(serverError("missing").facts.join("\n")).toContain(
            "the FHIR service's identity (type SystemAssigned) does not include the account's identity",
        );
        const same = serverError("same");
        expect(same.summary).toContain("likely lost access to its CMK key");
        expect(same.facts.join("\n")).not.toMatch(/re-created|does not include/);
        // The case is still among the remedies, after the usual ones.
        expect(same.remedies.join("\n")).toContain("re-grant and update the FHIR service again");
    });
});
