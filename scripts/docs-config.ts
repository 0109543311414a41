/**
 * `npm run docs:config [-- --check]`: writes the README's configuration reference tables and Pulumi.yaml's `config:`
 * block from the config schema (tools/configDocs.ts).
 */
import { PROJECT_DIR } from "../harness/stackFiles";
import { type CommandIo, consoleCommandIo, parseCommand, runCommand } from "../tools/command";
import { writeConfigDocs } from "../tools/configDocs";

export const SPEC = {
    run: "npm run docs:config --",
    synopsis: "[--check]",
    description:
        "Writes what is derived from config/schema.ts: the README's configuration reference tables and Pulumi.yaml's config\n" +
        "block. Exit codes: 0 current (or written), 1 stale (with --check), 2 usage.",
    options: {
        check: { type: "boolean", default: false, help: "write nothing; fail when a committed copy differs from the schema" },
    },
} as const;

export function main(argv: string[], io: CommandIo = consoleCommandIo): number {
    const parsed = parseCommand(argv, SPEC, io);
    if ("exitCode" in parsed) return parsed.exitCode;
    const stale = writeConfigDocs(PROJECT_DIR, parsed.values.check);
    if (parsed.values.check && stale.length > 0) {
        io.err(`stale: ${stale.join(", ")}; run npm run docs:config and commit the result`);
        return 1;
    }
    io.out(stale.length > 0 ? `wrote ${stale.join(", ")}` : "README.md and Pulumi.yaml are current");
    return 0;
}

runCommand(module, main);
