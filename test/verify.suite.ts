/**
 * `verify` end to end against loopback fakes: @azure/identity's real ManagedIdentityCredential gets signed JWTs from a
 * fake App Service identity endpoint; a fake FHIR service checks each token's signature and audience and answers per
 * account. Runs the real CLI code (runVerify) and asserts diagnoses, retries, concurrency, exit codes and that no
 * token ever reaches stdout, stderr or the JSON report.
 */
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { BUILT_IN_ROLES, RETIRED_FEATURES } from "../azure/facts";
import type { AccountResult } from "../tools/verify/check";
import { runVerify, type VerifyIo } from "../tools/verify/cli";
import { createCredential } from "../tools/verify/credential";
import type { Clock } from "../tools/verify/http";
import type { VerifyReport } from "../tools/verify/report";
import { FakeSigner } from "./fakes/jwt";
import { startFakeManagedIdentity, type FakeManagedIdentity } from "./fakes/managedIdentity";
import { fakeStackOutputs, startFakeFhirServer, type FakeAccountSpec, type FakeFhirServer } from "./fakes/fhirServer";

const TENANT = "72f988bf-0000-4000-8000-000000000001";
const CALLER_OID = "9a0c4d2e-0000-4000-8000-00000000cafe";

const signer = new FakeSigner();
/** Audiences the fake tenant knows (every fake FHIR account registers its own). */
const knownResources = new Set<string>();
let mi: FakeManagedIdentity;
let restoreEnv: () => void;
let tmp: string;
const servers: FakeFhirServer[] = [];

beforeAll(async () => {
    // One identity endpoint for the whole file: msal-node keeps the managed identity source in a static.
    mi = await startFakeManagedIdentity({ signer, tenantId: TENANT, principalId: CALLER_OID, knownResources: () => knownResources });
    restoreEnv = mi.applyEnv();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "verify-test-"));
});

afterAll(async () => {
    restoreEnv();
    await Promise.all([mi.close(), ...servers.map((s) => s.close())]);
    fs.rmSync(tmp, { recursive: true, force: true });
});

async function fhirWith(accounts: Record<string, FakeAccountSpec>): Promise<FakeFhirServer> {
    const fhir = await startFakeFhirServer({ signer, tenantId: TENANT, accounts });
    servers.push(fhir);
    for (const a of Object.keys(accounts)) knownResources.add(fhir.audienceOf(a));
    return fhir;
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
    const s = http.createServer();
    await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
    const { port } = s.address() as AddressInfo;
    await new Promise<void>((resolve) => s.close(() => resolve()));
    return port;
}

let fileCount = 0;
function writeOutputs(outputs: unknown): string {
    const file = path.join(tmp, `outputs-${++fileCount}.json`);
    fs.writeFileSync(file, JSON.stringify(outputs));
    return file;
}

/** Sleeps recorded, not waited: retries are asserted without wall-clock time. */
function recordingClock(): Clock & { slept: number[] } {
    const slept: number[] = [];
    return { slept, sleep: async (ms) => void slept.push(ms), random: () => 1, now: Date.now };
}

interface Run {
    code: number;
    stdout: string;
    stderr: string;
    report?: VerifyReport;
    order: string[];
}

async function verify(argv: string[], extra: Partial<VerifyIo> = {}): Promise<Run> {
    const out: string[] = [];
    const err: string[] = [];
    const order: string[] = [];
    const jsonFile = path.join(tmp, `report-${++fileCount}.json`);
    const code = await runVerify([...argv, "--json", jsonFile], {
        stdout: (l) => out.push(l),
        stderr: (l) => err.push(l),
        backoff: { baseDelayMs: 100, maxDelayMs: 5_000 },
        ...extra,
        onAccountDone: (r) => {
            order.push(r.account);
            extra.onAccountDone?.(r);
        },
    });
    const report = fs.existsSync(jsonFile) ? (JSON.parse(fs.readFileSync(jsonFile, "utf8")) as VerifyReport) : undefined;
    return { code, stdout: out.join("\n"), stderr: err.join("\n"), order, ...(report ? { report } : {}) };
}

function account(run: Run, name: string): AccountResult {
    const r = run.report?.accounts.find((a) => a.account === name);
    if (!r) throw new Error(`no result for ${name}`);
    return r;
}

function expectNoTokens(run: Run): void {
    expect(signer.issued.length).toBeGreaterThan(0);
    // Not whole, not even the signature part alone.
    expect(signer.leaksIn([run.stdout, run.stderr, JSON.stringify(run.report ?? {})].join("\n"))).toEqual([]);
}

describe("verify against fake identity and FHIR endpoints", () => {
    let fhir: FakeFhirServer;
    let run: Run;
    let clock: ReturnType<typeof recordingClock>;
    let refusedUrl: string;

    beforeAll(async () => {
        fhir = await fhirWith({
            healthy: { behaviour: "healthy" },
            smart: { behaviour: "healthy" },
            oldstack: { behaviour: "healthy" },
            oldproxy: { behaviour: "healthy", smart: "proxy" },
            smartbroken: { behaviour: "healthy", smart: "incomplete" },
            noexport: { behaviour: "healthy", export: false },
            forbidden: { behaviour: "forbidden" },
            broken: { behaviour: "server-error" },
            throttled: { behaviour: "throttled", throttle: 2, retryAfter: "1" },
            stale: { behaviour: "healthy", echoTokenOn401: true },
            hang: { behaviour: "hang" },
        });
        // The stale account's stack output names an audience the tenant knows but the service does not accept.
        knownResources.add(`${fhir.baseUrl}/stale-old`);
        refusedUrl = `http://127.0.0.1:${await closedPort()}/refused`;
        knownResources.add(refusedUrl);
        const outputs = fakeStackOutputs(fhir, TENANT, {
            healthy: {},
            smart: { smartIdentityProviders: ["https://idp.example.com/tenant/v2.0"] },
            oldstack: { legacySmartProxy: false },
            oldproxy: { legacySmartProxy: true },
            smartbroken: { smartIdentityProviders: ["https://idp.example.com/tenant/v2.0"] },
            noexport: {},
            forbidden: {},
            broken: {},
            throttled: {},
            stale: { audience: `${fhir.baseUrl}/stale-old` },
            hang: {},
            refused: { fhirUrl: refusedUrl },
            unknownaud: { audience: "https://unknown.fhir.azurehealthcareapis.com" },
        });
        clock = recordingClock();
        run = await verify(
            [
                "--outputs",
                writeOutputs(outputs),
                "--credential",
                "managed-identity",
                "--concurrency",
                "3",
                "--timeout-ms",
                "1500",
                "--retries",
                "3",
            ],
            { clock },
        );
    });

    it("exits 1 and reports every account in the table and the JSON report", () => {
        expect(run.code).toBe(1);
        expect(run.report?.summary).toEqual({ accounts: 13, healthy: 4, failed: 9 });
        for (const a of [
            "healthy",
            "smart",
            "oldstack",
            "oldproxy",
            "smartbroken",
            "noexport",
            "forbidden",
            "broken",
            "throttled",
            "stale",
            "hang",
            "refused",
            "unknownaud",
        ]) {
            expect(run.stdout).toMatch(new RegExp(`^${a}\\s`, "m"));
        }
        expect(run.stdout).toMatch(/^ACCOUNT\s+TOKEN\s+DNS\s+METADATA\s+READ\s+EXPORT\s+SMART\s+KEY\s+SMOKE\s+RESULT$/m);
        expect(run.stdout).toMatch(/4\/13 account\(s\) healthy, 9 failed/);
    });

    it("uses the real ManagedIdentityCredential against the App Service endpoint, one resource per account audience", () => {
        expect(mi.requests.length).toBeGreaterThan(0);
        expect(mi.requests.every((r) => r.apiVersion === "2019-08-01")).toBe(true);
        const resources = mi.requests.map((r) => r.resource);
        expect(resources).toEqual(
            expect.arrayContaining([
                fhir.audienceOf("healthy"),
                `${fhir.baseUrl}/stale-old`,
                "https://unknown.fhir.azurehealthcareapis.com",
            ]),
        );
        expect(resources.every((r) => !r?.endsWith("/.default"))).toBe(true);
    });

    it("passes healthy accounts: CapabilityStatement R4, authenticated read, $export advertised, SMART when on", () => {
        const healthy = account(run, "healthy");
        expect(healthy.healthy).toBe(true);
        expect(healthy.checks.map((c) => [c.name, c.status])).toEqual([
            ["token", "pass"],
            ["dns", "skip"], // the outputs name no publicNetworkAccess: not a private account
            ["metadata", "pass"],
            ["read", "pass"],
            ["export", "pass"],
            ["smart", "skip"],
            ["smoke", "skip"],
            ["key", "skip"],
        ]);
        expect(healthy.checks.find((c) => c.name === "smart")?.detail).toBe("no SMART identity providers");
        expect(healthy.checks.find((c) => c.name === "smoke")?.detail).toBe("--smoke not given");
        expect(healthy.checks.find((c) => c.name === "metadata")?.detail).toContain("4.0.1");
        // These outputs predate fhirServiceId/keyId: the key check says so and does not fail the account.
        expect(healthy.checks.find((c) => c.name === "key")?.detail).toBe(
            "skipped: stack outputs lack fhirServiceId/keyId (redeploy with this version)",
        );
        const smart = account(run, "smart");
        expect(smart.healthy).toBe(true);
        expect(smart.checks.find((c) => c.name === "smart")?.status).toBe("pass");
        expect(fhir.requests.some((r) => r.account === "smart" && r.path === "/.well-known/smart-configuration" && r.status === 200)).toBe(
            true,
        );
        expect(fhir.requests.some((r) => r.account === "healthy" && r.path.startsWith("/.well-known"))).toBe(false);
    });

    it("accepts outputs of a stack deployed before the SMART proxy's retirement (smartProxyEnabled, no new fields)", () => {
        const old = account(run, "oldstack");
        expect(old.healthy).toBe(true);
        expect(old.checks.find((c) => c.name === "smart")?.status).toBe("skip");
        expect(fhir.requests.some((r) => r.account === "oldstack" && r.path.startsWith("/.well-known"))).toBe(false);
    });

    it("SMART: the retired proxy fails its account; a configuration without token_endpoint fails", () => {
        const proxy = account(run, "oldproxy");
        expect(proxy.diagnoses.map((d) => d.code)).toEqual(["smart-proxy-retired"]);
        const text = [proxy.diagnoses[0]!.summary, ...proxy.diagnoses[0]!.facts, ...proxy.diagnoses[0]!.remedies].join("\n");
        expect(proxy.diagnoses[0]!.summary).toBe(`SMART on FHIR proxy in use: it was retired on ${RETIRED_FEATURES.smartProxy.retired}`);
        expect(text).toContain("21st September 2026"); // the announcement, cited
        expect(text).toContain("AadSmartOnFhirProxy/authorize");
        expect(text).toContain("smartIdentityProviders");
        const broken = account(run, "smartbroken");
        expect(broken.diagnoses.map((d) => d.code)).toEqual(["smart-configuration"]);
        expect(broken.diagnoses[0]!.summary).toBe("SMART configuration lacks token_endpoint");
        expect(broken.diagnoses[0]!.facts.join("\n")).toContain("https://idp.example.com/tenant/v2.0");
    });

    it("fails an account whose CapabilityStatement does not advertise $export although export is on", () => {
        const r = account(run, "noexport");
        expect(r.healthy).toBe(false);
        expect(r.diagnoses.map((d) => d.code)).toEqual(["export-not-advertised"]);
        expect(r.checks.find((c) => c.name === "read")?.status).toBe("pass");
    });

    it("403: names the data-plane role to grant, with its ID, the caller and the service scope", () => {
        const r = account(run, "forbidden");
        expect(r.checks.find((c) => c.name === "metadata")?.status).toBe("pass");
        const d = r.diagnoses[0]!;
        expect(d.code).toBe("forbidden");
        expect(d.summary).toContain("FHIR Data Reader");
        const text = [...d.facts, ...d.remedies].join("\n");
        expect(text).toContain(BUILT_IN_ROLES["FHIR Data Reader"]);
        expect(text).toContain(CALLER_OID);
        expect(text).toContain("/providers/Microsoft.HealthcareApis/workspaces/wsforbidden/fhirservices/forbidden");
        // Export is on for this account: $export needs FHIR Data Exporter too.
        expect(text).toContain("FHIR Data Exporter");
        expect(text).toContain("anonymous");
    });

    it("500: says how to restore access to the CMK key and links the key URI", () => {
        const d = account(run, "broken").diagnoses[0]!;
        expect(d.code).toBe("server-error");
        expect(d.summary).toContain("https://kv-broken.vault.azure.net/keys/fhir-cmk/");
        const text = d.remedies.join("\n");
        expect(text).toContain("Key Vault Crypto Service Encryption User");
        expect(text).toContain(BUILT_IN_ROLES["Key Vault Crypto Service Encryption User"]);
        expect(text).toContain("22222222-0000-4000-8000-000000000002"); // the service identity's principal
        expect(text).toMatch(/enabled/);
        expect(text).toMatch(/expire/);
        expect(text).toContain("--bypass AzureServices");
        expect(d.facts.join("\n")).toContain("could not be accessed");
    });

    it("401: says which audience the service expects (from WWW-Authenticate) and which the stack has", () => {
        const d = account(run, "stale").diagnoses[0]!;
        expect(d.code).toBe("unauthorized");
        expect(d.summary).toContain(`expects audience ${fhir.audienceOf("stale")}`);
        expect(d.summary).toContain(`the stack says ${fhir.baseUrl}/stale-old`);
        expect(d.facts.join("\n")).toContain(`authority https://login.microsoftonline.com/${TENANT}`);
        // The fake echoed the bearer token in its body: the excerpt is kept, the token redacted.
        expect(d.facts.join("\n")).toContain("[redacted token]");
    });

    it("retries 429 honouring Retry-After, then passes", () => {
        const r = account(run, "throttled");
        expect(r.healthy).toBe(true);
        expect(r.checks.find((c) => c.name === "metadata")?.attempts).toBe(3);
        const statuses = fhir.requests.filter((q) => q.account === "throttled" && q.path === "/metadata").map((q) => q.status);
        expect(statuses).toEqual([429, 429, 200]);
        expect(clock.slept).toEqual([1000, 1000]); // Retry-After: 1, not the 100 ms backoff
        expect(run.stderr).toContain("throttled: metadata got 429, retry 1 in 1000 ms");
    });

    it("timeout, connection refused and token failures each get their own diagnosis", () => {
        expect(account(run, "hang").diagnoses[0]).toMatchObject({ code: "timeout" });
        expect(account(run, "hang").diagnoses[0]!.summary).toMatch(/within 1500 ms: network or private endpoint/);
        const refused = account(run, "refused").diagnoses[0]!;
        expect(refused).toMatchObject({ code: "network" });
        expect(refused.summary).toContain("refused");
        expect(refused.remedies.join("\n")).toContain("private endpoint");
        const tok = account(run, "unknownaud");
        expect(tok.diagnoses[0]).toMatchObject({ code: "token" });
        expect(tok.diagnoses[0]!.summary).toContain("https://unknown.fhir.azurehealthcareapis.com");
        expect(tok.checks.filter((c) => c.status === "skip").map((c) => c.name)).toEqual([
            "dns",
            "metadata",
            "read",
            "export",
            "smart",
            "smoke",
            "key",
        ]);
    });

    it("never prints a token: not in stdout, stderr or the JSON report", () => {
        expectNoTokens(run);
    });
});

describe("concurrency", () => {
    it("a hanging account holds one slot: the others all finish while it hangs, never more than --concurrency at once", async () => {
        const fhir = await fhirWith({
            slow: { behaviour: "hang" },
            a: { behaviour: "healthy" },
            b: { behaviour: "healthy", export: false },
            c: { behaviour: "forbidden" },
            d: { behaviour: "server-error" },
            e: { behaviour: "healthy" },
        });
        const outputs = fakeStackOutputs(fhir, TENANT, { slow: {}, a: {}, b: { exportEnabled: false }, c: {}, d: {}, e: {} });
        // The timeout is far away: the hanging request ends only when the test drops it, after the other five are done,
        // so the order below depends on nothing but the pool.
        let dropped = -1;
        const others = new Set(["a", "b", "c", "d", "e"]);
        const run = await verify(
            ["--outputs", writeOutputs(outputs), "--credential", "managed-identity", "--concurrency", "2", "--timeout-ms", "60000"],
            {
                onAccountDone: (r) => {
                    others.delete(r.account);
                    if (others.size === 0 && dropped < 0) dropped = fhir.dropHung();
                },
            },
        );
        expect(dropped).toBe(1); // slow was still hanging when the other five had finished
        expect(run.order.at(-1)).toBe("slow");
        expect(fhir.requests[0]).toMatchObject({ account: "slow", status: "hung" }); // and it started first
        expect(run.report?.accounts.map((a) => a.account)).toEqual(["slow", "a", "b", "c", "d", "e"]); // report in input order
        expect(fhir.maxInFlight).toBe(2);
        expect(account(run, "slow").diagnoses[0]).toMatchObject({ code: "network" });
        expect(account(run, "slow").diagnoses[0]!.summary).toMatch(/reset|failed/);
        expect(run.code).toBe(1);
        expectNoTokens(run);
    });
});

describe("retries", () => {
    it("gives up after --retries on 429 and on 503; without Retry-After backs off exponentially", async () => {
        const fhir = await fhirWith({
            busy: { behaviour: "throttled", throttle: 10, retryAfter: "2" },
            down: { behaviour: "throttled", throttle: 10, throttleStatus: 503, retryAfter: null },
            later: { behaviour: "throttled", throttle: 1, throttleStatus: 503, retryAfter: null },
        });
        const clock = recordingClock();
        const outputs = fakeStackOutputs(fhir, TENANT, { busy: {}, down: {}, later: {} });
        const run = await verify(
            ["--outputs", writeOutputs(outputs), "--credential", "managed-identity", "--concurrency", "1", "--retries", "2"],
            { clock },
        );
        expect(account(run, "busy").diagnoses[0]).toMatchObject({ code: "throttled" });
        expect(account(run, "busy").diagnoses[0]!.summary).toContain("still 429 after 3 attempts");
        expect(fhir.requests.filter((r) => r.account === "busy").map((r) => r.status)).toEqual([429, 429, 429]);
        expect(account(run, "down").diagnoses[0]!.summary).toContain("still 503 after 3 attempts");
        expect(account(run, "later").healthy).toBe(true);
        // busy: Retry-After 2 s twice; down: backoff 100 then 200 ms (random() = 1: top of the jitter range); later: 100.
        expect(clock.slept).toEqual([2000, 2000, 100, 200, 100]);
        expect(run.code).toBe(1);
    });
});

describe("exit codes and inputs", () => {
    let fhir: FakeFhirServer;
    let file: string;
    beforeAll(async () => {
        fhir = await fhirWith({
            ok1: { behaviour: "healthy" },
            ok2: { behaviour: "healthy" },
            bad: { behaviour: "forbidden" },
        });
        file = writeOutputs(
            fakeStackOutputs(fhir, TENANT, { ok1: {}, ok2: { smartIdentityProviders: ["https://idp.example.com/v2.0"] }, bad: {} }),
        );
    });

    it("exits 0 when every selected account is healthy (--account, repeatable)", async () => {
        const run = await verify(["--outputs", file, "--credential", "managed-identity", "--account", "ok1", "--account", "ok2"]);
        expect(run.code).toBe(0);
        expect(run.report?.accounts.map((a) => a.account)).toEqual(["ok1", "ok2"]);
        expect(run.report?.healthy).toBe(true);
        expect(fhir.requests.some((r) => r.account === "bad")).toBe(false);
    });

    it("reads --stack through the stack-output reader", async () => {
        const asked: string[] = [];
        const outputs = JSON.parse(fs.readFileSync(file, "utf8")) as unknown;
        const run = await verify(["--stack", "dev", "--credential", "managed-identity", "--account", "ok1"], {
            stackOutputs: async (stack) => {
                asked.push(stack);
                return outputs;
            },
        });
        expect(asked).toEqual(["dev"]);
        expect(run.code).toBe(0);
        expect(run.report?.stack).toBe("dev");
    });

    const USAGE_SHOWN = "Usage: npm run verify";
    const HELP_HINT = "--help for usage";
    it.each([
        [[], /exactly one of --stack NAME or --outputs FILE/, USAGE_SHOWN],
        [["--stack", "dev", "--outputs", "x.json"], /exactly one of/, USAGE_SHOWN],
        [
            ["--outputs", "OUT", "--credential", "browser"],
            /--credential: expected one of default, managed-identity, azure-cli, workload-identity/,
            USAGE_SHOWN,
        ],
        [["--outputs", "OUT", "--concurrency", "0"], /--concurrency: expected an integer >= 1/, USAGE_SHOWN],
        [["--outputs", "OUT", "--timeout-ms", "soon"], /--timeout-ms: expected an integer >= 1/, USAGE_SHOWN],
        [["--outputs", "OUT", "--retries", "1.5"], /--retries: expected an integer >= 0/, USAGE_SHOWN],
        [["--outputs", "OUT", "--bogus"], /Unknown option '--bogus'/, USAGE_SHOWN],
        // Arguments fine, outputs unreadable or without the account: a pointer to --help, not the whole usage.
        [["--outputs", "OUT", "--account", "nosuch"], /no such account in the stack outputs: nosuch \(have: ok1, ok2, bad\)/, HELP_HINT],
        [["--outputs", "/nonexistent/outputs.json"], /--outputs \/nonexistent\/outputs.json: ENOENT/, HELP_HINT],
    ])("exits 2 on usage or config errors: %j", async (argv, message, hint) => {
        const run = await verify(argv.map((a) => (a === "OUT" ? file : a)));
        expect(run.code).toBe(2);
        expect(run.stderr).toMatch(message);
        expect(run.stderr).toContain(hint);
        expect(run.report).toBeUndefined();
    });

    it("exits 2 when the outputs are not this stack's", async () => {
        const run = await verify([
            "--outputs",
            writeOutputs({ accounts: { x: { fhirUrl: 3, exportEnabled: "yes", smartProxyEnabled: "no" } } }),
        ]);
        expect(run.code).toBe(2);
        expect(run.stderr).toContain("accounts.x.fhirUrl: expected a plain string, got number");
        expect(run.stderr).toContain("accounts.x.audience: missing");
        expect(run.stderr).toContain("accounts.x.exportEnabled: expected true or false");
        // Optional (absent from stacks deployed since the proxy's retirement), but a wrong type is still refused.
        expect(run.stderr).toContain("accounts.x.smartProxyEnabled: expected true or false");
        const typed = await verify([
            "--outputs",
            writeOutputs({
                accounts: {
                    y: {
                        fhirUrl: "https://a",
                        audience: "https://a",
                        authority: "https://login.microsoftonline.com/t",
                        exportEnabled: true,
                        importEnabled: 1,
                        acrTemplateImages: "one.azurecr.io/t",
                    },
                },
            }),
        ]);
        expect(typed.code).toBe(2);
        expect(typed.stderr).toContain("accounts.y.importEnabled: expected true or false");
        expect(typed.stderr).toContain("accounts.y.acrTemplateImages: expected a list of plain strings");
    });

    it("--help prints usage and exits 0", async () => {
        const run = await verify(["--help"]);
        expect(run.code).toBe(0);
        expect(run.stdout).toContain("--credential KIND");
        expect(run.stdout).toContain("Exit code: 0 all healthy, 1 any account failed, 2 usage or configuration error.");
    });
});

describe("credential factory with the fake identity endpoint", () => {
    it("managed-identity picks a user-assigned identity with AZURE_CLIENT_ID", async () => {
        const fhir = await fhirWith({ uami: { behaviour: "healthy" } });
        const credential = createCredential("managed-identity", { AZURE_CLIENT_ID: "33333333-0000-4000-8000-000000000003" });
        const token = await credential.getToken(`${fhir.audienceOf("uami")}/.default`);
        expect(signer.verify(token?.token ?? "")).toMatchObject({ ok: true, claims: { aud: fhir.audienceOf("uami"), tid: TENANT } });
        expect(mi.requests.at(-1)).toMatchObject({ resource: fhir.audienceOf("uami"), clientId: "33333333-0000-4000-8000-000000000003" });
    });
});
