/**
 * `npm run plan -- --stack dev [--inputs] [--json FILE] [--markdown FILE] [--policy-config FILE]`
 *
 * Runs the real stack program in the Pulumi SDK's mock mode (no Azure credentials, no Pulumi CLI), prints every
 * resource it would register grouped by account, then runs the policy pack over them. Exit codes: 0 plan passes,
 * 1 mandatory policy violation, 2 invalid config or usage.
 */
import * as fs from "fs";
import { ConfigValidationError } from "../components";
import { parseArgs } from "./lib/args";
import { buildPlan, mandatoryViolations, renderMarkdown, renderText } from "./lib/plan";
import { runStack } from "./lib/runStack";

const USAGE =
    "usage: npm run plan -- --stack <name> [--inputs] [--json FILE] [--markdown FILE] [--policy-config FILE] [--no-policies] [--project-dir DIR]";

export async function main(argv: string[]): Promise<number> {
    const started = process.hrtime.bigint();
    let args;
    try {
        args = parseArgs(argv, { stack: "string", inputs: "boolean", json: "string", markdown: "string", "policy-config": "string", "no-policies": "boolean", "project-dir": "string", help: "boolean" });
    } catch (e) {
        console.error(`${(e as Error).message}\n${USAGE}`);
        return 2;
    }
    if (args.help) {
        console.log(USAGE);
        return 0;
    }
    const stack = typeof args.stack === "string" ? args.stack : "dev";
    // The policy config is checked before the program runs: a typo costs a second, not a whole plan.
    let policyConfig: Record<string, unknown> | undefined;
    if (typeof args["policy-config"] === "string") {
        const file = args["policy-config"];
        if (args["no-policies"]) {
            console.error(`--policy-config and --no-policies contradict each other\n${USAGE}`);
            return 2;
        }
        const offline = await import("../policies/offline");
        try {
            const read = offline.readPolicyConfigFile(file);
            for (const w of read.warnings) console.error(`warning: --policy-config ${file}: ${w}`);
            policyConfig = read.config;
        } catch (e) {
            if (!(e instanceof offline.PolicyConfigError)) throw e;
            for (const problem of e.problems) console.error(`--policy-config ${file}: ${problem}`);
            return 2;
        }
    }
    let run;
    try {
        run = await runStack({ stack, ...(typeof args["project-dir"] === "string" ? { projectDir: args["project-dir"] } : {}) });
    } catch (e) {
        if (e instanceof ConfigValidationError) {
            console.error(`Stack '${stack}': invalid configuration, nothing planned.\n${e.message}`);
            return 2;
        }
        console.error(`Stack '${stack}': ${(e as Error).message}`);
        return 2;
    }
    const report = args["no-policies"] ? undefined : await (await import("../policies/offline")).runPolicyPack(run.resources, policyConfig);
    const plan = buildPlan(stack, run.resources, report);
    process.stdout.write(renderText(plan, { inputs: args.inputs === true }));
    if (typeof args.json === "string") fs.writeFileSync(args.json, JSON.stringify({ ...plan, outputs: run.outputs }, null, 2) + "\n");
    if (typeof args.markdown === "string") fs.writeFileSync(args.markdown, renderMarkdown(plan));
    const ms = Number((process.hrtime.bigint() - started) / 1000000n);
    // Timing goes to stderr so stdout (the plan) is identical across runs.
    console.error(`plan of '${stack}' took ${ms} ms`);
    return mandatoryViolations(plan).length > 0 ? 1 : 0;
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => {
            process.exitCode = code;
        },
        (e: unknown) => {
            console.error(e);
            process.exitCode = 2;
        },
    );
}
