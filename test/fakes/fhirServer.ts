/**
 * A fake FHIR service on loopback hosting several "accounts" under path prefixes: http://127.0.0.1:<port>/<account>.
 * Every request must carry a bearer token signed by the fake identity endpoint, unexpired, whose aud is the
 * account's audience (its base URL unless overridden). Each account answers according to its behaviour.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { FAKE_SUBSCRIPTION_ID, fakeFhirServiceId, fakeKeyId, fakeKeyUri } from "./armServer";
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

export interface FakeAccountSpec {
    behaviour: FakeBehaviour;
    /** Advertise $export (default true). */
    export?: boolean;
    /** Serve /.well-known/smart-configuration (default false). */
    smart?: boolean;
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
}

export interface FakeRequest {
    account: string;
    path: string;
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

export async function startFakeFhirServer(opts: {
    signer: FakeSigner;
    tenantId: string;
    accounts: Record<string, FakeAccountSpec>;
}): Promise<FakeFhirServer> {
    const requests: FakeRequest[] = [];
    const throttled = new Map<string, number>();
    const hung = new Set<http.ServerResponse>();
    let seq = 0;
    let inFlight = 0;
    const state = { maxInFlight: 0 };
    let baseUrl = "";
    const urlOf = (account: string): string => `${baseUrl}/${account}`;
    const audienceOf = (account: string): string => opts.accounts[account]?.audience ?? urlOf(account);

    const server = http.createServer((req, res) => {
        const url = new URL(req.url ?? "/", "http://127.0.0.1");
        const [, account = "", ...rest] = url.pathname.split("/");
        const path = `/${rest.join("/")}`;
        const spec = opts.accounts[account];
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
        const send = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
            requests.push({ account, path, status, seq: ++seq });
            res.writeHead(status, { "content-type": "application/fhir+json", ...headers });
            res.end(JSON.stringify(body));
        };
        if (!spec) return send(404, outcome("not-found", `no FHIR service ${account}`));
        if (spec.behaviour === "hang") {
            requests.push({ account, path, status: "hung", seq: ++seq });
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

        if (spec.behaviour === "server-error") {
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
            if (!spec.smart) return send(404, outcome("not-found", "SMART proxy is off"));
            return send(200, {
                authorization_endpoint: `https://login.microsoftonline.com/${tenant}/oauth2/v2.0/authorize`,
                token_endpoint: `https://login.microsoftonline.com/${tenant}/oauth2/v2.0/token`,
                capabilities: ["launch-standalone", "client-public"],
            });
        }
        if (path === "/Patient") {
            if (spec.behaviour === "forbidden") return send(403, outcome("forbidden", "Authorization failed."));
            return send(200, { resourceType: "Bundle", type: "searchset", total: 0 });
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
    smartProxyEnabled?: boolean;
    audience?: string;
    fhirUrl?: string;
    /** Include fhirServiceId, keyId and keyRotationDays (the outputs the key check needs; test/fakes/armServer.ts serves them). */
    keyCheck?: boolean;
    /** Default "trustedServices", as the program's default. */
    keyVaultNetwork?: string;
}

/**
 * Stack outputs (the `accounts` map) for accounts served by the fake, shaped like FhirAccountOutputs. Without
 * `keyCheck` they are the outputs of a stack deployed before the key check existed (no fhirServiceId/keyId).
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
            identityResourceId: `/subscriptions/${FAKE_SUBSCRIPTION_ID}/resourceGroups/rg-fhir-dev-${name}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-fhir-${name}`,
            identityClientId: "11111111-0000-4000-8000-000000000001",
            identityPrincipalId: "22222222-0000-4000-8000-000000000002",
            keyUri: fakeKeyUri(name),
            keyVaultUri: `https://kv-${name}.vault.azure.net/`,
            keyVaultId: fakeKeyId(name).replace(/\/keys\/fhir-cmk$/, ""),
            keyName: "fhir-cmk",
            keyVaultNetwork: a.keyVaultNetwork ?? "trustedServices",
            ...(a.keyCheck ? { fhirServiceId: fakeFhirServiceId(name), keyId: fakeKeyId(name), keyRotationDays: 90 } : {}),
            ...((a.exportEnabled ?? true) ? { exportStorageAccount: `st${name}` } : {}),
            exportEnabled: a.exportEnabled ?? true,
            smartProxyEnabled: a.smartProxyEnabled ?? false,
        };
    }
    return { accounts: out };
}
