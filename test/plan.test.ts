import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { main } from "../scripts/plan";
import { buildPlan, PLATFORM_GROUP, renderMarkdown, renderText } from "../scripts/lib/plan";
import { runStack } from "../scripts/lib/runStack";
import { runPolicyPack } from "../policies/offline";

/** Runs the plan CLI in-process, capturing what it prints. */
async function plan(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = "";
    let stderr = "";
    const out = jest.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
        stdout += String(chunk);
        return true;
    });
    const log = jest.spyOn(console, "log").mockImplementation((...a: unknown[]) => {
        stdout += a.join(" ") + "\n";
    });
    const err = jest.spyOn(console, "error").mockImplementation((...a: unknown[]) => {
        stderr += a.join(" ") + "\n";
    });
    try {
        const code = await main(args);
        return { code, stdout, stderr };
    } finally {
        out.mockRestore();
        log.mockRestore();
        err.mockRestore();
    }
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "fhir-plan-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("offline plan", () => {
    test("lists exactly the resources the program registers, grouped by account", async () => {
        const run = await runStack({ stack: "dev" });
        const p = buildPlan("dev", run.resources);
        const planned = p.groups.flatMap((g) => g.resources.map((r) => r.urn)).sort();
        const registered = run.resources.filter((r) => r.type !== "pulumi:pulumi:Stack").map((r) => r.urn).sort();
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

    test("the Azure name column is each resource's own name (the last segment of its ARM ID), for every cloud resource type", async () => {
        const run = await runStack({ stack: "dev" });
        const byUrn = new Map(run.resources.map((r) => [r.urn, r]));
        const azure = buildPlan("dev", run.resources).groups.flatMap((g) => g.resources).filter((r) => r.type.startsWith("azure-native:") && r.custom);
        expect(new Set(azure.map((r) => r.type)).size).toBeGreaterThanOrEqual(15);
        for (const r of azure) expect([r.type, r.azureName]).toEqual([r.type, byUrn.get(r.urn)!.id!.split("/").pop()]);
    });

    test("the dev stack passes the policy pack and the text is identical across runs", async () => {
        const a = await plan(["--stack", "dev"]);
        const b = await plan(["--stack", "dev"]);
        expect(a.code).toBe(0);
        expect(a.stdout).toContain("PASSED: no mandatory policy violation");
        expect(a.stdout).toMatch(/3 account\(s\), \d+ resources to create/);
        expect(b.stdout).toBe(a.stdout);
        expect(a.stderr).toMatch(/plan of 'dev' took \d+ ms/);
    });

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

    test("--json and --markdown write the same plan for CI", async () => {
        const json = path.join(tmp, "plan.json");
        const markdown = path.join(tmp, "plan.md");
        const r = await plan(["--stack", "dev", "--json", json, "--markdown", markdown]);
        expect(r.code).toBe(0);
        const data = JSON.parse(fs.readFileSync(json, "utf8")) as { counts: { total: number }; policy: { violations: { policyName: string }[] }; groups: { name: string }[] };
        expect(r.stdout).toContain(`${data.counts.total} resources to create`);
        expect(data.groups.map((g) => g.name)).toContain("contoso");
        expect(data.policy.violations.map((v) => v.policyName)).toEqual(["fhir-public-network-access", "fhir-public-network-access"]);
        const md = fs.readFileSync(markdown, "utf8");
        expect(md).toContain("## Offline plan: stack `dev`");
        expect(md).toContain(":white_check_mark: **No mandatory policy violation**");
        expect(md).toContain("| `fhir-public-network-access` |");
        expect(md).toMatch(/<details><summary>account contoso \(\d+\)<\/summary>/);
    });

    test("--inputs shows every input; secrets stay masked", async () => {
        const run = await runStack({ stack: "dev" });
        const vault = run.resources.find((x) => x.name === "contoso-vault")!;
        vault.inputs.secretThing = "[secret]";
        const text = renderText(buildPlan("dev", run.resources, await runPolicyPack(run.resources)), { inputs: true });
        expect(text).toContain('properties.enablePurgeProtection = true');
        expect(text).toContain('secretThing = "[secret]"');
        expect(renderMarkdown(buildPlan("dev", run.resources))).toContain("_Policies not run._");
    });

    test("usage errors exit 2", async () => {
        const r = await plan(["--stak", "dev"]);
        expect(r.code).toBe(2);
        expect(r.stderr).toContain("unknown option --stak");
    });
});
