import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { Provider } from "@pulumi/azure-native/provider";
import * as resources from "@pulumi/azure-native/resources";
import * as operationalinsights from "@pulumi/azure-native/operationalinsights";
import * as privatedns from "@pulumi/azure-native/privatedns";
import * as monitor from "@pulumi/azure-native/monitor";
import {
    AHDS_PRIVATE_DNS_ZONES,
    type AhdsPrivateDnsZone,
    LOG_ANALYTICS_WORKSPACE_ID,
    defaultExportStorageRedundancy,
    logAnalyticsWorkspaceParts,
} from "../azure/facts";
import { PLATFORM_DEFAULTS } from "../azure/defaults";
import { PLATFORM_TAG, STACK_TAG, SUFFIX_LENGTH, WORKSPACE_GROUP_PATTERN, names } from "../azure/naming";
import { AuditLogRetention } from "./auditLogRetention";
import { activityLogInputs } from "./diagnostics";
import { type AccountSettings, FhirAccount, fhirAccountProblems } from "./fhirAccount";
import { FhirWorkspace } from "./fhirWorkspace";
import { componentOptions, protects, replaceableChild, statefulChild } from "./scope";
import type { PrivateDnsZoneIds, StorageRedundancy } from "./types";
import { type Problem, refuse } from "./validate";

/** A subscription the platform deploys into. */
export interface PlatformSubscription {
    /** Short, stable name (1 to 24 lowercase letters, digits and hyphens): accounts name their subscription by it. */
    name: string;
    /** The subscription's ID. */
    subscriptionId: string;
    /**
     * Whether this stack sends the subscription's Activity Log to its Log Analytics workspace (one such setting per
     * subscription across every stack): false when another stack or an existing setup does it. Default: true.
     */
    activityLog?: boolean;
}

/** One account of the platform: its settings and where it is placed. */
export interface PlatformAccount extends AccountSettings {
    /** The account (3 to 12 lowercase letters and digits, starting with a letter): every name of the account derives from it. */
    name: string;
    /** The subscription (by its name in `subscriptions`) the account is deployed into. Default: the first. */
    subscription?: string;
    /** The shared workspace (group name) the account's FHIR service joins; absent: a dedicated workspace. */
    workspaceGroup?: string;
    /** Copy the account's `$export` output to the platform's recoveryCopyLocation. Default: false. */
    recoveryCopy?: boolean;
}

/** Where the audit logs go. */
export interface LogAnalyticsSettings {
    /** An existing Log Analytics workspace's resource ID; absent: the platform creates one. */
    workspaceId?: string;
    /** Analytics (interactive) retention of the created workspace and of the audit tables, in days. Default: 90. */
    retentionDays?: number;
    /** Total retention of the audit tables, in days (4 to 730, or whole years up to 12). Default: 2191 (six years). */
    totalRetentionDays?: number;
    /** With an existing workspace: set the audit tables' retention there. Default: false (the workspace's owner does). */
    manageTableRetention?: boolean;
}

/** DNS for the workspaces' private endpoints: existing zones, or zones the platform creates and links to one VNet. */
export interface PrivateDnsSettings {
    /** Existing private DNS zones (hub and spoke: the connectivity team owns them and their VNet links). */
    zoneIds?: PrivateDnsZoneIds;
    /** The VNet (one) whose clients resolve the FHIR services privately: the platform creates the zones and links them. */
    virtualNetworkIds?: string[];
}

export interface FhirPlatformArgs {
    /** The stack: part of resource group names, the stack tag and role assignment names. Default: the Pulumi stack. */
    stack?: string;
    /** The Entra tenant. */
    tenantId: string;
    /** The Azure region (one with the FHIR service). */
    location: string;
    /** The subscriptions the platform deploys into; the first holds the platform's own resources. */
    subscriptions: PlatformSubscription[];
    /** The accounts, each with its settings and placement. */
    accounts: PlatformAccount[];
    /** Where the audit logs go. Default: a Log Analytics workspace the platform creates, 90 days analytics, six years in total. */
    logAnalytics?: LogAnalyticsSettings;
    /** DNS for private endpoints; required when an account has one. */
    privateDns?: PrivateDnsSettings;
    /** Redundancy of every export storage account. Default: ZRS where the region offers it, else LRS. */
    exportStorageRedundancy?: StorageRedundancy;
    /** Days export storage keeps a blob, unless the account says otherwise. Default: 30. */
    exportRetentionDays?: number;
    /** The second region where accounts with recoveryCopy get a copy of their `$export` output; absent: nowhere. */
    recoveryCopyLocation?: string;
    /** Seconds to wait after each identity's key grant before the key is used. Default: 600. */
    rbacPropagationSeconds?: number;
    /** Container registries several accounts may list for `$convert-data`. */
    sharedRegistryIds?: string[];
    /** Tags of every resource (the platform's scope and stack tags are added). */
    tags?: { [key: string]: string };
}

/** What the platform tells about one of its accounts. */
export interface PlatformAccountOutputs {
    /** The FHIR service's URL (also the token audience). */
    fhirUrl: string;
    /** ARM ID of the FHIR service. */
    fhirServiceId: string;
    /** The account's resource group. */
    resourceGroupName: string;
    /** The AHDS workspace of the FHIR service. */
    workspaceName: string;
    /** Client ID of the account's identity. */
    identityClientId: string;
    /** Principal ID of the account's identity. */
    identityPrincipalId: string;
    /** Versioned URI of the key the FHIR service uses. */
    keyUri: string;
    /** URI of the account's key vault. */
    keyVaultUri: string;
    /** The export storage account (absent without export or import). */
    exportStorageAccount?: string;
}

/** The child resources of a FhirPlatform, for TypeScript code that composes it. */
export interface FhirPlatformChildren {
    /** One azure-native provider per subscription used, by subscription name. */
    providers: Map<string, Provider>;
    /** Retention of the audit tables: in the created workspace, or in an existing one with manageTableRetention. */
    auditRetention?: AuditLogRetention;
    /** Per subscription (by name) the stack sends the Activity Log of. */
    activityLogs: Map<string, monitor.SubscriptionDiagnosticSetting>;
    /** Created private DNS zones and their VNet links. */
    privateDnsZones: Map<AhdsPrivateDnsZone, privatedns.PrivateZone>;
    virtualNetworkLinks: privatedns.VirtualNetworkLink[];
    sharedWorkspaces: Map<string, FhirWorkspace>;
    /** By account name. */
    accounts: Map<string, FhirAccount>;
}
const childrenOf = new WeakMap<FhirPlatform, FhirPlatformChildren>();

/** Everything FhirPlatform would refuse, each with its field, before anything is registered. */
export function fhirPlatformProblems(args: FhirPlatformArgs): Problem[] {
    const out: Problem[] = [];
    if (args.subscriptions.length === 0) out.push(["subscriptions", "must list at least one subscription"]);
    const subs = new Set<string>();
    args.subscriptions.forEach((s, i) => {
        if (subs.has(s.name)) out.push([`subscriptions[${i}].name`, `'${s.name}' is listed twice`]);
        subs.add(s.name);
    });
    if (args.logAnalytics?.workspaceId !== undefined && !LOG_ANALYTICS_WORKSPACE_ID.test(args.logAnalytics.workspaceId))
        out.push(["logAnalytics.workspaceId", `must be a Log Analytics workspace resource ID, got '${args.logAnalytics.workspaceId}'`]);
    const accounts = new Set<string>();
    args.accounts.forEach((a, i) => {
        const at = `accounts[${i}]`;
        if (accounts.has(a.name)) out.push([`${at}.name`, `account '${a.name}' is listed twice`]);
        accounts.add(a.name);
        if (a.subscription !== undefined && !subs.has(a.subscription))
            out.push([`${at}.subscription`, `'${a.subscription}' is not in subscriptions (${[...subs].join(", ")})`]);
        if (a.workspaceGroup !== undefined && !WORKSPACE_GROUP_PATTERN.test(a.workspaceGroup))
            out.push([
                `${at}.workspaceGroup`,
                `'${a.workspaceGroup}' is not a valid workspace group: 3 to 12 lowercase letters and digits`,
            ]);
        if (a.privateEndpointSubnetId && !args.privateDns?.zoneIds && !args.privateDns?.virtualNetworkIds)
            out.push([
                `${at}.privateEndpointSubnetId`,
                "a private endpoint needs privateDns: existing zones (zoneIds), or a VNet to link created ones to (virtualNetworkIds)",
            ]);
        if (a.recoveryCopy && !args.recoveryCopyLocation) out.push([`${at}.recoveryCopy`, "needs the platform's recoveryCopyLocation"]);
        // The private endpoint and its zones are checked above (the platform provides the zones).
        const { privateEndpointSubnetId: _endpoint, ...settings } = a;
        const problems = fhirAccountProblems(a.name, {
            ...settings,
            location: args.location,
            ...(args.exportStorageRedundancy ? { exportStorageRedundancy: args.exportStorageRedundancy } : {}),
            ...(args.rbacPropagationSeconds !== undefined ? { rbacPropagationSeconds: args.rbacPropagationSeconds } : {}),
        });
        out.push(...problems.map(([field, message]): Problem => [`${at}.${field}`, `account '${a.name}': ${message}`]));
    });
    return out;
}

/**
 * The stack-wide root: one azure-native provider per subscription (so every resource's subscription is explicit),
 * Log Analytics for audit logs (and the retention of the tables they land in), each subscription's Activity Log sent
 * there, the private DNS zones of the workspaces' private endpoints (unless existing zones are given), shared
 * workspaces, and one FhirAccount per account, keyed by account name. The `protect` option protects every stateful
 * resource of the platform and of its accounts.
 */
export class FhirPlatform extends pulumi.ComponentResource {
    /** The Log Analytics workspace every audit log goes to. */
    readonly logAnalyticsWorkspaceId: pulumi.Output<string>;
    /** Per account (by name): its FHIR endpoint, identity, key and storage. */
    readonly accounts: pulumi.Output<{ [account: string]: PlatformAccountOutputs }>;

    constructor(name: string, args: FhirPlatformArgs, opts?: pulumi.ComponentResourceOptions) {
        super("fhir-platform:index:FhirPlatform", name, {}, componentOptions(opts));
        refuse(`FhirPlatform ${name}`, fhirPlatformProblems(args), this);
        const stack = args.stack ?? pulumi.getStack();
        const protect = protects(opts);
        const logAnalytics = args.logAnalytics ?? {};
        const retentionDays = logAnalytics.retentionDays ?? PLATFORM_DEFAULTS.logAnalyticsRetentionDays;
        const totalRetentionDays = logAnalytics.totalRetentionDays ?? PLATFORM_DEFAULTS.logAnalyticsTotalRetentionDays;
        const subs = new Map(args.subscriptions.map((s) => [s.name, s]));
        const home = args.subscriptions[0];
        const subscriptionOf = (a: PlatformAccount) => a.subscription ?? home.name;
        const platformTags = (scope: string) => ({ ...args.tags, [PLATFORM_TAG]: scope, [STACK_TAG]: stack });
        const children: FhirPlatformChildren = {
            providers: new Map(),
            activityLogs: new Map(),
            privateDnsZones: new Map(),
            virtualNetworkLinks: [],
            sharedWorkspaces: new Map(),
            accounts: new Map(),
        };
        childrenOf.set(this, children);

        const used = new Set([home.name, ...args.accounts.map(subscriptionOf)]);
        for (const s of args.subscriptions.filter((s) => used.has(s.name))) {
            children.providers.set(
                s.name,
                new Provider(`azure-${s.name}`, { subscriptionId: s.subscriptionId, location: args.location }, replaceableChild(this)),
            );
        }
        const inSub = (s: string): pulumi.ComponentResourceOptions => ({ parent: this, providers: [children.providers.get(s)!], protect });
        const homeProvider = children.providers.get(home.name);
        const stateful = { ...statefulChild(this, opts), provider: homeProvider };

        const createZones = args.privateDns?.virtualNetworkIds !== undefined && args.accounts.length > 0;
        const rg =
            !logAnalytics.workspaceId || createZones
                ? new resources.ResourceGroup(
                      "platform-rg",
                      { resourceGroupName: names.platformResourceGroup(stack), location: args.location, tags: platformTags("platform") },
                      stateful,
                  )
                : undefined;
        if (logAnalytics.workspaceId) {
            this.logAnalyticsWorkspaceId = pulumi.output(logAnalytics.workspaceId);
        } else {
            const law = new operationalinsights.Workspace(
                "platform-log-analytics",
                {
                    workspaceName: names.logAnalytics(stack),
                    resourceGroupName: rg!.name,
                    location: args.location,
                    sku: { name: "PerGB2018" },
                    retentionInDays: retentionDays,
                    tags: platformTags("platform"),
                },
                // Audit logs are evidence: losing the workspace loses them.
                stateful,
            );
            this.logAnalyticsWorkspaceId = law.id;
            children.auditRetention = new AuditLogRetention(
                "platform-audit-retention",
                { workspaceName: law.name, resourceGroupName: rg!.name, retentionDays, totalRetentionDays },
                { parent: this, providers: [homeProvider!], protect },
            );
        }
        if (logAnalytics.workspaceId && logAnalytics.manageTableRetention) {
            // An existing workspace: only its audit tables' retention, through a provider for its own subscription.
            const w = logAnalyticsWorkspaceParts(logAnalytics.workspaceId);
            const sub = args.subscriptions.find((x) => x.subscriptionId === w.subscriptionId && children.providers.has(x.name));
            const provider = sub
                ? children.providers.get(sub.name)!
                : new Provider(
                      "azure-log-analytics",
                      { subscriptionId: w.subscriptionId, location: args.location },
                      replaceableChild(this),
                  );
            children.auditRetention = new AuditLogRetention(
                "platform-audit-retention",
                { workspaceName: w.workspaceName, resourceGroupName: w.resourceGroupName, retentionDays, totalRetentionDays },
                { parent: this, providers: [provider], protect },
            );
        }
        // Control-plane audit: every subscription the stack deploys into sends its Activity Log to the workspace, unless
        // it says another stack or an existing setup does (one owner per subscription: config/ownership.ts).
        for (const s of args.subscriptions.filter((x) => children.providers.has(x.name) && (x.activityLog ?? true))) {
            children.activityLogs.set(
                s.name,
                new monitor.SubscriptionDiagnosticSetting(
                    `platform-activity-log-${s.name}`,
                    activityLogInputs(this.logAnalyticsWorkspaceId),
                    {
                        ...replaceableChild(this),
                        provider: children.providers.get(s.name),
                    },
                ),
            );
        }

        let privateDnsZoneIds: PrivateDnsZoneIds | undefined;
        if (args.privateDns?.zoneIds) {
            privateDnsZoneIds = args.privateDns.zoneIds;
        } else if (createZones) {
            // Private DNS zones are global: one per AHDS zone name in the platform resource group, linked to each VNet
            // whose clients must resolve the FHIR services privately (no auto-registration of VM records).
            for (const zone of Object.keys(AHDS_PRIVATE_DNS_ZONES) as AhdsPrivateDnsZone[]) {
                const zoneName = AHDS_PRIVATE_DNS_ZONES[zone];
                const z = new privatedns.PrivateZone(
                    `platform-dns-${zone}`,
                    { privateZoneName: zoneName, resourceGroupName: rg!.name, location: "Global", tags: platformTags("platform") },
                    // Every private account resolves through it: deleting it takes them all off the network.
                    stateful,
                );
                children.privateDnsZones.set(zone, z);
                for (const vnet of args.privateDns!.virtualNetworkIds!) {
                    children.virtualNetworkLinks.push(
                        new privatedns.VirtualNetworkLink(
                            `platform-dns-${zone}-${names.virtualNetworkLink(vnet)}`,
                            {
                                virtualNetworkLinkName: names.virtualNetworkLink(vnet),
                                privateZoneName: z.name,
                                resourceGroupName: rg!.name,
                                location: "Global",
                                virtualNetwork: { id: vnet },
                                registrationEnabled: false,
                                tags: platformTags("platform"),
                            },
                            { ...replaceableChild(this), provider: homeProvider },
                        ),
                    );
                }
            }
            privateDnsZoneIds = {
                workspace: children.privateDnsZones.get("workspace")!.id,
                fhir: children.privateDnsZones.get("fhir")!.id,
            };
        }

        const exportStorageRedundancy = args.exportStorageRedundancy ?? defaultExportStorageRedundancy(args.location);
        const sharedGroups = [...new Set(args.accounts.flatMap((a) => (a.workspaceGroup !== undefined ? [a.workspaceGroup] : [])))].sort();
        const sharedRg = new Map<string, string>();
        for (const group of sharedGroups) {
            const members = args.accounts.filter((a) => a.workspaceGroup === group);
            const sub = subscriptionOf(members[0]);
            const first = members[0];
            const rgName = names.workspaceResourceGroup(stack, group);
            const wsRg = new resources.ResourceGroup(
                `ws-${group}-rg`,
                { resourceGroupName: rgName, location: args.location, tags: platformTags(`workspace:${group}`) },
                { ...statefulChild(this, opts), provider: children.providers.get(sub) },
            );
            const suffix = new random.RandomString(
                `ws-${group}-suffix`,
                { length: SUFFIX_LENGTH, special: false, upper: false, numeric: true, lower: true },
                statefulChild(this, opts),
            );
            children.sharedWorkspaces.set(
                group,
                new FhirWorkspace(
                    group,
                    {
                        group,
                        resourceGroupName: wsRg.name,
                        location: args.location,
                        suffix: suffix.result,
                        ...(first.privateEndpointSubnetId ? { privateEndpointSubnetId: first.privateEndpointSubnetId } : {}),
                        ...(privateDnsZoneIds ? { privateDnsZoneIds } : {}),
                        tags: platformTags(`workspace:${group}`),
                    },
                    inSub(sub),
                ),
            );
            sharedRg.set(group, rgName);
        }

        for (const a of args.accounts) {
            const sub = subs.get(subscriptionOf(a))!;
            const shared = a.workspaceGroup !== undefined ? children.sharedWorkspaces.get(a.workspaceGroup) : undefined;
            const recovery = a.recoveryCopy && (a.export ?? true) ? args.recoveryCopyLocation : undefined;
            // A shared workspace's endpoint serves its members: the account's own subnet is the workspace's (first member's).
            const {
                name: account,
                subscription: _sub,
                workspaceGroup: _group,
                recoveryCopy: _copy,
                privateEndpointSubnetId,
                ...settings
            } = a;
            children.accounts.set(
                account,
                new FhirAccount(
                    account,
                    {
                        ...settings,
                        tags: { ...args.tags, ...a.tags },
                        stack,
                        subscriptionId: sub.subscriptionId,
                        tenantId: args.tenantId,
                        location: args.location,
                        logAnalyticsWorkspaceId: this.logAnalyticsWorkspaceId,
                        exportStorageRedundancy,
                        exportRetentionDays: a.exportRetentionDays ?? args.exportRetentionDays ?? PLATFORM_DEFAULTS.exportRetentionDays,
                        ...(args.rbacPropagationSeconds !== undefined ? { rbacPropagationSeconds: args.rbacPropagationSeconds } : {}),
                        ...(args.sharedRegistryIds ? { sharedRegistryIds: args.sharedRegistryIds } : {}),
                        ...(recovery ? { recoveryLocation: recovery } : {}),
                        ...(privateDnsZoneIds ? { privateDnsZoneIds } : {}),
                        ...(shared
                            ? {
                                  workspace: {
                                      name: shared.workspaceName,
                                      plannedName: shared.plannedName,
                                      resourceGroupName: sharedRg.get(a.workspaceGroup!)!,
                                  },
                              }
                            : privateEndpointSubnetId
                              ? { privateEndpointSubnetId }
                              : {}),
                    },
                    inSub(sub.name),
                ),
            );
        }
        // A shared private workspace registers its DNS records after all its members' FHIR services, and again whenever
        // its member set changes (FhirWorkspace.attachPrivateDns).
        for (const [group, ws] of children.sharedWorkspaces) {
            const members = args.accounts.filter((a) => a.workspaceGroup === group).map((a) => children.accounts.get(a.name)!);
            ws.attachPrivateDns(
                members.map((m) => m.children.fhir.children.service),
                args.accounts.filter((a) => a.workspaceGroup === group).map((a) => names.fhirService(a.name)),
            );
        }

        const summaries = [...children.accounts].map(([account, m]) =>
            pulumi
                .all({
                    fhirUrl: m.fhirUrl,
                    fhirServiceId: m.fhirServiceId,
                    resourceGroupName: m.resourceGroupName,
                    workspaceName: m.workspaceName,
                    identityClientId: m.identityClientId,
                    identityPrincipalId: m.identityPrincipalId,
                    keyUri: m.keyUri,
                    keyVaultUri: m.keyVaultUri,
                    exportStorageAccount: m.exportStorageAccount ?? "",
                })
                .apply((v): [string, PlatformAccountOutputs] => [
                    account,
                    {
                        fhirUrl: v.fhirUrl,
                        fhirServiceId: v.fhirServiceId,
                        resourceGroupName: v.resourceGroupName,
                        workspaceName: v.workspaceName,
                        identityClientId: v.identityClientId,
                        identityPrincipalId: v.identityPrincipalId,
                        keyUri: v.keyUri,
                        keyVaultUri: v.keyVaultUri,
                        ...(m.exportStorageAccount ? { exportStorageAccount: v.exportStorageAccount } : {}),
                    },
                ]),
        );
        this.accounts = pulumi.all(summaries).apply((entries) => Object.fromEntries(entries));
        this.registerOutputs({ logAnalyticsWorkspaceId: this.logAnalyticsWorkspaceId, accounts: this.accounts });
    }

    /** Providers, log retention, DNS zones, shared workspaces and accounts (TypeScript only: other languages get the outputs). */
    get children(): FhirPlatformChildren {
        return childrenOf.get(this)!;
    }
}
