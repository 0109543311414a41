import { devStack } from "./helpers/devStack";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { USAGE, main } from "../scripts/plan";
import { KNOWN_AFTER_DEPLOY, MockValues, buildPlan, PLATFORM_GROUP, renderMarkdown, renderText } from "../harness/plan";
import type { MockRunResult } from "../harness/mockRun";
import { runPolicyPack } from "../harness/policyRunner";
import { expectWarnings } from "./helpers/warnings";

expectWarnings(/Pulumi\.review\.yaml: account 'acme', field 'accounts\[0\]\.initialImportMode': initial import mode blocks API writes/);

/** Runs the plan CLI in-process, capturing what it prints. */
async function plan(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const printed = { stdout: "", stderr: "" };
    const code = await main(args, { out: (t) => void (printed.stdout += t), err: (t) => void (printed.stderr += `${t}\n`) });
    return { code, ...printed };
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "fhir-plan-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** One mock run of the dev stack, shared by the tests that only read it. */
let dev: MockRunResult;
beforeAll(async () => {
    dev = await devStack();
});

describe("offline plan", () => {
    test("lists exactly the resources the program registers, grouped by account", () => {
        const run = dev;
        const p = buildPlan("dev", run.resources);
        const planned = p.groups.flatMap((g) => g.resources.map((r) => r.urn)).sort();
        const registered = run.resources
            .filter((r) => r.type !== "pulumi:pulumi:Stack")
            .map((r) => r.urn)
            .sort();
        expect(planned).toEqual(registered);
        expect(p.groups.map((g) => g.name)).toEqual([PLATFORM_GROUP, "contoso", "fabrikam", "tailspin"]);
        expect(p.counts.accounts).toBe(3);
        expect(p.counts.total).toBe(registered.length);
        // Every account's FHIR service is in its own group, waiting for its own grant propagation.
        for (const account of ["contoso", "fabrikam", "tailspin"]) {
            const g = p.groups.find((x) => x.name === account)!;
            const fhir = g.resources.find((r) => r.type === "azure-native:healthcareapis:FhirService")!;
            expect(fhir.azureName).toBe(account);
            expect(fhir.protect).toBe(true);
            expect(fhir.dependsOn).toContain(`${account}-cmk-grant-propagation`);
            expect(g.resources.every((r) => r.name.startsWith(account))).toBe(true);
        }
    });

    test("the Azure name column is each resource's own name (the last segment of its ARM ID), for every cloud resource type", () => {
        const byUrn = new Map(dev.resources.map((r) => [r.urn, r]));
        const mock = MockValues.fromRun(dev.resources);
        const azure = buildPlan("dev", dev.resources, undefined, mock)
            .groups.flatMap((g) => g.resources)
            .filter((r) => r.type.startsWith("azure-native:") && r.custom);
        expect(new Set(azure.map((r) => r.type)).size).toBeGreaterThanOrEqual(15);
        // Names with a random suffix show it as (known after deploy), like every mock value.
        for (const r of azure) expect([r.type, r.azureName]).toEqual([r.type, mock.sanitize(byUrn.get(r.urn)!.id!.split("/").pop()!).text]);
        expect(azure.filter((r) => r.azureName?.includes(KNOWN_AFTER_DEPLOY)).map((r) => r.type)).toEqual(
            expect.arrayContaining([
                "azure-native:keyvault:Vault",
                "azure-native:storage:StorageAccount",
                "azure-native:healthcareapis:Workspace",
            ]),
        );
    });

    test(
        "the dev stack passes the policy pack, the text is identical across runs, and --json and --markdown write the same plan for " +
            "CI",
        async () => {
            const json = path.join(tmp, "plan.json");
            const markdown = path.join(tmp, "plan.md");
            const a = await plan(["--stack", "dev", "--json", json, "--markdown", markdown]);
            const b = await plan(["--stack", "dev"]);
            expect(a.code).toBe(0);
            expect(a.stdout).toContain("PASSED: no mandatory policy violation");
            expect(a.stdout).toMatch(/3 account\(s\), \d+ resources to create/);
            expect(a.stdout).toMatch(
                /^account tailspin: .*\n {2}summary: key fhir-cmk RSA 3072, rotates every 180 days; network private \(pe-ahds-tailspin\)/m,
            );
            expect(b.stdout).toBe(a.stdout);
            expect(a.stderr).toMatch(/plan of 'dev' took \d+ ms/);

            const data = JSON.parse(fs.readFileSync(json, "utf8")) as {
                counts: { total: number };
                policy: { violations: { policyName: string }[] };
                groups: { name: string }[];
                outputs: { accounts: Record<string, { keyUri: string }> };
            };
            expect(a.stdout).toContain(`${data.counts.total} resources to create`);
            expect(data.groups.map((g) => g.name)).toContain("contoso");
            expect(data.policy.violations.map((v) => v.policyName)).toEqual(["fhir-public-network-access", "fhir-public-network-access"]);
            expect(data.outputs.accounts.contoso.keyUri).toBe(KNOWN_AFTER_DEPLOY);
            const md = fs.readFileSync(markdown, "utf8");
            expect(md).toContain("## Offline plan: stack `dev`");
            expect(md).toContain(":white_check_mark: **No mandatory policy violation**");
            expect(md).toContain("| `fhir-public-network-access` |");
            expect(md).toMatch(/<details><summary>account contoso \(\d+\)<\/summary>/);
            expect(md).toMatch(
                /^- \*\*fabrikam\*\*: key fhir-cmk RSA 2048, .*SMART identity providers https:\/\/login\.fabrikam\.example\/realms\/fhir; CORS https:\/\/portal\.fabrikam\.example; history versioned; grants 1x FHIR Data Importer, 1x FHIR SMART User$/m,
            );
            expect(md).toMatch(/^- \*\*contoso\*\*: .*history versioned \(Patient: versioned-update\);/m);
            expect(md).toMatch(/^- \*\*tailspin\*\*: .*\$convert-data registries tailspintemplates\.azurecr\.io;/m);
        },
    );

    test("a mandatory violation exits 1 and names the policy, the resource and the fix", async () => {
        const cfg = path.join(tmp, "policy-config.json");
        fs.writeFileSync(cfg, JSON.stringify({ "fhir-public-network-access": "mandatory" }));
        const r = await plan(["--stack", "dev", "--policy-config", cfg]);
        expect(r.code).toBe(1);
        expect(r.stdout).toContain("[mandatory] fhir-public-network-access: contoso-fhir (healthcareapis:FhirService)");
        expect(r.stdout).not.toContain("[mandatory] fhir-public-network-access: tailspin-fhir");
        expect(r.stdout).toMatch(/fix: .*privateEndpointSubnetId/);
        expect(r.stdout).toContain("FAILED: mandatory policy violations");
    });

    test("invalid config prints every problem with the account named, plans nothing and exits 2", async () => {
        fs.writeFileSync(
            path.join(tmp, "Pulumi.broken.yaml"),
            [
                "config:",
                "  fhir-platform:location: westeurope",
                "  fhir-platform:tenantId: 72f988bf-0000-4000-8000-000000000001",
                "  fhir-platform:subscriptions: [{ name: dev, subscriptionId: 00000000-0000-4000-8000-00000000d001 }]",
                "  fhir-platform:accounts:",
                "    - { name: acme, keySize: 4096 }",
                "    - { name: acme }",
                "    - { name: Bad_Name }",
            ].join("\n"),
        );
        const r = await plan(["--stack", "broken", "--project-dir", tmp]);
        expect(r.code).toBe(2);
        expect(r.stdout).toBe("");
        expect(r.stderr).toContain("invalid configuration, nothing planned");
        expect(r.stderr).toContain("account 'acme', field 'accounts[0].keySize'");
        expect(r.stderr).toContain("account 'acme', field 'accounts[1].name': duplicate account");
        expect(r.stderr).toContain("account 'Bad_Name', field 'accounts[2].name'");
    });

    test("settings a reviewer must notice are listed: initial import mode blocks writes (text and markdown)", async () => {
        fs.writeFileSync(
            path.join(tmp, "Pulumi.review.yaml"),
            [
                "config:",
                "  fhir-platform:location: westeurope",
                "  fhir-platform:tenantId: 72f988bf-0000-4000-8000-000000000001",
                "  fhir-platform:subscriptions: [{ name: dev, subscriptionId: 00000000-0000-4000-8000-00000000d001 }]",
                "  fhir-platform:accounts:",
                "    - { name: acme, import: true, initialImportMode: true }",
            ].join("\n"),
        );
        const md = path.join(tmp, "review.md");
        const r = await plan(["--stack", "review", "--project-dir", tmp, "--no-policies", "--markdown", md]);
        expect(r.code).toBe(0);
        expect(r.stdout).toContain(
            "Review (1):\n  warning: account 'acme', field 'accounts[0].initialImportMode': initial import mode blocks API writes to " +
                "the FHIR service",
        );
        expect(fs.readFileSync(md, "utf8")).toMatch(
            /### Review\n\n- :warning: account 'acme', field 'accounts\[0\]\.initialImportMode': initial import mode blocks API writes/,
        );
    });

    test("--inputs shows every input; secrets stay masked; mock values show as (known after deploy)", async () => {
        const resources = dev.resources.map((r) =>
            r.name === "contoso-vault" && r.custom ? { ...r, inputs: { ...r.inputs, secretThing: "[secret]" } } : r,
        );
        const text = renderText(buildPlan("dev", resources, await runPolicyPack(resources)), { inputs: true });
        expect(text).toContain("properties.enablePurgeProtection = true");
        expect(text).toContain('secretThing = "[secret]"');
        expect(text).toContain(`vaultName = "kv-contoso-${KNOWN_AFTER_DEPLOY}"`);
        expect(text).toContain(`encryption.customerManagedKeyEncryption.keyEncryptionKeyUrl = "${KNOWN_AFTER_DEPLOY}"`);
        expect(text).toContain('logs[0].category = "AuditEvent"');
        expect(renderMarkdown(buildPlan("dev", dev.resources))).toContain("_Policies not run._");
    });

    test("usage errors exit 2 with a suggestion; --help lists every option", async () => {
        const r = await plan(["--stak", "dev"]);
        expect(r.code).toBe(2);
        expect(r.stderr).toContain("unknown option --stak; did you mean '--stack'?");
        expect((await plan(["--stack", "dev", "extra"])).code).toBe(2);
        const help = await plan(["--help"]);
        expect(help.code).toBe(0);
        expect(help.stdout).toBe(`${USAGE}\n`);
        for (const option of [
            "--stack NAME",
            "--base REF",
            "--inputs",
            "--json FILE",
            "--markdown FILE",
            "--policy-config FILE",
            "--no-policies",
            "--project-dir DIR",
            "--help",
        ]) {
            expect(help.stdout).toMatch(new RegExp(`^ {2}${option.replace(/-/g, "\\-")} +\\S`, "m"));
        }
    });

    test("no --stack: an error listing the stack files found, never a silent default", async () => {
        const dir = fs.mkdtempSync(path.join(tmp, "stacks-"));
        for (const f of ["Pulumi.yaml", "Pulumi.staging.yaml", "Pulumi.staging.placement.json", "Pulumi.prod-eu-1.yaml"])
            fs.writeFileSync(path.join(dir, f), "{}\n");
        const r = await plan(["--project-dir", dir]);
        expect(r.code).toBe(2);
        expect(r.stdout).toBe("");
        expect(r.stderr).toContain(
            `--stack is required (no stack is chosen for you); stack files in ${dir}: Pulumi.prod-eu-1.yaml (--stack prod-eu-1), ` +
                `Pulumi.staging.yaml (--stack staging)`,
        );
    });
});
