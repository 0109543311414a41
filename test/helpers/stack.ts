/**
 * Shared fixtures and probes for the stack tests: raw config builders (as a stack file would hold them), a runner
 * that counts every resource registration (so "a bad config registers nothing" can be asserted), and lookups over
 * the resources the mock harness captured (by type, by account, by URN).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { type ConfigProblem, ConfigValidationError, type PlacementLock, type RawConfig, lockFileName } from "../../config";
import { defineStack } from "../../program";
import { type CapturedResource, type MockRunResult, mockState } from "../../harness/mockRun";
import { configMap, runStack } from "../../harness/runStack";
import { configSource } from "../../harness/stackFiles";

export const TENANT = "72f988bf-0000-4000-8000-0000000000aa";
export const SUB_A = "00000000-0000-4000-8000-0000000000a1";
export const SUB_B = "00000000-0000-4000-8000-0000000000b2";
export const SUB_C = "00000000-0000-4000-8000-0000000000c3";
export const LOCATION = "westeurope";

/** A principal object ID that is valid (a GUID) and easy to recognise in a test: `pid(1)` -> 11111111-... */
export function pid(n: number): string {
    const d = String(n % 10);
    return `${d.repeat(8)}-${d.repeat(4)}-4${d.repeat(3)}-8${d.repeat(3)}-${d.repeat(12)}`;
}

export type RawAccount = Record<string, unknown> & { name: string };

/** Raw config with one subscription and the given accounts; override anything. */
export function rawConfig(accounts: RawAccount[], overrides: RawConfig = {}): RawConfig {
    return {
        location: LOCATION,
        tenantId: TENANT,
        subscriptions: [{ name: "main", subscriptionId: SUB_A }],
        accounts,
        ...overrides,
    };
}

/** Account names acct001, acct002, ...: valid, sortable, and in name order = numeric order. */
export function accountNames(n: number, prefix = "acct"): string[] {
    return Array.from({ length: n }, (_, i) => `${prefix}${String(i + 1).padStart(3, "0")}`);
}

/** Deterministic shuffle (a seeded LCG), so a failing order can be reproduced. */
export { shuffle as shuffled } from "../../tools/placementReport";

/** Runs the real program under mocks with a raw config. `lock` is written to a temporary project dir. */
export function run(raw: RawConfig, options: { stack?: string; lock?: PlacementLock } = {}): Promise<MockRunResult> {
    const stack = options.stack ?? "t";
    return runStack({ stack, config: configMap(raw), projectDir: projectDirWith(stack, options.lock) });
}

/** A project directory holding only the placement lock (or nothing), so the repo's own locks never leak in. */
export function projectDirWith(stack: string, lock?: PlacementLock): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fhir-platform-test-"));
    if (lock) fs.writeFileSync(path.join(dir, lockFileName(stack)), JSON.stringify(lock, null, 2));
    return dir;
}

/**
 * Runs the real program (`defineStack`) under mocks and records every resource registration the mocks see (custom
 * and component resources alike). Returns the program's error instead of throwing.
 *
 * It does not go through `runStack`: there, a program that throws leaves the SDK's root Stack resource with rejected
 * promises nobody handles, which jest reports as extra failures (see the closing note). Here the program runs
 * without a root stack, exactly as far as it gets: with a bad config, not one resource.
 */
export async function runCounting(raw: RawConfig, stack = "t"): Promise<{ error: unknown; registered: string[] }> {
    const registered: string[] = [];
    const config = configMap(raw);
    pulumi.runtime.setAllConfig(config);
    await pulumi.runtime.setMocks(
        {
            newResource(args: pulumi.runtime.MockResourceArgs) {
                registered.push(`${args.type}::${args.name}`);
                return mockState(args.type, args.name, args.inputs, SUB_A);
            },
            call() {
                return {};
            },
        },
        "fhir-platform",
        stack,
        false,
    );
    let error: unknown;
    try {
        const out = defineStack({ config: configSource(config), stack, projectDir: projectDirWith(stack) });
        // Outputs resolve only once their resources are registered: wait for them, so the count is complete.
        const fhirUrls = Object.values(out.accounts).map((a) => a.fhirUrl);
        await new Promise((resolve) => pulumi.all([out.logAnalyticsWorkspaceId, ...fhirUrls]).apply(resolve));
    } catch (e) {
        error = e;
    }
    // Let outstanding RPCs (component outputs) finish before the next test replaces the mocks.
    await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
    return { error, registered };
}

/** The problems of a ConfigValidationError thrown by `fn`; fails the test when `fn` does not throw one. */
export function problemsOf(fn: () => unknown): ConfigProblem[] {
    try {
        fn();
    } catch (e) {
        if (e instanceof ConfigValidationError) return e.problems;
        throw e;
    }
    throw new Error("expected a ConfigValidationError, but nothing was thrown");
}

// ---- lookups over captured resources -------------------------------------------------------------------------

export const T = {
    rg: "azure-native:resources:ResourceGroup",
    identity: "azure-native:managedidentity:UserAssignedIdentity",
    vault: "azure-native:keyvault:Vault",
    key: "azure-native:keyvault:Key",
    storage: "azure-native:storage:StorageAccount",
    blobService: "azure-native:storage:BlobServiceProperties",
    workspace: "azure-native:healthcareapis:Workspace",
    fhir: "azure-native:healthcareapis:FhirService",
    grant: "azure-native:authorization:RoleAssignment",
    diagnostics: "azure-native:monitor:DiagnosticSetting",
    activityLog: "azure-native:monitor:SubscriptionDiagnosticSetting",
    logAnalytics: "azure-native:operationalinsights:Workspace",
    table: "azure-native:operationalinsights:Table",
    lifecycle: "azure-native:storage:ManagementPolicy",
    container: "azure-native:storage:BlobContainer",
    replication: "azure-native:storage:ObjectReplicationPolicy",
    privateEndpoint: "azure-native:network:PrivateEndpoint",
    dnsZoneGroup: "azure-native:network:PrivateDnsZoneGroup",
    privateZone: "azure-native:privatedns:PrivateZone",
    vnetLink: "azure-native:privatedns:VirtualNetworkLink",
    provider: "pulumi:providers:azure-native",
    randomString: "random:index/randomString:RandomString",
    wait: "pulumi-nodejs:dynamic/fhir-platform:RbacPropagationWait",
    account: "fhir-platform:index:FhirAccount",
    platform: "fhir-platform:index:FhirPlatform",
} as const;

export class Captured {
    readonly byUrn: Map<string, CapturedResource>;
    constructor(readonly result: MockRunResult) {
        this.byUrn = new Map(result.resources.map((r) => [r.urn, r]));
    }
    get resources(): CapturedResource[] {
        return this.result.resources;
    }
    ofType(type: string): CapturedResource[] {
        return this.resources.filter((r) => r.type === type);
    }
    /** The one resource of `type` named `name`; throws (with what exists) when there is not exactly one. */
    one(type: string, name: string): CapturedResource {
        const found = this.resources.filter((r) => r.type === type && r.name === name);
        if (found.length !== 1) {
            throw new Error(
                `expected one ${type} named ${name}, found ${found.length}; have: ${this.ofType(type)
                    .map((r) => r.name)
                    .join(", ")}`,
            );
        }
        return found[0];
    }
    /** The account whose FhirAccount component is an ancestor of `r`, or undefined (platform-wide resources). */
    accountOf(r: CapturedResource): string | undefined {
        let cur: CapturedResource | undefined = r;
        while (cur) {
            if (cur.type === T.account) return cur.name;
            cur = cur.parent ? this.byUrn.get(cur.parent) : undefined;
        }
        return undefined;
    }
    /** Every resource under the account's component (custom and component). */
    ofAccount(account: string, type?: string): CapturedResource[] {
        return this.resources.filter((r) => this.accountOf(r) === account && (type === undefined || r.type === type));
    }
    /** The parent chain of `r`, nearest first. */
    ancestors(r: CapturedResource): CapturedResource[] {
        const out: CapturedResource[] = [];
        let cur = r.parent ? this.byUrn.get(r.parent) : undefined;
        while (cur) {
            out.push(cur);
            cur = cur.parent ? this.byUrn.get(cur.parent) : undefined;
        }
        return out;
    }
    /** Account outputs as the stack exported them. */
    outputs(account: string): Record<string, unknown> {
        const accounts = this.result.outputs.accounts as Record<string, Record<string, unknown>>;
        const out = accounts[account];
        if (!out) throw new Error(`no outputs for account ${account}`);
        return out;
    }
    /** Provider name (`azure-<subscription>`) a custom resource was registered through. */
    providerName(r: CapturedResource): string | undefined {
        return r.provider?.split("::")[3];
    }
}

export async function capture(raw: RawConfig, options: { stack?: string; lock?: PlacementLock } = {}): Promise<Captured> {
    return new Captured(await run(raw, options));
}

/** Inputs of a resource, typed loosely for deep property access in assertions. */
export function inputs(r: CapturedResource): Record<string, any> {
    return r.inputs as Record<string, any>;
}
