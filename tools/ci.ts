/**
 * Which stacks a change plans and checks, and which a push to main deploys: the one model behind .github/workflows
 * (docs/SHARDING.md, "Environments, shards and CI"). A stack's environment is `fhir-platform:environment`, else its
 * name up to the first hyphen (`prod-eu-1` -> `prod`); an environment's stacks are its shards, checked together.
 * `fhir-platform:deploy: false` marks an example stack (placeholder IDs): planned, never deployed.
 *
 * From the files a change touches: a stack's file or lock plans its environment's shards and deploys that stack;
 * program or policy code (and any file not known here) plans and deploys every stack; tooling (scripts/, harness/,
 * tools/, .github/) plans every stack and deploys none; documentation and tests: nothing.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { readStackConfig } from "../harness/stackFiles";

export type ChangeKind = "stack" | "program" | "tooling" | "inert";

export interface ClassifiedPath {
    path: string;
    kind: ChangeKind;
    /** For kind "stack": the stack whose file or placement lock it is. */
    stack?: string;
}

/** A stack file as CI sees it (read without validating the rest of the config: a broken file is still planned). */
export interface StackInfo {
    stack: string;
    environment: string;
    /** False for example stacks (placeholder IDs): planned and checked, never deployed. */
    deploy: boolean;
    /** Why the stack file could not be read as CI needs it; such a stack is planned (the plan says what is wrong), never deployed. */
    problem?: string;
}

export interface StackDecision extends StackInfo {
    plan: boolean;
    /** Deployed by this change (a push to main), behind the GitHub environment `githubEnvironment`. */
    deployNow: boolean;
    githubEnvironment: string;
    why: string[];
}

export interface Selection {
    /** Stacks to plan and check (placement lock, offline plan): a CI matrix. */
    plan: string[];
    /** Stacks this change deploys (on a push to main; on a pull request, what merging it would deploy). */
    deploy: string[];
    /** Environments of the planned stacks with all their shards: `npm run shards` checks each one's shards together. */
    environments: { environment: string; stacks: string[] }[];
    /** Every stack file, with the decision and its reasons. */
    stacks: StackDecision[];
    /** Stack files the change deletes: nothing to plan or deploy (removing a file never destroys a stack). */
    removed: string[];
    problems: string[];
}

const CONFIG_PREFIX = "fhir-platform:";
const STACK_FILE = /^Pulumi\.(.+)\.yaml$/;
const LOCK_FILE = /^Pulumi\.(.+)\.placement\.json$/;

/** Documentation, tests and tools that run after a deployment: they change neither a plan nor a deployment. */
export const INERT_PATHS: readonly RegExp[] = [
    /\.md$/i,
    /^docs\//,
    /^test\//,
    /^engine\//, // the real-engine test harness (a Pulumi CLI with fake providers): tests only
    /^\.ci\//,
    /^\.gitignore$/,
    /^LICENSE/,
    /^scripts\/bench\.ts$/,
    /^tools\/bench\//,
    /^scripts\/verify\.ts$/,
    /^tools\/verify\//,
    /^scripts\/decommission\.ts$/,
    /^tools\/decommission\.ts$/,
    /^scripts\/pulumi\.ts$/, // npm run pulumi: the local engine by hand (engine/cli.ts)
];

/** The tools that plan and check stacks, and CI itself: every stack is planned with them, none is deployed. */
export const TOOLING_PATHS: readonly RegExp[] = [/^scripts\//, /^harness\//, /^tools\//, /^\.github\//];

export function classifyPath(file: string): ClassifiedPath {
    const p = file.replace(/\\/g, "/").replace(/^\.\//, "");
    if (!p.includes("/")) {
        const lock = LOCK_FILE.exec(p);
        if (lock) return { path: p, kind: "stack", stack: lock[1] };
        const stack = STACK_FILE.exec(p);
        if (stack) return { path: p, kind: "stack", stack: stack[1] };
    }
    if (INERT_PATHS.some((re) => re.test(p))) return { path: p, kind: "inert" };
    if (TOOLING_PATHS.some((re) => re.test(p))) return { path: p, kind: "tooling" };
    // index.ts, Pulumi.yaml, components/, policies/, package*.json, tsconfig.json, and anything new: it may change
    // what `pulumi up` does, so every stack is planned and deployed.
    return { path: p, kind: "program" };
}

/** The environment of a stack: `fhir-platform:environment` when set, else the stack name up to its first hyphen. */
export function stackEnvironment(stack: string, config: Record<string, string>): string {
    const set = config[`${CONFIG_PREFIX}environment`];
    return set !== undefined && set !== "" ? set : stack.split("-")[0];
}

/** A stack's CI facts from its config map (as readStackConfig returns it). */
export function stackInfo(stack: string, config: Record<string, string>): StackInfo {
    const environment = stackEnvironment(stack, config);
    const deploy = config[`${CONFIG_PREFIX}deploy`];
    if (deploy === undefined || deploy === "true") return { stack, environment, deploy: true };
    if (deploy === "false") return { stack, environment, deploy: false };
    return {
        stack,
        environment,
        deploy: false,
        problem: `Pulumi.${stack}.yaml: fhir-platform:deploy must be true or false, got ${deploy}`,
    };
}

/** Stack names of the `Pulumi.<stack>.yaml` files in a project directory, sorted. */
export function listStackNames(dir: string): string[] {
    return fs
        .readdirSync(dir)
        .map((f) => STACK_FILE.exec(f)?.[1])
        .filter((s): s is string => s !== undefined)
        .sort();
}

export function readStackInfos(dir: string): StackInfo[] {
    return listStackNames(dir).map((stack) => {
        try {
            return stackInfo(stack, readStackConfig(stack, dir));
        } catch (e) {
            return {
                stack,
                environment: stackEnvironment(stack, {}),
                deploy: false,
                problem: `Pulumi.${stack}.yaml: ${e instanceof Error ? e.message : String(e)}`,
            };
        }
    });
}

function listed(paths: string[], max = 3): string {
    return paths.length <= max ? paths.join(", ") : `${paths.slice(0, max).join(", ")} (+${paths.length - max} more)`;
}

/**
 * The selection for a change: the files it touches (paths relative to the project), or "all" (a scheduled or manual
 * run: every stack planned, every deployable stack deployed).
 */
export function selectStacks(changes: readonly string[] | "all", stacks: readonly StackInfo[]): Selection {
    const classified = changes === "all" ? [] : changes.map(classifyPath);
    const byKind = (kind: ChangeKind) => classified.filter((c) => c.kind === kind).map((c) => c.path);
    const program = byKind("program");
    const tooling = byKind("tooling");
    const known = new Set(stacks.map((s) => s.stack));
    const touched = new Map<string, string[]>();
    for (const c of classified)
        if (c.kind === "stack" && c.stack !== undefined) touched.set(c.stack, [...(touched.get(c.stack) ?? []), c.path]);
    const removed = [...touched.keys()].filter((s) => !known.has(s)).sort();
    const touchedEnvironments = new Map<string, string[]>();
    for (const s of stacks)
        if (touched.has(s.stack)) touchedEnvironments.set(s.environment, [...(touchedEnvironments.get(s.environment) ?? []), s.stack]);

    const decisions: StackDecision[] = stacks.map((s) => {
        const why: string[] = [];
        let deployNow = false;
        if (changes === "all") {
            why.push("every stack (scheduled or manual run)");
            deployNow = true;
        }
        if (program.length) {
            why.push(`program changed: ${listed(program)}`);
            deployNow = true;
        }
        if (touched.has(s.stack)) {
            why.push(`changed: ${touched.get(s.stack)!.join(", ")}`);
            deployNow = true;
        } else if (touchedEnvironments.has(s.environment)) {
            why.push(`shard of environment '${s.environment}', where ${touchedEnvironments.get(s.environment)!.join(", ")} changed`);
        }
        if (tooling.length) why.push(`planning tools changed: ${listed(tooling)}`);
        const plan = why.length > 0;
        if (plan && !s.deploy)
            why.push(
                s.problem
                    ? "never deployed while its stack file has the problem below"
                    : "example stack (fhir-platform:deploy: false): planned, never deployed",
            );
        return { ...s, plan, deployNow: deployNow && s.deploy, githubEnvironment: s.stack, why };
    });

    const plan = decisions.filter((d) => d.plan).map((d) => d.stack);
    const environmentNames = [...new Set(decisions.filter((d) => d.plan).map((d) => d.environment))].sort();
    return {
        plan,
        deploy: decisions.filter((d) => d.deployNow).map((d) => d.stack),
        environments: environmentNames.map((environment) => ({
            environment,
            stacks: stacks.filter((s) => s.environment === environment).map((s) => s.stack),
        })),
        stacks: decisions,
        removed,
        problems: decisions.filter((d) => d.plan && d.problem).map((d) => d.problem!),
    };
}

const NO_COMMIT = /^0+$/;

/**
 * Files changed between two commits (`git diff --name-only base...head`: what head adds since it forked from base),
 * renames as a deletion plus an addition. Undefined when base is not a commit of this clone (a new branch's
 * all-zero `before`, or a shallow clone): the caller then selects every stack.
 */
export function changedFiles(base: string, head: string, cwd: string): string[] | undefined {
    if (NO_COMMIT.test(base)) return undefined;
    const known = spawnSync("git", ["rev-parse", "--verify", "--quiet", `${base}^{commit}`], { cwd, encoding: "utf8" });
    if (known.status !== 0) return undefined;
    const diff = spawnSync("git", ["diff", "--name-only", "--no-renames", "-z", `${base}...${head}`], { cwd, encoding: "utf8" });
    if (diff.status !== 0) throw new Error(`git diff ${base}...${head} failed: ${diff.stderr.trim()}`);
    const top = spawnSync("git", ["rev-parse", "--show-prefix"], { cwd, encoding: "utf8" }).stdout.trim();
    // git names files from the repository root; the project may be a folder of it.
    return diff.stdout
        .split("\0")
        .filter(Boolean)
        .filter((f) => f.startsWith(top))
        .map((f) => f.slice(top.length));
}

/** `key=value` lines for $GITHUB_OUTPUT: JSON lists for `fromJSON` in a matrix. */
export function githubOutputs(s: Selection): string {
    return `${[
        `plan=${JSON.stringify(s.plan)}`,
        `deploy=${JSON.stringify(s.deploy)}`,
        `environments=${JSON.stringify(s.environments.map((e) => e.environment))}`,
    ].join("\n")}\n`;
}

function cell(text: string): string {
    return text.replace(/\|/g, "\\|");
}

/** The selection as a table (markdown for a job summary, or plain text). */
export function renderSelection(s: Selection, format: "markdown" | "text"): string {
    const rows = s.stacks.map((d) => [
        d.stack,
        d.environment,
        d.plan ? "yes" : "no",
        d.deployNow ? `yes, environment '${d.githubEnvironment}'` : d.deploy ? "no" : "never (deploy: false)",
        d.why.join("; ") || "not touched",
    ]);
    const head = ["stack", "environment", "plan", "deploy", "why"];
    const out: string[] = [];
    if (format === "markdown") {
        out.push("### Stacks selected by this change", "", `| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`);
        for (const r of rows) out.push(`| ${r.map(cell).join(" | ")} |`);
    } else {
        const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
        const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join("  ");
        out.push(line(head.map((h) => h.toUpperCase())));
        for (const r of rows) out.push(line(r));
    }
    out.push("");
    if (s.plan.length === 0) out.push("nothing to plan or deploy");
    if (s.environments.length)
        out.push(`shard checks: ${s.environments.map((e) => `${e.environment} [${e.stacks.join(", ")}]`).join("; ")}`);
    if (s.removed.length)
        out.push(
            `stack files removed: ${s.removed.join(", ")} (nothing planned or deployed; the stacks themselves still exist: pulumi ` +
                `destroy / pulumi stack rm by hand)`,
        );
    for (const p of s.problems) out.push(`problem: ${p}`);
    return `${out.join("\n")}\n`;
}
