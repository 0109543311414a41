/** Shared by the engine tests: the dev stack as a small engine-test stack, and the offline plan of a project's stack. */
import * as fs from "node:fs";
import * as path from "node:path";
import { EngineProject, type StateResource, npmRun, repoPlacementLock, repoStackConfig } from "../../engine/harness";
import { REPO_ROOT } from "../../engine/paths";
import { type ArmRecord, armState } from "../../engine/plugins/fakeArm";
import type { Plan } from "../../harness/plan";

export const POLICY_PACK_DIR = path.join(REPO_ROOT, "policies");
export const DYNAMIC_WAIT_TYPE = "pulumi-nodejs:dynamic/fhir-platform:RbacPropagationWait";

/** The dev stack's config with a 1 s RBAC wait: the stack the engine tests deploy. */
export function devConfig(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return { ...repoStackConfig("dev"), "fhir-platform:rbacPropagationSeconds": 1, ...overrides };
}

export function devProject(): Promise<EngineProject> {
    return EngineProject.create({ stack: "dev", config: devConfig(), placementLock: repoPlacementLock("dev") });
}

export type Account = Record<string, unknown> & { name: string };

export function accountsOf(config: Record<string, unknown>): Account[] {
    return config["fhir-platform:accounts"] as Account[];
}

/** The offline plan (`npm run plan --json`, mock mode) of the project's current stack file. */
export async function offlinePlanDocument(project: EngineProject): Promise<Plan> {
    const file = path.join(project.dir, `plan-${Date.now()}.json`);
    const r = await npmRun("plan", ["--stack", project.stack, "--project-dir", project.dir, "--json", file, "--no-policies"]);
    if (r.code !== 0) throw new Error(`npm run plan failed (${r.code}):\n${r.output}`);
    return JSON.parse(fs.readFileSync(file, "utf8")) as Plan;
}

/** The offline plan of the project's current stack file: URNs per group. */
export async function offlinePlan(project: EngineProject): Promise<Map<string, string[]>> {
    const plan = await offlinePlanDocument(project);
    return new Map(plan.groups.map((g) => [g.name, g.resources.map((res) => res.urn).sort()]));
}

export function allUrns(plan: Map<string, string[]>): string[] {
    return [...plan.values()].flat().sort();
}

/** `pulumi preview --json` steps: operation per URN (same, create, update, replace, delete, …). */
export interface PreviewStep {
    op: string;
    urn: string;
}

export function previewSteps(stdout: string): PreviewStep[] {
    const doc = JSON.parse(stdout) as { steps?: PreviewStep[] };
    return (doc.steps ?? []).map((s) => ({ op: s.op, urn: s.urn }));
}

/** Splits a printed shell command (`pulumi state unprotect --stack dev --yes 'urn:…'`) into arguments. */
export function shellWords(line: string): string[] {
    const words: string[] = [];
    for (const m of line.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)) words.push(m[1] ?? m[2] ?? m[3]);
    return words;
}

export function byUrn(resources: StateResource[]): Map<string, StateResource> {
    return new Map(resources.map((r) => [r.urn, r]));
}

/** A resource as the fake provider hands it to the fake Azure: its ARM ID and outputs from `inputs`, under a test URN. */
export function armRecord(type: string, name: string, inputs: Record<string, unknown>, subscription: string): ArmRecord {
    const { id, outputs } = armState(type, name, inputs, subscription);
    return { id, urn: `urn:pulumi:s::p::${type}::${name}`, type, inputs, outputs };
}
