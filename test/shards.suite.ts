import { devStack } from "./helpers/devStack";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import * as yaml from "js-yaml";
import { checkShards, findCrossShardDuplicates, formatShardProblem, resolveStackNames } from "../tools/shards";
import { SUBSCRIPTION_LIMITS } from "../azure";
import { main } from "../scripts/shards";

const TENANT = "72f988bf-0000-4000-8000-000000000001";
const sub = (n: number) => ({ name: `sub${n}`, subscriptionId: `00000000-0000-4000-8000-${String(n).padStart(12, "0")}` });

function writeStack(dir: string, stack: string, values: Record<string, unknown>): void {
    const config = Object.fromEntries(Object.entries(values).map(([k, v]) => [`fhir-platform:${k}`, v]));
    fs.writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), yaml.dump({ config }));
}

function stackValues(
    accounts: string[],
    subscriptions: Record<string, unknown>[] = [sub(1)],
    extra: Record<string, unknown> = {},
): Record<string, unknown> {
    return {
        location: "westeurope",
        tenantId: TENANT,
        subscriptions,
        placement: "dedicated",
        accounts: accounts.map((name) => ({ name })),
        ...extra,
    };
}

let dir: string;
beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "shards-test-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

test("an account in two shards is rejected, naming the account and both stacks", () => {
    writeStack(dir, "prod-eu-1", stackValues(["contoso", "fabrikam"], [sub(1)]));
    writeStack(dir, "prod-eu-2", stackValues(["tailspin", "contoso"], [sub(2)]));
    const r = checkShards(["prod-eu-1", "prod-eu-2"], dir);
    expect(r.problems.map(formatShardProblem)).toEqual([
        "account 'contoso', field 'accounts': appears in more than one shard: prod-eu-1, prod-eu-2; an account must belong to exactly " +
            "one stack of environment 'prod'",
    ]);
    expect(r.stacks.map((s) => s.valid)).toEqual([true, true]);
});

describe("environments: shards are checked against each other only within one environment", () => {
    test("the same account in staging and in prod is fine; twice within prod fails, naming the environment", () => {
        writeStack(dir, "staging", stackValues(["contoso", "fabrikam"], [sub(1)]));
        writeStack(dir, "prod-eu-1", stackValues(["contoso"], [sub(2)]));
        writeStack(dir, "prod-eu-2", stackValues(["fabrikam"], [sub(3)]));
        const fine = checkShards(["staging", "prod-eu-1", "prod-eu-2"], dir);
        expect(fine.problems).toEqual([]);
        expect(fine.environments).toEqual([
            { environment: "prod", stacks: ["prod-eu-1", "prod-eu-2"] },
            { environment: "staging", stacks: ["staging"] },
        ]);

        writeStack(dir, "prod-eu-2", stackValues(["fabrikam", "contoso"], [sub(3)]));
        expect(checkShards(["staging", "prod-eu-1", "prod-eu-2"], dir).problems.map(formatShardProblem)).toEqual([
            "account 'contoso', field 'accounts': appears in more than one shard: prod-eu-1, prod-eu-2; an account must belong to " +
                "exactly one stack of environment 'prod'",
        ]);
    });

    test("fhir-platform:environment overrides the name's prefix", () => {
        writeStack(dir, "eu-blue", stackValues(["contoso"], [sub(1)], { environment: "prod" }));
        writeStack(dir, "us-green", stackValues(["contoso"], [sub(2)], { environment: "prod" }));
        writeStack(dir, "eu-try", stackValues(["contoso"], [sub(3)], { environment: "staging" }));
        const r = checkShards(["eu-blue", "us-green", "eu-try"], dir);
        expect(r.stacks.map((s) => [s.stack, s.environment])).toEqual([
            ["eu-blue", "prod"],
            ["us-green", "prod"],
            ["eu-try", "staging"],
        ]);
        expect(r.problems.map(formatShardProblem)).toEqual([
            expect.stringContaining(
                "appears in more than one shard: eu-blue, us-green; an account must belong to exactly one stack of environment 'prod'",
            ),
        ]);
    });

    test("stacks of different environments sharing a subscription still sum its quotas and may not derive the same Azure names", () => {
        const names = (p: string) => Array.from({ length: 6 }, (_, i) => `${p}${i}acct`);
        writeStack(dir, "staging", stackValues(names("s"), [sub(7)]));
        // The subscription's Activity Log is staging's to send (one owner: tested below).
        writeStack(dir, "prod", stackValues(names("p"), [{ ...sub(7), activityLog: false }]));
        expect(checkShards(["staging", "prod"], dir).problems.map(formatShardProblem)).toEqual([
            expect.stringContaining(
                `subscription ${sub(7).subscriptionId} (sub7 in staging, sub7 in prod) would hold 12 FHIR services across these stacks`,
            ),
            expect.stringContaining(
                `subscription ${sub(7).subscriptionId} (sub7 in staging, sub7 in prod) would hold 12 AHDS workspaces across these stacks`,
            ),
        ]);
        // Stack 'x-ws' account 'gro' and stack 'x' workspace group 'gro' derive one resource group, whatever their environments.
        writeStack(dir, "x-ws", stackValues(["gro"], [sub(1)], { environment: "staging" }));
        writeStack(
            dir,
            "x",
            stackValues(["contoso"], [{ ...sub(1), activityLog: false }], {
                environment: "prod",
                placement: "shared",
                accounts: [{ name: "contoso", workspace: "gro" }],
            }),
        );
        expect(checkShards(["x-ws", "x"], dir).problems.map(formatShardProblem)).toEqual([
            expect.stringContaining("resource group 'rg-fhir-x-ws-gro'"),
        ]);
    });
});

test("disjoint shards in their own subscriptions pass, with usage per subscription", () => {
    writeStack(dir, "eu", stackValues(["contoso", "fabrikam"], [sub(1)]));
    writeStack(dir, "us", stackValues(["tailspin"], [sub(2)], { location: "eastus2" }));
    const r = checkShards(["eu", "us"], dir);
    expect(r.problems).toEqual([]);
    expect(
        r.subscriptions.map((u) => [
            u.subscriptionId,
            Object.keys(u.stacks),
            u.accounts,
            u.workspaces,
            u.roleAssignments,
            u.resourceGroups,
        ]),
    ).toEqual([
        // 2 accounts: 2 crypto grants + 2 export-storage grants; resource groups: platform + 2 accounts.
        [sub(1).subscriptionId, ["eu"], 2, 2, 4, 3],
        [sub(2).subscriptionId, ["us"], 1, 1, 2, 2],
    ]);
});

test("an invalid shard is reported with its stack and account, and duplicates are still found", () => {
    writeStack(dir, "a", stackValues(["contoso"], [sub(1)], { environment: "prod", accounts: [{ name: "contoso", keySize: 1024 }] }));
    writeStack(dir, "b", stackValues(["contoso"], [sub(2)], { environment: "prod" }));
    const r = checkShards(["a", "b"], dir);
    const text = r.problems.map(formatShardProblem);
    expect(text).toContainEqual(
        expect.stringMatching(/^stack a: account 'contoso', field 'accounts\[0\]\.keySize': 1024 is not a key size/),
    );
    expect(text).toContainEqual(expect.stringContaining("appears in more than one shard: a, b"));
    expect(r.stacks.find((s) => s.stack === "a")!.valid).toBe(false);
});

test("a missing stack file is a problem of that stack, not a crash", () => {
    const r = checkShards(["nope"], dir);
    expect(r.problems).toHaveLength(1);
    expect(formatShardProblem(r.problems[0])).toMatch(/^stack nope: field 'Pulumi\.nope\.yaml': no stack file/);
});

test("two shards sharing a subscription are held to its AHDS quota in sum", () => {
    const names = (p: string) => Array.from({ length: 6 }, (_, i) => `${p}${i}acct`);
    writeStack(dir, "x", stackValues(names("x"), [sub(7)]));
    writeStack(dir, "y", stackValues(names("y"), [{ ...sub(7), name: "shared", activityLog: false }]));
    const r = checkShards(["x", "y"], dir);
    // Each stack alone fits (6 of 10 FHIR services and workspaces); together they need 12 of each.
    expect(r.stacks.map((s) => s.valid)).toEqual([true, true]);
    expect(r.problems.map(formatShardProblem)).toEqual([
        `field 'subscriptions': subscription ${sub(7).subscriptionId} (sub7 in x, shared in y) would hold 12 FHIR services across ` +
            `these stacks; the limit is 10 (AHDS quota)`,
        `field 'subscriptions': subscription ${sub(7).subscriptionId} (sub7 in x, shared in y) would hold 12 AHDS workspaces across ` +
            `these stacks; the limit is 10 (AHDS quota)`,
    ]);
});

test("role assignments per subscription are capped at Azure's fixed limit", () => {
    const grants = Array.from({ length: 40 }, (_, j) => ({
        principalId: `11111111-1111-4111-8111-${String(j).padStart(12, "0")}`,
        principalType: "Group",
        role: "FHIR Data Reader",
    }));
    const accounts = Array.from({ length: 100 }, (_, i) => ({ name: `acct${String(i).padStart(3, "0")}`, grants }));
    // A granted quota of 100 FHIR services (Azure's default is 10), so the role-assignment limit is what binds.
    writeStack(dir, "big", stackValues([], [{ ...sub(3), fhirServices: 100 }], { placement: "shared", accounts }));
    const r = checkShards(["big"], dir);
    // 100 accounts x (crypto + storage + 40 grants) = 4200 > 4000.
    expect(r.subscriptions[0].roleAssignments).toBe(4200);
    expect(r.problems.map(formatShardProblem)).toEqual([
        `field 'subscriptions': subscription ${sub(3).subscriptionId} (sub3 in big) would hold 4200 role assignments; the limit is ` +
            `${SUBSCRIPTION_LIMITS.roleAssignmentsPerSubscription} (fixed by Azure, and shared with everything else in the subscription)`,
    ]);
});

test("the role assignment and resource group counts match what the program registers (dev stack)", async () => {
    const run = await devStack();
    const providerSub = new Map(
        run.resources.filter((r) => r.type === "pulumi:providers:azure-native").map((r) => [r.name, String(r.inputs.subscriptionId)]),
    );
    const count = (type: string) => {
        const m = new Map<string, number>();
        for (const r of run.resources.filter((x) => x.type === type)) {
            const s = providerSub.get(r.provider!.split("::")[3])!;
            m.set(s, (m.get(s) ?? 0) + 1);
        }
        return m;
    };
    const r = checkShards(["dev"]);
    expect(r.problems).toEqual([]);
    const roles = count("azure-native:authorization:RoleAssignment");
    const groups = count("azure-native:resources:ResourceGroup");
    expect(r.subscriptions.map((u) => [u.subscriptionId, u.roleAssignments, u.resourceGroups])).toEqual(
        [...roles.keys()].map((s) => [s, roles.get(s), groups.get(s)]),
    );
});

test("--stacks takes names and Pulumi.*.yaml patterns", () => {
    writeStack(dir, "dev", stackValues(["contoso"]));
    writeStack(dir, "prod-eu-1", stackValues(["fabrikam"], [sub(2)]));
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: fhir-platform\n");
    fs.writeFileSync(path.join(dir, "Pulumi.dev.placement.json"), "{}");
    expect(resolveStackNames("Pulumi.*.yaml", dir)).toEqual(["dev", "prod-eu-1"]);
    expect(resolveStackNames("prod-eu-1, dev,dev", dir)).toEqual(["prod-eu-1", "dev"]);
    expect(() => resolveStackNames("Pulumi.nothing-*.yaml", dir)).toThrow(/no stack file matches/);
});

test("npm run shards exits non-zero naming the duplicated account and the stacks", () => {
    writeStack(dir, "prod-one", stackValues(["contoso"], [sub(1)]));
    writeStack(dir, "prod-two", stackValues(["contoso"], [sub(2)]));
    const script = path.join(__dirname, "..", "scripts", "shards.ts");
    const res = spawnSync(
        process.execPath,
        ["-r", "ts-node/register/transpile-only", script, "--stacks", "Pulumi.*.yaml", "--dir", dir, "--json"],
        {
            encoding: "utf8",
            cwd: path.join(__dirname, ".."),
        },
    );
    expect(res.status).toBe(1);
    expect(res.stderr).toContain("account 'contoso', field 'accounts': appears in more than one shard: prod-one, prod-two");
    expect(res.stdout).toBe("");

    // Passing, the same main in this process (a second child would cost another Node start and TypeScript compile; the
    // entry point's wiring is what the child above proves): stdout holds only the JSON list, the report goes to stderr.
    fs.rmSync(path.join(dir, "Pulumi.prod-two.yaml"));
    const ok = { status: 0, stdout: "", stderr: "" };
    ok.status = main(["--stacks", "Pulumi.*.yaml", "--dir", dir, "--json"], {
        out: (t) => void (ok.stdout += `${t}\n`),
        err: (t) => void (ok.stderr += `${t}\n`),
    });
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual(["prod-one"]);
    expect(ok.stderr).toContain("prod-one");
});

test(
    "two stacks sharing a subscription may not derive the same Azure names (stack 'a-ws' account 'gro' vs stack 'a' workspace group " +
        "'gro')",
    () => {
        writeStack(dir, "a-ws", stackValues(["gro"], [sub(1)]));
        writeStack(
            dir,
            "a",
            stackValues(["contoso"], [{ ...sub(1), activityLog: false }], {
                placement: "shared",
                accounts: [{ name: "contoso", workspace: "gro" }],
            }),
        );
        const r = checkShards(["a-ws", "a"], dir);
        expect(r.stacks.map((s) => s.valid)).toEqual([true, true]);
        expect(r.problems.map(formatShardProblem)).toEqual([
            `account 'gro', field 'accounts[0].name': resource group 'rg-fhir-a-ws-gro' (subscription ${sub(1).subscriptionId} ('sub1' in ` +
                `a-ws, 'sub1' in a)) would be managed by ` +
                "account 'gro' of stack 'a-ws' and workspace group 'gro' of stack 'a': two Pulumi resources for one Azure resource " +
                "(settings fight on every update, " +
                "deleting one deletes the other's). Rename one of: accounts[0].name of stack 'a-ws', accounts[0].workspace of stack 'a'",
        ]);
        // In separate subscriptions the same names are separate resources.
        writeStack(
            dir,
            "a",
            stackValues(["contoso"], [sub(2)], { placement: "shared", accounts: [{ name: "contoso", workspace: "gro" }] }),
        );
        expect(checkShards(["a-ws", "a"], dir).problems).toEqual([]);
    },
);

test("one stack sends a shared subscription's Activity Log: two are refused with the way out, activityLog: false in the other passes", () => {
    writeStack(dir, "prod-eu-1", stackValues(["contoso"], [sub(4)]));
    writeStack(dir, "prod-eu-2", stackValues(["fabrikam"], [{ ...sub(4), name: "four" }]));
    expect(checkShards(["prod-eu-1", "prod-eu-2"], dir).problems.map(formatShardProblem)).toEqual([
        `field 'subscriptions[0].activityLog': Activity Log diagnostic setting 'fhir-platform-activity-log' (subscription ` +
            `${sub(4).subscriptionId} ('sub4' in prod-eu-1, 'four' in prod-eu-2)) would be managed by the platform of stack 'prod-eu-1' ` +
            "and the platform of stack 'prod-eu-2': two Pulumi resources for one Azure resource (settings fight on every update, " +
            "deleting one deletes the other's). Leave it to one stack: set activityLog: false on one of: subscriptions[0].activityLog " +
            "of stack 'prod-eu-1', subscriptions[0].activityLog of stack 'prod-eu-2'",
    ]);
    writeStack(dir, "prod-eu-2", stackValues(["fabrikam"], [{ ...sub(4), name: "four", activityLog: false }]));
    expect(checkShards(["prod-eu-1", "prod-eu-2"], dir).problems).toEqual([]);
});

test("an existing Log Analytics workspace in a subscription no stack deploys into is not counted against any subscription", () => {
    const law =
        "/subscriptions/00000000-0000-4000-8000-000000000099/resourceGroups/rg-sec/providers/Microsoft.OperationalInsights/workspaces/law";
    writeStack(dir, "solo", stackValues(["contoso"], [sub(5)], { logAnalytics: { workspaceId: law, manageTableRetention: true } }));
    const r = checkShards(["solo"], dir);
    expect(r.problems).toEqual([]);
    expect(r.subscriptions.map((u) => u.subscriptionId)).toEqual([sub(5).subscriptionId]);
});

test("an account in two shards is reported once, naming both stacks (a shard naming it twice is not two shards)", () => {
    const problems = findCrossShardDuplicates([
        { stack: "eu1", accounts: ["contoso", "fabrikam"] },
        { stack: "eu2", accounts: ["fabrikam", "tailspin", "tailspin"] },
    ]);
    expect(problems).toEqual([{ path: "accounts", account: "fabrikam", message: expect.stringContaining("eu1, eu2") }]);
});
