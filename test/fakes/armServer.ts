/**
 * A fake Azure Resource Manager on loopback for verify's key check and smoke test. It serves, per account, the calls
 * they make, in the shapes of azure-rest-api-specs:
 *   GET <fhirServiceId>?api-version=2024-03-31       (HealthcareApis FhirServices_Get: encryption.customerManagedKeyEncryption.keyEncryptionKeyUrl,
 *                                                    identity (ManagedServiceIdentity: type, userAssignedIdentities{id: principalId, clientId}),
 *                                                    exportConfiguration, importConfiguration, acrConfiguration)
 *   GET <keyId>/versions?api-version=2024-11-01      (KeyVault Keys_ListVersions: one version per page, nextLink to the next)
 *   GET <identityId>?api-version=2023-01-31          (ManagedIdentity UserAssignedIdentities_Get: properties.principalId, clientId)
 *   GET <storageId>?api-version=2024-01-01           (Storage StorageAccounts_GetProperties: properties.networkAcls)
 *   PUT|DELETE <storageId>/blobServices/default/containers/<name>?api-version=2024-01-01   (BlobContainers_Create, _Delete: 200)
 * Every request needs a bearer token from the fake identity endpoint with aud https://management.azure.com. Each
 * account's key versions are built relative to `nowMs`, so ages and expiries are exact without waiting.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import type { FakeSigner } from "./jwt";

export const FAKE_SUBSCRIPTION_ID = "00000000-0000-4000-8000-00000000d001";
export const ARM_AUDIENCE = "https://management.azure.com";
/** The version the fake FHIR services use (and the stack's keyUri names). */
export const IN_USE_VERSION = "0123456789abcdef0123456789abcdef";
export const NEWER_VERSION = "fedcba9876543210fedcba9876543210";
export const OLDER_VERSION = "00112233445566778899aabbccddeeff";

export type FakeKeyBehaviour =
    /** The service uses the latest enabled version, 30 days old, no expiry (an older version is still enabled). */
    | "healthy"
    /** A newer version appeared 3 hours ago: inside any sensible lag window. */
    | "pending"
    /** A newer version has been enabled for 5 days; the service is still on the old one (95 days old). */
    | "lagging"
    /** The version in use expires in 10 days. */
    | "expiring"
    /** The version in use expired 2 days ago. */
    | "expired"
    /** The version in use (the newest) was disabled a day ago. */
    | "disabled"
    /** The service has a versionless key URL. */
    | "versionless"
    /** The service uses a key in another vault. */
    | "other-key"
    /** Every read answers 403 AuthorizationFailed (the caller lacks Reader). */
    | "forbidden"
    /** The FHIR service is there, the key is not (404 on its versions). */
    | "deleted"
    /** The first page of versions has a nextLink to `foreignNextLink` (another origin). */
    | "foreign-next-link";

/** The principal the stack outputs name for every fake account's identity (fakeStackOutputs). */
export const FAKE_IDENTITY_PRINCIPAL = "22222222-0000-4000-8000-000000000002";
export const RECREATED_PRINCIPAL = "33333333-0000-4000-8000-000000000003";
export const STALE_PRINCIPAL = "44444444-0000-4000-8000-000000000004";

export interface FakeArmAccount {
    behaviour: FakeKeyBehaviour;
    foreignNextLink?: string;
    /**
     * same: the service and the identity resource both hold the outputs' principal; recreated: the identity now has a
     * new principal, the service still the outputs'; service-stale: the identity matches the outputs, the service holds
     * an older principal; missing: the service has only a system-assigned identity.
     */
    identity?: "same" | "recreated" | "service-stale" | "missing";
    importConfiguration?: { enabled: boolean; initialImportMode: boolean; integrationDataStore?: string };
    acrLoginServers?: string[];
    /** The export storage account's firewall and what container writes answer (default: the stack's firewall, 200). */
    storage?: {
        defaultAction?: string;
        bypass?: string;
        /** Whether the resource-instance rule for the FHIR service is there (default true). */
        serviceRule?: boolean;
        /** Container PUT answers 403 (the caller lacks Storage Blob Data Contributor). */
        containerForbidden?: boolean;
        /** Container DELETE answers 500. */
        deleteFails?: boolean;
    };
}

export interface FakeArmRequest {
    account: string;
    kind: "fhir" | "versions" | "identity" | "storage" | "container" | "unknown";
    method: string;
    apiVersion: string | null;
    status: number;
    /** For containers: the container name. */
    container?: string;
}

export interface FakeArmServer {
    baseUrl: string;
    requests: FakeArmRequest[];
    close(): Promise<void>;
}

const rg = (account: string): string => `/subscriptions/${FAKE_SUBSCRIPTION_ID}/resourceGroups/rg-fhir-dev-${account}`;
export const fakeFhirServiceId = (account: string): string =>
    `${rg(account)}/providers/Microsoft.HealthcareApis/workspaces/ws${account}/fhirservices/${account}`;
export const fakeKeyId = (account: string): string => `${rg(account)}/providers/Microsoft.KeyVault/vaults/kv-${account}/keys/fhir-cmk`;
export const fakeIdentityId = (account: string): string =>
    `${rg(account)}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-fhir-${account}`;
export const fakeStorageId = (account: string): string => `${rg(account)}/providers/Microsoft.Storage/storageAccounts/st${account}`;
export const fakeKeyUri = (account: string, version = IN_USE_VERSION): string =>
    `https://kv-${account}.vault.azure.net/keys/fhir-cmk/${version}`;

interface VersionSpec {
    version: string;
    createdAgoS: number;
    enabled?: boolean;
    /** Seconds from now (negative: in the past). */
    expiresInS?: number;
    updatedAgoS?: number;
}

const H = 3600;
const D = 86_400;

/** The key's versions and the URL the service uses, per behaviour. */
function scenario(account: string, b: FakeKeyBehaviour): { keyUrl: string; versions: VersionSpec[] } {
    const inUse = fakeKeyUri(account);
    switch (b) {
        case "healthy":
        case "forbidden":
        case "deleted":
        case "foreign-next-link":
            return {
                keyUrl: inUse,
                versions: [
                    { version: OLDER_VERSION, createdAgoS: 120 * D },
                    { version: IN_USE_VERSION, createdAgoS: 30 * D },
                ],
            };
        case "pending":
            return {
                keyUrl: inUse,
                versions: [
                    { version: IN_USE_VERSION, createdAgoS: 95 * D },
                    { version: NEWER_VERSION, createdAgoS: 3 * H },
                ],
            };
        case "lagging":
            return {
                keyUrl: inUse,
                versions: [
                    { version: IN_USE_VERSION, createdAgoS: 95 * D },
                    { version: NEWER_VERSION, createdAgoS: 5 * D },
                ],
            };
        case "expiring":
            return { keyUrl: inUse, versions: [{ version: IN_USE_VERSION, createdAgoS: 20 * D, expiresInS: 10 * D }] };
        case "expired":
            return { keyUrl: inUse, versions: [{ version: IN_USE_VERSION, createdAgoS: 400 * D, expiresInS: -2 * D }] };
        case "disabled":
            return {
                keyUrl: inUse,
                versions: [
                    { version: OLDER_VERSION, createdAgoS: 60 * D },
                    { version: IN_USE_VERSION, createdAgoS: 30 * D, enabled: false, updatedAgoS: D },
                ],
            };
        case "versionless":
            return {
                keyUrl: `https://kv-${account}.vault.azure.net/keys/fhir-cmk`,
                versions: [{ version: IN_USE_VERSION, createdAgoS: 30 * D }],
            };
        case "other-key":
            return {
                keyUrl: `https://kv-elsewhere.vault.azure.net/keys/fhir-cmk/${IN_USE_VERSION}`,
                versions: [{ version: IN_USE_VERSION, createdAgoS: 30 * D }],
            };
    }
}

function armError(code: string, message: string): { error: { code: string; message: string } } {
    return { error: { code, message } };
}

/**
 * Answers for paths no scenario account serves: a GET of `path` (as requested), or undefined for 404. The engine tests
 * serve the fake Azure's resource table through it (engine/plugins/armShapes.ts restGet), on their simulated clock.
 */
export type ArmResolver = (method: string, path: string, apiVersion: string | null) => { status: number; body: unknown } | undefined;

export async function startFakeArmServer(opts: {
    signer: FakeSigner;
    tenantId: string;
    nowMs: number;
    accounts: Record<string, FakeArmAccount>;
    resolve?: ArmResolver;
}): Promise<FakeArmServer> {
    const requests: FakeArmRequest[] = [];
    const nowS = Math.floor(opts.nowMs / 1000);
    let baseUrl = "";
    const server = http.createServer((req, res) => {
        const url = new URL(req.url ?? "/", "http://127.0.0.1");
        const apiVersion = url.searchParams.get("api-version");
        const path = url.pathname.toLowerCase();
        const method = req.method ?? "GET";
        let account = "";
        let kind: FakeArmRequest["kind"] = "unknown";
        let container: string | undefined;
        for (const name of Object.keys(opts.accounts)) {
            // ARM paths are case-insensitive (IDs come back as both fhirservices and fhirServices).
            if (path === fakeFhirServiceId(name).toLowerCase()) [account, kind] = [name, "fhir"];
            else if (path === `${fakeKeyId(name).toLowerCase()}/versions`) [account, kind] = [name, "versions"];
            else if (path === fakeIdentityId(name).toLowerCase()) [account, kind] = [name, "identity"];
            else if (path === fakeStorageId(name).toLowerCase()) [account, kind] = [name, "storage"];
            else if (path.startsWith(`${fakeStorageId(name).toLowerCase()}/blobservices/default/containers/`)) {
                [account, kind] = [name, "container"];
                container = url.pathname.split("/").pop();
            }
        }
        const send = (status: number, body: unknown): void => {
            requests.push({ account, kind, method, apiVersion, status, ...(container ? { container } : {}) });
            res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
            res.end(JSON.stringify(body));
        };
        const auth = req.headers.authorization ?? "";
        const token = auth.startsWith("Bearer ") ? auth.slice("Bearer ".length) : "";
        const verdict = token ? opts.signer.verify(token) : ({ ok: false, reason: "no bearer token" } as const);
        if (!verdict.ok) return send(401, armError("InvalidAuthenticationToken", `The access token is invalid: ${verdict.reason}.`));
        if (verdict.claims.aud !== ARM_AUDIENCE)
            return send(401, armError("InvalidAuthenticationToken", `The access token has an invalid audience '${verdict.claims.aud}'.`));
        if (verdict.claims.tid !== opts.tenantId)
            return send(
                401,
                armError("InvalidAuthenticationTokenTenant", `The access token is from the wrong issuer tenant '${verdict.claims.tid}'.`),
            );

        const spec = opts.accounts[account];
        if ((!spec || kind === "unknown") && opts.resolve) {
            const answer = opts.resolve(method, url.pathname, apiVersion);
            if (answer) return send(answer.status, answer.body);
        }
        if (!spec || kind === "unknown") return send(404, armError("ResourceNotFound", `The resource '${url.pathname}' was not found.`));
        const wanted = {
            fhir: "2024-03-31",
            versions: "2024-11-01",
            identity: "2023-01-31",
            storage: "2024-01-01",
            container: "2024-01-01",
        }[kind];
        if (kind !== "container" && method !== "GET")
            return send(405, armError("MethodNotAllowed", `${method} is not served for ${kind} by this fake.`));
        if (apiVersion !== wanted)
            return send(
                400,
                armError("InvalidApiVersionParameter", `The api-version '${apiVersion}' is invalid for this fake; expected '${wanted}'.`),
            );
        if (spec.behaviour === "forbidden") {
            return send(
                403,
                armError(
                    "AuthorizationFailed",
                    `The client '${String(verdict.claims.oid)}' with object id '${String(verdict.claims.oid)}' does not have ` +
                        `authorization to perform action 'read' over scope '${url.pathname}' or the scope is invalid.`,
                ),
            );
        }
        const { keyUrl, versions } = scenario(account, spec.behaviour);
        const identity = spec.identity ?? "same";
        if (kind === "fhir") {
            const recorded = identity === "service-stale" ? STALE_PRINCIPAL : FAKE_IDENTITY_PRINCIPAL;
            return send(200, {
                id: fakeFhirServiceId(account),
                name: `ws${account}/${account}`,
                type: "Microsoft.HealthcareApis/workspaces/fhirservices",
                location: "westeurope",
                identity:
                    identity === "missing"
                        ? { type: "SystemAssigned", principalId: STALE_PRINCIPAL, tenantId: opts.tenantId }
                        : {
                              type: "UserAssigned",
                              userAssignedIdentities: {
                                  [fakeIdentityId(account)]: { principalId: recorded, clientId: "11111111-0000-4000-8000-000000000001" },
                              },
                          },
                properties: {
                    provisioningState: "Succeeded",
                    encryption: { customerManagedKeyEncryption: { keyEncryptionKeyUrl: keyUrl } },
                    exportConfiguration: { storageAccountName: `st${account}` },
                    ...(spec.importConfiguration ? { importConfiguration: spec.importConfiguration } : {}),
                    ...(spec.acrLoginServers ? { acrConfiguration: { loginServers: spec.acrLoginServers } } : {}),
                },
            });
        }
        if (kind === "identity") {
            return send(200, {
                id: fakeIdentityId(account),
                name: `id-fhir-${account}`,
                type: "Microsoft.ManagedIdentity/userAssignedIdentities",
                properties: {
                    tenantId: opts.tenantId,
                    principalId: identity === "recreated" ? RECREATED_PRINCIPAL : FAKE_IDENTITY_PRINCIPAL,
                    clientId: "11111111-0000-4000-8000-000000000001",
                },
            });
        }
        const st = spec.storage ?? {};
        if (kind === "storage") {
            return send(200, {
                id: fakeStorageId(account),
                name: `st${account}`,
                type: "Microsoft.Storage/storageAccounts",
                properties: {
                    networkAcls: {
                        defaultAction: st.defaultAction ?? "Deny",
                        bypass: st.bypass ?? "AzureServices",
                        resourceAccessRules: [
                            ...((st.serviceRule ?? true) ? [{ tenantId: opts.tenantId, resourceId: fakeFhirServiceId(account) }] : []),
                            {
                                tenantId: opts.tenantId,
                                resourceId: `${rg(account)}/providers/Microsoft.HealthcareApis/workspaces/ws${account}`,
                            },
                        ],
                    },
                },
            });
        }
        if (kind === "container") {
            if (method === "PUT" && st.containerForbidden)
                return send(
                    403,
                    armError("AuthorizationFailed", "The client does not have authorization to perform action 'containers/write'."),
                );
            if (method === "DELETE" && st.deleteFails) return send(500, armError("InternalError", "The container could not be deleted."));
            return send(200, {
                id: `${fakeStorageId(account)}/blobServices/default/containers/${container}`,
                name: container,
                properties: {},
            });
        }
        if (spec.behaviour === "deleted")
            return send(404, armError("KeyNotFound", `The key 'fhir-cmk' was not found in vault 'kv-${account}'.`));
        // One version per page: the check must follow nextLink to see them all.
        const page = Number(url.searchParams.get("$skiptoken") ?? "0");
        const v = versions[page];
        const item = v && {
            id: `${fakeKeyId(account)}/versions/${v.version}`,
            name: v.version,
            type: "Microsoft.KeyVault/vaults/keys/versions",
            location: "westeurope",
            properties: {
                attributes: {
                    enabled: v.enabled ?? true,
                    created: nowS - v.createdAgoS,
                    updated: nowS - (v.updatedAgoS ?? v.createdAgoS),
                    ...(v.expiresInS !== undefined ? { exp: nowS + v.expiresInS } : {}),
                    recoveryLevel: "Recoverable",
                },
                // As ARM writes them: with the default port.
                keyUri: `https://kv-${account}.vault.azure.net:443/keys/fhir-cmk`,
                keyUriWithVersion: `https://kv-${account}.vault.azure.net:443/keys/fhir-cmk/${v.version}`,
            },
        };
        const next =
            spec.behaviour === "foreign-next-link" && page === 0
                ? spec.foreignNextLink
                : page + 1 < versions.length
                  ? `${baseUrl}${fakeKeyId(account)}/versions?api-version=2024-11-01&$skiptoken=${page + 1}`
                  : undefined;
        return send(200, { value: item ? [item] : [], ...(next ? { nextLink: next } : {}) });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return {
        baseUrl,
        requests,
        close: () =>
            new Promise<void>((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}
