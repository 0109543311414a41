import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";

const root = path.resolve(__dirname, "..");
const dir = path.join(root, ".github", "workflows");
const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)) : [];
const scripts = Object.keys((JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts);

interface Step { uses?: string; run?: string; with?: Record<string, unknown> }
interface Job { steps?: Step[]; strategy?: unknown; needs?: string | string[] }
interface Workflow { on?: unknown; jobs?: Record<string, Job> }

function load(file: string): Workflow {
    return yaml.load(fs.readFileSync(path.join(dir, file), "utf8")) as Workflow;
}

describe("GitHub Actions workflows", () => {
    test("there are pull-request and deploy workflows", () => {
        expect(files).toEqual(expect.arrayContaining(["pull-request.yml", "deploy.yml"]));
    });

    test.each(files)("%s parses, has triggers and jobs with steps", (file) => {
        const wf = load(file);
        expect(wf.on).toBeDefined();
        const jobs = Object.entries(wf.jobs ?? {});
        expect(jobs.length).toBeGreaterThan(0);
        for (const [name, job] of jobs) {
            expect({ name, steps: (job.steps ?? []).length > 0 }).toEqual({ name, steps: true });
            for (const need of [job.needs ?? []].flat()) expect(Object.keys(wf.jobs ?? {})).toContain(need);
        }
    });

    test.each(files)("%s runs only npm scripts that exist and pins every action to a version", (file) => {
        const steps = Object.values(load(file).jobs ?? {}).flatMap((j) => j.steps ?? []);
        for (const s of steps) {
            if (s.uses) expect(s.uses).toMatch(/^[\w.-]+\/[\w.-]+(\/[\w./-]+)?@v\d+$/);
            for (const m of (s.run ?? "").matchAll(/npm run (?:(?:-s|--silent) )?([\w:-]+)/g)) expect(scripts).toContain(m[1]);
        }
    });

    test("pull requests run the tests and the offline plan into the job summary, without secrets", () => {
        const wf = load("pull-request.yml");
        const runs = Object.values(wf.jobs ?? {}).flatMap((j) => (j.steps ?? []).map((s) => s.run ?? ""));
        expect(runs).toContain("npm test");
        expect(runs.some((r) => /npm run plan -- --stack dev .*--markdown plan-dev\.md/.test(r))).toBe(true);
        expect(runs.some((r) => r.includes("GITHUB_STEP_SUMMARY") && r.includes("plan-dev.md"))).toBe(true);
        const offline = JSON.stringify(wf.jobs?.["offline-plan"]);
        expect(offline).not.toMatch(/secrets\./);
    });

    test("the real preview uses the Pulumi action with the policy pack and comments on the PR", () => {
        const preview = load("pull-request.yml").jobs?.preview;
        const step = preview?.steps?.find((s) => s.uses?.startsWith("pulumi/actions@"));
        expect(step?.with).toMatchObject({ command: "preview", "comment-on-pr": true, policyPacks: "policies" });
        // The action installs nothing: npm ci must come before it.
        const steps = preview?.steps ?? [];
        expect(steps.findIndex((s) => s.run?.startsWith("npm ci"))).toBeLessThan(steps.indexOf(step!));
    });

    test("main deploys with pulumi up behind an environment", () => {
        const raw = fs.readFileSync(path.join(dir, "deploy.yml"), "utf8");
        const up = load("deploy.yml").jobs?.up as Job & { environment?: unknown };
        expect(up.environment).toBeDefined();
        expect(up.steps?.find((s) => s.uses?.startsWith("pulumi/actions@"))?.with).toMatchObject({ command: "up", policyPacks: "policies" });
        expect(raw).toMatch(/branches: \[main\]/);
    });
});

describe("key rotation reaches every FHIR service on a schedule", () => {
    const wf = load("key-rotation.yml") as Workflow & { on: { schedule?: { cron: string }[] }; concurrency?: { group?: string } };
    const steps = wf.jobs?.rotate?.steps ?? [];

    test("runs daily, never beside a deploy (same concurrency group), and only where Azure is configured", () => {
        expect(wf.on.schedule?.[0].cron).toMatch(/^\d+ \d+ \* \* \*$/);
        expect(wf.concurrency?.group).toBe((load("deploy.yml") as { concurrency?: { group?: string } }).concurrency?.group);
        expect((wf.jobs?.rotate as Job & { if?: string }).if).toMatch(/vars\.AZURE_CLIENT_ID/);
    });

    test("refreshes then updates (the refresh reads each key's newest version), with the policy pack, then verifies", () => {
        const up = steps.find((s) => s.uses?.startsWith("pulumi/actions@"));
        expect(up?.with).toMatchObject({ command: "up", refresh: true, policyPacks: "policies" });
        const verify = steps.findIndex((s) => /npm run verify -- --stack/.test(s.run ?? ""));
        expect(verify).toBeGreaterThan(steps.indexOf(up!));
    });
});
