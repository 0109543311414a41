import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { placeAccounts, validateConfig } from "../config";
import type { CapturedResource } from "../harness/mockRun";
import { configMap, runStack } from "../harness/runStack";
import { analyzeRun } from "../tools/bench/analyze";
import { BENCH_STACK, generateRawConfig } from "../tools/bench/generate";
import { buildGraph, criticalPath, crossAccountDependencies } from "../tools/bench/graph";
import { type HostFigures, type SizeResult, prepareInputs, runBenchmark } from "../tools/bench/measure";
import { hostSetups, projectRuntime, runHostChild } from "../tools/bench/host";
import {
    ENGINE_END,
    ENGINE_START,
    FINDINGS_END,
    FINDINGS_START,
    keptBlock,
    keptFindings,
    renderBenchmarksMd,
} from "../tools/bench/document";
import { checkTargets, hostChecks, hostTable, renderSvg } from "../tools/bench/report";
import { expectWarnings, notYetLocked } from "./helpers/warnings";

/** With export storage: the storage is encrypted with the key at creation, so it waits for the grant's propagation. */
const EXPECTED_STEPS = [
    ["random:RandomString", "resources:ResourceGroup"],
    ["keyvault:Vault"],
    ["keyvault:Key"],
    ["authorization:RoleAssignment"],
    ["dynamic:RbacPropagationWait"],
    ["storage:StorageAccount"],
    ["authorization:RoleAssignment"],
    ["healthcareapis:FhirService"],
];
/** Without export storage (export and import off). */
const EXPECTED_STEPS_NO_STORAGE = [...EXPECTED_STEPS.slice(0, 5), ["healthcareapis:FhirService"]];

describe("generated stacks", () => {
    test("300 accounts place with Azure's default quotas (10 FHIR services each) into 30 subscriptions, options varied", () => {
        const raw = generateRawConfig(300);
        const cfg = validateConfig(raw);
        const placement = placeAccounts(cfg);
        expect(placement.problems).toEqual([]);
        expect(new Set(placement.placements.map((p) => p.subscription)).size).toBe(30);
        const values = (f: (a: (typeof cfg.accounts)[number]) => unknown) => [...new Set(cfg.accounts.map(f))].map(String).sort();
        expect(values((a) => a.keySize)).toEqual(["2048", "3072"]);
        expect(values((a) => a.export)).toEqual(["false", "true"]);
        expect(values((a) => a.import)).toEqual(["false", "true"]);
        expect(values((a) => a.cors !== undefined && a.smartIdentityProviders.length > 0)).toEqual(["false", "true"]);
        expect(values((a) => a.grants.length)).toEqual(["0", "1", "2", "3"]);
        expect(values((a) => a.publicNetworkAccess)).toEqual(["Disabled", "Enabled"]);
    });
});

describe("the program's graph, in process (6 accounts)", () => {
    // The generated stack has no placement lock: the program says so.
    expectWarnings(notYetLocked(BENCH_STACK));
    let program: CapturedResource[];
    beforeAll(async () => {
        const raw = generateRawConfig(6);
        program = (await runStack({ stack: BENCH_STACK, config: configMap(raw) })).resources;
    });

    test(
        "every account's critical path is resource group ∥ suffix → vault → key → grant → wait → (storage → blob grant →) FHIR " +
            "service",
        () => {
            const a = analyzeRun(program);
            // acct0003 has neither export nor import: no storage on its path.
            expect(a.criticalPaths.map((p) => [p.steps, p.accounts])).toEqual([
                [EXPECTED_STEPS, 5],
                [EXPECTED_STEPS_NO_STORAGE, 1],
            ]);
            // Both paths, with and without storage, meet the bench's critical-path target.
            const onTarget = checkTargets([{ accounts: 6, analysis: a } as unknown as SizeResult]).find((c) => c.name === "critical path");
            expect(onTarget?.ok).toBe(true);
            const example = a.criticalPaths[0].example;
            expect(example.chain.map((c) => c.name)).toEqual(
                [
                    "-rg",
                    "-vault",
                    "-cmk",
                    "-cmk-crypto-grant",
                    "-cmk-grant-propagation",
                    "-export-storage",
                    "-export-blob-grant",
                    "-fhir",
                ].map((s) => `${example.account}${s}`),
            );
        },
    );

    test("no account's resources depend on another account's; shared ones are allowed", () => {
        const a = analyzeRun(program);
        expect(a.crossAccountEdges).toEqual([]);
        expect(a.sharedDependencies).toBeGreaterThan(0);
        expect(a.customPerAccount.min).toBeGreaterThanOrEqual(9);
    });

    test("a dependency between two accounts is found (the check can fail)", () => {
        const g0 = buildGraph(program);
        const fhirOf = (acct: string) =>
            program.find((r) => r.type === "azure-native:healthcareapis:FhirService" && g0.accountOf.get(r.urn) === acct)!;
        const keyOf = (acct: string) => program.find((r) => r.type === "azure-native:keyvault:Key" && g0.accountOf.get(r.urn) === acct)!;
        const tampered = program.map((r) =>
            r.urn === fhirOf("acct0001").urn
                ? { ...r, propertyDependencies: { ...r.propertyDependencies, encryption: [keyOf("acct0002").urn] } }
                : r,
        );
        const g = buildGraph(tampered);
        const cross = crossAccountDependencies(g);
        expect(cross.edges).toEqual([
            { from: fhirOf("acct0001").urn, fromAccount: "acct0001", to: keyOf("acct0002").urn, toAccount: "acct0002" },
        ]);
    });

    test("a dependency on a component counts as a dependency on its custom resources", () => {
        const g0 = buildGraph(program);
        const fhir = program.find((r) => r.type === "azure-native:healthcareapis:FhirService" && g0.accountOf.get(r.urn) === "acct0000")!;
        const cmkComponent = program.find(
            (r) => r.type === "fhir-platform:index:CustomerManagedKey" && g0.accountOf.get(r.urn) === "acct0000",
        )!;
        // Replace the FHIR service's dependencies by the CMK component alone: the wait inside it keeps the path length.
        const tampered = program.map((r) =>
            r.urn === fhir.urn ? { ...r, dependencies: [cmkComponent.urn], propertyDependencies: {} } : r,
        );
        const cp = criticalPath(buildGraph(tampered), "acct0000");
        expect(cp.chain.map((c) => c.name).slice(-2)).toEqual(["acct0000-cmk-grant-propagation", "acct0000-fhir"]);
    });
});

describe("the bench driver (fresh child processes, tiny sizes)", () => {
    test("measures the program, checks structure, renders the report and the plot", () => {
        const results = runBenchmark({ sizes: [2], reps: () => 1 });
        expect(results).toHaveLength(1);
        const r = results[0];
        expect(r.program.custom).toBeGreaterThan(2 * 9);
        expect(r.program.components).toBeGreaterThan(2 * 4);
        expect(r.program.wallMs.median).toBeGreaterThan(0);
        expect(r.program.peakRssBytes.median).toBeGreaterThan(r.program.peakHeapBytes.median);
        expect(r.analysis.criticalPaths.map((p) => p.steps)).toEqual([EXPECTED_STEPS]);
        expect(r.analysis.crossAccountEdges).toEqual([]);
        const checks = checkTargets(results);
        expect(checks.filter((c) => !/overhead|growth/.test(c.name)).map((c) => [c.name, c.ok])).toEqual([
            ["critical path", true],
            ["no cross-account dependencies", true],
        ]);

        const machine = {
            cpuModel: "test",
            cores: 2,
            memoryGiB: 4,
            node: process.version,
            platform: "test",
            date: "2026-01-01T00:00:00Z",
            command: "npm run bench -- --quick",
            loader: "ts-node",
        };
        const previous =
            `# old\n${ENGINE_START}\n## The real engine\n\nFigures.\n${ENGINE_END}\n` +
            `${FINDINGS_START}\nHand-written finding.\n${FINDINGS_END}\n`;
        const md = renderBenchmarksMd({ results, machine, profiles: [], elapsedMs: 1000, previous });
        expect(md).toContain("| accounts | subs / workspaces |");
        expect(md).toMatch(/\n\| 2 \| 1 \/ 1 \| \d+ \(\d+ \+ \d+\) \|/);
        expect(keptFindings(md)).toBe("Hand-written finding.");
        // The real engine's section (npm run bench:engine) is kept, and comes first.
        expect(keptBlock(md, ENGINE_START, ENGINE_END)).toBe("## The real engine\n\nFigures.");
        expect(md.indexOf(ENGINE_START)).toBeLessThan(md.indexOf("## Machine and command"));
        const svg = renderSvg(results, "t");
        expect(svg.startsWith("<svg")).toBe(true);
        expect(svg.match(/<polyline /g)).toHaveLength(2);
    });
});

describe("the language host's setups (fresh child processes)", () => {
    test("the project's setup runs index.ts transpiled only, with the pack, and every figure is in order", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fhir-bench-test-"));
        try {
            const input = prepareInputs(1, dir);
            const after = hostSetups(projectRuntime(), "unused").find((s) => s.mode === "after")!;
            expect(after.env).toEqual({ PULUMI_NODEJS_TSCONFIG_PATH: "tsconfig.pulumi.json" });
            const r = runHostChild(after, 1, input.file, dir);
            expect(r.transpileOnly).toBe(true);
            expect(r.resources).toBeGreaterThan(20);
            expect(r.mandatory).toBe(0);
            expect(0 < r.startupMs && r.startupMs < r.entryMs && r.entryMs < r.programMs).toBe(true);
            expect(r.packMs).toBeGreaterThan(0);
            expect(r.peakRssWithPackBytes).toBeGreaterThanOrEqual(r.peakRssBytes);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    test("targets: program + pack at 100 and 300 accounts, peak RSS at 300, growth; the table compares with before", () => {
        const figures = (totalS: number, rssMiB: number, resources: number): HostFigures => {
            const st = (v: number) => ({ median: v, min: v, max: v });
            return {
                reps: 1,
                transpileOnly: true,
                startupMs: 1000,
                entryMs: 2000,
                programMs: st(totalS * 1000 - 500),
                packMs: st(500),
                totalMs: st(totalS * 1000),
                peakRssBytes: st(rssMiB * 2 ** 20),
                resources,
                mandatory: 0,
                advisory: 0,
            };
        };
        const size = (accounts: number, before: HostFigures, after: HostFigures) =>
            ({ accounts, host: { before, after } }) as unknown as SizeResult;
        const results = [
            size(100, figures(40, 1200, 2000), figures(9.5, 1100, 2000)),
            size(300, figures(120, 3000, 6000), figures(33, 2100, 6000)),
        ];
        expect(hostChecks(results).map((c) => [c.name, c.ok])).toEqual([
            ["language host at 100 accounts: program + policy pack", true],
            ["language host at 300 accounts: program + policy pack", false],
            ["language host peak RSS at 300 accounts", false],
            ["language host growth 100 → 300", false],
        ]);
        const table = hostTable(results);
        expect(table).toContain("| 100 | after (Pulumi.yaml as committed) | transpile only | 1.00 | 2.00 | 9.00 | 0.50 | **9.50** |");
        expect(table).toMatch(/\| 100 \| after .* \| ×4\.21 faster \|/);
        expect(table).toMatch(/\| 300 \| before .* \| – \|/);
    });
});
