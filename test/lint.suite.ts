/**
 * npm test (scripts/test.sh) and its lint step (scripts/lint.sh): Biome without colour codes when its output is not a
 * terminal (they filled CI logs with raw escapes), then actionlint (built from the pinned Go module,
 * scripts/actionlint.sh) over the workflows; then the type check beside jest.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..");
const env = { ...process.env, PATH: [path.join(ROOT, "node_modules", ".bin"), process.env.PATH ?? ""].join(path.delimiter) };
const run = (script: string, args: string[]) => spawnSync("bash", [script, ...args], { cwd: ROOT, env, encoding: "utf8" });

test("npm test is scripts/test.sh, whose lint step runs Biome and then actionlint", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
    expect(pkg.scripts.test).toBe("bash scripts/test.sh");
    expect(fs.readFileSync(path.join(ROOT, "scripts", "lint.sh"), "utf8")).toMatch(/biome ci[\s\S]*bash scripts\/actionlint\.sh/);
});

describe("scripts/test.sh: lint first, then tsc beside jest; it fails when any of them fails", () => {
    /** scripts/test.sh in a copy of the layout it expects, with lint, tsc and jest stubs that log and exit as told. */
    function runTestScript(exits: { lint: number; tsc: number; jest: number }) {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fhir-test-sh-"));
        try {
            fs.mkdirSync(path.join(dir, "scripts"));
            fs.mkdirSync(path.join(dir, "bin"));
            fs.copyFileSync(path.join(ROOT, "scripts", "test.sh"), path.join(dir, "scripts", "test.sh"));
            const stub = (name: string, code: number, delay = 0) =>
                `#!/usr/bin/env bash\nsleep ${delay}\necho "${name} $*" >> "${dir}/calls"\necho "${name} output"\nexit ${code}\n`;
            fs.writeFileSync(path.join(dir, "scripts", "lint.sh"), stub("lint", exits.lint));
            // tsc ends after jest has started: the two run side by side.
            fs.writeFileSync(path.join(dir, "bin", "tsc"), stub("tsc", exits.tsc, 0.3), { mode: 0o755 });
            fs.writeFileSync(path.join(dir, "bin", "jest"), stub("jest", exits.jest), { mode: 0o755 });
            const r = spawnSync("bash", [path.join(dir, "scripts", "test.sh"), "test/x.test.ts"], {
                encoding: "utf8",
                env: { ...process.env, PATH: [path.join(dir, "bin"), process.env.PATH ?? ""].join(path.delimiter) },
            });
            const calls = fs.existsSync(path.join(dir, "calls")) ? fs.readFileSync(path.join(dir, "calls"), "utf8").trim().split("\n") : [];
            return { status: r.status, stdout: r.stdout, calls: calls.map((c) => c.split(" ")[0]) };
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    }

    test("all pass: exit 0; jest gets the arguments; tsc runs beside it", () => {
        const r = runTestScript({ lint: 0, tsc: 0, jest: 0 });
        expect([r.status, r.calls]).toEqual([0, ["lint", "jest", "tsc"]]);
        expect(r.stdout).toContain("jest output");
        expect(r.stdout).not.toContain("tsc output");
    });

    test("a type error fails npm test after jest has run, and tsc's output is printed after jest's", () => {
        const r = runTestScript({ lint: 0, tsc: 2, jest: 0 });
        expect(r.status).toBe(2);
        expect(r.stdout.indexOf("tsc output")).toBeGreaterThan(r.stdout.indexOf("jest output"));
    });

    test("a failing test fails it with jest's code; a lint failure stops it before tsc and jest", () => {
        expect(runTestScript({ lint: 0, tsc: 0, jest: 1 }).status).toBe(1);
        const lint = runTestScript({ lint: 3, tsc: 0, jest: 0 });
        expect([lint.status, lint.calls]).toEqual([3, ["lint"]]);
    });
});

test("into a pipe, the lint step writes no ANSI colour codes, and passes on this repository's workflows", () => {
    const r = run("scripts/lint.sh", ["biome.json", "package.json"]);
    expect({ status: r.status, output: r.status === 0 ? "" : `${r.stdout}${r.stderr}` }).toEqual({ status: 0, output: "" });
    expect(`${r.stdout}${r.stderr}`).toMatch(/Checked 2 files/);
    expect(`${r.stdout}${r.stderr}`).not.toContain("\u001b[");
});

test("actionlint fails a workflow with a mistake, naming the file, the line and the mistake", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fhir-actionlint-"));
    const file = path.join(dir, "broken.yml");
    fs.writeFileSync(
        file,
        [
            "on: push",
            "jobs:",
            "  plan:",
            "    runs-on: ubuntu-latest",
            "    needs: [selct]",
            "    steps:",
            "      - run: echo ${{ needs.selct.outputs.plan }}",
            "",
        ].join("\n"),
    );
    try {
        const r = run("scripts/actionlint.sh", [file]);
        expect(r.status).toBe(1);
        expect(r.stdout).toMatch(/broken\.yml:\d+:\d+: job "plan" needs job "selct" which does not exist in this workflow \[job-needs\]/);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
});
