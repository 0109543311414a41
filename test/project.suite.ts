/**
 * The config schema (config/schema.ts) is the one source of truth: the README's configuration reference and
 * Pulumi.yaml's `config:` block are generated from it (tools/configDocs.ts, `npm run docs:config`), and the committed
 * copies must be current. What the generated Pulumi.yaml means to the Pulumi CLI is checked against how the schema parses.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { z } from "zod";
import { CONFIG_NAMESPACE, PLATFORM_KEYS, PlatformSchema, unwrap } from "../config";
import { README_BEGIN, configDocFiles, keyDocs, readmeTables, writeConfigDocs } from "../tools/configDocs";

const root = path.resolve(__dirname, "..");
interface Declaration {
    type?: unknown;
    items?: { type?: unknown };
    default?: unknown;
    description?: unknown;
}
const text = fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8");
const project = yaml.load(text) as { config: Record<string, Declaration> };
const declared = (key: string) => project.config[`${CONFIG_NAMESPACE}:${key}`];

test("README.md and Pulumi.yaml are what `npm run docs:config` writes from the schema", () => {
    for (const f of configDocFiles(root)) expect({ file: f.file, text: f.current }).toEqual({ file: f.file, text: f.expected });
});

test("the freshness check fails on a stale copy, and the command rewrites it", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "config-docs-"));
    for (const f of ["README.md", "Pulumi.yaml"]) fs.copyFileSync(path.join(root, f), path.join(dir, f));
    fs.writeFileSync(
        path.join(dir, "README.md"),
        fs.readFileSync(path.join(dir, "README.md"), "utf8").replace("| `deploy` |", "| `deploj` |"),
    );
    fs.appendFileSync(path.join(dir, "Pulumi.yaml"), "  fhir-platform:extra:\n    type: string\n");
    expect(writeConfigDocs(dir, true)).toEqual(["README.md", "Pulumi.yaml"]);
    expect(writeConfigDocs(dir)).toEqual(["README.md", "Pulumi.yaml"]);
    expect(writeConfigDocs(dir, true)).toEqual([]);
    fs.rmSync(dir, { recursive: true });
});

test("a key without a description cannot be documented: the generator refuses it", () => {
    expect(() => keyDocs(z.strictObject({ x: z.string().meta({ description: "x" }), y: z.boolean().default(true) }))).toThrow(
        /config key y has no \.meta\(\{ description \}\)/,
    );
});

describe("Pulumi.yaml", () => {
    // Pulumi's project schema (sdk/go/common/workspace/project.json): config types are string, integer, boolean,
    // array (with items of those). An `object` type makes every pulumi command reject the project.
    test("declares config only with types the Pulumi CLI accepts, each with a description", () => {
        for (const [key, d] of Object.entries(project.config)) {
            expect({ key, ok: ["string", "integer", "boolean", "array"].includes(String(d.type)) }).toEqual({ key, ok: true });
            if (d.type === "array") expect(["string", "integer", "boolean"]).toContain(d.items?.type);
            expect(typeof d.description).toBe("string");
        }
    });

    // The CLI fills a declared key's default into the stack's config and requires every declared key that has none
    // ("missing configuration value"): a declaration must mean what the schema does when the key is absent.
    // The CLI fills a declared key's default into the stack's config, requires every declared key that has none
    // ("missing configuration value") and type-checks the values: a declaration must mean what the schema does.
    test("declares each scalar key with the schema's own default (or none where it is required), lists the others in its comment", () => {
        const sample: Record<string, unknown> = { location: "westeurope", tenantId: "72f988bf-0000-4000-8000-0000000000aa" };
        for (const key of PLATFORM_KEYS) {
            const d = declared(key);
            const absent = PlatformSchema.shape[key].safeParse(undefined);
            const value = absent.success ? absent.data : sample[key];
            if (d === undefined) {
                const structured = typeof value === "object" || value === undefined;
                const listed = text.includes(`#   ${CONFIG_NAMESPACE}:${key} `);
                expect({ key, structured, listed }).toEqual({ key, structured: true, listed: true });
                continue;
            }
            const type = { boolean: "boolean", number: "integer", string: "string" }[typeof value as "string"];
            expect({ key, default: d.default, type: d.type }).toEqual({ key, default: absent.success ? value : undefined, type });
        }
        for (const key of Object.keys(project.config)) expect(PLATFORM_KEYS).toContain(key.replace(`${CONFIG_NAMESPACE}:`, ""));
    });
});

/** Every key path the schema knows (`accounts[].cors.origins`). */
function keyPaths(s: z.ZodType = PlatformSchema, prefix = ""): string[] {
    const c = unwrap(s);
    if (c instanceof z.ZodArray) return keyPaths(c.element as z.ZodType, `${prefix}[]`);
    if (!(c instanceof z.ZodObject)) return [];
    return Object.entries(c.shape as Record<string, z.ZodType>).flatMap(([k, v]) => {
        const p = prefix ? `${prefix}.${k}` : k;
        return [p, ...keyPaths(v, p)];
    });
}

describe("README configuration reference", () => {
    const tables = readmeTables();
    const rows = (section: string) => [...section.matchAll(/^\| `(\w+)` \|/gm)].map((m) => m[1]);

    test("one row per key, stack-wide and per account, in the schema's order", () => {
        const [platform, account] = tables.split("Per account:");
        expect(tables.startsWith(README_BEGIN)).toBe(true);
        expect(rows(platform)).toEqual(PLATFORM_KEYS);
        expect(rows(account)).toEqual(keyDocs(PlatformSchema.shape.accounts).map((d) => d.key));
        expect(rows(account)).toEqual(expect.arrayContaining(["name", "keySize", "grants", "subscription"]));
    });

    // Nested keys have no row: the meaning of the key that holds them must name them.
    test("names every key the schema knows (stack-wide, per account and nested)", () => {
        for (const p of keyPaths()) {
            const key = p.split(".").pop()!.replace("[]", "");
            expect({ key: p, inReference: new RegExp(`\\b${key}\\b`).test(tables) }).toEqual({ key: p, inReference: true });
        }
    });
});
