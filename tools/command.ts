/**
 * One way to write a command: an options table (node:util parseArgs options plus a help text each), from which the
 * usage is generated; `parseCommand` parses strictly (no positionals), answers `--help`, and turns a usage error into
 * one line with a suggestion; `runCommand` runs `main(argv)` only when the file is the process's entry point and sets
 * the exit code (an unexpected error is one line and exit code 2, never a stack trace).
 */
import { type ParseArgsOptionsConfig, parseArgs } from "node:util";
import { ConfigValidationError, suggest } from "../config/schema";
import { parseStackRef, projectName } from "../harness/stackFiles";

export interface OptionSpec {
    type: "string" | "boolean";
    multiple?: boolean;
    default?: string | boolean | string[] | boolean[];
    /** Placeholder of the value in the usage, e.g. FILE. */
    value?: string;
    help: string;
}

export interface CommandSpec<O extends Record<string, OptionSpec>> {
    /** How the command is run, e.g. `npm run plan --`. */
    run: string;
    /** The synopsis after `run`, e.g. `--stack <name> [options]`. */
    synopsis: string;
    /** What the command does, and its exit codes. */
    description: string;
    options: O;
}

type HelpOption = { help: { type: "boolean" } };
type Parsed<O extends ParseArgsOptionsConfig> = ReturnType<
    typeof parseArgs<{ args: string[]; options: O & HelpOption; strict: true; allowPositionals: false }>
>;
/** The values node:util parseArgs gives for these options (strict, no positionals). */
export type CommandValues<O extends Record<string, OptionSpec>> = Parsed<{ [K in keyof O]: Omit<O[K], "help" | "value"> }>["values"];

export interface CommandIo {
    out(text: string): void;
    err(text: string): void;
}

export const consoleCommandIo: CommandIo = {
    out: (t) => void process.stdout.write(`${t}\n`),
    err: (t) => void process.stderr.write(`${t}\n`),
};

/** The usage text: synopsis, description, one line per option. */
export function usage<O extends Record<string, OptionSpec>>(spec: CommandSpec<O>): string {
    const rows = Object.entries({ ...spec.options, help: { type: "boolean", help: "print this help" } as OptionSpec }).map(([name, o]) => {
        const flag = `--${name}${o.value ? ` ${o.value}` : ""}${o.multiple ? " ..." : ""}`;
        return `  ${flag.padEnd(26)} ${o.help}`;
    });
    return [`usage: ${spec.run} ${spec.synopsis}`, "", spec.description, "", "options:", ...rows].join("\n");
}

/**
 * Parses `argv` for the command: its values, or the exit code to end with (0 after printing the usage for --help, 2
 * after a usage error naming the option, with a suggestion for a misspelled one).
 */
export function parseCommand<const O extends Record<string, OptionSpec>>(
    argv: string[],
    spec: CommandSpec<O>,
    io: CommandIo = consoleCommandIo,
): { values: CommandValues<O> } | { exitCode: number } {
    const options = Object.fromEntries(
        Object.entries(spec.options).map(([name, { help: _help, value: _value, ...o }]) => [name, o]),
    ) as ParseArgsOptionsConfig;
    let values: Record<string, unknown>;
    try {
        values = parseArgs({
            args: argv,
            options: { ...options, help: { type: "boolean" } },
            strict: true,
            allowPositionals: false,
        }).values;
    } catch (e) {
        // Not `instanceof Error`: node:util's errors come from another realm under jest.
        const message = typeof e === "object" && e !== null && "message" in e ? String(e.message) : String(e);
        const unknown = /^Unknown option '(-+[^']+)'/.exec(message)?.[1];
        const names = Object.keys(spec.options);
        const line = unknown
            ? `unknown option ${unknown}${suggest(unknown.replace(/^-+/, ""), names).replace(/'([^']+)'/, "'--$1'")}`
            : message;
        io.err(`${line}\n${usage(spec).split("\n")[0]}; --help lists every option`);
        return { exitCode: 2 };
    }
    if (values.help) {
        io.out(usage(spec));
        return { exitCode: 0 };
    }
    return { values: values as CommandValues<O> };
}

/** A usage error: one line, the synopsis, exit code 2. */
export function usageError<O extends Record<string, OptionSpec>>(
    spec: CommandSpec<O>,
    message: string,
    io: CommandIo = consoleCommandIo,
): number {
    io.err(`${message}\n${usage(spec).split("\n")[0]}; --help lists every option`);
    return 2;
}

/**
 * A `--stack` value as the Pulumi CLI takes it (`staging`, `acme/staging`, `acme/fhir-platform/staging`, as the runbook
 * writes it): the stack name of its file (`Pulumi.staging.yaml`) and the reference as given (for printed `pulumi`
 * commands); or the exit code of a usage error (missing or malformed).
 */
export function stackArgument<O extends Record<string, OptionSpec>>(
    value: string | undefined,
    spec: CommandSpec<O>,
    io: CommandIo = consoleCommandIo,
): { stack: string; ref: string } | { exitCode: number } {
    if (value === undefined) return { exitCode: usageError(spec, "--stack is required", io) };
    const parsed = parseStackRef(value, projectName());
    if ("error" in parsed) return { exitCode: usageError(spec, parsed.error, io) };
    return { stack: parsed.stack, ref: value };
}

/**
 * A command's answer to an error from its work: a config error (every problem, as ConfigValidationError lists them) is
 * printed and exits 2; anything else is rethrown (runCommand reports it).
 */
export function configErrorExit(e: unknown, io: CommandIo = consoleCommandIo): number {
    if (!(e instanceof ConfigValidationError)) throw e;
    io.err(e.message);
    return 2;
}

/** Runs a command's main when its file is the process's entry point; an unexpected error is one line and exit code 2. */
export function runCommand(entry: NodeModule, main: (argv: string[]) => number | Promise<number>): void {
    if (require.main !== entry) return;
    const fail = (e: unknown) => {
        process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
        process.exitCode = 2;
    };
    try {
        Promise.resolve(main(process.argv.slice(2))).then((code) => {
            process.exitCode = code;
        }, fail);
    } catch (e) {
        fail(e);
    }
}
