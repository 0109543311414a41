/** Renders bench results: the BENCHMARKS.md text and a hand-written SVG plot (time and memory against accounts). */
import { formatSteps } from "./graph";
import { HOST_MODES, type HostMode } from "./host";
import type { SizeResult } from "./measure";
import type { ProfileSummary } from "./profile";

export interface Machine {
    cpuModel: string;
    cores: number;
    memoryGiB: number;
    node: string;
    platform: string;
    date: string;
    command: string;
    /** How the program was loaded in the children. */
    loader: string;
}

export interface Targets {
    growthMax: number;
    growthFrom: number;
    growthTo: number;
    /** The critical paths an account may have (after its resource group): with export storage, and without. */
    criticalPaths: string[][][];
    /** The policy pack over the captured stack at `policyAt` accounts: at most this long (issue 11). */
    policyMaxMs: number;
    policyAt: number;
    /** Language host, project's setup ("after"), program plus policy pack: at most this long at these sizes (issue 14). */
    hostMaxMs: [accounts: number, ms: number][];
    hostRssAt: number;
    hostRssMaxBytes: number;
}

/**
 * The targets. Critical path (after the resource group): vault → key → grant → wait → FHIR service; with export
 * storage, the storage (encrypted with the key at creation) and its blob grant sit between the wait and the service.
 */
export const TARGETS: Targets = {
    growthMax: 3.2,
    growthFrom: 100,
    growthTo: 300,
    criticalPaths: [
        [
            ["keyvault:Vault"],
            ["keyvault:Key"],
            ["authorization:RoleAssignment"],
            ["dynamic:RbacPropagationWait"],
            ["storage:StorageAccount"],
            ["authorization:RoleAssignment"],
            ["healthcareapis:FhirService"],
        ],
        [
            ["keyvault:Vault"],
            ["keyvault:Key"],
            ["authorization:RoleAssignment"],
            ["dynamic:RbacPropagationWait"],
            ["healthcareapis:FhirService"],
        ],
    ],
    policyMaxMs: 5000,
    policyAt: 300,
    hostMaxMs: [
        [100, 10_000],
        [300, 30_000],
    ],
    hostRssAt: 300,
    hostRssMaxBytes: 2 * 2 ** 30,
};

export const s1 = (ms: number) => (ms / 1000).toFixed(2);
export const mb = (bytes: number) => Math.round(bytes / 2 ** 20).toString();
const r2 = (x: number) => x.toFixed(2);

export interface TargetCheck {
    name: string;
    ok: boolean;
    detail: string;
}

/** The critical path without its common prelude (account resource group ∥ random suffix, which identity and vault both need). */
export function pathAfterPrelude(steps: string[][]): string[][] {
    return steps.filter((s) => !s.every((t) => t === "resources:ResourceGroup" || t === "random:RandomString"));
}

export function checkTargets(results: SizeResult[], t: Targets = TARGETS): TargetCheck[] {
    const by = new Map(results.map((r) => [r.accounts, r]));
    const checks: TargetCheck[] = [];
    const a = by.get(t.growthFrom);
    const b = by.get(t.growthTo);
    if (a && b) {
        checks.push(
            growthCheck(
                `program growth ${t.growthFrom} → ${t.growthTo}`,
                [a.program.wallMs.median, b.program.wallMs.median],
                [a.program.peakRssBytes.median, b.program.peakRssBytes.median],
                t,
            ),
        );
    }
    const atPolicy = by.get(t.policyAt)?.program.policy;
    if (atPolicy) {
        checks.push({
            name: `policy pack at ${t.policyAt} accounts`,
            ok: atPolicy.wallMs.median <= t.policyMaxMs,
            detail:
                `${s1(atPolicy.wallMs.median)} s (target ≤ ${s1(t.policyMaxMs)} s); ${atPolicy.mandatory} mandatory, ` +
                `${atPolicy.advisory} advisory violations`,
        });
    }
    if (a?.program.policy && b?.program.policy) {
        const gt = b.program.policy.wallMs.median / a.program.policy.wallMs.median;
        const gr = (b.program.custom + b.program.components) / (a.program.custom + a.program.components);
        checks.push({
            name: `policy pack growth ${t.growthFrom} → ${t.growthTo}`,
            ok: gt <= t.growthMax,
            detail: `time ×${r2(gt)} for ×${r2(gr)} resources (target ≤ ×${r2(t.growthMax)})`,
        });
    }
    checks.push(...hostChecks(results, t));
    const worst = results.flatMap((r) => r.analysis.criticalPaths.map((p) => p.steps));
    const okPath = worst.every((steps) =>
        t.criticalPaths.some((target) => JSON.stringify(pathAfterPrelude(steps)) === JSON.stringify(target)),
    );
    checks.push({ name: "critical path", ok: okPath && worst.length > 0, detail: [...new Set(worst.map(formatSteps))].join("; ") });
    const cross = results.reduce((n, r) => n + r.analysis.crossAccountEdges.length, 0);
    checks.push({
        name: "no cross-account dependencies",
        ok: cross === 0,
        detail: `${cross} edges from one account's resources to another's`,
    });
    return checks;
}

/** Time and peak RSS from `growthFrom` to `growthTo` accounts, each within `growthMax`. */
function growthCheck(name: string, time: [number, number], rss: [number, number], t: Targets, what = ""): TargetCheck {
    const gt = time[1] / time[0];
    const gm = rss[1] / rss[0];
    return {
        name,
        ok: gt <= t.growthMax && gm <= t.growthMax,
        detail: `time ×${r2(gt)}, peak RSS ×${r2(gm)}${what} (target ≤ ×${r2(t.growthMax)})`,
    };
}

/** The language host's targets, on the project's own setup ("after"). */
export function hostChecks(results: SizeResult[], t: Targets = TARGETS): TargetCheck[] {
    const after = (n: number) => results.find((r) => r.accounts === n)?.host?.after;
    const checks: TargetCheck[] = [];
    for (const [n, maxMs] of t.hostMaxMs) {
        const h = after(n);
        if (!h) continue;
        checks.push({
            name: `language host at ${n} accounts: program + policy pack`,
            ok: h.totalMs.median <= maxMs,
            detail: `${s1(h.totalMs.median)} s (program ${s1(h.programMs.median)} s + pack ${s1(h.packMs.median)} s; target ≤ ${s1(maxMs)} s)`,
        });
    }
    const atRss = after(t.hostRssAt);
    if (atRss) {
        checks.push({
            name: `language host peak RSS at ${t.hostRssAt} accounts`,
            ok: atRss.peakRssBytes.median <= t.hostRssMaxBytes,
            detail: `${mb(atRss.peakRssBytes.median)} MiB (target ≤ ${mb(t.hostRssMaxBytes)} MiB)`,
        });
    }
    const a = after(t.growthFrom);
    const b = after(t.growthTo);
    if (a && b) {
        checks.push(
            growthCheck(
                `language host growth ${t.growthFrom} → ${t.growthTo}`,
                [a.totalMs.median, b.totalMs.median],
                [a.peakRssBytes.median, b.peakRssBytes.median],
                t,
                ` for ×${r2(b.resources / a.resources)} resources`,
            ),
        );
    }
    return checks;
}

const HOST_SETUP_NAMES: Record<HostMode, string> = {
    before: "before (type-checked, SDK promise stacks)",
    after: "after (Pulumi.yaml as committed)",
    compiled: "compiled JavaScript (not chosen)",
};

/** Per size and setup: process start to program done, the pack, their sum, peak RSS; and the speed-up of each setup. */
export function hostTable(results: SizeResult[]): string {
    const head =
        "| accounts | setup | ts-node | startup (s) | entry loaded (s) | program done (s) | policy pack (s) | **program + pack (s)** | " +
        "min–max (s) | peak RSS (MiB) | vs before |\n|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|";
    const rows: string[] = [];
    for (const r of results) {
        const before = r.host?.before;
        for (const mode of HOST_MODES) {
            const h = r.host?.[mode];
            if (!h) continue;
            const tsNode = h.transpileOnly === null ? "none" : h.transpileOnly ? "transpile only" : "type check";
            rows.push(
                `| ${r.accounts} | ${HOST_SETUP_NAMES[mode]} | ${tsNode} | ${s1(h.startupMs)} | ${s1(h.entryMs)} | ` +
                    `${s1(h.programMs.median)} | ${s1(h.packMs.median)} | **${s1(h.totalMs.median)}** | ` +
                    `${s1(h.totalMs.min)}–${s1(h.totalMs.max)} | ${mb(h.peakRssBytes.median)} | ` +
                    `${before && mode !== "before" ? `×${r2(before.totalMs.median / h.totalMs.median)} faster` : "–"} |`,
            );
        }
    }
    return [head, ...rows].join("\n");
}

export function resultsTable(results: SizeResult[]): string {
    const head =
        "| accounts | subs / workspaces | resources (custom + components) | per account (custom + components) | time (s) | " +
        "policy pack (s) | peak RSS (MiB) | heap committed (MiB) | critical path | cross-account deps |\n" +
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|";
    const rows = results.map((r) => {
        const a = r.analysis;
        const perAccount =
            `${a.customPerAccount.min === a.customPerAccount.max ? a.customPerAccount.min : `${a.customPerAccount.min}–${a.customPerAccount.max}`} ` +
            `(avg ${r2(a.customPerAccount.total / r.accounts)}) + ${a.componentsPerAccount.max}`;
        return (
            `| ${r.accounts} | ${r.subscriptions} / ${r.workspaces} | ${r.program.custom + r.program.components} ` +
            `(${r.program.custom} + ${r.program.components}) | ${perAccount} | ${s1(r.program.wallMs.median)} | ` +
            `${r.program.policy ? s1(r.program.policy.wallMs.median) : "–"} | ${mb(r.program.peakRssBytes.median)} | ` +
            `${mb(r.program.heapTotalBytes.median)} | ${a.longestCriticalPath} | ${a.crossAccountEdges.length} |`
        );
    });
    return [head, ...rows].join("\n");
}

export function spreadTable(results: SizeResult[]): string {
    const head =
        "| accounts | time min–max (s) | policy pack min–max (s) | peak RSS min–max (MiB) | RSS before the run (MiB) |\n" +
        "|---:|---:|---:|---:|---:|";
    const policy = (r: SizeResult) => (r.program.policy ? `${s1(r.program.policy.wallMs.min)}–${s1(r.program.policy.wallMs.max)}` : "–");
    return [
        head,
        ...results.map(
            (r) =>
                `| ${r.accounts} | ${s1(r.program.wallMs.min)}–${s1(r.program.wallMs.max)} | ${policy(r)} | ` +
                `${mb(r.program.peakRssBytes.min)}–${mb(r.program.peakRssBytes.max)} | ${mb(r.program.rssBeforeBytes)} |`,
        ),
    ].join("\n");
}

export function profileTable(p: ProfileSummary, rows = 10): string {
    return [
        `Timed window: ${s1(p.totalMs)} s of samples. This project's own code: ` +
            `${p.ours.map((o) => `${o.place} ${Math.round(o.ms)} ms (${o.share}%)`).join(", ")}.`,
        "",
        "| where (self time) | ms | share |",
        "|---|---:|---:|",
        ...p.byPlace.slice(0, rows).map((x) => `| ${x.place} | ${Math.round(x.ms)} | ${x.share}% |`),
        "",
        "| hottest functions (self time) | ms | share |",
        "|---|---:|---:|",
        ...p.topFunctions.slice(0, rows).map((x) => `| \`${x.fn}\` | ${Math.round(x.ms)} | ${x.share}% |`),
        "",
        "| inclusive time of | ms | share |",
        "|---|---:|---:|",
        ...p.inclusive.map((x) => `| \`${x.fn}\` | ${Math.round(x.ms)} | ${x.share}% |`),
    ].join("\n");
}

function escapeXml(s: string): string {
    return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function niceMax(x: number): number {
    if (x <= 0) return 1;
    const p = 10 ** Math.floor(Math.log10(x));
    return [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10].map((m) => m * p).find((v) => v >= x)!;
}

/** Two panels: median wall time (s) and median peak RSS (MiB) of the program against accounts. */
export function renderSvg(results: SizeResult[], title: string): string {
    const W = 940;
    const H = 380;
    const panelW = 380;
    const panelH = 260;
    const top = 60;
    const xs = results.map((r) => r.accounts);
    const xMax = niceMax(Math.max(...xs));
    const panels = [
        { x0: 70, label: "wall time (s)", get: (r: SizeResult, m: "program") => r[m].wallMs.median / 1000 },
        {
            x0: 70 + panelW + 70,
            label: "peak RSS (MiB)",
            get: (r: SizeResult, m: "program") => r[m].peakRssBytes.median / 2 ** 20,
        },
    ];
    const series = [{ mode: "program" as const, color: "#1f6feb", dash: "", name: "program (components)" }];
    const out: string[] = [
        `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" ` +
            `font-size="12">`,
        `<rect width="${W}" height="${H}" fill="white"/>`,
        `<text x="${W / 2}" y="24" text-anchor="middle" font-size="15">${escapeXml(title)}</text>`,
    ];
    for (const p of panels) {
        const yMax = niceMax(Math.max(...results.flatMap((r) => series.map((s) => p.get(r, s.mode)))));
        const sx = (x: number) => p.x0 + (x / xMax) * panelW;
        const sy = (y: number) => top + panelH - (y / yMax) * panelH;
        out.push(`<g><rect x="${p.x0}" y="${top}" width="${panelW}" height="${panelH}" fill="none" stroke="#999"/>`);
        for (let i = 0; i <= 5; i++) {
            const yv = (yMax * i) / 5;
            const xv = (xMax * i) / 5;
            out.push(`<line x1="${p.x0}" x2="${p.x0 + panelW}" y1="${sy(yv)}" y2="${sy(yv)}" stroke="#eee"/>`);
            out.push(`<text x="${p.x0 - 6}" y="${sy(yv) + 4}" text-anchor="end">${+yv.toFixed(1)}</text>`);
            out.push(`<text x="${sx(xv)}" y="${top + panelH + 16}" text-anchor="middle">${+xv.toFixed(0)}</text>`);
        }
        out.push(`<text x="${p.x0 + panelW / 2}" y="${top + panelH + 34}" text-anchor="middle">accounts</text>`);
        out.push(`<text x="${p.x0}" y="${top - 8}">${escapeXml(p.label)}</text>`);
        for (const s of series) {
            const pts = results.map((r) => `${sx(r.accounts).toFixed(1)},${sy(p.get(r, s.mode)).toFixed(1)}`);
            out.push(
                `<polyline points="${pts.join(" ")}" fill="none" stroke="${s.color}" ` +
                    `stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ""}/>`,
            );
            for (const r of results)
                out.push(
                    `<circle cx="${sx(r.accounts).toFixed(1)}" cy="${sy(p.get(r, s.mode)).toFixed(1)}" r="3" ` +
                        `fill="${s.color}"><title>${s.name}, ${r.accounts} accounts: ${p.get(r, s.mode).toFixed(1)}</title></circle>`,
                );
        }
        out.push("</g>");
    }
    series.forEach((s, i) => {
        const y = H - 14;
        const x = 70 + i * 220;
        out.push(
            `<line x1="${x}" x2="${x + 30}" y1="${y - 4}" y2="${y - 4}" stroke="${s.color}" ` +
                `stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ""}/>`,
        );
        out.push(`<text x="${x + 36}" y="${y}">${escapeXml(s.name)}</text>`);
    });
    out.push("</svg>");
    return `${out.join("\n")}\n`;
}
