/**
 * `npm run plan -- --base REF` for real: a temporary git repository holding this project's code and a small stack,
 * the base plan made by the ref's own tree (git archive, node_modules linked, its scripts/plan.ts in a child process).
 * One real round trip; the stack file missing at a ref needs none.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as yaml from "js-yaml";
import type { RawConfig } from "../config";
import { main } from "../scripts/plan";
import type { PlanDiff } from "../harness/planDiff";
import { rawConfig } from "./helpers/stack";

const ROOT = path.resolve(__dirname, "..");
const STACK = "t";
let repo: string;

function git(...args: string[]): string {
    return execFileSync(
        "git",
        ["-c", "user.name=plan-test", "-c", "user.email=plan-test@example.invalid", "-c", "commit.gpgsign=false", ...args],
        { cwd: repo, encoding: "utf8" },
    );
}

function writeStack(raw: RawConfig): void {
    const config = Object.fromEntries(Object.entries(raw).map(([k, v]) => [`fhir-platform:${k}`, v]));
    fs.writeFileSync(path.join(repo, `Pulumi.${STACK}.yaml`), yaml.dump({ config }));
}

/** Runs the plan CLI in-process, capturing what it prints. */
async function plan(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const printed = { stdout: "", stderr: "" };
    const code = await main(args, { out: (t) => void (printed.stdout += t), err: (t) => void (printed.stderr += `${t}\n`) });
    return { code, ...printed };
}

beforeAll(() => {
    repo = fs.mkdtempSync(path.join(os.tmpdir(), "fhir-plan-base-repo-"));
    // The project's code as it is in this working tree (the program the base ref runs is its own copy).
    for (const entry of [
        "package.json",
        "tsconfig.json",
        "Pulumi.yaml",
        "index.ts",
        "azure",
        "config",
        "components",
        "program",
        "policies",
        "harness",
        "tools",
        "scripts",
    ]) {
        fs.cpSync(path.join(ROOT, entry), path.join(repo, entry), {
            recursive: true,
            filter: (src) => !src.split(path.sep).includes("node_modules"),
        });
    }
    git("init", "-q", "-b", "main");
    git("add", "-A");
    git("commit", "-q", "-m", "code, no stack yet");
    writeStack(rawConfig([{ name: "alpha" }]));
    git("add", `Pulumi.${STACK}.yaml`);
    git("commit", "-q", "-m", "stack t with alpha");
    // The change under review: a second account.
    writeStack(rawConfig([{ name: "alpha" }, { name: "beta", usCoreMissingData: true }]));
});

afterAll(() => fs.rmSync(repo, { recursive: true, force: true }));

describe("npm run plan -- --base", () => {
    test("adding an account, against the committed stack: only the new account's resources are added", async () => {
        const json = path.join(repo, "diff.json");
        const markdown = path.join(repo, "diff.md");
        // A temporary directory of its own for the base's tree, to see it removed.
        const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "fhir-plan-base-tmp-"));
        const tmpdir = process.env.TMPDIR;
        process.env.TMPDIR = tmp;
        let r: Awaited<ReturnType<typeof plan>>;
        try {
            r = await plan([
                "--stack",
                STACK,
                "--project-dir",
                repo,
                "--base",
                "HEAD",
                "--no-policies",
                "--json",
                json,
                "--markdown",
                markdown,
            ]);
        } finally {
            if (tmpdir === undefined) delete process.env.TMPDIR;
            else process.env.TMPDIR = tmpdir;
        }
        // (The child's ts-node keeps its compile cache there too.)
        expect(fs.readdirSync(tmp).filter((f) => f.startsWith("fhir-plan-base-"))).toEqual([]);
        fs.rmSync(tmp, { recursive: true, force: true });
        expect(r.code).toBe(0);
        const head = git("rev-parse", "HEAD").trim();
        expect(r.stdout).toContain(`Plan diff of stack 't': HEAD (${head.slice(0, 12)}) → working tree`);
        expect(r.stdout).toMatch(/^platform: no change \(\d+ resources\)$/m);
        expect(r.stdout).toMatch(/^account alpha: no change \(\d+ resources\)$/m);
        expect(r.stdout).toMatch(/^account beta: new \(\d+ resources\)$/m);
        expect(r.stdout).toMatch(/^ {2}summary: key fhir-cmk RSA 3072, .*US Core missing data accepted;/m);
        expect(r.stderr).toMatch(/base plan at HEAD ready after \d+ ms/);
        const d = (JSON.parse(fs.readFileSync(json, "utf8")) as { diff: PlanDiff }).diff;
        expect(d.groups.map((g) => [g.name, g.status])).toEqual([
            ["(platform)", "unchanged"],
            ["alpha", "unchanged"],
            ["beta", "added"],
        ]);
        expect(d.counts.added).toBeGreaterThan(15);
        expect(d.counts).toMatchObject({ removed: 0, changed: 0, replaced: 0, renamed: 0 });
        expect(fs.readFileSync(markdown, "utf8")).toContain(`| beta | added | ${d.counts.added} | 0 | 0 | 0 | 0 |`);
    });

    test("a ref without the stack file: every resource is new; an unknown ref is a usage error", async () => {
        const r = await plan(["--stack", STACK, "--project-dir", repo, "--base", "HEAD~1", "--no-policies"]);
        expect(r.code).toBe(0);
        expect(r.stdout).toContain("Pulumi.t.yaml does not exist at HEAD~1: every resource is new.");
        expect(r.stdout).toMatch(/^account alpha: new/m);
        expect(r.stdout).toMatch(/^account beta: new/m);
        expect(r.stdout).toMatch(/^platform: new/m);
        const bad = await plan(["--stack", STACK, "--project-dir", repo, "--base", "no-such-branch", "--no-policies"]);
        expect(bad.code).toBe(2);
        expect(bad.stderr).toContain("No plan diff: --base no-such-branch: no such commit here");
    });
});
