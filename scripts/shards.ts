/**
 * `npm run shards -- --stacks dev,prod-eu-1 | --stacks 'Pulumi.*.yaml' [--dir DIR] [--json]`: checks a set of stacks
 * together before they are previewed or deployed in parallel (tools/shards.ts).
 */
import * as path from "node:path";
import { PROJECT_DIR } from "../harness/stackFiles";
import { type CommandIo, consoleCommandIo, parseCommand, runCommand, usageError } from "../tools/command";
import { checkShards, renderShardReport, resolveStackNames } from "../tools/shards";

export const SPEC = {
    run: "npm run shards --",
    synopsis: "--stacks <names or Pulumi.*.yaml> [options]",
    description:
        "Checks stacks of this program together. Within each environment (fhir-platform:environment, else the stack name up to\n" +
        "its first hyphen): no account in two shards. Across all stacks given: per-subscription limits summed, and no two stacks\n" +
        "deriving one Azure resource. Exit codes: 0 pass, 1 a problem (each named), 2 usage.",
    options: {
        stacks: { type: "string", value: "LIST", help: "stack names and/or stack file patterns, comma-separated (only * is special)" },
        dir: { type: "string", value: "DIR", help: "the project (where the stack files are); default: this checkout" },
        json: {
            type: "boolean",
            default: false,
            help: "print the stack names as a JSON list on stdout after a passing check (the report goes to stderr)",
        },
    },
} as const;

export function main(argv: string[], io: CommandIo = consoleCommandIo): number {
    const parsed = parseCommand(argv, SPEC, io);
    if ("exitCode" in parsed) return parsed.exitCode;
    const { values } = parsed;
    if (!values.stacks) return usageError(SPEC, "--stacks is required", io);
    const dir = values.dir ? path.resolve(values.dir) : PROJECT_DIR;
    const stacks = resolveStackNames(values.stacks, dir);
    const { report, problems } = renderShardReport(checkShards(stacks, dir));
    for (const line of report) (values.json ? io.err : io.out)(line);
    for (const line of problems) io.err(line);
    if (problems.length > 0) return 1;
    if (values.json) io.out(JSON.stringify(stacks));
    return 0;
}

runCommand(module, main);
