/**
 * BENCHMARKS.md's real-engine section from `npm run bench:engine` runs: preview and up per size, the CPU split by
 * process, the CLI's profile and the targets. The section sits between markers that `npm run bench` keeps.
 */
import * as fs from "node:fs";
import { type CliProfile, type EngineCase, type EngineRun, GROW_BY, type ParallelWaits } from "./bench";
import { PROCESS_ROLES } from "./cpu";
import type { CrashResult } from "./crash";
import { ENGINE_END, ENGINE_START, keptBlock } from "../tools/bench/document";

export interface EngineBenchData {
    meta: EngineBenchMeta;
    runs: EngineRun[];
    crashes?: CrashResult[];
    parallel?: ParallelWaits;
}

export interface EngineBenchMeta {
    command: string;
    pulumi: string;
    node: string;
    cores: number;
    cpuModel: string;
    date: string;
    elapsedSeconds: number;
}

/** Targets for the real engine, policy pack on, on a quiet machine (BENCHMARKS.md). */
export const ENGINE_TARGETS = {
    previewAt100: 20,
    previewAt300: 60,
    previewGrowth100To300: 3.2,
    upAt100: 60,
};

/** The recommended accounts per stack (docs/SHARDING.md): where a first `up` with per-step checkpoints stays under a minute (32 s quiet; 25 accounts took 53 s, 40 took 101 s). */
export const SHARD_ACCOUNTS = 20;

const s1 = (x: number) => `${x.toFixed(1)} s`;

export function caseLabel(c: EngineCase): string {
    return `${c.command} ${c.accounts} accounts, checkpoints ${c.checkpoints}, pack ${c.pack ? "on" : "off"}`;
}

/** One line per run, for progress. */
export function formatRun(r: EngineRun): string {
    if (r.stoppedAtLimit) return `${caseLabel(r)}: stopped at the limit, ${s1(r.seconds)}`;
    const cpu = PROCESS_ROLES.filter((role) => r.cpu.seconds[role] >= 0.05)
        .map((role) => `${role} ${r.cpu.seconds[role].toFixed(1)}`)
        .join(", ");
    const save = r.cliProfile?.parts[0];
    return (
        `${caseLabel(r)}: ${s1(r.seconds)} wall, ${r.resources} resources, CPU ${r.cpu.totalSeconds.toFixed(1)} s (${cpu})` +
        `${save ? `; CLI saving snapshots ${save.seconds.toFixed(1)} s` : ""}; load ${r.load.before.toFixed(1)}-${r.load.max.toFixed(1)}`
    );
}

const key = (c: EngineCase) => `${c.command}|${c.accounts}|${c.checkpoints}|${c.pack}`;

/** The median run of each case (by wall time), in first-seen order, with the wall times of all its runs. */
export function medianRuns(runs: EngineRun[]): { run: EngineRun; all: number[] }[] {
    const groups = new Map<string, EngineRun[]>();
    for (const r of runs) groups.set(key(r), [...(groups.get(key(r)) ?? []), r]);
    return [...groups.values()].map((g) => {
        const sorted = [...g].sort((a, b) => a.seconds - b.seconds);
        return { run: sorted[Math.floor((sorted.length - 1) / 2)], all: g.map((r) => r.seconds) };
    });
}

function find(runs: EngineRun[], c: EngineCase): EngineRun | undefined {
    return medianRuns(runs).find((m) => key(m.run) === key(c))?.run;
}

/**
 * A run stopped at the time limit, estimated from smaller ones: its checkpoints-at-end run plus the largest finished
 * every-step run's extra time, scaled by the square of the resource count (the per-step snapshot grows with the stack
 * and is saved once or twice per step).
 */
export function extrapolate(runs: EngineRun[], stopped: EngineRun): { seconds: number; from: EngineRun } | undefined {
    const same = (r: EngineRun, checkpoints: EngineCase["checkpoints"]) =>
        r.command === stopped.command && r.pack === stopped.pack && r.checkpoints === checkpoints && !r.stoppedAtLimit;
    const atEnd = runs.find((r) => same(r, "at-end") && r.accounts === stopped.accounts);
    const from = runs.filter((r) => same(r, "every-step") && r.accounts < stopped.accounts).sort((a, b) => b.accounts - a.accounts)[0];
    const fromAtEnd = from && runs.find((r) => same(r, "at-end") && r.accounts === from.accounts);
    if (!atEnd || !from || !fromAtEnd) return undefined;
    const extra = (from.seconds - fromAtEnd.seconds) * (atEnd.resources / from.resources) ** 2;
    return { seconds: atEnd.seconds + extra, from };
}

function cell(r: EngineRun | undefined, runs: EngineRun[]): string {
    if (!r) return "–";
    if (!r.stoppedAtLimit) return s1(r.seconds);
    const e = extrapolate(runs, r);
    return `> ${(r.seconds / 60).toFixed(0)} min (stopped)${e ? `; ≈ ${(e.seconds / 60).toFixed(0)} min extrapolated (n² from ${e.from.accounts} accounts)` : ""}`;
}

function sizes(runs: EngineRun[]): number[] {
    return [...new Set(runs.map((r) => r.accounts))].sort((a, b) => a - b);
}

function commandTable(runs: EngineRun[], command: EngineCase["command"]): string[] {
    const cols: [string, Omit<EngineCase, "accounts" | "command">][] =
        command === "grow"
            ? [
                  ["every-step checkpoints (CLI default), pack", { checkpoints: "every-step", pack: true }],
                  ["checkpoints at end, pack", { checkpoints: "at-end", pack: true }],
              ]
            : command === "preview"
              ? [
                    ["**checkpoints at end, pack** (as CI runs it)", { checkpoints: "at-end", pack: true }],
                    ["checkpoints at end, no pack", { checkpoints: "at-end", pack: false }],
                    ["every-step checkpoints (CLI default), pack", { checkpoints: "every-step", pack: true }],
                ]
              : [
                    ["every-step checkpoints (CLI default), pack", { checkpoints: "every-step", pack: true }],
                    ["checkpoints at end, pack", { checkpoints: "at-end", pack: true }],
                    ["checkpoints at end, no pack", { checkpoints: "at-end", pack: false }],
                ];
    const lines = [
        `| accounts | resources | ${cols.map(([h]) => h).join(" | ")} | CLI CPU saving snapshots (every-step) |`,
        `|---:|---:|${cols.map(() => "---:").join("|")}|---:|`,
    ];
    for (const accounts of sizes(runs)) {
        const row = cols.map(([, c]) => find(runs, { command, accounts, ...c }));
        if (row.every((r) => !r)) continue;
        const resources = row.find((r) => r && !r.stoppedAtLimit)?.resources ?? 0;
        const everyStep = find(runs, { command, accounts, checkpoints: "every-step", pack: true });
        const save = everyStep?.cliProfile?.parts[0];
        lines.push(
            `| ${accounts} | ${resources.toLocaleString("en-US")} | ${row.map((r) => cell(r, runs)).join(" | ")} | ${save ? s1(save.seconds) : "–"} |`,
        );
    }
    return lines;
}

function cpuTable(runs: EngineRun[]): string[] {
    const roles = PROCESS_ROLES.filter((role) => runs.some((r) => r.cpu.seconds[role] >= 0.05));
    const lines = [
        `| command | accounts | checkpoints | pack | wall | CPU, all processes | ${roles.join(" | ")} | load before / max |`,
        `|---|---:|---|---|---:|---:|${roles.map(() => "---:").join("|")}|---|`,
    ];
    for (const { run: r } of medianRuns(runs)) {
        lines.push(
            `| ${r.command} | ${r.accounts} | ${r.checkpoints} | ${r.pack ? "on" : "off"} | ${s1(r.seconds)} | ${s1(r.cpu.totalSeconds)} | ` +
                `${roles.map((role) => r.cpu.seconds[role].toFixed(1)).join(" | ")} | ${r.load.before.toFixed(1)} / ${r.load.max.toFixed(1)} |`,
        );
    }
    return lines;
}

function profileTable(runs: EngineRun[]): string[] {
    const profiled = medianRuns(runs)
        .map((m) => m.run)
        .filter((r): r is EngineRun & { cliProfile: CliProfile } => r.cliProfile !== undefined && r.pack);
    const largest = Math.max(...profiled.filter((r) => r.accounts <= 100).map((r) => r.accounts));
    const shown = profiled.filter((r) => r.accounts === largest);
    if (!shown.length) return [];
    const head = shown.map((r) => `${r.command}, ${r.checkpoints}`);
    const lines = [
        `CLI CPU at ${largest} accounts (pack on), from \`go tool pprof -top -cum\` of \`--profiling\`; parts nest (indented ones are inside the one above):`,
        "",
        `| part of the CLI's work | ${head.join(" | ")} |`,
        `|---|${head.map(() => "---:").join("|")}|`,
        `| CLI CPU in the profile | ${shown.map((r) => s1(r.cliProfile.totalSeconds)).join(" | ")} |`,
    ];
    for (const [i, { part }] of shown[0].cliProfile.parts.entries()) {
        const label = part.startsWith("  ") ? `&nbsp;&nbsp;${part.trim()}` : part;
        lines.push(
            `| ${label} | ${shown.map((r) => `${s1(r.cliProfile.parts[i].seconds)} (${r.cliProfile.parts[i].share}%)`).join(" | ")} |`,
        );
    }
    return lines;
}

/**
 * The V8 profiles of every Node process (runs with --node-profile; processes of one role summed, e.g. one provider
 * process per explicit provider): the CPU each spent, not idle, where it went, and how much of it is this project's code.
 */
function nodeProfiles(runs: EngineRun[]): string[] {
    const lines: string[] = [];
    const ms = (v: number) => (v / 1000).toFixed(2);
    for (const r of runs) {
        if (!r.nodeProfiles?.length) continue;
        const roles = new Map<string, { processes: number; places: Map<string, number>; ours: Map<string, number> }>();
        for (const { role, summary } of r.nodeProfiles) {
            const entry = roles.get(role) ?? { processes: 0, places: new Map(), ours: new Map() };
            entry.processes++;
            for (const b of summary.byPlace) if (b.place !== "(idle)") entry.places.set(b.place, (entry.places.get(b.place) ?? 0) + b.ms);
            for (const o of summary.ours) entry.ours.set(o.place, (entry.ours.get(o.place) ?? 0) + o.ms);
            roles.set(role, entry);
        }
        lines.push(
            "",
            `V8 profiles of the Node processes, ${r.command} of ${r.accounts} accounts (\`--node-profile\`; CPU not idle, in seconds; ` +
                "the profiler adds its own overhead):",
            "",
            "| process | processes | CPU | garbage collector | largest other parts | this project's code |",
            "|---|---:|---:|---:|---|---|",
        );
        for (const [role, e] of [...roles].sort((x, y) => sum(y[1].places) - sum(x[1].places))) {
            const others = [...e.places].filter(([p]) => p !== "(garbage collector)").sort((x, y) => y[1] - x[1]);
            const ours = [...e.ours].filter(([, v]) => v > 0).map(([p, v]) => `${p} ${ms(v)}`);
            lines.push(
                `| ${role} | ${e.processes} | ${ms(sum(e.places))} | ${ms(e.places.get("(garbage collector)") ?? 0)} | ` +
                    `${others
                        .slice(0, 5)
                        .map(([p, v]) => `${p} ${ms(v)}`)
                        .join(", ")} | ${ours.join(", ") || "–"} |`,
            );
        }
    }
    return lines;
}

function sum(m: Map<string, number>): number {
    let total = 0;
    for (const v of m.values()) total += v;
    return total;
}

interface TargetCheck {
    name: string;
    ok: boolean | undefined;
    detail: string;
}

export function engineTargets(runs: EngineRun[]): TargetCheck[] {
    const preview = (n: number) => find(runs, { command: "preview", accounts: n, checkpoints: "at-end", pack: true });
    const up = (n: number, checkpoints: EngineCase["checkpoints"]) => find(runs, { command: "up", accounts: n, checkpoints, pack: true });
    const p100 = preview(100);
    const p300 = preview(300);
    const t = ENGINE_TARGETS;
    const checks: TargetCheck[] = [
        {
            name: "`pulumi preview` at 100 accounts (pack on, checkpoints at end)",
            ok: p100 && p100.seconds <= t.previewAt100,
            detail: p100 ? `${s1(p100.seconds)} (target ≤ ${t.previewAt100} s)` : "not measured",
        },
        {
            name: "`pulumi preview` at 300 accounts",
            ok: p300 && p300.seconds <= t.previewAt300,
            detail: p300 ? `${s1(p300.seconds)} (target ≤ ${t.previewAt300} s)` : "not measured",
        },
        {
            name: "`pulumi preview` growth 100 → 300",
            ok: p100 && p300 && p300.seconds / p100.seconds <= t.previewGrowth100To300,
            detail:
                p100 && p300
                    ? `×${(p300.seconds / p100.seconds).toFixed(2)} for ×${(p300.resources / p100.resources).toFixed(2)} resources (target ≤ ×${t.previewGrowth100To300})`
                    : "not measured",
        },
    ];
    for (const mode of ["every-step", "at-end"] as const) {
        const u = up(100, mode);
        checks.push({
            name: `engine's own cost of \`pulumi up\` at 100 accounts, checkpoints ${mode}, file backend`,
            ok: u && !u.stoppedAtLimit && u.seconds <= t.upAt100,
            detail: u ? `${s1(u.seconds)} (target ≤ ${t.upAt100} s)` : "not measured",
        });
    }
    // The shard size docs/SHARDING.md recommends, with the checkpoints `up` keeps.
    const shardUp = up(SHARD_ACCOUNTS, "every-step");
    checks.push({
        name: `engine's own cost of \`pulumi up\` at the recommended shard size (${SHARD_ACCOUNTS} accounts), checkpoints every-step`,
        ok: shardUp && !shardUp.stoppedAtLimit && shardUp.seconds <= t.upAt100,
        detail: shardUp ? `${s1(shardUp.seconds)} (target ≤ ${t.upAt100} s)` : "not measured",
    });
    const shardPreview = preview(SHARD_ACCOUNTS);
    checks.push({
        name: `\`pulumi preview\` at the recommended shard size (${SHARD_ACCOUNTS} accounts)`,
        ok: shardPreview && shardPreview.seconds <= t.previewAt100,
        detail: shardPreview ? `${s1(shardPreview.seconds)} (target ≤ ${t.previewAt100} s)` : "not measured",
    });
    return checks;
}

function crashTable(crashes: CrashResult[]): string[] {
    if (!crashes.length) return ["_Not measured in this run._"];
    const a = crashes[0];
    const lines = [
        `A first \`pulumi up --yes --skip-preview\` of ${a.accounts} accounts (${a.azureResources} Azure resources), stopped by a signal ` +
            `once ${Math.round(a.at * 100)}% of them exist; then the state (\`pulumi stack export\`) against "Azure" (the fake ARM ` +
            "table, after the providers finished what they were doing), the same `up` run again, and the recovery docs/runbook.md " +
            "describes (step 7):",
        "",
        "| checkpoints | signal | CLI | in Azure | in the state | pending operations | in Azure, unknown to the state | `up` run again | recovery | after it |",
        "|---|---|---|---:|---:|---:|---:|---|---|---|",
    ];
    for (const c of crashes) {
        const orphanTypes = Object.entries(c.orphansByType)
            .sort((x, y) => y[1] - x[1])
            .map(([t, n]) => `${n} ${t.split(":").pop()}`)
            .join(", ");
        const rerun = c.rerun.code === 0 ? "succeeds" : (c.rerun.firstError ?? `exit ${c.rerun.code}`).replace(/\|/g, "\\|").slice(0, 90);
        const after = c.recovery.stateMatchesAzure
            ? "state = Azure"
            : `${c.recovery.orphansLeft} still unknown to the state; \`up\`: ${(c.recovery.firstError ?? `exit ${c.recovery.upCode}`).replace(/\|/g, "\\|").slice(0, 120)}`;
        lines.push(
            `| ${c.checkpoints} | ${c.signal} | ${c.exit} after ${s1(c.stoppedAfterSeconds)} | ${c.inAzure} | ${c.inState} | ${c.pendingOperations} | ` +
                `**${c.orphans}**${orphanTypes ? ` (${orphanTypes})` : ""} | ${rerun} | ${c.recovery.commands.join("; ")}` +
                `${c.recovery.importPendingCreatesWorked === false ? " (`--import-pending-creates` imported none of them)" : ""} | ${after} |`,
        );
    }
    return lines;
}

function parallelLine(p: ParallelWaits | undefined): string[] {
    if (!p) return ["_Not measured in this run._"];
    return [
        `\`up\` of ${p.accounts} accounts with an RBAC wait of ${p.waitSeconds} s (checkpoints at end, no pack): ${s1(p.defaultSeconds)} with ` +
            `the CLI's default \`--parallel\` (${p.defaultWorkers} here: 4 × cores), ${s1(p.unboundedSeconds)} with \`--parallel 2147483647\`. ` +
            `A step holds one worker until its provider answers, so ${p.accounts} waits take about ⌈${p.accounts}/${p.defaultWorkers}⌉ × ` +
            `${p.waitSeconds} s = ${Math.ceil(p.accounts / p.defaultWorkers) * p.waitSeconds} s with the default.`,
    ];
}

export function renderEngineSection(d: EngineBenchData): string {
    const { meta: m, runs } = d;
    const maxLoad = Math.max(...runs.map((r) => r.load.max));
    return [
        `## The real engine: \`pulumi preview\` and \`pulumi up\` at ${sizes(runs).join(", ")} accounts`,
        "",
        `- Command: \`${m.command}\` (${runs.length} runs, ${(m.elapsedSeconds / 60).toFixed(0)} minutes); ${m.date}`,
        `- ${m.pulumi} built from Go modules (engine/go.mod), ${m.cores} cores (${m.cpuModel}), Node ${m.node}; highest 1-minute load ` +
            `average during a run: ${maxLoad.toFixed(1)}`,
        "- Each run: a fresh stack of N generated accounts (tools/bench/generate.ts) in its own project directory, file " +
            "backend (`PULUMI_BACKEND_URL=file://…`) and fake ARM table; fake `azure-native`/`random` providers that answer " +
            "at once and an RBAC wait of 0 s, so the figures are the engine's own cost, the part Azure's latency does not " +
            "hide; `--parallel` left at the CLI's default (4 × cores). `up` is `pulumi up --yes --skip-preview`, as " +
            "pulumi/actions runs it (the Automation API's `up`). Checkpoints: **every-step** is the CLI's default (the whole " +
            "snapshot serialized, integrity-checked and written after every step); **at-end** is " +
            "`PULUMI_SKIP_CHECKPOINTS=true` (saved once, when the run ends). CPU is sampled per process from /proc every " +
            "100 ms (engine/cpu.ts); the CLI's profile comes from its own `--profiling`.",
        "",
        "### `pulumi preview` (a stack never deployed: everything to create)",
        "",
        ...commandTable(runs, "preview"),
        "",
        "### `pulumi up --yes --skip-preview` (the engine's own cost)",
        "",
        ...commandTable(runs, "up"),
        "",
        `### \`pulumi up\` of ${GROW_BY} accounts added to a deployed stack of N (a day-2 change)`,
        "",
        "Steps that change nothing write no checkpoint (pkg/v3 backend/snapshot.go, sameSnapshotMutation.mustWrite): only " +
            "the new accounts' steps save the whole snapshot. Resources: created by this `up`.",
        "",
        ...commandTable(runs, "grow"),
        "",
        "### Where the CPU goes",
        "",
        ...cpuTable(runs),
        "",
        ...profileTable(runs),
        ...nodeProfiles(runs),
        "",
        "### A crash in the middle of `up`",
        "",
        ...crashTable(d.crashes ?? []),
        "",
        "### `--parallel` and the RBAC wait",
        "",
        ...parallelLine(d.parallel),
        "",
        "### Targets (real engine)",
        "",
        "| target | met | measured |",
        "|---|---|---|",
        ...engineTargets(runs).map((c) => `| ${c.name} | ${c.ok === undefined ? "–" : c.ok ? "yes" : "**no**"} | ${c.detail} |`),
    ].join("\n");
}

/** Replaces the real-engine section of `file` (or puts it after the title block when there is none). */
export function updateBenchmarksMd(file: string, d: EngineBenchData): void {
    const block = `${ENGINE_START}\n${renderEngineSection(d)}\n${ENGINE_END}`;
    const previous = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "# Benchmarks\n";
    let next: string;
    if (keptBlock(previous, ENGINE_START, ENGINE_END) !== undefined) {
        next = previous.slice(0, previous.indexOf(ENGINE_START)) + block + previous.slice(previous.indexOf(ENGINE_END) + ENGINE_END.length);
    } else {
        const at = previous.indexOf("\n## ");
        next = at >= 0 ? `${previous.slice(0, at)}\n${block}\n${previous.slice(at)}` : `${previous}\n${block}\n`;
    }
    fs.writeFileSync(file, next);
}
