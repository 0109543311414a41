/**
 * How `pulumi preview`/`up` start the program (README, "Run pulumi preview fast"): Pulumi.yaml points the Node language
 * host at tsconfig.pulumi.json, whose `noCheck` makes the host transpile without type checking, while `npm test`
 * type-checks everything with tsconfig.json. Read here as @pulumi/pulumi's cmd/run reads them.
 */
import * as childProcess from "node:child_process";
import * as path from "node:path";
import ts from "typescript";
import { projectRuntime, withoutHostVariables } from "../tools/bench/host";

const root = path.resolve(__dirname, "..");
// The SDK's own reader: only the file's own compilerOptions, no `extends` (tsutils.loadTypeScriptCompilerOptions).
const tsutils = require("@pulumi/pulumi/tsutils") as { loadTypeScriptCompilerOptions(p: string): Record<string, unknown> };

test("Pulumi.yaml runs the program through tsconfig.pulumi.json, a TypeScript project", () => {
    expect(projectRuntime(root)).toEqual({ typescript: true, tsconfig: "tsconfig.pulumi.json", nodeargs: [] });
});

test("the host reads noCheck from tsconfig.pulumi.json itself, and CommonJS options that override its nodenext defaults", () => {
    const own = tsutils.loadTypeScriptCompilerOptions(path.join(root, "tsconfig.pulumi.json"));
    expect(own).toMatchObject({ noCheck: true, module: "commonjs", moduleResolution: "node" });
    // The same file read in full (with `extends`): still strict, still the project's files, entry point included.
    const parsed = ts.getParsedCommandLineOfConfigFile(
        path.join(root, "tsconfig.pulumi.json"),
        {},
        {
            ...ts.sys,
            onUnRecoverableConfigFileDiagnostic: (d) => {
                throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
            },
        },
    );
    expect(parsed?.errors).toEqual([]);
    expect(parsed?.options).toMatchObject({ strict: true, noCheck: true, module: ts.ModuleKind.CommonJS });
    expect(parsed?.fileNames).toContain(path.join(root, "index.ts"));
    // npm test's tsc reads tsconfig.json, which must keep type checking.
    expect(tsutils.loadTypeScriptCompilerOptions(path.join(root, "tsconfig.json")).noCheck).toBeUndefined();
});

function runUnderHost(env: Record<string, string>): { status: number | null; stderr: string; stdout: string } {
    const script =
        `const { transpileOnly } = require(${JSON.stringify(path.join(root, "tools", "bench", "languageHost.js"))})` +
        `.registerLikeLanguageHost(${JSON.stringify(root)}, { typescript: true });` +
        `console.log(JSON.stringify({ transpileOnly }));` +
        `require(${JSON.stringify(path.join(root, "test", "fixtures", "failingProgram.ts"))});`;
    const clean = withoutHostVariables(process.env);
    const r = childProcess.spawnSync(process.execPath, ["-e", script], { cwd: root, encoding: "utf8", env: { ...clean, ...env } });
    return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

test("under the host's setup the program is transpiled only, and a real error's stack points at the TypeScript line", () => {
    const r = runUnderHost({ PULUMI_NODEJS_TSCONFIG_PATH: "tsconfig.pulumi.json" });
    expect(r.status).not.toBe(0);
    expect(JSON.parse(r.stdout.trim())).toEqual({ transpileOnly: true });
    expect(r.stderr).toContain("a bug in a component");
    expect(r.stderr).toMatch(/at registerSomething \(.*test[/\\]fixtures[/\\]failingProgram\.ts:3:11\)/);
});

test("without the project's tsconfig the host would type-check (the setup the bench calls before)", () => {
    const r = runUnderHost({});
    expect(JSON.parse(r.stdout.trim().split("\n")[0])).toEqual({ transpileOnly: false });
});
