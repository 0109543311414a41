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
import { getWithRetry, type Clock, type HttpOutcome, type RetryPolicy } from "./http";

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

async function getJson(url: string, what: string, opts: ArmOptions): Promise<ArmResult<unknown>> {
    const outcome = await getWithRetry(url, {
        headers: { Authorization: `Bearer ${opts.token}`, Accept: "application/json" },
        timeoutMs: opts.timeoutMs,
        policy: opts.policy,
        ...(opts.clock ? { clock: opts.clock } : {}),
        ...(opts.onRetry ? { onRetry: opts.onRetry } : {}),
    });
    if (outcome.kind === "network" || outcome.status < 200 || outcome.status > 299)
        return { ok: false, failure: { kind: "http", what, outcome } };
    try {
        return { ok: true, value: JSON.parse(outcome.body) as unknown };
    } catch {
        return { ok: false, failure: { kind: "malformed", what, reason: "the answer is not JSON" } };
    }
}

/** The FHIR service as ARM reports it: only what the key check reads. */
export interface ArmFhirService {
    /** properties.encryption.customerManagedKeyEncryption.keyEncryptionKeyUrl; undefined when the service has no CMK. */
    keyEncryptionKeyUrl?: string;
    provisioningState?: string;
}

export function parseFhirService(body: unknown): ArmFhirService | undefined {
    if (!isRecord(body) || !isRecord(body.properties)) return undefined;
    const props = body.properties;
    const cmk =
        isRecord(props.encryption) && isRecord(props.encryption.customerManagedKeyEncryption)
            ? props.encryption.customerManagedKeyEncryption
            : undefined;
    const url = cmk?.keyEncryptionKeyUrl;
    return {
        ...(typeof url === "string" && url ? { keyEncryptionKeyUrl: url } : {}),
        ...(typeof props.provisioningState === "string" ? { provisioningState: props.provisioningState } : {}),
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
