/**
 * The checks for one account: token for its audience, GET /metadata (a FHIR R4 CapabilityStatement), an
 * authenticated read (proves the data-plane role), $export advertised when export is on, SMART configuration when
 * SMART identity providers are configured, and (through Azure Resource Manager, alongside the others) the key check: which key version
 * the service uses and whether rotation reached it. Every failure carries a diagnosis. Tokens live only inside
 * these functions.
 */
import type { TokenCredential } from "@azure/identity";
import { RETIRED_FEATURES } from "../../azure/facts";
import { getTokenWithin, scopeFor, sendsTenant, type CredentialKind } from "./credential";
import { redact } from "./redact";
import { callerClaims, diagnoseNetwork, diagnoseResponse, diagnoseToken, type CallerClaims, type Diagnosis } from "./diagnose";
import { requestWithRetry, type Clock, type HttpOutcome, type RetryPolicy } from "./http";
import { checkPrivateDns, type DnsCheckOptions, type DnsCheckOutcome } from "./dns";
import { checkKey, type KeyCheckOutcome, type KeyStatus } from "./keys";
import { runSmoke, type SmokeOptions, type SmokePart } from "./smoke";
import { tenantOf, type AccountTarget } from "./targets";

export type CheckName = "token" | "dns" | "metadata" | "read" | "export" | "smart" | "key" | "smoke";

export interface CheckResult {
    name: CheckName;
    status: "pass" | "fail" | "skip";
    detail: string;
    httpStatus?: number;
    attempts?: number;
}

export interface AccountResult {
    account: string;
    fhirUrl: string;
    healthy: boolean;
    checks: CheckResult[];
    /** One per failed check (the key check may give several), first is the headline. */
    diagnoses: Diagnosis[];
    /** What the key check found (absent when it was skipped or could not read the service). */
    key?: KeyStatus;
    /** The smoke test's parts (--smoke only): export, $convert-data, import mode. */
    smoke?: SmokePart[];
    durationMs: number;
}

export interface CheckOptions {
    credential: TokenCredential;
    credentialKind: CredentialKind;
    timeoutMs: number;
    policy: RetryPolicy;
    clock?: Clock;
    onRetry?: (info: { account: string; check: CheckName; retry: number; status: number; delayMs: number }) => void;
    /** The key check's settings; without them it is skipped. */
    key?: { armEndpoint: string; lagHours: number; expiryWarnDays: number };
    /** The private DNS check's resolver and ranges; without them it is skipped. */
    dns?: Omit<DnsCheckOptions, "timeoutMs">;
    /** --smoke: the writing checks (export, $convert-data, import mode); without it they are skipped. */
    smoke?: Omit<SmokeOptions, "credential" | "credentialKind" | "timeoutMs" | "policy" | "clock" | "onRetry">;
}

/** The authenticated read: a count of Patients returns a Bundle with a total and no patient data. */
export const READ_PROBE_PATH = "Patient?_summary=count";

interface CapabilityStatement {
    resourceType?: unknown;
    fhirVersion?: unknown;
    rest?: {
        operation?: { name?: unknown; definition?: unknown }[];
        resource?: { type?: unknown; operation?: { name?: unknown; definition?: unknown }[] }[];
    }[];
}

function isExportOperation(op: { name?: unknown; definition?: unknown }): boolean {
    const name = typeof op.name === "string" ? op.name.replace(/^\$/, "").toLowerCase() : "";
    const def = typeof op.definition === "string" ? op.definition.toLowerCase() : "";
    return name === "export" || /operationdefinition\/[a-z-]*export$/.test(def);
}

/** Where `$export` is advertised: system level (rest[].operation) or per resource (Patient, Group). */
export function exportOperations(cs: CapabilityStatement): string[] {
    const found: string[] = [];
    for (const rest of Array.isArray(cs.rest) ? cs.rest : []) {
        for (const op of Array.isArray(rest.operation) ? rest.operation : []) if (isExportOperation(op)) found.push("system");
        for (const res of Array.isArray(rest.resource) ? rest.resource : []) {
            for (const op of Array.isArray(res.operation) ? res.operation : []) {
                if (isExportOperation(op)) found.push(typeof res.type === "string" ? res.type : "resource");
            }
        }
    }
    return [...new Set(found)];
}

function join(base: string, path: string): string {
    return `${base.replace(/\/+$/, "")}/${path}`;
}

function parseJson(body: string): unknown {
    try {
        return JSON.parse(body);
    } catch {
        return undefined;
    }
}

/**
 * The FHIR service serves `/.well-known/smart-configuration` itself whenever authorization is on (always, on AHDS):
 * microsoft/fhir-server `GetSmartConfigurationHandler` resolves `authorization_endpoint` and `token_endpoint` from the
 * OpenID discovery of the SMART identity provider's authority (or the service's Entra authority), and points them at
 * `AadSmartOnFhirProxy/authorize` and `/token` only while the retired SMART on FHIR proxy is on. SMART App Launch
 * requires both endpoints. Returns a diagnosis, or undefined when the configuration is usable.
 */
export function assessSmartConfiguration(t: AccountTarget, body: unknown): Diagnosis | undefined {
    const s = (body ?? {}) as Record<string, unknown>;
    const endpoint = (k: string): string | undefined => (typeof s[k] === "string" && s[k] ? (s[k] as string) : undefined);
    const missing = ["authorization_endpoint", "token_endpoint"].filter((k) => endpoint(k) === undefined);
    const providers = t.smartIdentityProviders.length
        ? `the stack's SMART identity providers: ${t.smartIdentityProviders.join(", ")}`
        : "the stack configures no SMART identity provider";
    if (missing.length) {
        const summary = `SMART configuration lacks ${missing.join(" and ")}`;
        return {
            code: "smart-configuration",
            summary,
            facts: [`${t.fhirUrl}/.well-known/smart-configuration answered without ${missing.join(", ")}`, providers],
            remedies: [
                "the FHIR service takes these endpoints from the OpenID configuration of the SMART identity provider's authority: " +
                    "check that `<authority>/.well-known/openid-configuration` answers and names them, and the FHIR service's " +
                    "authenticationConfiguration.smartIdentityProviders (https://learn.microsoft.com/azure/healthcare-apis/fhir/configure-identity-providers)",
            ],
        };
    }
    const proxied = [endpoint("authorization_endpoint"), endpoint("token_endpoint")].some((u) => u?.includes("AadSmartOnFhirProxy"));
    if (proxied || t.smartProxyEnabled === true) {
        const retired = RETIRED_FEATURES.smartProxy;
        const summary = `SMART on FHIR proxy in use: it was retired on ${retired.retired}`;
        return {
            code: "smart-proxy-retired",
            summary,
            facts: [
                ...(proxied ? [`the SMART endpoints point at the proxy: ${endpoint("authorization_endpoint")}`] : []),
                ...(t.smartProxyEnabled === true ? ["the stack outputs say smartProxyEnabled: true (deployed before the retirement)"] : []),
                providers,
                `applications relying on the SMART on FHIR proxy report errors since its retirement (${retired.source})`,
            ],
            remedies: [
                `move the SMART apps to ${retired.instead}: remove smartProxy from the account's stack config (config now refuses it), ` +
                    "declare the identity provider in smartIdentityProviders, and `pulumi up` (https://learn.microsoft.com/azure/healthcare-apis/fhir/smart-on-fhir)",
            ],
        };
    }
    return undefined;
}

export async function checkAccount(t: AccountTarget, opts: CheckOptions): Promise<AccountResult> {
    const started = Date.now();
    const checks: CheckResult[] = [];
    const diagnoses: Diagnosis[] = [];
    const fail = (name: CheckName, detail: string, d: Diagnosis, outcome?: HttpOutcome): void => {
        checks.push({
            name,
            status: "fail",
            detail,
            ...(outcome?.kind === "response" ? { httpStatus: outcome.status } : {}),
            ...(outcome ? { attempts: outcome.attempts } : {}),
        });
        diagnoses.push(d);
    };
    const skip = (names: CheckName[], why: string): void => {
        for (const name of names) checks.push({ name, status: "skip", detail: why });
    };

    // 6. The key check runs beside the data-plane checks (other token, other endpoint); a 500 waits for it, to say
    // whether the key version in use is disabled or expired. checkKey never throws; the catch is for bugs.
    const keyCheck: Promise<KeyCheckOutcome> = opts.key
        ? checkKey(t, {
              credential: opts.credential,
              credentialKind: opts.credentialKind,
              timeoutMs: opts.timeoutMs,
              policy: opts.policy,
              ...(opts.clock ? { clock: opts.clock } : {}),
              ...opts.key,
              onRetry: (info) => opts.onRetry?.({ account: t.account, check: "key", ...info }),
          }).catch((err: unknown) => {
              const summary = redact(`key: internal error: ${(err as Error).message}`);
              return {
                  check: { name: "key", status: "fail", detail: summary },
                  diagnoses: [{ code: "unexpected-status", summary, facts: [], remedies: ["this is a bug in verify: please report it"] }],
              };
          })
        : Promise.resolve({ check: { name: "key", status: "skip", detail: "key check off" }, diagnoses: [] });
    let smokeParts: SmokePart[] | undefined;
    const done = async (): Promise<AccountResult> => {
        const k = await keyCheck;
        checks.push(k.check);
        diagnoses.push(...k.diagnoses);
        return {
            account: t.account,
            fhirUrl: t.fhirUrl,
            healthy: diagnoses.length === 0,
            checks,
            diagnoses,
            ...(k.status ? { key: k.status } : {}),
            ...(smokeParts ? { smoke: smokeParts } : {}),
            durationMs: Date.now() - started,
        };
    };

    // 0. A private account's FHIR host must resolve to a private endpoint address from here; if it does not, the
    // data-plane checks would only reach the public endpoint (403) or nothing, and their diagnoses would mislead. It
    // runs beside the token request and is reported after it.
    const dnsCheck: Promise<DnsCheckOutcome> = opts.dns
        ? checkPrivateDns(t, { ...opts.dns, timeoutMs: opts.timeoutMs })
        : Promise.resolve({ check: { name: "dns", status: "skip", detail: "DNS check off" } });
    const recordDns = async (): Promise<boolean> => {
        const outcome = await dnsCheck;
        checks.push(outcome.check);
        if (outcome.diagnosis) diagnoses.push(outcome.diagnosis);
        return outcome.check.status !== "fail";
    };
    const dataPlane: CheckName[] = ["metadata", "read", "export", "smart", "smoke"];

    // 1. Token for this account's audience, from this account's tenant.
    let token: string;
    try {
        const tenant = sendsTenant(opts.credentialKind) ? tenantOf(t.authority) : undefined;
        token = (await getTokenWithin(opts.credential, scopeFor(t.audience), opts.timeoutMs, tenant)).token;
        checks.push({ name: "token", status: "pass", detail: `token for ${scopeFor(t.audience)}` });
    } catch (err) {
        const d = diagnoseToken(t, opts.credentialKind, err);
        fail("token", d.summary, d);
        await recordDns();
        skip(dataPlane, "no token");
        return done();
    }
    if (!(await recordDns())) {
        skip(dataPlane, "private DNS check failed");
        return done();
    }
    const caller: CallerClaims = callerClaims(token);
    const headers = { Authorization: `Bearer ${token}`, Accept: "application/fhir+json, application/json" };
    const get = (check: CheckName, path: string): Promise<HttpOutcome> =>
        requestWithRetry(join(t.fhirUrl, path), {
            headers,
            timeoutMs: opts.timeoutMs,
            policy: opts.policy,
            ...(opts.clock ? { clock: opts.clock } : {}),
            onRetry: (info) => opts.onRetry?.({ account: t.account, check, ...info }),
        });
    /** Non-2xx or network failure becomes a diagnosis; returns the body's JSON on success. */
    const expectOk = async (check: CheckName, what: string, outcome: HttpOutcome): Promise<unknown | undefined> => {
        if (outcome.kind === "network") {
            const d = diagnoseNetwork(t, what, outcome, opts.timeoutMs);
            fail(check, d.summary, d, outcome);
            return undefined;
        }
        if (outcome.status < 200 || outcome.status > 299) {
            const k = outcome.status >= 500 ? await keyCheck : undefined;
            const d = diagnoseResponse(t, what, outcome, caller, k?.status, k?.identity);
            fail(check, d.summary, d, outcome);
            return undefined;
        }
        return parseJson(outcome.body) ?? null;
    };

    // 2. The capability statement.
    const metaOutcome = await get("metadata", "metadata");
    const meta = await expectOk("metadata", "GET /metadata", metaOutcome);
    if (meta === undefined) {
        skip(["read", "export", "smart", "smoke"], "metadata failed");
        return done();
    }
    const cs = (meta ?? {}) as CapabilityStatement;
    const version = typeof cs.fhirVersion === "string" ? cs.fhirVersion : undefined;
    if (cs.resourceType !== "CapabilityStatement" || !version?.startsWith("4.")) {
        const got =
            cs.resourceType === "CapabilityStatement"
                ? `fhirVersion ${version ?? "missing"}`
                : `resourceType ${typeof cs.resourceType === "string" ? cs.resourceType : "missing"}`;
        fail(
            "metadata",
            `GET /metadata: not a FHIR R4 CapabilityStatement (${got})`,
            {
                code: "bad-capability-statement",
                summary: `GET /metadata: not a FHIR R4 CapabilityStatement (${got})`,
                facts: [`${t.fhirUrl}/metadata answered 200 with ${got}`],
                remedies: [
                    "fhirUrl must be the FHIR service root of an R4 (fhir-R4) service; something else (a proxy, another API) answered",
                ],
            },
            metaOutcome,
        );
        skip(["read", "export", "smart", "smoke"], "no capability statement");
        return done();
    }
    checks.push({
        name: "metadata",
        status: "pass",
        detail: `CapabilityStatement, FHIR ${version}`,
        httpStatus: 200,
        attempts: metaOutcome.attempts,
    });

    // 3. An authenticated read: the data-plane role works for this caller.
    const readOutcome = await get("read", READ_PROBE_PATH);
    const readOk = (await expectOk("read", `GET /${READ_PROBE_PATH}`, readOutcome)) !== undefined;
    if (readOk) {
        checks.push({
            name: "read",
            status: "pass",
            detail: "authenticated read allowed",
            httpStatus: 200,
            attempts: readOutcome.attempts,
        });
    }

    // 4. $export advertised when export is on.
    if (t.exportEnabled) {
        const where = exportOperations(cs);
        if (where.length) checks.push({ name: "export", status: "pass", detail: `$export advertised (${where.join(", ")})` });
        else {
            const summary = "$export is on in the stack but not advertised by the CapabilityStatement";
            fail("export", summary, {
                code: "export-not-advertised",
                summary,
                facts: ["no operation named export in rest[].operation or rest[].resource[].operation"],
                remedies: [
                    "the service's exportConfiguration.storageAccountName is missing or not applied yet: run `pulumi up` and check " +
                        "the FHIR service's export settings",
                    "the service's identity needs Storage Blob Data Contributor on the export storage account",
                ],
            });
        }
    } else skip(["export"], "export off");

    // 5. SMART configuration when SMART on FHIR is configured (smartIdentityProviders), or an older stack says the
    // retired proxy is on.
    if (t.smartIdentityProviders.length > 0 || t.smartProxyEnabled === true) {
        const smartOutcome = await get("smart", ".well-known/smart-configuration");
        const smart = await expectOk("smart", "GET /.well-known/smart-configuration", smartOutcome);
        if (smart !== undefined) {
            const d = assessSmartConfiguration(t, smart);
            if (d) fail("smart", d.summary, d, smartOutcome);
            else {
                checks.push({
                    name: "smart",
                    status: "pass",
                    detail: "SMART configuration with authorization and token endpoints",
                    httpStatus: 200,
                    attempts: smartOutcome.attempts,
                });
            }
        }
    } else skip(["smart"], "no SMART identity providers");

    // 7. --smoke: a tiny $export through the service's identity, one $convert-data with a registry template, the import
    // mode read back. Only once the service answers authenticated reads: otherwise its diagnoses would repeat the read's.
    if (!opts.smoke) skip(["smoke"], "--smoke not given");
    else if (!readOk) skip(["smoke"], "the authenticated read failed");
    else {
        const smoke = await runSmoke(t, token, caller, {
            ...opts.smoke,
            credential: opts.credential,
            credentialKind: opts.credentialKind,
            timeoutMs: opts.timeoutMs,
            policy: opts.policy,
            ...(opts.clock ? { clock: opts.clock } : {}),
            onRetry: (info) => opts.onRetry?.({ account: t.account, check: "smoke", ...info }),
        });
        checks.push(smoke.check);
        diagnoses.push(...smoke.diagnoses);
        smokeParts = smoke.parts;
    }

    return done();
}
