/** Minimal `--flag value` / `--flag` / `--flag=value` parser for the project's scripts; rejects unknown flags. */
export type ArgSpec = Record<string, "string" | "boolean" | "list">;
export type ParsedArgs = Record<string, string | boolean | string[] | undefined>;

export function parseArgs(argv: string[], spec: ArgSpec): ParsedArgs {
    const out: ParsedArgs = {};
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        if (!arg.startsWith("--")) throw new Error(`unexpected argument '${arg}'`);
        const [flag, inline] = arg.slice(2).split("=", 2);
        const kind = spec[flag];
        if (!kind) throw new Error(`unknown option --${flag}; options: ${Object.keys(spec).map((k) => `--${k}`).join(", ")}`);
        if (kind === "boolean") {
            out[flag] = true;
            continue;
        }
        const value = inline ?? argv[++i];
        if (value === undefined || value.startsWith("--")) throw new Error(`--${flag} needs a value`);
        if (kind === "list") out[flag] = [...((out[flag] as string[] | undefined) ?? []), value];
        else out[flag] = value;
    }
    return out;
}
