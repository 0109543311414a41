/**
 * npm test's lint step (scripts/lint.sh): Biome without colour codes when its output is not a terminal (they filled CI
 * logs with raw escapes), then actionlint (built from the pinned Go module, scripts/actionlint.sh) over the workflows.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..");
const env = { ...process.env, PATH: [path.join(ROOT, "node_modules", ".bin"), process.env.PATH ?? ""].join(path.delimiter) };
const run = (script: string, args: string[]) => spawnSync("bash", [script, ...args], { cwd: ROOT, env, encoding: "utf8" });

test("npm test starts with the lint step, which runs Biome and then actionlint", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
    expect(pkg.scripts.test).toMatch(/^bash scripts\/lint\.sh && /);
    expect(fs.readFileSync(path.join(ROOT, "scripts", "lint.sh"), "utf8")).toMatch(/biome ci[\s\S]*bash scripts\/actionlint\.sh/);
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
