/**
 * A fake FHIR service on loopback hosting several "accounts" under path prefixes: http://127.0.0.1:<port>/<account>.
 * Every request must carry a bearer token signed by the fake identity endpoint, unexpired, whose aud is the
 * account's audience (its base URL unless overridden). Each account answers according to its behaviour.
 *
 * Beyond reads it speaks, as far as verify uses them (each rule names its source):
 *   - `/.well-known/smart-configuration`: served whenever authorization is on, which it always is on AHDS; endpoints
 *     from the trusted authority, or `AadSmartOnFhirProxy/…` while the retired proxy is on (microsoft/fhir-server
 *     `GetSmartConfigurationHandler`).
 *   - bulk export: `GET /$export` needs `Prefer: respond-async` and answers 202 with a `Content-Location`; the status
 *     URL answers 202 while running, 200 with the manifest when done, the failure's own status code with an
 *     OperationOutcome "… failed for reason: …" when the job failed (HL7 Bulk Data; fhir-server
 *     `GetExportRequestHandler`, `StorageExceptionParser`); `DELETE` on it cancels (202). A parallel export
 *     (`_isParallel` absent or true, fhir-server's default) of nothing new never touches storage and completes with an
 *     empty manifest whatever the storage would say (fhir-server `ExportOrchestratorJob`); a non-parallel one
 *     connects first (`ExportJobTask`). Storage refusals carry the storage error code in their message.
 *   - `POST /$convert-data`: the caller needs FHIR Data Converter (403 otherwise); registry errors as fhir-server's
 *     convert engine raises them (`ContainerRegistryNotConfiguredException`, `ContainerRegistryNotAuthorizedException`,
 *     `TemplateCollectionNotFoundException`: FhirExceptions, answered 400). Their wording here is modeled, not copied:
 *     verify matches only the words the exception names carry ("not configured", "access … registry", "not found").
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { FAKE_IDENTITY_PRINCIPAL, FAKE_SUBSCRIPTION_ID, fakeFhirServiceId, fakeIdentityId, fakeKeyId, fakeKeyUri } from "./armServer";
import type { FakeSigner } from "./jwt";

export type FakeBehaviour =
    /** CapabilityStatement (with $export unless export: false), reads allowed, SMART config when smart: true. */
    | "healthy"
    /** /metadata works (it is anonymous on AHDS), reads answer 403: no data-plane role. */
    | "forbidden"
    /** Every request answers 500, as when the service lost access to its CMK key. */
    | "server-error"
    /** The first `throttle` requests answer 429 (or 503) with Retry-After, then healthy. */
    | "throttled"
    /** Never answers. */
    | "hang";

/** How one account's export jobs end (see the header). */
export interface FakeExportSpec {
    /**
     * complete: 200 with one Patient file in the requested container of the account's storage; elsewhere: the file lies
     * in another storage account; firewall / rbac / identity: the job fails as storage refused it (403
     * AuthorizationFailure, 403 AuthorizationPermissionMismatch, 401 no token for the identity); never: stays 202.
     */
    result: "complete" | "elsewhere" | "firewall" | "rbac" | "identity" | "never";
    /** 202 answers to the status URL before the result (default 1). */
    polls?: number;
    /** Retry-After sent with each 202 (default none). */
    retryAfter?: string;
    /** The kick-off answers 403 (the caller lacks FHIR Data Exporter). */
    callerForbidden?: boolean;
}

export type FakeConvertBehaviour = "ok" | "caller-forbidden" | "not-configured" | "acr-unauthorized" | "image-not-found" | "template-error";

export interface FakeAccountSpec {
    behaviour: FakeBehaviour;
    /** Advertise $export (default true). */
    export?: boolean;
    /** The SMART configuration's endpoints: the authority's (default), the retired proxy's, or without token_endpoint. */
    smart?: "entra" | "proxy" | "incomplete";
    /** Export jobs (default: complete after one poll). */
    exportJob?: FakeExportSpec;
    /** $convert-data (default ok). */
    convert?: FakeConvertBehaviour;
    /** The account's export storage account name, for manifest URLs (default st<account>, as fakeStackOutputs says). */
    storageAccount?: string;
    /** The audience this service accepts (default: its base URL). */
    audience?: string;
    /** The tenant this service trusts (default: the server's tenant). */
    tenantId?: string;
    /** For "throttled": how many refusals before it answers, with which status (429 or 503), and the Retry-After sent (null: none). */
    throttle?: number;
    throttleStatus?: 429 | 503;
    retryAfter?: string | null;
    /** Echo the bearer token back in 401 bodies (a misbehaving service, to prove verify redacts it). */
    echoTokenOn401?: boolean;
    /**
     * Asked on every request: why the service cannot use its customer-managed key right now, or undefined when it can.
     * While it cannot, it answers 500 like "server-error" (the engine tests ask the fake Azure: engine/plugins/fakeAzure.ts
     * fhirKeyProblem).
     */
    keyProblem?: () => string | undefined;
}

export interface FakeRequest {
    account: string;
    method: string;
    path: string;
    query: Record<string, string>;
    /** The Prefer header, where sent. */
    prefer?: string;
    status: number | "hung";
    seq: number;
}

export interface FakeFhirServer {
    baseUrl: string;
    urlOf(account: string): string;
    audienceOf(account: string): string;
    requests: FakeRequest[];
    /** Most requests in flight at once, across accounts. */
    maxInFlight: number;
    /** Drops the connections of requests left hanging (the client sees a reset); returns how many. */
    dropHung(): number;
    close(): Promise<void>;
}

export function capabilityStatement(withExport: boolean): Record<string, unknown> {
    return {
        resourceType: "CapabilityStatement",
        status: "active",
        kind: "instance",
        fhirVersion: "4.0.1",
        format: ["application/fhir+json"],
        rest: [
            {
                mode: "server",
                security: {
                    service: [{ coding: [{ system: "http://terminology.hl7.org/CodeSystem/restful-security-service", code: "OAuth" }] }],
                },
                resource: [
                    {
                        type: "Patient",
                        interaction: [{ code: "read" }, { code: "search-type" }],
                        ...(withExport
                            ? {
                                  operation: [
                                      { name: "export", definition: "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export" },
                                  ],
                              }
                            : {}),
                    },
                ],
                operation: withExport
                    ? [
                          { name: "export", definition: "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export" },
                          { name: "convert-data", definition: "http://example/convert" },
                      ]
                    : [{ name: "convert-data", definition: "http://example/convert" }],
            },
        ],
    };
}

function outcome(code: string, diagnostics: string): Record<string, unknown> {
    return { resourceType: "OperationOutcome", issue: [{ severity: "error", code, diagnostics }] };
}

interface FakeJob {
    account: string;
    container: string;
    parallel: boolean;
    pollsLeft: number;
    cancelled: boolean;
}

/** The storage refusal a failed job reports, as fhir-server passes the storage exception's message on. */
const STORAGE_REFUSALS = {
    firewall: {
        status: 403,
        text: "This request is not authorized to perform this operation. Status: 403 (This request is not authorized to perform this operation.) ErrorCode: AuthorizationFailure",
    },
    rbac: {
        status: 403,
        text: "This request is not authorized to perform this operation using this permission. Status: 403 ErrorCode: AuthorizationPermissionMismatch",
    },
    identity: { status: 401, text: "Unable to get an access token for the export destination." },
} as const;

function readBody(req: http.IncomingMessage): Promise<string> {
    return new Promise((resolve) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    });
}

export async function startFakeFhirServer(opts: {
    signer: FakeSigner;
    tenantId: string;
    accounts: Record<string, FakeAccountSpec>;
}): Promise<FakeFhirServer> {
    const requests: FakeRequest[] = [];
    const throttled = new Map<string, number>();
    const jobs = new Map<string, FakeJob>();
    const hung = new Set<http.ServerResponse>();
    let seq = 0;
    let inFlight = 0;
    const state = { maxInFlight: 0 };
    let baseUrl = "";
    const urlOf = (account: string): string => `${baseUrl}/${account}`;
    const audienceOf = (account: string): string => opts.accounts[account]?.audience ?? urlOf(account);

    const server = http.createServer(async (req, res) => {
        const url = new URL(req.url ?? "/", "http://127.0.0.1");
        const [, account = "", ...rest] = url.pathname.split("/");
        const path = `/${rest.join("/")}`;
        const spec = opts.accounts[account];
        const method = req.method ?? "GET";
        const query = Object.fromEntries(url.searchParams.entries());
        const prefer = typeof req.headers.prefer === "string" ? req.headers.prefer : undefined;
        const body = method === "POST" ? await readBody(req) : "";
        inFlight++;
        state.maxInFlight = Math.max(state.maxInFlight, inFlight);
        let finished = false;
        const finish = (): void => {
            if (!finished) {
                finished = true;
                inFlight--;
            }
        };
        res.on("close", finish);
        const send = (status: number, payload: unknown, headers: Record<string, string> = {}): void => {
            requests.push({ account, method, path, query, ...(prefer ? { prefer } : {}), status, seq: ++seq });
            res.writeHead(status, { "content-type": "application/fhir+json", ...headers });
            res.end(payload === undefined ? "" : JSON.stringify(payload));
        };
        if (!spec) return send(404, outcome("not-found", `no FHIR service ${account}`));
        if (spec.behaviour === "hang") {
            requests.push({ account, method, path, query, status: "hung", seq: ++seq });
            hung.add(res);
            res.on("close", () => hung.delete(res));
            return; // never answers; the client times out and the socket closes
        }

        // Authentication: signature, expiry, audience, tenant.
        const tenant = spec.tenantId ?? opts.tenantId;
        const audience = audienceOf(account);
        const auth = req.headers.authorization ?? "";
        const token = auth.startsWith("Bearer ") ? auth.slice("Bearer ".length) : "";
        const verdict = token ? opts.signer.verify(token) : ({ ok: false, reason: "no bearer token" } as const);
        let problem = verdict.ok ? undefined : verdict.reason;
        if (verdict.ok && verdict.claims.aud !== audience) problem = `The audience '${verdict.claims.aud}' is invalid`;
        else if (verdict.ok && verdict.claims.tid !== tenant) problem = `The issuer tenant '${verdict.claims.tid}' is invalid`;
        if (problem) {
            const challenge =
                `Bearer authorization_uri="https://login.microsoftonline.com/${tenant}", resource_id="${audience}", ` +
                `realm="${audience}", error="invalid_token", error_description="${problem}"`;
            const diag = spec.echoTokenOn401 ? `${problem}; received Authorization: ${auth}` : problem;
            return send(401, outcome("login", diag), { "www-authenticate": challenge });
        }

        if (spec.behaviour === "server-error" || spec.keyProblem?.()) {
            return send(
                500,
                outcome("exception", "The customer-managed key for this service could not be accessed (KeyVault: Forbidden)."),
            );
        }
        if (spec.behaviour === "throttled") {
            const n = throttled.get(account) ?? 0;
            if (n < (spec.throttle ?? 1)) {
                throttled.set(account, n + 1);
                const retryAfter = spec.retryAfter === undefined ? "1" : spec.retryAfter;
                return send(
                    spec.throttleStatus ?? 429,
                    outcome("throttled", "Too many requests"),
                    retryAfter === null ? {} : { "retry-after": retryAfter },
                );
            }
        }
        if (path === "/metadata") return send(200, capabilityStatement(spec.export ?? true));
        if (path === "/.well-known/smart-configuration") {
            const authority = `https://login.microsoftonline.com/${tenant}/oauth2/v2.0`;
            const proxy = `${urlOf(account)}/AadSmartOnFhirProxy`;
            return send(200, {
                authorization_endpoint: spec.smart === "proxy" ? `${proxy}/authorize` : `${authority}/authorize`,
                ...(spec.smart === "incomplete"
                    ? {}
                    : { token_endpoint: spec.smart === "proxy" ? `${proxy}/token` : `${authority}/token` }),
                capabilities: ["launch-standalone", "client-public"],
            });
        }
        if (path === "/Patient") {
            if (spec.behaviour === "forbidden") return send(403, outcome("forbidden", "Authorization failed."));
            return send(200, { resourceType: "Bundle", type: "searchset", total: 0 });
        }
        if (path === "/$export" && method === "GET") {
            const job = spec.exportJob ?? { result: "complete" };
            if (job.callerForbidden) return send(403, outcome("forbidden", "Authorization failed."));
            if (!/respond-async/.test(prefer ?? "")) return send(400, outcome("invalid", "The Prefer header must be respond-async."));
            const id = String(++seq);
            jobs.set(id, {
                account,
                container: query._container ?? "",
                parallel: query._isParallel !== "false",
                pollsLeft: job.polls ?? 1,
                cancelled: false,
            });
            return send(202, undefined, { "content-location": `${urlOf(account)}/_operations/export/${id}` });
        }
        const jobMatch = /^\/_operations\/export\/(\d+)$/.exec(path);
        if (jobMatch) {
            const job = jobs.get(jobMatch[1] as string);
            const result = spec.exportJob ?? { result: "complete" };
            if (!job || job.account !== account) return send(404, outcome("not-found", "Job not found."));
            if (method === "DELETE") {
                job.cancelled = true;
                return send(202, undefined);
            }
            if (job.cancelled) return send(404, outcome("not-found", "Job not found."));
            if (result.result === "never" || job.pollsLeft > 0) {
                job.pollsLeft--;
                return send(202, undefined, result.retryAfter ? { "retry-after": result.retryAfter } : {});
            }
            const refusal =
                result.result === "firewall" || result.result === "rbac" || result.result === "identity"
                    ? STORAGE_REFUSALS[result.result]
                    : undefined;
            if (refusal && !job.parallel) {
                return send(refusal.status, outcome("exception", `Export operation failed for reason: ${refusal.text}`));
            }
            const storage = result.result === "elsewhere" ? "stsomeoneelse" : (spec.storageAccount ?? `st${account}`);
            // A parallel export of nothing new never connected to storage: an empty manifest, whatever storage would say.
            const output =
                job.parallel && refusal
                    ? []
                    : [
                          {
                              type: "Patient",
                              url: `https://${storage}.blob.core.windows.net/${job.container}/20261115T120000-${jobMatch[1]}/Patient-1.ndjson`,
                              count: 1,
                          },
                      ];
            return send(200, {
                transactionTime: "2026-11-15T12:00:00Z",
                request: `${urlOf(account)}/$export`,
                requiresAccessToken: false,
                output,
                error: [],
            });
        }
        if (path === "/$convert-data" && method === "POST") {
            const behaviour = spec.convert ?? "ok";
            let ref = "";
            try {
                const params = JSON.parse(body) as { parameter?: { name?: string; valueString?: string }[] };
                ref = params.parameter?.find((p) => p.name === "templateCollectionReference")?.valueString ?? "";
            } catch {
                return send(400, outcome("invalid", "The request body is not a Parameters resource."));
            }
            const registry = ref.split("/")[0] ?? "";
            switch (behaviour) {
                case "caller-forbidden":
                    return send(403, outcome("forbidden", "Authorization failed."));
                case "not-configured":
                    return send(400, outcome("exception", `The container registry '${registry}' is not configured.`));
                case "acr-unauthorized":
                    return send(400, outcome("exception", `Failed to access container registry '${registry}'.`));
                case "image-not-found":
                    return send(400, outcome("exception", `Template collection '${ref}' is not found.`));
                case "template-error":
                    return send(400, outcome("exception", "Failed to render the template 'ADT_A01'."));
                default:
                    return send(200, { resourceType: "Bundle", type: "batch", entry: [] });
            }
        }
        return send(404, outcome("not-found", `unknown path ${path}`));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return {
        baseUrl,
        urlOf,
        audienceOf,
        requests,
        get maxInFlight() {
            return state.maxInFlight;
        },
        dropHung() {
            const n = hung.size;
            for (const res of hung) res.socket?.destroy();
            hung.clear();
            return n;
        },
        close: () =>
            new Promise<void>((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}

export interface FakeOutputOptions {
    exportEnabled?: boolean;
    /** Outputs of a stack deployed before the SMART proxy's retirement carry smartProxyEnabled; newer ones do not. */
    legacySmartProxy?: boolean;
    smartIdentityProviders?: string[];
    importEnabled?: boolean;
    acrLoginServers?: string[];
    acrTemplateImages?: string[];
    publicNetworkAccess?: "Enabled" | "Disabled";
    audience?: string;
    fhirUrl?: string;
    /** Include fhirServiceId, keyId and keyRotationDays (the outputs the key check needs; test/fakes/armServer.ts serves them). */
    keyCheck?: boolean;
    /** Default "trustedServices", as the program's default. */
    keyVaultNetwork?: string;
}

/**
 * Stack outputs (the `accounts` map) for accounts served by the fake, shaped like FhirAccountOutputs. Without
 * `keyCheck` they are the outputs of a stack deployed before the key check existed (no fhirServiceId/keyId); with
 * `legacySmartProxy` those of a stack deployed before the SMART proxy's retirement (smartProxyEnabled, and none of
 * importEnabled, smartIdentityProviders, acrLoginServers, acrTemplateImages).
 */
export function fakeStackOutputs(
    fhir: FakeFhirServer,
    tenantId: string,
    accounts: Record<string, FakeOutputOptions>,
): { accounts: Record<string, Record<string, unknown>> } {
    const out: Record<string, Record<string, unknown>> = {};
    for (const [name, a] of Object.entries(accounts)) {
        const fhirUrl = a.fhirUrl ?? fhir.urlOf(name);
        out[name] = {
            subscription: "dev",
            subscriptionId: FAKE_SUBSCRIPTION_ID,
            workspaceGroup: name,
            resourceGroupName: `rg-fhir-dev-${name}`,
            workspaceResourceGroupName: `rg-fhir-dev-${name}`,
            workspaceName: `ws${name}`,
            fhirServiceName: name,
            fhirUrl,
            audience: a.audience ?? fhirUrl,
            authority: `https://login.microsoftonline.com/${tenantId}`,
            identityResourceId: fakeIdentityId(name),
            identityClientId: "11111111-0000-4000-8000-000000000001",
            identityPrincipalId: FAKE_IDENTITY_PRINCIPAL,
            keyUri: fakeKeyUri(name),
            keyVaultUri: `https://kv-${name}.vault.azure.net/`,
            keyVaultId: fakeKeyId(name).replace(/\/keys\/fhir-cmk$/, ""),
            keyName: "fhir-cmk",
            keyVaultNetwork: a.keyVaultNetwork ?? "trustedServices",
            ...(a.keyCheck ? { fhirServiceId: fakeFhirServiceId(name), keyId: fakeKeyId(name), keyRotationDays: 90 } : {}),
            ...((a.exportEnabled ?? true) ? { exportStorageAccount: `st${name}` } : {}),
            exportEnabled: a.exportEnabled ?? true,
            ...(a.legacySmartProxy !== undefined
                ? { smartProxyEnabled: a.legacySmartProxy }
                : {
                      importEnabled: a.importEnabled ?? false,
                      smartIdentityProviders: a.smartIdentityProviders ?? [],
                      acrLoginServers: a.acrLoginServers ?? [],
                      acrTemplateImages: a.acrTemplateImages ?? [],
                  }),
            ...(a.publicNetworkAccess ? { publicNetworkAccess: a.publicNetworkAccess } : {}),
        };
    }
    return { accounts: out };
}
