/**
 * One measurement, in a fresh process: `node -r ts-node/register/transpile-only child.ts <job.json> <result.json>`.
 * Loads the SDK, the program and the policy pack first, then times one run under mocks and reports wall time, peak RSS,
 * peak heap, and what was registered; then the time of the policy pack over the captured stack.
 */
import * as fs from "node:fs";
import { performance } from "node:perf_hooks";
import { runStack } from "../../harness/runStack";
import { analyzeRun } from "./analyze";
import { runPolicyPack } from "../../harness/policyRunner";
import type { ChildJob, ChildResult } from "./types";

async function main(): Promise<void> {
    const [jobFile, resultFile] = process.argv.slice(2);
    const job = JSON.parse(fs.readFileSync(jobFile, "utf8")) as ChildJob;
    const input = JSON.parse(fs.readFileSync(job.inputFile, "utf8")) as {
        configMap: Record<string, string>;
        plan: { stack: string };
    };
    if (global.gc) global.gc();
    const rssBefore = process.memoryUsage().rss;
    let peakHeap = process.memoryUsage().heapUsed;
    const sampler = setInterval(() => {
        peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
    }, 5);
    const startUs = Number(process.hrtime.bigint() / 1000n);
    const t0 = performance.now();
    const result = await runStack({ stack: input.plan.stack, config: input.configMap });
    const wallMs = performance.now() - t0;
    const endUs = Number(process.hrtime.bigint() / 1000n);
    clearInterval(sampler);
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
    const out: ChildResult = {
        mode: job.mode,
        accounts: job.accounts,
        wallMs,
        peakRssBytes: process.resourceUsage().maxRSS * 1024,
        rssBeforeBytes: rssBefore,
        peakHeapBytes: peakHeap,
        heapTotalBytes: process.memoryUsage().heapTotal,
        windowUs: [startUs, endUs],
        custom: result.resources.filter((r) => r.custom).length,
        components: result.resources.filter((r) => !r.custom).length,
    };
    // The program's figures are taken; collect its garbage so the pack's time is the pack's own.
    if (global.gc) global.gc();
    const p0 = performance.now();
    const report = await runPolicyPack(result.resources);
    const count = (level: string) => report.violations.filter((v) => v.enforcementLevel === level).length;
    out.policy = { wallMs: performance.now() - p0, mandatory: count("mandatory"), advisory: count("advisory") };
    if (job.analyze) out.analysis = analyzeRun(result.resources);
    fs.writeFileSync(resultFile, JSON.stringify(out));
}

main().then(
    () => process.exit(0),
    (e: unknown) => {
        console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
        process.exit(1);
    },
);
