/**
 * `npm run plan -- --stack <name> [--base <git ref>] [--inputs] [--json FILE] [--markdown FILE] [--policy-config FILE]
 *  [--no-policies] [--project-dir DIR]`
 *
 * Runs the real stack program in the Pulumi SDK's mock mode (no Azure credentials, no Pulumi CLI), prints every
 * resource it would register grouped by account, then runs the policy pack over them. With --base, prints what changed
 * since the plan of the same stack at that git ref instead. Exit codes: 0 plan passes, 1 mandatory policy violation or
 * a protected resource deleted or replaced, 2 invalid config or usage.
 */
import * as fs from "fs";
import { parseArgs } from "node:util";
import { suggest } from "../config/schema";
import { PlanIo, consoleIo, runPlan } from "../harness/planCommand";
import { PROJECT_DIR } from "../harness/stackFiles";

const OPTIONS = {
    stack: { type: "string", value: "NAME", help: "the stack to plan: Pulumi.<NAME>.yaml (required)" },
    base: { type: "string", value: "REF", help: "git ref (origin/main, a commit): show what changed since the plan of the same stack there" },
    inputs: { type: "boolean", help: "list every input of every resource (secrets masked; the plan without --base)" },
    json: { type: "string", value: "FILE", help: "write the plan (and with --base the diff) as JSON" },
    markdown: { type: "string", value: "FILE", help: "write the plan (or the diff) as markdown, for a pull request comment or job summary" },
    "policy-config": { type: "string", value: "FILE", help: "policy pack config, as for pulumi preview --policy-pack-config" },
    "no-policies": { type: "boolean", help: "do not run the policy pack" },
    "project-dir": { type: "string", value: "DIR", help: "where the stack file and its placement lock are (default: this repository)" },
    help: { type: "boolean", help: "print this help" },
} as const;

type OptionName = keyof typeof OPTIONS;

export const USAGE = [
    "usage: npm run plan -- --stack <name> [options]",
    "",
    "Plans the stack offline (the real program under Pulumi's mocks, no credentials) and runs the policy pack.",
    "Exit codes: 0 pass; 1 mandatory policy violation, or a protected resource deleted or replaced; 2 invalid config or usage.",
    "",
    "options:",
    ...(Object.entries(OPTIONS) as [OptionName, (typeof OPTIONS)[OptionName]][]).map(([name, o]) => `  ${`--${name}${"value" in o ? ` ${o.value}` : ""}`.padEnd(24)} ${o.help}`),
].join("\n");

/** Stack files in a project directory: `Pulumi.<stack>.yaml` (not Pulumi.yaml). */
export function stackNames(projectDir: string): string[] {
    return fs
        .readdirSync(projectDir)
        .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
        .filter((s): s is string => s !== undefined)
        .sort();
}

export async function main(argv: string[], io: PlanIo = consoleIo): Promise<number> {
    const usageError = (message: string) => {
        io.err(`${message}\n${USAGE.split("\n")[0]}; --help lists every option`);
        return 2;
    };
    let values: Partial<Record<OptionName, string | boolean>>;
    try {
        values = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false }).values;
    } catch (e) {
        const unknown = /^Unknown option '(-+[^']+)'/.exec((e as Error).message)?.[1];
        const names = Object.keys(OPTIONS);
        if (unknown) return usageError(`unknown option ${unknown}${suggest(unknown.replace(/^-+/, ""), names).replace(/'([^']+)'/, "'--$1'")}`);
        return usageError((e as Error).message);
    }
    if (values.help) {
        io.out(`${USAGE}\n`);
        return 0;
    }
    const projectDir = typeof values["project-dir"] === "string" ? values["project-dir"] : PROJECT_DIR;
    if (typeof values.stack !== "string") {
        const stacks = fs.existsSync(projectDir) ? stackNames(projectDir) : [];
        return usageError(`--stack is required (no stack is chosen for you); stack files in ${projectDir}: ${stacks.length ? stacks.map((s) => `Pulumi.${s}.yaml (--stack ${s})`).join(", ") : "none"}`);
    }
    // The policy config is checked before the program runs: a typo costs a second, not a whole plan.
    let policyConfig: Record<string, unknown> | undefined;
    if (typeof values["policy-config"] === "string") {
        const file = values["policy-config"];
        if (values["no-policies"]) return usageError("--policy-config and --no-policies contradict each other");
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
    const text = (name: OptionName) => (typeof values[name] === "string" ? { [name]: values[name] as string } : {});
    const options = {
        stack: values.stack,
        projectDir,
        inputs: values.inputs === true,
        policies: values["no-policies"] !== true,
        ...(policyConfig ? { policyConfig } : {}),
        ...text("json"),
        ...text("markdown"),
        ...text("base"),
    };
    return runPlan(options, io);
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
