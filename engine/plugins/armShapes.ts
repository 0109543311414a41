/**
 * What the fake ARM answers a GET, and what azure-native makes of it on a refresh.
 *
 * - `azureOutputs`: a resource's outputs as azure-native has them after a GET (its Create and Update read the resource
 *   back, `readAfterWrite`, so state holds a GET's shape too). Over what the provider wrote, Azure adds what the REST
 *   specs' examples show it adds (at the API versions of azure/providerRules.ts), and what changed outside Pulumi
 *   (`azure.drift`, a portal edit):
 *   - Key (keyvault 2024-11-01 examples/getKey.json): `keyUri` and `keyUriWithVersion` with `:443`, the *current*
 *     version ("Keys - Get": "Gets the current version of the specified key"), its `attributes` (enabled, created,
 *     updated, exp) as epoch seconds; the versions come from the fake clock (keyVault.ts).
 *   - FHIR service (healthcareapis 2024-03-31 examples/fhirservices/FhirServices_Create.json, FhirServices_Get.json):
 *     `provisioningState`, `eventState: "Disabled"`, the identity as a map of `{ principalId, clientId }` per
 *     user-assigned identity; the key URL stays the one it was given (it is pinned, azure/facts.ts KEY_LIFECYCLE).
 *   - Storage with a versionless key (storage.json#/definitions/KeyVaultProperties, 2024-01-01):
 *     `currentVersionedKeyIdentifier` and `lastKeyRotationTimestamp`, from its daily check of the vault (keyVault.ts).
 * - `refreshedInputs`: azure-native's Read (azure/providerRules.ts, READ): the old inputs with only what changed between
 *   the projections of the old and the new outputs applied to them.
 * - `restGet`: the same resources in ARM's REST shape, for the loopback ARM server verify reads in the engine tests
 *   (FhirServices_Get, Keys_ListVersions, UserAssignedIdentities_Get, StorageAccounts_GetProperties).
 */
import { PROVISIONING_STATES } from "../../azure/facts";
import { PROVIDER_RULES, underPath } from "../../azure/providerRules";
import type { ArmRecord, ArmTableView, PropertyMap } from "./fakeArm";
import { armKeyUri, currentVersion, keyVersions, storageKeyVersion } from "./keyVault";

const FHIR = "azure-native:healthcareapis:FhirService";
const KEY = "azure-native:keyvault:Key";
const VAULT = "azure-native:keyvault:Vault";
const STORAGE = "azure-native:storage:StorageAccount";
const IDENTITY = "azure-native:managedidentity:UserAssignedIdentity";

function isMap(v: unknown): v is PropertyMap {
    return !!v && typeof v === "object" && !Array.isArray(v);
}

const lower = (v: unknown) => (typeof v === "string" ? v.toLowerCase() : undefined);

/** `base` with `patch` merged in, objects recursively (a portal edit of some properties). */
export function deepMerge(base: PropertyMap, patch: PropertyMap): PropertyMap {
    const out: PropertyMap = { ...base };
    for (const [k, v] of Object.entries(patch)) out[k] = isMap(v) && isMap(out[k]) ? deepMerge(out[k] as PropertyMap, v) : v;
    return out;
}

const seconds = (ms: number) => Math.floor(ms / 1000);

/** The key record a vault URI and key name point at. */
export function findKey(table: ArmTableView, vaultName: string, keyName: string): ArmRecord | undefined {
    return table
        .list()
        .find(
            (r) =>
                r.type === KEY &&
                lower(r.inputs.vaultName) === vaultName.toLowerCase() &&
                lower(r.inputs.keyName) === keyName.toLowerCase(),
        );
}

function keyOutputs(record: ArmRecord, at: number): PropertyMap {
    const current = currentVersion(record, at);
    const keyUri = armKeyUri(String(record.inputs.vaultName), String(record.inputs.keyName));
    if (!current) return { ...record.outputs, keyUri };
    return {
        ...record.outputs,
        keyUri,
        keyUriWithVersion: `${keyUri}/${current.version}`,
        attributes: {
            enabled: current.enabled,
            created: seconds(current.created),
            updated: seconds(current.updated),
            ...(current.expires !== undefined ? { expires: seconds(current.expires) } : {}),
        },
    };
}

function fhirOutputs(table: ArmTableView, record: ArmRecord, at: number): PropertyMap {
    const identity = isMap(record.outputs.identity) ? record.outputs.identity : undefined;
    const ids = identity?.userAssignedIdentities;
    const idList = Array.isArray(ids) ? ids.map(String) : isMap(ids) ? Object.keys(ids) : [];
    const userAssigned = Object.fromEntries(
        idList.map((id) => {
            const uai = table.get(id);
            return [id, { principalId: uai?.outputs.principalId, clientId: uai?.outputs.clientId }];
        }),
    );
    return {
        ...record.outputs,
        provisioningState:
            record.azure?.readyAt !== undefined && at < record.azure.readyAt
                ? PROVISIONING_STATES.creating
                : (record.azure?.provisioningState ?? PROVISIONING_STATES.succeeded),
        eventState: "Disabled",
        ...(identity ? { identity: { ...identity, userAssignedIdentities: userAssigned } } : {}),
    };
}

/** A storage account's versionless key, if it has one: vault name, key name. */
function storageVersionlessKey(outputs: PropertyMap): { vaultName: string; keyName: string } | undefined {
    const enc = isMap(outputs.encryption) ? outputs.encryption : undefined;
    const kv = enc && isMap(enc.keyVaultProperties) ? enc.keyVaultProperties : undefined;
    if (!kv || lower(enc?.keySource) !== "microsoft.keyvault" || kv.keyVersion) return undefined;
    const host = /^https:\/\/([^./]+)\./i.exec(String(kv.keyVaultUri ?? ""));
    return host && typeof kv.keyName === "string" ? { vaultName: host[1], keyName: kv.keyName } : undefined;
}

function storageOutputs(table: ArmTableView, record: ArmRecord, at: number): PropertyMap {
    const ref = storageVersionlessKey(record.outputs);
    const key = ref && findKey(table, ref.vaultName, ref.keyName);
    const used = key && storageKeyVersion(record.createdAt ?? at, key, at);
    if (!ref || !used) return record.outputs;
    const enc = record.outputs.encryption as PropertyMap;
    return {
        ...record.outputs,
        encryption: {
            ...enc,
            keyVaultProperties: {
                ...(enc.keyVaultProperties as PropertyMap),
                currentVersionedKeyIdentifier: `https://${ref.vaultName}.vault.azure.net/keys/${ref.keyName}/${used.version.version}`,
                lastKeyRotationTimestamp: new Date(used.since).toISOString(),
            },
        },
    };
}

/** The outputs azure-native would hold after a GET of the resource at `at`. */
export function azureOutputs(table: ArmTableView, record: ArmRecord, at: number): PropertyMap {
    const base =
        record.type === KEY
            ? keyOutputs(record, at)
            : record.type === FHIR
              ? fhirOutputs(table, record, at)
              : record.type === STORAGE
                ? storageOutputs(table, record, at)
                : record.outputs;
    return record.azure?.drift ? deepMerge(base, record.azure.drift) : base;
}

function deletePath(m: PropertyMap, dotted: string): void {
    const [head, ...rest] = dotted.split(".");
    if (rest.length === 0) {
        delete m[head];
        return;
    }
    if (isMap(m[head])) {
        m[head] = { ...(m[head] as PropertyMap) };
        deletePath(m[head] as PropertyMap, rest.join("."));
    }
}

function mapPath(m: PropertyMap, dotted: string, f: (v: unknown) => unknown): void {
    const [head, ...rest] = dotted.split(".");
    if (!(head in m)) return;
    if (rest.length === 0) {
        m[head] = f(m[head]);
        return;
    }
    if (isMap(m[head])) {
        m[head] = { ...(m[head] as PropertyMap) };
        mapPath(m[head] as PropertyMap, rest.join("."), f);
    }
}

/**
 * azure-native's SdkOutputsToSdkInputs, as far as the table says: the outputs without the type's output-only
 * properties, string sets as arrays. A type the table does not list keeps its outputs as they are (the fake writes
 * nothing there that changes by itself).
 */
export function projectToInputs(type: string, outputs: PropertyMap): PropertyMap {
    const rules = PROVIDER_RULES[type];
    const projected: PropertyMap = { ...outputs };
    delete projected.azureApiVersion;
    if (!rules) return projected;
    for (const { path } of rules.outputOnly) deletePath(projected, path);
    for (const { path } of rules.stringSets) mapPath(projected, path, (v) => (isMap(v) ? Object.keys(v) : v));
    // Path parameters are not body properties: they never come back from a GET as inputs.
    for (const p of rules.identity) if (!rules.outputOnly.some((o) => underPath(p, o.path))) delete projected[p];
    return projected;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** azure-native diff.go applyValueDiff: objects and arrays recursively, anything else takes the new value. */
function applyValueDiff(base: unknown, olds: unknown, news: unknown): unknown {
    if (isMap(base) && isMap(olds) && isMap(news)) return applyDiff(base, olds, news);
    if (Array.isArray(base) && Array.isArray(olds) && Array.isArray(news)) {
        return news.map((el, i) => (i >= base.length || i >= olds.length ? el : applyValueDiff(base[i], olds[i], el)));
    }
    return news;
}

/** azure-native diff.go applyDiff: `values` with the changes from `olds` to `news` applied (deleted, added, updated). */
export function applyDiff(values: PropertyMap, olds: PropertyMap, news: PropertyMap): PropertyMap {
    const result: PropertyMap = {};
    for (const [k, v] of Object.entries(values)) if (!(k in olds && !(k in news))) result[k] = v;
    for (const [k, v] of Object.entries(news)) {
        if (!(k in olds)) result[k] = v;
        else if (!same(olds[k], v)) result[k] = k in values ? applyValueDiff(values[k], olds[k], v) : v;
    }
    return result;
}

/** azure-native's Read: the inputs after a refresh that found `newOutputs` where state had `oldOutputs`. */
export function refreshedInputs(type: string, oldInputs: PropertyMap, oldOutputs: PropertyMap, newOutputs: PropertyMap): PropertyMap {
    return applyDiff(oldInputs, projectToInputs(type, oldOutputs), projectToInputs(type, newOutputs));
}

/** Properties that live outside `properties` in ARM's REST shape. */
const ENVELOPE = new Set(["id", "name", "type", "location", "tags", "kind", "identity", "etag", "sku", "systemData", "zones"]);

function restEnvelope(record: ArmRecord, outputs: PropertyMap, rename: Record<string, string> = {}): PropertyMap {
    const pathParams = new Set([...(PROVIDER_RULES[record.type]?.identity ?? []), "azureApiVersion"]);
    const properties: PropertyMap = {};
    const top: PropertyMap = { id: record.id };
    for (const [k, v] of Object.entries(outputs)) {
        if (pathParams.has(k)) continue;
        if (ENVELOPE.has(k)) top[k] = v;
        else properties[rename[k] ?? k] = v;
    }
    return { ...top, properties };
}

/** ARM's answer to a GET of `path` (lower-cased or not), or undefined when this fake does not serve it. */
export function restGet(table: ArmTableView, path: string, at: number): { status: number; body: unknown } | undefined {
    const notFound = { status: 404, body: { error: { code: "ResourceNotFound", message: `The resource '${path}' was not found.` } } };
    const versions = /^(.*\/providers\/microsoft\.keyvault\/vaults\/[^/]+\/keys\/[^/]+)\/versions$/i.exec(path);
    if (versions) {
        const key = table.get(versions[1]);
        if (!key) return { status: 404, body: { error: { code: "KeyNotFound", message: `The key was not found: ${versions[1]}.` } } };
        const keyUri = armKeyUri(String(key.inputs.vaultName), String(key.inputs.keyName));
        return {
            status: 200,
            body: {
                value: keyVersions(key, at).map((v) => ({
                    id: `${key.id}/versions/${v.version}`,
                    name: v.version,
                    type: "Microsoft.KeyVault/vaults/keys/versions",
                    location: key.outputs.location,
                    properties: {
                        attributes: {
                            enabled: v.enabled,
                            created: seconds(v.created),
                            updated: seconds(v.updated),
                            ...(v.expires !== undefined ? { exp: seconds(v.expires) } : {}),
                        },
                        keyUri,
                        keyUriWithVersion: `${keyUri}/${v.version}`,
                    },
                })),
            },
        };
    }
    const record = table.get(path);
    if (!record) return notFound;
    const outputs = azureOutputs(table, record, at);
    switch (record.type) {
        case FHIR:
        case VAULT:
            return { status: 200, body: restEnvelope(record, outputs) };
        case IDENTITY:
            return {
                status: 200,
                body: {
                    id: record.id,
                    name: outputs.name,
                    type: "Microsoft.ManagedIdentity/userAssignedIdentities",
                    location: outputs.location,
                    properties: { principalId: outputs.principalId, clientId: outputs.clientId, tenantId: outputs.tenantId },
                },
            };
        case STORAGE:
            // azure-native renames networkAcls to networkRuleSet and supportsHttpsTrafficOnly to enableHttpsTrafficOnly.
            return {
                status: 200,
                body: restEnvelope(record, outputs, { networkRuleSet: "networkAcls", enableHttpsTrafficOnly: "supportsHttpsTrafficOnly" }),
            };
        default:
            return undefined;
    }
}
