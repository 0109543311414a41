/**
 * The private DNS check: a private account's FHIR host must resolve, from where verify runs, to a private endpoint
 * address. End to end through the real CLI code with an injected resolver (each outcome: private, NXDOMAIN, public,
 * resolver failure, a declared range), then the address ranges as pure functions.
 */
import { AHDS_PRIVATE_DNS_ZONES } from "../azure/facts";
import type { ResolvedAddress, Resolver } from "../tools/verify/dns";
import { isPrivateAddress, parseCidr, privateRanges } from "../tools/verify/dns";
import { diagnosisText, resultOf, startVerifyRig, type RigRun, type RigSetup, type VerifyRig } from "./fakes/verifyRig";

let rig: VerifyRig;
beforeAll(async () => {
    rig = await startVerifyRig({ nowMs: Date.parse("2026-11-15T12:00:00Z"), tmpPrefix: "verify-dns-" });
});
afterAll(() => rig.close());

const err = (code: string): Error => Object.assign(new Error(`getaddrinfo ${code}`), { code });

/**
 * Every fake account shares the loopback host, so the answers are given in the order the private accounts are looked
 * up (--concurrency 1: one lookup per private account, in output order).
 */
function resolverFor(answers: (ResolvedAddress[] | Error)[], asked: string[]): Resolver {
    return async (h) => {
        const a = answers[asked.push(h) - 1];
        if (a === undefined) throw new Error("more lookups than answers");
        if (a instanceof Error) throw a;
        return a;
    };
}

describe("private DNS check end to end", () => {
    let s: RigSetup;
    let run: RigRun;
    const asked: string[] = [];

    beforeAll(async () => {
        const priv = { outputs: { publicNetworkAccess: "Disabled" as const } };
        s = await rig.setup({
            pe: priv,
            cgnat: priv,
            mapped: priv,
            ula: priv,
            // A real-looking host (no request goes to it: the check stops before the data plane).
            nx: { outputs: { publicNetworkAccess: "Disabled", fhirUrl: "https://wsnx-nx.fhir.azurehealthcareapis.com" } },
            public: priv,
            broken: priv,
            open: { outputs: { publicNetworkAccess: "Enabled" } },
        });
        const answers = [
            [{ address: "10.20.0.5", family: 4 }], // pe
            [{ address: "100.64.3.4", family: 4 }], // cgnat
            [{ address: "::ffff:192.168.7.8", family: 6 }], // mapped
            [{ address: "fd12:3456::5", family: 6 }], // ula
            err("ENOTFOUND"), // nx
            [{ address: "20.61.98.0", family: 4 }], // public
            err("EAI_AGAIN"), // broken
        ];
        run = await rig.verify(s, ["--concurrency", "1"], { resolveHost: resolverFor(answers, asked) });
    });

    it("private addresses (RFC 1918, RFC 6598, IPv4-mapped, IPv6 ULA) pass; the data-plane checks then run", () => {
        for (const a of ["pe", "cgnat", "mapped", "ula"]) {
            const r = resultOf(run, a);
            expect(r.healthy).toBe(true);
            expect(r.checks.find((c) => c.name === "dns")?.status).toBe("pass");
        }
        expect(resultOf(run, "pe").checks.find((c) => c.name === "dns")?.detail).toBe("127.0.0.1 resolves to 10.20.0.5 (private)");
        expect(s.fhir.requests.some((q) => q.account === "pe" && q.path === "/metadata")).toBe(true);
    });

    it("a public account is not looked up", () => {
        expect(asked).toHaveLength(7);
        const loopback = new URL(s.fhir.baseUrl).hostname;
        expect(asked).toEqual([loopback, loopback, loopback, loopback, "wsnx-nx.fhir.azurehealthcareapis.com", loopback, loopback]);
        expect(resultOf(run, "open").checks.find((c) => c.name === "dns")).toMatchObject({ status: "skip", detail: "public account" });
    });

    it("NXDOMAIN: the linked zone has no record for the service; says how to refresh the endpoint; no data-plane request", () => {
        const r = resultOf(run, "nx");
        expect(r.diagnoses.map((d) => d.code)).toEqual(["dns-nxdomain"]);
        const text = diagnosisText(r);
        expect(text).toContain("service added to the workspace after the endpoint");
        expect(text).toContain("`pulumi up` for this stack: it re-writes the endpoint's DNS zone group (default)");
        expect(text).toContain("az network private-endpoint show -g rg-fhir-dev-nx -n pe-ahds-nx --query customDnsConfigs");
        expect(text).toContain(`-z ${AHDS_PRIVATE_DNS_ZONES.fhir} -n wsnx-nx -a <its address from customDnsConfigs>`);
        expect(text).toContain("remove and re-create the private endpoint connection");
        expect(r.checks.filter((c) => c.status === "skip").map((c) => [c.name, c.detail])).toEqual(
            expect.arrayContaining([
                ["metadata", "private DNS check failed"],
                ["read", "private DNS check failed"],
            ]),
        );
        expect(s.fhir.requests.some((q) => q.account === "nx")).toBe(false);
    });

    it("a public address: not on a network linked to the private DNS zone (or the zone falls back to public resolution)", () => {
        const r = resultOf(run, "public");
        expect(r.diagnoses.map((d) => d.code)).toEqual(["dns-public"]);
        expect(r.diagnoses[0]!.summary).toBe(
            "DNS for 127.0.0.1: resolves to 20.61.98.0, not a private endpoint address: not on a network linked to the private DNS zone",
        );
        const text = diagnosisText(r);
        expect(text).toContain("NxDomainRedirect");
        expect(text).toContain("--private-range <CIDR>");
        expect(s.fhir.requests.some((q) => q.account === "public")).toBe(false);
    });

    it("a resolver that does not answer is its own diagnosis", () => {
        expect(resultOf(run, "broken").diagnoses.map((d) => d.code)).toEqual(["dns-error"]);
    });

    it("exit code 1; the DNS column shows each outcome", () => {
        expect(run.code).toBe(1);
        expect(run.stdout).toMatch(/^pe\s+ok\s+ok\s+ok/m);
        expect(run.stdout).toMatch(/^nx\s+ok\s+FAIL\s+-\s+-/m);
        expect(run.stdout).toMatch(/^open\s+ok\s+-\s+ok/m);
    });
});

describe("--private-range", () => {
    it("declares a VNet range outside RFC 1918 / RFC 6598; a bad CIDR is a usage error", async () => {
        const s = await rig.setup({ custom: { outputs: { publicNetworkAccess: "Disabled" } } });
        const resolveHost: Resolver = async () => [{ address: "52.1.2.3", family: 4 }];
        const without = await rig.verify(s, [], { resolveHost });
        expect(resultOf(without, "custom").diagnoses.map((d) => d.code)).toEqual(["dns-public"]);
        const declared = await rig.verify(s, ["--private-range", "52.1.0.0/16"], { resolveHost });
        expect(declared.code).toBe(0);
        const bad = await rig.verify(s, ["--private-range", "52.1.0.0/33"]);
        expect(bad.code).toBe(2);
        expect(bad.stderr).toContain('--private-range: not a CIDR range (like 10.0.0.0/8 or fd00::/8): "52.1.0.0/33"');
    });
});

describe("address ranges (pure)", () => {
    const ranges = privateRanges();
    it.each([
        ["10.0.0.1", true],
        ["172.16.0.1", true],
        ["172.31.255.254", true],
        ["172.32.0.1", false],
        ["192.168.1.1", true],
        ["100.64.0.1", true],
        ["100.128.0.1", false],
        ["::ffff:10.1.1.1", true],
        ["fd00::1", true],
        ["2001:db8::1", false],
        ["127.0.0.1", false],
        ["20.61.98.0", false],
        ["not-an-ip", false],
    ])("%s private: %s", (address, expected) => {
        expect(isPrivateAddress(address, ranges)).toBe(expected);
    });
    it("parses CIDRs", () => {
        expect(parseCidr("10.0.0.0/8")).toEqual({ network: "10.0.0.0", prefix: 8, type: "ipv4" });
        expect(parseCidr("fd00::/8")).toEqual({ network: "fd00::", prefix: 8, type: "ipv6" });
        expect(parseCidr("10.0.0.0")).toBeUndefined();
        expect(parseCidr("10.0.0.0/40")).toBeUndefined();
        expect(parseCidr("x/8")).toBeUndefined();
    });
});
