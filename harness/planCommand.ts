/**
 * The offline plan command (scripts/plan.ts parses its arguments): the stack under mocks, the policy pack, with `base`
 * the diff against the plan at a git ref; prints it and writes the JSON and markdown. Returns the exit code: 0 pass;
 * 1 a mandatory violation, a protected resource deleted or replaced, or locked accounts the config dropped; 2 invalid
 * config or usage.
 */
import * as fs from "node:fs";
import { ConfigValidationError } from "../config/schema";
import type { StackRun } from "./runStack";
import {
    type Plan,
    buildPlan,
    lockDropsAccounts,
    MockValues,
    mandatoryViolations,
    policyMarkdown,
    policyText,
    renderMarkdown,
    renderText,
} from "./plan";
import { type BasePlan, BasePlanError, planAtRef } from "./planBase";
import {
    type DiffContext,
    EMPTY_SIDE,
    type PlanDiff,
    diffPlans,
    readPlanDocument,
    renderDiffMarkdown,
    renderDiffText,
    sideOf,
} from "./planDiff";
import { runStack } from "./runStack";
import { PROJECT_DIR, stackFile } from "./stackFiles";
import type { PolicyReport } from "./policyRunner";

export interface PlanOptions {
    stack: string;
    projectDir?: string;
    /** List every input of every resource (plan without base). */
    inputs?: boolean;
    json?: string;
    markdown?: string;
    /** Run the policy pack (default) with this config. */
    policies?: boolean;
    policyConfig?: Record<string, unknown>;
    /** A git ref: show what changed since the plan of the same stack there. */
    base?: string;
}

export interface PlanIo {
    out(text: string): void;
    err(text: string): void;
    /** How the base plan is made; tests give an in-process one. */
    basePlan?(o: { ref: string; stack: string; projectDir: string }): Promise<BasePlan>;
}

export const consoleIo: PlanIo = { out: (t) => process.stdout.write(t), err: (t) => console.error(t) };

export async function runPlan(o: PlanOptions, io: PlanIo = consoleIo): Promise<number> {
    const started = process.hrtime.bigint();
    const projectDir = o.projectDir ?? PROJECT_DIR;
    const elapsed = () => Number((process.hrtime.bigint() - started) / 1000000n);
    // The base plan runs in another process: start it first, so both sides plan at once.
    const base =
        o.base === undefined
            ? undefined
            : (io.basePlan ?? planAtRef)({ ref: o.base, stack: o.stack, projectDir }).then(
                  (plan) => ({ plan, ms: elapsed() }),
                  (error: unknown) => ({ error }),
              );
    const headMissing = o.base !== undefined && !fs.existsSync(stackFile(o.stack, projectDir));
    let run: StackRun | undefined;
    try {
        run = headMissing ? undefined : await runStack({ stack: o.stack, projectDir });
    } catch (e) {
        await base;
        const message =
            e instanceof ConfigValidationError
                ? `Stack '${o.stack}'${o.base !== undefined ? " (working tree)" : ""}: invalid configuration, nothing ` +
                  `planned.\n${e.message}`
                : `Stack '${o.stack}': ${(e as Error).message}`;
        io.err(message);
        writeFailure(o.markdown, `Offline plan: stack \`${o.stack}\``, "Invalid configuration, nothing planned", message);
        return 2;
    }
    const resources = run?.resources ?? [];
    const report: PolicyReport | undefined =
        o.policies === false ? undefined : await (await import("./policyRunner")).runPolicyPack(resources, o.policyConfig);
    const mock = MockValues.fromRun(resources);
    const drift = run && (!run.lock.exists || run.lock.created.length + run.lock.dropped.length > 0) ? run.lock : undefined;
    const plan: Plan = {
        ...buildPlan(o.stack, resources, report, mock),
        ...(run?.warnings.length ? { warnings: run.warnings } : {}),
        ...(drift ? { lock: drift } : {}),
    };

    let diff: PlanDiff | undefined;
    let text: string;
    let markdown: string;
    if (base) {
        const b = await base;
        if ("error" in b) {
            const message = b.error instanceof BasePlanError ? b.error.message : String((b.error as Error).stack ?? b.error);
            io.err(`No plan diff: ${message}`);
            writeFailure(o.markdown, `Plan diff: stack \`${o.stack}\``, `No plan diff against \`${o.base}\``, message);
            return 2;
        }
        const ctx: DiffContext = {
            stack: o.stack,
            base: { ref: o.base!, commit: b.plan.commit, ...(b.plan.kind === "no-stack-file" ? { missing: true } : {}) },
            head: headMissing ? { missing: true } : {},
        };
        let baseSide = EMPTY_SIDE;
        try {
            if (b.plan.kind === "plan") baseSide = readPlanDocument(b.plan.document, mock, `the plan of '${o.stack}' at ${o.base}`);
        } catch (e) {
            io.err(`No plan diff: ${(e as Error).message}`);
            return 2;
        }
        diff = diffPlans(baseSide, sideOf(plan));
        text = `${[...renderDiffText(diff, ctx), "", ...policyText(plan)].join("\n")}\n`;
        const policy = policyMarkdown(plan);
        markdown = [...renderDiffMarkdown(diff, ctx), "### Policy pack", "", policy.verdict, "", ...policy.table].join("\n");
        io.err(`base plan at ${o.base} ready after ${b.ms} ms`);
    } else {
        text = renderText(plan, { inputs: o.inputs === true });
        markdown = renderMarkdown(plan);
    }
    io.out(text);
    if (o.json)
        fs.writeFileSync(
            o.json,
            `${JSON.stringify({ ...plan, outputs: mock.sanitizeDeep(run?.outputs ?? {}), ...(diff ? { diff } : {}) }, null, 2)}\n`,
        );
    if (o.markdown) fs.writeFileSync(o.markdown, markdown);
    // Timing goes to stderr so stdout (the plan) is identical across runs.
    io.err(`plan of '${o.stack}' took ${elapsed()} ms`);
    return failed(plan, diff) ? 1 : 0;
}

function failed(plan: Plan, diff?: PlanDiff): boolean {
    return mandatoryViolations(plan).length > 0 || lockDropsAccounts(plan) || (diff?.errors.length ?? 0) > 0;
}

/** The markdown of a run that planned nothing: heading, verdict and the message. */
function writeFailure(file: string | undefined, heading: string, verdict: string, message: string): void {
    if (file) fs.writeFileSync(file, `## ${heading}\n\n:x: **${verdict}**\n\n\`\`\`text\n${message}\n\`\`\`\n`);
}
