/**
 * Generated stacks for the benchmark: N accounts with varied options (key size, export/import, SMART identity
 * providers, CORS, 0-3 data-plane grants, tags, private endpoints), placed in shared workspaces across as many
 * subscriptions as Azure's default AHDS quotas need (10 FHIR services per subscription, 10 per workspace: 100 accounts
 * take 10 subscriptions).
 */
import { AHDS_DEFAULT_QUOTAS, FHIR_DATA_ROLES, PRINCIPAL_TYPES } from "../../azure";
import { type RawConfig, placeAccounts, validateConfig } from "../../config";

export const BENCH_STACK = "bench";
export const BENCH_TENANT = "72f988bf-0000-4000-8000-00000000b001";
export const BENCH_LOCATION = "westeurope";

/** A GUID that is a pure function of its parts' text (not random: runs must be repeatable). */
function guidFor(kind: number, i: number, j = 0): string {
    const hex = (n: number, width: number) => n.toString(16).padStart(width, "0").slice(-width);
    return `${hex(kind, 8)}-${hex(i, 4)}-4${hex(j, 3)}-8000-${hex(i * 31 + j, 12)}`;
}

export function accountName(i: number): string {
    return `acct${String(i).padStart(4, "0")}`;
}

/** One raw account, as a person would write it in a stack file; `i` picks the options. */
export function generateAccount(i: number): Record<string, unknown> {
    const a: Record<string, unknown> = { name: accountName(i) };
    if (i % 2 === 1) a.keySize = 2048;
    if (i % 7 === 3) a.keyRotationDays = 180;
    if (i % 4 === 3) a.export = false;
    if (i % 5 === 0) a.import = true;
    if (i % 3 === 0) {
        // A SMART on FHIR (Enhanced) app with a browser front end: its own identity provider and CORS.
        a.smartIdentityProviders = [
            {
                authority: `https://idp${i}.example.com/realms/fhir`,
                applications: [{ clientId: guidFor(0x66660000, i), audience: `https://fhir${i}.example.com` }],
            },
        ];
        a.cors = { origins: [`https://app${i}.example.com`], methods: ["GET", "POST", "OPTIONS"], maxAge: 600 };
    }
    const grantCount = i % 4;
    if (grantCount > 0) {
        // Only roles the account can use (config refuses Exporter without export, Importer without import).
        const roles = FHIR_DATA_ROLES.filter(
            (r) => (r !== "FHIR Data Exporter" || a.export !== false) && (r !== "FHIR Data Importer" || a.import === true),
        );
        a.grants = Array.from({ length: grantCount }, (_, j) => ({
            principalId: guidFor(0x11110000 + j, i, j),
            principalType: PRINCIPAL_TYPES[(i + j) % PRINCIPAL_TYPES.length],
            role: roles[(i + j) % roles.length],
        }));
    }
    if (i % 10 === 9) {
        a.publicNetworkAccess = "Disabled";
        a.privateEndpointSubnetId =
            "/subscriptions/00000000-0000-4000-8000-00000000b001/resourceGroups/rg-network/providers/Microsoft.Network/virtualNetworks/vnet-bench/subnets/snet-pe";
    }
    if (i % 6 === 1) a.tags = { costCenter: `cc-${1000 + i}` };
    return a;
}

function subscription(k: number): Record<string, unknown> {
    return { name: `sub${String(k + 1).padStart(2, "0")}`, subscriptionId: `00000000-0000-4000-8000-${String(k + 1).padStart(12, "0")}` };
}

/**
 * The raw `fhir-platform:*` values of a generated stack with `n` accounts. Placement is shared with default quotas;
 * subscriptions are added until placement reports no problem (ceil(n/10) with this mix).
 */
export function generateRawConfig(n: number): RawConfig {
    const accounts = Array.from({ length: n }, (_, i) => generateAccount(i));
    const base = {
        location: BENCH_LOCATION,
        tenantId: BENCH_TENANT,
        placement: "shared",
        rbacPropagationSeconds: 120,
        tags: { environment: "bench" },
        // Private accounts (every tenth) resolve through zones the stack creates and links to the bench VNet.
        ...(n >= 10
            ? {
                  privateDns: {
                      virtualNetworkIds: [
                          "/subscriptions/00000000-0000-4000-8000-00000000b001/resourceGroups/rg-network/providers/Microsoft.Network/virtualNetworks/vnet-bench",
                      ],
                  },
              }
            : {}),
        accounts,
    };
    const first = Math.max(1, Math.ceil(n / AHDS_DEFAULT_QUOTAS.fhirServicesPerSubscription));
    for (let subs = first; subs <= first + 5; subs++) {
        const raw = { ...base, subscriptions: Array.from({ length: subs }, (_, k) => subscription(k)) };
        if (placeAccounts(validateConfig(raw)).problems.length === 0) return raw;
    }
    throw new Error(`could not place ${n} generated accounts within ${first + 5} subscriptions`);
}
