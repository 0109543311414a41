import * as pulumi from "@pulumi/pulumi";
import * as healthcareapis from "@pulumi/azure-native/healthcareapis";
import * as network from "@pulumi/azure-native/network";
import { AHDS_PRIVATE_DNS_ZONES, AHDS_PRIVATE_LINK_GROUP_ID } from "../azure/facts";
import { names } from "../azure/naming";
import type { AccountScope } from "./scope";

export interface FhirWorkspaceArgs extends Pick<AccountScope, "resourceGroupName" | "location" | "protect" | "tags"> {
    /** Workspace group: the account name for a dedicated workspace, a pool name for a shared one. */
    group: string;
    suffix: pulumi.Input<string>;
    /** When set, a private endpoint on this subnet is the way in (network access is a workspace matter in AHDS). */
    privateEndpointSubnetId?: string;
    /** Private DNS zones the endpoint registers in (workspace and FHIR zones); required with a private endpoint. */
    privateDnsZoneIds?: { workspace: pulumi.Input<string>; fhir: pulumi.Input<string> };
}

/**
 * An AHDS workspace. Its FHIR services share its network settings and private endpoints, nothing else: identity,
 * key, storage and data-plane roles stay per FHIR service. In azure-native v3 (API 2024-03-31) the workspace's
 * `publicNetworkAccess` is output-only, so exposure is governed by the private endpoints attached here.
 */
export class FhirWorkspace extends pulumi.ComponentResource {
    readonly workspace: healthcareapis.Workspace;
    readonly privateEndpoint?: network.PrivateEndpoint;
    /** Set by attachPrivateDns, after the workspace's FHIR services. */
    privateDnsZoneGroup?: network.PrivateDnsZoneGroup;
    readonly workspaceName: pulumi.Output<string>;
    private readonly dnsZoneIds?: { workspace: pulumi.Input<string>; fhir: pulumi.Input<string> };
    private readonly resourceGroupName: pulumi.Input<string>;
    private readonly componentName: string;
    /**
     * The same name, computed from the group and the suffix only: it resolves without waiting for the workspace to be
     * created. For references that need the name but not the workspace (the export storage firewall rule), so they
     * do not serialize behind workspace creation.
     */
    readonly plannedName: pulumi.Output<string>;

    constructor(name: string, args: FhirWorkspaceArgs, opts?: pulumi.ComponentResourceOptions) {
        // Named after its group since 0.2 (was `<group>-workspace` for a dedicated one, `ws-<group>` for a shared one).
        super(
            "fhir-platform:index:FhirWorkspace",
            name,
            {},
            { ...opts, aliases: [...(opts?.aliases ?? []), { name: `${name}-workspace` }, { name: `ws-${name}` }] },
        );
        this.plannedName = pulumi.interpolate`${names.workspace(args.group, "")}${args.suffix}`;
        this.workspace = new healthcareapis.Workspace(
            `${name}-workspace`,
            {
                workspaceName: this.plannedName,
                resourceGroupName: args.resourceGroupName,
                location: args.location,
                tags: args.tags,
            },
            { parent: this, protect: args.protect },
        );
        if (args.privateEndpointSubnetId) {
            if (!args.privateDnsZoneIds)
                throw new pulumi.ResourceError(`FhirWorkspace ${name}: a private endpoint needs privateDnsZoneIds`, this);
            this.privateEndpoint = new network.PrivateEndpoint(
                `${name}-workspace-pe`,
                privateEndpointInputs({ ...args, privateEndpointSubnetId: args.privateEndpointSubnetId }, this.workspace.id),
                { parent: this },
            );
            this.dnsZoneIds = args.privateDnsZoneIds;
        }
        this.resourceGroupName = args.resourceGroupName;
        this.componentName = name;
        this.workspaceName = this.workspace.name;
        this.registerOutputs({ workspaceName: this.workspaceName });
    }

    /**
     * Registers the endpoint's A records (workspace and FHIR host names) in the private DNS zones, once the workspace's
     * FHIR services exist: without the zone group nothing in the VNet resolves a service to its private IP, and the
     * endpoint only registers the services the workspace had when the zone group was written (Microsoft Learn,
     * "Configure Private Link for Azure Health Data Services": "Every time a new service gets added into the Private
     * Link enabled workspace, wait for the provisioning to complete. Refresh the private endpoint if DNS A records are
     * not getting updated for the newly added service(s)"). So the zone group waits for `services`, and is written again
     * (replaced, deleting first: it keeps its name) whenever the set of member services changes; the records are absent
     * for the few seconds in between. Called once, by whoever creates the workspace's services (FhirAccount for a
     * dedicated workspace, FhirPlatform for a shared one); a workspace without a private endpoint ignores it.
     */
    attachPrivateDns(services: pulumi.Resource[], memberServiceNames: string[]): network.PrivateDnsZoneGroup | undefined {
        if (!this.privateEndpoint || !this.dnsZoneIds) return undefined;
        if (this.privateDnsZoneGroup)
            throw new pulumi.ResourceError(`FhirWorkspace ${this.componentName}: private DNS attached twice`, this);
        this.privateDnsZoneGroup = new network.PrivateDnsZoneGroup(
            `${this.componentName}-workspace-pe-dns`,
            privateDnsZoneGroupInputs(this.privateEndpoint.name, this.resourceGroupName, this.dnsZoneIds),
            {
                parent: this,
                dependsOn: services,
                replacementTrigger: dnsMembershipTrigger(memberServiceNames),
                deleteBeforeReplace: true,
            },
        );
        return this.privateDnsZoneGroup;
    }
}

/** The zone group's replacement trigger: the workspace's member FHIR services, sorted (order never matters). */
export function dnsMembershipTrigger(memberServiceNames: readonly string[]): string {
    return [...new Set(memberServiceNames)].sort().join(",");
}

/** The workspace's private endpoint (pure: the bench's flat baseline registers the same). */
export function privateEndpointInputs(
    args: Pick<FhirWorkspaceArgs, "group" | "resourceGroupName" | "location" | "tags"> & { privateEndpointSubnetId: string },
    workspaceId: pulumi.Input<string>,
): network.PrivateEndpointArgs {
    return {
        privateEndpointName: names.privateEndpoint(args.group),
        resourceGroupName: args.resourceGroupName,
        location: args.location,
        subnet: { id: args.privateEndpointSubnetId },
        privateLinkServiceConnections: [
            { name: names.privateEndpoint(args.group), privateLinkServiceId: workspaceId, groupIds: [AHDS_PRIVATE_LINK_GROUP_ID] },
        ],
        tags: args.tags,
    };
}

/** The DNS zone group of the workspace's private endpoint: one config per AHDS zone (workspace and FHIR). */
export function privateDnsZoneGroupInputs(
    privateEndpointName: pulumi.Input<string>,
    resourceGroupName: pulumi.Input<string>,
    zoneIds: { workspace: pulumi.Input<string>; fhir: pulumi.Input<string> },
): network.PrivateDnsZoneGroupArgs {
    return {
        privateDnsZoneGroupName: names.privateDnsZoneGroup(),
        privateEndpointName,
        resourceGroupName,
        privateDnsZoneConfigs: (Object.keys(AHDS_PRIVATE_DNS_ZONES) as (keyof typeof AHDS_PRIVATE_DNS_ZONES)[]).map((zone) => ({
            name: AHDS_PRIVATE_DNS_ZONES[zone].replace(/\./g, "-"),
            privateDnsZoneId: zoneIds[zone],
        })),
    };
}
