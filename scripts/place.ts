/**
 * `npm run place -- --stack <name> [--check] [--accept-key-settings <account> ...] [--forget <account> ...]`: writes
 * (or checks) the stack's placement lock (tools/place.ts).
 */
import { PROJECT_DIR } from "../harness/stackFiles";
import { type CommandIo, configErrorExit, consoleCommandIo, parseCommand, runCommand, stackArgument } from "../tools/command";
import { place } from "../tools/place";

export const SPEC = {
    run: "npm run place --",
    synopsis: "--stack <name> [options]",
    description:
        "Writes Pulumi.<stack>.placement.json: where each account lives (subscription, workspace) and the keys Azure fixed at\n" +
        "creation. Accounts in the lock never move. Exit codes: 0 written or up to date, 1 out of date (--check), 2 invalid\n" +
        "config or usage.",
    options: {
        stack: { type: "string", value: "NAME", help: "the stack: Pulumi.<NAME>.yaml (required; <org>/<NAME> works too)" },
        check: { type: "boolean", default: false, help: "write nothing; exit 1 when the lock is not what this would write (CI)" },
        "accept-key-settings": {
            type: "string",
            multiple: true,
            value: "ACCOUNT",
            help: "record the config's keyRotationDays for an account whose rotation policy you changed in Key Vault",
        },
        forget: {
            type: "string",
            multiple: true,
            value: "ACCOUNT",
            help: "drop what the lock records for an account never deployed (e.g. a keySize typo) and place it again",
        },
        "project-dir": { type: "string", value: "DIR", help: "where the stack file and its lock are (default: this repository)" },
    },
} as const;

export function main(argv: string[], io: CommandIo = consoleCommandIo): number {
    const parsed = parseCommand(argv, SPEC, io);
    if ("exitCode" in parsed) return parsed.exitCode;
    const { values } = parsed;
    const stack = stackArgument(values.stack, SPEC, io);
    if ("exitCode" in stack) return stack.exitCode;
    try {
        const r = place({
            stack: stack.stack,
            projectDir: values["project-dir"] ?? PROJECT_DIR,
            check: values.check,
            acceptKeySettings: values["accept-key-settings"] ?? [],
            forget: values.forget ?? [],
        });
        for (const line of r.lines) io.out(line);
        for (const line of r.errors) io.err(line);
        return r.code;
    } catch (e) {
        return configErrorExit(e, io);
    }
}

runCommand(module, main);
