/**
 * Azure Resource Manager reads for the key check: control plane only (not blocked by the vault firewall; Reader on
 * the resource group is enough). Two calls per account, shapes from azure-rest-api-specs:
 *   - Microsoft.HealthcareApis 2024-03-31 `FhirServices_Get`: properties.encryption.customerManagedKeyEncryption
 *     .keyEncryptionKeyUrl is the key URL the service really uses.
 *   - Microsoft.KeyVault 2024-11-01 `Keys_ListVersions` (`<keyId>/versions`, x-ms-pageable with nextLink):
 *     each item's `name` is the version, `properties.keyUriWithVersion` its URI (ARM writes it with `:443`), and
 *     `properties.attributes` holds `enabled` and the epoch-second times `created`, `updated`, `nbf`, `exp` (the wire
 *     name; SDKs call it `expires`).
 * The ARM token goes only to the ARM endpoint: a nextLink to any other origin is refused, not followed.
 */
import { BUILT_IN_ROLES } from "../../azure/facts";
import { requestWithRetry, type Clock, type HttpOutcome, type RetryPolicy } from "./http";

export const ARM_DEFAULT_ENDPOINT = "https://management.azure.com";
/** The token audience for Azure Resource Manager (public cloud). */
export const ARM_RESOURCE = "https://management.azure.com";

/**
 * The token audience for an ARM endpoint: the endpoint itself when it is https (another cloud's ARM, such as
 * https://management.usgovcloudapi.net, takes tokens for itself), the public cloud's for a loopback test endpoint.
 */
export function armResourceFor(endpoint: string): string {
    return endpoint.startsWith("https://") ? endpoint.replace(/\/+$/, "") : ARM_RESOURCE;
}
export const FHIR_SERVICE_API_VERSION = "2024-03-31";
export const KEY_VAULT_API_VERSION = "2024-11-01";
/** Microsoft.ManagedIdentity `UserAssignedIdentities_Get` (stable 2023-01-31): properties.principalId, clientId. */
export const MANAGED_IDENTITY_API_VERSION = "2023-01-31";
/**
 * Microsoft.Storage (stable 2024-01-01): `StorageAccounts_GetProperties` (properties.networkAcls: defaultAction,
 * bypass, resourceAccessRules) and `BlobContainers_Create` / `_Get` / `_Delete`. Container calls are control plane:
 * "Azure Storage firewall rules only apply to data plane operations" ("Azure Storage firewall guidelines and
 * limitations"), so they work from outside the export storage's firewall.
 */
export const STORAGE_API_VERSION = "2024-01-01";
/** A key with more versions than this many pages is not what this stack makes: stop rather than loop. */
const MAX_PAGES = 50;

/** Reader (built-in, `*\/read` on the control plane): what the key check needs. The GUID lives in azure/facts.ts. */
export const READER_ROLE = { name: "Reader", id: BUILT_IN_ROLES.Reader } as const;

export interface ArmOptions {
    endpoint: string;
    token: string;
    timeoutMs: number;
    policy: RetryPolicy;
    clock?: Clock;
    onRetry?: (info: { retry: number; status: number; delayMs: number }) => void;
}

/** A failed ARM read: the HTTP outcome (non-2xx or network) or a reply that is not what the spec says. */
export type ArmFailure = { kind: "http"; what: string; outcome: HttpOutcome } | { kind: "malformed"; what: string; reason: string };

export type ArmResult<T> = { ok: true; value: T } | { ok: false; failure: ArmFailure };

function isRecord(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** `<endpoint><resourceId>?api-version=<v>` */
export function armUrl(endpoint: string, resourceId: string, apiVersion: string, suffix = ""): string {
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
        method,
        headers: {
            Authorization: `Bearer ${opts.token}`,
            Accept: "application/json",
            ...(body !== undefined ? { "Content-Type": "application/json" } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        timeoutMs: opts.timeoutMs,
        policy: opts.policy,
        ...(opts.clock ? { clock: opts.clock } : {}),
        ...(opts.onRetry ? { onRetry: opts.onRetry } : {}),
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

function getJson(url: string, what: string, opts: ArmOptions): Promise<ArmResult<unknown>> {
    return armCall("GET", url, what, opts);
}

/** The FHIR service's managed identity as ARM reports it (ARM common-types ManagedServiceIdentity). */
export interface ArmServiceIdentity {
    /** "UserAssigned", "SystemAssigned", "SystemAssigned,UserAssigned" or "None". */
    type?: string;
    /** userAssignedIdentities, keyed by lower-cased identity resource ID: the principal the service recorded for each. */
    userAssigned: Record<string, { principalId?: string; clientId?: string }>;
}

/** The FHIR service as ARM reports it: what the key check, the 500 diagnosis and the smoke test read. */
export interface ArmFhirService {
    /** properties.encryption.customerManagedKeyEncryption.keyEncryptionKeyUrl; undefined when the service has no CMK. */
    keyEncryptionKeyUrl?: string;
    provisioningState?: string;
    identity?: ArmServiceIdentity;
    /** properties.exportConfiguration.storageAccountName */
    exportStorageAccountName?: string;
    /** properties.importConfiguration: where AHDS exposes the import mode (FhirServices_Get, 2024-03-31). */
    importConfiguration?: { enabled?: boolean; initialImportMode?: boolean; integrationDataStore?: string };
    /** properties.acrConfiguration.loginServers */
    acrLoginServers?: string[];
}

export function parseFhirService(body: unknown): ArmFhirService | undefined {
    if (!isRecord(body) || !isRecord(body.properties)) return undefined;
    const props = body.properties;
    const cmk =
        isRecord(props.encryption) && isRecord(props.encryption.customerManagedKeyEncryption)
            ? props.encryption.customerManagedKeyEncryption
            : undefined;
    const url = cmk?.keyEncryptionKeyUrl;
    const str = (v: unknown): string | undefined => (typeof v === "string" && v ? v : undefined);
    const bool = (v: unknown): boolean | undefined => (typeof v === "boolean" ? v : undefined);
    let identity: ArmServiceIdentity | undefined;
    if (isRecord(body.identity)) {
        const userAssigned: ArmServiceIdentity["userAssigned"] = {};
        const uai = isRecord(body.identity.userAssignedIdentities) ? body.identity.userAssignedIdentities : {};
        for (const [id, v] of Object.entries(uai)) {
            const principalId = isRecord(v) ? str(v.principalId) : undefined;
            const clientId = isRecord(v) ? str(v.clientId) : undefined;
            userAssigned[id.toLowerCase()] = { ...(principalId ? { principalId } : {}), ...(clientId ? { clientId } : {}) };
        }
        const type = str(body.identity.type);
        identity = { ...(type ? { type } : {}), userAssigned };
    }
    const exp = isRecord(props.exportConfiguration) ? str(props.exportConfiguration.storageAccountName) : undefined;
    const imp = isRecord(props.importConfiguration) ? props.importConfiguration : undefined;
    const acr =
        isRecord(props.acrConfiguration) && Array.isArray(props.acrConfiguration.loginServers)
            ? props.acrConfiguration.loginServers
            : undefined;
    return {
        ...(typeof url === "string" && url ? { keyEncryptionKeyUrl: url } : {}),
        ...(typeof props.provisioningState === "string" ? { provisioningState: props.provisioningState } : {}),
        ...(identity ? { identity } : {}),
        ...(exp ? { exportStorageAccountName: exp } : {}),
        ...(imp
            ? {
                  importConfiguration: {
                      ...(bool(imp.enabled) !== undefined ? { enabled: bool(imp.enabled) as boolean } : {}),
                      ...(bool(imp.initialImportMode) !== undefined ? { initialImportMode: bool(imp.initialImportMode) as boolean } : {}),
                      ...(str(imp.integrationDataStore) ? { integrationDataStore: str(imp.integrationDataStore) as string } : {}),
                  },
              }
            : {}),
        ...(acr ? { acrLoginServers: acr.filter((x): x is string => typeof x === "string") } : {}),
    };
}

export async function getFhirService(fhirServiceId: string, opts: ArmOptions): Promise<ArmResult<ArmFhirService>> {
    const what = `GET ${fhirServiceId}`;
    const r = await getJson(armUrl(opts.endpoint, fhirServiceId, FHIR_SERVICE_API_VERSION), what, opts);
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
    notBefore?: number;
    expires?: number;
}

export function parseKeyVersion(item: unknown): KeyVersion | undefined {
    if (!isRecord(item)) return undefined;
    const props = isRecord(item.properties) ? item.properties : {};
    const attrs = isRecord(props.attributes) ? props.attributes : {};
    const uri = typeof props.keyUriWithVersion === "string" ? props.keyUriWithVersion : undefined;
    const version = typeof item.name === "string" && item.name ? item.name : uri?.split("/").filter(Boolean).pop();
    if (!version) return undefined;
    const num = (k: string): number | undefined => (typeof attrs[k] === "number" ? (attrs[k] as number) : undefined);
    const created = num("created");
    const updated = num("updated");
    const notBefore = num("nbf");
    const expires = num("exp");
    return {
        version,
        ...(uri ? { keyUriWithVersion: uri } : {}),
        // Key Vault always sends `enabled`; a version that does not say is not assumed to be usable.
        enabled: attrs.enabled === true,
        ...(created !== undefined ? { created } : {}),
        ...(updated !== undefined ? { updated } : {}),
        ...(notBefore !== undefined ? { notBefore } : {}),
        ...(expires !== undefined ? { expires } : {}),
    };
}

/** Every version of the key (`<keyId>/versions`), following nextLink on the ARM endpoint's origin only. */
export async function listKeyVersions(keyId: string, opts: ArmOptions): Promise<ArmResult<KeyVersion[]>> {
    const what = `GET ${keyId}/versions`;
    const origin = new URL(opts.endpoint).origin;
    const versions: KeyVersion[] = [];
    let url: string | undefined = armUrl(opts.endpoint, keyId, KEY_VAULT_API_VERSION, "/versions");
    for (let page = 1; url; page++) {
        if (page > MAX_PAGES)
            return { ok: false, failure: { kind: "malformed", what, reason: `more than ${MAX_PAGES} pages of versions` } };
        const r = await getJson(url, what, opts);
        if (!r.ok) return r;
        if (!isRecord(r.value) || !Array.isArray(r.value.value))
            return { ok: false, failure: { kind: "malformed", what, reason: "no `value` array in the list of key versions" } };
        for (const item of r.value.value) {
            const v = parseKeyVersion(item);
            if (v) versions.push(v);
        }
        const next = r.value.nextLink;
        url = undefined;
        if (typeof next === "string" && next) {
            let nextOrigin: string;
            try {
                nextOrigin = new URL(next).origin;
            } catch {
                return { ok: false, failure: { kind: "malformed", what, reason: "nextLink is not a URL" } };
            }
            if (nextOrigin !== origin) {
                return {
                    ok: false,
                    failure: {
                        kind: "malformed",
                        what,
                        reason: `nextLink leads to ${nextOrigin}, not ${origin}: not followed (the ARM token goes nowhere else)`,
                    },
                };
            }
            url = next;
        }
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
    const r = await getJson(armUrl(opts.endpoint, identityResourceId, MANAGED_IDENTITY_API_VERSION), `GET ${identityResourceId}`, opts);
    if (!r.ok) return r;
    const props = isRecord(r.value) && isRecord(r.value.properties) ? r.value.properties : {};
    return { ok: true, value: typeof props.principalId === "string" && props.principalId ? props.principalId : undefined };
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
    const r = await getJson(armUrl(opts.endpoint, storageAccountId, STORAGE_API_VERSION), `GET ${storageAccountId}`, opts);
    if (!r.ok) return r;
    const props = isRecord(r.value) && isRecord(r.value.properties) ? r.value.properties : {};
    const acls = isRecord(props.networkAcls) ? props.networkAcls : {};
    const rules = Array.isArray(acls.resourceAccessRules) ? acls.resourceAccessRules : [];
    return {
        ok: true,
        value: {
            ...(typeof acls.defaultAction === "string" ? { defaultAction: acls.defaultAction } : {}),
            ...(typeof acls.bypass === "string" ? { bypass: acls.bypass } : {}),
            resourceInstanceRules: rules.flatMap((x) => (isRecord(x) && typeof x.resourceId === "string" ? [x.resourceId] : [])),
        },
    };
}

/** `<storageAccountId>/blobServices/default/containers/<name>` */
export function containerId(storageAccountId: string, container: string): string {
    return `${storageAccountId}/blobServices/default/containers/${container}`;
}

export async function createContainer(storageAccountId: string, container: string, opts: ArmOptions): Promise<ArmResult<unknown>> {
    const id = containerId(storageAccountId, container);
    return armCall("PUT", armUrl(opts.endpoint, id, STORAGE_API_VERSION), `PUT ${id}`, opts, { properties: {} });
}

export async function deleteContainer(storageAccountId: string, container: string, opts: ArmOptions): Promise<ArmResult<unknown>> {
    const id = containerId(storageAccountId, container);
    return armCall("DELETE", armUrl(opts.endpoint, id, STORAGE_API_VERSION), `DELETE ${id}`, opts);
}
