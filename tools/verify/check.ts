/**
 * The checks for one account: a token for its audience, GET /metadata (a FHIR R4 CapabilityStatement), an
 * authenticated read (proves the data-plane role), $export advertised when export is on, SMART configuration when
 * SMART identity providers are configured, and beside them the private DNS check and the key check (through Azure
 * Resource Manager). Every failure carries a diagnosis. Tokens live only inside these functions.
 */
import type { TokenCredential } from "@azure/identity";
import { RETIRED_FEATURES } from "../../azure/facts";
import { getTokenWithin, scopeFor, sendsTenant, type CredentialKind } from "./credential";
import { callerClaims, diagnoseNetwork, internalError, diagnoseResponse, diagnoseToken, type Diagnosis } from "./diagnose";
import { checkPrivateDns, type DnsCheckOptions, type DnsCheckOutcome } from "./dns";
import { requestWithRetry, type HttpOutcome, type HttpSettings, type RetryInfo } from "./http";
import { checkKey, type KeyCheckOptions, type KeyCheckOutcome, type KeyStatus } from "./keys";
import { runSmoke, type SmokePart, type SmokeSettings } from "./smoke";
import { tenantOf, type AccountTarget } from "./targets";

/** Every check, in the order of the report's columns. */
export const CHECK_NAMES = ["token", "dns", "metadata", "read", "export", "smart", "key", "smoke"] as const;
export type CheckName = (typeof CHECK_NAMES)[number];

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

export interface CheckOptions extends Omit<HttpSettings, "onRetry"> {
    credential: TokenCredential;
    credentialKind: CredentialKind;
    onRetry?: (info: { account: string; check: CheckName } & RetryInfo) => void;
    /** The key check's settings; without them it is skipped. */
    key?: Pick<KeyCheckOptions, "armEndpoint" | "lagHours" | "expiryWarnDays">;
    /** The private DNS check's resolver and ranges; without them it is skipped. */
    dns?: Omit<DnsCheckOptions, "timeoutMs">;
    /** --smoke: the writing checks (export, $convert-data, import mode); without it they are skipped. */
    smoke?: SmokeSettings;
}

/** The authenticated read: a count of Patients returns a Bundle with a total and no patient data. */
export const READ_PROBE_PATH = "Patient?_summary=count";

type Operation = { name?: unknown; definition?: unknown };
type CapabilityStatement = {
    resourceType?: unknown;
    fhirVersion?: unknown;
    rest?: { operation?: Operation[]; resource?: { type?: unknown; operation?: Operation[] }[] }[];
};

function isExportOperation(op: Operation): boolean {
    const name = typeof op.name === "string" ? op.name.replace(/^\$/, "").toLowerCase() : "";
    const def = typeof op.definition === "string" ? op.definition.toLowerCase() : "";
    return name === "export" || /operationdefinition\/[a-z-]*export$/.test(def);
}

/** Where `$export` is advertised: system level (rest[].operation) or per resource (Patient, Group). */
export function exportOperations(cs: CapabilityStatement): string[] {
    const list = <T>(v: T[] | undefined): T[] => (Array.isArray(v) ? v : []);
    const found = list(cs.rest).flatMap((rest) => [
        ...(list(rest.operation).some(isExportOperation) ? ["system"] : []),
        ...list(rest.resource).flatMap((res) =>
            list(res.operation).some(isExportOperation) ? [typeof res.type === "string" ? res.type : "resource"] : [],
        ),
    ]);
    return [...new Set(found)];
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
        return {
            code: "smart-configuration",
            summary: `SMART configuration lacks ${missing.join(" and ")}`,
            facts: [`${t.fhirUrl}/.well-known/smart-configuration answered without ${missing.join(", ")}`, providers],
            remedies: [
                "the FHIR service takes these endpoints from the OpenID configuration of the SMART identity provider's authority: " +
                    "check that `<authority>/.well-known/openid-configuration` answers and names them, and the FHIR service's " +
                    "authenticationConfiguration.smartIdentityProviders (https://learn.microsoft.com/azure/healthcare-apis/fhir/configure-identity-providers)",
            ],
        };
    }
    const proxied = [endpoint("authorization_endpoint"), endpoint("token_endpoint")].some((u) => u?.includes("AadSmartOnFhirProxy"));
    if (!proxied && t.smartProxyEnabled !== true) return undefined;
    const retired = RETIRED_FEATURES.smartProxy;
    return {
        code: "smart-proxy-retired",
        summary: `SMART on FHIR proxy in use: it was retired on ${retired.retired}`,
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

export async function checkAccount(t: AccountTarget, opts: CheckOptions): Promise<AccountResult> {
    const started = Date.now();
    const checks: CheckResult[] = [];
    const diagnoses: Diagnosis[] = [];
    const fail = (name: CheckName, d: Diagnosis, outcome?: HttpOutcome): void => {
        const httpStatus = outcome?.kind === "response" ? outcome.status : undefined;
        checks.push({ name, status: "fail", detail: d.summary, httpStatus, attempts: outcome?.attempts });
        diagnoses.push(d);
    };
    const pass = (name: CheckName, detail: string, outcome: HttpOutcome): void => {
        checks.push({ name, status: "pass", detail, httpStatus: 200, attempts: outcome.attempts });
    };
    const skip = (names: CheckName[], why: string): void => {
        for (const name of names) checks.push({ name, status: "skip", detail: why });
    };
    const http = (check: CheckName): HttpSettings => ({
        timeoutMs: opts.timeoutMs,
        policy: opts.policy,
        clock: opts.clock,
        onRetry: (info) => opts.onRetry?.({ account: t.account, check, ...info }),
    });

    // The key check runs beside the data-plane checks (other token, other endpoint); a 500 waits for it, to say
    // whether the key version in use is disabled or expired. checkKey never throws; the catch is for bugs.
    const keyCheck: Promise<KeyCheckOutcome> = opts.key
        ? checkKey(t, { ...http("key"), credential: opts.credential, credentialKind: opts.credentialKind, ...opts.key }).catch(
              (err: unknown) => {
                  const d = internalError("key: internal error", err);
                  return { check: { name: "key", status: "fail", detail: d.summary }, diagnoses: [d] };
              },
          )
        : Promise.resolve({ check: { name: "key", status: "skip", detail: "key check off" }, diagnoses: [] });
    let smokeParts: SmokePart[] | undefined;
    const done = async (): Promise<AccountResult> => {
        const k = await keyCheck;
        checks.push(k.check);
        diagnoses.push(...k.diagnoses);
        const healthy = diagnoses.length === 0;
        return {
            account: t.account,
            fhirUrl: t.fhirUrl,
            healthy,
            checks,
            diagnoses,
            key: k.status,
            smoke: smokeParts,
            durationMs: Date.now() - started,
        };
    };

    // A private account's FHIR host must resolve to a private endpoint address from here; if it does not, the
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

    // Token for this account's audience, from this account's tenant.
    let token: string;
    try {
        const tenant = sendsTenant(opts.credentialKind) ? tenantOf(t.authority) : undefined;
        token = (await getTokenWithin(opts.credential, scopeFor(t.audience), opts.timeoutMs, tenant)).token;
        checks.push({ name: "token", status: "pass", detail: `token for ${scopeFor(t.audience)}` });
    } catch (err) {
        fail("token", diagnoseToken(t, opts.credentialKind, err));
        await recordDns();
        skip(dataPlane, "no token");
        return done();
    }
    if (!(await recordDns())) {
        skip(dataPlane, "private DNS check failed");
        return done();
    }
    const caller = callerClaims(token);
    const headers = { Authorization: `Bearer ${token}`, Accept: "application/fhir+json, application/json" };
    /** GET `path`; a non-2xx answer or a network failure becomes a diagnosis, else the body's JSON (null when not JSON). */
    const get = async (check: CheckName, path: string): Promise<{ outcome: HttpOutcome; json?: unknown }> => {
        const outcome = await requestWithRetry(`${t.fhirUrl.replace(/\/+$/, "")}/${path}`, { ...http(check), headers });
        const what = `GET /${path}`;
        if (outcome.kind === "network") fail(check, diagnoseNetwork(t, what, outcome, opts.timeoutMs), outcome);
        else if (outcome.status < 200 || outcome.status > 299) {
            const k = outcome.status >= 500 ? await keyCheck : undefined;
            fail(check, diagnoseResponse(t, what, outcome, caller, k?.status, k?.identity), outcome);
        } else {
            let json: unknown = null;
            try {
                json = JSON.parse(outcome.body);
            } catch {}
            return { outcome, json };
        }
        return { outcome };
    };

    // The capability statement.
    const meta = await get("metadata", "metadata");
    if (meta.json === undefined) {
        skip(["read", "export", "smart", "smoke"], "metadata failed");
        return done();
    }
    const cs = (meta.json ?? {}) as CapabilityStatement;
    const version = typeof cs.fhirVersion === "string" ? cs.fhirVersion : undefined;
    if (cs.resourceType !== "CapabilityStatement" || !version?.startsWith("4.")) {
        const got =
            cs.resourceType === "CapabilityStatement"
                ? `fhirVersion ${version ?? "missing"}`
                : `resourceType ${typeof cs.resourceType === "string" ? cs.resourceType : "missing"}`;
        const d: Diagnosis = {
            code: "bad-capability-statement",
            summary: `GET /metadata: not a FHIR R4 CapabilityStatement (${got})`,
            facts: [`${t.fhirUrl}/metadata answered 200 with ${got}`],
            remedies: ["fhirUrl must be the FHIR service root of an R4 (fhir-R4) service; something else (a proxy, another API) answered"],
        };
        fail("metadata", d, meta.outcome);
        skip(["read", "export", "smart", "smoke"], "no capability statement");
        return done();
    }
    pass("metadata", `CapabilityStatement, FHIR ${version}`, meta.outcome);

    // An authenticated read: the data-plane role works for this caller.
    const read = await get("read", READ_PROBE_PATH);
    const readOk = read.json !== undefined;
    if (readOk) pass("read", "authenticated read allowed", read.outcome);

    // $export advertised when export is on.
    const where = exportOperations(cs);
    if (!t.exportEnabled) skip(["export"], "export off");
    else if (where.length) checks.push({ name: "export", status: "pass", detail: `$export advertised (${where.join(", ")})` });
    else {
        fail("export", {
            code: "export-not-advertised",
            summary: "$export is on in the stack but not advertised by the CapabilityStatement",
            facts: ["no operation named export in rest[].operation or rest[].resource[].operation"],
            remedies: [
                "the service's exportConfiguration.storageAccountName is missing or not applied yet: run `pulumi up` and check " +
                    "the FHIR service's export settings",
                "the service's identity needs Storage Blob Data Contributor on the export storage account",
            ],
        });
    }

    // SMART configuration when SMART on FHIR is configured (smartIdentityProviders), or an older stack says the
    // retired proxy is on.
    if (t.smartIdentityProviders.length > 0 || t.smartProxyEnabled === true) {
        const smart = await get("smart", ".well-known/smart-configuration");
        const d = smart.json === undefined ? undefined : assessSmartConfiguration(t, smart.json);
        if (d) fail("smart", d, smart.outcome);
        else if (smart.json !== undefined) pass("smart", "SMART configuration with authorization and token endpoints", smart.outcome);
    } else skip(["smart"], "no SMART identity providers");

    // --smoke: a tiny $export through the service's identity, one $convert-data with a registry template, the import
    // mode read back. Only once the service answers authenticated reads: otherwise its diagnoses would repeat the read's.
    if (!opts.smoke) skip(["smoke"], "--smoke not given");
    else if (!readOk) skip(["smoke"], "the authenticated read failed");
    else {
        const smoke = await runSmoke(t, token, caller, {
            ...opts.smoke,
            ...http("smoke"),
            credential: opts.credential,
            credentialKind: opts.credentialKind,
        });
        checks.push(smoke.check);
        diagnoses.push(...smoke.diagnoses);
        smokeParts = smoke.parts;
    }
    return done();
}
