/**
 * Stack files read as the Pulumi CLI (v3.274.1) reads them, so the offline tools see the config map `pulumi up` hands
 * the program, or refuse the file. A key without a namespace takes the project's (sdk go/common/workspace/loaders.go,
 * stackConfigNamespacedWithProject); `<ns>:config:<name>` is the old spelling of `<ns>:<name>`, any other key with two
 * or more colons an error (go/common/resource/config/key.go, ParseKey); values pass as text, lists and maps as JSON
 * with sorted keys (config/object.go, MarshalString); keys Pulumi.yaml declares with a `default` or `value` fill gaps
 * (pkg workspace/config.go, mergeConfig). Refused, as the CLI would apply them differently or this reader cannot: two
 * spellings of one key (which wins is Go map order), a key without a value, a `secure:` secret, an ESC `environment:`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { type ConfigProblem, type ConfigSource, ConfigValidationError } from "../config/schema";

/** The project directory (where Pulumi.yaml lives). */
export const PROJECT_DIR = path.resolve(__dirname, "..");

export function stackFile(stack: string, projectDir = PROJECT_DIR): string {
    return path.join(projectDir, `Pulumi.${stack}.yaml`);
}

/**
 * YAML as the CLI's decoder (gopkg.in/yaml.v3 into `any`) reads the files here: YAML 1.2 core types, merge keys, and
 * timestamps left as strings (js-yaml's default schema would turn `2026-01-01` into a Date).
 */
const CLI_YAML = yaml.CORE_SCHEMA.extend({ implicit: [(yaml as unknown as { types: { merge: yaml.Type } }).types.merge] });

export function parseYaml(text: string, file: string): unknown {
    try {
        return yaml.load(text, { schema: CLI_YAML, filename: file });
    } catch (e) {
        throw new Error(`${file}: not valid YAML: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`);
    }
}

interface ProjectFile {
    name?: unknown;
    config?: Record<string, unknown>;
}

/** Pulumi.yaml of the directory, or this program's when the directory holds only stack files (`--project-dir`). */
function readProject(projectDir: string): ProjectFile {
    const own = path.join(projectDir, "Pulumi.yaml");
    const file = fs.existsSync(own) ? own : path.join(PROJECT_DIR, "Pulumi.yaml");
    const doc = parseYaml(fs.readFileSync(file, "utf8"), file);
    return isRecord(doc) ? (doc as ProjectFile) : {};
}

/** The project's name (`name:` in Pulumi.yaml): the namespace of keys written without one. */
export function projectName(projectDir = PROJECT_DIR): string {
    const name = readProject(projectDir).name;
    if (typeof name !== "string" || name === "") throw new Error(`Pulumi.yaml of ${projectDir}: no project name`);
    return name;
}

/**
 * A stack reference as the Pulumi CLI takes it (`dev`, `acme/staging`, `acme/fhir-platform/staging`) to the stack
 * name of its file (`Pulumi.<stack>.yaml`): the last part. Stack names are letters, digits, `-`, `_` and `.`.
 */
export function parseStackRef(ref: string, project?: string): { stack: string } | { error: string } {
    const parts = ref.split("/");
    const stack = parts.at(-1) ?? "";
    if (parts.length > 3 || parts.some((p) => p === ""))
        return { error: `--stack ${ref}: expected <stack>, <org>/<stack> or <org>/<project>/<stack>` };
    if (!/^[A-Za-z0-9_.-]+$/.test(stack) || stack === "." || stack === "..")
        return { error: `--stack ${ref}: '${stack}' is not a stack name (letters, digits, '-', '_' and '.')` };
    if (parts.length === 3 && project !== undefined && parts[1] !== project)
        return { error: `--stack ${ref}: project '${parts[1]}' is not this project ('${project}')` };
    return { stack };
}

/**
 * Reads `Pulumi.<stack>.yaml` into the flat `namespace:key -> string` map the Pulumi CLI hands a program (the map
 * `pulumi.Config` reads from), with Pulumi.yaml's defaults applied. Throws ConfigValidationError listing every key it
 * refuses (see the file comment), or an Error when the file is missing or not YAML.
 */
export function readStackConfig(stack: string, projectDir = PROJECT_DIR): Record<string, string> {
    const file = stackFile(stack, projectDir);
    if (!fs.existsSync(file))
        throw new Error(`no stack file ${path.relative(process.cwd(), file) || file}: create it or pick another --stack`);
    const doc = parseYaml(fs.readFileSync(file, "utf8"), file);
    const project = readProject(projectDir);
    const name = typeof project.name === "string" ? project.name : "";
    const problems: ConfigProblem[] = [];
    if (isRecord(doc) && doc.environment !== undefined)
        problems.push({
            path: "environment",
            message:
                "imports Pulumi ESC environments, whose values only Pulumi Cloud can resolve: the offline tools cannot read this stack " +
                "as the CLI would; put the values in the stack file's config",
        });
    const config = isRecord(doc) && isRecord(doc.config) ? doc.config : {};
    const map = cliConfigMap(config, name, problems);
    if (problems.length) throw new ConfigValidationError(problems, `${path.basename(file)}, read as the Pulumi CLI reads it,`);
    return withProjectDefaults(map, project.config ?? {}, name);
}

/** A stack file's `config:` block as the CLI's flat map; what it cannot map the same way goes to `problems`. */
export function cliConfigMap(config: Record<string, unknown>, project: string, problems: ConfigProblem[] = []): Record<string, string> {
    const out: Record<string, string> = {};
    const spelledAs = new Map<string, string>();
    for (const [raw, value] of Object.entries(config)) {
        const key = cliConfigKey(raw, project);
        if (typeof key !== "string") {
            problems.push({ path: raw, message: key.error });
            continue;
        }
        const other = spelledAs.get(key);
        if (other !== undefined) {
            problems.push({ path: raw, message: `'${other}' and '${raw}' ${ONE_KEY(project)}` });
            continue;
        }
        spelledAs.set(key, raw);
        if (value === null || value === undefined) {
            problems.push({ path: raw, message: NO_VALUE });
            continue;
        }
        const secret = secretPath(value, raw);
        if (secret !== undefined) problems.push({ path: secret, message: SECRET });
        else out[key] = cliConfigValue(value);
    }
    return out;
}

const ONE_KEY = (project: string) =>
    `are one key to the Pulumi CLI (a key without a namespace takes the project's, '${project}'), and which of the two values ` +
    "it applies is not defined: keep one";
const NO_VALUE =
    "has no value: the Pulumi CLI warns (No value for configuration key) and passes an empty string; write a value or delete the line";
const SECRET = "is a secret (secure:), which only the stack's secrets provider decrypts: the offline tools cannot read it";

/** The key the CLI makes of a stack file key, or why it refuses it. */
export function cliConfigKey(raw: string, project: string): string | { error: string } {
    if (!raw.includes(":")) return `${project}:${raw}`;
    const parts = raw.split(":");
    if (parts.length === 2) return raw;
    if (parts.length === 3 && parts[1] === "config") return `${parts[0]}:${parts[2]}`;
    return { error: `the Pulumi CLI refuses this key: configuration keys are <namespace>:<name> (or <namespace>:config:<name>)` };
}

/** A value as the CLI passes it to the program: strings as written, everything else as JSON with sorted map keys. */
export function cliConfigValue(value: unknown): string {
    return typeof value === "string" ? value : JSON.stringify(mapJson(value, (v) => v, true));
}

/** A copy of a JSON-like value made in this realm, every leaf through `leaf`; with `sorted`, object keys sorted. */
export function mapJson(value: unknown, leaf: (v: unknown) => unknown, sorted = false): unknown {
    if (Array.isArray(value)) return value.map((v) => mapJson(v, leaf, sorted));
    if (!isRecord(value)) return leaf(value);
    const keys = sorted ? Object.keys(value).sort() : Object.keys(value);
    return Object.fromEntries(keys.map((k) => [k, mapJson(value[k], leaf, sorted)]));
}

/** Where in a value a `{ secure: <ciphertext> }` sits (the CLI's encrypted form), if anywhere. */
function secretPath(value: unknown, at: string): string | undefined {
    if (isRecord(value) && Object.keys(value).length === 1 && typeof value.secure === "string") return at;
    const items = Array.isArray(value) ? value.map((v, i) => [`${at}[${i}]`, v] as const) : [];
    const fields = isRecord(value) ? Object.entries(value).map(([k, v]) => [`${at}.${k}`, v] as const) : [];
    for (const [p, v] of [...items, ...fields]) {
        const found = secretPath(v, p);
        if (found) return found;
    }
    return undefined;
}

/**
 * Pulumi.yaml's `config:` values for keys the stack lacks, as the CLI merges them: a declaration's `default` (project
 * keys) or `value` (other namespaces), or a shorthand scalar or list. Scalars as text (Go's %v), the rest as JSON.
 */
function withProjectDefaults(map: Record<string, string>, declared: Record<string, unknown>, project: string): Record<string, string> {
    const out = { ...map };
    for (const [raw, declaration] of Object.entries(declared)) {
        const key = cliConfigKey(raw, project);
        if (typeof key !== "string" || key in out) continue;
        const value = isRecord(declaration) ? (declaration.default ?? declaration.value) : declaration;
        if (value !== undefined && value !== null) out[key] = cliConfigValue(value);
    }
    return out;
}

/** Converts namespaced keys and plain values to the CLI's map (for stacks built in code, e.g. tests and benchmarks). */
export function toConfigMap(config: Record<string, unknown>): Record<string, string> {
    return Object.fromEntries(Object.entries(config).map(([key, value]) => [key, cliConfigValue(value)]));
}

/** A ConfigSource over a config map, for one namespace (listing its keys, so misspelled ones are reported). */
export function configSource(map: Record<string, string>, namespace = "fhir-platform"): ConfigSource {
    const prefix = `${namespace}:`;
    return {
        get: (key: string) => map[`${prefix}${key}`],
        keys: () =>
            Object.keys(map)
                .filter((k) => k.startsWith(prefix))
                .map((k) => k.slice(prefix.length)),
    };
}

/** Account names as written in the raw config, even when the config is invalid (so duplicates are still found). */
export function rawAccountNames(map: Record<string, string>): string[] {
    try {
        const accounts: unknown = JSON.parse(map["fhir-platform:accounts"] ?? "[]");
        return Array.isArray(accounts)
            ? accounts
                  .map((a: unknown) => (a && typeof a === "object" ? (a as { name?: unknown }).name : undefined))
                  .filter((n): n is string => typeof n === "string")
            : [];
    } catch {
        return [];
    }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}
