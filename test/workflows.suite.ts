import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { githubOutputs, selectStacks } from "../tools/ci";

const root = path.resolve(__dirname, "..");
const dir = path.join(root, ".github", "workflows");
const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)) : [];
const scripts = Object.keys(
    (JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts,
);

interface Step {
    name?: string;
    id?: string;
    if?: string;
    uses?: string;
    run?: string;
    with?: Record<string, unknown>;
    env?: Record<string, string>;
}
interface Job {
    if?: string;
    steps?: Step[];
    strategy?: { "fail-fast"?: boolean; matrix?: Record<string, unknown> };
    needs?: string | string[];
    environment?: unknown;
    concurrency?: { group?: string; "cancel-in-progress"?: boolean };
    env?: Record<string, string>;
    outputs?: Record<string, string>;
    permissions?: Record<string, string>;
}
interface Workflow {
    on?: unknown;
    jobs?: Record<string, Job>;
    concurrency?: { group?: string };
}

function load(file: string): Workflow {
    return yaml.load(fs.readFileSync(path.join(dir, file), "utf8")) as Workflow;
}
const jobsOf = (file: string): [string, Job][] => Object.entries(load(file).jobs ?? {});
const isPulumi = (s: Step) => s.uses?.startsWith("pulumi/actions@") === true;
const isAzureLogin = (s: Step) => s.uses?.startsWith("azure/login@") === true;
/** The one guard an environment job's Azure step may have: after the update ran (failed or not), never after a skipped one. */
const AFTER_UP = "${{ !cancelled() && (steps.up.outcome == 'success' || steps.up.outcome == 'failure') }}";

describe("GitHub Actions workflows", () => {
    test("there are pull-request and deploy workflows", () => {
        expect(files).toEqual(expect.arrayContaining(["pull-request.yml", "deploy.yml"]));
    });

    test.each(files)("%s runs only npm scripts that exist and pins every action to a version", (file) => {
        const steps = Object.values(load(file).jobs ?? {}).flatMap((j) => j.steps ?? []);
        for (const s of steps) {
            if (s.uses) expect(s.uses).toMatch(/^[\w.-]+\/[\w.-]+(\/[\w./-]+)?@v\d+$/);
            for (const m of (s.run ?? "").matchAll(/npm run (?:(?:-s|--silent) )?([\w:-]+)/g)) expect(scripts).toContain(m[1]);
        }
    });

    test.each(files)("%s hard-wires no stack: stacks come from npm run ci:stacks", (file) => {
        const raw = fs.readFileSync(path.join(dir, file), "utf8");
        expect(raw).not.toMatch(/--stack dev\b|stack-name: dev\b|environment: dev\b|group: deploy-dev\b/);
        for (const [name, job] of jobsOf(file)) {
            if (!job.strategy?.matrix) continue;
            // Every matrix is a list some earlier job computed with ci:stacks (or npm run shards), never a literal.
            expect({ name, stack: String(job.strategy.matrix.stack) }).toEqual({
                name,
                stack: expect.stringMatching(/^\$\{\{ fromJSON\(needs\.\w+\.outputs\.\w+\) \}\}$/),
            });
        }
    });

    test.each(files)("%s: every job that runs Pulumi installs the dependencies first (pulumi/actions v7 runs no npm install)", (file) => {
        for (const [name, job] of jobsOf(file)) {
            const steps = job.steps ?? [];
            // A step with no command only installs the CLI (it runs no program, so needs no dependencies).
            const pulumi = steps.findIndex((s) => isPulumi(s) && s.with?.command !== undefined);
            if (pulumi < 0) continue;
            expect({ name, npmCiBefore: steps.slice(0, pulumi).some((s) => s.run?.startsWith("npm ci")) }).toEqual({
                name,
                npmCiBefore: true,
            });
        }
    });

    test.each(files)("%s: Azure and Pulumi steps run only after the settings check found the variables and the token", (file) => {
        for (const [name, job] of jobsOf(file)) {
            const steps = job.steps ?? [];
            const azure = steps.filter((s) => isPulumi(s) || isAzureLogin(s));
            if (azure.length === 0) continue;
            const check = steps.find((s) => s.id === "settings");
            expect({ name, check: check?.run }).toEqual({
                name,
                check: expect.stringMatching(/ARM_CLIENT_ID[\s\S]*ARM_TENANT_ID[\s\S]*PULUMI_ACCESS_TOKEN/),
            });
            expect(steps.indexOf(check!)).toBeLessThan(steps.indexOf(azure[0]));
            if (job.environment !== undefined) {
                // A deployable stack's job (deploy, rotation, the estate preview) fails on missing settings: a merge
                // never looks deployed, a rotation never looks done, when nothing ran.
                expect({ name, fails: check?.run }).toEqual({ name, fails: expect.stringMatching(/::error title=[^\n]*\n\s*exit 1\n/) });
                expect({ name, guarded: azure.filter((s) => s.if !== undefined && s.if !== AFTER_UP).map((s) => s.uses) }).toEqual({
                    name,
                    guarded: [],
                });
            } else {
                // The pull request's preview is optional (forks and Dependabot get no secrets): skipped, and said so.
                expect(check?.run).toMatch(/GITHUB_STEP_SUMMARY[\s\S]*ready=false/);
                for (const s of azure)
                    expect({ name, uses: s.uses, if: s.if }).toEqual({ name, uses: s.uses, if: "steps.settings.outputs.ready == 'true'" });
            }
            // The settings check reads the job's env, mapped from this environment's variables and secrets.
            expect(job.env).toMatchObject({
                ARM_USE_OIDC: "true",
                ARM_CLIENT_ID: "${{ vars.AZURE_CLIENT_ID }}",
                PULUMI_ACCESS_TOKEN: "${{ secrets.PULUMI_ACCESS_TOKEN }}",
            });
            expect(JSON.stringify(job)).not.toMatch(/ARM_CLIENT_SECRET|client-secret|creds/i);
        }
    });

    test("only the jobs that update a stack share its deploy group (GitHub keeps one pending job per group: a preview there would cancel a pending deploy)", () => {
        const grouped = files.flatMap((f) =>
            jobsOf(f)
                .filter(([, j]) => j.concurrency?.group === "deploy-${{ matrix.stack }}")
                .map(([name, j]) => ({ job: `${f}:${name}`, up: (j.steps ?? []).some((s) => isPulumi(s) && s.with?.command === "up") })),
        );
        expect(grouped).toEqual([
            { job: "deploy.yml:up", up: true },
            { job: "key-rotation.yml:rotate", up: true },
        ]);
    });

    test("only deploy.yml and key-rotation.yml run pulumi up (no double deploys), always with the policy pack", () => {
        const ups = files.flatMap((f) =>
            jobsOf(f).flatMap(([job, j]) => (j.steps ?? []).filter(isPulumi).map((s) => ({ file: f, job, with: s.with }))),
        );
        expect(
            ups
                .filter((u) => u.with?.command === "up")
                .map((u) => `${u.file}:${u.job}`)
                .sort(),
        ).toEqual(["deploy.yml:up", "key-rotation.yml:rotate"]);
        // Every step that runs the program (a command) loads the policy pack; one with no command only installs the CLI.
        for (const u of ups.filter((x) => x.with?.command !== undefined)) expect(u.with?.policyPacks).toBe("policies");
    });

    test("every pulumi up goes on past one resource's failure (PULUMI_CONTINUE_ON_ERROR, the CLI's --continue-on-error default)", () => {
        const ups = files.flatMap((f) =>
            jobsOf(f).flatMap(([, j]) => (j.steps ?? []).filter((s) => isPulumi(s) && s.with?.command === "up")),
        );
        expect(ups).toHaveLength(2);
        for (const up of ups) expect(up.env?.PULUMI_CONTINUE_ON_ERROR).toBe("true");
    });

    test("every pulumi preview skips the CLI's per-step checkpoints (a preview writes no state; BENCHMARKS.md)", () => {
        const pulumiSteps = files.flatMap((f) =>
            jobsOf(f).flatMap(([job, j]) =>
                (j.steps ?? []).filter(isPulumi).map((s) => ({ file: f, job, command: s.with?.command, env: s.env })),
            ),
        );
        const previews = pulumiSteps.filter((s) => s.command === "preview");
        expect(previews.map((s) => `${s.file}:${s.job}`).sort()).toEqual(["pull-request.yml:preview", "shards.yml:preview"]);
        for (const s of previews)
            expect({ step: `${s.file}:${s.job}`, env: s.env }).toEqual({
                step: `${s.file}:${s.job}`,
                env: { PULUMI_SKIP_CHECKPOINTS: "true" },
            });
    });

    // Whether each needs.<job>.outputs.<name> exists, actionlint checks (npm test): this is the part it cannot know.
    test("every output a workflow reads from ci:stacks is one ci:stacks writes", () => {
        const written = githubOutputs(selectStacks([], []))
            .split("\n")
            .filter(Boolean)
            .map((l) => l.split("=")[0]);
        const unknown: string[] = [];
        let read = 0;
        for (const file of files) {
            const raw = fs.readFileSync(path.join(dir, file), "utf8");
            for (const m of raw.matchAll(/steps\.select\.outputs\.(\w+)/g)) {
                read += 1;
                if (!written.includes(m[1])) unknown.push(`${file}: steps.select.outputs.${m[1]}`);
            }
        }
        expect(read).toBeGreaterThan(0);
        expect(unknown).toEqual([]);
    });
});

describe("pull requests", () => {
    const wf = load("pull-request.yml");
    const jobs = wf.jobs ?? {};
    const runs = (job: string) => (jobs[job]?.steps ?? []).map((s) => s.run ?? "");

    test("select the stacks from the change against the pull request's base, and run the tests", () => {
        expect(
            runs("select").some((r) =>
                /npm run --silent ci:stacks -- --base "\$\{\{ github\.event\.pull_request\.base\.sha \}\}" .*--github-output "\$GITHUB_OUTPUT"/.test(
                    r,
                ),
            ),
        ).toBe(true);
        expect(jobs.select.steps?.find((s) => s.uses?.startsWith("actions/checkout@"))?.with).toMatchObject({ "fetch-depth": 0 });
        expect(jobs.select.outputs).toEqual({ plan: "${{ steps.select.outputs.plan }}", deploy: "${{ steps.select.outputs.deploy }}" });
        expect(runs("test")).toContain("npm test");
    });

    test("plan every selected stack: lock check, offline plan into the job summary and artifacts, without secrets", () => {
        const plan = jobs.plan;
        expect(plan.if).toBe("needs.select.outputs.plan != '[]'");
        expect(plan.strategy?.matrix?.stack).toBe("${{ fromJSON(needs.select.outputs.plan) }}");
        expect(plan.strategy?.["fail-fast"]).toBe(false);
        const r = runs("plan");
        expect(r).toContain('npm run place -- --stack "$STACK" --check');
        expect(r).toContain('npm run plan -- --stack "$STACK" --json "plan-$STACK.json" --markdown "plan-$STACK.md"');
        expect(r.some((x) => x.includes("GITHUB_STEP_SUMMARY") && x.includes('"plan-$STACK.md"'))).toBe(true);
        expect(plan.steps?.find((s) => s.uses?.startsWith("actions/upload-artifact@"))?.with).toMatchObject({ path: "plan-*.*" });
        expect(JSON.stringify(plan)).not.toMatch(/secrets\./);
    });

    test("the plan diff against the base branch runs in every plan job, into the job summary, and fails the job when the plan does", () => {
        const diff = jobs.plan.steps?.find((s) => s.run?.includes("--base"));
        expect(diff?.if).toBe("always()");
        expect(diff?.env).toEqual({ BASE_REF: "origin/${{ github.base_ref }}" });
        expect(diff?.run).toMatch(
            /npm run plan -- --stack "\$STACK" --base "\$BASE_REF" --markdown "plan-diff-\$STACK\.md"[^\n]*\|\| status=\$\?[\s\S]*GITHUB_STEP_SUMMARY[\s\S]*exit "\$status"/,
        );
        expect(diff?.run).not.toMatch(/--help/);
        expect(jobs.plan.steps?.find((s) => s.uses?.startsWith("actions/checkout@"))?.with).toMatchObject({ "fetch-depth": 0 });
    });

    test("the diff and the plan go to one comment per stack, edited on each push; not from a fork's pull request (read-only token)", () => {
        const steps = jobs.plan.steps ?? [];
        const comment = steps.find((s) => s.run?.includes("ci:comment"));
        expect(comment?.run).toBe(
            'npm run --silent ci:comment -- --stack "$STACK" --pr "$PR" --markdown "plan-diff-$STACK.md" --markdown "plan-$STACK.md" ' +
                '--run-url "$RUN_URL"',
        );
        expect(comment?.if).toBe("always() && github.event.pull_request.head.repo.full_name == github.repository");
        expect(comment?.env).toMatchObject({ GITHUB_TOKEN: "${{ github.token }}", PR: "${{ github.event.pull_request.number }}" });
        // After both markdown files exist.
        expect(steps.indexOf(comment!)).toBeGreaterThan(steps.findIndex((s) => s.run?.includes("--base")));
        expect(jobs.plan.permissions).toEqual({ contents: "read", issues: "write", "pull-requests": "write" });
    });

    test("check the shards of every environment together whenever a stack is planned", () => {
        expect(jobs.shards.if).toBe("needs.select.outputs.plan != '[]'");
        expect(runs("shards")).toContain("npm run shards -- --stacks 'Pulumi.*.yaml'");
    });

    test("a real preview with the policy pack, commented on the PR, of exactly what merging would deploy; not on forks", () => {
        const preview = jobs.preview;
        expect(preview.if).toBe(
            "needs.select.outputs.deploy != '[]' && vars.AZURE_CLIENT_ID != '' && github.event.pull_request.head.repo.full_name == " +
                "github.repository",
        );
        expect(preview.needs).toEqual(["select", "test"]);
        expect(preview.strategy?.matrix?.stack).toBe("${{ fromJSON(needs.select.outputs.deploy) }}");
        // No environment: the federated credential's subject is repo:<org>/<repo>:pull_request (a read-only identity).
        expect(preview.environment).toBeUndefined();
        expect(preview.permissions).toMatchObject({ "id-token": "write", "pull-requests": "write" });
        const step = preview.steps?.find(isPulumi);
        expect(step?.with).toMatchObject({ command: "preview", "comment-on-pr": true, policyPacks: "policies" });
        expect(String(step?.with?.["stack-name"])).toContain("matrix.stack");
    });
});

describe("deploys from main", () => {
    const wf = load("deploy.yml");
    const jobs = wf.jobs ?? {};

    test("a push selects the stacks it changed (git diff before...sha); a manual run selects every deployable stack", () => {
        expect(fs.readFileSync(path.join(dir, "deploy.yml"), "utf8")).toMatch(/push:\n\s+branches: \[main\]/);
        const run = jobs.select.steps?.find((s) => s.id === "select");
        expect(run?.env).toEqual({ BEFORE: "${{ github.event_name == 'push' && github.event.before || '' }}" });
        expect(run?.run).toContain('npm run --silent ci:stacks -- --base "$BEFORE" --head "$GITHUB_SHA"');
        expect(run?.run).toContain("npm run --silent ci:stacks -- --all");
        expect(jobs.select.steps?.find((s) => s.uses?.startsWith("actions/checkout@"))?.with).toMatchObject({ "fetch-depth": 0 });
    });

    test("one job per deployable stack, behind the GitHub environment named after it, after the tests, only on main", () => {
        const up = jobs.up;
        expect(up.needs).toEqual(["select", "test"]);
        expect(up.if).toBe("needs.select.outputs.deploy != '[]' && github.ref == 'refs/heads/main'");
        expect(up.strategy?.matrix?.stack).toBe("${{ fromJSON(needs.select.outputs.deploy) }}");
        expect(up.strategy?.["fail-fast"]).toBe(false);
        expect(up.environment).toBe("${{ matrix.stack }}");
        expect(up.concurrency).toEqual({ group: "deploy-${{ matrix.stack }}", "cancel-in-progress": false });
        expect(up.permissions).toMatchObject({ "id-token": "write" });
        const steps = up.steps ?? [];
        expect(steps.findIndex((s) => s.run === 'npm run place -- --stack "$STACK" --check')).toBeLessThan(steps.findIndex(isPulumi));
        expect(steps.find(isPulumi)?.with).toMatchObject({ command: "up", policyPacks: "policies" });
        expect(String(steps.find(isPulumi)?.with?.["stack-name"])).toContain("matrix.stack");
    });
});

describe("key rotation reaches every FHIR service of every deployable stack on a schedule", () => {
    const wf = load("key-rotation.yml") as Workflow & { on: { schedule?: { cron: string }[] } };
    const rotate = wf.jobs?.rotate as Job;
    const steps = rotate.steps ?? [];

    test("runs daily over the deployable stacks, each in its deploy concurrency group, behind its environment", () => {
        expect(wf.on.schedule?.[0].cron).toMatch(/^\d+ \d+ \* \* \*$/);
        expect(wf.jobs?.select.steps?.some((s) => s.run?.includes("npm run --silent ci:stacks -- --all"))).toBe(true);
        expect(rotate.strategy?.matrix?.stack).toBe("${{ fromJSON(needs.select.outputs.deploy) }}");
        expect(rotate.concurrency).toEqual(load("deploy.yml").jobs?.up.concurrency);
        expect(rotate.environment).toBe("${{ matrix.stack }}");
        expect(rotate.if).toContain("github.ref == 'refs/heads/main'");
    });

    test("refreshes then updates (the refresh reads each key's newest version), with the policy pack, then verifies", () => {
        const up = steps.find(isPulumi);
        expect(up?.with).toMatchObject({ command: "up", refresh: true, policyPacks: "policies" });
        const verify = steps.findIndex((s) => /npm run verify -- --stack "\$PULUMI_STACK" --credential azure-cli/.test(s.run ?? ""));
        expect(verify).toBeGreaterThan(steps.indexOf(up!));
        expect(steps.findIndex(isAzureLogin)).toBeLessThan(verify);
        // verify reports even after a failed update (which accounts the failure left behind), not after a skipped one.
        expect(up?.id).toBe("up");
        expect([steps.find(isAzureLogin)?.if, steps[verify]?.if]).toEqual([AFTER_UP, AFTER_UP]);
    });
});

describe("the optional recovery export (docs/recovery.md)", () => {
    const wf = load("recovery-export.yml") as Workflow & { on: { schedule?: { cron: string }[] } };
    const job = wf.jobs?.export as Job;
    const steps = job.steps ?? [];
    const start = steps.find((s) => s.run?.includes("$export"));

    test("off unless FHIR_RECOVERY_EXPORT is 'true'; when on, nightly over the deployable stacks, behind each environment, only on main", () => {
        expect(wf.on.schedule?.[0].cron).toMatch(/^\d+ \d+ \* \* \*$/);
        expect(wf.jobs?.select.if).toBe("vars.FHIR_RECOVERY_EXPORT == 'true'");
        expect(job.if).toContain("vars.FHIR_RECOVERY_EXPORT == 'true'");
        expect(job.if).toContain("github.ref == 'refs/heads/main'");
        expect(wf.jobs?.select.steps?.some((s) => s.run?.includes("npm run --silent ci:stacks -- --all"))).toBe(true);
        expect(job.strategy?.matrix?.stack).toBe("${{ fromJSON(needs.select.outputs.deploy) }}");
        expect(job.environment).toBe("${{ matrix.stack }}");
    });

    test("never deploys: the Pulumi step only installs the CLI; the export reads the stack's outputs", () => {
        expect(steps.filter(isPulumi).map((s) => s.with?.command)).toEqual([undefined]);
        expect(start?.run).toContain('pulumi stack output accounts --json --show-secrets=false --stack "$PULUMI_STACK"');
        expect(steps.findIndex(isAzureLogin)).toBeLessThan(steps.indexOf(start!));
    });

    test("exports only opted-in accounts, into the container and to the region their stack outputs name, asynchronously", () => {
        // program/platformArgs.ts FhirAccountOutputs.recoveryCopy: { storageAccount, location, container }.
        expect(start?.run).toContain("select(.value.recoveryCopy != null)");
        expect(start?.run).toContain(".value.recoveryCopy.container");
        expect(start?.run).toContain('"$url/\\$export?_container=$container"');
        expect(start?.run).toContain('-H "Prefer: respond-async"');
        expect(start?.run).toContain('-H "Accept: application/fhir+json"');
        expect(start?.run).toMatch(/az account get-access-token --resource "\$url"/);
    });
});

test("this repository's CI (.ci/run) runs exactly the README's test command, and that command runs every test", () => {
    const readme = fs.readFileSync(path.join(root, "README.md"), "utf8");
    const quickStart = /## Quick start \(two commands\)\n\n```sh\n([^`]*)```/.exec(readme)?.[1] ?? "";
    const commands = quickStart
        .trim()
        .split("\n")
        .map((l) => l.replace(/\s+#.*$/, "").trim());
    expect(commands).toEqual(["npm ci && npm run plan -- --stack dev", "npm ci && npm run test:all"]);
    const ciLines = fs
        .readFileSync(path.join(root, ".ci", "run"), "utf8")
        .split("\n")
        .filter((l) => l.trim() && !l.startsWith("#") && !/^(set |cd )/.test(l));
    expect(ciLines).toEqual([commands[1]]);
    const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { scripts: Record<string, string> };
    const testAll = fs.readFileSync(path.join(root, pkg.scripts["test:all"].replace(/^bash /, "")), "utf8");
    for (const step of ["npm test", "npm run engine:build", "npm run test:engine"]) expect(testAll).toContain(step);
});
