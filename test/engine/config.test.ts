/**
 * The Pulumi CLI and the offline plan read a stack file the same way (harness/stackFiles.ts): keys without a namespace
 * (the project's), the old `<namespace>:config:<name>` spelling, lists and maps. `pulumi preview --json` reports the
 * config map the CLI hands the program; it must equal the offline reader's, and both must plan the same resources
 * with the same protection (issue 22: `protectStatefulResources: false` unprefixed was 30 protected offline, 0 live).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { EngineProject, npmRun } from "../../engine/harness";
import type { Plan } from "../../harness/plan";
import { readStackConfig } from "../../harness/stackFiles";
import { devConfig } from "./helpers";

let project: EngineProject;

beforeAll(async () => {
    const config = devConfig();
    for (const key of ["fhir-platform:placement", "fhir-platform:tags", "fhir-platform:location"]) delete config[key];
    project = await EngineProject.create({
        stack: "dev",
        config: {
            ...config,
            placement: "shared",
            protectStatefulResources: false,
            tags: { owner: "platform-team", environment: "dev" },
            "fhir-platform:config:location": "westeurope",
        },
    });
});
afterAll(() => project?.remove());

interface PreviewDocument {
    config: Record<string, string>;
    steps: { op: string; urn: string; newState?: { protect?: boolean } }[];
}

test("pulumi preview and the offline plan: the same config map, the same resources, the same protection", async () => {
    const r = await project.pulumi(["preview", "--stack", "dev", "--json"]);
    expect({ code: r.code, output: r.code === 0 ? "" : r.output }).toEqual({ code: 0, output: "" });
    const live = JSON.parse(r.stdout) as PreviewDocument;
    expect(readStackConfig("dev", project.dir)).toEqual(live.config);

    const file = path.join(project.dir, "plan.json");
    const p = await npmRun("plan", ["--stack", "dev", "--project-dir", project.dir, "--json", file, "--no-policies"]);
    expect({ code: p.code, output: p.code === 0 ? "" : p.output }).toEqual({ code: 0, output: "" });
    const offline = (JSON.parse(fs.readFileSync(file, "utf8")) as Plan).groups.flatMap((g) => g.resources);

    const declared = live.steps.filter((s) => s.op === "create" && !s.urn.includes("::pulumi:"));
    expect(declared.map((s) => s.urn).sort()).toEqual(offline.map((res) => res.urn).sort());
    expect(declared.filter((s) => s.newState?.protect).map((s) => s.urn)).toEqual([]);
    expect(offline.filter((res) => res.protect).map((res) => res.urn)).toEqual([]);
    // placement: shared reached both: the accounts share workspace pool01.
    expect(declared.some((s) => /healthcareapis:Workspace::pool01-workspace$/.test(s.urn))).toBe(true);
});
