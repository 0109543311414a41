/**
 * `pulumi preview` of the dev stack under the real engine (the CLI, the Node language host, the fake providers and
 * the CrossGuard pack loaded through PulumiPolicy.yaml), on a stack that has never been deployed.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { EngineProject } from "../../engine/harness";
import { POLICY_PACK_NAME } from "../../policies/policies";
import { engineEvents } from "./engineEvents";
import { POLICY_PACK_DIR, allUrns, devConfig, devProject, offlinePlan } from "./helpers";

let project: EngineProject;

beforeAll(async () => {
    project = await devProject();
});
afterAll(() => project?.remove());

describe("pulumi preview --policy-pack policies on the dev stack", () => {
    test("passes, with the pack loaded, the advisory public-network findings reported and every declared resource to create", async () => {
        const r = await project.pulumi(["preview", "--stack", "dev", "--policy-pack", POLICY_PACK_DIR]);
        expect({ code: r.code, output: r.output }).toEqual({ code: 0, output: expect.any(String) });
        const version = (JSON.parse(fs.readFileSync(path.join(POLICY_PACK_DIR, "package.json"), "utf8")) as { version: string }).version;
        expect(r.stdout).toContain(`${POLICY_PACK_NAME}@v${version}`);
        // Public accounts are reported (advisory by default); the private one is not.
        expect(r.stdout).toMatch(/\[advisory\]\s+fhir-public-network-access\s+\(azure-native:healthcareapis:FhirService: contoso-fhir\)/);
        expect(r.stdout).toMatch(/\[advisory\]\s+fhir-public-network-access\s+\(azure-native:healthcareapis:FhirService: fabrikam-fhir\)/);
        expect(r.stdout).not.toMatch(/fhir-public-network-access\s+\(azure-native:healthcareapis:FhirService: tailspin-fhir\)/);
        expect(r.stdout).not.toContain("[mandatory]");
        // The program's resources plus the stack itself.
        const plan = await offlinePlan(project);
        expect(r.stdout).toMatch(new RegExp(`\\+ ${allUrns(plan).length + 1} to create`));
    });

    test("fails when --policy-pack-config makes fhir-public-network-access mandatory, naming the policy and the public services", async () => {
        const config = path.join(project.dir, "policy-config.json");
        fs.writeFileSync(config, JSON.stringify({ "fhir-public-network-access": "mandatory" }));
        const r = await project.pulumi(["preview", "--stack", "dev", "--policy-pack", POLICY_PACK_DIR, "--policy-pack-config", config]);
        expect(r.code).not.toBe(0);
        expect(r.stdout).toMatch(/\[mandatory\]\s+fhir-public-network-access\s+\(azure-native:healthcareapis:FhirService: contoso-fhir\)/);
        expect(r.stdout).toMatch(/\[mandatory\]\s+fhir-public-network-access\s+\(azure-native:healthcareapis:FhirService: fabrikam-fhir\)/);
        expect(r.stdout).not.toMatch(/fhir-public-network-access\s+\(azure-native:healthcareapis:FhirService: tailspin-fhir\)/);
        expect(r.output).toContain("preview failed");
    });

    // Pulumi.yaml must not declare an optional key without a default: the CLI would require it ("Stack 'dev' is missing
    // configuration value 'fhir-platform:environment'"). test/project.test.ts holds Pulumi.yaml to that.
    test("a stack file without fhir-platform:environment (optional: the stack name decides) previews", async () => {
        const config = devConfig();
        delete config["fhir-platform:environment"];
        project.writeStackConfig(config);
        try {
            const r = await project.pulumi(["preview", "--stack", "dev"]);
            expect({ code: r.code, output: r.code === 0 ? "" : r.output }).toEqual({ code: 0, output: "" });
        } finally {
            project.writeStackConfig(devConfig());
        }
    });

    test("a config value of the wrong type for a key Pulumi.yaml declares fails with the CLI's own message, before the program runs", async () => {
        project.writeStackConfig(devConfig({ "fhir-platform:rbacPropagationSeconds": "soon" }));
        try {
            const r = await project.pulumi(["preview", "--stack", "dev"]);
            expect(r.code).not.toBe(0);
            expect(r.stderr).toContain(
                "Stack 'dev' with configuration key 'fhir-platform:rbacPropagationSeconds' must be of type 'integer'",
            );
            // The program never ran: nothing was planned.
            expect(r.stdout).not.toContain("to create");
        } finally {
            project.writeStackConfig(devConfig());
        }
    });
});

describe("the SDK's debug-level messages (program/sdkStacks.ts)", () => {
    /** Debug diagnostics from the program's SDK runtime in the CLI's event log of a preview (`--event-log`). */
    async function sdkDebugMessages(env: NodeJS.ProcessEnv): Promise<string[]> {
        const log = path.join(project.dir, "events.json");
        // --event-log exists only with PULUMI_DEBUG_COMMANDS (pkg/v3 cmd/pulumi/operations/preview.go).
        const r = await project.pulumi(["preview", "--stack", "dev", "--event-log", log], {
            env: { ...env, PULUMI_DEBUG_COMMANDS: "true" },
        });
        expect({ code: r.code, output: r.code === 0 ? "" : r.output }).toEqual({ code: 0, output: "" });
        return engineEvents(fs.readFileSync(log, "utf8")).flatMap((e) =>
            e.diagnosticEvent?.severity === "debug" && /Registering resource|RegisterResource RPC/.test(e.diagnosticEvent.message)
                ? [e.diagnosticEvent.message]
                : [],
        );
    }

    test("never reach the engine from the stack program, unless FHIR_PLATFORM_SDK_DEBUG_LOGS=1 asks for them", async () => {
        // Only the root stack resource's, which @pulumi/pulumi/cmd/run registers before index.ts runs.
        const rootStack = (m: string) => /pulumi:pulumi:Stack/.test(m);
        const dropped = await sdkDebugMessages({});
        expect(dropped.filter((m) => !rootStack(m))).toEqual([]);
        expect(dropped.length).toBeLessThanOrEqual(3);
        // The same preview with the messages kept: the event log does carry them, so the check above can fail.
        const kept = await sdkDebugMessages({ FHIR_PLATFORM_SDK_DEBUG_LOGS: "1" });
        expect(kept.length).toBeGreaterThan(0);
        expect(kept.some((m) => m.startsWith("Registering resource: t=azure-native:healthcareapis:FhirService"))).toBe(true);
    });
});

describe("each resource's stack trace in the state (program/sdkStacks.ts, cacheSdkResourceStacks)", () => {
    type Exported = { deployment: { resources: { urn: string; sourcePosition?: string; stackTrace?: unknown[] }[] } };
    /** `up` of the dev stack in a fresh project; every resource's source position and stack trace, by URN. */
    async function stacksAfterUp(env: NodeJS.ProcessEnv) {
        const p = await devProject();
        try {
            const up = await p.pulumi(["up", "--yes", "--skip-preview", "--stack", "dev"], { env });
            expect({ code: up.code, output: up.code === 0 ? "" : up.output }).toEqual({ code: 0, output: "" });
            const exported = JSON.parse((await p.pulumi(["stack", "export", "--stack", "dev"])).stdout) as Exported;
            return Object.fromEntries(exported.deployment.resources.map((r) => [r.urn, [r.sourcePosition, r.stackTrace]]));
        } finally {
            p.remove();
        }
    }

    test("is the SDK's own: the same with the cache as computed by the SDK for every resource", async () => {
        const cached = await stacksAfterUp({});
        const bySdk = await stacksAfterUp({ FHIR_PLATFORM_SDK_RESOURCE_STACKS: "1" });
        expect(cached).toEqual(bySdk);
        // Mapped to the TypeScript sources: the FHIR services were registered from components/.
        const fhir = Object.entries(cached).filter(([urn]) => urn.endsWith("FhirService::contoso-fhir"));
        expect(fhir).toEqual([
            [expect.any(String), [expect.stringMatching(/^project:\/\/\/.*components\/\w+\.ts#\d+,\d+$/), expect.any(Array)]],
        ]);
    });
});
