/**
 * Rendering: a summary table (one row per account, one column per check), the diagnoses of failed accounts, and
 * the machine-readable JSON report. Everything printed passes through redact().
 */
import { CHECK_NAMES as CHECK_COLUMNS, type AccountResult } from "./check";
import { describeKey } from "./keys";
import { redact, redactDeep } from "./redact";

const MARK = { pass: "ok", fail: "FAIL", skip: "-" } as const;

export interface VerifyReport {
    stack?: string;
    credential: string;
    startedAt: string;
    durationMs: number;
    healthy: boolean;
    summary: { accounts: number; healthy: number; failed: number };
    accounts: AccountResult[];
}

export function buildReport(
    results: AccountResult[],
    meta: { stack?: string; credential: string; startedAt: Date; durationMs: number },
): VerifyReport {
    const healthy = results.filter((r) => r.healthy).length;
    return redactDeep({
        ...(meta.stack ? { stack: meta.stack } : {}),
        credential: meta.credential,
        startedAt: meta.startedAt.toISOString(),
        durationMs: meta.durationMs,
        healthy: healthy === results.length,
        summary: { accounts: results.length, healthy, failed: results.length - healthy },
        accounts: results,
    });
}

function pad(s: string, n: number): string {
    return s + " ".repeat(Math.max(0, n - s.length));
}

export function renderTable(results: AccountResult[]): string {
    const header = ["ACCOUNT", ...CHECK_COLUMNS.map((c) => c.toUpperCase()), "RESULT"];
    const rows = results.map((r) => {
        const cells = CHECK_COLUMNS.map((name) => {
            const c = r.checks.find((x) => x.name === name);
            return c ? MARK[c.status] : "-";
        });
        const result = r.healthy ? "healthy" : (r.diagnoses[0]?.summary ?? "failed");
        return [r.account, ...cells, result];
    });
    const widths = header.map((h, i) =>
        Math.max(h.length, ...rows.slice().map((row) => (i < row.length - 1 ? (row[i] as string).length : 0))),
    );
    const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : pad(c, widths[i] as number))).join("  ");
    return redact([line(header), ...rows.map(line)].join("\n"));
}

/**
 * The key section: per account, which key version its FHIR service uses, whether it is the latest enabled one, its
 * age and expiry (healthy accounts too: the point is to see rotation reach every service), and notes.
 */
export function renderKeys(results: AccountResult[]): string {
    const width = Math.max(...results.map((r) => r.account.length));
    const out = ["KEY VERSIONS (Azure Resource Manager)"];
    for (const r of results) {
        const check = r.checks.find((c) => c.name === "key");
        const line = r.key ? describeKey(r.key) : (check?.detail ?? "not checked");
        out.push(`  ${pad(r.account, width)}  ${pad(check ? MARK[check.status] : "-", 4)}  ${line}`);
        for (const note of r.key?.notes ?? []) out.push(`  ${pad("", width)}        · ${note}`);
    }
    return redact(out.join("\n"));
}

/** The smoke section (--smoke): per account, each part (export, convert, import) and what it found. */
export function renderSmoke(results: AccountResult[]): string {
    const width = Math.max(...results.map((r) => r.account.length));
    const out = ["SMOKE (--smoke: $export through the service's identity, $convert-data, import mode)"];
    for (const r of results) {
        if (!r.smoke) {
            const check = r.checks.find((c) => c.name === "smoke");
            out.push(`  ${pad(r.account, width)}  -     ${check?.detail ?? "not run"}`);
            continue;
        }
        r.smoke.forEach((p, i) => {
            out.push(`  ${pad(i === 0 ? r.account : "", width)}  ${pad(MARK[p.status], 4)}  ${pad(p.name, 7)}  ${p.detail}`);
        });
    }
    return redact(out.join("\n"));
}

export function renderDiagnoses(results: AccountResult[]): string {
    const out: string[] = [];
    for (const r of results.filter((x) => !x.healthy)) {
        out.push(`\n${r.account} (${r.fhirUrl})`);
        for (const d of r.diagnoses) {
            out.push(`  ✗ ${d.summary}`);
            for (const f of d.facts) out.push(`      · ${f}`);
            for (const rem of d.remedies) out.push(rem.startsWith("  ") ? `      ${rem}` : `    → ${rem}`);
        }
    }
    return redact(out.join("\n"));
}

export function renderSummary(report: VerifyReport): string {
    const s = report.summary;
    return (
        `${s.healthy}/${s.accounts} account(s) healthy${s.failed ? `, ${s.failed} failed` : ""} (${report.durationMs} ms, ` +
        `credential ${report.credential})`
    );
}
