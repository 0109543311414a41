/**
 * The repository's own import graph, read from the sources: the layer test checks its direction, and the engine build
 * hashes the files its plugins compile from (so moving or editing one of them rebuilds the plugins).
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** Relative module specifiers of static imports, re-exports, dynamic imports and requires. */
export function importsOf(source: string): string[] {
    const specs = new Set<string>();
    for (const m of source.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)["'](\.{1,2}\/[^"']*)["']/gm))
        specs.add(m[1]);
    return [...specs];
}

/** The TypeScript file (relative to `root`, with `/`) a relative import of `from` names, if it exists. */
export function resolveImport(root: string, from: string, spec: string): string | undefined {
    const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), spec));
    for (const cand of [`${base}.ts`, `${base}/index.ts`, base])
        if (cand.endsWith(".ts") && fs.existsSync(path.join(root, cand))) return cand;
    return undefined;
}

/** `entries` and every repository file they import, directly or not (relative to `root`, sorted). */
export function localImportClosure(root: string, entries: readonly string[]): string[] {
    const seen = new Set<string>();
    const queue = [...entries];
    for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
        if (seen.has(file)) continue;
        seen.add(file);
        for (const spec of importsOf(fs.readFileSync(path.join(root, file), "utf8"))) {
            const target = resolveImport(root, file, spec);
            if (target) queue.push(target);
        }
    }
    return [...seen].sort();
}
