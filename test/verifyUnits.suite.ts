/** The verify modules as plain functions: backoff, pool, redaction, challenge parsing, outputs parsing, diagnoses. */
import { devStack } from "./helpers/devStack";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { exportOperations } from "../tools/verify/check";
import { scopeFor } from "../tools/verify/credential";
import {
    bodyExcerpt,
    callerClaims,
    diagnoseNetwork,
    diagnoseToken,
    diagnoseUnauthorized,
    parseBearerChallenge,
} from "../tools/verify/diagnose";
import { classifyNetworkError, parseRetryAfter, retryDelayMs, type HttpResponse } from "../tools/verify/http";
import { runPool } from "../tools/verify/pool";
import { redact, REDACTED } from "../tools/verify/redact";
import { parseTargets, readStackOutputs, VerifyConfigError, type AccountTarget } from "../tools/verify/targets";

const jwt = (claims: Record<string, unknown>): string =>
    [{ alg: "HS256", typ: "JWT" }, claims].map((p) => Buffer.from(JSON.stringify(p)).toString("base64url")).join(".") +
    ".c2lnbmF0dXJlLXNpZw";

const target: AccountTarget = {
    account: "contoso",
    fhirUrl: "https://wscontoso-contoso.fhir.azurehealthcareapis.com",
    audience: "https://wscontoso-contoso.fhir.azurehealthcareapis.com",
    authority: "https://login.microsoftonline.com/72f988bf-0000-4000-8000-000000000001",
    exportEnabled: true,
    smartIdentityProviders: [],
    acrLoginServers: [],
    acrTemplateImages: [],
};

describe("backoff", () => {
    const policy = { retries: 5, baseDelayMs: 500, maxDelayMs: 8_000 };
    it("reads Retry-After as seconds or an HTTP date", () => {
        const now = Date.parse("2026-01-01T00:00:00Z");
        expect(parseRetryAfter("3", now)).toBe(3000);
        expect(parseRetryAfter("0.5", now)).toBe(500);
        expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:07 GMT", now)).toBe(7000);
        expect(parseRetryAfter("Wed, 31 Dec 2025 23:00:00 GMT", now)).toBe(0);
        expect(parseRetryAfter("soon", now)).toBeUndefined();
        expect(parseRetryAfter(null, now)).toBeUndefined();
    });
    it("honours Retry-After up to the cap, else doubles with jitter in [d/2, d]", () => {
        expect(retryDelayMs(1, policy, () => 0.5, 3000)).toBe(3000);
        expect(retryDelayMs(1, policy, () => 0.5, 60_000)).toBe(8000);
        expect([1, 2, 3, 4, 5].map((n) => retryDelayMs(n, policy, () => 1))).toEqual([500, 1000, 2000, 4000, 8000]);
        expect([1, 2, 3].map((n) => retryDelayMs(n, policy, () => 0))).toEqual([250, 500, 1000]);
        expect(retryDelayMs(9, policy, () => 0)).toBe(4000);
    });
});

describe("runPool", () => {
    it("never runs more than the bound, keeps input order in results, reports completion order", async () => {
        let active = 0;
        let maxActive = 0;
        const gates = new Map<number, () => void>();
        const started: number[] = [];
        const settled: number[] = [];
        const pool = runPool(
            [0, 1, 2, 3, 4],
            2,
            (i) =>
                new Promise<string>((resolve) => {
                    active++;
                    maxActive = Math.max(maxActive, active);
                    started.push(i);
                    gates.set(i, () => {
                        active--;
                        resolve(`r${i}`);
                    });
                }),
            (_r, i) => settled.push(i),
        );
        const release = async (i: number): Promise<void> => {
            for (let spins = 0; !gates.has(i) && spins < 100; spins++) await new Promise((r) => setImmediate(r));
            gates.get(i)!();
        };
        // 0 never finishes until the end: 1..4 all pass through the second slot.
        for (const i of [1, 2, 3, 4]) await release(i);
        expect(started).toEqual([0, 1, 2, 3, 4]);
        await release(0);
        expect(await pool).toEqual(["r0", "r1", "r2", "r3", "r4"]);
        expect(settled).toEqual([1, 2, 3, 4, 0]);
        expect(maxActive).toBe(2);
    });
    it("rejects a non-positive bound", async () => {
        await expect(runPool([1], 0, async (x) => x)).rejects.toThrow(RangeError);
    });
});

describe("redact", () => {
    it("removes JWTs and bearer values, keeps challenge parameters", () => {
        const token = jwt({ aud: "x", oid: "y" });
        expect(redact(`got ${token} back`)).toBe(`got ${REDACTED} back`);
        expect(redact("Authorization: Bearer abcdefghijklmnopqrstuvwxyz0123456789")).toBe(`Authorization: Bearer ${REDACTED}`);
        const challenge = 'Bearer authorization_uri="https://login.microsoftonline.com/t", resource_id="https://a"';
        expect(redact(challenge)).toBe(challenge);
    });
});

describe("challenge, claims and body excerpts", () => {
    it("parses a Bearer challenge", () => {
        expect(
            parseBearerChallenge(
                'Bearer authorization_uri="https://login.microsoftonline.com/t1", resource_id="https://svc", error="invalid_token"',
            ),
        ).toEqual({
            authorization_uri: "https://login.microsoftonline.com/t1",
            resource_id: "https://svc",
            error: "invalid_token",
        });
        expect(parseBearerChallenge(null)).toEqual({});
    });
    it("reads oid/tid/aud from a token without keeping it", () => {
        expect(callerClaims(jwt({ oid: "o", tid: "t", aud: "a", scp: "x" }))).toEqual({ oid: "o", tid: "t", aud: "a" });
        expect(callerClaims("not-a-jwt")).toEqual({});
    });
    it("summarises OperationOutcome bodies, redacted", () => {
        const body = JSON.stringify({ resourceType: "OperationOutcome", issue: [{ code: "login", diagnostics: `bad ${jwt({ a: 1 })}` }] });
        expect(bodyExcerpt(body)).toBe(`login: bad ${REDACTED}`);
    });
});

describe("diagnoses", () => {
    const res401 = (challenge: string): HttpResponse => ({
        kind: "response",
        status: 401,
        headers: new Headers({ "www-authenticate": challenge }),
        body: "",
        attempts: 1,
        waits: [],
    });
    it("401 from a service that trusts another tenant names both tenants", () => {
        const d = diagnoseUnauthorized(
            target,
            "GET /metadata",
            res401(`Bearer authorization_uri="https://login.microsoftonline.com/other-tenant", resource_id="${target.audience}"`),
            {},
        );
        expect(d.summary).toContain("the service trusts tenant other-tenant, the stack says 72f988bf-0000-4000-8000-000000000001");
    });
    it("401 with a token from the wrong tenant says where the token came from", () => {
        const d = diagnoseUnauthorized(target, "GET /metadata", res401(""), { tid: "someone-else", aud: target.audience });
        expect(d.summary).toContain("token from tenant someone-else");
        expect(d.remedies.join("\n")).toContain("az login --tenant 72f988bf-0000-4000-8000-000000000001");
    });
    it("token failures: wrong tenant, unknown resource, unavailable credential, timeout", () => {
        const tenantErr = Object.assign(new Error("The current credential is not configured to acquire tokens for tenant 72f9..."), {
            name: "CredentialUnavailableError",
        });
        expect(diagnoseToken(target, "azure-cli", tenantErr).summary).toContain("wrong tenant");
        const resErr = new Error("AADSTS500011: The resource principal named https://x was not found in the tenant");
        expect(diagnoseToken(target, "default", resErr).summary).toContain(`no resource ${target.audience}`);
        const unavailable = Object.assign(new Error("ManagedIdentityCredential: Network unreachable."), {
            name: "CredentialUnavailableError",
        });
        const d = diagnoseToken(target, "managed-identity", unavailable);
        expect(d.summary).toBe('token: credential "managed-identity" is not available here');
        expect(d.remedies[0]).toContain("IDENTITY_ENDPOINT");
        expect(diagnoseToken(target, "default", Object.assign(new Error("x"), { name: "TokenTimeoutError" })).summary).toContain(
            "no token in time",
        );
        const leaky = new Error(`failed with ${jwt({ a: 1 })}`);
        expect(JSON.stringify(diagnoseToken(target, "default", leaky))).not.toContain("eyJ");
    });
    it("DNS failure points at the private endpoint and its DNS", () => {
        const d = diagnoseNetwork(
            target,
            "GET /metadata",
            { kind: "network", error: "dns", code: "ENOTFOUND", message: "getaddrinfo ENOTFOUND", attempts: 1, waits: [] },
            1000,
        );
        expect(d.summary).toContain("DNS lookup for wscontoso-contoso.fhir.azurehealthcareapis.com failed (ENOTFOUND)");
        expect(d.remedies[0]).toMatch(/private endpoint.*private DNS zone/);
    });
    it("classifies fetch failures by the innermost error code", () => {
        const wrapped = new TypeError("fetch failed", {
            cause: Object.assign(new Error("getaddrinfo ENOTFOUND x"), { code: "ENOTFOUND" }),
        });
        expect(classifyNetworkError(wrapped)).toEqual({ error: "dns", code: "ENOTFOUND" });
        expect(
            classifyNetworkError(new TypeError("fetch failed", { cause: Object.assign(new Error("x"), { code: "ECONNREFUSED" }) })),
        ).toEqual({ error: "refused", code: "ECONNREFUSED" });
        expect(classifyNetworkError(new Error("?"))).toEqual({ error: "other" });
    });
});

describe("$export detection", () => {
    it("finds export at system or resource level, by name or definition", () => {
        expect(exportOperations({ rest: [{ operation: [{ name: "export" }] }] })).toEqual(["system"]);
        expect(exportOperations({ rest: [{ resource: [{ type: "Group", operation: [{ name: "$export" }] }] }] })).toEqual(["Group"]);
        expect(
            exportOperations({
                rest: [{ operation: [{ name: "bulk", definition: "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export" }] }],
            }),
        ).toEqual(["system"]);
        expect(exportOperations({ rest: [{ operation: [{ name: "convert-data" }], resource: [{ type: "Patient" }] }] })).toEqual([]);
        expect(exportOperations({})).toEqual([]);
    });
    it("scope is the audience + /.default", () => {
        expect(scopeFor("https://a.fhir.azurehealthcareapis.com/")).toBe("https://a.fhir.azurehealthcareapis.com/.default");
    });
});

describe("stack outputs", () => {
    it("accepts the dev stack's real `accounts` output (run under mocks)", async () => {
        const { outputs } = await devStack();
        const targets = parseTargets(outputs);
        expect(targets.map((t) => t.account).sort()).toEqual(["contoso", "fabrikam", "tailspin"]);
        const byName = Object.fromEntries(targets.map((t) => [t.account, t]));
        expect(byName.tailspin!.exportEnabled).toBe(false);
        // The SMART on FHIR proxy is retired: the outputs no longer carry it (absent, read as off); the fields that
        // replaced it are there.
        expect(targets.every((t) => t.smartProxyEnabled === undefined)).toBe(true);
        expect(byName.fabrikam!.smartIdentityProviders).toEqual(["https://login.fabrikam.example/realms/fhir"]);
        expect(byName.fabrikam!.importEnabled).toBe(true);
        expect(byName.tailspin!.acrLoginServers).toEqual(["tailspintemplates.azurecr.io"]);
        expect(byName.tailspin!.acrTemplateImages).toEqual(["tailspintemplates.azurecr.io/hl7v2templates:default"]);
        expect(byName.contoso!.acrTemplateImages).toEqual([]);
        for (const t of targets) {
            expect(t.audience).toBe(t.fhirUrl);
            expect(t.authority).toMatch(/^https:\/\/login\.microsoftonline\.com\/[0-9a-f-]{36}$/);
            expect(t.keyUri).toMatch(/^https:\/\/kv-.*\.vault\.azure\.net\/keys\//);
            expect(t.identityPrincipalId).toBeDefined();
        }
        expect(parseTargets(outputs, ["fabrikam"]).map((t) => t.account)).toEqual(["fabrikam"]);
    });
    it("lists every problem, naming account and field; secrets are refused", () => {
        let err: unknown;
        try {
            parseTargets({
                accounts: {
                    a: {
                        fhirUrl: "[secret]",
                        audience: "ftp://x",
                        authority: "https://login.microsoftonline.com/t",
                        exportEnabled: true,
                        smartIdentityProviders: [],
                        acrLoginServers: [],
                        acrTemplateImages: [],
                    },
                },
            });
        } catch (e) {
            err = e;
        }
        expect(err).toBeInstanceOf(VerifyConfigError);
        expect((err as VerifyConfigError).problems).toEqual([
            "accounts.a.fhirUrl: expected a plain string, got a secret",
            "accounts.a.audience: not an http(s) URL: ftp://x",
        ]);
        expect(() => parseTargets({ other: 1 })).toThrow("no `accounts` map");
    });
    it("runs `pulumi stack output --json --show-secrets=false --stack <name>`", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "verify-pulumi-"));
        try {
            const bin = path.join(dir, "pulumi");
            fs.writeFileSync(bin, `#!/bin/sh\necho "$@" > "${dir}/args"\necho '{"accounts":{}}'\n`, { mode: 0o755 });
            await expect(readStackOutputs("dev", bin)).resolves.toEqual({ accounts: {} });
            expect(fs.readFileSync(path.join(dir, "args"), "utf8").trim()).toBe("stack output --json --show-secrets=false --stack dev");
            const failing = path.join(dir, "pulumi-fail");
            fs.writeFileSync(failing, `#!/bin/sh\necho "error: no stack named 'prod' found" >&2\nexit 255\n`, { mode: 0o755 });
            await expect(readStackOutputs("prod", failing)).rejects.toThrow("no stack named 'prod' found");
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

describe("DefaultAzureCredential chain failures", () => {
    it("lists one line per credential tried", () => {
        const chain = Object.assign(new Error("ChainedTokenCredential authentication failed."), {
            name: "AggregateAuthenticationError",
            errors: [
                Object.assign(new Error("EnvironmentCredential is unavailable."), { name: "CredentialUnavailableError" }),
                Object.assign(new Error("Azure CLI could not be found."), { name: "CredentialUnavailableError" }),
            ],
        });
        const d = diagnoseToken(target, "default", chain);
        expect(d.summary).toBe('token: credential "default" is not available here');
        expect(d.facts.slice(0, 2)).toEqual([
            "CredentialUnavailableError: EnvironmentCredential is unavailable.",
            "CredentialUnavailableError: Azure CLI could not be found.",
        ]);
    });
});
