/**
 * The config schema (config/schema.ts) is the one source of truth: Pulumi.yaml declares exactly its scalar keys,
 * with the same types and defaults (the Pulumi CLI checks types before the program runs), documents its structured
 * keys, and the README's configuration reference names every key the schema knows.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { CONFIG_NAMESPACE, DEFAULTS, PLATFORM_KEYS, PlatformSchema, pulumiConfigType, schemaKeyPaths } from "../config";

const root = path.resolve(__dirname, "..");
interface Declaration {
    type?: unknown;
    items?: { type?: unknown };
    default?: unknown;
    description?: unknown;
}
const project = yaml.load(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as {
    name: string;
    runtime: unknown;
    config: Record<string, Declaration>;
};
const text = fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8");
const readme = fs.readFileSync(path.join(root, "README.md"), "utf8");
const declared = (key: string) => project.config[`${CONFIG_NAMESPACE}:${key}`];
/** Optional in the schema and without a default: absent is a valid value. */
const isOptionalWithoutDefault = (key: string) =>
    PlatformSchema.shape[key as keyof typeof PlatformSchema.shape].safeParse(undefined).success &&
    DEFAULTS.platform[key as keyof typeof DEFAULTS.platform] === undefined;

describe("Pulumi.yaml", () => {
    // Pulumi's project schema (sdk/go/common/workspace/project.json): config types are string, integer, boolean,
    // array (with items of those). An `object` type makes every pulumi command reject the project.
    test("declares config only with types the Pulumi CLI accepts", () => {
        for (const [key, d] of Object.entries(project.config)) {
            expect({ key, ok: ["string", "integer", "boolean", "array"].includes(String(d.type)) }).toEqual({ key, ok: true });
            if (d.type === "array") expect(["string", "integer", "boolean"]).toContain(d.items?.type);
            expect(typeof d.description).toBe("string");
        }
    });

    // The CLI requires every declared key that has no default ("missing configuration value"): a key the schema makes
    // optional without a default is documented in the comment, never declared.
    test(
        "declares every scalar key of the schema with its type and default, documents the structured and optional ones, and nothing " +
            "else",
        () => {
            for (const key of PLATFORM_KEYS) {
                const type = pulumiConfigType(key);
                if (type === undefined || isOptionalWithoutDefault(key)) {
                    expect({ key, documented: text.includes(`#   ${CONFIG_NAMESPACE}:${key}`) }).toEqual({ key, documented: true });
                    expect(declared(key)).toBeUndefined();
                    continue;
                }
                expect({ key, type: declared(key)?.type, default: declared(key)?.default }).toEqual({
                    key,
                    type,
                    default: DEFAULTS.platform[key],
                });
            }
            for (const key of Object.keys(project.config)) expect(PLATFORM_KEYS).toContain(key.replace(`${CONFIG_NAMESPACE}:`, ""));
        },
    );
});

describe("README configuration reference", () => {
    const section = readme.slice(
        readme.indexOf("## Configuration reference"),
        readme.indexOf("\n## ", readme.indexOf("## Configuration reference") + 1),
    );

    test("names every key the schema knows (stack-wide, per account and nested)", () => {
        expect(section.length).toBeGreaterThan(1000);
        for (const p of schemaKeyPaths()) {
            const key = p.split(".").pop()!.replace("[]", "");
            expect({ key: p, inReference: new RegExp(`\\b${key}\\b`).test(section) }).toEqual({ key: p, inReference: true });
        }
    });

    test("every stack-wide key has its own row", () => {
        for (const key of PLATFORM_KEYS) expect({ key, row: section.includes(`| \`${key}\` |`) }).toEqual({ key, row: true });
    });
});
