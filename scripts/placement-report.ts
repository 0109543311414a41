/**
 * `npm run placement:report [-- --accounts 250] [--subscriptions 3]`: placement of a generated large platform (shared
 * workspaces): usage per subscription and workspace, quotas, and proof that reordering moves no account
 * (tools/placementReport.ts).
 */
import { type CommandIo, consoleCommandIo, parseCommand, runCommand, usageError } from "../tools/command";
import { placementReport } from "../tools/placementReport";

export const SPEC = {
    run: "npm run placement:report --",
    synopsis: "[--accounts N] [--subscriptions N]",
    description:
        "Places N generated accounts over M subscriptions (shared workspaces, default quotas) and prints the result. Exit codes: 0, 2 " +
        "usage.",
    options: {
        accounts: { type: "string", value: "N", default: "250", help: "generated accounts (default 250)" },
        subscriptions: { type: "string", value: "N", default: "3", help: "subscriptions (default 3)" },
    },
} as const;

export function main(argv: string[], io: CommandIo = consoleCommandIo): number {
    const parsed = parseCommand(argv, SPEC, io);
    if ("exitCode" in parsed) return parsed.exitCode;
    const { accounts, subscriptions } = parsed.values;
    if (!/^[1-9]\d*$/.test(accounts) || !/^[1-9]\d*$/.test(subscriptions))
        return usageError(SPEC, "--accounts and --subscriptions take whole numbers ≥ 1", io);
    io.out(placementReport(Number(accounts), Number(subscriptions)).join("\n"));
    return 0;
}

runCommand(module, main);
