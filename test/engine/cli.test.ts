/**
 * `npm run pulumi -- …` (engine/cli.ts), run as a person runs it: the README's by-hand preview, then an `up` with the
 * short RBAC wait, then a preview that finds nothing to do, on a backend and a stack file copy of their own; the
 * tracked stack file and lock are never written.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { type StateResource, declaredUrns, npmRun, runCommand } from "../../engine/harness";
import { REPO_ROOT } from "../../engine/paths";
import type { Plan } from "../../harness/plan";
import { DYNAMIC_WAIT_TYPE, previewSteps } from "./helpers";

const local = fs.mkdtempSync(path.join(os.tmpdir(), "fhir-npm-pulumi-"));
const TRACKED = ["Pulumi.dev.yaml", "Pulumi.dev.placement.json"];
const tracked = () => TRACKED.map((f) => fs.readFileSync(path.join(REPO_ROOT, f), "utf8"));
let before: string[];

beforeAll(() => {
    before = tracked();
});
afterAll(() => fs.rmSync(local, { recursive: true, force: true }));

/** `npm run --silent pulumi -- <args>` from the repository, with its local directory in a temporary one. */
function npmPulumi(args: string[]) {
    const env: NodeJS.ProcessEnv = {
        ...process.env,
        FHIR_PLATFORM_LOCAL_DIR: local,
        PATH: [path.join(REPO_ROOT, "node_modules", ".bin"), process.env.PATH ?? ""].join(path.delimiter),
    };
    delete env.CI;
    return runCommand("npm", ["run", "--silent", "pulumi", "--", ...args], { cwd: REPO_ROOT, env, timeoutMs: 10 * 60 * 1000 });
}

function expectOk(r: { code: number; output: string }): void {
    expect({ code: r.code, output: r.code === 0 ? "" : r.output }).toEqual({ code: 0, output: "" });
}

async function offlineUrns(): Promise<string[]> {
    const file = path.join(local, "plan.json");
    const r = await npmRun("plan", ["--stack", "dev", "--json", file, "--no-policies"]);
    expectOk(r);
    const plan = JSON.parse(fs.readFileSync(file, "utf8")) as Plan;
    return plan.groups.flatMap((g) => g.resources.map((res) => res.urn)).sort();
}

describe("npm run pulumi", () => {
    test("preview --stack <org>/dev --policy-pack policies (the README's by-hand preview) previews every resource the offline plan lists", async () => {
        const r = await npmPulumi(["preview", "--stack", "acme/dev", "--policy-pack", "policies", "--json"]);
        expectOk(r);
        const creates = previewSteps(r.stdout)
            .filter((s) => s.op === "create" && !s.urn.includes("::pulumi:"))
            .map((s) => s.urn)
            .sort();
        expect(creates).toEqual(await offlineUrns());
        expect(r.stderr).toContain("PULUMI_SKIP_CHECKPOINTS=true");
        // The copy has the short wait and the passphrase salt `stack init` wrote; the tracked files are as they were.
        const copy = yaml.load(fs.readFileSync(path.join(local, "project", "Pulumi.dev.yaml"), "utf8")) as {
            encryptionsalt?: string;
            config: Record<string, unknown>;
        };
        expect(copy.encryptionsalt).toMatch(/^v1:/);
        expect(String(copy.config["fhir-platform:rbacPropagationSeconds"])).toBe("1");
        expect(tracked()).toEqual(before);
        expect(execFileSync("git", ["status", "--porcelain", "--", ...TRACKED], { cwd: REPO_ROOT, encoding: "utf8" })).toBe("");
    });

    test("up deploys with the short RBAC wait, and the next preview finds nothing to change (the backend is kept between runs)", async () => {
        expectOk(await npmPulumi(["up", "--yes", "--skip-preview", "--stack", "dev"]));
        const exported = await npmPulumi(["stack", "export", "--stack", "dev"]);
        expectOk(exported);
        const resources = (JSON.parse(exported.stdout) as { deployment: { resources: StateResource[] } }).deployment.resources;
        expect(declaredUrns(resources)).toEqual(await offlineUrns());
        const waits = resources.filter((res) => res.type === DYNAMIC_WAIT_TYPE);
        expect(waits.map((w) => w.inputs?.seconds)).toEqual([1, 1, 1]);
        expectOk(await npmPulumi(["preview", "--stack", "dev", "--expect-no-changes"]));
        expect(tracked()).toEqual(before);
    });
});
