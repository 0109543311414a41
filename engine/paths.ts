/** Where the real-engine support lives and builds to. Everything under BIN_DIR is generated and gitignored. */
import * as fs from "node:fs";
import * as path from "node:path";

export const REPO_ROOT = path.resolve(__dirname, "..");
export const ENGINE_DIR = path.join(REPO_ROOT, "engine");
export const BIN_DIR = path.join(ENGINE_DIR, "bin");
/** The CLI built from Go modules. */
export const PULUMI_BIN = path.join(BIN_DIR, "pulumi");
/** The Pulumi YAML language host built from Go modules (engine/yaml/go.mod). */
export const YAML_HOST_BIN = path.join(BIN_DIR, "pulumi-language-yaml");
/** Compiled TypeScript plugins (language host, fake providers). */
export const DIST_DIR = path.join(BIN_DIR, "dist");
/** A project-local PULUMI_HOME: the fake providers are installed in its plugin cache, so nothing is downloaded. */
export const PULUMI_HOME = path.join(BIN_DIR, "home");

/** The pinned `github.com/pulumi/pulumi/pkg/v3` version, read from engine/go.mod. */
export function pinnedVersion(): string {
    const gomod = fs.readFileSync(path.join(ENGINE_DIR, "go.mod"), "utf8");
    const m = /github\.com\/pulumi\/pulumi\/pkg\/v3 (v\S+)/.exec(gomod);
    if (!m) throw new Error("engine/go.mod does not require github.com/pulumi/pulumi/pkg/v3");
    return m[1];
}

/** The version of an installed npm package of this project (the fake providers take the SDKs' exact versions). */
export function installedVersion(pkg: string): string {
    const manifest = require.resolve(`${pkg}/package.json`, { paths: [REPO_ROOT] });
    return (JSON.parse(fs.readFileSync(manifest, "utf8")) as { version: string }).version;
}
