/**
 * What @pulumi/pulumi/cmd/run does to a process before it loads a program, for the bench's language-host children and
 * the tests (plain JavaScript: it must run before anything is registered). From the installed SDK's cmd/run/index.js
 * and cmd/run/run.js (test/runtime.suite.ts checks those lines are still there):
 * - `require("source-map-support/register")`, for every program;
 * - for a TypeScript project (runtime.options.typescript), ts-node's `register` with `project` =
 *   PULUMI_NODEJS_TSCONFIG_PATH (what the host sets from runtime.options.tsconfig) or tsconfig.json, `transpileOnly` =
 *   PULUMI_NODEJS_TRANSPILE_ONLY when set, else that file's own `compilerOptions.noCheck` (undefined: ts-node's
 *   default, type checking), and that file's own compilerOptions laid over the host's defaults (CommonJS project: the
 *   ts-node `register` branch).
 */
"use strict";
const fs = require("node:fs");
const path = require("node:path");

/**
 * @param {string} projectDir the directory with Pulumi.yaml (the host's working directory)
 * @param {{ typescript: boolean }} options
 * @returns {{ transpileOnly: boolean | null }} null when no ts-node was registered
 */
function registerLikeLanguageHost(projectDir, options) {
    process.chdir(projectDir);
    const sdk = path.dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [projectDir] }));
    require(require.resolve("source-map-support/register", { paths: [sdk] }));
    if (!options.typescript) return { transpileOnly: null };
    const tsutils = require(path.join(sdk, "tsutils"));
    const tsConfigPath = process.env.PULUMI_NODEJS_TSCONFIG_PATH ?? "tsconfig.json";
    const compilerOptions = tsutils.loadTypeScriptCompilerOptions(tsConfigPath);
    const env = process.env.PULUMI_NODEJS_TRANSPILE_ONLY;
    const transpileOnly = env ? env === "true" : compilerOptions.noCheck;
    const { tsnodeRequire, typescriptRequire } = tsutils.typeScriptRequireStrings();
    require(require.resolve(tsnodeRequire, { paths: [sdk] })).register({
        compiler: typescriptRequire,
        transpileOnly,
        project: tsConfigPath,
        skipProject: !fs.existsSync(tsConfigPath),
        compilerOptions: { target: "ES2020", module: "nodenext", moduleResolution: "nodenext", sourceMap: "true", ...compilerOptions },
    });
    return { transpileOnly: transpileOnly === true };
}

module.exports = { registerLikeLanguageHost };
