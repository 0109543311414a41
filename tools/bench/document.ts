/** BENCHMARKS.md and docs/benchmark.svg from bench results. The findings section, written by people, survives re-runs. */
import { AHDS_DEFAULT_QUOTAS as Q } from "../../azure";
import { formatSteps, shortType } from "./graph";
import type { SizeResult } from "./measure";
import type { ProfileSummary } from "./profile";
import { type Machine, TARGETS, checkTargets, hostTable, profileTable, renderSvg, resultsTable, spreadTable } from "./report";

export const FINDINGS_START = "<!-- findings:start (kept by npm run bench) -->";
export const FINDINGS_END = "<!-- findings:end -->";
/** The real engine's section, written by `npm run bench:engine` (engine/benchReport.ts) and kept here. */
export const ENGINE_START = "<!-- engine:start (written by npm run bench:engine) -->";
export const ENGINE_END = "<!-- engine:end -->";

/** The text between two markers of a previous BENCHMARKS.md (markers excluded), if any. */
export function keptBlock(previous: string | undefined, start: string, end: string): string | undefined {
    if (!previous) return undefined;
    const a = previous.indexOf(start);
    const b = previous.indexOf(end);
    return a >= 0 && b > a ? previous.slice(a + start.length, b).trim() : undefined;
}

/** The hand-written findings of a previous BENCHMARKS.md, if any. */
export function keptFindings(previous: string | undefined): string | undefined {
    return keptBlock(previous, FINDINGS_START, FINDINGS_END);
}

export interface BenchDocument {
    results: SizeResult[];
    machine: Machine;
    profiles: { accounts: number; what?: string; summary: ProfileSummary }[];
    elapsedMs: number;
    previous?: string;
}

export function renderBenchmarksMd(d: BenchDocument): string {
    const { results, machine: m } = d;
    const checks = checkTargets(results);
    const last = results[results.length - 1];
    const paths = new Map<string, { accounts: number; example: SizeResult["analysis"]["criticalPaths"][number]["example"] }>();
    for (const r of results) {
        for (const p of r.analysis.criticalPaths) {
            const k = formatSteps(p.steps);
            const prev = paths.get(k);
            paths.set(k, { accounts: (prev?.accounts ?? 0) + p.accounts, example: prev?.example ?? p.example });
        }
    }
    const engine = keptBlock(d.previous, ENGINE_START, ENGINE_END);
    const lines = [
        "# Benchmarks: the stack from 1 to 300 accounts",
        "",
        "What a platform engineer waits for first: the real `pulumi preview` and `pulumi up` (written by `npm run bench:engine`, " +
            "engine/bench.ts). Then the program under the SDK's mocks, as the language host runs it and against a flat baseline " +
            "(written by `npm run bench`, scripts/bench.ts): where the program's own time goes. The findings section is written by " +
            "hand and kept across runs of both.",
        "",
        ENGINE_START,
        engine ?? "_`npm run bench:engine` has not been run here yet._",
        ENGINE_END,
        "",
        "# The program under the SDK's mocks (`npm run bench`)",
        "",
        "## Machine and command",
        "",
        `- Machine: ${m.cores} cores, ${m.memoryGiB} GiB memory, CPU ${m.cpuModel}, ${m.platform}`,
        `- Node ${m.node}; @pulumi/pulumi in mock mode (\`pulumi.runtime.setMocks\`); programs loaded through ${m.loader}`,
        `- Command: \`${m.command}\` (repetitions per size and mode: ${results.map((r) => `${r.reps} at ${r.accounts}`).join(", ")}; ` +
            `median shown; whole run ${(d.elapsedMs / 1000).toFixed(0)} s)`,
        `- Date: ${m.date}`,
        "",
        ...(results.some((r) => r.host)
            ? [
                  "## The program as `pulumi preview` runs it (language host mode)",
                  "",
                  "Each row: a fresh Node process set up as @pulumi/pulumi's `cmd/run` sets up a program " +
                      "(`tools/bench/hostChild.js` through `tools/bench/languageHost.js`: `source-map-support`, then ts-node with the tsconfig the host is given, type-checking " +
                      "unless that file's own `compilerOptions.noCheck` or PULUMI_NODEJS_TRANSPILE_ONLY says otherwise, and the node " +
                      "arguments of `runtime.options.nodeargs`), which loads the entry point `index.ts` under the SDK's mocks with the " +
                      "generated stack's config, then runs the policy pack over what it registered. Times count from the process's " +
                      "start: **startup** (Node, SDK, ts-node, and the mock harness and policy pack, precompiled so a type-checking setup pays only for the program, as under the real host where the pack runs in the analyzer), **entry loaded** (every module of the program loaded, compiled, " +
                      "type-checked if so, every resource constructed), **program done** (every registration answered, outputs " +
                      "resolved). The engine's own work (diffing, the providers, the analyzer's gRPC round trips) is not in these " +
                      "figures: see the engine's figures in the findings.",
                  "",
                  "- **before**: the project before the preview-speed work: no runtime tsconfig (ts-node type-checks with " +
                      "tsconfig.json), the SDK's per-promise debug stacks captured and source-mapped.",
                  "- **after**: the project as committed: `runtime.options.tsconfig: tsconfig.pulumi.json` (`noCheck`), and " +
                      "`program/sdkStacks.ts` (index.ts skips the SDK's per-promise stacks; real errors keep theirs).",
                  "- **compiled JavaScript**: the alternative measured and not chosen: the project compiled by tsc with source " +
                      "maps and run without ts-node (`main` pointing at the output), same node arguments.",
                  "",
                  hostTable(results),
                  "",
              ]
            : []),
        "## What is measured (the program under the SDK's mocks)",
        "",
        "- **program**: the real stack program (`defineStack`: config parsing and validation, placement, `FhirPlatform`, one " +
            "`FhirAccount` per account with its components) run by `harness/runStack.ts` under the SDK's mocks. (A hand-written " +
            "flat copy of the program once served as a baseline: the components cost 1.06-1.10 of it in time and 1.00-1.01 in " +
            "peak RSS at 100 and 300 accounts; see the findings. It was removed when the components became a package.)",
        "- Generated stacks (`tools/bench/generate.ts`): N accounts with varied options (RSA 2048/3072, export on for 3 in 4, import " +
            "for 1 in 5, SMART identity providers + CORS for 1 in 3, 0–3 FHIR data-plane grants, 1 in 10 private behind a workspace private " +
            `endpoint, tags). Placement **shared** with Azure's default quotas (${Q.fhirServicesPerWorkspace} FHIR services per workspace, ` +
            `${Q.workspacesPerSubscription} workspaces and ${Q.fhirServicesPerSubscription} FHIR services per subscription), and as many ` +
            `subscriptions as placement needs (one per ${Q.fhirServicesPerSubscription} accounts); no quota raised.`,
        "- Each measurement runs in a fresh Node process (`tools/bench/child.ts`) after the SDK and the program are loaded; the " +
            "clock covers the program run until every registration has been answered and the stack outputs resolved. Peak RSS is " +
            '`process.resourceUsage().maxRSS` (includes Node, ts-node and the SDK: see "RSS before the run"); heap is what V8 has ' +
            "committed at the end of the run (`process.memoryUsage().heapTotal`; V8 seldom gives heap back mid-run, so it is close to the " +
            "peak). A sampled peak of `heapUsed` is kept in the JSON output (`--json`) but not shown: the program runs almost entirely in " +
            "promise callbacks, so a timer-based sampler rarely gets to run.",
        "- **policy pack**: `runPolicyPack` (harness/policyRunner.ts: every resource and stack policy of the CrossGuard pack, default " +
            "config, as `npm run plan` and the analyzer run them) over the stack the program captured, timed in the same child process " +
            "right after the program's figures are taken (and a garbage collection), so it adds nothing to the program's time or memory " +
            "columns.",
        "- Critical path: from the captured dependency graph (dependencies and property dependencies, a dependency on a component " +
            "expanded to its custom resources), the longest chain of custom resources ending at each account's FHIR service. " +
            "Cross-account check: every dependency of a resource under one `FhirAccount` onto a resource under another.",
        "",
        "## Results (program under mocks)",
        "",
        resultsTable(results),
        "",
        "Spread over the repetitions, and the memory floor every run starts from:",
        "",
        spreadTable(results),
        "",
        "![time and memory against accounts](docs/benchmark.svg)",
        "",
        "## Targets",
        "",
        "| target | met | measured |",
        "|---|---|---|",
        ...checks.map((c) => `| ${c.name} | ${c.ok ? "yes" : "**no**"} | ${c.detail.replace(/\|/g, "\\|")} |`),
        "",
        "## Critical path per account",
        "",
        `Target: identity ∥ vault → key → grant → wait → (export storage → blob grant →) FHIR service, i.e. after the account's ` +
            `resource group: ${TARGETS.criticalPaths.map(formatSteps).join("; or without storage: ")}.`,
        "",
        ...[...paths].map(
            ([k, v]) =>
                `- ${v.accounts} account-runs: **${k}** (${v.example.chain.length} custom resources), e.g. ${v.example.account}: ` +
                `${v.example.chain.map((c) => `\`${c.name}\` (${shortType(c.type)})`).join(" → ")}`,
        ),
        "",
        `The user-assigned identity (\`resources:ResourceGroup\` → \`managedidentity:UserAssignedIdentity\` → grant) runs beside the ` +
            `vault and key; export storage and its grant, and the shared workspace, run beside them too. ` +
            `${last ? `At ${last.accounts} accounts: ${last.analysis.dependenciesChecked} dependencies checked, ${last.analysis.crossAccountEdges.length} cross an account boundary, ${last.analysis.sharedDependencies} point at shared resources (Log Analytics, shared workspaces).` : ""}`,
        "",
    ];
    if (d.profiles.length) {
        lines.push("## CPU profiles (this run)", "");
        for (const p of d.profiles) lines.push(`### ${p.accounts} accounts${p.what ? `: ${p.what}` : ""}`, "", profileTable(p.summary), "");
    }
    lines.push("## Findings", "", FINDINGS_START, keptFindings(d.previous) ?? "_No findings written yet._", FINDINGS_END, "");
    return lines.join("\n");
}

export function renderBenchSvg(results: SizeResult[], m: Machine): string {
    return renderSvg(results, `fhir-platform under Pulumi mocks: median of runs, ${m.cores} cores, Node ${m.node}`);
}
