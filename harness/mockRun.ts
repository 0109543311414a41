/**
 * Runs a Pulumi program in the SDK's mock mode and captures every resource as the engine would see it. `mocks.newResource`
 * gets only type, name and inputs (pulumi/pulumi#14421), so the mock monitor's `registerResource` is wrapped to read the
 * full request (parent, provider, dependencies, options).
 */
import * as pulumi from "@pulumi/pulumi";
import type { RegisterResourceRequest, RegisterResourceResponse } from "@pulumi/pulumi/proto/resource_pb";
import { skipSdkPromiseStacks } from "../program/sdkStacks";
import { mockState } from "./mockState";

export { mockState };

export interface CapturedResource {
    urn: string;
    type: string;
    name: string;
    custom: boolean;
    parent?: string;
    /** Provider reference (`urn::id`) for custom resources given an explicit provider. */
    provider?: string;
    id?: string;
    inputs: Record<string, unknown>;
    /** Outputs as the mocks returned them (custom resources; components have none at registration). */
    outputs: Record<string, unknown>;
    dependencies: string[];
    propertyDependencies: Record<string, string[]>;
    protect: boolean;
    /** Input paths whose changes the engine ignores after creation (create-only settings). */
    ignoreChanges: string[];
    /** Earlier URNs of this resource (aliases), as the SDK sends them: URNs, or `name=...` for alias specs. */
    aliases: string[];
    /** The `replacementTrigger` resource option: the engine replaces the resource when it differs from the recorded one. */
    replacementTrigger?: unknown;
    /** The `deleteBeforeReplace` resource option. */
    deleteBeforeReplace: boolean;
}

export interface MockRunOptions {
    project?: string;
    stack: string;
    /** `namespace:key -> string` map, as in a stack file. */
    config: Record<string, string>;
    preview?: boolean;
}

export interface MockRunResult {
    resources: CapturedResource[];
    /** Stack outputs, resolved. */
    outputs: Record<string, unknown>;
}

const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
export const SECRET_MASK = "[secret]";
const DYNAMIC_PROVIDER_KEY = "__provider";

/** Masks secrets and the serialized code of dynamic providers; keeps everything else as is. */
export function maskValue(v: unknown): unknown {
    if (Array.isArray(v)) return v.map(maskValue);
    if (v && typeof v === "object") {
        const o = v as Record<string, unknown>;
        if (o[SIG_KEY] === SECRET_SIG) return SECRET_MASK;
        const out: Record<string, unknown> = {};
        for (const [k, val] of Object.entries(o)) out[k] = k === DYNAMIC_PROVIDER_KEY ? "[dynamic provider code]" : maskValue(val);
        return out;
    }
    return v;
}

type MonitorCallback = (err: Error | null, resp?: RegisterResourceResponse) => void;
interface PatchableMonitor {
    registerResource(req: RegisterResourceRequest, cb: MonitorCallback): void;
    newUrn(parent: string, type: string, name: string): string;
}

/**
 * URNs as the engine builds them (the mock monitor keeps only the parent's type): the qualified type chains every
 * ancestor's type but the root stack's, so a plan's URNs are the ones `pulumi up` records.
 */
export function engineUrn(stack: string, project: string, parent: string | undefined, type: string, name: string): string {
    const parentType = parent ? parent.split("::")[2] : undefined;
    const qualified = parentType && parentType !== "pulumi:pulumi:Stack" ? `${parentType}$${type}` : type;
    return `urn:pulumi:${stack}::${project}::${qualified}::${name}`;
}

/** `waitForRPCs` is exported by the SDK's settings module but marked internal in its types. */
function waitForRPCs(): Promise<void> {
    const settings = pulumi.runtime as unknown as { waitForRPCs?: () => Promise<void> };
    if (!settings.waitForRPCs) throw new Error("@pulumi/pulumi no longer exports runtime.waitForRPCs: update harness/mockRun.ts");
    return settings.waitForRPCs();
}

/** Runs `program` (registers resources, returns outputs) under mocks: resources in registration order, or its own error. */
export async function runUnderMocks(program: () => Record<string, unknown>, options: MockRunOptions): Promise<MockRunResult> {
    const project = options.project ?? "fhir-platform";
    // What index.ts does before its first resource, so programs run here cost what they cost under the language host.
    skipSdkPromiseStacks();
    pulumi.runtime.setAllConfig(options.config);
    const providerSubscriptions = new Map<string, string>();
    const defaultSubscription = "00000000-0000-0000-0000-000000000000";
    await pulumi.runtime.setMocks(
        {
            newResource(args: pulumi.runtime.MockResourceArgs) {
                if (args.type === "pulumi:providers:azure-native") {
                    providerSubscriptions.set(args.name, String(args.inputs.subscriptionId ?? defaultSubscription));
                }
                const providerName = args.provider?.split("::")[3];
                const sub = (providerName && providerSubscriptions.get(providerName)) || defaultSubscription;
                return mockState(args.type, args.name, args.inputs, sub);
            },
            call() {
                return {};
            },
        },
        project,
        options.stack,
        options.preview ?? false,
    );

    const captured = new Map<string, CapturedResource>();
    const order: string[] = [];
    const monitor = pulumi.runtime.getMonitor() as unknown as PatchableMonitor;
    monitor.newUrn = (parent, type, name) => engineUrn(options.stack, project, parent || undefined, type, name);
    const original = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: RegisterResourceRequest, cb: MonitorCallback) => {
        original(req, (err, resp) => {
            if (!err && resp) {
                const propertyDependencies: Record<string, string[]> = {};
                req.getPropertydependenciesMap().forEach((v, k) => {
                    propertyDependencies[k] = v.getUrnsList();
                });
                const inputs: Record<string, unknown> = pulumi.runtime.deserializeProperties(req.getObject()!);
                const r: CapturedResource = {
                    urn: resp.getUrn(),
                    type: req.getType(),
                    name: req.getName(),
                    custom: req.getCustom(),
                    ...(req.getParent() ? { parent: req.getParent() } : {}),
                    ...(req.getProvider() ? { provider: req.getProvider() } : {}),
                    ...(resp.getId() ? { id: resp.getId() } : {}),
                    inputs: maskValue(inputs) as typeof inputs,
                    outputs: maskValue(resp.getObject() ? pulumi.runtime.deserializeProperties(resp.getObject()!) : {}) as typeof inputs,
                    dependencies: req.getDependenciesList(),
                    propertyDependencies,
                    protect: req.getProtect() === true,
                    deleteBeforeReplace: req.getDeletebeforereplace() === true,
                    ...(req.getReplacementTrigger() ? { replacementTrigger: req.getReplacementTrigger()!.toJavaScript() } : {}),
                    ignoreChanges: req.getIgnorechangesList(),
                    aliases: [
                        ...req.getAliasurnsList(),
                        ...req.getAliasesList().map((a) => a.getUrn() || `name=${a.getSpec()?.getName() ?? ""}`),
                    ],
                };
                captured.set(r.urn, r);
                order.push(r.urn);
            }
            cb(err, resp);
        });
    };

    let programError: unknown;
    const outputs = await pulumi.runtime
        .runInPulumiStack(async () => {
            try {
                return program();
            } catch (e) {
                programError = e;
                throw e;
            }
        })
        .catch((e: unknown) => {
            throw programError ?? e;
        });
    await waitForRPCs();
    // Stack outputs resolved all the way down (Outputs and promises at any depth), as the engine records them.
    const resolved = await new Promise<unknown>((resolve) => pulumi.output(outputs ?? {}).apply(resolve));
    return { resources: order.map((u) => captured.get(u)!), outputs: resolved as Record<string, unknown> };
}
