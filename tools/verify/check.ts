/**
 * The checks for one account: token for its audience, GET /metadata (a FHIR R4 CapabilityStatement), an
 * authenticated read (proves the data-plane role), $export advertised when export is on, SMART configuration when
 * the SMART proxy is on, and (through Azure Resource Manager, alongside the others) the key check: which key version
 * the service uses and whether rotation reached it. Every failure carries a diagnosis. Tokens live only inside
 * these functions.
 */
import type { TokenCredential } from "@azure/identity";
import { getTokenWithin, scopeFor, sendsTenant, type CredentialKind } from "./credential";
import { redact } from "./redact";
import { callerClaims, diagnoseNetwork, diagnoseResponse, diagnoseToken, type CallerClaims, type Diagnosis } from "./diagnose";
import { getWithRetry, type Clock, type HttpOutcome, type RetryPolicy } from "./http";
import { checkKey, type KeyCheckOutcome, type KeyStatus } from "./keys";
import { tenantOf, type AccountTarget } from "./targets";

export type CheckName = "token" | "metadata" | "read" | "export" | "smart" | "key";

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
            durationMs: Date.now() - started,
        };
    };

    // 1. Token for this account's audience, from this account's tenant.
    let token: string;
    try {
        const tenant = sendsTenant(opts.credentialKind) ? tenantOf(t.authority) : undefined;
        token = (await getTokenWithin(opts.credential, scopeFor(t.audience), opts.timeoutMs, tenant)).token;
        checks.push({ name: "token", status: "pass", detail: `token for ${scopeFor(t.audience)}` });
    } catch (err) {
        const d = diagnoseToken(t, opts.credentialKind, err);
        fail("token", d.summary, d);
        skip(["metadata", "read", "export", "smart"], "no token");
        return done();
    }
    const caller: CallerClaims = callerClaims(token);
    const headers = { Authorization: `Bearer ${token}`, Accept: "application/fhir+json, application/json" };
    const get = (check: CheckName, path: string): Promise<HttpOutcome> =>
        getWithRetry(join(t.fhirUrl, path), {
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
            const key = outcome.status >= 500 ? (await keyCheck).status : undefined;
            const d = diagnoseResponse(t, what, outcome, caller, key);
            fail(check, d.summary, d, outcome);
            return undefined;
        }
        return parseJson(outcome.body) ?? null;
    };

    // 2. The capability statement.
    const metaOutcome = await get("metadata", "metadata");
    const meta = await expectOk("metadata", "GET /metadata", metaOutcome);
    if (meta === undefined) {
        skip(["read", "export", "smart"], "metadata failed");
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
        skip(["read", "export", "smart"], "no capability statement");
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
    if ((await expectOk("read", `GET /${READ_PROBE_PATH}`, readOutcome)) !== undefined) {
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

    // 5. SMART configuration when the SMART proxy is on.
    if (t.smartProxyEnabled) {
        const smartOutcome = await get("smart", ".well-known/smart-configuration");
        const smart = await expectOk("smart", "GET /.well-known/smart-configuration", smartOutcome);
        if (smart !== undefined) {
            const s = (smart ?? {}) as Record<string, unknown>;
            const missing = ["authorization_endpoint", "token_endpoint"].filter((k) => typeof s[k] !== "string" || !(s[k] as string));
            if (missing.length) {
                const summary = `SMART configuration lacks ${missing.join(" and ")}`;
                fail(
                    "smart",
                    summary,
                    {
                        code: "smart-configuration",
                        summary,
                        facts: [`${t.fhirUrl}/.well-known/smart-configuration answered without ${missing.join(", ")}`],
                        remedies: [
                            "SMART on FHIR needs the service's smartProxyEnabled and an authority that publishes OpenID " +
                                "configuration: check the FHIR service's authenticationConfiguration",
                        ],
                    },
                    smartOutcome,
                );
            } else {
                checks.push({
                    name: "smart",
                    status: "pass",
                    detail: "SMART configuration with authorization and token endpoints",
                    httpStatus: 200,
                    attempts: smartOutcome.attempts,
                });
            }
        }
    } else skip(["smart"], "SMART off");

    return done();
}
