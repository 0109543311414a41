/**
 * `npm run adopt` (tools/adopt.ts): from a crashed run's output and a killed run's pending creates to the exact
 * `pulumi import` commands, each resource as the dev stack's program declares it. The same commands run under the real
 * engine in test/engine/faults.test.ts.
 */
import { devStack } from "./helpers/devStack";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as adoptCommand from "../scripts/adopt";
import { adopt, pendingCreates, refusedCreates } from "../tools/adopt";

const SUB = "00000000-0000-4000-8000-00000000d001";
const FHIR = "azure-native:healthcareapis:FhirService";
const fhirId = `/subscriptions/${SUB}/resourceGroups/rg-fhir-dev-contoso/providers/Microsoft.HealthcareApis/workspaces/wscontosoab12cd/fhirservices/contoso`;

/** The engine's diagnostics as the pinned CLI prints them, with azure-native's refusal. */
const LOG = [
    "Diagnostics:",
    `  ${FHIR} (contoso-fhir):`,
    `    error: cannot create already existing resource '${fhirId}'`,
    "",
    "  pulumi:pulumi:Stack (fhir-platform-dev):",
    "    error: update failed",
].join("\n");

function capture() {
    const out: string[] = [];
    const err: string[] = [];
    return { io: { out: (t: string) => void out.push(t), err: (t: string) => void err.push(t) }, out, err };
}

test("a refused create becomes a pulumi import with the program's parent, provider and protection", async () => {
    expect(refusedCreates(LOG)).toEqual([{ type: FHIR, name: "contoso-fhir", id: fhirId }]);
    const declared = (await devStack()).resources.find((r) => r.type === FHIR && r.name === "contoso-fhir");
    expect(declared?.protect).toBe(true);
    const plan = await adopt({ stack: "dev", ref: "acme/dev", log: LOG });
    expect(plan.orphans).toEqual([
        {
            urn: declared?.urn,
            type: FHIR,
            name: "contoso-fhir",
            id: fhirId,
            parent: declared?.parent,
            provider: declared?.provider?.split("::").slice(0, -1).join("::"),
            protect: true,
            pending: false,
        },
    ]);
    expect(plan.lines).toContain(`az resource show --ids '${fhirId}' --query properties.provisioningState -o tsv`);
    expect(plan.lines).toContain(
        `pulumi import '${FHIR}' 'contoso-fhir' '${fhirId}' --parent '${declared?.parent}' --provider '${plan.orphans[0]?.provider}' ` +
            "--protect=true --generate-code=false --yes --stack acme/dev",
    );
    expect(plan.lines.join("\n")).not.toMatch(/clear-pending-creates/);
    await expect(adopt({ stack: "dev", log: LOG.replace("contoso-fhir", "nobody-fhir") })).rejects.toThrow(
        /declares no .* named nobody-fhir/,
    );
});

test("a pending create gets the ID its recorded names give it, and the refresh that drops it first", async () => {
    const provider = `urn:pulumi:dev::fhir-platform::pulumi:providers:azure-native::dev`;
    const fhirUrn = `urn:pulumi:dev::fhir-platform::fhir-platform:index:FhirService$${FHIR}::contoso-fhir`;
    const exported = {
        deployment: {
            resources: [{ urn: provider, type: "pulumi:providers:azure-native", id: "p1", inputs: { subscriptionId: SUB } }],
            pending_operations: [
                {
                    type: "creating",
                    resource: {
                        urn: fhirUrn,
                        type: FHIR,
                        parent: "urn:parent",
                        provider: `${provider}::p1`,
                        protect: true,
                        inputs: { resourceGroupName: "rg-fhir-dev-contoso", workspaceName: "wscontosoab12cd", fhirServiceName: "contoso" },
                    },
                },
                { type: "creating", resource: { urn: "urn:x::some-thing", type: "azure-native:foo:Bar", provider: `${provider}::p1` } },
                { type: "updating", resource: { urn: "urn:y::other", type: FHIR } },
            ],
        },
    };
    const pending = pendingCreates(exported);
    expect(pending.map((o) => [o.name, o.id, o.provider, o.protect])).toEqual([
        ["contoso-fhir", fhirId, provider, true],
        ["some-thing", undefined, provider, false],
    ]);
    const plan = await adopt({ stack: "dev", exported });
    const text = plan.lines.join("\n");
    expect(text).toMatch(/pulumi refresh --clear-pending-creates --yes --stack dev\n# 3\. Import/);
    expect(text).toContain(
        `pulumi import '${FHIR}' 'contoso-fhir' '${fhirId}' --parent 'urn:parent' --provider '${provider}' --protect=true`,
    );
    expect(text).toContain("pulumi import 'azure-native:foo:Bar' 'some-thing' '<ID of some-thing>'");
});

test("the command: --export or --log is required; nothing to adopt exits 1; it prints the steps", async () => {
    const usage = capture();
    expect(await adoptCommand.main(["--stack", "dev"], usage.io)).toBe(2);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "adopt-"));
    fs.writeFileSync(path.join(dir, "empty.log"), "error: update failed\n");
    fs.writeFileSync(path.join(dir, "failed.log"), LOG);
    const none = capture();
    expect(await adoptCommand.main(["--stack", "dev", "--log", path.join(dir, "empty.log")], none.io)).toBe(1);
    const some = capture();
    expect(await adoptCommand.main(["--stack", "dev", "--log", path.join(dir, "failed.log")], some.io)).toBe(0);
    expect(some.out.filter((l) => l.startsWith("pulumi import"))).toHaveLength(1);
});
