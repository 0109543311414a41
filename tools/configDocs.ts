/**
 * What is derived from the config schema (config/schema.ts), written by `npm run docs:config`: the README's
 * configuration reference tables and Pulumi.yaml's `config:` block. Each key's words are its `.meta({ description })`;
 * its type and default come from the schema unless `typeText`/`defaultText` say more. test/project.suite.ts fails when
 * a committed copy differs from what this renders.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { z } from "zod";
import { CONFIG_NAMESPACE, PlatformSchema, unwrap } from "../config/schema";

export interface KeyDoc {
    key: string;
    /** Markdown: the README's type column, e.g. `int 1-365`, `` `Enabled` | `Disabled` ``. */
    type: string;
    /** Markdown: `` `true` ``, `required`, `none`, or the schema's `defaultText`. */
    default: string;
    description: string;
    /** The Pulumi project config type of a scalar, else undefined (structured keys are not declared). */
    pulumiType?: "string" | "integer" | "boolean";
    /** The schema's default, when it has one. */
    value?: unknown;
    optional: boolean;
}

interface DocMeta {
    description?: string;
    typeText?: string;
    defaultText?: string;
}

/** The metadata of a key's schema and of every wrapper inside it (the outer one wins). */
function metaOf(s: z.ZodType): DocMeta {
    const inner =
        s instanceof z.ZodOptional || s instanceof z.ZodDefault
            ? metaOf(s.unwrap() as z.ZodType)
            : s instanceof z.ZodPipe
              ? metaOf(s.in as z.ZodType)
              : {};
    return { ...inner, ...(z.globalRegistry.get(s) as DocMeta | undefined) };
}

function typeOf(s: z.ZodType): string {
    if (s instanceof z.ZodBoolean) return "bool";
    if (s instanceof z.ZodEnum) return s.options.map((o) => `\`${String(o)}\``).join(" | ");
    if (s instanceof z.ZodLiteral) return [...s.values].map(String).join(" | ");
    if (s instanceof z.ZodArray) return "list";
    if (s instanceof z.ZodRecord) return "map";
    if (s instanceof z.ZodObject) return "object";
    return s instanceof z.ZodNumber ? "number" : "string";
}

function pulumiTypeOf(s: z.ZodType): KeyDoc["pulumiType"] {
    if (s instanceof z.ZodBoolean) return "boolean";
    if (s instanceof z.ZodNumber) return "integer";
    if (s instanceof z.ZodString || s instanceof z.ZodEnum) return "string";
    return undefined;
}

/** One row per key of an object schema (of its element, for a list), in the schema's order. */
export function keyDocs(schema: z.ZodType): KeyDoc[] {
    let object = unwrap(schema);
    if (object instanceof z.ZodArray) object = unwrap(object.element as z.ZodType);
    if (!(object instanceof z.ZodObject)) throw new Error("keyDocs takes an object schema");
    return Object.entries(object.shape as Record<string, z.ZodType>).map(([key, s]) => {
        const meta = metaOf(s);
        if (!meta.description) throw new Error(`config key ${key} has no .meta({ description }): the README would have no words for it`);
        const value = s instanceof z.ZodDefault ? (s.def.defaultValue as unknown) : undefined;
        const optional = s instanceof z.ZodOptional;
        const shown = typeof value === "string" ? value : JSON.stringify(value);
        return {
            key,
            type: meta.typeText ?? typeOf(unwrap(s)),
            default: meta.defaultText ?? (value !== undefined ? `\`${shown}\`` : optional ? "none" : "required"),
            description: meta.description,
            pulumiType: pulumiTypeOf(unwrap(s)),
            value,
            optional,
        };
    });
}

/** Markdown without its marks, for YAML: `x` -> x, **x** -> x, [t](u) -> t (u). */
function plain(markdown: string): string {
    return markdown.replace(/\[([^\]]+)\]\(([^)]+)\)/g, (_, t: string, u: string) => (t === u ? t : `${t} (${u})`)).replace(/\*\*|`/g, "");
}

const cell = (text: string) => text.replace(/\|/g, "\\|");

function table(rows: KeyDoc[]): string[] {
    return [
        "| key | type | default | meaning |",
        "|---|---|---|---|",
        ...rows.map((r) => `| \`${r.key}\` | ${cell(r.type)} | ${cell(r.default)} | ${cell(r.description)} |`),
    ];
}

export const README_BEGIN = "<!-- generated from config/schema.ts by `npm run docs:config`: edit the schema, not these tables -->";
export const README_END = "<!-- end of the generated configuration reference -->";

/** The README's configuration reference tables, between their markers. */
export function readmeTables(): string {
    const platform = keyDocs(PlatformSchema);
    const account = keyDocs(PlatformSchema.shape.accounts);
    return [README_BEGIN, "Stack-wide:", "", ...table(platform), "", "Per account:", "", ...table(account), README_END].join("\n");
}

/** Keys Pulumi.yaml declares: scalars the CLI can type-check, except optional ones without a default (the CLI would require them). */
const declared = (d: KeyDoc) => d.pulumiType !== undefined && !(d.optional && d.value === undefined);

/** A key's shape for the comment: `list of { a, b? }`, `{ a? }`, or its type. */
function shapeOf(d: KeyDoc): string {
    const s = unwrap(PlatformSchema.shape[d.key as keyof typeof PlatformSchema.shape] as z.ZodType);
    const element = s instanceof z.ZodArray ? unwrap(s.element as z.ZodType) : s;
    if (s instanceof z.ZodArray && !(element instanceof z.ZodObject)) return `list of ${typeOf(element)}s`;
    if (!(element instanceof z.ZodObject)) return `${plain(d.type)}${d.optional ? `, optional (absent: ${plain(d.default)})` : ""}`;
    const keys = Object.entries(element.shape as Record<string, z.ZodType>).map(
        ([k, v]) => `${k}${v instanceof z.ZodOptional || v instanceof z.ZodDefault ? "?" : ""}`,
    );
    return `${s instanceof z.ZodArray ? "list of " : ""}{ ${keys.join(", ")} }${d.optional ? ", optional" : ""}`;
}

/** `words` as comment lines of at most `width` columns, the first after `first`, the rest indented under it. */
function commentLines(first: string, words: string, width = 120): string[] {
    const lines: string[] = [];
    let line = first;
    for (const word of words.split(" ")) {
        if (line.length + word.length + 1 > width && line.trim() !== "#") {
            lines.push(line);
            line = `#${" ".repeat(first.length - 1)}`;
        }
        line += line.endsWith(" ") ? word : ` ${word}`;
    }
    return [...lines, line];
}

export const PULUMI_BEGIN = "# Generated from config/schema.ts by `npm run docs:config`: edit the schema, not this block.";

/** Pulumi.yaml's comment and `config:` block (the rest of the file is the project's own). */
export function pulumiConfigBlock(): string {
    const docs = keyDocs(PlatformSchema);
    const width = Math.max(...docs.filter((d) => !declared(d)).map((d) => `${CONFIG_NAMESPACE}:${d.key}`.length)) + 2;
    const listed = docs
        .filter((d) => !declared(d))
        .flatMap((d) => commentLines(`#   ${`${CONFIG_NAMESPACE}:${d.key}`.padEnd(width)}`, shapeOf(d)));
    const config = Object.fromEntries(
        docs.filter(declared).map((d) => {
            const prefix = ["bool", "string"].includes(d.type) ? "" : `${plain(d.type)}: `;
            return [
                `${CONFIG_NAMESPACE}:${d.key}`,
                {
                    type: d.pulumiType,
                    ...(d.value !== undefined ? { default: d.value } : {}),
                    description: `${prefix}${plain(d.description)}`,
                },
            ];
        }),
    );
    return [
        PULUMI_BEGIN,
        "# Pulumi project config types are string, integer, boolean and arrays of those, and the CLI requires every declared",
        "# key that has no default: so the scalar keys are declared below, and the structured and optional ones only listed",
        `# here. config/schema.ts validates them all (README.md, "Configuration reference").`,
        ...listed,
        yaml.dump({ config }, { lineWidth: -1 }).trimEnd(),
    ].join("\n");
}

export interface GeneratedFile {
    file: string;
    current: string;
    expected: string;
}

/** README.md and Pulumi.yaml of `root` as they are, and as the schema says they should be. */
export function configDocFiles(root: string): GeneratedFile[] {
    const read = (f: string) => fs.readFileSync(path.join(root, f), "utf8");
    const readme = read("README.md");
    const [begin, end] = [readme.indexOf(README_BEGIN), readme.indexOf(README_END)];
    if (begin < 0 || end < begin) throw new Error(`README.md: no generated configuration reference (${README_BEGIN} ... ${README_END})`);
    const pulumi = read("Pulumi.yaml");
    const at = pulumi.indexOf(PULUMI_BEGIN);
    if (at < 0) throw new Error(`Pulumi.yaml: no generated config block (${PULUMI_BEGIN})`);
    return [
        { file: "README.md", current: readme, expected: readme.slice(0, begin) + readmeTables() + readme.slice(end + README_END.length) },
        { file: "Pulumi.yaml", current: pulumi, expected: `${pulumi.slice(0, at)}${pulumiConfigBlock()}\n` },
    ];
}

/** Writes the stale files (or, with `check`, only names them); returns the names of the stale ones. */
export function writeConfigDocs(root: string, check = false): string[] {
    const stale = configDocFiles(root).filter((f) => f.current !== f.expected);
    if (!check) for (const f of stale) fs.writeFileSync(path.join(root, f.file), f.expected);
    return stale.map((f) => f.file);
}
