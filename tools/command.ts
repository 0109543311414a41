import { ParseArgsOptionsConfig, parseArgs } from "node:util";

type HelpOption = { help: { type: "boolean" } };
/** The values node:util parseArgs gives for these options (strict, no positionals) plus --help. */
export type CommandValues<O extends ParseArgsOptionsConfig> = ReturnType<typeof parseArgs<{ args: string[]; options: O & HelpOption; strict: true; allowPositionals: false }>>["values"];

/**
 * A command's flags through node:util parseArgs (strict, no positionals), with `--help` added: the parsed values, or
 * the exit code the command should end with (0 after printing the usage for --help, 2 after a usage error).
 */
export function parseCommand<const O extends ParseArgsOptionsConfig>(argv: string[], options: O, usage: string): { values: CommandValues<O> } | { exitCode: number } {
    const help: HelpOption = { help: { type: "boolean" } };
    let values: CommandValues<O>;
    try {
        values = parseArgs({ args: argv, options: { ...options, ...help }, strict: true, allowPositionals: false }).values as CommandValues<O>;
    } catch (e) {
        console.error(`${e instanceof Error ? e.message : String(e)}\n\n${usage}`);
        return { exitCode: 2 };
    }
    if ((values as { help?: boolean }).help) {
        console.log(usage);
        return { exitCode: 0 };
    }
    return { values };
}

/** Runs a command's main when its file is the process's entry point; an unexpected error is one line and exit code 2. */
export function runCommand(entry: NodeModule, main: (argv: string[]) => number): void {
    if (require.main !== entry) return;
    try {
        process.exitCode = main(process.argv.slice(2));
    } catch (e) {
        console.error(e instanceof Error ? e.message : String(e));
        process.exitCode = 2;
    }
}
