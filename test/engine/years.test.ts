/**
 * Three simulated years of a stack's life under the real engine, on the fake Azure's clock (FHIR_FAKE_NOW): Key Vault
 * rotates the keys on their policy's schedule, storage follows within a day, and the FHIR services move only when the
 * daily key-rotation workflow runs, with its commands (`pulumi up --refresh`, then `npm run verify`), on its schedule
 * (`.github/workflows/key-rotation.yml`'s cron), including a week and a month without a run. Someone also deletes a crypto
 * grant and edits a tag in the portal. Every simulated day the fake's truth is checked (no FHIR service ever pinned to a
 * disabled or expired version, storage on the newest version within a day) and verify's key assessment is compared with it.
 *
 * The engine runs only where a run would change something (a new version some service is not on yet, the drift), on a
 * few sampled days where a run should change nothing (it must report no change: that is what makes skipping the other
 * no-change days faithful), and after each missed window; every other day's run is accounted as a no-op without running
 * it. One stack shared by every step; the steps run in order.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { type EngineProject, EngineProject as Project, declaredUrns } from "../../engine/harness";
import { REPO_ROOT } from "../../engine/paths";
import { restGet } from "../../engine/plugins/armShapes";
import { type ArmRecord, type ArmTableView, snapshotOf } from "../../engine/plugins/fakeArm";
import { FakeAzure, FakeTenant, fhirKeyProblem } from "../../engine/plugins/fakeAzure";
import { type KeyVersionState, keyVersions, storageKeyVersion } from "../../engine/plugins/keyVault";
import { parseFhirService, parseKeyVersion } from "../../tools/verify/arm";
import { DEFAULT_KEY_EXPIRY_WARN_DAYS, DEFAULT_KEY_LAG_HOURS, assessKey } from "../../tools/verify/keys";
import type { AccountTarget } from "../../tools/verify/targets";
import { type StackRigSetup, type VerifyRig, startVerifyRig } from "../fakes/verifyRig";
import { DESTRUCTIVE_OPS, type RunChanges, changesOf } from "./engineEvents";
import { POLICY_PACK_DIR, accountsOf, devConfig } from "./helpers";

const HOUR = 3600_000;
const DAY = 24 * HOUR;
/** The first deployment. */
const T0 = Date.UTC(2027, 0, 4, 9, 0);
const DAYS = 3 * 365 + 1;
/** contoso rotates every 90 days (a common choice), fabrikam at the default (azure/facts.ts KEY_ROTATION_DAYS). */
const ROTATION = { contoso: 90, fabrikam: 365 } as const;
type Account = keyof typeof ROTATION;
const ACCOUNTS = Object.keys(ROTATION) as Account[];
/** Days without a workflow run: a week around contoso's 4th rotation (day 270), a month around its 8th (day 630). */
const MISSED = [
    { from: 268, to: 274, what: "a week" },
    { from: 622, to: 651, what: "a month" },
];
/** Someone deletes contoso's crypto grant and edits a tag of fabrikam's FHIR service in the portal. */
const DRIFT_DAY = 400;
/** Run days where nothing changed, run anyway: each must be a no-op (the proof behind skipping the others). */
const SAMPLED_NO_CHANGE_DAYS = [1, 183, 900];

/** The workflow's schedule, read from the workflow itself: `cron: "M H * * *"`. */
function workflowSchedule(): { hour: number; minute: number } {
    const text = fs.readFileSync(path.join(REPO_ROOT, ".github", "workflows", "key-rotation.yml"), "utf8");
    const m = /cron:\s*"(\d+) (\d+) \* \* \*"/.exec(text);
    if (!m) throw new Error("key-rotation.yml has no daily cron line");
    return { minute: Number(m[1]), hour: Number(m[2]) };
}

function stackConfig(): Record<string, unknown> {
    const base = devConfig();
    return {
        ...base,
        "fhir-platform:accounts": accountsOf(base)
            .filter((a) => a.name in ROTATION)
            .map(({ recoveryCopy: _copy, ...a }) => ({ ...a, keyRotationDays: ROTATION[a.name as Account] })),
    };
}

let project: EngineProject;
let rig: VerifyRig;
let servers: StackRigSetup;
let azure: FakeAzure;
/** The fake Azure's table as of the last change (engine run or out-of-band edit), and the simulated time. */
let view: ArmTableView;
let clock = T0;
const schedule = workflowSchedule();
const runTime = (day: number) => Date.UTC(2027, 0, 4 + day, schedule.hour, schedule.minute);

const figures = {
    simulatedDays: DAYS,
    scheduledRuns: DAYS,
    missedRuns: 0,
    engineRuns: 0,
    noChangeRunsSkipped: 0,
    sampledNoChangeRuns: 0,
    fhirUpdates: 0,
    rotations: 0,
    maxFhirLagHours: 0,
    maxStorageLagHours: 0,
    daysVerifyWouldReportLag: 0,
    verifyRuns: 0,
    created: 0,
    replacedOrDeleted: 0,
    lost: 0,
};

function refreshView(): void {
    view = snapshotOf(project.armRecords());
}

function byName(type: string, suffix: string): ArmRecord {
    const r = view.list().find((x) => x.type === type && x.urn.endsWith(`::${suffix}`));
    if (!r) throw new Error(`no ${type} ${suffix} in the fake ARM`);
    return r;
}
const fhirOf = (a: Account) => byName("azure-native:healthcareapis:FhirService", `${a}-fhir`);
const keyOf = (a: Account) => byName("azure-native:keyvault:Key", `${a}-cmk`);
const storageOf = (a: Account) => byName("azure-native:storage:StorageAccount", `${a}-export-storage`);

function pinnedVersion(a: Account): string {
    const url = String(
        (fhirOf(a).inputs.encryption as { customerManagedKeyEncryption: { keyEncryptionKeyUrl: string } }).customerManagedKeyEncryption
            .keyEncryptionKeyUrl,
    );
    return url.split("/").pop() as string;
}

/** The accounts whose FHIR service is not on the newest version at `t`. */
function lagging(t: number): Account[] {
    return ACCOUNTS.filter((a) => pinnedVersion(a) !== keyVersions(keyOf(a), t).at(-1)?.version);
}

/** The fake's truth at `t`, checked: each service on an existing, enabled, unexpired version; storage within a day. */
function checkDay(t: number): void {
    for (const a of ACCOUNTS) {
        const versions = keyVersions(keyOf(a), t);
        const pinned = versions.find((v) => v.version === pinnedVersion(a)) as KeyVersionState;
        expect({
            account: a,
            at: new Date(t).toISOString(),
            pinned: pinned && { enabled: pinned.enabled, expired: (pinned.expires ?? Infinity) <= t },
        }).toEqual({
            account: a,
            at: new Date(t).toISOString(),
            pinned: { enabled: true, expired: false },
        });
        expect(fhirKeyProblem(view, fhirOf(a), t)).toBeUndefined();
        const newest = versions.at(-1) as KeyVersionState;
        const firstNewer = versions.find((v) => v.created > pinned.created);
        if (firstNewer) figures.maxFhirLagHours = Math.max(figures.maxFhirLagHours, (t - firstNewer.created) / HOUR);
        const storage = storageKeyVersion(storageOf(a).createdAt as number, keyOf(a), t);
        if (storage && storage.version.version !== newest.version) {
            figures.maxStorageLagHours = Math.max(figures.maxStorageLagHours, (t - newest.created) / HOUR);
            expect(t - newest.created).toBeLessThan(DAY);
        }
        // verify's own assessment, on ARM's answers from the fake: it reports a lag exactly when a newer version has
        // been there longer than --key-lag-hours, and never a disabled or expired version.
        const svc = parseFhirService(restGet(view, fhirOf(a).id, t)?.body);
        const listed = restGet(view, `${keyOf(a).id}/versions`, t)?.body as { value: unknown[] };
        const parsed = listed.value.map(parseKeyVersion).filter((v) => v !== undefined);
        const target = { account: a, fhirServiceId: fhirOf(a).id, keyId: keyOf(a).id, keyRotationDays: ROTATION[a] } as AccountTarget;
        const { status } = assessKey({
            target,
            keyUrl: svc?.keyEncryptionKeyUrl,
            versions: parsed,
            nowMs: t,
            lagHours: DEFAULT_KEY_LAG_HOURS,
            expiryWarnDays: DEFAULT_KEY_EXPIRY_WARN_DAYS,
        });
        const shouldLag = firstNewer !== undefined && t - firstNewer.created > DEFAULT_KEY_LAG_HOURS * HOUR;
        expect({ account: a, at: new Date(t).toISOString(), problems: status.problems }).toEqual({
            account: a,
            at: new Date(t).toISOString(),
            problems: shouldLag ? ["lagging"] : [],
        });
        if (shouldLag) figures.daysVerifyWouldReportLag++;
    }
}

async function pulumiAt(t: number, args: string[]) {
    clock = t;
    project.fakeAzureEnv = { FHIR_FAKE_NOW: new Date(t).toISOString() };
    const r = await project.pulumi(args);
    refreshView();
    return r;
}

function expectOk(r: { code: number; output: string }): void {
    expect({ code: r.code, output: r.code === 0 ? "" : r.output.slice(-4000) }).toEqual({ code: 0, output: "" });
}

/** The workflow's rotate job at `t`: `pulumi up --refresh` (pulumi/actions with refresh: true, policyPacks: policies). */
async function workflowUp(t: number, withPolicyPack: boolean): Promise<RunChanges> {
    const r = await pulumiAt(t, [
        "up",
        "--yes",
        "--skip-preview",
        "--refresh",
        "--json",
        "--stack",
        "dev",
        ...(withPolicyPack ? ["--policy-pack", POLICY_PACK_DIR] : []),
    ]);
    expectOk(r);
    figures.engineRuns++;
    const changes = changesOf(r.stdout);
    figures.replacedOrDeleted += changes.steps.filter((s) => DESTRUCTIVE_OPS.includes(s.op)).length;
    figures.created += changes.steps.filter((s) => s.op === "create").length;
    return changes;
}

/** The workflow's verify step at `t` (`npm run verify -- --stack …`: its code, runVerify, on the stack's outputs). */
async function verifyAt(t: number) {
    clock = t;
    const outputs = await project.pulumi(["stack", "output", "--json", "--show-secrets=false", "--stack", "dev"]);
    expectOk(outputs);
    const setup = servers.writeOutputs(JSON.parse(outputs.stdout));
    figures.verifyRuns++;
    return rig.verify(setup, [], { clock: { sleep: async () => undefined, random: () => 1, now: () => clock } });
}

/** verify agrees with the fake: every service healthy, on the newest version, which is the one the fake has. */
async function expectVerifyAgrees(t: number): Promise<void> {
    const run = await verifyAt(t);
    const keys = Object.fromEntries(
        (run.report?.accounts ?? []).map((r) => [
            r.account,
            { healthy: r.healthy, version: r.key?.version, isLatest: r.key?.isLatest, problems: r.key?.problems },
        ]),
    );
    expect({ code: run.code, keys }).toEqual({
        code: 0,
        keys: Object.fromEntries(
            ACCOUNTS.map((a) => [a, { healthy: true, version: keyVersions(keyOf(a), t).at(-1)?.version, isLatest: true, problems: [] }]),
        ),
    });
}

beforeAll(async () => {
    rig = await startVerifyRig({ nowMs: T0, tmpPrefix: "years-verify-" });
    project = await Project.create({ stack: "dev", config: stackConfig() });
    azure = new FakeAzure(project.arm, new FakeTenant(path.join(project.armDir, ".tenant")));
    servers = await rig.setupForStack(
        Object.fromEntries(
            ACCOUNTS.map((a) => [a, { behaviour: "healthy" as const, keyProblem: () => fhirKeyProblem(view, fhirOf(a), clock) }]),
        ),
        (method, p) => (method === "GET" ? restGet(view, p, clock) : undefined),
    );
});
afterAll(async () => {
    await rig?.close();
    project?.remove();
});

describe("three simulated years of key rotation, drift and the daily workflow under the real engine", () => {
    let initial: string[];

    test("day 0: the stack is deployed; every FHIR service is on its key's first version and verify agrees", async () => {
        const r = await pulumiAt(T0, ["up", "--yes", "--skip-preview", "--stack", "dev"]);
        expectOk(r);
        initial = declaredUrns(await project.state());
        checkDay(T0);
        await expectVerifyAgrees(T0 + HOUR);
    });

    test(
        `${DAYS} days of the workflow's schedule (${MISSED.map((m) => m.what).join(" and ")} without a run; the portal on day ${DRIFT_DAY}): ` +
            "every rotation reaches its FHIR service in place, nothing else moves, verify agrees at each run",
        async () => {
            const missed = (d: number) => MISSED.some((m) => d >= m.from && d <= m.to);
            let catchUp = true; // the first rotation run, and the first after a missed window, run with the policy pack
            for (let day = 1; day <= DAYS; day++) {
                const t = runTime(day);
                if (day === DRIFT_DAY) {
                    await driftDay(t);
                    continue;
                }
                if (missed(day)) {
                    figures.missedRuns++;
                    catchUp = true;
                    checkDay(t);
                    continue;
                }
                checkDay(t);
                const behind = lagging(t);
                if (behind.length === 0 && !SAMPLED_NO_CHANGE_DAYS.includes(day)) {
                    figures.noChangeRunsSkipped++;
                    continue;
                }
                const changes = await workflowUp(t, catchUp && behind.length > 0);
                if (behind.length > 0) catchUp = false;
                // Exactly the lagging services move, in place (encryption.customerManagedKeyEncryption.keyEncryptionKeyUrl).
                expect({ day, steps: changes.steps.map((s) => `${s.op} ${s.name}`).sort() }).toEqual({
                    day,
                    steps: behind.map((a) => `update ${a}-fhir`).sort(),
                });
                if (behind.length === 0) figures.sampledNoChangeRuns++;
                figures.fhirUpdates += behind.length;
                expect(lagging(t)).toEqual([]);
                checkDay(t);
                await expectVerifyAgrees(t + 15 * 60_000);
            }
            figures.rotations = ACCOUNTS.reduce((n, a) => n + keyVersions(keyOf(a), runTime(DAYS)).length - 1, 0);
            expect(figures.rotations).toBe(ACCOUNTS.reduce((n, a) => n + Math.floor((runTime(DAYS) - T0) / (ROTATION[a] * DAY)), 0));
            expect(figures.missedRuns).toBe(MISSED.reduce((n, m) => n + m.to - m.from + 1, 0));
            // Every FHIR update was one rotation reaching one service: no run ever moved a service for any other reason.
            expect(figures.fhirUpdates).toBe(figures.rotations);
            // The month without a run is the longest lag; verify reported it on the days it lasted beyond 48 h.
            expect(figures.maxFhirLagHours).toBeGreaterThan(24 * 20);
            expect(figures.daysVerifyWouldReportLag).toBeGreaterThan(20);
            expect(figures.maxStorageLagHours).toBeLessThan(24);
        },
    );

    test("after three years: no resource lost, none replaced or deleted; state and the fake Azure hold the same resources", async () => {
        const state = await project.state();
        expect(declaredUrns(state)).toEqual(initial);
        const inState = new Set(state.map((r) => r.urn));
        const records = project.armRecords();
        figures.lost = records.filter((r) => !inState.has(r.urn)).length;
        expect(figures.lost).toBe(0);
        expect(figures.replacedOrDeleted).toBe(0);
        // The only create in three years was the deleted grant's.
        expect(figures.created).toBe(1);
        process.stdout.write(`three-year figures: ${JSON.stringify(figures)}\n`);
    });
});

/**
 * Day DRIFT_DAY: at 01:00 someone deletes contoso's Key Vault crypto grant and edits fabrikam's FHIR tags in the portal.
 * verify (run by hand at 02:00) diagnoses contoso's 500; a preview with refresh reports both changes; the day's workflow
 * run restores both, and nothing else moves.
 */
async function driftDay(t: number): Promise<void> {
    const tampered = t - 2 * HOUR - 17 * 60_000;
    clock = tampered;
    checkDay(tampered);
    const grant = byName("azure-native:authorization:RoleAssignment", "contoso-cmk-crypto-grant");
    const fabrikam = fhirOf("fabrikam");
    azure.delete(grant.id);
    const tags = fabrikam.outputs.tags as Record<string, string>;
    azure.outOfBand(fabrikam.id, (side) => ({ ...side, drift: { tags: { ...tags, owner: "someone-in-the-portal" } } }));
    refreshView();
    expect(fhirKeyProblem(view, fhirOf("contoso"), tampered)).toMatch(/no Key Vault Crypto Service Encryption User grant/);

    const diagnosed = await verifyAt(t - HOUR);
    const contoso = diagnosed.report?.accounts.find((a) => a.account === "contoso");
    expect(diagnosed.code).toBe(1);
    expect(contoso?.checks.find((c) => c.name === "metadata")).toEqual(expect.objectContaining({ status: "fail", httpStatus: 500 }));
    const diagnosis = contoso?.diagnoses[0];
    expect(diagnosis?.code).toBe("server-error");
    // The key check found the version enabled, so the grant comes first among the remedies.
    expect(diagnosis?.remedies[1]).toMatch(/^ {2}1\. re-grant Key Vault Crypto Service Encryption User/);
    expect(diagnosed.report?.accounts.find((a) => a.account === "fabrikam")?.healthy).toBe(true);

    const reported = await pulumiAt(t - 30 * 60_000, ["preview", "--refresh", "--expect-no-changes", "--stack", "dev"]);
    expect(reported.code).not.toBe(0);
    expect(reported.output).toMatch(/\+ +azure-native:authorization:RoleAssignment +contoso-cmk-crypto-grant +create/);
    expect(reported.output).toMatch(/~ +azure-native:healthcareapis:FhirService +fabrikam-fhir +update/);

    const changes = await workflowUp(t, true);
    expect(changes.steps.map((s) => `${s.op} ${s.name}`).sort()).toEqual(["create contoso-cmk-crypto-grant", "update fabrikam-fhir"]);
    expect(byName("azure-native:authorization:RoleAssignment", "contoso-cmk-crypto-grant").id).toBe(grant.id);
    expect(fhirOf("fabrikam").azure?.drift).toBeUndefined();
    expect(fhirOf("fabrikam").outputs.tags).toEqual(tags);
    checkDay(t);
    await expectVerifyAgrees(t + 15 * 60_000);
}
