/**
 * `npm run plan -- --stack <name> [--base <git ref>] [--inputs] [--json FILE] [--markdown FILE] [--policy-config FILE]
 *  [--no-policies] [--project-dir DIR]`
 *
 * Runs the real stack program in the Pulumi SDK's mock mode (no Azure credentials, no Pulumi CLI), prints every
 * resource it would register grouped by account, then runs the policy pack over them. With --base, prints what changed
 * since the plan of the same stack at that git ref instead. Exit codes: 0 plan passes, 1 mandatory policy violation, a
 * protected resource deleted or replaced, or accounts in the placement lock missing from the config; 2 invalid config or
 * usage.
 */
import * as fs from "node:fs";
import { type PlanIo, consoleIo, runPlan } from "../harness/planCommand";
import { PROJECT_DIR } from "../harness/stackFiles";
import { parseCommand, runCommand, stackArgument, usage, usageError } from "../tools/command";

export const SPEC = {
    run: "npm run plan --",
    synopsis: "--stack <name> [options]",
    description:
        "Plans the stack offline (the real program under Pulumi's mocks, no credentials) and runs the policy pack.\n" +
        "Exit codes: 0 pass; 1 mandatory policy violation, a protected resource deleted or replaced, or accounts in the placement\n" +
        "lock missing from the config; 2 invalid config or usage.",
    options: {
        stack: { type: "string", value: "NAME", help: "the stack to plan: Pulumi.<NAME>.yaml (required; <org>/<NAME> works too)" },
        base: {
            type: "string",
            value: "REF",
            help: "git ref (origin/main, a commit): show what changed since the plan of the same stack there",
        },
        inputs: { type: "boolean", help: "list every input of every resource (secrets masked; the plan without --base)" },
        json: { type: "string", value: "FILE", help: "write the plan (and with --base the diff) as JSON" },
        markdown: {
            type: "string",
            value: "FILE",
            help: "write the plan (or the diff) as markdown, for a pull request comment or job summary",
        },
        "policy-config": { type: "string", value: "FILE", help: "policy pack config, as for pulumi preview --policy-pack-config" },
        "no-policies": { type: "boolean", help: "do not run the policy pack" },
        "project-dir": { type: "string", value: "DIR", help: "where the stack file and its placement lock are (default: this repository)" },
    },
} as const;

/** The usage text (`--help`). */
export const USAGE = usage(SPEC);

/** Stack files in a project directory: `Pulumi.<stack>.yaml` (not Pulumi.yaml). */
export function stackNames(projectDir: string): string[] {
    return fs
        .readdirSync(projectDir)
        .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
        .filter((s): s is string => s !== undefined)
        .sort();
}

export async function main(argv: string[], io: PlanIo = consoleIo): Promise<number> {
    const lineIo = { out: (t: string) => io.out(`${t}\n`), err: io.err };
    const parsed = parseCommand(argv, SPEC, lineIo);
    if ("exitCode" in parsed) return parsed.exitCode;
    const { values } = parsed;
    const projectDir = values["project-dir"] ?? PROJECT_DIR;
    if (values.stack === undefined) {
        const stacks = fs.existsSync(projectDir) ? stackNames(projectDir) : [];
        const found = stacks.length ? stacks.map((s) => `Pulumi.${s}.yaml (--stack ${s})`).join(", ") : "none";
        return usageError(SPEC, `--stack is required (no stack is chosen for you); stack files in ${projectDir}: ${found}`, lineIo);
    }
    const stack = stackArgument(values.stack, SPEC, lineIo);
    if ("exitCode" in stack) return stack.exitCode;
    // The policy config is checked before the program runs: a typo costs a second, not a whole plan.
    let policyConfig: Record<string, unknown> | undefined;
    if (values["policy-config"] !== undefined) {
        const file = values["policy-config"];
        if (values["no-policies"]) return usageError(SPEC, "--policy-config and --no-policies contradict each other", lineIo);
        const offline = await import("../harness/policyRunner");
        try {
            const read = offline.readPolicyConfigFile(file);
            for (const w of read.warnings) io.err(`warning: --policy-config ${file}: ${w}`);
            policyConfig = read.config;
        } catch (e) {
            if (!(e instanceof offline.PolicyConfigError)) throw e;
            for (const problem of e.problems) io.err(`--policy-config ${file}: ${problem}`);
            return 2;
        }
    }
    const options = {
        stack: stack.stack,
        projectDir,
        inputs: values.inputs === true,
        policies: values["no-policies"] !== true,
        ...(policyConfig ? { policyConfig } : {}),
        ...(values.json !== undefined ? { json: values.json } : {}),
        ...(values.markdown !== undefined ? { markdown: values.markdown } : {}),
        ...(values.base !== undefined ? { base: values.base } : {}),
    };
    return runPlan(options, io);
}

runCommand(module, main);
