/**
 * Typed stack configuration and its validation.
 *
 * `validateConfig` is pure: it takes the raw values of the `fhir-platform:*` keys (already parsed from YAML/JSON)
 * and returns either a fully defaulted `PlatformConfig` or every problem at once, each naming the account and the
 * field. `loadConfig` reads them from `pulumi.Config` and throws `ConfigValidationError` before any resource exists.
 */
import {
    AHDS_DEFAULT_QUOTAS,
    AHDS_PRIVATE_DNS_ZONES,
    AhdsPrivateDnsZone,
    CMK_KEY_SIZES,
    CMK_MAX_VAULT_PLUS_KEY_NAME,
    CmkKeySize,
    FHIR_DATA_ROLES,
    FHIR_REGIONS,
    FhirDataRole,
    GUID_PATTERN,
    KEY_ROTATION_DAYS,
    LOCATION_PATTERN,
    PRINCIPAL_TYPES,
    PrincipalType,
    RBAC_PROPAGATION_SECONDS,
} from "./azure";
import {
    ACCOUNT_NAME_PATTERN,
    AUTO_WORKSPACE_GROUP_PATTERN,
    CMK_KEY_NAME,
    RESERVED_ACCOUNT_NAMES,
    WORKSPACE_GROUP_PATTERN,
    checkName,
    maxKeyVaultNameLength,
} from "./naming";

export const CONFIG_NAMESPACE = "fhir-platform";

export interface GrantConfig {
    /** Object ID of the user, group or service principal in the stack's tenant. */
    principalId: string;
    principalType: PrincipalType;
    role: FhirDataRole;
    /** Optional note carried into the role assignment description. */
    description?: string;
}

export interface CorsConfig {
    origins: string[];
    headers: string[];
    methods: string[];
    maxAge?: number;
    allowCredentials: boolean;
}

export type PublicNetworkAccess = "Enabled" | "Disabled";

/**
 * How the account's key vault firewall admits callers. `trustedServices` (default): deny every network, let trusted
 * Microsoft services through (what "Configure customer-managed keys for the FHIR service" asks for). `allNetworks`:
 * no firewall (Entra ID + RBAC still required), for when the trusted-services bypass does not admit the FHIR service
 * (Key Vault's trusted-services table does not list Health Data Services: a known conflict in Microsoft's docs).
 */
export const KEY_VAULT_NETWORKS = ["trustedServices", "allNetworks"] as const;
export type KeyVaultNetwork = (typeof KEY_VAULT_NETWORKS)[number];

export interface AccountConfig {
    name: string;
    /**
     * Name of the account's current CMK key in its vault. Key size and rotation policy are fixed when Azure creates a
     * key, so moving to another size means a new key: a new name (the placement lock keeps the old one).
     */
    keyName: string;
    keySize: CmkKeySize;
    /** Days after which Key Vault rotates the key (creates a new version). */
    keyRotationDays: number;
    export: boolean;
    import: boolean;
    smartProxy: boolean;
    grants: GrantConfig[];
    cors?: CorsConfig;
    publicNetworkAccess: PublicNetworkAccess;
    keyVaultNetwork: KeyVaultNetwork;
    /** Subnet for the workspace private endpoint; required when publicNetworkAccess is Disabled. */
    privateEndpointSubnetId?: string;
    tags: Record<string, string>;
    /** Pinned workspace group (shared workspace) or undefined for automatic placement. */
    workspace?: string;
    /** Pinned subscription (by its `name` in `subscriptions`) or undefined for automatic placement. */
    subscription?: string;
}

export interface SubscriptionConfig {
    /** Short, stable name used in placement and resource names (the ID may change with a tenant move). */
    name: string;
    subscriptionId: string;
    /** Quotas; defaults are Azure's. Raise them only when Azure raised them for this subscription. */
    fhirServicesPerWorkspace: number;
    workspaces: number;
    fhirServices: number;
}

export type PlacementMode = "dedicated" | "shared";

export interface LogAnalyticsConfig {
    /** Existing workspace resource ID; when absent the stack creates one. */
    workspaceId?: string;
    retentionDays: number;
}

/**
 * DNS for the workspaces' private endpoints: either existing zones (hub and spoke: the connectivity team owns them and
 * their VNet links), or zones this stack creates in its platform resource group and links to the given VNets.
 */
export type PrivateDnsConfig =
    | { zoneIds: Record<AhdsPrivateDnsZone, string>; virtualNetworkIds?: undefined }
    | { zoneIds?: undefined; virtualNetworkIds: string[] };

export interface PlatformConfig {
    /**
     * The environment this stack belongs to (dev, staging, prod, ...): shards are checked together only within one
     * environment. Absent: the stack name up to its first hyphen (`prod-eu-1` -> `prod`).
     */
    environment?: string;
    /** False for example stacks whose IDs are placeholders: CI plans and checks them but never deploys them. */
    deploy: boolean;
    location: string;
    /** Accept a location missing from FHIR_REGIONS (a region added after this release). */
    allowUnlistedLocation: boolean;
    tenantId: string;
    subscriptions: SubscriptionConfig[];
    placement: PlacementMode;
    logAnalytics: LogAnalyticsConfig;
    protectStatefulResources: boolean;
    rbacPropagationSeconds: number;
    /** Required when an account is private (publicNetworkAccess: Disabled). */
    privateDns?: PrivateDnsConfig;
    tags: Record<string, string>;
    accounts: AccountConfig[];
}

export interface ConfigProblem {
    /** Config key path, for example `accounts[2].keySize`. */
    path: string;
    /** The account the problem belongs to, when it belongs to one. */
    account?: string;
    message: string;
}

export function formatProblem(p: ConfigProblem): string {
    const where = p.account !== undefined ? `account '${p.account}', field '${p.path}'` : `field '${p.path}'`;
    return `${where}: ${p.message}`;
}

export class ConfigValidationError extends Error {
    constructor(readonly problems: ConfigProblem[], source = `${CONFIG_NAMESPACE} config`) {
        super(
            `${source} has ${problems.length} problem${problems.length === 1 ? "" : "s"}:\n` +
                problems.map((p) => `  - ${formatProblem(p)}`).join("\n"),
        );
        this.name = "ConfigValidationError";
    }
}

/** The raw `fhir-platform:*` values, as parsed from the stack file. Everything is unknown until validated. */
export type RawConfig = Record<string, unknown>;

export const PLATFORM_KEYS = [
    "environment",
    "deploy",
    "location",
    "allowUnlistedLocation",
    "tenantId",
    "subscriptions",
    "placement",
    "logAnalytics",
    "protectStatefulResources",
    "rbacPropagationSeconds",
    "privateDns",
    "tags",
    "accounts",
] as const;

/** Keys of earlier releases, with what to do instead: read so that a stack file still using one gets told. */
export const REMOVED_KEYS: Readonly<Record<string, string>> = {
    cmkKeyUri:
        "was removed: the FHIR service always gets the versioned key URI, the only form Microsoft documents for FHIR CMK " +
        "(\"The key is versioned\"); rotation reaches it through `pulumi up --refresh` (the key-rotation workflow). Delete the key",
};

const ACCOUNT_KEYS = [
    "name",
    "keyName",
    "keySize",
    "keyRotationDays",
    "export",
    "import",
    "smartProxy",
    "grants",
    "cors",
    "publicNetworkAccess",
    "privateEndpointSubnetId",
    "keyVaultNetwork",
    "tags",
    "workspace",
    "subscription",
] as const;
const GRANT_KEYS = ["principalId", "principalType", "role", "description"] as const;
const CORS_KEYS = ["origins", "headers", "methods", "maxAge", "allowCredentials"] as const;
const SUBSCRIPTION_KEYS = ["name", "subscriptionId", "fhirServicesPerWorkspace", "workspaces", "fhirServices"] as const;
const LOG_ANALYTICS_KEYS = ["workspaceId", "retentionDays"] as const;
const PRIVATE_DNS_KEYS = ["zoneIds", "virtualNetworkIds"] as const;

export const DEFAULTS = {
    keyName: CMK_KEY_NAME,
    keySize: 3072 as CmkKeySize,
    keyRotationDays: KEY_ROTATION_DAYS.default,
    export: true,
    import: false,
    smartProxy: false,
    publicNetworkAccess: "Enabled" as PublicNetworkAccess,
    keyVaultNetwork: "trustedServices" as KeyVaultNetwork,
    placement: "dedicated" as PlacementMode,
    protectStatefulResources: true,
    rbacPropagationSeconds: RBAC_PROPAGATION_SECONDS.default,
    logAnalyticsRetentionDays: 90,
    allowUnlistedLocation: false,
    deploy: true,
};

const SUBNET_ID = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Network\/virtualNetworks\/[^/]+\/subnets\/[^/]+$/i;
const VNET_ID = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Network\/virtualNetworks\/[^/]+$/i;
const PRIVATE_DNS_ZONE_ID = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Network\/privateDnsZones\/([^/]+)$/i;

/** Azure tag limits. Source: "Use tags to organize your Azure resources": 50 tags, name 512, value 256, no <>%&\?/ in names. */
const TAG_NAME_FORBIDDEN = /[<>%&\\?/]/;

class Problems {
    readonly list: ConfigProblem[] = [];
    add(path: string, message: string, account?: string): void {
        this.list.push(account === undefined ? { path, message } : { path, account, message });
    }
}

function isRecord(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
    return JSON.stringify(v) ?? String(v);
}

/** Levenshtein distance, for "did you mean" on unknown keys and roles. */
function distance(a: string, b: string): number {
    const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
    for (let j = 1; j <= b.length; j++) d[0][j] = j;
    for (let i = 1; i <= a.length; i++)
        for (let j = 1; j <= b.length; j++)
            d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    return d[a.length][b.length];
}

export function suggest(value: string, candidates: readonly string[]): string {
    const best = candidates
        .map((c) => ({ c, d: distance(value.toLowerCase(), c.toLowerCase()) }))
        .sort((x, y) => x.d - y.d)[0];
    return best && best.d <= Math.max(2, Math.floor(best.c.length / 3)) ? `; did you mean '${best.c}'?` : "";
}

function checkKeys(obj: Record<string, unknown>, allowed: readonly string[], path: string, p: Problems, account?: string): void {
    for (const key of Object.keys(obj)) {
        if (!allowed.includes(key)) {
            p.add(`${path}${path ? "." : ""}${key}`, `unknown field${suggest(key, allowed)}`, account);
        }
    }
}

/** Reads an optional typed field; records a problem and returns undefined on a wrong type. */
function field<T>(
    obj: Record<string, unknown>,
    key: string,
    kind: "string" | "boolean" | "number",
    path: string,
    p: Problems,
    account?: string,
): T | undefined {
    const v = obj[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== kind || (kind === "number" && !Number.isFinite(v))) {
        p.add(path, `must be a ${kind}, got ${describe(v)}`, account);
        return undefined;
    }
    return v as T;
}

function integerIn(v: number | undefined, min: number, max: number, path: string, p: Problems, account?: string): boolean {
    if (v === undefined) return true;
    if (!Number.isInteger(v) || v < min || v > max) {
        p.add(path, `must be a whole number from ${min} to ${max}, got ${v}`, account);
        return false;
    }
    return true;
}

function stringList(v: unknown, path: string, p: Problems, account?: string): string[] | undefined {
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || v.some((s) => typeof s !== "string")) {
        p.add(path, `must be a list of strings, got ${describe(v)}`, account);
        return undefined;
    }
    return v as string[];
}

function tags(v: unknown, path: string, p: Problems, account?: string): Record<string, string> {
    if (v === undefined || v === null) return {};
    if (!isRecord(v)) {
        p.add(path, `must be a map of tag names to strings, got ${describe(v)}`, account);
        return {};
    }
    const out: Record<string, string> = {};
    for (const [k, val] of Object.entries(v)) {
        if (typeof val !== "string") p.add(`${path}.${k}`, `tag value must be a string, got ${describe(val)}`, account);
        else if (TAG_NAME_FORBIDDEN.test(k) || k.length > 512) p.add(`${path}.${k}`, `tag name must be at most 512 characters without < > % & \\ ? /`, account);
        else if (val.length > 256) p.add(`${path}.${k}`, `tag value must be at most 256 characters`, account);
        else if (k.toLowerCase().startsWith(`${CONFIG_NAMESPACE}:`)) p.add(`${path}.${k}`, `tag names starting with '${CONFIG_NAMESPACE}:' are reserved for the platform`, account);
        else out[k] = val;
    }
    return out;
}

function validateGrant(raw: unknown, path: string, p: Problems, account: string): GrantConfig | undefined {
    if (!isRecord(raw)) {
        p.add(path, `must be an object with principalId, principalType and role, got ${describe(raw)}`, account);
        return undefined;
    }
    checkKeys(raw, GRANT_KEYS, path, p, account);
    const principalId = field<string>(raw, "principalId", "string", `${path}.principalId`, p, account);
    const principalType = field<string>(raw, "principalType", "string", `${path}.principalType`, p, account);
    const role = field<string>(raw, "role", "string", `${path}.role`, p, account);
    const description = field<string>(raw, "description", "string", `${path}.description`, p, account);
    let ok = true;
    if (principalId === undefined || !GUID_PATTERN.test(principalId)) {
        p.add(`${path}.principalId`, `must be the object ID (a GUID) of a user, group or service principal, got ${describe(raw.principalId)}`, account);
        ok = false;
    }
    if (principalType === undefined || !(PRINCIPAL_TYPES as readonly string[]).includes(principalType)) {
        p.add(`${path}.principalType`, `must be one of ${PRINCIPAL_TYPES.join(", ")}, got ${describe(raw.principalType)}${typeof principalType === "string" ? suggest(principalType, PRINCIPAL_TYPES) : ""}`, account);
        ok = false;
    }
    if (role === undefined || !(FHIR_DATA_ROLES as readonly string[]).includes(role)) {
        p.add(
            `${path}.role`,
            `unknown role ${describe(raw.role)}${typeof role === "string" ? suggest(role, FHIR_DATA_ROLES) : ""}; FHIR data-plane roles are: ${FHIR_DATA_ROLES.join(", ")}`,
            account,
        );
        ok = false;
    }
    if (description !== undefined && description.length > 1024) {
        p.add(`${path}.description`, "must be at most 1024 characters", account);
        ok = false;
    }
    return ok ? { principalId: principalId!.toLowerCase(), principalType: principalType as PrincipalType, role: role as FhirDataRole, ...(description ? { description } : {}) } : undefined;
}

function validateCors(raw: unknown, path: string, p: Problems, account: string): CorsConfig | undefined {
    if (raw === undefined || raw === null) return undefined;
    if (!isRecord(raw)) {
        p.add(path, `must be an object with origins (and optionally headers, methods, maxAge, allowCredentials), got ${describe(raw)}`, account);
        return undefined;
    }
    checkKeys(raw, CORS_KEYS, path, p, account);
    const origins = stringList(raw.origins, `${path}.origins`, p, account) ?? [];
    const headers = stringList(raw.headers, `${path}.headers`, p, account) ?? ["*"];
    const methods = stringList(raw.methods, `${path}.methods`, p, account) ?? ["GET", "OPTIONS"];
    const maxAge = field<number>(raw, "maxAge", "number", `${path}.maxAge`, p, account);
    integerIn(maxAge, 0, 99999, `${path}.maxAge`, p, account);
    const allowCredentials = field<boolean>(raw, "allowCredentials", "boolean", `${path}.allowCredentials`, p, account) ?? false;
    if (origins.length === 0) p.add(`${path}.origins`, "must list at least one origin when cors is set", account);
    for (const [i, o] of origins.entries()) {
        if (o === "*") {
            if (allowCredentials) p.add(`${path}.origins[${i}]`, "'*' cannot be combined with allowCredentials (browsers reject it)", account);
        } else if (!/^https:\/\/[^/\s]+$/.test(o) && !/^http:\/\/localhost(:\d+)?$/.test(o)) {
            p.add(`${path}.origins[${i}]`, `must be an https origin like https://app.example.com (no path), got ${describe(o)}`, account);
        }
    }
    const allowedMethods = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"];
    for (const [i, m] of methods.entries()) {
        if (!allowedMethods.includes(m)) p.add(`${path}.methods[${i}]`, `must be one of ${allowedMethods.join(", ")}, got ${describe(m)}`, account);
    }
    return { origins, headers, methods, ...(maxAge !== undefined ? { maxAge } : {}), allowCredentials };
}

function validateAccount(raw: unknown, index: number, p: Problems): AccountConfig | undefined {
    const path = `accounts[${index}]`;
    if (!isRecord(raw)) {
        p.add(path, `must be an object with at least a name, got ${describe(raw)}`);
        return undefined;
    }
    const rawName = raw.name;
    const name = typeof rawName === "string" ? rawName : undefined;
    // Problems of this account carry its name when it has one, so the message says which account.
    const acct = name ?? `#${index}`;
    const before = p.list.length;
    checkKeys(raw, ACCOUNT_KEYS, path, p, acct);
    if (name === undefined) {
        p.add(`${path}.name`, `is required and must be a string, got ${describe(rawName)}`, acct);
    } else if (!ACCOUNT_NAME_PATTERN.test(name)) {
        p.add(
            `${path}.name`,
            `'${name}' is not a valid account name: use 3 to 12 lowercase letters and digits, starting with a letter ` +
                `(it becomes part of globally unique Azure names that allow nothing else)`,
            acct,
        );
    } else if (AUTO_WORKSPACE_GROUP_PATTERN.test(name)) {
        // An account named like a pool could be packed into that pool and then look dedicated in the lock.
        p.add(`${path}.name`, `'${name}' is reserved for automatically created shared workspaces (pool01, pool02, ...); pick another account name`, acct);
    } else if (Object.hasOwn(RESERVED_ACCOUNT_NAMES, name)) {
        p.add(`${path}.name`, `'${name}' is reserved: ${RESERVED_ACCOUNT_NAMES[name]}; pick another account name`, acct);
    }
    const keyName = field<string>(raw, "keyName", "string", `${path}.keyName`, p, acct);
    if (keyName !== undefined) {
        const nameProblem = checkName("keyVaultKey", keyName);
        const maxKeyName = CMK_MAX_VAULT_PLUS_KEY_NAME - maxKeyVaultNameLength();
        if (nameProblem) p.add(`${path}.keyName`, `${nameProblem} (1-127 letters, digits and hyphens)`, acct);
        else if (keyName.length > maxKeyName) {
            p.add(`${path}.keyName`, `must be at most ${maxKeyName} characters: the FHIR service accepts a vault name + key name of at most ${CMK_MAX_VAULT_PLUS_KEY_NAME}`, acct);
        }
    }
    const keySize = field<number>(raw, "keySize", "number", `${path}.keySize`, p, acct);
    if (keySize !== undefined && !(CMK_KEY_SIZES as readonly number[]).includes(keySize)) {
        p.add(`${path}.keySize`, `${keySize} is not a key size Azure accepts for a FHIR customer-managed key; use ${CMK_KEY_SIZES.join(" or ")}`, acct);
    }
    const keyRotationDays = field<number>(raw, "keyRotationDays", "number", `${path}.keyRotationDays`, p, acct);
    integerIn(keyRotationDays, KEY_ROTATION_DAYS.min, KEY_ROTATION_DAYS.max, `${path}.keyRotationDays`, p, acct);
    const exp = field<boolean>(raw, "export", "boolean", `${path}.export`, p, acct);
    const imp = field<boolean>(raw, "import", "boolean", `${path}.import`, p, acct);
    const smartProxy = field<boolean>(raw, "smartProxy", "boolean", `${path}.smartProxy`, p, acct);
    let grants: GrantConfig[] = [];
    if (raw.grants !== undefined && raw.grants !== null) {
        if (!Array.isArray(raw.grants)) p.add(`${path}.grants`, `must be a list, got ${describe(raw.grants)}`, acct);
        else {
            grants = raw.grants.map((g, i) => validateGrant(g, `${path}.grants[${i}]`, p, acct)).filter((g): g is GrantConfig => g !== undefined);
            const seen = new Set<string>();
            for (const g of grants) {
                const key = `${g.principalId}/${g.role}`;
                if (seen.has(key)) p.add(`${path}.grants`, `${g.role} is granted twice to principal ${g.principalId}`, acct);
                seen.add(key);
            }
        }
    }
    const cors = validateCors(raw.cors, `${path}.cors`, p, acct);
    const pna = field<string>(raw, "publicNetworkAccess", "string", `${path}.publicNetworkAccess`, p, acct);
    if (pna !== undefined && pna !== "Enabled" && pna !== "Disabled") {
        p.add(`${path}.publicNetworkAccess`, `must be Enabled or Disabled, got ${describe(pna)}`, acct);
    }
    const subnet = field<string>(raw, "privateEndpointSubnetId", "string", `${path}.privateEndpointSubnetId`, p, acct);
    if (subnet !== undefined && !SUBNET_ID.test(subnet)) {
        p.add(`${path}.privateEndpointSubnetId`, `must be a subnet resource ID (/subscriptions/…/virtualNetworks/…/subnets/…), got ${describe(subnet)}`, acct);
    }
    if (pna === "Disabled" && subnet === undefined) {
        p.add(
            `${path}.privateEndpointSubnetId`,
            "is required when publicNetworkAccess is Disabled: AHDS is then reachable only through a private endpoint on its workspace",
            acct,
        );
    }
    const keyVaultNetwork = field<string>(raw, "keyVaultNetwork", "string", `${path}.keyVaultNetwork`, p, acct);
    if (keyVaultNetwork !== undefined && !(KEY_VAULT_NETWORKS as readonly string[]).includes(keyVaultNetwork)) {
        p.add(`${path}.keyVaultNetwork`, `must be one of ${KEY_VAULT_NETWORKS.join(", ")}, got ${describe(keyVaultNetwork)}${suggest(keyVaultNetwork, KEY_VAULT_NETWORKS)}`, acct);
    }
    const accountTags = tags(raw.tags, `${path}.tags`, p, acct);
    const workspace = field<string>(raw, "workspace", "string", `${path}.workspace`, p, acct);
    if (workspace !== undefined && !WORKSPACE_GROUP_PATTERN.test(workspace)) {
        p.add(`${path}.workspace`, `'${workspace}' is not a valid workspace group: use 3 to 12 lowercase letters and digits, starting with a letter`, acct);
    }
    const subscription = field<string>(raw, "subscription", "string", `${path}.subscription`, p, acct);
    if (p.list.length > before || name === undefined) return undefined;
    return {
        name,
        keyName: keyName ?? DEFAULTS.keyName,
        keySize: (keySize ?? DEFAULTS.keySize) as CmkKeySize,
        keyRotationDays: keyRotationDays ?? DEFAULTS.keyRotationDays,
        export: exp ?? DEFAULTS.export,
        import: imp ?? DEFAULTS.import,
        smartProxy: smartProxy ?? DEFAULTS.smartProxy,
        grants,
        ...(cors ? { cors } : {}),
        publicNetworkAccess: (pna ?? DEFAULTS.publicNetworkAccess) as PublicNetworkAccess,
        keyVaultNetwork: (keyVaultNetwork ?? DEFAULTS.keyVaultNetwork) as KeyVaultNetwork,
        ...(subnet ? { privateEndpointSubnetId: subnet } : {}),
        tags: accountTags,
        ...(workspace ? { workspace } : {}),
        ...(subscription ? { subscription } : {}),
    };
}

function validateSubscriptions(raw: unknown, p: Problems): SubscriptionConfig[] {
    if (raw === undefined || raw === null) {
        p.add("subscriptions", "is required: list at least one { name, subscriptionId }");
        return [];
    }
    if (!Array.isArray(raw) || raw.length === 0) {
        p.add("subscriptions", `must be a non-empty list of { name, subscriptionId }, got ${describe(raw)}`);
        return [];
    }
    const out: SubscriptionConfig[] = [];
    const names = new Set<string>();
    const ids = new Set<string>();
    raw.forEach((s, i) => {
        const path = `subscriptions[${i}]`;
        if (!isRecord(s)) {
            p.add(path, `must be an object { name, subscriptionId }, got ${describe(s)}`);
            return;
        }
        const before = p.list.length;
        checkKeys(s, SUBSCRIPTION_KEYS, path, p);
        const name = field<string>(s, "name", "string", `${path}.name`, p);
        const id = field<string>(s, "subscriptionId", "string", `${path}.subscriptionId`, p);
        if (name === undefined || !/^[a-z][a-z0-9-]{0,23}$/.test(name)) p.add(`${path}.name`, `must be 1 to 24 lowercase letters, digits and hyphens, starting with a letter, got ${describe(s.name)}`);
        else if (names.has(name)) p.add(`${path}.name`, `subscription name '${name}' appears twice`);
        if (id === undefined || !GUID_PATTERN.test(id)) p.add(`${path}.subscriptionId`, `must be a subscription ID (a GUID), got ${describe(s.subscriptionId)}`);
        else if (ids.has(id.toLowerCase())) p.add(`${path}.subscriptionId`, `subscription ${id} appears twice`);
        const perWs = field<number>(s, "fhirServicesPerWorkspace", "number", `${path}.fhirServicesPerWorkspace`, p);
        const wss = field<number>(s, "workspaces", "number", `${path}.workspaces`, p);
        const fhirs = field<number>(s, "fhirServices", "number", `${path}.fhirServices`, p);
        integerIn(perWs, 1, 1000, `${path}.fhirServicesPerWorkspace`, p);
        integerIn(wss, 1, 1000, `${path}.workspaces`, p);
        integerIn(fhirs, 1, 10000, `${path}.fhirServices`, p);
        if (name) names.add(name);
        if (id) ids.add(id.toLowerCase());
        if (p.list.length > before) return;
        out.push({
            name: name!,
            subscriptionId: id!.toLowerCase(),
            fhirServicesPerWorkspace: perWs ?? AHDS_DEFAULT_QUOTAS.fhirServicesPerWorkspace,
            workspaces: wss ?? AHDS_DEFAULT_QUOTAS.workspacesPerSubscription,
            fhirServices: fhirs ?? AHDS_DEFAULT_QUOTAS.fhirServicesPerSubscription,
        });
    });
    return out;
}

function validateLogAnalytics(raw: unknown, p: Problems): LogAnalyticsConfig {
    if (raw === undefined || raw === null) return { retentionDays: DEFAULTS.logAnalyticsRetentionDays };
    if (!isRecord(raw)) {
        p.add("logAnalytics", `must be an object { workspaceId? , retentionDays? }, got ${describe(raw)}`);
        return { retentionDays: DEFAULTS.logAnalyticsRetentionDays };
    }
    checkKeys(raw, LOG_ANALYTICS_KEYS, "logAnalytics", p);
    const workspaceId = field<string>(raw, "workspaceId", "string", "logAnalytics.workspaceId", p);
    if (workspaceId !== undefined && !/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.OperationalInsights\/workspaces\/[^/]+$/i.test(workspaceId)) {
        p.add("logAnalytics.workspaceId", `must be a Log Analytics workspace resource ID, got ${describe(workspaceId)}`);
    }
    const retentionDays = field<number>(raw, "retentionDays", "number", "logAnalytics.retentionDays", p);
    // Source: Log Analytics "Data retention": 30 to 730 days interactive retention on PerGB2018.
    integerIn(retentionDays, 30, 730, "logAnalytics.retentionDays", p);
    return { ...(workspaceId ? { workspaceId } : {}), retentionDays: retentionDays ?? DEFAULTS.logAnalyticsRetentionDays };
}

function validatePrivateDns(raw: unknown, p: Problems): PrivateDnsConfig | undefined {
    if (raw === undefined || raw === null) return undefined;
    const shape = "an object with either zoneIds { workspace, fhir } (existing private DNS zones) or virtualNetworkIds (zones this stack creates and links)";
    if (!isRecord(raw)) {
        p.add("privateDns", `must be ${shape}, got ${describe(raw)}`);
        return undefined;
    }
    const before = p.list.length;
    checkKeys(raw, PRIVATE_DNS_KEYS, "privateDns", p);
    const hasZones = raw.zoneIds !== undefined && raw.zoneIds !== null;
    const vnets = stringList(raw.virtualNetworkIds, "privateDns.virtualNetworkIds", p);
    if (hasZones === (vnets !== undefined)) {
        p.add("privateDns", `must be ${shape}: give exactly one of the two`);
        return undefined;
    }
    if (vnets !== undefined) {
        if (vnets.length === 0) p.add("privateDns.virtualNetworkIds", "must list at least one VNet ID (the VNets whose clients resolve the FHIR services privately)");
        vnets.forEach((id, i) => {
            if (!VNET_ID.test(id)) p.add(`privateDns.virtualNetworkIds[${i}]`, `must be a virtual network resource ID (/subscriptions/…/providers/Microsoft.Network/virtualNetworks/<name>), got ${describe(id)}`);
        });
        const lower = vnets.map((v) => v.toLowerCase());
        lower.forEach((v, i) => {
            if (lower.indexOf(v) !== i) p.add(`privateDns.virtualNetworkIds[${i}]`, `${vnets[i]} is listed twice`);
        });
        return p.list.length > before ? undefined : { virtualNetworkIds: vnets };
    }
    if (!isRecord(raw.zoneIds)) {
        p.add("privateDns.zoneIds", `must be an object { workspace: <zone ID>, fhir: <zone ID> }, got ${describe(raw.zoneIds)}`);
        return undefined;
    }
    const zoneKeys = Object.keys(AHDS_PRIVATE_DNS_ZONES) as AhdsPrivateDnsZone[];
    checkKeys(raw.zoneIds, zoneKeys, "privateDns.zoneIds", p);
    const zoneIds = {} as Record<AhdsPrivateDnsZone, string>;
    for (const zone of zoneKeys) {
        const path = `privateDns.zoneIds.${zone}`;
        const id = (raw.zoneIds as Record<string, unknown>)[zone];
        const m = typeof id === "string" ? PRIVATE_DNS_ZONE_ID.exec(id) : null;
        if (!m) {
            p.add(path, `must be the resource ID of the private DNS zone ${AHDS_PRIVATE_DNS_ZONES[zone]} (/subscriptions/…/providers/Microsoft.Network/privateDnsZones/${AHDS_PRIVATE_DNS_ZONES[zone]}), got ${describe(id)}`);
        } else if (m[1].toLowerCase() !== AHDS_PRIVATE_DNS_ZONES[zone]) {
            p.add(path, `points at zone '${m[1]}', but the AHDS ${zone} endpoint resolves in ${AHDS_PRIVATE_DNS_ZONES[zone]} (Microsoft Learn, "Azure Private Endpoint private DNS zone values")`);
        } else zoneIds[zone] = id as string;
    }
    return p.list.length > before ? undefined : { zoneIds };
}

/** Validates everything and returns the config with defaults applied, or throws listing every problem. */
export function validateConfig(raw: RawConfig): PlatformConfig {
    const p = new Problems();
    checkKeys(raw, [...PLATFORM_KEYS, ...Object.keys(REMOVED_KEYS)], "", p);
    for (const [key, why] of Object.entries(REMOVED_KEYS)) if (raw[key] !== undefined) p.add(key, `${why} '${CONFIG_NAMESPACE}:${key}' from the stack file`);

    const environment = field<string>(raw, "environment", "string", "environment", p);
    if (environment !== undefined && !/^[a-z][a-z0-9-]{0,23}$/.test(environment)) {
        p.add("environment", `must be 1 to 24 lowercase letters, digits and hyphens, starting with a letter (dev, staging, prod), got ${describe(environment)}`);
    }
    const deploy = field<boolean>(raw, "deploy", "boolean", "deploy", p) ?? DEFAULTS.deploy;
    const allowUnlistedLocation = field<boolean>(raw, "allowUnlistedLocation", "boolean", "allowUnlistedLocation", p) ?? DEFAULTS.allowUnlistedLocation;
    const location = field<string>(raw, "location", "string", "location", p);
    if (location === undefined) p.add("location", "is required (an Azure region name such as westeurope)");
    else if (!LOCATION_PATTERN.test(location)) p.add("location", `must be a region name like westeurope or eastus2, got ${describe(location)}${suggest(location.toLowerCase().replace(/[^a-z0-9]/g, ""), FHIR_REGIONS)}`);
    else if (!allowUnlistedLocation && !(FHIR_REGIONS as readonly string[]).includes(location)) {
        p.add(
            "location",
            `'${location}' is not a region where Microsoft offers the AHDS FHIR service${suggest(location, FHIR_REGIONS)}; regions (Microsoft Learn, ` +
                `"Azure Health Data Services regional availability"): ${FHIR_REGIONS.join(", ")}. If Microsoft added it since, set ${CONFIG_NAMESPACE}:allowUnlistedLocation: true`,
        );
    }

    const tenantId = field<string>(raw, "tenantId", "string", "tenantId", p);
    if (tenantId === undefined || !GUID_PATTERN.test(tenantId)) p.add("tenantId", `must be the Entra tenant ID (a GUID), got ${describe(raw.tenantId)}`);

    const subscriptions = validateSubscriptions(raw.subscriptions, p);

    const placement = field<string>(raw, "placement", "string", "placement", p) ?? DEFAULTS.placement;
    if (placement !== "dedicated" && placement !== "shared") p.add("placement", `must be dedicated (a workspace per account) or shared (accounts packed into workspaces), got ${describe(placement)}`);

    const logAnalytics = validateLogAnalytics(raw.logAnalytics, p);
    const protect = field<boolean>(raw, "protectStatefulResources", "boolean", "protectStatefulResources", p);
    const wait = field<number>(raw, "rbacPropagationSeconds", "number", "rbacPropagationSeconds", p);
    integerIn(wait, 0, RBAC_PROPAGATION_SECONDS.max, "rbacPropagationSeconds", p);
    const privateDns = validatePrivateDns(raw.privateDns, p);
    const platformTags = tags(raw.tags, "tags", p);

    const accounts: AccountConfig[] = [];
    if (raw.accounts === undefined || raw.accounts === null) {
        p.add("accounts", "is required: list at least one account");
    } else if (!Array.isArray(raw.accounts)) {
        p.add("accounts", `must be a list of accounts, got ${describe(raw.accounts)}`);
    } else {
        const firstIndex = new Map<string, number>();
        raw.accounts.forEach((a, i) => {
            const acct = validateAccount(a, i, p);
            const name = isRecord(a) && typeof a.name === "string" ? a.name : undefined;
            if (name !== undefined) {
                const prev = firstIndex.get(name);
                if (prev !== undefined) p.add(`accounts[${i}].name`, `duplicate account: '${name}' is already defined at accounts[${prev}]`, name);
                else firstIndex.set(name, i);
            }
            if (acct) accounts.push(acct);
        });
        const subNames = subscriptions.map((s) => s.name);
        raw.accounts.forEach((a, i) => {
            if (isRecord(a) && typeof a.subscription === "string" && subscriptions.length > 0 && !subNames.includes(a.subscription)) {
                p.add(`accounts[${i}].subscription`, `unknown subscription '${a.subscription}'${suggest(a.subscription, subNames)}; subscriptions are: ${subNames.join(", ")}`, typeof a.name === "string" ? a.name : `#${i}`);
            }
        });
        if (placement === "shared") {
            // A group named after an account is that account's dedicated workspace (placement lock): never a pin.
            raw.accounts.forEach((a, i) => {
                if (isRecord(a) && typeof a.workspace === "string" && firstIndex.has(a.workspace)) {
                    p.add(
                        `accounts[${i}].workspace`,
                        `'${a.workspace}' is an account name; a workspace group named after an account is that account's dedicated workspace, pick another name`,
                        typeof a.name === "string" ? a.name : `#${i}`,
                    );
                }
            });
        }
        const privateAccounts = raw.accounts.filter((a) => isRecord(a) && a.publicNetworkAccess === "Disabled");
        if (privateAccounts.length > 0 && (raw.privateDns === undefined || raw.privateDns === null)) {
            p.add(
                "privateDns",
                `is required when an account is private (${privateAccounts.map((a) => String((a as Record<string, unknown>).name)).join(", ")}): without a private DNS zone group ` +
                    `clients in the VNet cannot resolve the FHIR host. Give zoneIds { workspace, fhir } of existing zones, or virtualNetworkIds to link zones this stack creates`,
            );
        }
        if (placement === "dedicated") {
            raw.accounts.forEach((a, i) => {
                if (isRecord(a) && a.workspace !== undefined) {
                    p.add(`accounts[${i}].workspace`, "only applies with placement: shared (dedicated gives every account its own workspace)", typeof a.name === "string" ? a.name : `#${i}`);
                }
            });
        }
    }

    // The CMK rule (vault + key name <= 94) holds by construction of the names; check it anyway so a change
    // to the naming module that breaks it fails here, loudly, not in Azure.
    if (maxKeyVaultNameLength() + CMK_KEY_NAME.length > CMK_MAX_VAULT_PLUS_KEY_NAME) {
        p.add("accounts", `derived key vault name + key name would exceed ${CMK_MAX_VAULT_PLUS_KEY_NAME} characters`);
    }

    if (p.list.length > 0) throw new ConfigValidationError(p.list);
    return {
        ...(environment !== undefined ? { environment } : {}),
        deploy,
        location: location!,
        allowUnlistedLocation,
        tenantId: tenantId!.toLowerCase(),
        subscriptions,
        placement: placement as PlacementMode,
        logAnalytics,
        protectStatefulResources: protect ?? DEFAULTS.protectStatefulResources,
        rbacPropagationSeconds: wait ?? DEFAULTS.rbacPropagationSeconds,
        ...(privateDns ? { privateDns } : {}),
        tags: platformTags,
        accounts,
    };
}

/** A source of raw config values: `pulumi.Config` satisfies it, and so does a plain map in tests and scripts. */
export interface ConfigSource {
    get(key: string): string | undefined;
}

/**
 * Reads every `fhir-platform:*` key as YAML-typed JSON (Pulumi passes objects, lists, numbers and booleans from
 * the stack file as JSON text). A value that is not JSON is a plain string.
 */
export function readRawConfig(source: ConfigSource): RawConfig {
    const raw: RawConfig = {};
    for (const key of [...PLATFORM_KEYS, ...Object.keys(REMOVED_KEYS)]) {
        const text = source.get(key);
        if (text === undefined) continue;
        try {
            raw[key] = JSON.parse(text);
        } catch {
            // Plain strings (location: westeurope) arrive unquoted.
            raw[key] = text;
        }
    }
    return raw;
}

/** Reads and validates the stack's config; throws ConfigValidationError listing every problem. */
export function loadConfig(source: ConfigSource): PlatformConfig {
    return validateConfig(readRawConfig(source));
}

/**
 * Sharding: the same account must not be managed by two stacks. Given each shard's accounts, returns one problem
 * per account name that appears in more than one shard.
 */
export function findCrossShardDuplicates(shards: { stack: string; accounts: string[] }[]): ConfigProblem[] {
    const owners = new Map<string, string[]>();
    for (const shard of shards) {
        for (const name of new Set(shard.accounts)) owners.set(name, [...(owners.get(name) ?? []), shard.stack]);
    }
    return [...owners.entries()]
        .filter(([, stacks]) => stacks.length > 1)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, stacks]) => ({ path: "accounts", account: name, message: `appears in more than one shard: ${stacks.join(", ")}; an account must belong to exactly one stack` }));
}
