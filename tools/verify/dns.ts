/**
 * The private DNS check: for an account whose workspace is private (publicNetworkAccess: Disabled), the FHIR host
 * `<workspace>-<fhir>.fhir.azurehealthcareapis.com` must resolve, from where verify runs, to a private endpoint address.
 *
 * Facts it relies on:
 *   - A private endpoint takes its address from its subnet ("Azure Private Endpoint private DNS zone values").
 *     "Azure Virtual Network FAQ", What address ranges can I use: RFC 1918 ranges and "the shared address space
 *     reserved in RFC 6598, which is treated as a private IP address space in Azure"; others "might work but could have
 *     undesirable side effects" (declared with --private-range). IPv6: unique local addresses fc00::/7 (RFC 4193).
 *   - "Configure Azure Private Link for secure Azure Health Data Services access": public DNS answers with a CNAME to
 *     `<name>.privatelink.fhir.azurehealthcareapis.com`, whose A record a linked private zone holds; a service
 *     "missing its private link DNS entries … resolves through the public CNAME path instead of resolving to the private
 *     IP address". A linked zone without the record answers NXDOMAIN unless the link's resolution policy is
 *     NxDomainRedirect ("Fallback to internet for Azure Private DNS zones").
 *   - The same page: "Refresh the private endpoint if DNS A records are not getting updated for the newly added
 *     service(s)", and its FAQ: "remove and re-add the private endpoint connection to the Azure Health Data Services
 *     (AHDS) Workspace". The stack re-writes the endpoint's DNS zone group when a workspace's member set changes, so
 *     `pulumi up` is the first way to refresh.
 */
import { promises as dnsPromises } from "node:dns";
import * as net from "node:net";
import { AHDS_PRIVATE_DNS_ZONES } from "../../azure/facts";
import { names } from "../../azure/naming";
import type { CheckResult } from "./check";
import type { Diagnosis } from "./diagnose";
import { classifyNetworkError, withTimeout } from "./http";
import type { AccountTarget } from "./targets";

export interface ResolvedAddress {
    address: string;
    family: number;
}

/** How verify resolves a host: the system resolver (what fetch uses), or a stub in tests. */
export type Resolver = (host: string) => Promise<ResolvedAddress[]>;

export const systemResolver: Resolver = (host) => dnsPromises.lookup(host, { all: true, verbatim: true });

/** The address ranges Azure treats as private, plus the ones the caller declares (`--private-range`). */
export const AZURE_PRIVATE_RANGES: readonly string[] = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7"];

/** "a.b.c.d/n" or "x::/n" → the parts BlockList takes; undefined when it is not a CIDR. */
export function parseCidr(cidr: string): { network: string; prefix: number; type: "ipv4" | "ipv6" } | undefined {
    const m = /^([^/]+)\/(\d{1,3})$/.exec(cidr.trim());
    if (!m) return undefined;
    const family = net.isIP(m[1] as string);
    const prefix = Number(m[2]);
    if (family === 0 || prefix > (family === 4 ? 32 : 128)) return undefined;
    return { network: m[1] as string, prefix, type: family === 4 ? "ipv4" : "ipv6" };
}

export function privateRanges(extra: readonly string[] = []): net.BlockList {
    const list = new net.BlockList();
    for (const cidr of [...AZURE_PRIVATE_RANGES, ...extra]) {
        const c = parseCidr(cidr);
        if (!c) throw new RangeError(`not a CIDR range: ${cidr}`);
        list.addSubnet(c.network, c.prefix, c.type);
    }
    return list;
}

/** IPv4-mapped IPv6 (`::ffff:10.0.0.5`) is checked as the IPv4 address it carries. */
export function isPrivateAddress(address: string, ranges: net.BlockList): boolean {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
    const a = mapped ?? address;
    const family = net.isIP(a);
    if (family === 0) return false;
    return ranges.check(a, family === 4 ? "ipv4" : "ipv6");
}

export interface DnsCheckOptions {
    resolve: Resolver;
    ranges: net.BlockList;
    /** Extra ranges the caller declared, for the report. */
    declaredRanges: readonly string[];
    timeoutMs: number;
}

export interface DnsCheckOutcome {
    check: CheckResult;
    diagnosis?: Diagnosis;
}

/** Where the stack put the workspace's private endpoint, and the commands that refresh it (see the header). */
function refreshRemedies(t: AccountTarget, host: string): string[] {
    const group = t.workspaceGroup ?? t.workspaceName ?? "<workspace group>";
    const rg = t.workspaceResourceGroupName ?? t.resourceGroupName ?? "<workspace resource group>";
    const endpoint = names.privateEndpoint(group);
    const label = host.split(".")[0] ?? host;
    return [
        "refresh the workspace's private endpoint so its DNS records cover every FHIR service in the workspace:",
        `  1. \`pulumi up\` for this stack: it re-writes the endpoint's DNS zone group (${names.privateDnsZoneGroup()}) when the ` +
            "workspace's set of services changes",
        `  2. check the endpoint's records: \`az network private-endpoint show -g ${rg} -n ${endpoint} --query customDnsConfigs\` ` +
            `should list ${host} with a private address, and the zone ${AHDS_PRIVATE_DNS_ZONES.fhir} an A record ${label}`,
        `  3. if it does not: add the A record by hand (\`az network private-dns record-set a add-record -g <zone resource group> -z ` +
            `${AHDS_PRIVATE_DNS_ZONES.fhir} -n ${label} -a <its address from customDnsConfigs>\`), or remove and re-create the ` +
            "private endpoint connection on the workspace, which re-provisions its DNS entries (Microsoft's FAQ for a service " +
            "missing its private link DNS entries)",
        "wait for a newly added FHIR service to finish provisioning first (https://learn.microsoft.com/azure/healthcare-apis/" +
            "healthcare-apis-configure-private-link)",
    ];
}

/** Runs the check for one account; skipped unless its outputs say publicNetworkAccess: Disabled. Never throws. */
export async function checkPrivateDns(t: AccountTarget, opts: DnsCheckOptions): Promise<DnsCheckOutcome> {
    if (t.publicNetworkAccess !== "Disabled") {
        const why = t.publicNetworkAccess === "Enabled" ? "public account" : "publicNetworkAccess not in the outputs";
        return { check: { name: "dns", status: "skip", detail: why } };
    }
    const host = URL.canParse(t.fhirUrl) ? new URL(t.fhirUrl).hostname : undefined;
    if (!host) return { check: { name: "dns", status: "skip", detail: "fhirUrl has no host" } };
    const what = `DNS for ${host}`;
    const fail = (d: Omit<Diagnosis, "summary"> & { summary: string }): DnsCheckOutcome => ({
        check: { name: "dns", status: "fail", detail: d.summary },
        diagnosis: d,
    });
    let addresses: ResolvedAddress[];
    try {
        addresses = await withTimeout(opts.resolve(host), opts.timeoutMs, () =>
            Object.assign(new Error(`no DNS answer within ${opts.timeoutMs} ms`), { code: "ETIMEOUT" }),
        );
    } catch (err) {
        const code = classifyNetworkError(err).code;
        const nxdomain = code === "ENOTFOUND" || code === "EAI_NONAME" || code === "EAI_NODATA" || code === "ENODATA";
        if (nxdomain) {
            return fail({
                code: "dns-nxdomain",
                summary: `${what}: no such name (${code}): the private DNS zone has no record for this FHIR service`,
                facts: [
                    `this account is private (publicNetworkAccess: Disabled); ${host} does not resolve from here`,
                    `public DNS has a CNAME for every FHIR service, so NXDOMAIN means this network answers ${AHDS_PRIVATE_DNS_ZONES.fhir} ` +
                        "from a linked private zone that has no A record for it: the endpoint's DNS records were not updated for a " +
                        "service added to the workspace after the endpoint",
                    "(or the FHIR service does not exist: check the fhirUrl output)",
                ],
                remedies: refreshRemedies(t, host),
            });
        }
        return fail({
            code: "dns-error",
            summary: `${what}: lookup failed (${code ?? "error"}): the DNS server did not answer`,
            facts: [`${(err as Error).message}${code ? ` (${code})` : ""}`],
            remedies: [
                "the resolver this machine uses did not answer: check its DNS settings (the VNet's DNS servers, or the DNS " +
                    `forwarder / Azure DNS Private Resolver that serves ${AHDS_PRIVATE_DNS_ZONES.fhir}), then run verify again`,
            ],
        });
    }
    const list = addresses.map((a) => a.address);
    const notPrivate = list.filter((a) => !isPrivateAddress(a, opts.ranges));
    if (list.length > 0 && notPrivate.length === 0) {
        return { check: { name: "dns", status: "pass", detail: `${host} resolves to ${list.join(", ")} (private)` } };
    }
    const ranges = [...AZURE_PRIVATE_RANGES, ...opts.declaredRanges].join(", ");
    return fail({
        code: "dns-public",
        summary: `${what}: resolves to ${notPrivate.join(", ") || "nothing"}, not a private endpoint address: not on a network linked to the private DNS zone`,
        facts: [
            `this account is private (publicNetworkAccess: Disabled): its service answers only through the private endpoint on ` +
                "its workspace; requests that reach its public address get 403",
            `${host} resolves to ${list.join(", ") || "no address"} from here; private ranges: ${ranges}`,
        ],
        remedies: [
            `run verify from a network that resolves ${AHDS_PRIVATE_DNS_ZONES.fhir} through the private DNS zone: a VNet linked to ` +
                "the zone (the stack links the privateDns.virtualNetworkIds it is given), or a network whose DNS forwards that zone " +
                "to Azure DNS (168.63.129.16) through a linked VNet (an Azure DNS Private Resolver or a forwarder)",
            "if this machine is on such a network, the zone has no A record for this service and its VNet link falls back to " +
                "public resolution (resolution policy NxDomainRedirect):",
            ...refreshRemedies(t, host).map((r) => (r.startsWith("  ") ? r : `  ${r}`)),
            "if your VNet uses an address range outside those above for its private endpoints, declare it: --private-range <CIDR>",
        ],
    });
}
