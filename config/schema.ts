/**
 * Typed stack configuration: one schema (zod) is the single source of truth for every `fhir-platform:*` key, its type,
 * default, constraint and message. The TypeScript types, the key lists, the defaults and the unknown-key suggestions
 * are derived from it; test/project.test.ts checks that Pulumi.yaml declares the same keys and defaults, and that the
 * README's configuration reference lists every key.
 *
 * `validateConfig` is pure: it takes the raw values (parsed from YAML/JSON) and returns the config with defaults
 * applied, or throws one ConfigValidationError listing every problem, each naming the account and the field. Rules
 * that relate fields run over the raw input even when fields are invalid, so one run reports everything.
 */
import { z } from "zod";
import {
    ACR_MAX_REGISTRIES,
    ACR_REGISTRY_ID,
    AHDS_DEFAULT_QUOTAS,
    AHDS_PRIVATE_DNS_ZONES,
    type AhdsPrivateDnsZone,
    CMK_KEY_SIZES,
    CMK_MAX_VAULT_PLUS_KEY_NAME,
    EXPORT_RETENTION_DAYS,
    EXPORT_STORAGE_REDUNDANCIES,
    FHIR_DATA_ROLES,
    FHIR_REGIONS,
    FHIR_RETIRED_REGIONS,
    FHIR_VERSION_POLICIES,
    GUID_PATTERN,
    HIPAA_SIX_YEARS_DAYS,
    KEY_ROTATION_DAYS,
    LOCATION_PATTERN,
    LOG_ANALYTICS_RETENTION,
    LOG_ANALYTICS_WORKSPACE_ID,
    PRINCIPAL_TYPES,
    RBAC_PROPAGATION_SECONDS,
    RETIRED_FEATURES,
    SMART_DATA_ACTIONS,
    ZRS_REGIONS,
    acrLoginServer,
    isTotalRetentionAccepted,
} from "../azure/facts";
import {
    ACCOUNT_NAME_PATTERN,
    AUTO_WORKSPACE_GROUP_PATTERN,
    CMK_KEY_NAME,
    RESERVED_ACCOUNT_NAMES,
    WORKSPACE_GROUP_PATTERN,
    checkName,
    maxKeyVaultNameLength,
} from "../azure/naming";

export const CONFIG_NAMESPACE = "fhir-platform";

// ---- messages ---------------------------------------------------------------------------------------------------

function describe(v: unknown): string {
    return JSON.stringify(v) ?? String(v);
}

/** Levenshtein distance, for "did you mean" on unknown keys and values. */
function distance(a: string, b: string): number {
    const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
    for (let j = 1; j <= b.length; j++) d[0][j] = j;
    for (let i = 1; i <= a.length; i++)
        for (let j = 1; j <= b.length; j++)
            d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    return d[a.length][b.length];
}

/** `; did you mean 'x'?` when a candidate is close to `value`, else "". */
export function suggest(value: string, candidates: readonly string[]): string {
    const best = candidates.map((c) => ({ c, d: distance(value.toLowerCase(), c.toLowerCase()) })).sort((x, y) => x.d - y.d)[0];
    return best && best.d <= Math.max(2, Math.floor(best.c.length / 3)) ? `; did you mean '${best.c}'?` : "";
}

/** The message for a value of the wrong type, or for a required value that is missing (never "got undefined"). */
const typed =
    (kind: string, required = "") =>
    (iss: { input?: unknown }) =>
        iss.input === undefined ? `is required${required ? `: ${required}` : ""}` : `must be ${kind}, got ${describe(iss.input)}`;

const bool = () => z.boolean({ error: typed("a boolean (true or false)") });
const text = (required?: string) => z.string({ error: typed("a string", required) });
/** A whole number in [min, max], with one message for every way to miss it. */
const wholeNumber = (min: number, max: number) =>
    z.number({ error: typed(`a whole number from ${min} to ${max}`) }).refine((v) => Number.isInteger(v) && v >= min && v <= max, {
        error: (iss) => `must be a whole number from ${min} to ${max}, got ${describe(iss.input)}`,
    });
/** One of `values`, with a suggestion for a near miss. */
const oneOf = <const T extends readonly [string, ...string[]]>(values: T, what = `one of ${values.join(", ")}`) =>
    z.enum(values, {
        error: (iss) =>
            iss.input === undefined
                ? "is required"
                : `must be ${what}, got ${describe(iss.input)}${typeof iss.input === "string" ? suggest(iss.input, values) : ""}`,
    });
const guid = (what: string) =>
    text(what)
        .regex(GUID_PATTERN, { error: (iss) => `must be ${what} (a GUID), got ${describe(iss.input)}` })
        .transform((v) => v.toLowerCase());
/** A list of strings (YAML sequences); each item's problem is reported at its index. */
const stringList = (required?: string) => z.array(text(), { error: typed("a list of strings", required) });

/** Azure tag limits. Source: "Use tags to organize your Azure resources": name 512, value 256, no <>%&\?/ in names. */
const TAG_NAME_FORBIDDEN = /[<>%&\\?/]/;
const tags = () =>
    z
        .record(z.string(), z.unknown(), { error: typed("a map of tag names to strings") })
        .superRefine((t, ctx) => {
            for (const [k, v] of Object.entries(t)) {
                const problem =
                    typeof v !== "string"
                        ? `tag value must be a string, got ${describe(v)}`
                        : TAG_NAME_FORBIDDEN.test(k) || k.length > 512
                          ? "tag name must be at most 512 characters without < > % & \\ ? /"
                          : v.length > 256
                            ? "tag value must be at most 256 characters"
                            : k.toLowerCase().startsWith(`${CONFIG_NAMESPACE}:`)
                              ? `tag names starting with '${CONFIG_NAMESPACE}:' are reserved for the platform`
                              : undefined;
                if (problem) ctx.addIssue({ code: "custom", path: [k], message: problem });
            }
        })
        .transform((t) => t as Record<string, string>)
        .default({});

const SUBNET_ID = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Network\/virtualNetworks\/[^/]+\/subnets\/[^/]+$/i;
const VNET_ID = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Network\/virtualNetworks\/[^/]+$/i;
const PRIVATE_DNS_ZONE_ID = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Network\/privateDnsZones\/([^/]+)$/i;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const CORS_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"] as const;

// ---- the schema ---------------------------------------------------------------------------------------------------

const principalId = text("the object ID (a GUID) of a user, group or service principal").superRefine((v, ctx) => {
    if (GUID_PATTERN.test(v)) return;
    const hint = EMAIL.test(v)
        ? `: '${v}' is a sign-in name, not an object ID; find the object ID with \`az ad user show --id ${v} --query id -o tsv\` (a ` +
          `group: \`az ad group show --group <name> --query id -o tsv\`)`
        : "; for an app, use its service principal's object ID (`az ad sp show --id <appId> --query id -o tsv`), not its application " +
          "(client) ID";
    ctx.addIssue({
        code: "custom",
        message: `must be the object ID (a GUID) of a user, group or service principal, got ${describe(v)}${hint}`,
    });
});

const GrantSchema = z.strictObject(
    {
        /** Object ID of the user, group or service principal in the stack's tenant (for an app: its service principal's object ID). */
        principalId: principalId.transform((v) => v.toLowerCase()),
        principalType: oneOf(PRINCIPAL_TYPES),
        role: z.enum(FHIR_DATA_ROLES, {
            error: (iss) =>
                `${iss.input === undefined ? "is required" : `unknown role ${describe(iss.input)}${typeof iss.input === "string" ? suggest(iss.input, FHIR_DATA_ROLES) : ""}`}; ` +
                `FHIR data-plane roles are: ${FHIR_DATA_ROLES.join(", ")}`,
        }),
        /** Optional note carried into the role assignment description. */
        description: text().max(1024, { error: "must be at most 1024 characters" }).optional(),
    },
    { error: typed("an object with principalId, principalType and role") },
);

const CorsSchema = z.strictObject(
    {
        origins: stringList("list at least one origin when cors is set").min(1, {
            error: "must list at least one origin when cors is set",
        }),
        headers: stringList().default(["*"]),
        methods: z.array(oneOf(CORS_METHODS), { error: typed("a list of strings") }).default(["GET", "OPTIONS"]),
        maxAge: wholeNumber(0, 99999).optional(),
        allowCredentials: bool().default(false),
    },
    { error: typed("an object with origins (and optionally headers, methods, maxAge, allowCredentials)") },
);

/**
 * How the account's key vault firewall admits callers. `trustedServices` (default): deny every network, let trusted
 * Microsoft services through (what "Configure customer-managed keys for the FHIR service" asks for). `allNetworks`:
 * no firewall (Entra ID + RBAC still required), for when the trusted-services bypass does not admit the FHIR service
 * (Key Vault's trusted-services table does not list Health Data Services: a known conflict in Microsoft's docs).
 */
export const KEY_VAULT_NETWORKS = ["trustedServices", "allNetworks"] as const;

const accountName = text("3 to 12 lowercase letters and digits, starting with a letter").superRefine((name, ctx) => {
    if (!ACCOUNT_NAME_PATTERN.test(name)) {
        const lower = name.toLowerCase();
        ctx.addIssue({
            code: "custom",
            message:
                `'${name}' is not a valid account name: use 3 to 12 lowercase letters and digits, starting with a letter ` +
                `(it becomes part of globally unique Azure names that allow nothing ` +
                `else)${lower !== name && ACCOUNT_NAME_PATTERN.test(lower) ? `; use '${lower}'` : ""}`,
        });
    } else if (AUTO_WORKSPACE_GROUP_PATTERN.test(name)) {
        // An account named like a pool could be packed into that pool and then look dedicated in the lock.
        ctx.addIssue({
            code: "custom",
            message: `'${name}' is reserved for automatically created shared workspaces (pool01, pool02, ...); pick another account name`,
        });
    } else if (Object.hasOwn(RESERVED_ACCOUNT_NAMES, name)) {
        ctx.addIssue({ code: "custom", message: `'${name}' is reserved: ${RESERVED_ACCOUNT_NAMES[name]}; pick another account name` });
    }
});

const registryId = () =>
    text("a container registry resource ID").regex(ACR_REGISTRY_ID, {
        error: (iss) =>
            `must be a container registry resource ID (/subscriptions/…/providers/Microsoft.ContainerRegistry/registries/<name>), got ` +
            `${describe(iss.input)}`,
    });

/** `$convert-data` custom templates: the registries the account's FHIR service pulls them from (AcrPull for its identity). */
const AcrSchema = z.strictObject(
    {
        registryIds: z
            .array(registryId(), {
                error: typed("a list of registry resource IDs", "list the registries (resource IDs) the templates come from"),
            })
            .min(1, { error: "must list at least one registry" })
            .max(ACR_MAX_REGISTRIES, {
                error: (iss) =>
                    `lists ${(iss.input as unknown[]).length} registries; a FHIR service accepts at most ${ACR_MAX_REGISTRIES} ` +
                    `(Microsoft Learn, "Configure settings for $convert-data": "You can register up to 20 Azure Container Registry ` +
                    `servers in the FHIR service")`,
            }),
        ociArtifacts: z
            .array(
                z.strictObject(
                    {
                        loginServer: text("the registry's login server, e.g. contosotemplates.azurecr.io"),
                        imageName: text("the template image, e.g. templates:default"),
                        digest: text()
                            .regex(/^sha256:[0-9a-f]{64}$/, {
                                error: (iss) => `must be an image digest sha256:<64 hex digits>, got ${describe(iss.input)}`,
                            })
                            .optional(),
                    },
                    { error: typed("an object { loginServer, imageName, digest? }") },
                ),
                { error: typed("a list of { loginServer, imageName, digest? }") },
            )
            .default([]),
    },
    { error: typed("an object { registryIds, ociArtifacts? }") },
);

const httpsUrl = (what: string) =>
    text(what).refine((v) => /^https:\/\/[^\s/]+(\/[^\s]*)?$/.test(v), {
        error: (iss) => `must be an https URL (${what}), got ${describe(iss.input)}`,
    });

/** SMART on FHIR with another identity provider: its authority and the applications it issues tokens to. */
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

const maxKeyName = CMK_MAX_VAULT_PLUS_KEY_NAME - maxKeyVaultNameLength();
const keyName = text().superRefine((v, ctx) => {
    const problem = checkName("keyVaultKey", v);
    if (problem) ctx.addIssue({ code: "custom", message: `${problem} (1-127 letters, digits and hyphens)` });
    else if (v.length > maxKeyName)
        ctx.addIssue({
            code: "custom",
            message:
                `must be at most ${maxKeyName} characters: the FHIR service accepts a vault name + key name of at most ` +
                `${CMK_MAX_VAULT_PLUS_KEY_NAME}`,
        });
});

const AccountSchema = z.strictObject(
    {
        /** The account's stable identity: every Pulumi and Azure name derives from it. */
        name: accountName,
        /**
         * Name of the account's current CMK key in its vault. Key size and rotation policy are fixed when Azure creates a
         * key, so moving to another size means a new key: a new name (the placement lock keeps the old one).
         */
        keyName: keyName.default(CMK_KEY_NAME),
        keySize: z
            .literal(CMK_KEY_SIZES, {
                error: (iss) =>
                    typeof iss.input === "number"
                        ? `${iss.input} is not a key size Azure accepts for a FHIR customer-managed key; use ${CMK_KEY_SIZES.join(" or ")}`
                        : `must be a number (${CMK_KEY_SIZES.join(" or ")}), got ${describe(iss.input)}`,
            })
            .default(3072),
        /** Days after which Key Vault rotates the key (creates a new version). */
        keyRotationDays: wholeNumber(KEY_ROTATION_DAYS.min, KEY_ROTATION_DAYS.max).default(KEY_ROTATION_DAYS.default),
        export: bool().default(true),
        import: bool().default(false),
        /** `$import` in initial mode: for loading an empty service; blocks API writes while on. */
        initialImportMode: bool().default(false),
        /**
         * The SMART on FHIR proxy, retired by Microsoft on 2026-09-21: only `false` (the default, which also turns it off on
         * a service deployed earlier) is accepted.
         */
        smartProxy: bool()
            .refine((on) => !on, {
                error:
                    `the SMART on FHIR proxy was retired on ${RETIRED_FEATURES.smartProxy.retired} (${RETIRED_FEATURES.smartProxy.source}: ` +
                    `"applications relying on SMART on FHIR proxy will report errors"); use ${RETIRED_FEATURES.smartProxy.instead}, ` +
                    "and delete smartProxy from the account",
            })
            .default(false),
        /** Other identity providers for SMART on FHIR (authenticationConfiguration.smartIdentityProviders). */
        smartIdentityProviders: z.array(SmartIdentityProviderSchema, { error: typed("a list of { authority, applications }") }).default([]),
        /**
         * How the service keeps resource history ("Versioning policy and history management"). `versioned`, the
         * service's own default: every version kept for audit, and no client needs If-Match.
         */
        resourceVersionPolicy: oneOf(FHIR_VERSION_POLICIES).default("versioned"),
        /** Per FHIR resource type (e.g. Patient), a policy that overrides the default. */
        resourceVersionOverrides: z
            .record(z.string(), oneOf(FHIR_VERSION_POLICIES), { error: typed("a map of FHIR resource types to versioning policies") })
            .superRefine((overrides, ctx) => {
                for (const type of Object.keys(overrides)) {
                    if (!/^[A-Z][A-Za-z]{1,63}$/.test(type))
                        ctx.addIssue({
                            code: "custom",
                            path: [type],
                            message: `must be a FHIR resource type such as Patient or Observation, got ${describe(type)}`,
                        });
                }
            })
            .default({}),
        /** US Core: accept resources that lack must-support data (implementationGuidesConfiguration.usCoreMissingData). */
        usCoreMissingData: bool().default(false),
        acr: AcrSchema.optional(),
        grants: z.array(GrantSchema, { error: typed("a list of grants") }).default([]),
        cors: CorsSchema.optional(),
        publicNetworkAccess: oneOf(["Enabled", "Disabled"], "Enabled or Disabled").default("Enabled"),
        /** Subnet for the workspace private endpoint; required when publicNetworkAccess is Disabled. */
        privateEndpointSubnetId: text()
            .regex(SUBNET_ID, {
                error: (iss) => `must be a subnet resource ID (/subscriptions/…/virtualNetworks/…/subnets/…), got ${describe(iss.input)}`,
            })
            .optional(),
        keyVaultNetwork: oneOf(KEY_VAULT_NETWORKS).default("trustedServices"),
        /** Overrides the stack's exportRetentionDays for this account's export storage. */
        exportRetentionDays: wholeNumber(EXPORT_RETENTION_DAYS.min, EXPORT_RETENTION_DAYS.max).optional(),
        /** Copy this account's `$export` output to the stack's recoveryCopy.location (object replication): PHI in a second region. */
        recoveryCopy: bool().default(false),
        tags: tags(),
        /** Pinned workspace group (shared workspace) or absent for automatic placement. */
        workspace: text()
            .regex(WORKSPACE_GROUP_PATTERN, {
                error: (iss) =>
                    `'${String(iss.input)}' is not a valid workspace group: use 3 to 12 lowercase letters and digits, starting with a ` +
                    `letter`,
            })
            .optional(),
        /** Pinned subscription (by its `name` in `subscriptions`) or absent for automatic placement. */
        subscription: text().optional(),
    },
    { error: typed("an object with at least a name") },
);

const SubscriptionSchema = z.strictObject(
    {
        /** Short, stable name used in placement and resource names (the ID may change with a tenant move). */
        name: text().regex(/^[a-z][a-z0-9-]{0,23}$/, {
            error: (iss) => `must be 1 to 24 lowercase letters, digits and hyphens, starting with a letter, got ${describe(iss.input)}`,
        }),
        subscriptionId: guid("a subscription ID"),
        /**
         * AHDS quotas of this subscription. The defaults are Azure's (10 FHIR services per subscription, 10 per workspace,
         * 10 workspaces); declare a higher value only where Microsoft granted a quota increase for this subscription (a
         * support request): placement trusts it, and `pulumi up` fails at Azure's quota otherwise.
         */
        fhirServicesPerWorkspace: wholeNumber(1, 1000).default(AHDS_DEFAULT_QUOTAS.fhirServicesPerWorkspace),
        workspaces: wholeNumber(1, 1000).default(AHDS_DEFAULT_QUOTAS.workspacesPerSubscription),
        fhirServices: wholeNumber(1, 10000).default(AHDS_DEFAULT_QUOTAS.fhirServicesPerSubscription),
        /**
         * Whether this stack sends the subscription's Activity Log to its Log Analytics workspace (a subscription
         * diagnostic setting, one per subscription across every stack): false when another stack or an existing setup
         * does it.
         */
        activityLog: bool().default(true),
    },
    { error: typed("an object { name, subscriptionId }") },
);

const zoneId = (zone: AhdsPrivateDnsZone) =>
    text(`the resource ID of the private DNS zone ${AHDS_PRIVATE_DNS_ZONES[zone]}`).superRefine((id, ctx) => {
        const m = PRIVATE_DNS_ZONE_ID.exec(id);
        if (!m) {
            ctx.addIssue({
                code: "custom",
                message:
                    `must be the resource ID of the private DNS zone ${AHDS_PRIVATE_DNS_ZONES[zone]} ` +
                    `(/subscriptions/…/providers/Microsoft.Network/privateDnsZones/${AHDS_PRIVATE_DNS_ZONES[zone]}), got ` +
                    `${describe(id)}`,
            });
        } else if (m[1].toLowerCase() !== AHDS_PRIVATE_DNS_ZONES[zone]) {
            ctx.addIssue({
                code: "custom",
                message:
                    `points at zone '${m[1]}', but the AHDS ${zone} endpoint resolves in ${AHDS_PRIVATE_DNS_ZONES[zone]} ` +
                    `(Microsoft Learn, "Azure Private Endpoint private DNS zone values")`,
            });
        }
    });

/**
 * DNS for the workspaces' private endpoints: either existing zones (hub and spoke: the connectivity team owns them and
 * their VNet links), or zones this stack creates in its platform resource group and links to the given VNets.
 */
const PrivateDnsSchema = z.strictObject(
    {
        zoneIds: z
            .strictObject(
                { workspace: zoneId("workspace"), fhir: zoneId("fhir") },
                { error: typed("an object { workspace: <zone ID>, fhir: <zone ID> }") },
            )
            .optional(),
        virtualNetworkIds: z
            .array(
                text().regex(VNET_ID, {
                    error: (iss) =>
                        `must be a virtual network resource ID (/subscriptions/…/providers/Microsoft.Network/virtualNetworks/<name>), ` +
                        `got ${describe(iss.input)}`,
                }),
                {
                    error: typed("a list of VNet IDs"),
                },
            )
            .min(1, { error: "must list one VNet ID (the VNet whose clients resolve the FHIR services privately)" })
            // "Configure Private Link for Azure Health Data Services": "Make sure you associate only a single virtual network
            // with the DNS zone. If you need to support multiple virtual networks, you must create separate DNS zones in
            // different resource groups" (linking several causes resolution conflicts and 403s).
            .max(1, {
                error:
                    "must list a single VNet: Microsoft's Private Link page for AHDS says to \"associate only a single virtual network " +
                    'with the DNS zone" (several cause resolution conflicts and HTTP 403). For more VNets, link existing zones to a hub ' +
                    "VNet whose resolver the others forward to, and give zoneIds instead",
            })
            .optional(),
    },
    {
        error: typed(
            "an object with either zoneIds { workspace, fhir } (existing private DNS zones) or virtualNetworkIds (zones this stack " +
                "creates and links)",
        ),
    },
);

const LogAnalyticsSchema = z.strictObject(
    {
        /** Existing workspace resource ID; when absent the stack creates one. */
        workspaceId: text()
            .regex(LOG_ANALYTICS_WORKSPACE_ID, {
                error: (iss) => `must be a Log Analytics workspace resource ID, got ${describe(iss.input)}`,
            })
            .optional(),
        /**
         * Analytics (interactive) retention of the created workspace and of the audit tables (azure/facts.ts
         * LOG_ANALYTICS_RETENTION: 30 to 730 days on PerGB2018).
         */
        retentionDays: wholeNumber(LOG_ANALYTICS_RETENTION.interactive.min, LOG_ANALYTICS_RETENTION.interactive.max).default(
            LOG_ANALYTICS_RETENTION.interactive.default,
        ),
        /**
         * Total retention of the tables the audit logs land in (analytics, then low-cost long-term retention): 4 to 730
         * days, or whole years up to 12 (1095, 1460, 1826, 2191, ...). Default 2191, six years (HIPAA's 45 CFR
         * 164.316(b)(2)(i), applied to audit logs).
         */
        totalRetentionDays: z
            .number({ error: typed("a number of days") })
            .superRefine((days, ctx) => {
                if (isTotalRetentionAccepted(days)) return;
                const years = LOG_ANALYTICS_RETENTION.totalYears;
                const nearest = [...years].sort((a, b) => Math.abs(a - days) - Math.abs(b - days))[0];
                ctx.addIssue({
                    code: "custom",
                    message:
                        `${describe(days)} days is not a total retention Azure accepts: ${LOG_ANALYTICS_RETENTION.total.min} to ` +
                        `${LOG_ANALYTICS_RETENTION.tableInteractive.max} days, or whole years: ${years.join(", ")} (Microsoft Learn, "Manage ` +
                        `data retention in a Log Analytics workspace", Tables - Update)` +
                        (days > LOG_ANALYTICS_RETENTION.tableInteractive.max && days <= LOG_ANALYTICS_RETENTION.total.max
                            ? `; did you mean ${nearest}?`
                            : ""),
                });
            })
            .default(HIPAA_SIX_YEARS_DAYS),
        /**
         * With an existing workspace: whether this stack sets the audit tables' retention there (default no: the
         * workspace's owner does). The tables are shared with whatever else sends to the workspace.
         */
        manageTableRetention: bool().optional(),
    },
    { error: typed("an object { workspaceId?, retentionDays?, totalRetentionDays?, manageTableRetention? }") },
);

/** The optional copy of each opted-in account's `$export` output in a second region (docs/recovery.md). */
const RecoveryCopySchema = z.strictObject(
    {
        location: text("the second region, e.g. northeurope").regex(LOCATION_PATTERN, {
            error: (iss) => `must be a region name like northeurope, got ${describe(iss.input)}`,
        }),
    },
    { error: typed("an object { location }") },
);

/** Every `fhir-platform:*` key. Scalars are declared in Pulumi.yaml with the same types and defaults. */
export const PlatformSchema = z.strictObject({
    /**
     * The environment this stack belongs to (dev, staging, prod, ...): shards are checked together only within one
     * environment. Absent: the stack name up to its first hyphen (`prod-eu-1` -> `prod`).
     */
    environment: text()
        .regex(/^[a-z][a-z0-9-]{0,23}$/, {
            error: (iss) =>
                `must be 1 to 24 lowercase letters, digits and hyphens, starting with a letter (dev, staging, prod), got ` +
                `${describe(iss.input)}`,
        })
        .optional(),
    /** False for example stacks whose IDs are placeholders: CI plans and checks them but never deploys them. */
    deploy: bool().default(true),
    location: text("an Azure region name such as westeurope").regex(LOCATION_PATTERN, {
        error: (iss) =>
            `must be a region name like westeurope or eastus2, got ${describe(iss.input)}${suggest(
                String(iss.input)
                    .toLowerCase()
                    .replace(/[^a-z0-9]/g, ""),
                FHIR_REGIONS,
            )}`,
    }),
    /** Accept a location missing from FHIR_REGIONS (a region added after this release). */
    allowUnlistedLocation: bool().default(false),
    /**
     * Redundancy of every export storage account: ZRS or LRS. Absent: ZRS where the region offers it, LRS elsewhere
     * (azure/facts.ts ZRS_REGIONS). Never geo-redundant: exports are regenerable copies of PHI.
     */
    exportStorageRedundancy: oneOf(EXPORT_STORAGE_REDUNDANCIES, "ZRS or LRS (never geo-redundant: exports are copies of PHI)").optional(),
    tenantId: guid("the Entra tenant ID"),
    subscriptions: z
        .array(SubscriptionSchema, {
            error: typed("a non-empty list of { name, subscriptionId }", "list at least one { name, subscriptionId }"),
        })
        .min(1, {
            error: "must be a non-empty list of { name, subscriptionId }",
        }),
    placement: oneOf(["dedicated", "shared"], "dedicated (a workspace per account) or shared (accounts packed into workspaces)").default(
        "dedicated",
    ),
    logAnalytics: LogAnalyticsSchema.default({
        retentionDays: LOG_ANALYTICS_RETENTION.interactive.default,
        totalRetentionDays: HIPAA_SIX_YEARS_DAYS,
    }),
    /** Days after which the lifecycle policy deletes every blob in export storage (per account: exportRetentionDays). */
    exportRetentionDays: wholeNumber(EXPORT_RETENTION_DAYS.min, EXPORT_RETENTION_DAYS.max).default(EXPORT_RETENTION_DAYS.default),
    /** Where opted-in accounts (`recoveryCopy: true`) get a copy of their `$export` output; absent: nowhere. */
    recoveryCopy: RecoveryCopySchema.optional(),
    protectStatefulResources: bool().default(true),
    rbacPropagationSeconds: wholeNumber(0, RBAC_PROPAGATION_SECONDS.max).default(RBAC_PROPAGATION_SECONDS.default),
    /** Required when an account is private (publicNetworkAccess: Disabled). */
    privateDns: PrivateDnsSchema.optional(),
    /** Container registries that several accounts may list for `$convert-data` (otherwise one registry, one account). */
    sharedRegistryIds: z.array(registryId(), { error: typed("a list of registry resource IDs") }).default([]),
    tags: tags(),
    accounts: z.array(AccountSchema, { error: typed("a list of accounts", "list at least one account") }),
});

export type PlatformConfig = z.output<typeof PlatformSchema>;
export type AccountConfig = PlatformConfig["accounts"][number];
export type GrantConfig = AccountConfig["grants"][number];
export type CorsConfig = NonNullable<AccountConfig["cors"]>;
export type SubscriptionConfig = PlatformConfig["subscriptions"][number];
export type LogAnalyticsConfig = PlatformConfig["logAnalytics"];
export type PrivateDnsConfig = NonNullable<PlatformConfig["privateDns"]>;
export type PlacementMode = PlatformConfig["placement"];
export type PublicNetworkAccess = AccountConfig["publicNetworkAccess"];
export type KeyVaultNetwork = AccountConfig["keyVaultNetwork"];

// ---- derived from the schema -------------------------------------------------------------------------------------

/** Follows optional/default/transform wrappers to the schema that holds the shape. */
function core(s: z.ZodType): z.ZodType {
    if (s instanceof z.ZodOptional || s instanceof z.ZodDefault) return core(s.unwrap() as z.ZodType);
    if (s instanceof z.ZodPipe) return core(s.in as z.ZodType);
    return s;
}

/** The schema at a config path (object keys and list indexes), for unknown-key suggestions. */
function schemaAt(path: readonly PropertyKey[]): z.ZodType | undefined {
    let s: z.ZodType | undefined = PlatformSchema;
    for (const part of path) {
        const c: z.ZodType | undefined = s ? core(s) : undefined;
        if (c instanceof z.ZodArray && typeof part === "number") s = c.element as z.ZodType;
        else if (c instanceof z.ZodObject && typeof part === "string") s = (c.shape as Record<string, z.ZodType>)[part];
        else return undefined;
    }
    return s ? core(s) : undefined;
}

function keysOf(s: z.ZodType | undefined): string[] {
    return s instanceof z.ZodObject ? Object.keys(s.shape) : [];
}

export const PLATFORM_KEYS = keysOf(PlatformSchema) as (keyof PlatformConfig)[];

/** Keys of earlier releases, with what to do instead: read so that a stack file still using one gets told. */
export const REMOVED_KEYS: Readonly<Record<string, string>> = {
    cmkKeyUri:
        "was removed: the FHIR service always gets the versioned key URI, the only form Microsoft documents for FHIR CMK " +
        '("The key is versioned"); rotation reaches it through `pulumi up --refresh` (the key-rotation workflow). Delete the key',
};

function defaultsOf(s: z.ZodType): Record<string, unknown> {
    const c = core(s);
    if (!(c instanceof z.ZodObject)) return {};
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(c.shape as Record<string, z.ZodType>)) if (v instanceof z.ZodDefault) out[k] = v.def.defaultValue;
    return out;
}

/** The defaults the schema applies: stack-wide keys and per-account keys (test/project.test.ts holds Pulumi.yaml to them). */
export const DEFAULTS = {
    platform: defaultsOf(PlatformSchema) as Partial<PlatformConfig>,
    account: defaultsOf(AccountSchema) as Partial<AccountConfig>,
};

/**
 * The Pulumi project config type of a stack-wide key (Pulumi.yaml declares scalars only: string, integer, boolean),
 * or undefined for a structured key (documented in Pulumi.yaml's comment instead).
 */
export function pulumiConfigType(key: string): "string" | "integer" | "boolean" | undefined {
    const s = schemaAt([key]);
    if (s instanceof z.ZodBoolean) return "boolean";
    if (s instanceof z.ZodNumber) return "integer";
    if (s instanceof z.ZodString || s instanceof z.ZodEnum) return "string";
    return undefined;
}

/** Every key path the schema knows (`accounts[].cors.origins`), for the README reference test. */
export function schemaKeyPaths(s: z.ZodType = PlatformSchema, prefix = ""): string[] {
    const c = core(s);
    if (c instanceof z.ZodArray) return schemaKeyPaths(c.element as z.ZodType, `${prefix}[]`);
    if (!(c instanceof z.ZodObject)) return [];
    return Object.entries(c.shape as Record<string, z.ZodType>).flatMap(([k, v]) => {
        const p = prefix ? `${prefix}.${k}` : k;
        return [p, ...schemaKeyPaths(v, p)];
    });
}

// ---- problems --------------------------------------------------------------------------------------------------

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
    constructor(
        readonly problems: ConfigProblem[],
        source = `${CONFIG_NAMESPACE} config`,
    ) {
        super(
            `${source} has ${problems.length} problem${problems.length === 1 ? "" : "s"}:\n` +
                problems.map((p) => `  - ${formatProblem(p)}`).join("\n"),
        );
        this.name = "ConfigValidationError";
    }
}

/** The raw `fhir-platform:*` values, as parsed from the stack file. Everything is unknown until validated. */
export type RawConfig = Record<string, unknown>;

function isRecord(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** `key: ` with no value is YAML null: treat it as absent, as Pulumi does for scalars. */
function withoutNulls(v: unknown): unknown {
    if (Array.isArray(v)) return v.map(withoutNulls);
    if (isRecord(v))
        return Object.fromEntries(
            Object.entries(v)
                .filter(([, x]) => x !== null)
                .map(([k, x]) => [k, withoutNulls(x)]),
        );
    return v;
}

function pathText(path: readonly PropertyKey[]): string {
    return path.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i === 0 ? "" : "."}${String(p)}`)).join("");
}

/** Collects problems; those under `accounts[i]` carry the account's name (or `#i` when it has none). */
class Problems {
    readonly list: ConfigProblem[] = [];
    constructor(private readonly raw: RawConfig) {}
    accountAt(i: number): string {
        const a = Array.isArray(this.raw.accounts) ? this.raw.accounts[i] : undefined;
        return isRecord(a) && typeof a.name === "string" ? a.name : `#${i}`;
    }
    add(path: readonly PropertyKey[], message: string): void {
        const account = path[0] === "accounts" && typeof path[1] === "number" ? this.accountAt(path[1]) : undefined;
        this.list.push({ path: pathText(path), ...(account !== undefined ? { account } : {}), message });
    }
}

/** "unknown field", with the key it was probably meant to be, or the block it belongs in when it is indented wrongly. */
function unknownKey(path: readonly PropertyKey[], key: string): string {
    const here = schemaAt(path);
    const siblings = keysOf(here);
    if (here instanceof z.ZodObject) {
        for (const [child, s] of Object.entries(here.shape as Record<string, z.ZodType>)) {
            if (keysOf(core(s)).includes(key)) return `unknown field here; '${key}' belongs inside '${child}': indent it under ${child}:`;
        }
    }
    return `unknown field${suggest(key, path.length === 0 ? [...siblings, ...Object.keys(REMOVED_KEYS)] : siblings)}`;
}

/** Rules that relate fields: run over the raw input, whatever else is wrong with it. */
function crossFieldRules(raw: RawConfig, p: Problems): void {
    const accounts = Array.isArray(raw.accounts) ? raw.accounts : [];
    const str = (v: unknown) => (typeof v === "string" ? v : undefined);

    for (const [key, why] of Object.entries(REMOVED_KEYS))
        if (raw[key] !== undefined) p.add([key], `${why} '${CONFIG_NAMESPACE}:${key}' from the stack file`);

    const location = str(raw.location);
    const retired = location !== undefined && Object.hasOwn(FHIR_RETIRED_REGIONS, location) ? FHIR_RETIRED_REGIONS[location] : undefined;
    if (retired) {
        // Not even allowUnlistedLocation: the region is known to have lost the service.
        p.add(["location"], `'${location}': ${retired}; pick another region (${FHIR_REGIONS.join(", ")})`);
    } else if (
        location &&
        LOCATION_PATTERN.test(location) &&
        raw.allowUnlistedLocation !== true &&
        !(FHIR_REGIONS as readonly string[]).includes(location)
    ) {
        p.add(
            ["location"],
            `'${location}' is not a region where Microsoft offers the AHDS FHIR service${suggest(location, FHIR_REGIONS)}; regions ` +
                `(Microsoft Learn, "Regional availability of services and features"): ${FHIR_REGIONS.join(", ")}. If Microsoft ` +
                `added it since, set ${CONFIG_NAMESPACE}:allowUnlistedLocation: true`,
        );
    }
    if (raw.exportStorageRedundancy === "ZRS" && location && !(ZRS_REGIONS as readonly string[]).includes(location)) {
        p.add(
            ["exportStorageRedundancy"],
            `ZRS is not offered in '${location}' (Microsoft Learn, "Azure regions that support zone-redundant storage (ZRS)": ` +
                `regions without availability zones refuse a Standard_ZRS account); use LRS, or delete the key (the default is ` +
                `ZRS where offered, LRS elsewhere)`,
        );
    }

    const subs = Array.isArray(raw.subscriptions) ? raw.subscriptions.filter(isRecord) : [];
    const seenSub = new Map<string, number>();
    const seenSubId = new Map<string, number>();
    (Array.isArray(raw.subscriptions) ? raw.subscriptions : []).forEach((s, i) => {
        if (!isRecord(s)) return;
        const name = str(s.name);
        const id = str(s.subscriptionId)?.toLowerCase();
        if (name !== undefined && seenSub.has(name)) p.add(["subscriptions", i, "name"], `subscription name '${name}' appears twice`);
        if (id !== undefined && seenSubId.has(id))
            p.add(["subscriptions", i, "subscriptionId"], `subscription ${s.subscriptionId as string} appears twice`);
        if (name !== undefined) seenSub.set(name, i);
        if (id !== undefined) seenSubId.set(id, i);
    });
    const subNames = subs.map((s) => str(s.name)).filter((n): n is string => n !== undefined);

    const dns = isRecord(raw.privateDns) ? raw.privateDns : undefined;
    if (dns && (dns.zoneIds !== undefined) === (dns.virtualNetworkIds !== undefined)) {
        p.add(
            ["privateDns"],
            "must be an object with either zoneIds { workspace, fhir } (existing private DNS zones) or virtualNetworkIds (zones this " +
                "stack creates and links): give exactly one of the two",
        );
    }

    const firstIndex = new Map<string, number>();
    const privateAccounts: string[] = [];
    const registryOwner = new Map<string, string>();
    const shared = new Set((Array.isArray(raw.sharedRegistryIds) ? raw.sharedRegistryIds : []).map((r) => String(r).toLowerCase()));
    accounts.forEach((a, i) => {
        if (!isRecord(a)) return;
        const name = str(a.name);
        if (name !== undefined) {
            const prev = firstIndex.get(name);
            if (prev !== undefined) p.add(["accounts", i, "name"], `duplicate account: '${name}' is already defined at accounts[${prev}]`);
            else firstIndex.set(name, i);
        }
        if (a.publicNetworkAccess === "Disabled") {
            privateAccounts.push(String(a.name));
            if (a.privateEndpointSubnetId === undefined) {
                p.add(
                    ["accounts", i, "privateEndpointSubnetId"],
                    "is required when publicNetworkAccess is Disabled: AHDS is then reachable only through a private endpoint on its " +
                        "workspace",
                );
            }
        }
        const grants = Array.isArray(a.grants) ? a.grants.filter(isRecord) : [];
        const seen = new Set<string>();
        for (const g of grants) {
            const key = `${str(g.principalId)?.toLowerCase()}/${str(g.role)}`;
            if (str(g.principalId) && str(g.role) && seen.has(key))
                p.add(["accounts", i, "grants"], `${String(g.role)} is granted twice to principal ${String(g.principalId).toLowerCase()}`);
            seen.add(key);
        }
        (Array.isArray(a.grants) ? a.grants : []).forEach((g, j) => {
            if (!isRecord(g)) return;
            if (g.role === "FHIR Data Exporter" && a.export === false) {
                p.add(
                    ["accounts", i, "grants", j, "role"],
                    "grants FHIR Data Exporter, but export is off for this account ($export would fail): set export: true, or grant " +
                        "another role",
                );
            }
            if (g.role === "FHIR Data Importer" && a.import !== true) {
                p.add(
                    ["accounts", i, "grants", j, "role"],
                    "grants FHIR Data Importer, but import is off for this account ($import would fail): set import: true, or grant " +
                        "another role",
                );
            }
        });
        if (a.initialImportMode === true && a.import !== true) {
            p.add(["accounts", i, "initialImportMode"], "needs import: true (initial mode is a way of running $import)");
        }
        const acr = isRecord(a.acr) ? a.acr : undefined;
        const registries = (Array.isArray(acr?.registryIds) ? acr.registryIds : []).filter(
            (r): r is string => typeof r === "string" && ACR_REGISTRY_ID.test(r),
        );
        (Array.isArray(acr?.ociArtifacts) ? acr.ociArtifacts : []).forEach((o, j) => {
            const servers = registries.map(acrLoginServer);
            if (
                isRecord(o) &&
                typeof o.loginServer === "string" &&
                registries.length > 0 &&
                !servers.includes(o.loginServer.toLowerCase())
            ) {
                p.add(
                    ["accounts", i, "acr", "ociArtifacts", j, "loginServer"],
                    `'${o.loginServer}' is not the login server of a registry in acr.registryIds ` +
                        `(${servers.join(", ")})${suggest(o.loginServer, servers)}`,
                );
            }
        });
        for (const r of registries) {
            const key = r.toLowerCase();
            const owner = registryOwner.get(key);
            if (owner !== undefined && owner !== a.name && !shared.has(key)) {
                p.add(
                    ["accounts", i, "acr", "registryIds"],
                    `registry ${r.split("/").pop()} is already listed by account '${owner}': one account's templates registry is not ` +
                        `another's (its identity would get AcrPull there). Use a registry per account, or list it in sharedRegistryIds`,
                );
            } else registryOwner.set(key, String(a.name));
        }
        const cors = isRecord(a.cors) ? a.cors : undefined;
        if (cors?.allowCredentials === true && Array.isArray(cors.origins)) {
            cors.origins.forEach((o, j) => {
                if (o === "*")
                    p.add(["accounts", i, "cors", "origins", j], "'*' cannot be combined with allowCredentials (browsers reject it)");
            });
        }
        if (cors && Array.isArray(cors.origins)) {
            cors.origins.forEach((o, j) => {
                if (typeof o === "string" && o !== "*" && !/^https:\/\/[^/\s]+$/.test(o) && !/^http:\/\/localhost(:\d+)?$/.test(o)) {
                    p.add(
                        ["accounts", i, "cors", "origins", j],
                        `must be an https origin like https://app.example.com (no path), got ${describe(o)}`,
                    );
                }
            });
        }
        if (typeof a.subscription === "string" && subNames.length > 0 && !subNames.includes(a.subscription)) {
            p.add(
                ["accounts", i, "subscription"],
                `unknown subscription '${a.subscription}'${suggest(a.subscription, subNames)}; subscriptions are: ${subNames.join(", ")}`,
            );
        }
    });

    const placement = raw.placement ?? "dedicated";
    accounts.forEach((a, i) => {
        if (!isRecord(a) || a.workspace === undefined) return;
        if (placement === "dedicated") {
            p.add(["accounts", i, "workspace"], "only applies with placement: shared (dedicated gives every account its own workspace)");
        } else if (placement === "shared" && typeof a.workspace === "string" && firstIndex.has(a.workspace)) {
            // A group named after an account is that account's dedicated workspace (placement lock): never a pin.
            p.add(
                ["accounts", i, "workspace"],
                `'${a.workspace}' is an account name; a workspace group named after an account is that account's dedicated workspace, ` +
                    `pick another name`,
            );
        }
    });

    auditRetentionRules(raw, p);
    recoveryCopyRules(raw, p);

    if (privateAccounts.length > 0 && raw.privateDns === undefined) {
        p.add(
            ["privateDns"],
            `is required when an account is private (${privateAccounts.join(", ")}): without a private DNS zone group clients in the ` +
                `VNet cannot resolve the ` +
                "FHIR host. Give zoneIds { workspace, fhir } of existing zones, or virtualNetworkIds to link zones this stack creates",
        );
    }
}

/** What the stack sets of the audit tables' retention, and where (README, "Audit retention"). */
function auditRetentionRules(raw: RawConfig, p: Problems): void {
    const law = isRecord(raw.logAnalytics) ? raw.logAnalytics : undefined;
    if (!law) return;
    const existing = law.workspaceId !== undefined;
    if (law.manageTableRetention !== undefined && !existing) {
        p.add(
            ["logAnalytics", "manageTableRetention"],
            "applies only with workspaceId (an existing workspace): the stack always sets the audit tables' retention in the " +
                "workspace it creates; delete the key",
        );
    }
    if (existing && law.manageTableRetention !== true) {
        for (const key of ["retentionDays", "totalRetentionDays"] as const) {
            if (law[key] === undefined) continue;
            p.add(
                ["logAnalytics", key],
                "is not applied to an existing workspace: its retention is its owner's (the stack never changes the workspace's " +
                    "default retention). Set manageTableRetention: true to have this stack set the audit tables' retention there " +
                    "(they hold whatever else sends to the workspace too), or delete the key",
            );
        }
    }
    const interactive = typeof law.retentionDays === "number" ? law.retentionDays : LOG_ANALYTICS_RETENTION.interactive.default;
    if (typeof law.totalRetentionDays === "number" && law.totalRetentionDays < interactive) {
        p.add(
            ["logAnalytics", "totalRetentionDays"],
            `${law.totalRetentionDays} days is shorter than the analytics retention (retentionDays: ${interactive}), which it includes`,
        );
    }
}

/** A recovery copy is of $export output, in a second region, for accounts that opt in. */
function recoveryCopyRules(raw: RawConfig, p: Problems): void {
    const recovery = isRecord(raw.recoveryCopy) ? raw.recoveryCopy : undefined;
    if (recovery && typeof recovery.location === "string" && recovery.location === raw.location) {
        p.add(
            ["recoveryCopy", "location"],
            `'${recovery.location}' is the stack's own location: the recovery copy goes to a second region (a regional outage takes ` +
                "both otherwise)",
        );
    }
    (Array.isArray(raw.accounts) ? raw.accounts : []).forEach((a, i) => {
        if (!isRecord(a) || a.recoveryCopy !== true) return;
        if (a.export === false) p.add(["accounts", i, "recoveryCopy"], "needs export: true (the copy is made of $export output)");
        if (raw.recoveryCopy === undefined) {
            p.add(
                ["accounts", i, "recoveryCopy"],
                `needs the stack's ${CONFIG_NAMESPACE}:recoveryCopy: { location: <second region> } (where the copy of this account's ` +
                    "exported PHI may go: an opt-in per stack and per account)",
            );
        }
    });
}

/**
 * Validates everything and returns the config with defaults applied, or throws listing every problem.
 * `source` names where the values came from in the error (e.g. `Pulumi.dev.yaml`).
 */
export function validateConfig(rawInput: RawConfig, source?: string): PlatformConfig {
    const raw = withoutNulls(rawInput) as RawConfig;
    const p = new Problems(raw);
    // Removed keys are reported by their own rule; unknown ones here (the schema would call removed ones unknown too).
    const parsed = PlatformSchema.safeParse(Object.fromEntries(Object.entries(raw).filter(([k]) => !(k in REMOVED_KEYS))));
    for (const issue of parsed.success ? [] : parsed.error.issues) {
        if (issue.code === "unrecognized_keys") for (const key of issue.keys) p.add([...issue.path, key], unknownKey(issue.path, key));
        else p.add(issue.path, issue.message);
    }
    crossFieldRules(raw, p);
    // The CMK rule (vault + key name <= 94) holds by construction of the names; check it anyway so a change to the
    // naming module that breaks it fails here, loudly, not in Azure.
    if (maxKeyVaultNameLength() + CMK_KEY_NAME.length > CMK_MAX_VAULT_PLUS_KEY_NAME)
        p.add(["accounts"], `derived key vault name + key name would exceed ${CMK_MAX_VAULT_PLUS_KEY_NAME} characters`);
    // One problem per field and message, in the order of the stack file.
    const unique = p.list.filter((x, i) => p.list.findIndex((y) => y.path === x.path && y.message === x.message) === i);
    if (unique.length > 0 || !parsed.success)
        throw new ConfigValidationError(unique, source ? `${source}: ${CONFIG_NAMESPACE} config` : undefined);
    return parsed.data;
}

/**
 * What a valid config still asks a reviewer to notice (shown by `pulumi preview` and the offline plan): settings that
 * change how the service behaves for its users.
 */
export function configWarnings(cfg: PlatformConfig): ConfigProblem[] {
    const out: ConfigProblem[] = [];
    cfg.accounts.forEach((a, i) => {
        if (a.initialImportMode) {
            out.push({
                path: `accounts[${i}].initialImportMode`,
                account: a.name,
                message:
                    'initial import mode blocks API writes to the FHIR service while it is on (Microsoft Learn, "Import FHIR data"); ' +
                    "turn it off once the initial load is done",
            });
        }
        const noHistory = [
            ...(a.resourceVersionPolicy === "no-version" ? ["every resource type"] : []),
            ...Object.entries(a.resourceVersionOverrides)
                .filter(([, v]) => v === "no-version")
                .map(([t]) => t),
        ];
        if (noHistory.length > 0) {
            out.push({
                path: `accounts[${i}].resourceVersionPolicy`,
                account: a.name,
                message: `no-version keeps no history for ${noHistory.join(", ")}: past versions cannot be read for an audit`,
            });
        }
    });
    return out;
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
 * the stack file as JSON text). A value that is not JSON is a plain string.
 */
export function readRawConfig(source: ConfigSource): RawConfig {
    const raw: RawConfig = {};
    for (const key of new Set([...PLATFORM_KEYS, ...Object.keys(REMOVED_KEYS), ...(source.keys?.() ?? [])])) {
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
export function loadConfig(source: ConfigSource, sourceName?: string): PlatformConfig {
    return validateConfig(readRawConfig(source), sourceName);
}
