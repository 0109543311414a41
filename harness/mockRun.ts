/**
 * Runs a Pulumi program in the SDK's mock mode and captures what the engine would see: for every resource its type,
 * name, URN, parent, provider, inputs (secrets masked), dependencies, property dependencies and protect flag.
 *
 * `mocks.newResource` gets only type, name and inputs (pulumi/pulumi#14421), so we also wrap the mock monitor's
 * `registerResource` and read the full request, as the engine would receive it.
 */
import * as crypto from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { skipSdkPromiseStacks } from "../program/sdkStacks";

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
    retainOnDelete: boolean;
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

function hash(...parts: string[]): string {
    return crypto.createHash("sha256").update(parts.join("|")).digest("hex");
}
function fakeGuid(...parts: string[]): string {
    const h = hash(...parts);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Deterministic, ARM-shaped outputs for the resource types this project uses. */
export function mockState(
    type: string,
    name: string,
    inputs: Record<string, unknown>,
    subscriptionId: string,
): { id: string; state: Record<string, unknown> } {
    const sub = `/subscriptions/${subscriptionId}`;
    const rg = `${sub}/resourceGroups/${inputs.resourceGroupName}`;
    let id = `${type}/${name}`;
    const state: Record<string, unknown> = { ...inputs };
    switch (type) {
        case "azure-native:resources:ResourceGroup":
            id = `${sub}/resourceGroups/${inputs.resourceGroupName}`;
            state.name = inputs.resourceGroupName;
            break;
        case "azure-native:managedidentity:UserAssignedIdentity":
            id = `${rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${inputs.resourceName}`;
            state.name = inputs.resourceName;
            state.principalId = fakeGuid("principal", id);
            state.clientId = fakeGuid("client", id);
            state.tenantId = fakeGuid("tenant");
            break;
        case "azure-native:keyvault:Vault":
            id = `${rg}/providers/Microsoft.KeyVault/vaults/${inputs.vaultName}`;
            state.name = inputs.vaultName;
            state.properties = { ...(inputs.properties ?? {}), vaultUri: `https://${inputs.vaultName}.vault.azure.net/` };
            break;
        case "azure-native:keyvault:Key": {
            id = `${rg}/providers/Microsoft.KeyVault/vaults/${inputs.vaultName}/keys/${inputs.keyName}`;
            state.name = inputs.keyName;
            const uri = `https://${inputs.vaultName}.vault.azure.net/keys/${inputs.keyName}`;
            state.keyUri = uri;
            state.keyUriWithVersion = `${uri}/${hash("version", id).slice(0, 32)}`;
            break;
        }
        case "azure-native:storage:StorageAccount":
            id = `${rg}/providers/Microsoft.Storage/storageAccounts/${inputs.accountName}`;
            state.name = inputs.accountName;
            break;
        case "azure-native:storage:BlobServiceProperties":
            id = `${rg}/providers/Microsoft.Storage/storageAccounts/${inputs.accountName}/blobServices/default`;
            state.name = "default";
            break;
        case "azure-native:healthcareapis:Workspace":
            id = `${rg}/providers/Microsoft.HealthcareApis/workspaces/${inputs.workspaceName}`;
            state.name = inputs.workspaceName;
            break;
        case "azure-native:healthcareapis:FhirService":
            id = `${rg}/providers/Microsoft.HealthcareApis/workspaces/${inputs.workspaceName}/fhirservices/${inputs.fhirServiceName}`;
            state.name = `${inputs.workspaceName}/${inputs.fhirServiceName}`;
            break;
        case "azure-native:authorization:RoleAssignment":
            id = `${inputs.scope}/providers/Microsoft.Authorization/roleAssignments/${inputs.roleAssignmentName}`;
            state.name = inputs.roleAssignmentName;
            break;
        case "azure-native:monitor:DiagnosticSetting":
            id = `${inputs.resourceUri}/providers/Microsoft.Insights/diagnosticSettings/${inputs.name}`;
            break;
        case "azure-native:operationalinsights:Table":
            id = `${rg}/providers/Microsoft.OperationalInsights/workspaces/${inputs.workspaceName}/tables/${inputs.tableName}`;
            state.name = inputs.tableName;
            break;
        case "azure-native:monitor:SubscriptionDiagnosticSetting":
            id = `${sub}/providers/Microsoft.Insights/diagnosticSettings/${inputs.name}`;
            break;
        case "azure-native:storage:ManagementPolicy":
            id = `${rg}/providers/Microsoft.Storage/storageAccounts/${inputs.accountName}/managementPolicies/${inputs.managementPolicyName}`;
            state.name = inputs.managementPolicyName;
            break;
        case "azure-native:storage:BlobContainer":
            id = `${rg}/providers/Microsoft.Storage/storageAccounts/${inputs.accountName}/blobServices/default/containers/${inputs.containerName}`;
            state.name = inputs.containerName;
            break;
        case "azure-native:storage:ObjectReplicationPolicy": {
            // Azure gives the destination's policy (created as "default") and its rules IDs; the source repeats them. (The
            // mock keeps the requested name in the ID.)
            const accountId = `${rg}/providers/Microsoft.Storage/storageAccounts/${inputs.accountName}`;
            const policyId = inputs.objectReplicationPolicyId === "default" ? fakeGuid("orp", accountId) : inputs.objectReplicationPolicyId;
            id = `${accountId}/objectReplicationPolicies/${inputs.objectReplicationPolicyId}`;
            state.policyId = policyId;
            // Under the engine's preview an input not known yet is a placeholder, not a list: left as it is.
            if (Array.isArray(inputs.rules)) {
                state.rules = (inputs.rules as Record<string, unknown>[]).map((r, i) => ({
                    ...r,
                    ruleId: r.ruleId ?? fakeGuid("orp-rule", `${accountId}/${i}`),
                }));
            }
            break;
        }
        case "azure-native:operationalinsights:Workspace":
            id = `${rg}/providers/Microsoft.OperationalInsights/workspaces/${inputs.workspaceName}`;
            state.name = inputs.workspaceName;
            state.customerId = fakeGuid("law", id);
            break;
        case "azure-native:network:PrivateEndpoint":
            id = `${rg}/providers/Microsoft.Network/privateEndpoints/${inputs.privateEndpointName}`;
            state.name = inputs.privateEndpointName;
            break;
        case "azure-native:network:PrivateDnsZoneGroup":
            id = `${rg}/providers/Microsoft.Network/privateEndpoints/${inputs.privateEndpointName}/privateDnsZoneGroups/${inputs.privateDnsZoneGroupName}`;
            state.name = inputs.privateDnsZoneGroupName;
            break;
        case "azure-native:privatedns:PrivateZone":
            id = `${rg}/providers/Microsoft.Network/privateDnsZones/${inputs.privateZoneName}`;
            state.name = inputs.privateZoneName;
            break;
        case "azure-native:privatedns:VirtualNetworkLink":
            id = `${rg}/providers/Microsoft.Network/privateDnsZones/${inputs.privateZoneName}/virtualNetworkLinks/${inputs.virtualNetworkLinkName}`;
            state.name = inputs.virtualNetworkLinkName;
            break;
        case "random:index/randomString:RandomString": {
            const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
            const h = hash("random", name);
            state.result = Array.from(
                { length: Number(inputs.length ?? 6) },
                (_, i) => alphabet[parseInt(h.slice(i * 2, i * 2 + 2), 16) % alphabet.length],
            ).join("");
            id = `random-${name}`;
            break;
        }
        default:
            if (type.startsWith("pulumi:providers:")) id = `provider-${name}`;
            else if (type === "pulumi-nodejs:dynamic:Resource") id = `dynamic-${name}`;
    }
    return { id, state };
}

type MonitorRequest = {
    getType(): string;
    getName(): string;
    getParent(): string;
    getCustom(): boolean;
    getProvider(): string;
    getProtect(): boolean | undefined;
    getRetainondelete(): boolean | undefined;
    getDeletebeforereplace(): boolean;
    getReplacementTrigger(): { toJavaScript(): unknown } | undefined;
    getIgnorechangesList(): string[];
    getAliasurnsList(): string[];
    getAliasesList(): { getUrn(): string; getSpec(): { getName(): string } | undefined }[];
    getDependenciesList(): string[];
    getPropertydependenciesMap(): { forEach(cb: (v: { getUrnsList(): string[] }, k: string) => void): void };
    getObject(): Parameters<typeof pulumi.runtime.deserializeProperties>[0];
};
type MonitorCallback = (
    err: Error | null,
    resp?: { getUrn(): string; getId(): string; getObject(): Parameters<typeof pulumi.runtime.deserializeProperties>[0] | undefined },
) => void;
interface PatchableMonitor {
    registerResource(req: MonitorRequest, cb: MonitorCallback): void;
    newUrn(parent: string, type: string, name: string): string;
}

/**
 * URNs as the Pulumi engine builds them: the qualified type chains every ancestor's type except the root stack's
 * (the mock monitor keeps only the parent's). With this, URNs from a mock run are the ones `pulumi up` records,
 * so `pulumi state unprotect <urn>` and friends can be printed from a plan.
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

/**
 * Runs `program` (which registers resources and returns stack outputs) under mocks, inside a Pulumi stack,
 * and returns every captured resource in registration order. Rejects with the program's own error.
 */
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
    monitor.registerResource = (req: MonitorRequest, cb: MonitorCallback) => {
        original(req, (err, resp) => {
            if (!err && resp) {
                const propertyDependencies: Record<string, string[]> = {};
                req.getPropertydependenciesMap().forEach((v, k) => {
                    propertyDependencies[k] = v.getUrnsList();
                });
                const inputs = pulumi.runtime.deserializeProperties(req.getObject()) as Record<string, unknown>;
                const r: CapturedResource = {
                    urn: resp.getUrn(),
                    type: req.getType(),
                    name: req.getName(),
                    custom: req.getCustom(),
                    ...(req.getParent() ? { parent: req.getParent() } : {}),
                    ...(req.getProvider() ? { provider: req.getProvider() } : {}),
                    ...(resp.getId() ? { id: resp.getId() } : {}),
                    inputs: maskValue(inputs) as Record<string, unknown>,
                    outputs: maskValue(resp.getObject() ? pulumi.runtime.deserializeProperties(resp.getObject()!) : {}) as Record<
                        string,
                        unknown
                    >,
                    dependencies: req.getDependenciesList(),
                    propertyDependencies,
                    protect: req.getProtect() === true,
                    retainOnDelete: req.getRetainondelete() === true,
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
    const resolved = (await resolveOutputs(outputs ?? {})) as Record<string, unknown>;
    return { resources: order.map((u) => captured.get(u)!), outputs: resolved };
}

async function resolveOutputs(v: unknown): Promise<unknown> {
    if (pulumi.Output.isInstance(v)) {
        const value = await new Promise<unknown>((resolve) => (v as pulumi.Output<unknown>).apply((x) => resolve(x)));
        return resolveOutputs(value);
    }
    if (v instanceof Promise) return resolveOutputs(await v);
    if (Array.isArray(v)) return Promise.all(v.map(resolveOutputs));
    if (v && typeof v === "object") {
        const out: Record<string, unknown> = {};
        for (const [k, val] of Object.entries(v)) out[k] = await resolveOutputs(val);
        return out;
    }
    return v;
}
