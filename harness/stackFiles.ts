import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import type { ConfigSource } from "../config/schema";

/** The project directory (where Pulumi.yaml lives). */
export const PROJECT_DIR = path.resolve(__dirname, "..");

export function stackFile(stack: string, projectDir = PROJECT_DIR): string {
    return path.join(projectDir, `Pulumi.${stack}.yaml`);
}

/**
 * Reads `Pulumi.<stack>.yaml` into the flat `namespace:key -> string` map the Pulumi engine hands a program
 * (objects, lists, numbers and booleans as JSON text), the same map `pulumi.Config` reads from.
 */
export function readStackConfig(stack: string, projectDir = PROJECT_DIR): Record<string, string> {
    const file = stackFile(stack, projectDir);
    if (!fs.existsSync(file))
        throw new Error(`no stack file ${path.relative(process.cwd(), file) || file}: create it or pick another --stack`);
    const doc = yaml.load(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> } | undefined;
    return toConfigMap(doc?.config ?? {});
}

export function toConfigMap(config: Record<string, unknown>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(config)) {
        out[key] = typeof value === "string" ? value : JSON.stringify(value);
    }
    return out;
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
