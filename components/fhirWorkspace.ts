import * as pulumi from "@pulumi/pulumi";
import * as healthcareapis from "@pulumi/azure-native/healthcareapis";
import * as network from "@pulumi/azure-native/network";
import { AHDS_PRIVATE_DNS_ZONES, AHDS_PRIVATE_LINK_GROUP_ID } from "../azure/facts";
import { WORKSPACE_GROUP_PATTERN, names } from "../azure/naming";
import { componentOptions, replaceableChild, statefulChild } from "./scope";
import type { PrivateDnsZoneIds } from "./types";
import { type Problem, refuse } from "./validate";

export interface FhirWorkspaceArgs {
    /**
     * Workspace group: the account name for a dedicated workspace, a pool name for a shared one (3 to 12 lowercase
     * letters and digits). The workspace is named `ws<group><suffix>`.
     */
    group: string;
    /** Random, state-kept suffix that makes the workspace name globally unique (it is part of every FHIR host name). */
    suffix: pulumi.Input<string>;
    /** The resource group the workspace is created in. */
    resourceGroupName: pulumi.Input<string>;
    /** The Azure region. */
    location: string;
    /** Tags of the workspace and its private endpoint. */
    tags?: { [key: string]: string };
    /**
     * A subnet for a private endpoint: then the endpoint is the way in (network access is a workspace matter in AHDS).
     * Its DNS records are registered once the workspace's FHIR services exist (FhirAccount and FhirPlatform do that).
     */
    privateEndpointSubnetId?: string;
    /** The private DNS zones the endpoint registers in; required with a private endpoint. */
    privateDnsZoneIds?: PrivateDnsZoneIds;
}

/** The child resources of a FhirWorkspace, for TypeScript code that composes it. */
export interface FhirWorkspaceChildren {
    workspace: healthcareapis.Workspace;
    privateEndpoint?: network.PrivateEndpoint;
    /** Set by attachPrivateDns, after the workspace's FHIR services. */
    privateDnsZoneGroup?: network.PrivateDnsZoneGroup;
}
interface WorkspaceState extends FhirWorkspaceChildren {
    name: string;
    resourceGroupName: pulumi.Input<string>;
    dnsZoneIds?: PrivateDnsZoneIds;
}
const stateOf = new WeakMap<FhirWorkspace, WorkspaceState>();

/**
 * An AHDS workspace. Its FHIR services share its network settings and private endpoints, nothing else: identity,
 * key, storage and data-plane roles stay per FHIR service. In azure-native v3 (API 2024-03-31) the workspace's
 * `publicNetworkAccess` is output-only, so exposure is governed by the private endpoints attached here. The `protect`
 * option protects the workspace (not its private endpoint, which can be replaced).
 */
export class FhirWorkspace extends pulumi.ComponentResource {
    /** The workspace's name, once it exists: what a FHIR service in it names (and so waits for). */
    readonly workspaceName: pulumi.Output<string>;
    /**
     * The same name, computed from the group and the suffix only: it resolves without waiting for the workspace to be
     * created. For references that need the name but not the workspace (the export storage firewall rule), so they
     * do not serialize behind workspace creation.
     */
    readonly plannedName: pulumi.Output<string>;
    /** ARM ID of the workspace. */
    readonly workspaceId: pulumi.Output<string>;
    /** The private endpoint's name (with a private endpoint). */
    readonly privateEndpointName?: pulumi.Output<string>;

    constructor(name: string, args: FhirWorkspaceArgs, opts?: pulumi.ComponentResourceOptions) {
        // Named after its group since 0.2 (was `<group>-workspace` for a dedicated one, `ws-<group>` for a shared one).
        const own = componentOptions(opts);
        super(
            "fhir-platform:index:FhirWorkspace",
            name,
            {},
            {
                ...own,
                aliases: [...(own.aliases ?? []), { name: `${name}-workspace` }, { name: `ws-${name}` }],
            },
        );
        const problems: Problem[] = [];
        if (!WORKSPACE_GROUP_PATTERN.test(args.group))
            problems.push([
                "group",
                `'${args.group}' is not a valid workspace group: use 3 to 12 lowercase letters and digits, starting with a letter`,
            ]);
        if (args.privateEndpointSubnetId && !args.privateDnsZoneIds)
            problems.push([
                "privateDnsZoneIds",
                "a private endpoint (privateEndpointSubnetId) needs the private DNS zones it registers in",
            ]);
        refuse(`FhirWorkspace ${name}`, problems, this);
        this.plannedName = pulumi.interpolate`${names.workspace(args.group, "")}${args.suffix}`;
        const workspace = new healthcareapis.Workspace(
            `${name}-workspace`,
            {
                workspaceName: this.plannedName,
                resourceGroupName: args.resourceGroupName,
                location: args.location,
                tags: args.tags,
            },
            statefulChild(this, opts),
        );
        const state: WorkspaceState = { name, workspace, resourceGroupName: args.resourceGroupName };
        if (args.privateEndpointSubnetId && args.privateDnsZoneIds) {
            state.privateEndpoint = new network.PrivateEndpoint(
                `${name}-workspace-pe`,
                privateEndpointInputs({ ...args, privateEndpointSubnetId: args.privateEndpointSubnetId }, workspace.id),
                replaceableChild(this),
            );
            state.dnsZoneIds = args.privateDnsZoneIds;
            this.privateEndpointName = state.privateEndpoint.name;
        }
        stateOf.set(this, state);
        this.workspaceName = workspace.name;
        this.workspaceId = workspace.id;
        this.registerOutputs({
            workspaceName: this.workspaceName,
            plannedName: this.plannedName,
            workspaceId: this.workspaceId,
            ...(this.privateEndpointName ? { privateEndpointName: this.privateEndpointName } : {}),
        });
    }

    /** The workspace, its private endpoint and DNS zone group (TypeScript only: other languages get the outputs). */
    get children(): FhirWorkspaceChildren {
        const { workspace, privateEndpoint, privateDnsZoneGroup } = stateOf.get(this)!;
        return { workspace, ...(privateEndpoint ? { privateEndpoint } : {}), ...(privateDnsZoneGroup ? { privateDnsZoneGroup } : {}) };
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
     *
     * A method, so not part of the package's schema: from another language, FhirAccount (a dedicated workspace) and
     * FhirPlatform (shared workspaces) call it themselves.
     */
    attachPrivateDns(services: pulumi.Resource[], memberServiceNames: string[]): network.PrivateDnsZoneGroup | undefined {
        const state = stateOf.get(this)!;
        if (!state.privateEndpoint || !state.dnsZoneIds) return undefined;
        if (state.privateDnsZoneGroup) throw new pulumi.ResourceError(`FhirWorkspace ${state.name}: private DNS attached twice`, this);
        state.privateDnsZoneGroup = new network.PrivateDnsZoneGroup(
            `${state.name}-workspace-pe-dns`,
            privateDnsZoneGroupInputs(state.privateEndpoint.name, state.resourceGroupName, state.dnsZoneIds),
            {
                ...replaceableChild(this),
                dependsOn: services,
                replacementTrigger: dnsMembershipTrigger(memberServiceNames),
                deleteBeforeReplace: true,
            },
        );
        return state.privateDnsZoneGroup;
    }
}

/** The zone group's replacement trigger: the workspace's member FHIR services, sorted (order never matters). */
export function dnsMembershipTrigger(memberServiceNames: readonly string[]): string {
    return [...new Set(memberServiceNames)].sort().join(",");
}

/** The workspace's private endpoint. */
function privateEndpointInputs(
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
function privateDnsZoneGroupInputs(
    privateEndpointName: pulumi.Input<string>,
    resourceGroupName: pulumi.Input<string>,
    zoneIds: PrivateDnsZoneIds,
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
