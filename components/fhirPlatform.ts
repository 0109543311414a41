import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { Provider } from "@pulumi/azure-native/provider";
import * as resources from "@pulumi/azure-native/resources";
import * as operationalinsights from "@pulumi/azure-native/operationalinsights";
import * as privatedns from "@pulumi/azure-native/privatedns";
import { AHDS_PRIVATE_DNS_ZONES, type AhdsPrivateDnsZone, defaultExportStorageRedundancy } from "../azure/facts";
import type { PlatformConfig, SubscriptionConfig } from "../config/schema";
import { PLATFORM_TAG, STACK_TAG, SUFFIX_LENGTH, names } from "../azure/naming";
import type { Placement } from "../config/placement";
import { FhirAccount, type FhirAccountOutputs, type PlatformContext } from "./fhirAccount";
import { FhirWorkspace } from "./fhirWorkspace";

export interface FhirPlatformArgs {
    config: PlatformConfig;
    placements: Placement[];
    stack: string;
}

/**
 * The stack-wide root: one azure-native provider per subscription (so every resource's subscription is explicit),
 * Log Analytics for audit logs, the private DNS zones of the workspaces' private endpoints (unless existing zones are
 * given), shared workspaces, and one FhirAccount per account, keyed by account name.
 */
export class FhirPlatform extends pulumi.ComponentResource {
    readonly providers = new Map<string, Provider>();
    readonly logAnalyticsWorkspaceId: pulumi.Output<string>;
    /** Created private DNS zones and their VNet links (when config lists virtualNetworkIds). */
    readonly privateDnsZones = new Map<AhdsPrivateDnsZone, privatedns.PrivateZone>();
    readonly virtualNetworkLinks: privatedns.VirtualNetworkLink[] = [];
    readonly sharedWorkspaces = new Map<string, FhirWorkspace>();
    readonly accounts = new Map<string, FhirAccount>();

    constructor(name: string, args: FhirPlatformArgs, opts?: pulumi.ComponentResourceOptions) {
        super("fhir-platform:index:FhirPlatform", name, {}, opts);
        const cfg = args.config;
        const protect = cfg.protectStatefulResources;
        const subs = new Map(cfg.subscriptions.map((s) => [s.name, s]));
        const platformTags = (scope: string) => ({ ...cfg.tags, [PLATFORM_TAG]: scope, [STACK_TAG]: args.stack });

        const used = new Set([cfg.subscriptions[0].name, ...args.placements.map((p) => p.subscription)]);
        for (const s of cfg.subscriptions.filter((s) => used.has(s.name))) {
            this.providers.set(
                s.name,
                new Provider(`azure-${s.name}`, { subscriptionId: s.subscriptionId, location: cfg.location }, { parent: this }),
            );
        }
        const inSub = (s: SubscriptionConfig): pulumi.ComponentResourceOptions => ({
            parent: this,
            providers: [this.providers.get(s.name)!],
        });
        const home = cfg.subscriptions[0];

        const homeProvider = this.providers.get(home.name);
        const createZones = cfg.privateDns?.virtualNetworkIds !== undefined && args.placements.length > 0;
        const rg =
            !cfg.logAnalytics.workspaceId || createZones
                ? new resources.ResourceGroup(
                      "platform-rg",
                      {
                          resourceGroupName: names.platformResourceGroup(args.stack),
                          location: cfg.location,
                          tags: platformTags("platform"),
                      },
                      { parent: this, provider: homeProvider, protect },
                  )
                : undefined;
        if (cfg.logAnalytics.workspaceId) {
            this.logAnalyticsWorkspaceId = pulumi.output(cfg.logAnalytics.workspaceId);
        } else {
            const law = new operationalinsights.Workspace(
                "platform-log-analytics",
                {
                    workspaceName: names.logAnalytics(args.stack),
                    resourceGroupName: rg!.name,
                    location: cfg.location,
                    sku: { name: "PerGB2018" },
                    retentionInDays: cfg.logAnalytics.retentionDays,
                    tags: platformTags("platform"),
                },
                // Audit logs are evidence: losing the workspace loses them.
                { parent: this, provider: homeProvider, protect },
            );
            this.logAnalyticsWorkspaceId = law.id;
        }

        let privateDnsZoneIds: PlatformContext["privateDnsZoneIds"];
        if (cfg.privateDns?.zoneIds) {
            privateDnsZoneIds = cfg.privateDns.zoneIds;
        } else if (createZones) {
            // Private DNS zones are global: one per AHDS zone name in the platform resource group, linked to each VNet
            // whose clients must resolve the FHIR services privately (no auto-registration of VM records).
            for (const zone of Object.keys(AHDS_PRIVATE_DNS_ZONES) as AhdsPrivateDnsZone[]) {
                const zoneName = AHDS_PRIVATE_DNS_ZONES[zone];
                const z = new privatedns.PrivateZone(
                    `platform-dns-${zone}`,
                    { privateZoneName: zoneName, resourceGroupName: rg!.name, location: "Global", tags: platformTags("platform") },
                    // Every private account resolves through it: deleting it takes them all off the network.
                    { parent: this, provider: homeProvider, protect },
                );
                this.privateDnsZones.set(zone, z);
                for (const vnet of cfg.privateDns!.virtualNetworkIds!) {
                    this.virtualNetworkLinks.push(
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
                            { parent: this, provider: homeProvider },
                        ),
                    );
                }
            }
            privateDnsZoneIds = { workspace: this.privateDnsZones.get("workspace")!.id, fhir: this.privateDnsZones.get("fhir")!.id };
        }

        const ctx: PlatformContext = {
            stack: args.stack,
            tenantId: cfg.tenantId,
            location: cfg.location,
            logAnalyticsWorkspaceId: this.logAnalyticsWorkspaceId,
            protect,
            rbacPropagationSeconds: cfg.rbacPropagationSeconds,
            sharedRegistryIds: cfg.sharedRegistryIds,
            exportStorageRedundancy: cfg.exportStorageRedundancy ?? defaultExportStorageRedundancy(cfg.location),
            ...(privateDnsZoneIds ? { privateDnsZoneIds } : {}),
            tags: cfg.tags,
        };

        const accountByName = new Map(cfg.accounts.map((a) => [a.name, a]));
        const sharedGroups = [...new Set(args.placements.filter((p) => !p.dedicated).map((p) => p.workspaceGroup))].sort();
        const sharedRg = new Map<string, string>();
        for (const group of sharedGroups) {
            const members = args.placements.filter((p) => p.workspaceGroup === group);
            const sub = subs.get(members[0].subscription)!;
            const first = accountByName.get(members[0].account)!;
            const rgName = names.workspaceResourceGroup(args.stack, group);
            const rg = new resources.ResourceGroup(
                `ws-${group}-rg`,
                { resourceGroupName: rgName, location: cfg.location, tags: platformTags(`workspace:${group}`) },
                { parent: this, provider: this.providers.get(sub.name), protect },
            );
            const suffix = new random.RandomString(
                `ws-${group}-suffix`,
                { length: SUFFIX_LENGTH, special: false, upper: false, numeric: true, lower: true },
                { parent: this, protect },
            );
            this.sharedWorkspaces.set(
                group,
                new FhirWorkspace(
                    group,
                    {
                        group,
                        resourceGroupName: rg.name,
                        location: cfg.location,
                        suffix: suffix.result,
                        ...(first.privateEndpointSubnetId ? { privateEndpointSubnetId: first.privateEndpointSubnetId } : {}),
                        ...(privateDnsZoneIds ? { privateDnsZoneIds } : {}),
                        protect,
                        tags: platformTags(`workspace:${group}`),
                    },
                    inSub(sub),
                ),
            );
            sharedRg.set(group, rgName);
        }

        for (const p of args.placements) {
            const a = accountByName.get(p.account)!;
            const sub = subs.get(p.subscription)!;
            const shared = this.sharedWorkspaces.get(p.workspaceGroup);
            this.accounts.set(
                a.name,
                new FhirAccount(
                    a.name,
                    {
                        config: a,
                        placement: p,
                        subscription: sub,
                        platform: ctx,
                        ...(shared
                            ? {
                                  sharedWorkspace: {
                                      workspaceName: shared.workspaceName,
                                      plannedName: shared.plannedName,
                                      resourceGroupName: sharedRg.get(p.workspaceGroup)!,
                                  },
                              }
                            : {}),
                    },
                    inSub(sub),
                ),
            );
        }
        // A shared private workspace registers its DNS records after all its members' FHIR services, and again whenever
        // its member set changes (FhirWorkspace.attachPrivateDns).
        for (const [group, ws] of this.sharedWorkspaces) {
            const members = args.placements.filter((p) => p.workspaceGroup === group).map((p) => this.accounts.get(p.account)!);
            ws.attachPrivateDns(
                members.map((m) => m.fhir.service),
                members.map((m) => m.fhir.serviceName),
            );
        }
        this.registerOutputs({ logAnalyticsWorkspaceId: this.logAnalyticsWorkspaceId });
    }

    /** Stack outputs, keyed by account name (sorted, so output order never depends on config order). */
    accountOutputs(): Record<string, FhirAccountOutputs> {
        const out: Record<string, FhirAccountOutputs> = {};
        for (const name of [...this.accounts.keys()].sort()) out[name] = this.accounts.get(name)!.outputs;
        return out;
    }
}
