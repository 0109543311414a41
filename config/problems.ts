/**
 * How a config problem is worded and reported: each names its field (and its account, when it has one), and one error
 * lists every problem. Shared by the schema, its rules, placement and the stack checks.
 */

export const CONFIG_NAMESPACE = "fhir-platform";

export interface ConfigProblem {
    /** Config key path, for example `accounts[2].keySize`. */
    path: string;
    /** The account the problem belongs to, when it belongs to one. */
    account?: string;
    message: string;
}

export function formatProblem(p: ConfigProblem): string {
    const where = p.account !== undefined ? `account '${p.account}', field '${p.path}'` : `field '${p.path}'`;
    return `${where}: ${p.message}`;
}

export class ConfigValidationError extends Error {
    constructor(
        readonly problems: ConfigProblem[],
        source = `${CONFIG_NAMESPACE} config`,
    ) {
        super(
            `${source} has ${problems.length} problem${problems.length === 1 ? "" : "s"}:\n` +
                problems.map((p) => `  - ${formatProblem(p)}`).join("\n"),
        );
        this.name = "ConfigValidationError";
    }
}

/** A value as the stack file wrote it, for "got ..." in messages. */
export function describe(v: unknown): string {
    return JSON.stringify(v) ?? String(v);
}

/** Levenshtein distance, for "did you mean" on unknown keys and values. */
function distance(a: string, b: string): number {
    const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
    for (let j = 1; j <= b.length; j++) d[0][j] = j;
    for (let i = 1; i <= a.length; i++)
        for (let j = 1; j <= b.length; j++)
            d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    return d[a.length][b.length];
}

/** `; did you mean 'x'?` when a candidate is close to `value`, else "". */
export function suggest(value: string, candidates: readonly string[]): string {
    const best = candidates.map((c) => ({ c, d: distance(value.toLowerCase(), c.toLowerCase()) })).sort((x, y) => x.d - y.d)[0];
    return best && best.d <= Math.max(2, Math.floor(best.c.length / 3)) ? `; did you mean '${best.c}'?` : "";
}

/** `accounts[2].cors.origins[0]` from a zod path. */
export function pathText(path: readonly PropertyKey[]): string {
    return path.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i === 0 ? "" : "."}${String(p)}`)).join("");
}
