/**
 * `npm run decommission -- --stack <name> --account <account> [--project-dir DIR]`: prints the steps that remove one
 * account on purpose (tools/decommission.ts). Runs nothing.
 */
import { type CommandIo, configErrorExit, consoleCommandIo, parseCommand, runCommand, stackArgument, usageError } from "../tools/command";
import { decommission } from "../tools/decommission";

export const SPEC = {
    run: "npm run decommission --",
    synopsis: "--stack <name> --account <account> [options]",
    description:
        "Prints the exact `pulumi state unprotect` commands for one account's protected resources (and only its), then the\n" +
        "steps to remove it. Runs nothing. Exit codes: 0 printed, 2 no such account, invalid config or usage.",
    options: {
        stack: {
            type: "string",
            value: "NAME",
            help: "the stack: Pulumi.<NAME>.yaml (required); <org>/<NAME> prints the pulumi commands for Pulumi Cloud's <org>/<NAME>",
        },
        account: { type: "string", value: "ACCOUNT", help: "the account to remove (required)" },
        "project-dir": { type: "string", value: "DIR", help: "where the stack file and its lock are (default: this repository)" },
    },
} as const;

export async function main(argv: string[], io: CommandIo = consoleCommandIo): Promise<number> {
    const parsed = parseCommand(argv, SPEC, io);
    if ("exitCode" in parsed) return parsed.exitCode;
    const { values } = parsed;
    if (!values.stack || !values.account) return usageError(SPEC, "--stack and --account are required", io);
    const stack = stackArgument(values.stack, SPEC, io);
    if ("exitCode" in stack) return stack.exitCode;
    try {
        const plan = await decommission(stack.stack, values.account, values["project-dir"], stack.ref);
        if (!plan) {
            io.err(`stack '${stack.ref}' has no protected resources of account '${values.account}'`);
            return 2;
        }
        for (const line of plan.lines) io.out(line);
        return 0;
    } catch (e) {
        return configErrorExit(e, io);
    }
}

runCommand(module, main);
