/**
 * The folders are layers that import in one direction (README, "Layout"): Azure facts and naming ← config ←
 * components ← program ← policies ← offline harness ← tools ← engine ← commands ← tests. A file may import from its
 * own layer or an earlier one, never a later one; nothing outside test/ imports from test/.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { pluginSources } from "../engine/build";
import { importsOf, resolveImport } from "../tools/imports";

const ROOT = path.resolve(__dirname, "..");

/**
 * Layer order: a folder (or root file) may import from its own layer and the ones before it. config/ and components/
 * are siblings over azure/: the components are a library (the component package) whose arguments are their own, and
 * the program maps the config to them (SIBLINGS).
 */
const LAYERS: readonly (readonly string[])[] = [
    ["azure"],
    ["config"],
    ["components"],
    ["program"],
    ["policies"],
    ["harness"],
    ["tools"],
    ["engine"],
    ["scripts", "index.ts"],
    ["test"],
];

function layerOf(file: string): number {
    const top = file.split("/")[0];
    const i = LAYERS.findIndex((l) => l.includes(top));
    if (i < 0) throw new Error(`${file} is in no layer: add its folder to LAYERS (and to the README's layout)`);
    return i;
}

function sourceFiles(dir = ROOT, out: string[] = []): string[] {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        if (["node_modules", ".git", "bin", "scratch", "coverage", "dist", ".stryker-tmp"].includes(e.name)) continue;
        const p = path.join(dir, e.name);
        if (e.isDirectory()) sourceFiles(p, out);
        else if (e.name.endsWith(".ts") && !e.name.endsWith(".d.ts")) out.push(path.relative(ROOT, p).split(path.sep).join("/"));
    }
    return out;
}

/** Folders that must not import each other although the order would allow it: `from` never imports `to`. */
const SIBLINGS: readonly [from: string, to: string][] = [["components", "config"]];

/** Every import that runs against the layer order, as `from -> to`. */
function layerViolations(files: string[], read: (f: string) => string): string[] {
    const out: string[] = [];
    for (const file of files) {
        for (const spec of importsOf(read(file))) {
            const target = resolveImport(ROOT, file, spec);
            if (!target) continue;
            const [from, to] = [layerOf(file), layerOf(target)];
            const sibling = SIBLINGS.some(([a, b]) => file.startsWith(`${a}/`) && target.startsWith(`${b}/`));
            if (to > from || sibling || (target.startsWith("test/") && !file.startsWith("test/"))) out.push(`${file} -> ${target}`);
        }
    }
    return out.sort();
}

const files = sourceFiles();
const read = (f: string) => fs.readFileSync(path.join(ROOT, f), "utf8");

test("every TypeScript file belongs to a layer", () => {
    expect(files.length).toBeGreaterThan(80);
    for (const f of files) expect(() => layerOf(f)).not.toThrow();
});

test("no import runs against the layer order, and nothing outside test/ imports from test/", () => {
    expect(layerViolations(files, read)).toEqual([]);
});

test("the check catches a backwards import (a component importing the offline harness)", () => {
    const fake: Record<string, string> = { "components/fhirService.ts": `import { runStack } from "../harness/runStack";` };
    expect(layerViolations(Object.keys(fake), (f) => fake[f])).toEqual(["components/fhirService.ts -> harness/runStack.ts"]);
    // The components take their own arguments: the program maps config to them.
    const fromConfig: Record<string, string> = { "components/fhirAccount.ts": `import type { AccountConfig } from "../config/schema";` };
    expect(layerViolations(Object.keys(fromConfig), (f) => fromConfig[f])).toEqual(["components/fhirAccount.ts -> config/schema.ts"]);
    const fromTest: Record<string, string> = { "tools/verify/check.ts": `import { FakeFhir } from "../../test/fakes/fhirServer";` };
    expect(layerViolations(Object.keys(fromTest), (f) => fromTest[f])).toEqual(["tools/verify/check.ts -> test/fakes/fhirServer.ts"]);
});

test("the engine build hashes every file its plugins compile from, wherever it lives (a moved file once broke it)", () => {
    const sources = pluginSources();
    expect(sources).toEqual(
        expect.arrayContaining(["engine/plugins/fakeProvider.ts", "engine/plugins/fakeArm.ts", "harness/mockState.ts"]),
    );
    for (const f of sources) expect(fs.existsSync(path.join(ROOT, f))).toBe(true);
    // The closure follows imports transitively and only inside the repository.
    expect(sources.every((f) => !f.includes("node_modules"))).toBe(true);
});
