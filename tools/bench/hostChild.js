/**
 * One measurement in the Pulumi Node language host's mode, in a fresh process: `node [nodeargs] hostChild.js <job.json>
 * <result.json>`. Plain JavaScript, so nothing is registered before the emulated host does it.
 *
 * Sets the process up as @pulumi/pulumi/cmd/run does (./languageHost.js), then loads the project's entry point
 * (index.ts, or the compiled index.js) under the SDK's mocks with the generated stack's config, as the engine would run
 * it, and times the policy pack over what it registered.
 *
 * Clock: from the process's start (performance.now() counts from it: Node's own startup included) until every
 * registration is answered and the stack outputs resolved, i.e. what a user waits for before the engine's own work.
 */
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { performance } = require("node:perf_hooks");
const { registerLikeLanguageHost } = require("./languageHost");

const [jobFile, resultFile] = process.argv.slice(2);
/**
 * harnessDir: the mock harness and the policy pack, compiled (so a type-checking setup pays only for the program, as
 * under the real host, where the pack runs in the analyzer's own process); without it they load from the project
 * through the registered ts-node (fine for a transpile-only setup). compiledDir: run the compiled entry point.
 * @type {{ accounts: number, inputFile: string, projectDir: string, harnessDir?: string, compiledDir?: string }}
 */
const job = JSON.parse(fs.readFileSync(jobFile, "utf8"));

const { transpileOnly } = registerLikeLanguageHost(job.projectDir, { typescript: !job.compiledDir });
const harness = (name) => (job.harnessDir ? path.join(job.harnessDir, "harness", `${name}.js`) : path.join(job.projectDir, "harness", name));
const { runUnderMocks } = require(harness("mockRun"));
const { runPolicyPack } = require(harness("policyRunner"));
const input = JSON.parse(fs.readFileSync(job.inputFile, "utf8"));
const loadedMs = performance.now();
let entryMs = 0;
runUnderMocks(
    () => {
        const entry = require(job.compiledDir ? path.join(job.compiledDir, "index.js") : path.join(job.projectDir, "index.ts"));
        entryMs = performance.now();
        return { ...entry };
    },
    { stack: input.plan.stack, config: input.configMap },
).then(
    async (run) => {
        const programMs = performance.now();
        const programRss = process.resourceUsage().maxRSS * 1024;
        const report = await runPolicyPack(run.resources);
        const packMs = performance.now() - programMs;
        const count = (level) => report.violations.filter((v) => v.enforcementLevel === level).length;
        fs.writeFileSync(
            resultFile,
            JSON.stringify({
                accounts: job.accounts,
                transpileOnly,
                startupMs: loadedMs,
                entryMs,
                programMs,
                packMs,
                peakRssBytes: programRss,
                peakRssWithPackBytes: process.resourceUsage().maxRSS * 1024,
                resources: run.resources.length,
                mandatory: count("mandatory"),
                advisory: count("advisory"),
            }),
        );
        process.exit(0);
    },
    (e) => {
        console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
        process.exit(1);
    },
);
