/**
 * Private networking of AHDS workspaces: a private endpoint without DNS is a dead end. Clients in the VNet resolve
 * the workspace and FHIR host names to the endpoint's private IP only through A records that a private DNS zone group
 * registers in the zones of "Azure Private Endpoint private DNS zone values" (azure/facts.ts); docs/network.md.
 */
import type { PolicyResource } from "@pulumi/policy";
import { AHDS_PRIVATE_DNS_ZONES } from "../../azure/facts";
import { type FhirStackPolicy, StackIndex, TYPES, arr, isAhdsPrivateEndpoint, knownOr, label, obj, str } from "./common";

const REQUIRED_ZONES: readonly string[] = Object.values(AHDS_PRIVATE_DNS_ZONES);

/** The zone name a private DNS zone ID ends in, lower-cased. */
function zoneNameOf(id: string | undefined): string | undefined {
    return id ? /\/providers\/microsoft\.network\/privatednszones\/([^/]+)\/*$/.exec(id.toLowerCase())?.[1] : undefined;
}

/** The zones a DNS zone group registers in: the zones its configs depend on, else the zones their IDs name. */
function zonesOf(group: PolicyResource): Set<string> {
    const deps = (group.propertyDependencies.privateDnsZoneConfigs ?? []).filter((r) => r.type === TYPES.privateDnsZone);
    const names =
        deps.length > 0
            ? deps.map((z) => str(knownOr(() => z.props.privateZoneName, undefined))?.toLowerCase())
            : knownOr(() => arr(group.props.privateDnsZoneConfigs).map((c) => zoneNameOf(str(obj(c)?.privateDnsZoneId))), []);
    return new Set(names.filter((n): n is string => n !== undefined));
}

export const privateEndpointDnsZoneGroup: FhirStackPolicy = {
    name: "private-endpoint-dns-zone-group",
    description:
        `Every private endpoint of an AHDS workspace (group healthcareworkspace) has a DNS zone group registering it in ` +
        `${REQUIRED_ZONES.join(" and ")}; without it, clients in the VNet resolve the public name and never reach the ` +
        `endpoint.`,
    enforcementLevel: "mandatory",
    remediationSteps:
        "Add a network:PrivateDnsZoneGroup on the endpoint (privateEndpointName = the endpoint's name, same resource group) with one " +
        "privateDnsZoneConfigs entry per zone, the zones created by the stack (fhir-platform:privateDns.virtualNetworkIds) or given " +
        "(privateDns.zoneIds).",
    validateStack: (args, reportViolation) => {
        const index = StackIndex.for(args.resources);
        for (const pe of index.of(TYPES.privateEndpoint)) {
            if (!isAhdsPrivateEndpoint(pe)) continue;
            const groups = index.privateDnsZoneGroupsOf(pe);
            if (groups.length === 0) {
                reportViolation(`${label(pe)} has no private DNS zone group: the workspace and FHIR names do not resolve to it`, pe.urn);
                continue;
            }
            const zones = new Set(groups.flatMap((g) => [...zonesOf(g)]));
            const missing = REQUIRED_ZONES.filter((z) => !zones.has(z));
            if (missing.length > 0) reportViolation(`${label(pe)}'s DNS zone groups register it in no ${missing.join(" and ")}`, pe.urn);
        }
    },
};

export const networkPolicies = [privateEndpointDnsZoneGroup];
