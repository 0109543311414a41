/**
 * Placement of a generated large platform (default 250 accounts over 25 subscriptions, shared workspaces): accounts
 * per subscription and per workspace, the quota check, and proof that a shuffled account order (with the lock of the
 * first run) yields the same placement. Pure: no Pulumi runtime.
 * `npm run placement:report` prints it (scripts/placement-report.ts).
 */
import { type PlacementResult, type PlatformConfig, type RawConfig, placeAccounts, validateConfig } from "../config";

/** Subscription IDs shaped like real ones: 00000000-0000-4000-8000-0000000000s1, ... */
export function generatedSubscriptionId(i: number): string {
    return `00000000-0000-4000-8000-${String(i + 1).padStart(12, "0")}`;
}

/**
 * A raw config of `accounts` accounts (cust0001...) over `subscriptions` subscriptions (shard01...), shared placement,
 * at Azure's default quotas unless `fhirServices` declares a quota Microsoft granted (FHIR services per subscription).
 */
export function generatedRawConfig(accounts: number, subscriptions: number, fhirServices?: number): RawConfig {
    return {
        location: "westeurope",
        tenantId: "72f988bf-0000-4000-8000-000000000001",
        placement: "shared",
        subscriptions: Array.from({ length: subscriptions }, (_, i) => ({
            name: `shard${String(i + 1).padStart(2, "0")}`,
            subscriptionId: generatedSubscriptionId(i),
            ...(fhirServices !== undefined ? { fhirServices } : {}),
        })),
        accounts: Array.from({ length: accounts }, (_, i) => ({ name: `cust${String(i + 1).padStart(4, "0")}` })),
    };
}

/** Deterministic shuffle (seeded LCG). */
export function shuffle<T>(items: readonly T[], seed: number): T[] {
    const out = [...items];
    let s = seed >>> 0;
    for (let i = out.length - 1; i > 0; i--) {
        s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
        const j = s % (i + 1);
        [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
}

export interface PlacementSummary {
    /** subscription -> { workspaces, fhirServices, quota } */
    subscriptions: { name: string; workspaces: number; fhirServices: number; quotaWorkspaces: number; quotaFhirServices: number }[];
    /** workspace group -> { subscription, members } */
    workspaces: { group: string; subscription: string; members: number; quota: number }[];
    withinQuotas: boolean;
}

export function summarize(cfg: PlatformConfig, result: PlacementResult): PlacementSummary {
    const groups = new Map<string, { subscription: string; members: number }>();
    for (const p of result.placements) {
        const g = groups.get(p.workspaceGroup) ?? { subscription: p.subscription, members: 0 };
        g.members++;
        groups.set(p.workspaceGroup, g);
    }
    const subscriptions = cfg.subscriptions.map((s) => {
        const mine = [...groups.values()].filter((g) => g.subscription === s.name);
        return {
            name: s.name,
            workspaces: mine.length,
            fhirServices: mine.reduce((n, g) => n + g.members, 0),
            quotaWorkspaces: s.workspaces,
            quotaFhirServices: s.fhirServices,
        };
    });
    const perWs = new Map(cfg.subscriptions.map((s) => [s.name, s.fhirServicesPerWorkspace]));
    const workspaces = [...groups.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([group, g]) => ({ group, subscription: g.subscription, members: g.members, quota: perWs.get(g.subscription)! }));
    const withinQuotas =
        result.problems.length === 0 &&
        subscriptions.every((s) => s.workspaces <= s.quotaWorkspaces && s.fhirServices <= s.quotaFhirServices) &&
        workspaces.every((w) => w.members <= w.quota);
    return { subscriptions, workspaces, withinQuotas };
}

/** The placement as a canonical string (account -> subscription/workspace, sorted), for comparison. */
export function canonical(result: PlacementResult): string {
    return JSON.stringify(result.lock.accounts);
}

/** The report's lines for `accounts` generated accounts over `subscriptions` subscriptions (quota: see generatedRawConfig). */
export function placementReport(accounts: number, subscriptions: number, fhirServices?: number): string[] {
    const raw = generatedRawConfig(accounts, subscriptions, fhirServices);
    const cfg = validateConfig(raw);
    const first = placeAccounts(cfg);
    const summary = summarize(cfg, first);
    const q = cfg.subscriptions[0];
    const lines: string[] = [];
    lines.push(
        `${accounts} accounts, ${subscriptions} subscriptions, placement: shared (quotas: ${q.fhirServicesPerWorkspace} FHIR/workspace, ` +
            `${q.workspaces} workspaces and ${q.fhirServices} FHIR/subscription${fhirServices !== undefined ? ", declared as granted" : ", Azure's defaults"})`,
    );
    for (const p of first.problems) lines.push(`problem: ${p.account ? `${p.account}: ` : ""}${p.message}`);
    lines.push("");
    lines.push("subscription  workspaces  FHIR services");
    for (const s of summary.subscriptions)
        lines.push(
            `${s.name.padEnd(12)}  ${`${s.workspaces}/${s.quotaWorkspaces}`.padStart(10)}  ` +
                `${`${s.fhirServices}/${s.quotaFhirServices}`.padStart(13)}`,
        );
    lines.push("");
    lines.push("workspace  subscription  FHIR services  first .. last account");
    for (const w of summary.workspaces) {
        const members = first.placements
            .filter((p) => p.workspaceGroup === w.group)
            .map((p) => p.account)
            .sort();
        lines.push(
            `${w.group.padEnd(9)}  ${w.subscription.padEnd(12)}  ${`${w.members}/${w.quota}`.padStart(13)}  ${members[0]} .. ` +
                `${members[members.length - 1]}`,
        );
    }
    lines.push("");
    lines.push(`problems: ${first.problems.length}; within quotas: ${summary.withinQuotas ? "yes" : "NO"}`);

    const lock = first.lock;
    const rawAccounts = raw.accounts as { name: string }[];
    for (const seed of [1, 2, 3]) {
        const order = shuffle(rawAccounts, seed);
        const again = placeAccounts(validateConfig({ ...raw, accounts: order }), lock);
        const noLock = placeAccounts(validateConfig({ ...raw, accounts: order }));
        lines.push(
            `shuffle seed ${seed} (first accounts ${order
                .slice(0, 3)
                .map((a) => a.name)
                .join(", ")}): ` +
                `with lock ${canonical(again) === canonical(first) ? "identical" : "DIFFERENT"}, ` +
                `without lock ${canonical(noLock) === canonical(first) ? "identical" : "DIFFERENT"}, moved accounts: ` +
                `${again.placements.filter((p) => lock.accounts[p.account].workspace !== p.workspaceGroup || lock.accounts[p.account].subscription !== p.subscription).length}`,
        );
    }
    return lines;
}
