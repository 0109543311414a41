/** Which stacks a change plans and checks, and which a push to main deploys (tools/ci.ts, `npm run ci:stacks`). */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import * as yaml from "js-yaml";
import {
    type Selection,
    type StackInfo,
    changedFiles,
    classifyPath,
    githubOutputs,
    readStackInfos,
    selectStacks,
    stackInfo,
} from "../tools/ci";
import { PROJECT_DIR } from "../harness/stackFiles";
import { main } from "../scripts/ci";

const ROOT = path.join(__dirname, "..");

/** The estate of the examples: the dev example, two staging shards, two prod shards. */
const ESTATE: StackInfo[] = [
    { stack: "dev", environment: "dev", deploy: false },
    { stack: "prod-eu-1", environment: "prod", deploy: true },
    { stack: "prod-eu-2", environment: "prod", deploy: true },
    { stack: "staging", environment: "staging", deploy: true },
    { stack: "staging-us", environment: "staging", deploy: true },
];

function decision(s: Selection, stack: string) {
    return s.stacks.find((d) => d.stack === stack)!;
}

describe("classifying the files a change touches", () => {
    test.each([
        ["Pulumi.staging.yaml", "stack", "staging"],
        ["Pulumi.prod-eu-1.placement.json", "stack", "prod-eu-1"],
        ["Pulumi.yaml", "program", undefined],
        ["index.ts", "program", undefined],
        ["config/schema.ts", "program", undefined],
        ["azure/facts.ts", "program", undefined],
        ["components/fhirService.ts", "program", undefined],
        ["program/index.ts", "program", undefined],
        ["policies/rules/tags.ts", "program", undefined],
        ["package-lock.json", "program", undefined],
        ["lib/whatever-comes-next.ts", "program", undefined],
        ["scripts/plan.ts", "tooling", undefined],
        ["harness/plan.ts", "tooling", undefined],
        ["tools/ci.ts", "tooling", undefined],
        [".github/workflows/deploy.yml", "tooling", undefined],
        ["README.md", "inert", undefined],
        ["policies/README.md", "inert", undefined],
        ["docs/runbook.md", "inert", undefined],
        ["test/ci.test.ts", "inert", undefined],
        ["engine/harness.ts", "inert", undefined],
        ["test/fixtures/Pulumi.x.yaml", "inert", undefined],
        ["tools/verify/arm.ts", "inert", undefined],
        ["tools/bench/measure.ts", "inert", undefined],
    ])("%s is %s", (file, kind, stack) => {
        expect(classifyPath(file)).toEqual({ path: file, kind, ...(stack ? { stack } : {}) });
    });
});

describe("which stacks a change plans and deploys", () => {
    test("adding Pulumi.staging.yaml plans staging and its environment's other shard, checks staging's shards, deploys only staging", () => {
        const s = selectStacks(["Pulumi.staging.yaml", "Pulumi.staging.placement.json"], ESTATE);
        expect(s.plan).toEqual(["staging", "staging-us"]);
        expect(s.environments).toEqual([{ environment: "staging", stacks: ["staging", "staging-us"] }]);
        expect(s.deploy).toEqual(["staging"]);
        expect(decision(s, "staging-us").why).toEqual(["shard of environment 'staging', where staging changed"]);
        expect(decision(s, "prod-eu-1").plan).toBe(false);
    });

    test("a stack with deploy true is deployed behind the GitHub environment named after it", () => {
        const d = decision(selectStacks(["Pulumi.staging.yaml"], ESTATE), "staging");
        expect(d).toMatchObject({ plan: true, deployNow: true, githubEnvironment: "staging" });
    });

    test("touching only documentation and tests plans nothing", () => {
        const s = selectStacks(["README.md", "docs/runbook.md", "docs/SHARDING.md", "test/ci.test.ts"], ESTATE);
        expect([s.plan, s.deploy, s.environments]).toEqual([[], [], []]);
    });

    test("touching components/ plans every stack and deploys every deployable one", () => {
        const s = selectStacks(["components/fhirService.ts"], ESTATE);
        expect(s.plan).toEqual(ESTATE.map((x) => x.stack));
        expect(s.deploy).toEqual(["prod-eu-1", "prod-eu-2", "staging", "staging-us"]);
        expect(s.environments.map((e) => e.environment)).toEqual(["dev", "prod", "staging"]);
    });

    test("the dev example (deploy: false) is planned but never deployed", () => {
        for (const change of [["Pulumi.dev.yaml"], ["config/schema.ts"], "all"] as const) {
            const s = selectStacks(change, ESTATE);
            expect(s.plan).toContain("dev");
            expect(s.deploy).not.toContain("dev");
            expect(decision(s, "dev").why).toContainEqual(expect.stringContaining("never deployed"));
        }
        expect(selectStacks(["Pulumi.dev.yaml"], ESTATE).deploy).toEqual([]);
    });

    test("planning tools and CI plan every stack and deploy none", () => {
        const s = selectStacks(["scripts/plan.ts", ".github/workflows/pull-request.yml"], ESTATE);
        expect(s.plan).toEqual(ESTATE.map((x) => x.stack));
        expect(s.deploy).toEqual([]);
    });

    test("a scheduled or manual run plans every stack and deploys every deployable one", () => {
        const s = selectStacks("all", ESTATE);
        expect(s.plan).toHaveLength(ESTATE.length);
        expect(s.deploy).toEqual(["prod-eu-1", "prod-eu-2", "staging", "staging-us"]);
    });

    test("a deleted stack file is reported, neither planned nor deployed; a lock change alone plans its stack", () => {
        const s = selectStacks(["Pulumi.old.yaml", "Pulumi.old.placement.json", "Pulumi.prod-eu-2.placement.json"], ESTATE);
        expect(s.removed).toEqual(["old"]);
        expect(s.plan).toEqual(["prod-eu-1", "prod-eu-2"]);
        expect(s.deploy).toEqual(["prod-eu-2"]);
    });

    test("a stack whose deploy flag is not a boolean is planned, never deployed, and reported", () => {
        const bad = stackInfo("staging", { "fhir-platform:deploy": "yes" });
        const s = selectStacks(["Pulumi.staging.yaml"], [bad]);
        expect([s.plan, s.deploy]).toEqual([["staging"], []]);
        expect(s.problems).toEqual(["Pulumi.staging.yaml: fhir-platform:deploy must be true or false, got yes"]);
    });

    test("GitHub outputs are JSON lists for a matrix", () => {
        expect(githubOutputs(selectStacks(["Pulumi.staging.yaml"], ESTATE))).toBe(
            'plan=["staging","staging-us"]\ndeploy=["staging"]\nenvironments=["staging"]\n',
        );
    });
});

describe("reading the stack files", () => {
    let dir: string;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "ci-test-"));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    const write = (stack: string, config: Record<string, unknown>) =>
        fs.writeFileSync(
            path.join(dir, `Pulumi.${stack}.yaml`),
            yaml.dump({ config: Object.fromEntries(Object.entries(config).map(([k, v]) => [`fhir-platform:${k}`, v])) }),
        );

    test("environment from the key or from the name up to its first hyphen; deploy defaults to true", () => {
        write("prod-eu-1", { location: "westeurope" });
        write("blue", { environment: "prod", deploy: true });
        write("example", { environment: "dev", deploy: false });
        fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: fhir-platform\n");
        fs.writeFileSync(path.join(dir, "Pulumi.prod-eu-1.placement.json"), "{}");
        expect(readStackInfos(dir)).toEqual([
            { stack: "blue", environment: "prod", deploy: true },
            { stack: "example", environment: "dev", deploy: false },
            { stack: "prod-eu-1", environment: "prod", deploy: true },
        ]);
    });

    test("an unreadable stack file is planned (the plan names the problem) and never deployed", () => {
        fs.writeFileSync(path.join(dir, "Pulumi.staging.yaml"), "config: [unclosed\n");
        const [info] = readStackInfos(dir);
        expect(info).toMatchObject({
            stack: "staging",
            environment: "staging",
            deploy: false,
            problem: expect.stringContaining("Pulumi.staging.yaml"),
        });
        expect(selectStacks(["Pulumi.staging.yaml"], [info]).deploy).toEqual([]);
    });

    test("this repository's dev stack is the example: planned, never deployed", () => {
        expect(readStackInfos(PROJECT_DIR).find((s) => s.stack === "dev")).toEqual({ stack: "dev", environment: "dev", deploy: false });
    });
});

describe("npm run ci:stacks against a git history", () => {
    let repo: string;
    const git = (...args: string[]) => {
        const r = spawnSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false", ...args], {
            cwd: repo,
            encoding: "utf8",
        });
        if (r.status !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
        return r.stdout.trim();
    };
    const stackFile = (config: Record<string, unknown>) =>
        yaml.dump({ config: Object.fromEntries(Object.entries(config).map(([k, v]) => [`fhir-platform:${k}`, v])) });
    /** The command as CI runs it: its own process (entry point, exit code, stdout and stderr as written). */
    const spawn = (...args: string[]) =>
        spawnSync(
            process.execPath,
            ["-r", "ts-node/register/transpile-only", path.join(ROOT, "scripts", "ci.ts"), "--dir", repo, ...args],
            { cwd: ROOT, encoding: "utf8" },
        );
    /**
     * The same `main` in this process (a child costs a Node start and a TypeScript compile, ~2 s of CPU), printing as
     * `consoleCommandIo` does: one line per call, `out` to stdout, `err` to stderr.
     */
    const run = (...args: string[]) => {
        const printed = { stdout: "", stderr: "" };
        const status = main(["--dir", repo, ...args], {
            out: (t) => void (printed.stdout += `${t}\n`),
            err: (t) => void (printed.stderr += `${t}\n`),
        });
        return { status, ...printed };
    };

    beforeEach(() => {
        repo = fs.mkdtempSync(path.join(os.tmpdir(), "ci-git-"));
        git("init", "-q", "-b", "main");
        fs.writeFileSync(path.join(repo, "Pulumi.yaml"), "name: fhir-platform\n");
        fs.writeFileSync(path.join(repo, "Pulumi.dev.yaml"), stackFile({ environment: "dev", deploy: false }));
        fs.writeFileSync(path.join(repo, "Pulumi.prod-eu-1.yaml"), stackFile({ location: "westeurope" }));
        git("add", ".");
        git("commit", "-q", "-m", "base");
    });
    afterEach(() => fs.rmSync(repo, { recursive: true, force: true }));

    test("a branch adding Pulumi.staging.yaml and docs: plans and deploys staging only, with GitHub outputs and a summary", () => {
        git("checkout", "-q", "-b", "add-staging");
        fs.writeFileSync(path.join(repo, "Pulumi.staging.yaml"), stackFile({ location: "westeurope" }));
        fs.writeFileSync(path.join(repo, "Pulumi.staging.placement.json"), "{}\n");
        fs.mkdirSync(path.join(repo, "docs"));
        fs.writeFileSync(path.join(repo, "docs", "notes.md"), "# notes\n");
        git("add", ".");
        git("commit", "-q", "-m", "staging");
        expect(changedFiles("main", "HEAD", repo)).toEqual(["Pulumi.staging.placement.json", "Pulumi.staging.yaml", "docs/notes.md"]);

        const out = path.join(repo, "github-output");
        const summary = path.join(repo, "summary.md");
        const r = spawn("--base", "main", "--json", "--github-output", out, "--summary", summary);
        expect(r.status).toBe(0);
        const selection = JSON.parse(r.stdout) as Selection;
        expect([selection.plan, selection.deploy]).toEqual([["staging"], ["staging"]]);
        expect(fs.readFileSync(out, "utf8")).toBe('plan=["staging"]\ndeploy=["staging"]\nenvironments=["staging"]\n');
        expect(fs.readFileSync(summary, "utf8")).toContain(
            "| staging | staging | yes | yes, environment 'staging' | changed: Pulumi.staging.placement.json, Pulumi.staging.yaml |",
        );
    });

    test("a base that is not in the clone (a new branch's all-zero 'before') selects every stack", () => {
        const r = run("--base", "0".repeat(40), "--json");
        expect(r.status).toBe(0);
        expect(r.stderr).toContain("is not a commit of this clone: selecting every stack");
        expect((JSON.parse(r.stdout) as Selection).deploy).toEqual(["prod-eu-1"]);
    });

    test("usage errors exit 2; --help exits 0", () => {
        expect(run("--all", "--changed", "x").status).toBe(2);
        expect(run("--bogus").status).toBe(2);
        const help = run("--help");
        expect([help.status, help.stdout]).toEqual([0, expect.stringContaining("--base REF")]);
    });
});
