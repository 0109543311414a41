/**
 * `npm run engine:build [-- --plugins-only]`: builds the Pulumi CLI from Go modules into engine/bin (only when the pin
 * changed), the language host, launch plugins and fake providers (engine/build.ts).
 */
import { build } from "../engine/build";
import { type CommandIo, consoleCommandIo, parseCommand, runCommand } from "../tools/command";

export const SPEC = {
    run: "npm run engine:build --",
    synopsis: "[--plugins-only]",
    description:
        "Builds the real Pulumi CLI from the pinned Go module (engine/go.mod) into engine/bin, rebuilding only when the pin or Go\n" +
        "changed, then the TypeScript language host, the launch plugins and the fake azure-native and random providers.\n" +
        "Exit codes: 0 built, 1 the build failed, 2 usage.",
    options: {
        "plugins-only": { type: "boolean", default: false, help: "skip the CLI (for a real Pulumi CLI: PULUMI_ENGINE=$(which pulumi))" },
    },
} as const;

export function main(argv: string[], io: CommandIo = consoleCommandIo): number {
    const parsed = parseCommand(argv, SPEC, io);
    if ("exitCode" in parsed) return parsed.exitCode;
    try {
        build({ pluginsOnly: parsed.values["plugins-only"] });
        return 0;
    } catch (e) {
        io.err(e instanceof Error ? e.message : String(e));
        return 1;
    }
}

runCommand(module, main);
