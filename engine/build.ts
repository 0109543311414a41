/**
 * `npm run engine:build [-- --plugins-only]`: builds the real-engine test kit into engine/bin (gitignored).
 *
 * 1. The Pulumi CLI from Go modules: `go build github.com/pulumi/pulumi/pkg/v3/cmd/pulumi` in the engine/ wrapper
 *    module, which pins the version (go.mod, go.sum). Rebuilt only when go.mod, go.sum or the Go toolchain change. Beside
 *    it, the same way, the Pulumi YAML language host (`pulumi-language-yaml`, pinned in engine/yaml/go.mod), for the
 *    engine test where a YAML program consumes the components as a component package.
 * 2. The TypeScript plugins (language host, fake providers), compiled with tsc; rebuilt when their sources change.
 * 3. The launch plugins the CLI distribution ships as scripts, next to the binary: `pulumi-language-nodejs` (ours),
 *    `pulumi-resource-pulumi-nodejs` (dynamic providers) and `pulumi-analyzer-policy` (policy packs, for hosts
 *    without a language plugin).
 * 4. Fake `azure-native` and `random` providers, at the exact versions the program's SDKs are, in the plugin cache
 *    of a project-local PULUMI_HOME.
 *
 * `--plugins-only` skips the CLI and the YAML host (for a real Pulumi CLI: PULUMI_ENGINE=$(which pulumi); its distribution
 * ships pulumi-language-yaml).
 */
import * as childProcess from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { localImportClosure } from "../tools/imports";
import { BIN_DIR, DIST_DIR, ENGINE_DIR, PULUMI_BIN, PULUMI_HOME, REPO_ROOT, YAML_HOST_BIN, installedVersion, pinnedVersion } from "./paths";

const PKG_MODULE = "github.com/pulumi/pulumi/pkg/v3";
/** Fake providers: npm SDK package → plugin name. */
export const FAKE_PROVIDERS: Record<string, string> = { "@pulumi/azure-native": "azure-native", "@pulumi/random": "random" };

function log(message: string): void {
    process.stderr.write(`engine: ${message}\n`);
}

function hashOf(parts: string[]): string {
    const h = crypto.createHash("sha256");
    for (const p of parts) h.update(p).update("\0");
    return h.digest("hex");
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
    const r = childProcess.spawnSync(command, args, {
        cwd,
        env,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "inherit"],
        maxBuffer: 64 * 1024 * 1024,
    });
    if (r.error) throw new Error(`${command} ${args.join(" ")}: ${r.error.message}`);
    if (r.status !== 0) throw new Error(`${command} ${args.join(" ")} exited with ${r.status}`);
    return r.stdout;
}

/** Runs `build` unless `stampFile` holds `stamp` and every output exists; then records the stamp. */
function cached(name: string, stampFile: string, stamp: string, outputs: string[], build: () => void): void {
    const current = fs.existsSync(stampFile) ? fs.readFileSync(stampFile, "utf8") : "";
    if (current === stamp && outputs.every((o) => fs.existsSync(o))) {
        log(`${name}: up to date`);
        return;
    }
    const started = Date.now();
    build();
    fs.writeFileSync(stampFile, stamp);
    log(`${name}: built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** Where Go's official installer puts it (https://go.dev/doc/install), for a PATH without it (a bare CI shell). */
const GO_INSTALL_DIR = "/usr/local/go/bin";

/** `go`: $GO if set, else from PATH, else from Go's default install location; an error that says how to fix it. */
export function goBinary(env: NodeJS.ProcessEnv = process.env, exists: (f: string) => boolean = fs.existsSync): string {
    if (env.GO) return env.GO;
    const dirs = [...(env.PATH ?? "").split(path.delimiter).filter(Boolean), GO_INSTALL_DIR];
    const found = dirs.map((d) => path.join(d, "go")).find(exists);
    if (!found)
        throw new Error(
            `Go not found on PATH or in ${GO_INSTALL_DIR}: install Go 1.26 (https://go.dev/doc/install) or set GO=<path to go>`,
        );
    return found;
}

/**
 * One Go binary from the wrapper module in `moduleDir` (its go.mod + go.sum pin every version), cached: rebuilt only
 * when go.mod, go.sum, the Go toolchain or the flags change. GOFLAGS=-mod=readonly: the pin is as committed, never
 * re-resolved.
 */
function buildGoBinary(what: string, moduleDir: string, pkg: string, out: string, ldflags: string, coldBuild: string): void {
    const go = goBinary();
    const goVersion = run(go, ["version"], moduleDir).trim();
    const gomod = fs.readFileSync(path.join(moduleDir, "go.mod"), "utf8");
    const gosum = fs.readFileSync(path.join(moduleDir, "go.sum"), "utf8");
    cached(
        `${what} (${goVersion})`,
        path.join(BIN_DIR, `.${path.basename(out)}.stamp`),
        hashOf([gomod, gosum, goVersion, ldflags]),
        [out],
        () => {
            log(`building ${what} from Go modules (${coldBuild})`);
            run(go, ["build", "-trimpath", "-ldflags", ldflags, "-o", out, pkg], moduleDir, {
                ...process.env,
                GOFLAGS: "-mod=readonly",
                GOTOOLCHAIN: process.env.GOTOOLCHAIN ?? "local",
            });
        },
    );
}

/** The CLI. */
export function buildCli(): void {
    const version = pinnedVersion();
    const ldflags = `-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=${version}`;
    buildGoBinary(
        `pulumi ${version}`,
        ENGINE_DIR,
        `${PKG_MODULE}/cmd/pulumi`,
        PULUMI_BIN,
        ldflags,
        "a cold build downloads ~1.6 GB of modules and compiles for several minutes",
    );
}

/** The Pulumi YAML language host, found by the CLI beside it (engine/bin is on the engine tests' PATH). */
export function buildYamlHost(): void {
    const dir = path.join(ENGINE_DIR, "yaml");
    const m = /github\.com\/pulumi\/pulumi-yaml (v\S+)/.exec(fs.readFileSync(path.join(dir, "go.mod"), "utf8"));
    buildGoBinary(
        `pulumi-language-yaml ${m?.[1] ?? "(unpinned)"}`,
        dir,
        "github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml",
        YAML_HOST_BIN,
        "-s -w",
        "a cold build downloads its modules and compiles for about 3 minutes",
    );
}

/** The plugins' entry points (engine/tsconfig.json `files`). */
const PLUGIN_ENTRIES = ["engine/plugins/languageHost.ts", "engine/plugins/fakeProvider.ts"];

/** Every repository file the plugins compile from (relative to the repository), read from their imports. */
export function pluginSources(): string[] {
    return localImportClosure(REPO_ROOT, PLUGIN_ENTRIES);
}

/** The TypeScript plugins, compiled by this project's TypeScript. */
export function buildPlugins(): void {
    const tsconfig = path.join(ENGINE_DIR, "tsconfig.json");
    const sources = [tsconfig, path.join(REPO_ROOT, "tsconfig.json"), ...pluginSources().map((f) => path.join(REPO_ROOT, f))];
    const stamp = hashOf(sources.map((f) => `${f}\n${fs.readFileSync(f, "utf8")}`));
    const outputs = ["languageHost.js", "fakeProvider.js"].map((f) => path.join(DIST_DIR, "engine", "plugins", f));
    cached("plugins (tsc)", path.join(BIN_DIR, ".plugins.stamp"), stamp, outputs, () => {
        fs.rmSync(DIST_DIR, { recursive: true, force: true });
        run(process.execPath, [require.resolve("typescript/bin/tsc", { paths: [REPO_ROOT] }), "-p", tsconfig], REPO_ROOT);
    });
}

function writeScript(file: string, body: string): void {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `#!/bin/sh\n# Generated by engine/build.ts.\n${body}`, { mode: 0o755 });
    fs.chmodSync(file, 0o755);
}

/**
 * The launch plugins. The two shims do what the CLI distribution's scripts do: find the SDK's entry point from the
 * working directory the engine gives them (the program's, or the policy pack's) with node, and run it with node.
 */
export function writeLaunchPlugins(): void {
    writeScript(path.join(BIN_DIR, "pulumi-language-nodejs"), `exec node "$(dirname "$0")/dist/engine/plugins/languageHost.js" "$@"\n`);
    const shim = (entry: string) => `SCRIPT=$(node -e "console.log(require.resolve('${entry}'))") || exit 1\nexec node "$SCRIPT" "$@"\n`;
    writeScript(path.join(BIN_DIR, "pulumi-resource-pulumi-nodejs"), shim("@pulumi/pulumi/cmd/dynamic-provider"));
    writeScript(path.join(BIN_DIR, "pulumi-analyzer-policy"), shim("@pulumi/pulumi/cmd/run-policy-pack"));
}

/** Fake providers in PULUMI_HOME/plugins at the SDKs' exact versions; other versions of them are removed. */
export function installFakeProviders(): string[] {
    const pluginDir = path.join(PULUMI_HOME, "plugins");
    fs.mkdirSync(pluginDir, { recursive: true });
    const installed: string[] = [];
    for (const [npmPackage, name] of Object.entries(FAKE_PROVIDERS)) {
        const version = installedVersion(npmPackage);
        const dirName = `resource-${name}-v${version}`;
        for (const stale of fs.readdirSync(pluginDir).filter((d) => d.startsWith(`resource-${name}-v`) && d !== dirName)) {
            fs.rmSync(path.join(pluginDir, stale), { recursive: true, force: true });
        }
        const entry = path.join(DIST_DIR, "engine", "plugins", "fakeProvider.js");
        writeScript(path.join(pluginDir, dirName, `pulumi-resource-${name}`), `exec node "${entry}" ${name} ${version} "$@"\n`);
        installed.push(`${name} v${version}`);
    }
    return installed;
}

/** Everything but the CLI: what a real Pulumi CLI needs to run the engine tests. */
export function buildSupport(): void {
    fs.mkdirSync(BIN_DIR, { recursive: true });
    buildPlugins();
    writeLaunchPlugins();
    log(`fake providers in ${path.relative(REPO_ROOT, PULUMI_HOME)}: ${installFakeProviders().join(", ")}`);
}

/** `npm run engine:build`: the CLI and the YAML host (unless only the plugins are wanted), then everything around them. */
export function build(options: { pluginsOnly: boolean }): void {
    fs.mkdirSync(BIN_DIR, { recursive: true });
    if (!options.pluginsOnly) {
        buildCli();
        buildYamlHost();
    }
    buildSupport();
}
