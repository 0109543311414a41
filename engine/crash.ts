/**
 * What a crash in the middle of `pulumi up` costs, with the CLI's per-step checkpoints and without them
 * (PULUMI_SKIP_CHECKPOINTS=true): a first `up` of N generated accounts is stopped by a signal once half of its Azure
 * resources exist in the fake ARM table, then the state is compared with what "Azure" holds, `up` is run again, and
 * the recovery the CLI offers (`pulumi cancel`, `pulumi refresh` with the pending creates imported) is tried.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Plan } from "../harness/plan";
import { BENCH_STACK } from "../tools/bench/generate";
import { type Checkpoints, benchStackConfig, caseArgs, checkpointVariable } from "./bench";
import { EngineProject, type StateResource, npmRun } from "./harness";
import type { ArmRecord } from "./plugins/fakeArm";

/**
 * SIGINT: what a person's Ctrl-C and a cancelled CI job send first; SIGTERM: what a CI runner sends next; SIGKILL: a
 * runner lost, the OOM killer, or the end of a cancelled job's grace period.
 */
export const CRASH_SIGNALS = ["SIGKILL", "SIGTERM", "SIGINT"] as const;
export type CrashSignal = (typeof CRASH_SIGNALS)[number];

export interface CrashOptions {
    accounts: number;
    checkpoints: Checkpoints;
    signal: CrashSignal;
    /** Stop the CLI once this share of the stack's Azure resources exists (default 0.5). */
    at?: number;
}

export interface CrashResult extends Required<CrashOptions> {
    /** Azure resources the stack declares (fake ARM records a full `up` makes). */
    azureResources: number;
    /** Seconds from the start of `up` to the signal, and the CLI's exit code or signal. */
    stoppedAfterSeconds: number;
    exit: string;
    /** After the stop: resources in the fake ARM table, in the state, and in Azure but unknown to the state. */
    inAzure: number;
    inState: number;
    pendingOperations: number;
    orphans: number;
    orphansByType: Record<string, number>;
    /** The next `pulumi up`, as is: exit code, whether the stack was locked, resources refused as existing. */
    rerun: { code: number; locked: boolean; alreadyExists: number; firstError?: string };
    /** The CLI's own recovery: `pulumi cancel` if locked, `pulumi refresh` importing the pending creates, then `up`. */
    recovery: {
        commands: string[];
        /** Whether `pulumi refresh --import-pending-creates` put the pending creates into the state. */
        importPendingCreatesWorked?: boolean;
        upCode: number;
        firstError?: string;
        stateMatchesAzure: boolean;
        orphansLeft: number;
    };
}

interface ExportedState {
    resources: StateResource[];
    /** Operations the CLI started and never saw the end of (`creating`, `updating`, `deleting`, ...). */
    pending: { resource: StateResource; type: string }[];
}

async function stackState(project: EngineProject): Promise<ExportedState> {
    const r = await project.pulumi(["stack", "export", "--stack", project.stack]);
    if (r.code !== 0) throw new Error(`pulumi stack export failed:\n${r.output}`);
    const doc = JSON.parse(r.stdout) as { deployment?: { resources?: StateResource[]; pending_operations?: ExportedState["pending"] } };
    return { resources: doc.deployment?.resources ?? [], pending: doc.deployment?.pending_operations ?? [] };
}

/** The first error line of a CLI run's output. */
function firstError(output: string): string | undefined {
    return output
        .split("\n")
        .map((l) => l.trim())
        .find((l) => /^error:/.test(l))
        ?.slice(0, 300);
}

/**
 * Azure resources: azure-native's. The fake ARM table also keeps the random suffixes (random:RandomString), which
 * exist nowhere but in state; they are left out of every count.
 */
const isAzure = (r: { type: string }) => r.type.startsWith("azure-native:");

/** Azure resources the stack declares: the offline plan's custom resources that the fake providers keep. */
async function declaredAzureResources(project: EngineProject): Promise<number> {
    const file = path.join(project.dir, "plan.json");
    const r = await npmRun("plan", ["--stack", project.stack, "--project-dir", project.dir, "--json", file, "--no-policies"]);
    if (r.code !== 0) throw new Error(`npm run plan failed (${r.code}):\n${r.output}`);
    const plan = JSON.parse(fs.readFileSync(file, "utf8")) as Plan;
    return plan.groups.flatMap((g) => g.resources).filter((res) => res.custom && isAzure(res)).length;
}

/** Azure resources in the fake ARM table. */
function inAzureNow(project: EngineProject): ArmRecord[] {
    return project.armRecords().filter(isAzure);
}

function orphansOf(project: EngineProject, state: StateResource[]): ArmRecord[] {
    const known = new Set(state.map((r) => r.urn));
    return inAzureNow(project).filter((rec) => !known.has(rec.urn));
}

/** Runs the experiment in a fresh project; the project is removed afterwards. */
export async function crashUp(options: CrashOptions): Promise<CrashResult> {
    const at = options.at ?? 0.5;
    const project = await EngineProject.create({ stack: BENCH_STACK, config: benchStackConfig(options.accounts) });
    const env = checkpointVariable(options.checkpoints);
    try {
        const azureResources = await declaredAzureResources(project);
        const threshold = Math.ceil(azureResources * at);
        const args = caseArgs({ command: "up", accounts: options.accounts, pack: true, checkpoints: options.checkpoints });
        let stoppedAt = 0;
        const started = Date.now();
        const r = await project.pulumi(args, {
            env,
            onSpawn: (child) => {
                const timer = setInterval(() => {
                    if (fs.existsSync(project.armDir) && inAzureNow(project).length >= threshold) {
                        clearInterval(timer);
                        stoppedAt = Date.now();
                        child.kill(options.signal);
                    }
                }, 250);
                child.on("exit", () => clearInterval(timer));
            },
        });
        // Providers the CLI started may finish what they were doing (Azure would): let them, then look.
        await new Promise((resolve) => setTimeout(resolve, 3000));
        const inAzure = inAzureNow(project).length;
        const after = await stackState(project);
        const orphans = orphansOf(project, after.resources);
        const orphansByType: Record<string, number> = {};
        for (const o of orphans) orphansByType[o.type] = (orphansByType[o.type] ?? 0) + 1;

        const rerun = await project.pulumi(args, { env });
        const locked = /currently locked/.test(rerun.output);
        const rerunResult = {
            code: rerun.code,
            locked,
            alreadyExists: (rerun.output.match(/already exists/g) ?? []).length,
            firstError: firstError(rerun.output),
        };

        // The recovery docs/runbook.md describes (step 7): cancel the lock, resolve the pending creates, run up again.
        const commands: string[] = [];
        if (locked) {
            commands.push("pulumi cancel --yes");
            await project.pulumi(["cancel", "--yes", "--stack", project.stack]);
        }
        const before = await stackState(project);
        const records = new Map(project.armRecords().map((rec) => [rec.urn, rec]));
        const created = before.pending.filter((p) => p.type === "creating" && records.has(p.resource.urn));
        let importPendingCreatesWorked: boolean | undefined;
        if (before.pending.length) {
            // The CLI's own way: a repeated flag, URN, ID, URN, ID, ... (cmd/pulumi/operations/refresh.go,
            // pendingCreatesToImports), and --clear-pending-creates for creates that never reached Azure.
            const pairs = created.flatMap((p) => [p.resource.urn, records.get(p.resource.urn)?.id ?? ""]);
            const refreshArgs = ["refresh", "--yes", "--skip-preview", "--stack", project.stack];
            refreshArgs.push(...pairs.flatMap((x) => ["--import-pending-creates", x]));
            if (created.length < before.pending.length) refreshArgs.push("--clear-pending-creates");
            commands.push(`pulumi refresh --yes --skip-preview --import-pending-creates <URN> <ID> (${created.length} pairs)`);
            const refresh = await project.pulumi(refreshArgs, { env });
            if (refresh.code !== 0) throw new Error(`pulumi refresh failed:\n${refresh.output.slice(-3000)}`);
            const known = new Set((await stackState(project)).resources.map((x) => x.urn));
            importPendingCreatesWorked = created.every((p) => known.has(p.resource.urn));
            if (!importPendingCreatesWorked) {
                // The runbook's last resort: put each created resource into the state by hand, with its Azure ID.
                commands.push(
                    `pulumi stack export; ${created.length} pending creates moved into resources with their IDs; pulumi stack import`,
                );
                const exportedDoc = await project.pulumi(["stack", "export", "--stack", project.stack]);
                const doc = JSON.parse(exportedDoc.stdout) as { deployment: { resources: StateResource[] } };
                for (const p of created) {
                    if (!known.has(p.resource.urn)) doc.deployment.resources.push({ ...p.resource, id: records.get(p.resource.urn)?.id });
                }
                const file = path.join(project.dir, "state-edited.json");
                fs.writeFileSync(file, JSON.stringify(doc));
                const imported = await project.pulumi(["stack", "import", "--stack", project.stack, "--file", file]);
                if (imported.code !== 0) throw new Error(`pulumi stack import failed:\n${imported.output.slice(-3000)}`);
                commands.push("pulumi refresh --yes --skip-preview");
                await project.pulumi(["refresh", "--yes", "--skip-preview", "--stack", project.stack], { env });
            }
        }
        commands.push(`pulumi ${args.slice(0, 3).join(" ")}`);
        const up = await project.pulumi(args, { env });
        const final = await stackState(project);
        const left = orphansOf(project, final.resources);
        const inState = new Set(final.resources.map((x) => x.urn));
        return {
            ...options,
            at,
            azureResources,
            stoppedAfterSeconds: stoppedAt ? (stoppedAt - started) / 1000 : (r.ms ?? 0) / 1000,
            exit: stoppedAt ? `${options.signal} → exit ${r.code}` : `finished before the signal (exit ${r.code})`,
            inAzure,
            inState: after.resources.filter((x) => x.custom && isAzure(x)).length,
            pendingOperations: after.pending.length,
            orphans: orphans.length,
            orphansByType,
            rerun: rerunResult,
            recovery: {
                commands,
                importPendingCreatesWorked,
                upCode: up.code,
                firstError: firstError(up.output),
                stateMatchesAzure: up.code === 0 && inAzureNow(project).every((rec) => inState.has(rec.urn)),
                orphansLeft: left.length,
            },
        };
    } finally {
        project.remove();
    }
}
