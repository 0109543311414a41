/**
 * `npm run placement:report [-- --accounts 250] [--subscriptions 25] [--fhir-services N]`: placement of a generated large platform (shared
 * workspaces): usage per subscription and workspace, quotas, and proof that reordering moves no account
 * (tools/placementReport.ts).
 */
import { type CommandIo, consoleCommandIo, parseCommand, runCommand, usageError } from "../tools/command";
import { placementReport } from "../tools/placementReport";

export const SPEC = {
    run: "npm run placement:report --",
    synopsis: "[--accounts N] [--subscriptions N] [--fhir-services N]",
    description:
        "Places N generated accounts over M subscriptions (shared workspaces, Azure's default quotas unless --fhir-services declares " +
        "a granted one) and prints the result. Exit codes: 0, 2 usage.",
    options: {
        accounts: { type: "string", value: "N", default: "250", help: "generated accounts (default 250)" },
        subscriptions: { type: "string", value: "N", default: "25", help: "subscriptions (default 25: 10 FHIR services each by default)" },
        "fhir-services": {
            type: "string",
            value: "N",
            help: "FHIR services per subscription, as a quota Microsoft granted (default: Azure's 10)",
        },
    },
} as const;

export function main(argv: string[], io: CommandIo = consoleCommandIo): number {
    const parsed = parseCommand(argv, SPEC, io);
    if ("exitCode" in parsed) return parsed.exitCode;
    const { accounts, subscriptions, "fhir-services": fhirServices } = parsed.values;
    if ([accounts, subscriptions, fhirServices ?? "1"].some((v) => !/^[1-9]\d*$/.test(v)))
        return usageError(SPEC, "--accounts, --subscriptions and --fhir-services take whole numbers ≥ 1", io);
    io.out(
        placementReport(Number(accounts), Number(subscriptions), fhirServices === undefined ? undefined : Number(fhirServices)).join("\n"),
    );
    return 0;
}

runCommand(module, main);
