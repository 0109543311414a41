/**
 * Azure Resource Manager calls: control plane only (the vault firewall does not apply; Reader on the resource group is
 * enough for the reads). Shapes from azure-rest-api-specs:
 *   - Microsoft.HealthcareApis 2024-03-31 `FhirServices_Get`: properties.encryption.customerManagedKeyEncryption
 *     .keyEncryptionKeyUrl is the key URL the service really uses; identity, export, import and acr configuration.
 *   - Microsoft.KeyVault 2024-11-01 `Keys_ListVersions` (`<keyId>/versions`, x-ms-pageable with nextLink):
 *     each item's `name` is the version, `properties.keyUriWithVersion` its URI (ARM writes it with `:443`), and
 *     `properties.attributes` holds `enabled` and the epoch-second times `created`, `updated`, `exp` (the wire
 *     name; SDKs call it `expires`).
 *   - Microsoft.ManagedIdentity 2023-01-31 `UserAssignedIdentities_Get`: properties.principalId.
 *   - Microsoft.Storage 2024-01-01 `StorageAccounts_GetProperties` (properties.networkAcls: defaultAction, bypass,
 *     resourceAccessRules) and `BlobContainers_Create` / `_Delete`: control plane, and "Azure Storage firewall rules
 *     only apply to data plane operations" ("Azure Storage firewall guidelines and limitations"), so they work from
 *     outside the export storage's firewall.
 * The ARM token goes only to the ARM endpoint: a nextLink to any other origin is refused, not followed.
 */
import { BUILT_IN_ROLES } from "../../azure/facts";
import { requestWithRetry, type HttpOutcome, type HttpSettings } from "./http";

/** Azure Resource Manager of the public cloud: the default endpoint and its token audience. */
export const ARM_DEFAULT_ENDPOINT = "https://management.azure.com";

/**
 * The token audience for an ARM endpoint: the endpoint itself when it is https (another cloud's ARM, such as
 * https://management.usgovcloudapi.net, takes tokens for itself), the public cloud's for a loopback test endpoint.
 */
export function armResourceFor(endpoint: string): string {
    return endpoint.startsWith("https://") ? endpoint.replace(/\/+$/, "") : ARM_DEFAULT_ENDPOINT;
}

const API_VERSIONS = { fhir: "2024-03-31", keyVault: "2024-11-01", identity: "2023-01-31", storage: "2024-01-01" } as const;
/** A key with more versions than this many pages is not what this stack makes: stop rather than loop. */
const MAX_PAGES = 50;

/** Reader (built-in, `*\/read` on the control plane): what the key check needs. The GUID lives in azure/facts.ts. */
export const READER_ROLE = { name: "Reader", id: BUILT_IN_ROLES.Reader } as const;

export interface ArmOptions extends HttpSettings {
    endpoint: string;
    token: string;
}

/** A failed ARM read: the HTTP outcome (non-2xx or network) or a reply that is not what the spec says. */
export type ArmFailure = { kind: "http"; what: string; outcome: HttpOutcome } | { kind: "malformed"; what: string; reason: string };

export type ArmResult<T> = { ok: true; value: T } | { ok: false; failure: ArmFailure };

type Json = Record<string, unknown>;

function isRecord(v: unknown): v is Json {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** `v` when it is a JSON object, else an empty one: for reading optional nested fields. */
function obj(v: unknown): Json {
    return isRecord(v) ? v : {};
}

function str(v: unknown): string | undefined {
    return typeof v === "string" && v ? v : undefined;
}

function armUrl(endpoint: string, resourceId: string, apiVersion: string, suffix = ""): string {
    return `${endpoint.replace(/\/+$/, "")}${resourceId}${suffix}?api-version=${encodeURIComponent(apiVersion)}`;
}

/** One ARM call; 2xx with a JSON body (or none) is success, anything else a failure with its outcome. */
async function armCall(
    method: "GET" | "PUT" | "DELETE",
    url: string,
    what: string,
    opts: ArmOptions,
    body?: unknown,
): Promise<ArmResult<unknown>> {
    const outcome = await requestWithRetry(url, {
        ...opts,
        method,
        headers: {
            Authorization: `Bearer ${opts.token}`,
            Accept: "application/json",
            ...(body !== undefined ? { "Content-Type": "application/json" } : {}),
        },
        body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    if (outcome.kind === "network" || outcome.status < 200 || outcome.status > 299)
        return { ok: false, failure: { kind: "http", what, outcome } };
    if (!outcome.body.trim()) return { ok: true, value: null };
    try {
        return { ok: true, value: JSON.parse(outcome.body) as unknown };
    } catch {
        return { ok: false, failure: { kind: "malformed", what, reason: "the answer is not JSON" } };
    }
}

/** The FHIR service as ARM reports it: what the key check, the 500 diagnosis and the smoke test read. */
export interface ArmFhirService {
    /** properties.encryption.customerManagedKeyEncryption.keyEncryptionKeyUrl; undefined when the service has no CMK. */
    keyEncryptionKeyUrl?: string;
    /**
     * ARM common-types ManagedServiceIdentity: `type` ("UserAssigned", "SystemAssigned,UserAssigned", "None"…) and
     * userAssignedIdentities keyed by lower-cased identity resource ID: the principal the service recorded for each.
     */
    identity?: { type?: string; userAssigned: Record<string, { principalId?: string }> };
    /** properties.exportConfiguration.storageAccountName */
    exportStorageAccountName?: string;
    /** properties.importConfiguration: where AHDS exposes the import mode. */
    importConfiguration?: { enabled?: boolean; initialImportMode?: boolean; integrationDataStore?: string };
    /** properties.acrConfiguration.loginServers */
    acrLoginServers?: string[];
}

export function parseFhirService(body: unknown): ArmFhirService | undefined {
    if (!isRecord(body) || !isRecord(body.properties)) return undefined;
    const props = body.properties;
    const bool = (v: unknown): boolean | undefined => (typeof v === "boolean" ? v : undefined);
    const identity = isRecord(body.identity) ? body.identity : undefined;
    const imp = isRecord(props.importConfiguration) ? props.importConfiguration : undefined;
    const loginServers = obj(props.acrConfiguration).loginServers;
    return {
        keyEncryptionKeyUrl: str(obj(obj(props.encryption).customerManagedKeyEncryption).keyEncryptionKeyUrl),
        identity: identity && {
            type: str(identity.type),
            userAssigned: Object.fromEntries(
                Object.entries(obj(identity.userAssignedIdentities)).map(([id, v]) => [
                    id.toLowerCase(),
                    { principalId: str(obj(v).principalId) },
                ]),
            ),
        },
        exportStorageAccountName: str(obj(props.exportConfiguration).storageAccountName),
        importConfiguration: imp && {
            enabled: bool(imp.enabled),
            initialImportMode: bool(imp.initialImportMode),
            integrationDataStore: str(imp.integrationDataStore),
        },
        acrLoginServers: Array.isArray(loginServers) ? loginServers.filter((x): x is string => typeof x === "string") : undefined,
    };
}

export async function getFhirService(fhirServiceId: string, opts: ArmOptions): Promise<ArmResult<ArmFhirService>> {
    const what = `GET ${fhirServiceId}`;
    const r = await armCall("GET", armUrl(opts.endpoint, fhirServiceId, API_VERSIONS.fhir), what, opts);
    if (!r.ok) return r;
    const svc = parseFhirService(r.value);
    return svc
        ? { ok: true, value: svc }
        : { ok: false, failure: { kind: "malformed", what, reason: "no `properties` in the FHIR service resource" } };
}

/** One key version from Keys_ListVersions; times are epoch seconds, as ARM sends them. */
export interface KeyVersion {
    version: string;
    keyUriWithVersion?: string;
    enabled: boolean;
    created?: number;
    updated?: number;
    expires?: number;
}

export function parseKeyVersion(item: unknown): KeyVersion | undefined {
    if (!isRecord(item)) return undefined;
    const props = obj(item.properties);
    const attrs = obj(props.attributes);
    const keyUriWithVersion = str(props.keyUriWithVersion);
    const version = str(item.name) ?? keyUriWithVersion?.split("/").filter(Boolean).pop();
    const num = (k: string): number | undefined => (typeof attrs[k] === "number" ? attrs[k] : undefined);
    if (!version) return undefined;
    // Key Vault always sends `enabled`; a version that does not say is not assumed to be usable.
    return {
        version,
        keyUriWithVersion,
        enabled: attrs.enabled === true,
        created: num("created"),
        updated: num("updated"),
        expires: num("exp"),
    };
}

/** Every version of the key (`<keyId>/versions`), following nextLink on the ARM endpoint's origin only. */
export async function listKeyVersions(keyId: string, opts: ArmOptions): Promise<ArmResult<KeyVersion[]>> {
    const what = `GET ${keyId}/versions`;
    const malformed = (reason: string): ArmResult<KeyVersion[]> => ({ ok: false, failure: { kind: "malformed", what, reason } });
    const origin = new URL(opts.endpoint).origin;
    const versions: KeyVersion[] = [];
    let url: string | undefined = armUrl(opts.endpoint, keyId, API_VERSIONS.keyVault, "/versions");
    for (let page = 1; url; page++) {
        if (page > MAX_PAGES) return malformed(`more than ${MAX_PAGES} pages of versions`);
        const r = await armCall("GET", url, what, opts);
        if (!r.ok) return r;
        const list = obj(r.value);
        if (!Array.isArray(list.value)) return malformed("no `value` array in the list of key versions");
        versions.push(...list.value.flatMap((item) => parseKeyVersion(item) ?? []));
        url = str(list.nextLink);
        if (url === undefined) break;
        if (!URL.canParse(url)) return malformed("nextLink is not a URL");
        const nextOrigin = new URL(url).origin;
        if (nextOrigin !== origin)
            return malformed(`nextLink leads to ${nextOrigin}, not ${origin}: not followed (the ARM token goes nowhere else)`);
    }
    return { ok: true, value: versions };
}

/** Subscription and resource group of an ARM ID (the scope a Reader grant goes on). */
export function resourceGroupScope(resourceId: string): string | undefined {
    const m = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)/i.exec(resourceId);
    return m ? `/subscriptions/${m[1]}/resourceGroups/${m[2]}` : undefined;
}

/** A user-assigned identity's principal (object) ID, as ARM reports it now. */
export async function getIdentityPrincipal(identityResourceId: string, opts: ArmOptions): Promise<ArmResult<string | undefined>> {
    const r = await armCall("GET", armUrl(opts.endpoint, identityResourceId, API_VERSIONS.identity), `GET ${identityResourceId}`, opts);
    return r.ok ? { ok: true, value: str(obj(obj(r.value).properties).principalId) } : r;
}

/** What the export diagnosis needs of the storage account's firewall. */
export interface ArmStorageNetwork {
    defaultAction?: string;
    /** e.g. "AzureServices", "Logging, Metrics", "None" */
    bypass?: string;
    /** resourceAccessRules[].resourceId (the resource-instance rules). */
    resourceInstanceRules: string[];
}

export async function getStorageNetwork(storageAccountId: string, opts: ArmOptions): Promise<ArmResult<ArmStorageNetwork>> {
    const r = await armCall("GET", armUrl(opts.endpoint, storageAccountId, API_VERSIONS.storage), `GET ${storageAccountId}`, opts);
    if (!r.ok) return r;
    const acls = obj(obj(obj(r.value).properties).networkAcls);
    const rules = Array.isArray(acls.resourceAccessRules) ? acls.resourceAccessRules : [];
    return {
        ok: true,
        value: {
            defaultAction: str(acls.defaultAction),
            bypass: str(acls.bypass),
            resourceInstanceRules: rules.flatMap((x) => str(obj(x).resourceId) ?? []),
        },
    };
}

/** `BlobContainers_Create` (PUT) or `_Delete` of `<storageAccountId>/blobServices/default/containers/<container>`. */
export function containerCall(
    method: "PUT" | "DELETE",
    storageAccountId: string,
    container: string,
    opts: ArmOptions,
): Promise<ArmResult<unknown>> {
    const id = `${storageAccountId}/blobServices/default/containers/${container}`;
    return armCall(
        method,
        armUrl(opts.endpoint, id, API_VERSIONS.storage),
        `${method} ${id}`,
        opts,
        method === "PUT" ? { properties: {} } : undefined,
    );
}
