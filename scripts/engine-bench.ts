/**
 * `npm run bench:engine [-- --sizes 10,100] [--reps N] [--no-policy-pack] [--type-check]`: wall time of real
 * `pulumi preview` runs (engine/bench.ts).
 */
import { benchEngine } from "../engine/bench";
import { type CommandIo, consoleCommandIo, parseCommand, runCommand, usageError } from "../tools/command";

export const SPEC = {
    run: "npm run bench:engine --",
    synopsis: "[options]",
    description:
        "Times a real `pulumi preview` (engine, language host, program, fake providers, policy pack) of fresh stacks of N\n" +
        "generated accounts, and prints a markdown table. Needs npm run engine:build. Exit codes: 0 measured, 1 a preview failed, 2 usage.",
    options: {
        sizes: { type: "string", value: "N,N,...", default: "10,100", help: "account counts (default 10,100)" },
        reps: { type: "string", value: "N", default: "2", help: "previews per size (default 2)" },
        "no-policy-pack": { type: "boolean", default: false, help: "preview without the policy pack" },
        "type-check": { type: "boolean", default: false, help: "force the language host to type-check the program" },
    },
} as const;

export async function main(argv: string[], io: CommandIo = consoleCommandIo): Promise<number> {
    const parsed = parseCommand(argv, SPEC, io);
    if ("exitCode" in parsed) return parsed.exitCode;
    const v = parsed.values;
    const sizes = v.sizes.split(",").map(Number);
    if (sizes.some((n) => !Number.isInteger(n) || n < 1) || !/^[1-9]\d*$/.test(v.reps))
        return usageError(SPEC, "--sizes and --reps take whole numbers ≥ 1", io);
    try {
        await benchEngine({ sizes, reps: Number(v.reps), policies: !v["no-policy-pack"], typeCheck: v["type-check"] });
        return 0;
    } catch (e) {
        io.err(e instanceof Error ? e.message : String(e));
        return 1;
    }
}

runCommand(module, main);
