/**
 * The program against a fake Azure that refuses what Azure refuses (engine/plugins/fakeAzure.ts, rules from
 * azure/facts.ts): an RBAC wait shorter than the key grant's propagation fails the first create that uses the key, a
 * long enough one passes; a subscription whose FHIR quota other deployments already use fails at `up` with ARM's quota
 * error; a private workspace's endpoint registers its FHIR service in private DNS. Small stacks (one account each).
 */
import { type EngineProject, EngineProject as Project, repoPlacementLock } from "../../engine/harness";
import { FakeTenant } from "../../engine/plugins/fakeAzure";
import { AHDS_DEFAULT_QUOTAS } from "../../azure/facts";
import { accountsOf, devConfig } from "./helpers";

const SUB = "00000000-0000-4000-8000-00000000d001";
const PROPAGATION_SECONDS = 4;
const SLOW_PROPAGATION_SECONDS = 300;

function oneAccount(name: string, waitSeconds: number): Record<string, unknown> {
    const config = devConfig({ "fhir-platform:rbacPropagationSeconds": waitSeconds });
    return { ...config, "fhir-platform:accounts": accountsOf(config).filter((a) => a.name === name) };
}

async function project(name: string, waitSeconds: number, propagationSeconds = PROPAGATION_SECONDS): Promise<EngineProject> {
    const p = await Project.create({ stack: "dev", config: oneAccount(name, waitSeconds), placementLock: repoPlacementLock("dev") });
    p.fakeAzureEnv = { FHIR_FAKE_RBAC_PROPAGATION_SECONDS: String(propagationSeconds) };
    return p;
}

const projects: EngineProject[] = [];
afterAll(() => {
    for (const p of projects) p.remove();
});

describe("Azure's refusals reach pulumi up", () => {
    // A propagation far above the wait: on a loaded machine the seconds between the grant and the key's first use grow,
    // and a propagation of a few seconds could pass by itself (seen at load 14).
    test(`an RBAC wait of 1 s under a ${SLOW_PROPAGATION_SECONDS} s propagation fails the CMK creates with Key Vault's ForbiddenByRbac; then a used-up FHIR quota fails with QuotaExceeded`, async () => {
        const p = await project("contoso", 1, SLOW_PROPAGATION_SECONDS);
        projects.push(p);
        const r = await p.pulumi(["up", "--yes", "--skip-preview", "--stack", "dev"]);
        expect(r.code).not.toBe(0);
        expect(r.output).toContain('Code="ForbiddenByRbac"');
        expect(r.output).toContain("please observe propagation time");
        expect(p.armRecords().filter((x) => x.type === "azure-native:healthcareapis:FhirService")).toEqual([]);

        // The fake clock moves past the propagation (Azure has propagated the grant by the next run); other deployments
        // in the subscription hold its whole FHIR quota.
        p.fakeAzureEnv = { ...p.fakeAzureEnv, FHIR_FAKE_NOW: String(Date.now() + (SLOW_PROPAGATION_SECONDS + 60) * 1000) };
        const tenant = new FakeTenant(`${p.armDir}/.tenant`);
        for (let i = 0; i < AHDS_DEFAULT_QUOTAS.fhirServicesPerSubscription; i++) {
            tenant.add({
                id: `/subscriptions/${SUB}/resourceGroups/rg-other/providers/Microsoft.HealthcareApis/workspaces/other${i}/fhirservices/f`,
                type: "azure-native:healthcareapis:FhirService",
                subscriptionId: SUB,
                workspaceId: `/subscriptions/${SUB}/resourcegroups/rg-other/providers/microsoft.healthcareapis/workspaces/other${i}`,
            });
        }
        const again = await p.pulumi(["up", "--yes", "--skip-preview", "--stack", "dev"]);
        expect(again.code).not.toBe(0);
        // ARM's code; the limit is Azure's default (AHDS_DEFAULT_QUOTAS); AHDS's message text is not documented.
        expect(again.output).toContain('Code="QuotaExceeded"');
        expect(again.output).toContain(`Maximum allowed: ${AHDS_DEFAULT_QUOTAS.fhirServicesPerSubscription}`);
    });

    test(`a wait longer than the propagation passes; the private workspace's DNS zone group has its FHIR service's A record`, async () => {
        const p = await project("tailspin", PROPAGATION_SECONDS + 2);
        projects.push(p);
        const r = await p.pulumi(["up", "--yes", "--skip-preview", "--stack", "dev"]);
        expect({ code: r.code, output: r.code === 0 ? "" : r.output }).toEqual({ code: 0, output: "" });
        const records = p.armRecords();
        const fhir = records.find((x) => x.type === "azure-native:healthcareapis:FhirService");
        const group = records.find((x) => x.type === "azure-native:network:PrivateDnsZoneGroup");
        const fqdns = ((group?.outputs.privateDnsZoneConfigs ?? []) as { recordSets?: { fqdn: string }[] }[]).flatMap((c) =>
            (c.recordSets ?? []).map((s) => s.fqdn),
        );
        expect(fqdns).toContain(`${fhir?.inputs.workspaceName}-${fhir?.inputs.fhirServiceName}.privatelink.fhir.azurehealthcareapis.com`);
        expect(fqdns).toContain(`${fhir?.inputs.workspaceName}.privatelink.workspace.azurehealthcareapis.com`);
    });

    test("an account added to a private shared workspace gets its A record: the zone group is written again after its service", async () => {
        const base = devConfig();
        // The private account, without its templates registry (one account's registry is not another's).
        const tailspin = Object.fromEntries(
            Object.entries(accountsOf(base).find((a) => a.name === "tailspin") ?? {}).filter(([k]) => k !== "acr"),
        );
        const config = (names: string[]) => ({
            ...base,
            "fhir-platform:placement": "shared",
            "fhir-platform:accounts": names.map((name) => ({ ...tailspin, name })),
        });
        const p = await Project.create({ stack: "dev", config: config(["tailspin"]) });
        projects.push(p);
        const fqdns = () =>
            p
                .armRecords()
                .filter((x) => x.type === "azure-native:network:PrivateDnsZoneGroup")
                .flatMap((x) =>
                    (x.outputs.privateDnsZoneConfigs as { recordSets?: { fqdn: string }[] }[]).flatMap((c) =>
                        (c.recordSets ?? []).map((s) => s.fqdn),
                    ),
                )
                .filter((f) => f.includes(".privatelink.fhir."))
                .sort();
        const first = await p.pulumi(["up", "--yes", "--skip-preview", "--stack", "dev"]);
        expect({ code: first.code, output: first.code === 0 ? "" : first.output }).toEqual({ code: 0, output: "" });
        expect(fqdns()).toHaveLength(1);
        p.writeStackConfig(config(["tailspin", "wingtip"]));
        const second = await p.pulumi(["up", "--yes", "--skip-preview", "--stack", "dev"]);
        expect({ code: second.code, output: second.code === 0 ? "" : second.output }).toEqual({ code: 0, output: "" });
        const services = p.armRecords().filter((x) => x.type === "azure-native:healthcareapis:FhirService");
        expect(services).toHaveLength(2);
        expect(fqdns()).toEqual(
            services.map((s) => `${s.inputs.workspaceName}-${s.inputs.fhirServiceName}.privatelink.fhir.azurehealthcareapis.com`).sort(),
        );
    });
});
