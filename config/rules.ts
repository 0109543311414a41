/**
 * Rules that relate fields, as refinements on the parsed config: config/schema.ts attaches each to the smallest object
 * that holds its fields. zod skips a refinement once anything below it failed; these run whatever else is wrong, so one
 * run reports every problem. A rule sees the parsed value (defaults applied, IDs lower-cased) in which every value with
 * a problem of its own is null (set, but reported already) and an absent one undefined: it never re-checks a field.
 */
import { z } from "zod";
import { FHIR_REGIONS, FHIR_RETIRED_REGIONS, LOG_ANALYTICS_RETENTION, ZRS_REGIONS, acrLoginServer } from "../azure/facts";
import { CONFIG_NAMESPACE, type ConfigProblem, suggest } from "./problems";
import type {
    AccountConfig,
    AcrConfig,
    CorsConfig,
    GrantConfig,
    LogAnalyticsConfig,
    PlatformConfig,
    PrivateDnsConfig,
    SubscriptionConfig,
} from "./schema";

/** A parsed value as a rule sees it: every part optional, and null where the stack file sets something invalid. */
export type Lenient<T> = T extends readonly (infer E)[]
    ? (Lenient<E> | null)[]
    : T extends object
      ? { [K in keyof T]?: Lenient<T[K]> | null }
      : T;

type Add = (path: readonly (string | number)[], message: string) => void;

/** The value with every part that has a problem of its own set to null: a leaf with any issue, a list or object that is not one. */
function lenient(value: unknown, issues: readonly z.core.$ZodRawIssue[]): unknown {
    const codes = new Map<string, string[]>();
    for (const i of issues) {
        if (i.code === "unrecognized_keys") continue; // the known keys beside an unknown one parsed
        const key = JSON.stringify(i.path ?? []);
        codes.set(key, [...(codes.get(key) ?? []), i.code]);
    }
    if (codes.size === 0) return value;
    const view = (v: unknown, path: (string | number)[]): unknown => {
        const here = codes.get(JSON.stringify(path));
        const container = typeof v === "object" && v !== null;
        if (here && (!container || here.includes("invalid_type"))) return null;
        if (Array.isArray(v)) return v.map((x, i) => view(x, [...path, i]));
        if (container) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, view(x, [...path, k])]));
        return v;
    };
    return view(value, []);
}

/** A refinement that runs even when fields below it have problems (not when its value is of the wrong type). */
export function rule<T>(check: (value: Lenient<T>, add: Add) => void): z.core.$ZodCheck<T> {
    return z.superRefine<T>(
        (value, ctx) =>
            check(lenient(value, ctx.issues) as Lenient<T>, (path, message) => ctx.addIssue({ code: "custom", path: [...path], message })),
        { when: (payload) => !payload.issues.some((i) => (i.path ?? []).length === 0 && i.code === "invalid_type") },
    );
}

export function corsRules(cors: Lenient<CorsConfig>, add: Add): void {
    if (cors.allowCredentials !== true) return;
    cors.origins?.forEach((o, j) => {
        if (o === "*") add(["origins", j], "'*' cannot be combined with allowCredentials (browsers reject it)");
    });
}

export function acrRules(acr: Lenient<AcrConfig>, add: Add): void {
    const servers = (acr.registryIds ?? []).flatMap((r) => (r ? [acrLoginServer(r)] : []));
    if (servers.length === 0) return;
    acr.ociArtifacts?.forEach((o, j) => {
        if (o?.loginServer == null || servers.includes(o.loginServer.toLowerCase())) return;
        add(
            ["ociArtifacts", j, "loginServer"],
            `'${o.loginServer}' is not the login server of a registry in acr.registryIds (${servers.join(", ")})${suggest(o.loginServer, servers)}`,
        );
    });
}

export function grantListRules(grants: Lenient<GrantConfig[]>, add: Add): void {
    const seen = new Set<string>();
    for (const g of grants) {
        if (g?.principalId == null || g.role == null) continue;
        const key = `${g.principalId}/${g.role}`;
        if (seen.has(key)) add([], `${g.role} is granted twice to principal ${g.principalId}`);
        seen.add(key);
    }
}

export function accountRules(a: Lenient<AccountConfig>, add: Add): void {
    if (a.publicNetworkAccess === "Disabled" && a.privateEndpointSubnetId === undefined) {
        add(
            ["privateEndpointSubnetId"],
            "is required when publicNetworkAccess is Disabled: AHDS is then reachable only through a private endpoint on its workspace",
        );
    }
    a.grants?.forEach((g, j) => {
        const flag = g?.role === "FHIR Data Exporter" ? "export" : g?.role === "FHIR Data Importer" ? "import" : undefined;
        if (flag && (flag === "export" ? a.export === false : a.import !== true)) {
            add(
                ["grants", j, "role"],
                `grants ${g?.role}, but ${flag} is off for this account ($${flag} would fail): set ${flag}: true, or grant another role`,
            );
        }
    });
    if (a.initialImportMode === true && a.import !== true) {
        add(["initialImportMode"], "needs import: true (initial mode is a way of running $import)");
    }
}

export function accountListRules(accounts: Lenient<AccountConfig[]>, add: Add): void {
    const first = new Map<string, number>();
    accounts.forEach((a, i) => {
        if (a?.name == null) return;
        const prev = first.get(a.name);
        if (prev !== undefined) add([i, "name"], `duplicate account: '${a.name}' is already defined at accounts[${prev}]`);
        else first.set(a.name, i);
    });
}

export function subscriptionListRules(subscriptions: Lenient<SubscriptionConfig[]>, add: Add): void {
    const seen = { name: new Set<string>(), subscriptionId: new Set<string>() };
    subscriptions.forEach((s, i) => {
        for (const field of ["name", "subscriptionId"] as const) {
            const v = s?.[field];
            if (v == null) continue;
            if (seen[field].has(v))
                add([i, field], field === "name" ? `subscription name '${v}' appears twice` : `subscription ${v} appears twice`);
            seen[field].add(v);
        }
    });
}

export function privateDnsRules(dns: Lenient<PrivateDnsConfig>, add: Add): void {
    if ((dns.zoneIds !== undefined) === (dns.virtualNetworkIds !== undefined)) {
        add(
            [],
            "must be an object with either zoneIds { workspace, fhir } (existing private DNS zones) or virtualNetworkIds (zones this " +
                "stack creates and links): give exactly one of the two",
        );
    }
}

/** What the stack sets of the audit tables' retention, and where (README, "Audit retention"). Runs before defaults apply. */
export function logAnalyticsRules(law: Lenient<LogAnalyticsConfig>, add: Add): void {
    const existing = law.workspaceId !== undefined;
    if (law.manageTableRetention !== undefined && !existing) {
        add(
            ["manageTableRetention"],
            "applies only with workspaceId (an existing workspace): the stack always sets the audit tables' retention in the " +
                "workspace it creates; delete the key",
        );
    }
    for (const key of ["retentionDays", "totalRetentionDays"] as const) {
        if (!existing || law.manageTableRetention === true || law[key] === undefined) continue;
        add(
            [key],
            "is not applied to an existing workspace: its retention is its owner's (the stack never changes the workspace's " +
                "default retention). Set manageTableRetention: true to have this stack set the audit tables' retention there " +
                "(they hold whatever else sends to the workspace too), or delete the key",
        );
    }
    const interactive = law.retentionDays === undefined ? LOG_ANALYTICS_RETENTION.interactive.default : law.retentionDays;
    if (interactive != null && law.totalRetentionDays != null && law.totalRetentionDays < interactive) {
        add(
            ["totalRetentionDays"],
            `${law.totalRetentionDays} days is shorter than the analytics retention (retentionDays: ${interactive}), which it includes`,
        );
    }
}

/** Rules between stack-wide keys and the accounts. */
export function platformRules(cfg: Lenient<PlatformConfig>, add: Add): void {
    locationRules(cfg, add);
    const accounts = cfg.accounts ?? [];
    const subscriptionNames = (cfg.subscriptions ?? []).flatMap((s) => (s?.name == null ? [] : [s.name]));
    const accountNames = new Set(accounts.map((a) => a?.name));
    const shared = new Set((cfg.sharedRegistryIds ?? []).map((r) => r?.toLowerCase()));
    const registryOwner = new Map<string, string>();
    const privateAccounts: string[] = [];
    accounts.forEach((a, i) => {
        if (!a) return;
        const name = a.name ?? `#${i}`;
        if (a.subscription != null && subscriptionNames.length > 0 && !subscriptionNames.includes(a.subscription)) {
            add(
                ["accounts", i, "subscription"],
                `unknown subscription '${a.subscription}'${suggest(a.subscription, subscriptionNames)}; subscriptions are: ` +
                    subscriptionNames.join(", "),
            );
        }
        if (a.workspace !== undefined && cfg.placement === "dedicated") {
            add(["accounts", i, "workspace"], "only applies with placement: shared (dedicated gives every account its own workspace)");
        } else if (a.workspace != null && cfg.placement === "shared" && accountNames.has(a.workspace)) {
            // A group named after an account is that account's dedicated workspace (placement lock): never a pin.
            add(
                ["accounts", i, "workspace"],
                `'${a.workspace}' is an account name; a workspace group named after an account is that account's dedicated workspace, ` +
                    "pick another name",
            );
        }
        for (const r of a.acr?.registryIds ?? []) {
            if (r == null) continue;
            const owner = registryOwner.get(r.toLowerCase());
            if (owner !== undefined && owner !== name && !shared.has(r.toLowerCase())) {
                add(
                    ["accounts", i, "acr", "registryIds"],
                    `registry ${r.split("/").pop()} is already listed by account '${owner}': one account's templates registry is not ` +
                        "another's (its identity would get AcrPull there). Use a registry per account, or list it in sharedRegistryIds",
                );
            } else registryOwner.set(r.toLowerCase(), name);
        }
        if (a.publicNetworkAccess === "Disabled") privateAccounts.push(name);
    });
    if (privateAccounts.length > 0 && cfg.privateDns === undefined) {
        add(
            ["privateDns"],
            `is required when an account is private (${privateAccounts.join(", ")}): without a private DNS zone group clients in the ` +
                "VNet cannot resolve the FHIR host. Give zoneIds { workspace, fhir } of existing zones, or virtualNetworkIds to link " +
                "zones this stack creates",
        );
    }
    recoveryCopyRules(cfg, add);
}

function locationRules(cfg: Lenient<PlatformConfig>, add: Add): void {
    const location = cfg.location;
    if (location == null) return;
    if (Object.hasOwn(FHIR_RETIRED_REGIONS, location)) {
        // Not even allowUnlistedLocation: the region is known to have lost the service.
        add(["location"], `'${location}': ${FHIR_RETIRED_REGIONS[location]}; pick another region (${FHIR_REGIONS.join(", ")})`);
    } else if (cfg.allowUnlistedLocation !== true && !(FHIR_REGIONS as readonly string[]).includes(location)) {
        add(
            ["location"],
            `'${location}' is not a region where Microsoft offers the AHDS FHIR service${suggest(location, FHIR_REGIONS)}; regions ` +
                `(Microsoft Learn, "Regional availability of services and features"): ${FHIR_REGIONS.join(", ")}. If Microsoft ` +
                `added it since, set ${CONFIG_NAMESPACE}:allowUnlistedLocation: true`,
        );
    }
    if (cfg.exportStorageRedundancy === "ZRS" && !(ZRS_REGIONS as readonly string[]).includes(location)) {
        add(
            ["exportStorageRedundancy"],
            `ZRS is not offered in '${location}' (Microsoft Learn, "Azure regions that support zone-redundant storage (ZRS)": ` +
                "regions without availability zones refuse a Standard_ZRS account); use LRS, or delete the key (the default is " +
                "ZRS where offered, LRS elsewhere)",
        );
    }
}

/** A recovery copy is of $export output, in a second region, for accounts that opt in (docs/recovery.md). */
function recoveryCopyRules(cfg: Lenient<PlatformConfig>, add: Add): void {
    const second = cfg.recoveryCopy?.location;
    if (second != null && second === cfg.location) {
        add(
            ["recoveryCopy", "location"],
            `'${second}' is the stack's own location: the recovery copy goes to a second region (a regional outage takes both otherwise)`,
        );
    }
    cfg.accounts?.forEach((a, i) => {
        if (a?.recoveryCopy !== true) return;
        if (a.export === false) add(["accounts", i, "recoveryCopy"], "needs export: true (the copy is made of $export output)");
        if (cfg.recoveryCopy === undefined) {
            add(
                ["accounts", i, "recoveryCopy"],
                `needs the stack's ${CONFIG_NAMESPACE}:recoveryCopy: { location: <second region> } (where the copy of this account's ` +
                    "exported PHI may go: an opt-in per stack and per account)",
            );
        }
    });
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
