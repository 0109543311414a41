/**
 * The loopback rig the ARM-backed verify tests share: one fake identity endpoint for the file (msal-node keeps the
 * managed identity source in a static), and per scenario a fake FHIR service and a fake Azure Resource Manager with
 * the stack outputs that point at them. `verify` runs the real CLI code (runVerify) against them.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { AccountResult } from "../../tools/verify/check";
import { runVerify, type VerifyIo } from "../../tools/verify/cli";
import type { Clock } from "../../tools/verify/http";
import type { VerifyReport } from "../../tools/verify/report";
import { ARM_AUDIENCE, startFakeArmServer, type ArmResolver, type FakeArmAccount, type FakeArmServer } from "./armServer";
import { fakeStackOutputs, startFakeFhirServer, type FakeAccountSpec, type FakeFhirServer, type FakeOutputOptions } from "./fhirServer";
import { FakeSigner } from "./jwt";
import { startFakeManagedIdentity, type FakeManagedIdentity } from "./managedIdentity";

export const RIG_TENANT = "72f988bf-0000-4000-8000-000000000001";
export const RIG_CALLER_OID = "9a0c4d2e-0000-4000-8000-00000000cafe";

export interface RigAccount {
    fhir?: FakeAccountSpec;
    /** Without it the account has no ARM resources and its outputs predate fhirServiceId/keyId. */
    arm?: FakeArmAccount;
    outputs?: FakeOutputOptions;
}

export interface RigSetup {
    fhir: FakeFhirServer;
    arm: FakeArmServer;
    outputsFile: string;
}

export interface RigRun {
    code: number;
    stdout: string;
    stderr: string;
    report?: VerifyReport;
}

/** What `setupForStack` gives: the rig's servers, and a writer of the outputs file verify reads. */
export interface StackRigSetup {
    fhir: FakeFhirServer;
    arm: FakeArmServer;
    /** Writes `pulumi stack output --json` of a deployed stack, each fhirUrl and audience moved to the loopback FHIR server. */
    writeOutputs(stackOutputs: unknown): RigSetup;
}

export interface VerifyRig {
    signer: FakeSigner;
    mi: FakeManagedIdentity;
    setup(accounts: Record<string, RigAccount>): Promise<RigSetup>;
    /**
     * For a stack the real engine deployed (test/engine): its FHIR services' data plane served by the fake FHIR server
     * (`accounts`, keyed by account name), Azure Resource Manager by `resolve` (the fake Azure's table).
     */
    setupForStack(accounts: Record<string, FakeAccountSpec>, resolve: ArmResolver): Promise<StackRigSetup>;
    /** runVerify with --outputs, managed identity, --arm-endpoint and --json, plus `extra` flags and IO seams. */
    verify(s: RigSetup, extra?: string[], io?: Partial<VerifyIo>): Promise<RigRun>;
    close(): Promise<void>;
}

/**
 * A clock whose `now` is fixed at `nowMs` until something sleeps: a sleep moves it forward by that much (recorded in
 * `slept`), so waits and deadlines are exact and nothing waits for real.
 */
export function virtualClock(nowMs: number): Clock & { slept: number[] } {
    const slept: number[] = [];
    let now = nowMs;
    return {
        slept,
        sleep: async (ms) => {
            slept.push(ms);
            now += ms;
        },
        random: () => 1,
        now: () => now,
    };
}

export async function startVerifyRig(opts: { nowMs: number; tmpPrefix: string }): Promise<VerifyRig> {
    const signer = new FakeSigner();
    const knownResources = new Set<string>([ARM_AUDIENCE]);
    const mi = await startFakeManagedIdentity({
        signer,
        tenantId: RIG_TENANT,
        principalId: RIG_CALLER_OID,
        knownResources: () => knownResources,
    });
    const restoreEnv = mi.applyEnv();
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), opts.tmpPrefix));
    const closers: (() => Promise<void>)[] = [];
    let fileCount = 0;
    return {
        signer,
        mi,
        async setup(accounts) {
            const fhir = await startFakeFhirServer({
                signer,
                tenantId: RIG_TENANT,
                accounts: Object.fromEntries(Object.entries(accounts).map(([name, a]) => [name, a.fhir ?? { behaviour: "healthy" }])),
            });
            const arm = await startFakeArmServer({
                signer,
                tenantId: RIG_TENANT,
                nowMs: opts.nowMs,
                accounts: Object.fromEntries(Object.entries(accounts).flatMap(([name, a]) => (a.arm ? [[name, a.arm]] : []))),
            });
            closers.push(fhir.close, arm.close);
            // The tenant knows each service's audience, and any the outputs name instead (a real-looking host the fake
            // never serves, for checks that stop before the data plane).
            for (const [name, a] of Object.entries(accounts)) {
                knownResources.add(fhir.audienceOf(name));
                const named = a.outputs?.audience ?? a.outputs?.fhirUrl;
                if (named) knownResources.add(named);
            }
            const outputs = fakeStackOutputs(
                fhir,
                RIG_TENANT,
                Object.fromEntries(Object.entries(accounts).map(([name, a]) => [name, { keyCheck: a.arm !== undefined, ...a.outputs }])),
            );
            const outputsFile = path.join(tmp, `outputs-${++fileCount}.json`);
            fs.writeFileSync(outputsFile, JSON.stringify(outputs));
            return { fhir, arm, outputsFile };
        },
        async setupForStack(accounts, resolve) {
            const fhir = await startFakeFhirServer({ signer, tenantId: RIG_TENANT, accounts });
            const arm = await startFakeArmServer({ signer, tenantId: RIG_TENANT, nowMs: opts.nowMs, accounts: {}, resolve });
            closers.push(fhir.close, arm.close);
            for (const name of Object.keys(accounts)) knownResources.add(fhir.audienceOf(name));
            return {
                fhir,
                arm,
                writeOutputs(stackOutputs) {
                    const root = stackOutputs as { accounts?: Record<string, Record<string, unknown>> };
                    const moved = Object.fromEntries(
                        Object.entries(root.accounts ?? {}).map(([name, a]) => [
                            name,
                            name in accounts ? { ...a, fhirUrl: fhir.urlOf(name), audience: fhir.audienceOf(name) } : a,
                        ]),
                    );
                    const outputsFile = path.join(tmp, `outputs-${++fileCount}.json`);
                    fs.writeFileSync(outputsFile, JSON.stringify({ ...root, accounts: moved }));
                    return { fhir, arm, outputsFile };
                },
            };
        },
        async verify(s, extra = [], io = {}) {
            const out: string[] = [];
            const err: string[] = [];
            const jsonFile = path.join(tmp, `report-${++fileCount}.json`);
            const argv = [
                "--outputs",
                s.outputsFile,
                "--credential",
                "managed-identity",
                "--arm-endpoint",
                s.arm.baseUrl,
                "--json",
                jsonFile,
                ...extra,
            ];
            const code = await runVerify(argv, {
                stdout: (l) => out.push(l),
                stderr: (l) => err.push(l),
                clock: { sleep: async () => undefined, random: () => 1, now: () => opts.nowMs },
                ...io,
            });
            const report = fs.existsSync(jsonFile) ? (JSON.parse(fs.readFileSync(jsonFile, "utf8")) as VerifyReport) : undefined;
            return { code, stdout: out.join("\n"), stderr: err.join("\n"), ...(report ? { report } : {}) };
        },
        async close() {
            restoreEnv();
            await Promise.all([mi.close(), ...closers.map((c) => c())]);
            fs.rmSync(tmp, { recursive: true, force: true });
        },
    };
}

export function resultOf(run: RigRun, name: string): AccountResult {
    const r = run.report?.accounts.find((a) => a.account === name);
    if (!r) throw new Error(`no result for ${name}`);
    return r;
}

/** Every diagnosis of a result as one text (summary, facts, remedies). */
export function diagnosisText(r: AccountResult): string {
    return r.diagnoses.map((d) => [d.summary, ...d.facts, ...d.remedies].join("\n")).join("\n");
}
