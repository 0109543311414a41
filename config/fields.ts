/**
 * The kinds of value the config schema (config/schema.ts) is made of, each with its messages: a wrong type names what
 * was expected and what the stack file holds (a missing value is "is required", never "got undefined"), a near miss
 * gets "did you mean", and a value Azure refuses says why, with the source.
 */
import { z } from "zod";
import {
    ACR_REGISTRY_ID,
    AHDS_PRIVATE_DNS_ZONES,
    type AhdsPrivateDnsZone,
    CMK_KEY_SIZES,
    CMK_MAX_VAULT_PLUS_KEY_NAME,
    FHIR_VERSION_POLICIES,
    GUID_PATTERN,
    LOG_ANALYTICS_RETENTION,
    isTotalRetentionAccepted,
} from "../azure/facts";
import {
    ACCOUNT_NAME_PATTERN,
    AUTO_WORKSPACE_GROUP_PATTERN,
    RESERVED_ACCOUNT_NAMES,
    checkName,
    maxKeyVaultNameLength,
} from "../azure/naming";
import { CONFIG_NAMESPACE, describe, suggest } from "./problems";

/** The message for a value of the wrong type, or for a required value that is missing (never "got undefined"). */
export const typed =
    (kind: string, required = "") =>
    (iss: { input?: unknown }) =>
        iss.input === undefined ? `is required${required ? `: ${required}` : ""}` : `must be ${kind}, got ${describe(iss.input)}`;

export const bool = () => z.boolean({ error: typed("a boolean (true or false)") });
export const text = (required?: string) => z.string({ error: typed("a string", required) });
/** A string matching `pattern`; otherwise "must be <what>, got ...". */
export const matching = (pattern: RegExp, what: string, required?: string) =>
    text(required).regex(pattern, { error: (iss) => `must be ${what}, got ${describe(iss.input)}` });
/** A whole number in [min, max], with one message for every way to miss it. */
export const wholeNumber = (min: number, max: number) =>
    z
        .number({ error: typed(`a whole number from ${min} to ${max}`) })
        .refine((v) => Number.isInteger(v) && v >= min && v <= max, {
            error: (iss) => `must be a whole number from ${min} to ${max}, got ${describe(iss.input)}`,
        })
        .meta({ typeText: `int ${min}-${max}` });
/** One of `values`, with a suggestion for a near miss. */
export const oneOf = <const T extends readonly [string, ...string[]]>(values: T, what = `one of ${values.join(", ")}`) =>
    z.enum(values, {
        error: (iss) =>
            iss.input === undefined
                ? "is required"
                : `must be ${what}, got ${describe(iss.input)}${typeof iss.input === "string" ? suggest(iss.input, values) : ""}`,
    });
export const guid = (what: string) =>
    matching(GUID_PATTERN, `${what} (a GUID)`, what)
        .transform((v) => v.toLowerCase())
        .meta({ typeText: "GUID" });
export const stringList = (required?: string) => z.array(text(), { error: typed("a list of strings", required) });
/** At most `max` items, checked after the items (zod's own `.max` on a list stops before them, hiding their problems). */
export const atMost = <S extends z.ZodArray>(list: S, max: number, error: string | ((n: number) => string)) =>
    list.refine((l) => l.length <= max, { error: (iss) => (typeof error === "string" ? error : error((iss.input as unknown[]).length)) });

/** Azure tag limits. Source: "Use tags to organize your Azure resources": name 512, value 256, no <>%&\?/ in names. */
const TAG_NAME_FORBIDDEN = /[<>%&\\?/]/;
export const tags = () =>
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

export const SUBNET_ID =
    /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Network\/virtualNetworks\/[^/]+\/subnets\/[^/]+$/i;
export const VNET_ID = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Network\/virtualNetworks\/[^/]+$/i;
const PRIVATE_DNS_ZONE_ID = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Network\/privateDnsZones\/([^/]+)$/i;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
export const CORS_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"] as const;
export const NAME_WITH_HYPHENS = /^[a-z][a-z0-9-]{0,23}$/;

/** Object ID of a user, group or service principal in the stack's tenant (for an app: its service principal's). */
export const principalId = text("the object ID (a GUID) of a user, group or service principal").superRefine((v, ctx) => {
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

export const accountName = text("3 to 12 lowercase letters and digits, starting with a letter").superRefine((name, ctx) => {
    const problem = !ACCOUNT_NAME_PATTERN.test(name)
        ? `'${name}' is not a valid account name: use 3 to 12 lowercase letters and digits, starting with a letter (it becomes part ` +
          `of globally unique Azure names that allow nothing else)` +
          (name.toLowerCase() !== name && ACCOUNT_NAME_PATTERN.test(name.toLowerCase()) ? `; use '${name.toLowerCase()}'` : "")
        : // An account named like a pool could be packed into that pool and then look dedicated in the lock.
          AUTO_WORKSPACE_GROUP_PATTERN.test(name)
          ? `'${name}' is reserved for automatically created shared workspaces (pool01, pool02, ...); pick another account name`
          : Object.hasOwn(RESERVED_ACCOUNT_NAMES, name)
            ? `'${name}' is reserved: ${RESERVED_ACCOUNT_NAMES[name]}; pick another account name`
            : undefined;
    if (problem) ctx.addIssue({ code: "custom", message: problem });
});

const maxKeyName = CMK_MAX_VAULT_PLUS_KEY_NAME - maxKeyVaultNameLength();
export const keyName = text().superRefine((v, ctx) => {
    const problem = checkName("keyVaultKey", v);
    const message = problem
        ? `${problem} (1-127 letters, digits and hyphens)`
        : v.length > maxKeyName
          ? `must be at most ${maxKeyName} characters: the FHIR service accepts a vault name + key name of at most ${CMK_MAX_VAULT_PLUS_KEY_NAME}`
          : undefined;
    if (message) ctx.addIssue({ code: "custom", message });
});

export const registryId = () =>
    matching(
        ACR_REGISTRY_ID,
        "a container registry resource ID (/subscriptions/…/providers/Microsoft.ContainerRegistry/registries/<name>)",
        "a container registry resource ID",
    );

export const httpsUrl = (what: string) =>
    text(what).refine((v) => /^https:\/\/[^\s/]+(\/[^\s]*)?$/.test(v), {
        error: (iss) => `must be an https URL (${what}), got ${describe(iss.input)}`,
    });

/** A browser origin: https without a path, `*`, or http://localhost for development. */
export const origin = text().refine((o) => o === "*" || /^https:\/\/[^/\s]+$/.test(o) || /^http:\/\/localhost(:\d+)?$/.test(o), {
    error: (iss) => `must be an https origin like https://app.example.com (no path), got ${describe(iss.input)}`,
});

export const zoneId = (zone: AhdsPrivateDnsZone) =>
    text(`the resource ID of the private DNS zone ${AHDS_PRIVATE_DNS_ZONES[zone]}`).superRefine((id, ctx) => {
        const m = PRIVATE_DNS_ZONE_ID.exec(id);
        const message = !m
            ? `must be the resource ID of the private DNS zone ${AHDS_PRIVATE_DNS_ZONES[zone]} ` +
              `(/subscriptions/…/providers/Microsoft.Network/privateDnsZones/${AHDS_PRIVATE_DNS_ZONES[zone]}), got ${describe(id)}`
            : m[1].toLowerCase() !== AHDS_PRIVATE_DNS_ZONES[zone]
              ? `points at zone '${m[1]}', but the AHDS ${zone} endpoint resolves in ${AHDS_PRIVATE_DNS_ZONES[zone]} ` +
                `(Microsoft Learn, "Azure Private Endpoint private DNS zone values")`
              : undefined;
        if (message) ctx.addIssue({ code: "custom", message });
    });

/**
 * Total retention of a Log Analytics table: 4 to 730 days, or whole years up to 12 (azure/facts.ts), with the nearest
 * accepted value for a miss in range.
 */
export const totalRetentionDays = () =>
    z.number({ error: typed("a number of days") }).superRefine((days, ctx) => {
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
    });

/** Per FHIR resource type (Patient, Observation, ...), a versioning policy. */
export const versionPolicyMap = () =>
    z
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
        });

/** The RSA key sizes Azure accepts for a FHIR customer-managed key. */
export const keySize = () =>
    z.literal(CMK_KEY_SIZES, {
        error: (iss) =>
            typeof iss.input === "number"
                ? `${iss.input} is not a key size Azure accepts for a FHIR customer-managed key; use ${CMK_KEY_SIZES.join(" or ")}`
                : `must be a number (${CMK_KEY_SIZES.join(" or ")}), got ${describe(iss.input)}`,
    });
