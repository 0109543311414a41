/**
 * Typed stack configuration: one zod schema is the source of every `fhir-platform:*` key, its type, default,
 * constraint, message and documentation (`.meta({ description })`: the README's configuration reference and
 * Pulumi.yaml's `config:` block are generated from it by `npm run docs:config`). Rules that relate fields are
 * refinements from config/rules.ts, attached here to the object that holds their fields.
 *
 * `validateConfig` is pure: it takes the raw values (parsed from YAML/JSON) and returns the config with defaults
 * applied, or throws one ConfigValidationError listing every problem, each naming the account and the field.
 */
import { z } from "zod";
import { ACCOUNT_DEFAULTS, CORS_DEFAULTS, PLATFORM_DEFAULTS } from "../azure/defaults";
import {
    ACR_MAX_REGISTRIES,
    AHDS_DEFAULT_QUOTAS,
    CMK_MAX_VAULT_PLUS_KEY_NAME,
    EXPORT_RETENTION_DAYS,
    EXPORT_STORAGE_REDUNDANCIES,
    FHIR_DATA_ROLES,
    FHIR_REGIONS,
    FHIR_VERSION_POLICIES,
    KEY_ROTATION_DAYS,
    LOCATION_PATTERN,
    LOG_ANALYTICS_RETENTION,
    LOG_ANALYTICS_WORKSPACE_ID,
    PRINCIPAL_TYPES,
    RBAC_PROPAGATION_SECONDS,
    RETIRED_FEATURES,
    SMART_DATA_ACTIONS,
} from "../azure/facts";
import { CMK_KEY_NAME, WORKSPACE_GROUP_PATTERN, maxKeyVaultNameLength } from "../azure/naming";
import {
    CORS_METHODS,
    NAME_WITH_HYPHENS,
    SUBNET_ID,
    VNET_ID,
    accountName,
    atMost,
    bool,
    guid,
    httpsUrl,
    keyName,
    keySize,
    matching,
    oneOf,
    origin,
    principalId,
    registryId,
    stringList,
    tags,
    text,
    totalRetentionDays,
    typed,
    versionPolicyMap,
    wholeNumber,
    zoneId,
} from "./fields";
import { CONFIG_NAMESPACE, type ConfigProblem, ConfigValidationError, describe, pathText, suggest } from "./problems";
import * as rules from "./rules";

export { CONFIG_NAMESPACE, type ConfigProblem, ConfigValidationError, formatProblem, suggest } from "./problems";
export { configWarnings } from "./rules";

// ---- the schema ---------------------------------------------------------------------------------------------------

const GrantFields = z.strictObject(
    {
        principalId: principalId.transform((v) => v.toLowerCase()),
        principalType: oneOf(PRINCIPAL_TYPES),
        role: z.enum(FHIR_DATA_ROLES, {
            error: (iss) =>
                `${iss.input === undefined ? "is required" : `unknown role ${describe(iss.input)}${typeof iss.input === "string" ? suggest(iss.input, FHIR_DATA_ROLES) : ""}`}; ` +
                `FHIR data-plane roles are: ${FHIR_DATA_ROLES.join(", ")}`,
        }),
        /** Carried into the role assignment's description. */
        description: text().max(1024, { error: "must be at most 1024 characters" }).optional(),
    },
    { error: typed("an object with principalId, principalType and role") },
);

const CorsFields = z.strictObject(
    {
        origins: z.array(origin, { error: typed("a list of strings", "list at least one origin when cors is set") }).min(1, {
            error: "must list at least one origin when cors is set",
        }),
        headers: stringList().default([...CORS_DEFAULTS.headers]),
        methods: z.array(oneOf(CORS_METHODS), { error: typed("a list of strings") }).default([...CORS_DEFAULTS.methods]),
        maxAge: wholeNumber(0, 99999).optional(),
        allowCredentials: bool().default(CORS_DEFAULTS.allowCredentials),
    },
    { error: typed("an object with origins (and optionally headers, methods, maxAge, allowCredentials)") },
);

const AcrFields = z.strictObject(
    {
        registryIds: atMost(
            z
                .array(registryId(), {
                    error: typed("a list of registry resource IDs", "list the registries (resource IDs) the templates come from"),
                })
                .min(1, { error: "must list at least one registry" }),
            ACR_MAX_REGISTRIES,
            (n) =>
                `lists ${n} registries; a FHIR service accepts at most ${ACR_MAX_REGISTRIES} (Microsoft Learn, "Configure settings ` +
                `for $convert-data": "You can register up to 20 Azure Container Registry servers in the FHIR service")`,
        ),
        ociArtifacts: z
            .array(
                z.strictObject(
                    {
                        loginServer: text("the registry's login server, e.g. contosotemplates.azurecr.io"),
                        imageName: text("the template image, e.g. templates:default"),
                        digest: matching(/^sha256:[0-9a-f]{64}$/, "an image digest sha256:<64 hex digits>").optional(),
                    },
                    { error: typed("an object { loginServer, imageName, digest? }") },
                ),
                { error: typed("a list of { loginServer, imageName, digest? }") },
            )
            .default([]),
    },
    { error: typed("an object { registryIds, ociArtifacts? }") },
);

const SmartIdentityProviderSchema = z.strictObject(
    {
        authority: httpsUrl("the identity provider's authority, e.g. https://idp.example.com/realms/fhir"),
        applications: z
            .array(
                z.strictObject(
                    {
                        clientId: guid("the application's client ID"),
                        audience: text("the audience the provider puts in tokens for this application").min(1, {
                            error: "must not be empty",
                        }),
                        allowedDataActions: z
                            .array(oneOf(SMART_DATA_ACTIONS), { error: typed("a list of data actions") })
                            .default(["Read"]),
                    },
                    { error: typed("an object { clientId, audience, allowedDataActions? }") },
                ),
                { error: typed("a list of applications", "list at least one application") },
            )
            .min(1, { error: "must list at least one application" }),
    },
    { error: typed("an object { authority, applications }") },
);

/**
 * How the account's key vault firewall admits callers. `trustedServices`: deny every network, let trusted Microsoft
 * services through ("Configure customer-managed keys for the FHIR service"). `allNetworks`: no firewall (Entra ID + RBAC
 * still required), for when the bypass does not admit the FHIR service (Key Vault's trusted-services table does not list
 * Health Data Services: a known conflict in Microsoft's docs).
 */
export const KEY_VAULT_NETWORKS = ["trustedServices", "allNetworks"] as const;

const AccountFields = z.strictObject(
    {
        name: accountName.meta({
            description: "the account's stable identity: every Pulumi and Azure name derives from it.",
            typeText: "3-12 lowercase letters/digits, starting with a letter",
        }),
        // Size and rotation policy are fixed when Azure creates a key: another size is a new key, under a new name.
        keyName: keyName.default(ACCOUNT_DEFAULTS.keyName).meta({
            description: "the account's current CMK key; a new name is a new key (the old one is kept).",
            typeText: "key name",
        }),
        keySize: keySize()
            .default(ACCOUNT_DEFAULTS.keySize)
            .meta({ description: "RSA key size of the CMK; fixed when the key is created ([docs/keys.md](docs/keys.md))." }),
        keyRotationDays: wholeNumber(KEY_ROTATION_DAYS.min, KEY_ROTATION_DAYS.max).default(ACCOUNT_DEFAULTS.keyRotationDays).meta({
            description: "Key Vault rotation policy: a new version every N days; versions never expire; fixed at creation through ARM.",
        }),
        export: bool().default(ACCOUNT_DEFAULTS.export).meta({ description: "`$export` to the account's storage." }),
        import: bool()
            .default(ACCOUNT_DEFAULTS.import)
            .meta({ description: "`$import` from the account's storage (the storage exists when export or import is on)." }),
        initialImportMode: bool()
            .default(ACCOUNT_DEFAULTS.initialImportMode)
            .meta({
                description:
                    "`$import` in initial mode (an empty service, fastest); **blocks API writes** while on: the plan and `pulumi " +
                    "preview` warn. Needs `import: true`.",
            }),
        // Only `false`, which also turns the proxy off on a service deployed earlier.
        smartProxy: bool()
            .refine((on) => !on, {
                error:
                    `the SMART on FHIR proxy was retired on ${RETIRED_FEATURES.smartProxy.retired} (${RETIRED_FEATURES.smartProxy.source}: ` +
                    `"applications relying on SMART on FHIR proxy will report errors"); use ${RETIRED_FEATURES.smartProxy.instead}, ` +
                    "and delete smartProxy from the account",
            })
            .default(false)
            .meta({
                description:
                    "the SMART on FHIR proxy, **retired** on 2026-09-21: only `false` is accepted; use `smartIdentityProviders` " +
                    "(SMART on FHIR (Enhanced)).",
            }),
        smartIdentityProviders: z
            .array(SmartIdentityProviderSchema, { error: typed("a list of { authority, applications }") })
            .default([])
            .meta({
                description:
                    "other identity providers for SMART on FHIR: `{ authority: https URL, applications: [{ clientId: GUID, audience, " +
                    "allowedDataActions?: [Read] }] }`.",
            }),
        resourceVersionPolicy: oneOf(FHIR_VERSION_POLICIES)
            .default(ACCOUNT_DEFAULTS.resourceVersionPolicy)
            .meta({
                description:
                    'resource history ("Versioning policy and history management"). `versioned` is the service\'s default and ' +
                    "AVM's: every version kept for audit, no client needs `If-Match`; `no-version` (keeps no history) gets a warning.",
            }),
        resourceVersionOverrides: versionPolicyMap()
            .default({})
            .meta({ description: "per FHIR resource type, e.g. `{ Patient: versioned-update }`." }),
        usCoreMissingData: bool().default(ACCOUNT_DEFAULTS.usCoreMissingData).meta({
            description: "US Core: accept resources without must-support data (`implementationGuidesConfiguration.usCoreMissingData`).",
        }),
        acr: AcrFields.check(rules.rule(rules.acrRules))
            .optional()
            .meta({
                description:
                    "`$convert-data` custom templates: `{ registryIds: [registry resource IDs], ociArtifacts?: [{ loginServer, " +
                    "imageName, digest? }] }`; the account's identity gets AcrPull on those registries only.",
            }),
        grants: z
            .array(GrantFields, { error: typed("a list of grants") })
            .check(rules.rule(rules.grantListRules))
            .default([])
            .meta({
                description:
                    "`{ principalId (object ID), principalType: User | Group | ServicePrincipal, role, description? }`, role one of " +
                    "FHIR Data Reader, Writer, Exporter, Importer, Contributor, Converter, FHIR SMART User, FHIR Data Bulk Operator. " +
                    "People who run `$export` also need FHIR Data Exporter.",
            }),
        cors: CorsFields.check(rules.rule(rules.corsRules)).optional().meta({
            description: '`{ origins: [https://…], headers?: ["*"], methods?: [GET, OPTIONS], maxAge?, allowCredentials?: false }`.',
        }),
        publicNetworkAccess: oneOf(["Enabled", "Disabled"], "Enabled or Disabled")
            .default("Enabled")
            .meta({
                description:
                    "`Disabled` puts a private endpoint on the workspace and needs `privateEndpointSubnetId`. Entra ID auth is always " +
                    "required. The policy pack reports public services (advisory by default).",
            }),
        privateEndpointSubnetId: matching(SUBNET_ID, "a subnet resource ID (/subscriptions/…/virtualNetworks/…/subnets/…)")
            .optional()
            .meta({ description: "where the workspace's private endpoint goes.", typeText: "subnet ID" }),
        keyVaultNetwork: oneOf(KEY_VAULT_NETWORKS)
            .default(ACCOUNT_DEFAULTS.keyVaultNetwork)
            .meta({ description: "the key vault's firewall ([docs/network.md](docs/network.md))." }),
        exportRetentionDays: wholeNumber(EXPORT_RETENTION_DAYS.min, EXPORT_RETENTION_DAYS.max)
            .optional()
            .meta({ description: "this account's export storage lifecycle (and its recovery copy's).", defaultText: "the stack's" }),
        recoveryCopy: bool()
            .default(false)
            .meta({
                description:
                    "copy this account's `$export` output to the stack's `recoveryCopy.location` (object replication; needs " +
                    "`export: true`): PHI in a second region, on purpose.",
            }),
        tags: tags().meta({ description: "extra tags for this account's resources." }),
        workspace: text()
            .regex(WORKSPACE_GROUP_PATTERN, {
                error: (iss) =>
                    `'${String(iss.input)}' is not a valid workspace group: use 3 to 12 lowercase letters and digits, starting with a letter`,
            })
            .optional()
            .meta({
                description: "`placement: shared` only: pin the account to a shared workspace group.",
                typeText: "group name",
                defaultText: "automatic",
            }),
        subscription: text()
            .optional()
            .meta({ description: "pin the account to a subscription.", typeText: "subscription `name`", defaultText: "automatic" }),
    },
    { error: typed("an object with at least a name") },
);

const SubscriptionFields = z.strictObject(
    {
        /** Short, stable name used in placement and resource names (the ID may change with a tenant move). */
        name: matching(NAME_WITH_HYPHENS, "1 to 24 lowercase letters, digits and hyphens, starting with a letter"),
        subscriptionId: guid("a subscription ID"),
        // AHDS quotas of this subscription: Azure's defaults unless Microsoft granted this subscription more (a support
        // request). Placement trusts a declared quota; `pulumi up` fails at Azure's otherwise.
        fhirServicesPerWorkspace: wholeNumber(1, 1000).default(AHDS_DEFAULT_QUOTAS.fhirServicesPerWorkspace),
        workspaces: wholeNumber(1, 1000).default(AHDS_DEFAULT_QUOTAS.workspacesPerSubscription),
        fhirServices: wholeNumber(1, 10000).default(AHDS_DEFAULT_QUOTAS.fhirServicesPerSubscription),
        /** This stack sends the subscription's Activity Log to its workspace (one diagnostic setting per subscription). */
        activityLog: bool().default(true),
    },
    { error: typed("an object { name, subscriptionId }") },
);

const PrivateDnsFields = z.strictObject(
    {
        zoneIds: z
            .strictObject(
                { workspace: zoneId("workspace"), fhir: zoneId("fhir") },
                { error: typed("an object { workspace: <zone ID>, fhir: <zone ID> }") },
            )
            .optional(),
        // "Configure Private Link for Azure Health Data Services": "Make sure you associate only a single virtual network
        // with the DNS zone. If you need to support multiple virtual networks, you must create separate DNS zones in
        // different resource groups" (linking several causes resolution conflicts and 403s).
        virtualNetworkIds: atMost(
            z
                .array(
                    matching(
                        VNET_ID,
                        "a virtual network resource ID (/subscriptions/…/providers/Microsoft.Network/virtualNetworks/<name>)",
                    ),
                    { error: typed("a list of VNet IDs") },
                )
                .min(1, { error: "must list one VNet ID (the VNet whose clients resolve the FHIR services privately)" }),
            1,
            "must list a single VNet: Microsoft's Private Link page for AHDS says to \"associate only a single virtual network " +
                'with the DNS zone" (several cause resolution conflicts and HTTP 403). For more VNets, link existing zones to a hub ' +
                "VNet whose resolver the others forward to, and give zoneIds instead",
        ).optional(),
    },
    {
        error: typed(
            "an object with either zoneIds { workspace, fhir } (existing private DNS zones) or virtualNetworkIds (zones this stack " +
                "creates and links)",
        ),
    },
);

const LOG_ANALYTICS_DEFAULTS: { retentionDays: number; totalRetentionDays: number } = {
    retentionDays: PLATFORM_DEFAULTS.logAnalyticsRetentionDays,
    totalRetentionDays: PLATFORM_DEFAULTS.logAnalyticsTotalRetentionDays,
};

const LogAnalyticsFields = z.strictObject(
    {
        /** Existing workspace; when absent the stack creates one. */
        workspaceId: matching(LOG_ANALYTICS_WORKSPACE_ID, "a Log Analytics workspace resource ID").optional(),
        /** Analytics (interactive) retention of the created workspace and of the audit tables (azure/facts.ts). */
        retentionDays: wholeNumber(LOG_ANALYTICS_RETENTION.interactive.min, LOG_ANALYTICS_RETENTION.interactive.max).optional(),
        /** Total retention of the audit tables; default six years (HIPAA's 45 CFR 164.316(b)(2)(i), applied to audit logs). */
        totalRetentionDays: totalRetentionDays().optional(),
        /** With workspaceId: whether this stack sets the audit tables' retention there (they are shared with its other users). */
        manageTableRetention: bool().optional(),
    },
    { error: typed("an object { workspaceId?, retentionDays?, totalRetentionDays?, manageTableRetention? }") },
);

const PlatformFields = z.strictObject({
    environment: matching(NAME_WITH_HYPHENS, "1 to 24 lowercase letters, digits and hyphens, starting with a letter (dev, staging, prod)")
        .optional()
        .meta({
            description: "`dev`, `staging`, `prod`, …: shards are checked together within one environment (see CI).",
            defaultText: "stack name up to its first `-`",
        }),
    deploy: bool()
        .default(true)
        .meta({ description: "`false` marks an example stack with placeholder IDs: CI plans and checks it, never deploys it." }),
    location: text("an Azure region name such as westeurope")
        .regex(LOCATION_PATTERN, {
            error: (iss) =>
                `must be a region name like westeurope or eastus2, got ${describe(iss.input)}${suggest(
                    String(iss.input)
                        .toLowerCase()
                        .replace(/[^a-z0-9]/g, ""),
                    FHIR_REGIONS,
                )}`,
        })
        .meta({
            description:
                "Azure region of every resource (the key vault must share the FHIR service's), e.g. `westeurope`; one where Microsoft " +
                "offers the AHDS FHIR service.",
        }),
    allowUnlistedLocation: bool()
        .default(false)
        .meta({ description: "accept a region missing from this release's list (added by Microsoft since)." }),
    tenantId: guid("the Entra tenant ID").meta({
        description: "Entra tenant; the FHIR services accept tokens from the authority `https://login.microsoftonline.com/<tenantId>`.",
    }),
    subscriptions: z
        .array(SubscriptionFields, {
            error: typed("a non-empty list of { name, subscriptionId }", "list at least one { name, subscriptionId }"),
        })
        .min(1, { error: "must be a non-empty list of { name, subscriptionId }" })
        .check(rules.rule(rules.subscriptionListRules))
        .meta({
            description:
                "`{ name, subscriptionId, fhirServicesPerWorkspace?: 10, workspaces?: 10, fhirServices?: 10, activityLog?: true }`; " +
                "quotas default to Azure's (10 FHIR services per subscription); declare a higher one only where Microsoft granted a " +
                "quota increase for that subscription. The first hosts Log Analytics. `activityLog`: this stack sends the " +
                "subscription's Activity Log to its Log Analytics workspace; `false` where another stack or an existing setup does " +
                "(one owner per subscription; list it in the pack's `subscription-activity-log.exemptSubscriptions`).",
        }),
    exportStorageRedundancy: oneOf(EXPORT_STORAGE_REDUNDANCIES, "ZRS or LRS (never geo-redundant: exports are copies of PHI)")
        .optional()
        .meta({
            description: "redundancy of every export storage account; never geo-redundant (decisions table).",
            defaultText: "ZRS where the region offers it, else LRS",
        }),
    placement: oneOf(["dedicated", "shared"], "dedicated (a workspace per account) or shared (accounts packed into workspaces)")
        .default("dedicated")
        .meta({ description: "a workspace per account, or accounts packed into shared workspaces of up to 10 (see Placement)." }),
    logAnalytics: LogAnalyticsFields.check(rules.rule(rules.logAnalyticsRules))
        // Defaults after the rules, which ask what the stack file sets.
        .transform((l): LogAnalyticsConfig => ({ ...LOG_ANALYTICS_DEFAULTS, ...l }))
        .default(LOG_ANALYTICS_DEFAULTS)
        .meta({
            description:
                "`{ retentionDays?: 90, totalRetentionDays?: 2191 }` for the created workspace: its retention and its audit tables' " +
                "analytics (30-730) and total retention (4-730 days or whole years to 12: 1095, 1460, 1826, 2191, …, 4383). " +
                "`{ workspaceId }` to use an existing workspace, whose retention the stack leaves alone; add " +
                "`manageTableRetention: true` (and the retention keys) to set its audit tables' retention (one stack per workspace).",
            defaultText: "create one",
        }),
    exportRetentionDays: wholeNumber(EXPORT_RETENTION_DAYS.min, EXPORT_RETENTION_DAYS.max)
        .default(PLATFORM_DEFAULTS.exportRetentionDays)
        .meta({
            description:
                "days after which every export storage account's lifecycle policy deletes a blob (`$export` output, staged `$import` " +
                "files; then 30 days soft-deleted); accounts may override.",
        }),
    recoveryCopy: z
        .strictObject(
            { location: matching(LOCATION_PATTERN, "a region name like northeurope", "the second region, e.g. northeurope") },
            { error: typed("an object { location }") },
        )
        .optional()
        .meta({
            description:
                "`{ location }`: the second region where accounts with `recoveryCopy: true` get a copy of their `$export` output " +
                "([docs/recovery.md](docs/recovery.md)); must differ from `location`.",
        }),
    protectStatefulResources: bool()
        .default(true)
        .meta({
            description:
                "Pulumi `protect` on stateful resources (resource groups, key vaults, keys, storage, workspaces, FHIR services): " +
                "neither deleted nor replaced.",
        }),
    rbacPropagationSeconds: wholeNumber(0, RBAC_PROPAGATION_SECONDS.max)
        .default(PLATFORM_DEFAULTS.rbacPropagationSeconds)
        .meta({
            description:
                "seconds to wait between the identity's Key Vault grant and the creation of the storage and FHIR service with the " +
                "CMK (Microsoft: role assignments can take up to 10 minutes to take effect).",
        }),
    sharedRegistryIds: z
        .array(registryId(), { error: typed("a list of registry resource IDs") })
        .default([])
        .meta({
            description:
                "container registries several accounts may list in `acr.registryIds` (otherwise a registry belongs to one " +
                "account); their AcrPull grants carry `[shared]`.",
        }),
    privateDns: PrivateDnsFields.check(rules.rule(rules.privateDnsRules))
        .optional()
        .meta({
            description:
                "required when an account is private: `{ virtualNetworkIds: [<one VNet ID>] }` (the stack creates the zones and " +
                "links them to that VNet: Microsoft's AHDS Private Link page asks for a single VNet per zone) or `{ zoneIds: { " +
                "workspace, fhir } }` (existing zones, e.g. in a hub). See [docs/network.md](docs/network.md).",
        }),
    tags: tags().meta({
        description:
            "tags on every resource; the platform adds `fhir-platform:account` (or `fhir-platform:scope`) and `fhir-platform:stack`.",
    }),
    accounts: z
        .array(AccountFields.check(rules.rule(rules.accountRules)), { error: typed("a list of accounts", "list at least one account") })
        .check(rules.rule(rules.accountListRules))
        .meta({ description: "the accounts, below." }),
});

/** Every `fhir-platform:*` key, with its rules. */
export const PlatformSchema = PlatformFields.check(rules.rule(rules.platformRules));

export type PlatformConfig = z.output<typeof PlatformFields>;
export type AccountConfig = z.output<typeof AccountFields>;
export type GrantConfig = z.output<typeof GrantFields>;
export type CorsConfig = z.output<typeof CorsFields>;
export type AcrConfig = z.output<typeof AcrFields>;
export type SubscriptionConfig = z.output<typeof SubscriptionFields>;
export type LogAnalyticsConfig = z.output<typeof LogAnalyticsFields> & typeof LOG_ANALYTICS_DEFAULTS;
export type PrivateDnsConfig = z.output<typeof PrivateDnsFields>;
export type PlacementMode = PlatformConfig["placement"];
export type PublicNetworkAccess = AccountConfig["publicNetworkAccess"];
export type KeyVaultNetwork = AccountConfig["keyVaultNetwork"];

// ---- keys ---------------------------------------------------------------------------------------------------------

/** Follows optional/default/transform wrappers to the schema that holds the shape. */
export function unwrap(s: z.ZodType): z.ZodType {
    if (s instanceof z.ZodOptional || s instanceof z.ZodDefault) return unwrap(s.unwrap() as z.ZodType);
    if (s instanceof z.ZodPipe) return unwrap(s.in as z.ZodType);
    return s;
}

/** The keys of an object schema, or none. */
function keysOf(s: z.ZodType | undefined): string[] {
    const c = s && unwrap(s);
    return c instanceof z.ZodObject ? Object.keys(c.shape) : [];
}

export const PLATFORM_KEYS = keysOf(PlatformSchema) as (keyof PlatformConfig)[];

/** Keys of earlier releases, with what to do instead: read so that a stack file still using one gets told. */
export const REMOVED_KEYS: Readonly<Record<string, string>> = {
    cmkKeyUri:
        "was removed: the FHIR service always gets the versioned key URI, the only form Microsoft documents for FHIR CMK " +
        '("The key is versioned"); rotation reaches it through `pulumi up --refresh` (the key-rotation workflow). Delete the key',
};

/** The schema at a config path (object keys and list indexes), for unknown-key suggestions. */
function schemaAt(path: readonly PropertyKey[]): z.ZodType | undefined {
    let s: z.ZodType | undefined = PlatformSchema;
    for (const part of path) {
        const c: z.ZodType | undefined = s && unwrap(s);
        if (c instanceof z.ZodArray && typeof part === "number") s = c.element as z.ZodType;
        else if (c instanceof z.ZodObject && typeof part === "string") s = (c.shape as Record<string, z.ZodType>)[part];
        else return undefined;
    }
    return s && unwrap(s);
}

/** "unknown field", with the key it was probably meant to be, or the block it belongs in when it is indented wrongly. */
function unknownKey(path: readonly PropertyKey[], key: string): string {
    const here = schemaAt(path);
    if (here instanceof z.ZodObject) {
        for (const [child, s] of Object.entries(here.shape as Record<string, z.ZodType>)) {
            if (keysOf(s).includes(key)) return `unknown field here; '${key}' belongs inside '${child}': indent it under ${child}:`;
        }
    }
    return `unknown field${suggest(key, path.length === 0 ? [...keysOf(here), ...Object.keys(REMOVED_KEYS)] : keysOf(here))}`;
}

// ---- validation ---------------------------------------------------------------------------------------------------

/** The raw `fhir-platform:*` values, as parsed from the stack file. Everything is unknown until validated. */
export type RawConfig = Record<string, unknown>;

/** `key: ` with no value is YAML null: treat it as absent, as Pulumi does for scalars. */
function withoutNulls(v: unknown): unknown {
    if (Array.isArray(v)) return v.map(withoutNulls);
    if (typeof v !== "object" || v === null) return v;
    return Object.fromEntries(
        Object.entries(v)
            .filter(([, x]) => x !== null)
            .map(([k, x]) => [k, withoutNulls(x)]),
    );
}

/**
 * Validates everything and returns the config with defaults applied, or throws listing every problem (one per field and
 * message; those under `accounts[i]` name the account, or `#i` when it has no name). `source` names where the values
 * came from in the error (e.g. `Pulumi.dev.yaml`).
 */
export function validateConfig(rawInput: RawConfig, source?: string): PlatformConfig {
    const raw = withoutNulls(rawInput) as RawConfig;
    const accounts = Array.isArray(raw.accounts) ? (raw.accounts as { name?: unknown }[]) : [];
    const problems: ConfigProblem[] = [];
    const add = (path: readonly PropertyKey[], message: string) => {
        const i = path[0] === "accounts" && typeof path[1] === "number" ? path[1] : undefined;
        const name = i === undefined ? undefined : accounts[i]?.name;
        const problem = {
            path: pathText(path),
            ...(i === undefined ? {} : { account: typeof name === "string" ? name : `#${i}` }),
            message,
        };
        if (!problems.some((p) => p.path === problem.path && p.message === message)) problems.push(problem);
    };
    const parsed = PlatformSchema.safeParse(Object.fromEntries(Object.entries(raw).filter(([k]) => !(k in REMOVED_KEYS))));
    for (const issue of parsed.success ? [] : parsed.error.issues) {
        if (issue.code === "unrecognized_keys") for (const key of issue.keys) add([...issue.path, key], unknownKey(issue.path, key));
        else add(issue.path, issue.message);
    }
    // Removed keys get their own message (the schema would call them unknown).
    for (const [key, why] of Object.entries(REMOVED_KEYS))
        if (raw[key] !== undefined) add([key], `${why} '${CONFIG_NAMESPACE}:${key}' from the stack file`);
    // The CMK rule (vault + key name <= 94) holds by construction of the names; check it anyway so a change to the
    // naming module that breaks it fails here, loudly, not in Azure.
    if (maxKeyVaultNameLength() + CMK_KEY_NAME.length > CMK_MAX_VAULT_PLUS_KEY_NAME)
        add(["accounts"], `derived key vault name + key name would exceed ${CMK_MAX_VAULT_PLUS_KEY_NAME} characters`);
    if (problems.length > 0 || !parsed.success)
        throw new ConfigValidationError(problems, source ? `${source}: ${CONFIG_NAMESPACE} config` : undefined);
    return parsed.data;
}

/**
 * A source of raw config values: `pulumi.Config` satisfies it, and so does a plain map in tests and scripts.
 * `keys` lists every key set in the namespace, so that misspelled ones are reported (the Pulumi program passes the
 * keys of `pulumi.runtime.allConfig()`); without it only known keys are read.
 */
export interface ConfigSource {
    get(key: string): string | undefined;
    keys?(): string[];
}

/**
 * Reads every `fhir-platform:*` key as YAML-typed JSON (Pulumi passes objects, lists, numbers and booleans from
 * the stack file as JSON text). A value that is not JSON is a plain string (`location: westeurope` arrives unquoted).
 */
export function readRawConfig(source: ConfigSource): RawConfig {
    const raw: RawConfig = {};
    for (const key of new Set([...PLATFORM_KEYS, ...Object.keys(REMOVED_KEYS), ...(source.keys?.() ?? [])])) {
        const text = source.get(key);
        if (text === undefined) continue;
        try {
            raw[key] = JSON.parse(text);
        } catch {
            raw[key] = text;
        }
    }
    return raw;
}

/** Reads and validates the stack's config; throws ConfigValidationError listing every problem. */
export function loadConfig(source: ConfigSource, sourceName?: string): PlatformConfig {
    return validateConfig(readRawConfig(source), sourceName);
}
