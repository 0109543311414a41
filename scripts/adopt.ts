/**
 * `npm run adopt -- --stack <name> [--export FILE] [--log FILE] [--project-dir DIR]`: prints the commands that put back
 * into the state the resources a killed run left in Azure only (tools/adopt.ts). Runs nothing.
 */
import * as fs from "node:fs";
import { adopt } from "../tools/adopt";
import { type CommandIo, configErrorExit, consoleCommandIo, parseCommand, runCommand, stackArgument, usageError } from "../tools/command";

export const SPEC = {
    run: "npm run adopt --",
    synopsis: "--stack <name> (--export FILE | --log FILE) [options]",
    description:
        "After an interrupted or crashed `pulumi up` (docs/runbook.md, step 7): prints, for each resource Azure may hold that the\n" +
        "state lost, the check to run in Azure and the `pulumi import` that puts it back as the program declares it. Runs\n" +
        "nothing. Exit codes: 0 printed, 1 nothing to adopt, 2 invalid config or usage.",
    options: {
        stack: {
            type: "string",
            value: "NAME",
            help: "the stack: Pulumi.<NAME>.yaml (required); <org>/<NAME> prints the pulumi commands for Pulumi Cloud's <org>/<NAME>",
        },
        export: { type: "string", value: "FILE", help: "`pulumi stack export` of the stack (its pending creates: the CLI was killed)" },
        log: {
            type: "string",
            value: "FILE",
            help: 'output of a `pulumi up` that failed with "cannot create already existing resource" (the provider died)',
        },
        "project-dir": { type: "string", value: "DIR", help: "where the stack file and its lock are (default: this repository)" },
    },
} as const;

export async function main(argv: string[], io: CommandIo = consoleCommandIo): Promise<number> {
    const parsed = parseCommand(argv, SPEC, io);
    if ("exitCode" in parsed) return parsed.exitCode;
    const { values } = parsed;
    if (!values.stack) return usageError(SPEC, "--stack is required", io);
    if (!values.export && !values.log) return usageError(SPEC, "give --export, --log or both", io);
    const stack = stackArgument(values.stack, SPEC, io);
    if ("exitCode" in stack) return stack.exitCode;
    try {
        const plan = await adopt({
            stack: stack.stack,
            ref: stack.ref,
            ...(values.export ? { exported: JSON.parse(fs.readFileSync(values.export, "utf8")) as unknown } : {}),
            ...(values.log ? { log: fs.readFileSync(values.log, "utf8") } : {}),
            ...(values["project-dir"] ? { projectDir: values["project-dir"] } : {}),
        });
        if (plan.orphans.length === 0) {
            io.err(`nothing to adopt: no pending create in the export, no "cannot create already existing resource" in the log`);
            return 1;
        }
        for (const line of plan.lines) io.out(line);
        return 0;
    } catch (e) {
        return configErrorExit(e, io);
    }
}

runCommand(module, main);
