/**
 * The plan diff (`npm run plan -- --base REF`), in process: plans of small stacks made by the real program under
 * mocks, compared with diffPlans. The git round trip itself is in plan.base.test.ts.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as yaml from "js-yaml";
import * as keyvault from "@pulumi/azure-native/keyvault";
import * as authorization from "@pulumi/azure-native/authorization";
import * as resources from "@pulumi/azure-native/resources";
import type { PlacementLock, RawConfig } from "../config";
import { type MockRunResult, runUnderMocks } from "../harness/mockRun";
import { KNOWN_AFTER_DEPLOY, MockValues, type Plan, buildPlan, summaryLine } from "../harness/plan";
import { type PlanDiff, diffPlans, readPlanDocument, renderDiffText, sideOf } from "../harness/planDiff";
import { runPlan } from "../harness/planCommand";
import { type RawAccount, TENANT, pid, rawConfig, run } from "./helpers/stack";
import { expectWarnings, notYetLocked } from "./helpers/warnings";

const STACK = "t";
const grants = [
    { principalId: pid(1), principalType: "Group", role: "FHIR Data Reader" },
    { principalId: pid(2), principalType: "User", role: "FHIR Data Reader" },
    { principalId: pid(3), principalType: "ServicePrincipal", role: "FHIR Data Exporter" },
];
const alpha: RawAccount = { name: "alpha", grants, cors: { origins: ["https://app.alpha.example"] } };
const gamma: RawAccount = { name: "gamma" };
const delta: RawAccount = { name: "delta", grants };
/**
 * The placement lock `npm run place` writes: alpha's and delta's keys as Azure created them; gamma's entry predates
 * key recording (no keys), so its config still decides its key settings.
 */
const lock: PlacementLock = {
    version: 1,
    accounts: {
        alpha: { subscription: "main", workspace: "alpha", keys: [{ name: "fhir-cmk", size: 3072, rotationDays: 365 }] },
        delta: { subscription: "main", workspace: "delta", keys: [{ name: "fhir-cmk", size: 3072, rotationDays: 365 }] },
        gamma: { subscription: "main", workspace: "gamma" },
    },
};

/** A project directory with the stack file and lock `runPlan` reads; removed by the caller. */
function projectWith(raw: RawConfig): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fhir-plan-diff-"));
    const config = Object.fromEntries(Object.entries(raw).map(([k, v]) => [`fhir-platform:${k}`, v]));
    fs.writeFileSync(path.join(dir, `Pulumi.${STACK}.yaml`), yaml.dump({ config }));
    fs.writeFileSync(path.join(dir, `Pulumi.${STACK}.placement.json`), JSON.stringify(lock));
    return dir;
}

function planFrom(r: MockRunResult): Plan {
    return buildPlan(STACK, r.resources, undefined, MockValues.fromRun(r.resources));
}

function diff(base: Plan, head: Plan): PlanDiff {
    return diffPlans(sideOf(base), sideOf(head));
}

function text(d: PlanDiff): string {
    return renderDiffText(d, { stack: STACK, base: { ref: "main" }, head: {} }).join("\n");
}

function group(d: PlanDiff, name: string) {
    const g = d.groups.find((x) => x.name === name);
    if (!g) throw new Error(`no group ${name}; have ${d.groups.map((x) => x.name).join(", ")}`);
    return g;
}

/** runPlan on a project holding `raw`, against `base` as the plan at "main". */
async function planCommand(raw: RawConfig, base: Plan, options: { json?: boolean; markdown?: boolean } = {}) {
    const dir = projectWith(raw);
    let out = "";
    let err = "";
    try {
        const json = path.join(dir, "plan.json");
        const markdown = path.join(dir, "plan.md");
        const code = await runPlan(
            {
                stack: STACK,
                projectDir: dir,
                base: "main",
                policies: false,
                ...(options.json ? { json } : {}),
                ...(options.markdown ? { markdown } : {}),
            },
            {
                out: (t) => void (out += t),
                err: (t) => void (err += `${t}\n`),
                basePlan: async (o) => {
                    expect([o.ref, o.stack, o.projectDir]).toEqual(["main", STACK, dir]);
                    return { kind: "plan", commit: "0".repeat(40), document: JSON.parse(JSON.stringify(base)) as unknown };
                },
            },
        );
        const read = (f: string) => (fs.existsSync(f) ? fs.readFileSync(f, "utf8") : undefined);
        return { code, out, err, json: read(json), markdown: read(markdown) };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

let baseRun: MockRunResult;
let base: Plan;
beforeAll(async () => {
    baseRun = await run(rawConfig([alpha, gamma, delta]), { stack: STACK, lock });
    base = planFrom(baseRun);
});

describe("plan diff", () => {
    test("adding an account adds only its resources; the others are unchanged", async () => {
        const head = planFrom(await run(rawConfig([alpha, gamma, delta, { name: "beta" }]), { stack: STACK, lock }));
        const d = diff(base, head);
        const beta = group(d, "beta");
        expect(beta.status).toBe("added");
        expect(beta.added.map((r) => r.urn).sort()).toEqual(
            head.groups
                .find((g) => g.name === "beta")!
                .resources.map((r) => r.urn)
                .sort(),
        );
        expect(beta.added.every((r) => r.name.startsWith("beta"))).toBe(true);
        for (const name of ["(platform)", "alpha", "gamma", "delta"])
            expect(group(d, name)).toMatchObject({ status: "unchanged", added: [], removed: [], changed: [], renamed: [] });
        expect(d.counts).toEqual({ added: beta.added.length, removed: 0, changed: 0, replaced: 0, renamed: 0, ignored: 0 });
        expect(d.errors).toEqual([]);
        const t = text(d);
        expect(t).toMatch(/^account beta: new \(\d+ resources\)$/m);
        expect(t).toContain(`  + keyvault:Vault                           beta-vault  "kv-beta-${KNOWN_AFTER_DEPLOY}"  [protected]`);
        expect(t).toMatch(/^account alpha: no change \(\d+ resources\)$/m);
        expect(t).toContain("PASSED: no protected resource deleted, replaced or renamed");
    });

    test("a key size change against the lock is the head's config error, named with the account and what to do", async () => {
        const r = await planCommand(rawConfig([{ ...alpha, keySize: 2048 }, gamma, delta]), base, { markdown: true });
        expect(r.code).toBe(2);
        expect(r.out).toBe("");
        expect(r.err).toContain("Stack 't' (working tree): invalid configuration, nothing planned.");
        expect(r.err).toMatch(
            /account 'alpha', field 'accounts\[0\]\.keySize': 2048 differs from key 'fhir-cmk' as Azure created it \(3072 bits/,
        );
        expect(r.err).toContain("set keyName to a new name (e.g. fhir-cmk-2)");
        expect(r.markdown).toMatch(/:x: \*\*Invalid configuration, nothing planned\*\*[\s\S]*accounts\[0\]\.keySize/);
    });

    describe("one change per account: alpha moves to a new key, gamma turns export off and asks for a smaller key, delta is renamed", () => {
        let r: Awaited<ReturnType<typeof planCommand>>;
        let d: PlanDiff;
        beforeAll(async () => {
            const head = [
                { ...alpha, keyName: "fhir-cmk-2", keySize: 2048 },
                { ...gamma, export: false, keySize: 2048 },
                { ...delta, name: "deltanew" },
            ];
            r = await planCommand(rawConfig(head), base, { json: true, markdown: true });
            d = (JSON.parse(r.json!) as { diff: PlanDiff }).diff;
        });

        test("exit 1: protected resources would be deleted; --json carries the diff, --markdown the comment", () => {
            expect([r.code, r.err]).toEqual([1, expect.stringMatching(/base plan at main ready/)]);
            expect(r.out).toMatch(/^Plan diff of stack 't': main \(000000000000\) → working tree/);
            expect(r.out).toContain("FAILED: ");
            expect(r.markdown).toContain("## Plan diff: stack `t` (`main (000000000000)` → this change)");
            expect(r.markdown).toContain("| gamma | changed | 0 | 6 | 1 | 0 | 0 |");
            expect(r.markdown).toMatch(/<details><summary>account gamma: 6 removed, 1 changed, 1 ignored changes<\/summary>\n\n```diff\n/);
        });

        test("a new key (the way to change a key's size) adds a key and moves the FHIR service to it", () => {
            const g = group(d, "alpha");
            expect(g.added.map((x) => x.name).sort()).toEqual(["alpha-cmk-fhir-cmk-2", "alpha-cmk-fhir-cmk-2-crypto-grant"]);
            expect(g.removed).toEqual([]);
            const fhir = g.changed.find((c) => c.name === "alpha-fhir")!;
            // Both sides are mock values: the diff says which key version each stands for.
            expect(fhir.changes.find((c) => c.path === "encryption.customerManagedKeyEncryption.keyEncryptionKeyUrl")).toEqual({
                path: "encryption.customerManagedKeyEncryption.keyEncryptionKeyUrl",
                before: `"${KNOWN_AFTER_DEPLOY}" [keyUriWithVersion of alpha-cmk]`,
                after: `"${KNOWN_AFTER_DEPLOY}" [keyUriWithVersion of alpha-cmk-fhir-cmk-2]`,
                effect: "update",
            });
            // The new grant needs its own propagation wait: replaced, and not protected.
            expect(g.changed.filter((c) => c.action === "replace").map((c) => c.name)).toEqual(["alpha-cmk-grant-propagation"]);
            expect(d.errors.filter((e) => e.group === "alpha")).toEqual([]);
            expect(summaryLine(g.summary.head!)).toMatch(/^key fhir-cmk-2 RSA 2048, rotates every 365 days \(\+1 older key kept\);/);
            expect(summaryLine(g.summary.base!)).toMatch(/^key fhir-cmk RSA 3072,/);
        });

        test("export: false removes the protected export storage: an error naming it", () => {
            const g = group(d, "gamma");
            expect(g.removed.map((x) => x.name).sort()).toEqual([
                "gamma",
                "gamma-export-blob-audit",
                "gamma-export-blob-grant",
                "gamma-export-blob-service",
                "gamma-export-lifecycle",
                "gamma-export-storage",
            ]);
            expect(d.errors.filter((e) => e.group === "gamma")).toEqual([
                {
                    group: "gamma",
                    resource: "gamma-export-storage",
                    type: "azure-native:storage:StorageAccount",
                    message: expect.stringContaining("protected resource would be deleted"),
                },
            ]);
            const fhir = g.changed.find((c) => c.name === "gamma-fhir")!;
            expect(fhir.changes.map((x) => `${x.path}: ${x.before} → ${x.after ?? "(not set)"}`)).toEqual([
                `exportConfiguration.storageAccountName: "stgamma${KNOWN_AFTER_DEPLOY}" → (not set)`,
            ]);
            expect(r.out).toContain("gamma-export-storage (storage:StorageAccount) in account gamma: protected resource would be deleted");
            expect(r.markdown).toContain(`- **gamma**: ${summaryLine(g.summary.head!)} _(was: ${summaryLine(g.summary.base!)})_`);
        });

        test("a key size change no lock records: Azure ignores it, and the diff says so instead of 'replace'", () => {
            const key = group(d, "gamma").changed.find((c) => c.name === "gamma-cmk")!;
            expect(key.action).toBe("ignored");
            expect(key.changes).toEqual([
                {
                    path: "properties.keySize",
                    before: "3072",
                    after: "2048",
                    effect: "ignored",
                    why: expect.stringContaining("Create If Not Exist"),
                },
            ]);
            expect(r.out).toContain("      properties.keySize: 3072 → 2048  <- ignored once created (ignoreChanges)");
        });

        test("renaming an account deletes every protected resource of the old name: one error per resource", () => {
            expect(group(d, "delta").status).toBe("removed");
            expect(group(d, "deltanew").status).toBe("added");
            expect(d.counts.renamed).toBe(0);
            const protectedOld = base.groups
                .find((g) => g.name === "delta")!
                .resources.filter((x) => x.protect)
                .map((x) => x.name)
                .sort();
            expect(protectedOld).toEqual(expect.arrayContaining(["delta-fhir", "delta-vault", "delta-cmk", "delta-export-storage"]));
            expect(
                d.errors
                    .filter((e) => e.group === "delta")
                    .map((e) => e.resource)
                    .sort(),
            ).toEqual(protectedOld);
            expect(r.out).toContain("delta-fhir (healthcareapis:FhirService) in account delta: protected resource would be deleted");
        });
    });

    test("mock values are never shown as if real: inputs, Azure names and sources say (known after deploy)", () => {
        const all = base.groups.flatMap((g) => g.resources);
        const vault = all.find((r) => r.name === "alpha-vault")!;
        expect(vault.inputs.vaultName).toBe(`kv-alpha-${KNOWN_AFTER_DEPLOY}`);
        expect(vault.azureName).toBe(`kv-alpha-${KNOWN_AFTER_DEPLOY}`);
        expect(vault.unknowns).toEqual({ vaultName: ["result of alpha-suffix"] });
        const grant = all.find((r) => r.name === "alpha-cmk-crypto-grant")!;
        expect(grant.inputs).toMatchObject({ principalId: KNOWN_AFTER_DEPLOY, scope: KNOWN_AFTER_DEPLOY });
        expect(grant.unknowns).toEqual({ principalId: ["principalId of alpha-identity"], scope: ["id of alpha-cmk"] });
        // Literals stay: the config's tenant, role definitions, the grant's own name.
        expect(vault.inputs.properties).toMatchObject({ tenantId: TENANT });
        expect(String(grant.inputs.roleDefinitionId)).toMatch(/\/roleDefinitions\/e147488a-f6f5-4113-8e2d-b22465e65bf6$/);
        expect(grant.inputs.roleAssignmentName).toMatch(/^[0-9a-f-]{36}$/);
        // The run itself holds the mock values; the plan holds none of them.
        const suffix = String(baseRun.resources.find((x) => x.name === "alpha-suffix")!.outputs.result);
        expect(suffix).toMatch(/^[a-z0-9]{6}$/);
        expect(JSON.stringify(base)).not.toContain(suffix);
        expect(JSON.stringify(base)).not.toContain("/vaults/");
    });

    test("the summary line carries key, network, export/import and retention, SMART identity providers, CORS and grants by role", () => {
        expect(summaryLine(base.summaries.alpha)).toBe(
            "key fhir-cmk RSA 3072, rotates every 365 days; network public (Entra ID auth), key vault trusted services only; export " +
                "on, import off, exports deleted after 30 days; " +
                "SMART none; CORS https://app.alpha.example; history versioned; grants 1x FHIR Data Exporter, 2x FHIR Data Reader",
        );
        expect(summaryLine(base.summaries.gamma)).toMatch(/; SMART none; CORS none; history versioned; grants none$/);
    });

    test("a base plan from an older plan script (raw mock values, no unknowns, no summaries) still diffs", () => {
        // What the plan script wrote before: inputs as captured, no format, no unknowns, fewer fields.
        const byUrn = new Map(baseRun.resources.map((x) => [x.urn, x]));
        const old = {
            stack: STACK,
            groups: base.groups.map((g) => ({
                name: g.name,
                resources: g.resources.map((x) => ({
                    urn: x.urn,
                    type: x.type,
                    name: x.name,
                    protect: x.protect,
                    inputs: x.custom ? byUrn.get(x.urn)!.inputs : {},
                })),
            })),
        };
        expect(JSON.stringify(old)).toMatch(/kv-alpha-[a-z0-9]{6}/);
        const d = diffPlans(readPlanDocument(old, MockValues.fromRun(baseRun.resources), "old"), sideOf(base));
        expect(d.counts).toEqual({ added: 0, removed: 0, changed: 0, replaced: 0, renamed: 0, ignored: 0 });
        expect(() => readPlanDocument({ resources: [] }, MockValues.none, "the plan at main")).toThrow("the plan at main: not a plan");
    });
});

// "Configure Private Link for Azure Health Data Services": a service added to a private workspace gets its A record only
// when the endpoint's DNS is written again; the zone group's replacementTrigger makes the engine re-write it.
describe("a private shared workspace that gains a member", () => {
    // beta is new to the lock: the program says so.
    expectWarnings(notYetLocked(STACK));
    const SUBNET =
        "/subscriptions/00000000-0000-4000-8000-0000000000a1/resourceGroups/n/providers/Microsoft.Network/virtualNetworks/v/subnets/s";
    const priv = (name: string): RawAccount => ({ name, publicNetworkAccess: "Disabled", privateEndpointSubnetId: SUBNET });
    const raw = (accounts: RawAccount[]) =>
        rawConfig(accounts, {
            placement: "shared",
            privateDns: { virtualNetworkIds: [SUBNET.replace(/\/subnets\/s$/, "")] },
        });
    const sharedLock: PlacementLock = {
        version: 1,
        accounts: { alpha: { subscription: "main", workspace: "pool01", keys: [{ name: "fhir-cmk", size: 3072, rotationDays: 365 }] } },
    };

    test("replaces the workspace endpoint's DNS zone group (after all members' services), and nothing else of the others", async () => {
        const before = planFrom(await run(raw([priv("alpha")]), { lock: sharedLock }));
        const after = planFrom(await run(raw([priv("alpha"), priv("beta")]), { lock: sharedLock }));
        const zoneGroup = after.groups.flatMap((g) => g.resources).find((r) => r.type === "azure-native:network:PrivateDnsZoneGroup")!;
        expect(zoneGroup.replacementTrigger).toBe("alpha,beta");
        expect(zoneGroup.dependsOn).toEqual(expect.arrayContaining(["alpha-fhir", "beta-fhir"]));
        const d = diff(before, after);
        const platform = group(d, "(platform)");
        expect(platform.changed).toEqual([
            expect.objectContaining({
                name: "pool01-workspace-pe-dns",
                action: "replace",
                changes: [
                    expect.objectContaining({ path: "[replacementTrigger]", before: '"alpha"', after: '"alpha,beta"', effect: "replace" }),
                ],
            }),
        ]);
        expect(group(d, "alpha").changed).toEqual([]);
        expect(text(d)).toContain("[replacementTrigger]");
    });
});

describe("renames and replacements, on a small program", () => {
    /** A vault (and a grant on it) under a logical name: the Azure name stays kv-fixed. */
    async function vaultPlan(logicalName: string, protect: boolean, location = "westeurope", rgLocation = "westeurope"): Promise<Plan> {
        const r = await runUnderMocks(
            () => {
                const rg = new resources.ResourceGroup("rg", { resourceGroupName: "rg-fixed", location: rgLocation });
                const vault = new keyvault.Vault(
                    logicalName,
                    {
                        vaultName: "kv-fixed",
                        resourceGroupName: rg.name,
                        location,
                        properties: { tenantId: TENANT, sku: { family: "A", name: "standard" } },
                    },
                    { protect },
                );
                new authorization.RoleAssignment("grant", {
                    roleAssignmentName: "00000000-0000-4000-8000-000000000001",
                    scope: vault.id,
                    principalId: pid(4),
                    roleDefinitionId: "/providers/x/roleDefinitions/y",
                });
                return {};
            },
            { stack: STACK, config: {} },
        );
        return buildPlan(STACK, r.resources, undefined, MockValues.fromRun(r.resources));
    }

    test("a protected resource whose URN changes while its Azure name stays: an error naming it and the alias to add", async () => {
        const before = await vaultPlan("vault", true);
        const d = diff(before, await vaultPlan("key-vault", true));
        expect(d.counts).toMatchObject({ added: 0, removed: 0, renamed: 1 });
        const [rename] = group(d, "(platform)").renamed;
        expect([rename.from.name, rename.to.name, rename.changes]).toEqual(["vault", "key-vault", []]);
        // The grant's scope is the vault's (mock) ID: the same output of the renamed vault, so the grant is unchanged.
        expect(group(d, "(platform)").changed).toEqual([]);
        const oldUrn = before.groups[0].resources.find((r) => r.name === "vault")!.urn;
        expect(d.errors).toEqual([
            {
                group: "(platform)",
                resource: "key-vault",
                type: "azure-native:keyvault:Vault",
                message: expect.stringContaining(`aliases: ["${oldUrn}"] on key-vault`),
            },
        ]);
        expect(text(d)).toContain(
            "      renamed from vault (urn:pulumi:t::fhir-platform::azure-native:keyvault:Vault::vault): same Azure resource, needs " +
                "an alias",
        );
    });

    test("an unprotected rename is a warning, not a delete and a create", async () => {
        const d = diff(await vaultPlan("vault", false), await vaultPlan("key-vault", false));
        expect(d.counts).toMatchObject({ added: 0, removed: 0, renamed: 1 });
        expect(d.errors).toEqual([]);
        expect(d.warnings.map((w) => w.resource)).toEqual(["key-vault"]);
    });

    test("a vault's region change: azure-native updates (no mutability mark), Azure refuses; a warning naming why, not a replacement", async () => {
        const before = await vaultPlan("vault", true);
        const d = diff(before, await vaultPlan("vault", true, "northeurope"));
        expect(d.groups[0].changed.map((c) => [c.name, c.action, c.changes.map((x) => [x.path, x.effect])])).toEqual([
            ["vault", "update", [["location", "refused"]]],
        ]);
        expect(d.errors).toEqual([]);
        expect(d.warnings).toEqual([
            {
                group: "(platform)",
                resource: "vault",
                type: "azure-native:keyvault:Vault",
                message: expect.stringMatching(
                    /^azure-native sends this as an update, which Azure refuses: location \(a key vault cannot move/,
                ),
            },
        ]);
        expect(text(d)).toContain('      location: "westeurope" → "northeurope"  <- Azure refuses this update: a key vault cannot move');
        // A resource group's location is on azure-native's forceNewMap: a replacement (the group is not protected here).
        const moved = diff(before, await vaultPlan("vault", true, "westeurope", "northeurope"));
        expect(moved.groups[0].changed.map((c) => [c.name, c.action, c.changes.map((x) => [x.path, x.effect, x.why])])).toEqual([
            ["rg", "replace", [["location", "replace", expect.stringContaining("replacement.go forceNewMap")]]],
        ]);
        expect(moved.warnings.map((w) => w.message)).toEqual(["would be replaced (azure-native deletes it first): location"]);
        // azure-native compares locations without case and spaces.
        expect(diff(before, await vaultPlan("vault", true, "West Europe")).counts).toEqual({
            added: 0,
            removed: 0,
            changed: 0,
            replaced: 0,
            renamed: 0,
            ignored: 0,
        });
    });
});

describe("a resource that moves to another provider (subscription)", () => {
    const side = (provider: string) => ({
        groups: [
            {
                name: "alpha",
                resources: [
                    {
                        urn: "urn:pulumi:t::fhir-platform::azure-native:keyvault:Vault::alpha-cmk-vault",
                        type: "azure-native:keyvault:Vault",
                        name: "alpha-cmk-vault",
                        custom: true,
                        protect: true,
                        inputs: { vaultName: "kv-alpha" },
                        provider,
                        unknowns: {},
                        ignoreChanges: [],
                    },
                ],
            },
        ],
    });

    test("is not called a replacement: azure-native's DiffConfig reports no change, so it stays where it is; a warning says so", () => {
        const d = diffPlans(side("azure-sub-a"), side("azure-sub-b"));
        expect(d.counts).toMatchObject({ changed: 1, replaced: 0 });
        expect(d.errors).toEqual([]);
        expect(d.warnings.map((w) => w.message)).toEqual([
            expect.stringMatching(
                /^its provider changes \(azure-sub-a → azure-sub-b\): another provider \(subscription\): azure-native's DiffConfig/,
            ),
        ]);
    });
});
