/**
 * Faults the engine tests inject into the fake Azure, and the retries azure-native makes when Azure answers so.
 *
 * FHIR_FAKE_FAULTS is a JSON list of rules; each applies to the ARM calls of the resources whose URN contains `match`:
 *   { "match": "contoso-fhir", "op": "create", "kind": "throttle", "times": 2, "retryAfterSeconds": 1 }
 * - `throttle`: ARM answers 429 with Retry-After (azure/facts.ts ARM_ERRORS.throttled, "Understand how Azure Resource
 *   Manager throttles requests"); nothing happens in Azure.
 * - `serverError`: ARM answers 500 (ARM_ERRORS.internalServerError); nothing happens in Azure.
 * - `operationFailed`: the PUT is accepted, the resource exists (ARM RPC: visible while provisioning), and its
 *   long-running operation ends Failed (after `afterSeconds`); the resource stays, provisioning state Failed (ARM_RETRY's
 *   sources).
 * - `killProvider`: the PUT reaches Azure, which creates the resource, and the provider process dies (SIGKILL) before it
 *   answers the engine: what a crash, an out-of-memory kill or a lost runner looks like to the engine.
 * A rule answers `times` times (default 1), counted across provider processes in FHIR_FAKE_FAULT_LOG (one JSON line per
 * event: what was injected, whether the provider retried, after how long), which the tests read for their figures.
 *
 * Retries are azure-native's (ARM_RETRY: azure-native's azcore pipeline): 408/429/500/502/503/504 are retried at most 3
 * times, after the response's Retry-After or (2^try - 1) x 20 s capped at 120 s; a Retry-After beyond 120 s is not
 * retried; nothing else is. The jitter azcore applies ([0.8, 1.3)) is left out so that runs are reproducible. Waiting
 * is real but scaled by FHIR_FAKE_TIME_SCALE (default 1; the tests use a small factor: the count and order of retries
 * are what they check, not minutes of sleep).
 */
import * as fs from "node:fs";
import { ARM_ERRORS, ARM_RETRY } from "../../azure/facts";
import { ArmError } from "./fakeAzure";

export type FaultOp = "create" | "update" | "read" | "delete";
export type FaultKind = "throttle" | "serverError" | "operationFailed" | "killProvider";

export interface FaultRule {
    match: string;
    op: FaultOp;
    kind: FaultKind;
    times?: number;
    retryAfterSeconds?: number;
    /** For operationFailed: how long the operation runs before it fails (default: as long as a create of its type). */
    afterSeconds?: number;
}

export interface FaultEvent {
    /** The rule, as JSON: what counts its `times` (a later run's rules may sit at the same positions). */
    rule: string;
    kind: FaultKind;
    op: FaultOp;
    urn: string;
    status?: number;
    /** What the provider did next: retried (after delayMs), failed the operation, or nothing (the fault is the outcome). */
    outcome: "retried" | "failed" | "injected";
    delayMs?: number;
    attempt?: number;
}

export function faultRules(env: NodeJS.ProcessEnv = process.env): FaultRule[] {
    return env.FHIR_FAKE_FAULTS ? (JSON.parse(env.FHIR_FAKE_FAULTS) as FaultRule[]) : [];
}

export function faultLogFile(armDir: string, env: NodeJS.ProcessEnv = process.env): string {
    return env.FHIR_FAKE_FAULT_LOG || `${armDir}/.faults.jsonl`;
}

export function readFaultLog(file: string): FaultEvent[] {
    if (!fs.existsSync(file)) return [];
    return fs
        .readFileSync(file, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as FaultEvent);
}

/** azcore calcDelay without its jitter: (2^try - 1) x RetryDelay, capped at MaxRetryDelay. */
export function backoffMs(attempt: number): number {
    return Math.min(ARM_RETRY.maxRetryDelayMs, (2 ** attempt - 1) * ARM_RETRY.retryDelayMs);
}

function timeScale(): number {
    const s = Number(process.env.FHIR_FAKE_TIME_SCALE ?? 1);
    return Number.isFinite(s) && s >= 0 ? s : 1;
}

export function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms * timeScale()));
}

export class Faults {
    constructor(
        private readonly rules: FaultRule[],
        private readonly logFile: string,
    ) {}

    record(e: FaultEvent): void {
        fs.appendFileSync(this.logFile, `${JSON.stringify(e)}\n`);
    }

    /** The next rule of one of `kinds` that still answers for this call, if any. */
    private take(op: FaultOp, urn: string, kinds: FaultKind[]): { rule: FaultRule; key: string } | undefined {
        if (this.rules.length === 0) return undefined;
        const log = readFaultLog(this.logFile);
        for (const rule of this.rules) {
            if (rule.op !== op || !kinds.includes(rule.kind) || !urn.includes(rule.match)) continue;
            const key = JSON.stringify(rule);
            if (log.filter((e) => e.rule === key).length < (rule.times ?? 1)) return { rule, key };
        }
        return undefined;
    }

    /** Whether this call's operation ends Failed, or kills the provider (recorded as injected): the rule that says so. */
    outcome(op: FaultOp, urn: string): FaultRule | undefined {
        const hit = this.take(op, urn, ["operationFailed", "killProvider"]);
        if (!hit) return undefined;
        this.record({ rule: hit.key, kind: hit.rule.kind, op, urn, outcome: "injected" });
        return hit.rule;
    }

    /**
     * One ARM call through azure-native's retry policy: throttling and server errors the rules inject are answered as
     * azure-native's pipeline answers them (retried, or the operation fails with ARM's error); then `call` runs.
     */
    async withRetries<T>(op: FaultOp, urn: string, subscriptionId: string, call: () => T | Promise<T>): Promise<T> {
        for (let attempt = 1; ; attempt++) {
            const hit = this.take(op, urn, ["throttle", "serverError"]);
            if (!hit) return call();
            const throttled = hit.rule.kind === "throttle";
            const retryAfterMs = throttled ? (hit.rule.retryAfterSeconds ?? 1) * 1000 : undefined;
            const e = throttled ? ARM_ERRORS.throttled : ARM_ERRORS.internalServerError;
            const error = throttled
                ? new ArmError(e.code, ARM_ERRORS.throttled.message(subscriptionId, (retryAfterMs ?? 0) / 1000), e.status)
                : new ArmError(e.code, ARM_ERRORS.internalServerError.message, e.status);
            const base = { rule: hit.key, kind: hit.rule.kind, op, urn, status: e.status, attempt };
            const beyondCap = retryAfterMs !== undefined && retryAfterMs > ARM_RETRY.maxRetryDelayMs;
            if (attempt > ARM_RETRY.maxRetries || beyondCap) {
                this.record({ ...base, outcome: "failed" });
                throw error;
            }
            const delayMs = retryAfterMs ?? backoffMs(attempt);
            this.record({ ...base, outcome: "retried", delayMs });
            await sleep(delayMs);
        }
    }
}
