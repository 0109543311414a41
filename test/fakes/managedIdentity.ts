/**
 * A fake App Service managed identity endpoint on loopback, for @azure/identity's real ManagedIdentityCredential
 * (through @azure/msal-node's AppService source): it sends
 *   GET <IDENTITY_ENDPOINT>?api-version=2019-08-01&resource=<scope without /.default>
 * with header `X-IDENTITY-HEADER: <IDENTITY_HEADER>`, and expects JSON
 *   { access_token, expires_on (epoch seconds), resource, token_type }.
 * Tokens are HS256 JWTs whose aud is the requested resource. Unknown resources get Entra's AADSTS500011.
 */
import * as crypto from "node:crypto";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import type { FakeSigner } from "./jwt";

export interface FakeManagedIdentityOptions {
    signer: FakeSigner;
    tenantId: string;
    /** The caller's object id (the `oid` claim). */
    principalId?: string;
    /** Resources (audiences) the tenant knows; anything else is refused. */
    knownResources: () => Iterable<string>;
}

export interface FakeManagedIdentity {
    /** IDENTITY_ENDPOINT */
    endpoint: string;
    /** IDENTITY_HEADER */
    secret: string;
    requests: { resource: string | null; apiVersion: string | null; clientId: string | null }[];
    /** Sets IDENTITY_ENDPOINT/IDENTITY_HEADER (and clears other managed identity sources); returns a restore function. */
    applyEnv(env?: NodeJS.ProcessEnv): () => void;
    close(): Promise<void>;
}

/** Variables that would make @azure/identity pick another managed identity source or the token-exchange path. */
const OTHER_SOURCES = [
    "IDENTITY_SERVER_THUMBPRINT",
    "MSI_ENDPOINT",
    "MSI_SECRET",
    "IMDS_ENDPOINT",
    "AZURE_FEDERATED_TOKEN_FILE",
    "AZURE_CLIENT_ID",
    "AZURE_TENANT_ID",
];

export async function startFakeManagedIdentity(opts: FakeManagedIdentityOptions): Promise<FakeManagedIdentity> {
    const secret = crypto.randomBytes(16).toString("hex");
    const principalId = opts.principalId ?? "9a0c4d2e-0000-4000-8000-00000000cafe";
    const requests: FakeManagedIdentity["requests"] = [];
    const json = (res: http.ServerResponse, status: number, body: unknown): void => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(body));
    };
    const server = http.createServer((req, res) => {
        const url = new URL(req.url ?? "/", "http://127.0.0.1");
        const resource = url.searchParams.get("resource");
        requests.push({ resource, apiVersion: url.searchParams.get("api-version"), clientId: url.searchParams.get("client_id") });
        if (req.method !== "GET" || url.pathname !== "/msi/token") return json(res, 404, { error: "not_found" });
        if (req.headers["x-identity-header"] !== secret)
            return json(res, 401, { error: "unauthorized", error_description: "missing or wrong X-IDENTITY-HEADER" });
        if (url.searchParams.get("api-version") !== "2019-08-01")
            return json(res, 400, { error: "invalid_request", error_description: "api-version" });
        const known = new Set(opts.knownResources());
        if (!resource || !known.has(resource)) {
            return json(res, 400, {
                error: "invalid_resource",
                error_description:
                    `AADSTS500011: The resource principal named ${resource} was not found in the tenant named ` + `${opts.tenantId}.`,
            });
        }
        const now = Math.floor(Date.now() / 1000);
        const exp = now + 3600;
        const token = opts.signer.sign({
            aud: resource,
            iss: `https://sts.windows.net/${opts.tenantId}/`,
            tid: opts.tenantId,
            oid: principalId,
            iat: now,
            exp,
        });
        return json(res, 200, { access_token: token, expires_on: String(exp), resource, token_type: "Bearer", client_id: "fake-client" });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const endpoint = `http://127.0.0.1:${port}/msi/token`;
    return {
        endpoint,
        secret,
        requests,
        applyEnv(env = process.env) {
            const saved = Object.fromEntries([...OTHER_SOURCES, "IDENTITY_ENDPOINT", "IDENTITY_HEADER"].map((k) => [k, env[k]]));
            for (const k of OTHER_SOURCES) delete env[k];
            env.IDENTITY_ENDPOINT = endpoint;
            env.IDENTITY_HEADER = secret;
            return () => {
                for (const [k, v] of Object.entries(saved)) {
                    if (v === undefined) delete env[k];
                    else env[k] = v;
                }
            };
        },
        close: () =>
            new Promise<void>((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}
