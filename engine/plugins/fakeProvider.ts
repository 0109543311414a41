/**
 * A fake resource provider plugin (`pulumi-resource-azure-native`, `pulumi-resource-random`) served over the real
 * provider gRPC protocol, so the Pulumi engine runs this project's program without Azure.
 *
 *   node fakeProvider.js <package> <version> [engine flags…] <engine address>
 *
 * Check and Diff are azure-native 3.28's, from the one table of provider rules (azure/providerRules.ts, through
 * fakeArm.ts): Check fills `location` and `azureApiVersion` and reports what azure-native reports; Diff replaces
 * (deleting first) on path parameters and the table's replace paths, and updates otherwise; DiffConfig, like
 * azure-native's, reports nothing. Create/Update/Delete behave as Azure does for what the program must cope with
 * (fakeAzure.ts: quotas, regions, SKUs, retired features, global names, soft-deleted vaults, keys, key access, private
 * DNS) and keep the fake ARM table (`FHIR_FAKE_ARM_DIR`) and the fake tenant (`FHIR_FAKE_TENANT_DIR`). The explicit
 * provider's `subscriptionId` (Configure) goes into every ID, as it would in Azure.
 *
 * Written against the generated protos in `@pulumi/pulumi/proto` instead of `@pulumi/pulumi/provider`, whose server
 * passes neither the provider's configuration nor a resource's old inputs on to the implementation.
 */
import * as grpc from "@grpc/grpc-js";
import * as path from "node:path";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { type IResourceProviderServer, ResourceProviderService } from "@pulumi/pulumi/proto/provider_grpc_pb";
import * as provproto from "@pulumi/pulumi/proto/provider_pb";
import { PluginInfo } from "@pulumi/pulumi/proto/plugin_pb";
import { Status } from "@pulumi/pulumi/proto/status_pb";
import { Any } from "google-protobuf/google/protobuf/any_pb";
import { ARM_ERRORS, PROVISIONING_STATES } from "../../azure/facts";
import { refreshedInputs } from "./armShapes";
import { FakeArmTable, type PropertyMap, armState, checkInputs, diffInputs, parseUrn, previewOutputs } from "./fakeArm";
import { FakeAzure, FakeTenant, now } from "./fakeAzure";
import { type FaultRule, Faults, faultLogFile, faultRules } from "./faults";

const [pkg = "azure-native", version = "0.0.0"] = process.argv.slice(2);
const armDir = process.env.FHIR_FAKE_ARM_DIR || path.join(__dirname, "..", "..", "..", "fake-arm");
const table = new FakeArmTable(armDir);
const azure = new FakeAzure(table, new FakeTenant(process.env.FHIR_FAKE_TENANT_DIR || path.join(armDir, ".tenant")));
const faults = new Faults(faultRules(), faultLogFile(armDir));
/**
 * How long a create of these types runs in Azure before its long-running operation ends (FHIR_FAKE_LRO_SECONDS, JSON
 * `{ "<type>": seconds }`, real seconds; default none): AHDS FHIR creation takes about a quarter of an hour (azure/facts.ts
 * sources, docs/runbook.md step 6); the tests shorten it to a few seconds to have creates in flight at once.
 */
const lroSeconds = JSON.parse(process.env.FHIR_FAKE_LRO_SECONDS || "{}") as Record<string, number>;

// A plugin whose engine died (killed with its process group, a lost runner) must not outlive it: Azure's side of an
// operation in flight is already decided (readyAt), so nothing is lost by exiting.
const parent = process.ppid;
setInterval(() => {
    if (process.ppid !== parent) process.exit(0);
}, 500).unref();
/** Where the Azure subscription of this provider instance comes from: its `subscriptionId` argument. */
let subscriptionId = "00000000-0000-0000-0000-000000000000";
/** The provider's `location` configuration: azure-native's Check falls back to it for a missing location. */
let providerLocation: string | undefined;

function props(s: Struct | undefined): PropertyMap {
    return s ? (s.toJavaScript() as PropertyMap) : {};
}
function struct(m: PropertyMap): Struct {
    return Struct.fromJavaScript(m as Parameters<typeof Struct.fromJavaScript>[0]);
}
function fail<T>(callback: grpc.sendUnaryData<T>, e: unknown): void {
    const message = e instanceof Error ? e.message : String(e);
    process.stderr.write(`fake ${pkg}: ${message}\n`);
    callback({ code: grpc.status.UNKNOWN, details: message });
}

/**
 * A resource Azure created (or changed) whose operation then failed: azure-native reads it back and returns the engine
 * an ErrorResourceInitFailed with its state (provider.go defaultCreate/defaultUpdate → crud.go HandleErrorWithCheckpoint,
 * partialError), so the engine keeps it in state with init errors and updates it on the next `pulumi up`. Sent the way
 * @pulumi/pulumi's provider server sends it (provider/server.js grpcResponseFromError: `grpc-status-details-bin`).
 */
function failInit<T>(callback: grpc.sendUnaryData<T>, id: string, outputs: PropertyMap, inputs: PropertyMap, reason: string): void {
    process.stderr.write(`fake ${pkg}: ${reason}\n`);
    const detail = new provproto.ErrorResourceInitFailed();
    detail.setId(id);
    detail.setProperties(struct(outputs));
    detail.setInputs(struct(inputs));
    detail.setReasonsList([reason]);
    const any = new Any();
    any.pack(detail.serializeBinary(), "pulumirpc.ErrorResourceInitFailed");
    const status = new Status();
    status.setCode(grpc.status.UNKNOWN);
    status.setMessage(reason);
    status.addDetails(any);
    const metadata = new grpc.Metadata();
    metadata.add("grpc-status-details-bin", Buffer.from(status.serializeBinary()));
    callback({ code: grpc.status.UNKNOWN, details: reason, metadata });
}

/** The end of a long-running create or update: when it ends, and whether it fails (a fault the test injected). */
function operationEnd(type: string, fault: FaultRule | undefined): { provisioningState?: string; readyAt?: number } {
    const failed = fault?.kind === "operationFailed";
    const seconds = (failed ? fault.afterSeconds : undefined) ?? lroSeconds[type] ?? 0;
    return {
        ...(failed ? { provisioningState: PROVISIONING_STATES.failed } : {}),
        ...(seconds > 0 ? { readyAt: now() + seconds * 1000 } : {}),
    };
}

function operationFailure(urn: string): string {
    const e = ARM_ERRORS.operationFailed;
    return `Status=Failed Code="${e.code}" Message="${e.message(parseUrn(urn).name)}"`;
}
function diffResponse(changed: string[], replaces: string[]): provproto.DiffResponse {
    const resp = new provproto.DiffResponse();
    resp.setChanges(changed.length > 0 ? provproto.DiffResponse.DiffChanges.DIFF_SOME : provproto.DiffResponse.DiffChanges.DIFF_NONE);
    resp.setDiffsList(changed);
    resp.setReplacesList(replaces);
    // azure-native deletes first when it replaces: the new resource usually takes the old one's name.
    resp.setDeletebeforereplace(replaces.length > 0);
    return resp;
}

type Handlers = Pick<
    IResourceProviderServer,
    | "getPluginInfo"
    | "getSchema"
    | "checkConfig"
    | "diffConfig"
    | "configure"
    | "check"
    | "diff"
    | "create"
    | "read"
    | "update"
    | "delete"
    | "cancel"
    | "attach"
>;

const handlers: Handlers = {
    getPluginInfo(_call, callback) {
        callback(null, new PluginInfo().setVersion(version));
    },
    getSchema(_call, callback) {
        callback(null, new provproto.GetSchemaResponse().setSchema(JSON.stringify({ name: pkg, version })));
    },
    checkConfig(call, callback) {
        callback(null, new provproto.CheckResponse().setInputs(call.request.getNews()));
    },
    diffConfig(_call, callback) {
        // azure-native's DiffConfig (provider.go) answers "unknown" with no replacement for any configuration change: the
        // engine then neither replaces the provider nor its resources (they stay in the subscription they were made in).
        callback(null, new provproto.DiffResponse().setChanges(provproto.DiffResponse.DiffChanges.DIFF_UNKNOWN));
    },
    configure(call, callback) {
        const args = props(call.request.getArgs());
        const fromArgs = args.subscriptionId;
        const fromVariables = call.request.getVariablesMap().get(`${pkg}:config:subscriptionId`);
        if (typeof fromArgs === "string" && fromArgs) subscriptionId = fromArgs;
        else if (fromVariables) subscriptionId = fromVariables;
        const location = args.location ?? call.request.getVariablesMap().get(`${pkg}:config:location`);
        if (typeof location === "string" && location) providerLocation = location;
        const resp = new provproto.ConfigureResponse();
        // Plain values in and out: the engine keeps secretness and resource references itself.
        resp.setAcceptsecrets(false);
        resp.setAcceptresources(false);
        // Previews get outputs from Create/Update(preview): computed values unknown, as azure-native reports them.
        resp.setSupportspreview(true);
        callback(null, resp);
    },
    check(call, callback) {
        try {
            const { type } = parseUrn(call.request.getUrn());
            const { inputs, failures } = checkInputs(type, props(call.request.getNews()), {
                olds: props(call.request.getOlds()),
                providerLocation,
                resourceGroupLocation: (rg) => {
                    const location = table.get(`/subscriptions/${subscriptionId}/resourceGroups/${rg}`)?.inputs.location;
                    return typeof location === "string" ? location : undefined;
                },
            });
            const resp = new provproto.CheckResponse().setInputs(struct(inputs));
            resp.setFailuresList(failures.map((reason) => new provproto.CheckFailure().setReason(reason)));
            callback(null, resp);
        } catch (e) {
            fail(callback, e);
        }
    },
    diff(call, callback) {
        try {
            const { type } = parseUrn(call.request.getUrn());
            const recorded = table.get(call.request.getId());
            const olds = call.request.hasOldInputs()
                ? props(call.request.getOldInputs())
                : (recorded?.inputs ?? props(call.request.getOlds()));
            const { changed, replaces } = diffInputs(type, olds, props(call.request.getNews()));
            callback(null, diffResponse(changed, replaces));
        } catch (e) {
            fail(callback, e);
        }
    },
    async create(call, callback) {
        try {
            const urn = call.request.getUrn();
            const { type, name } = parseUrn(urn);
            const inputs = props(call.request.getProperties());
            const { id, outputs } = armState(type, name, inputs, subscriptionId);
            if (call.request.getPreview()) {
                callback(null, new provproto.CreateResponse().setId("").setProperties(struct(previewOutputs(inputs, outputs))));
                return;
            }
            // The PUT, through azure-native's retries (faults.ts); then how its operation ends.
            const fault = await faults.withRetries("create", urn, subscriptionId, () => faults.outcome("create", urn));
            const created = azure.create({ id, urn, type, inputs, outputs }, subscriptionId, operationEnd(type, fault));
            if (fault?.kind === "killProvider") process.kill(process.pid, "SIGKILL");
            const ready = created.azure?.readyAt;
            if (ready !== undefined) await new Promise((resolve) => setTimeout(resolve, Math.max(0, ready - now())));
            // azure-native reads the resource back after its PUT (readAfterWrite), or after the failure (checkpoint).
            const after = azure.read(id) ?? created;
            if (fault?.kind === "operationFailed") return failInit(callback, id, after.outputs, inputs, operationFailure(urn));
            callback(null, new provproto.CreateResponse().setId(id).setProperties(struct(after.outputs)));
        } catch (e) {
            fail(callback, e);
        }
    },
    async read(call, callback) {
        try {
            const urn = call.request.getUrn();
            const id = call.request.getId();
            const current = await faults.withRetries("read", urn, subscriptionId, () => azure.read(id));
            const resp = new provproto.ReadResponse();
            // An empty ID tells the engine the resource is gone (azure-native: a 404 means it was deleted).
            if (current) {
                // azure-native's Read: the old inputs, with only what Azure changed applied (armShapes.ts refreshedInputs).
                const oldInputs = props(call.request.getInputs());
                const inputs = Object.keys(oldInputs).length
                    ? refreshedInputs(current.type, oldInputs, props(call.request.getProperties()), current.outputs)
                    : current.inputs;
                resp.setId(current.id).setProperties(struct(current.outputs)).setInputs(struct(inputs));
            }
            callback(null, resp);
        } catch (e) {
            fail(callback, e);
        }
    },
    async update(call, callback) {
        try {
            const id = call.request.getId();
            const urn = call.request.getUrn();
            const record = table.get(id);
            if (!record) throw new Error(`resource ${id} was not found (404): it was deleted outside Pulumi; run pulumi refresh`);
            const { name } = parseUrn(urn);
            const inputs = props(call.request.getNews());
            const next = armState(record.type, name, inputs, subscriptionId);
            if (call.request.getPreview()) {
                callback(null, new provproto.UpdateResponse().setProperties(struct(previewOutputs(inputs, next.outputs, record.outputs))));
                return;
            }
            if (next.id.toLowerCase() !== id.toLowerCase()) {
                throw new Error(`update of ${id} would move it to ${next.id}: the provider should have asked for a replacement`);
            }
            const fault = await faults.withRetries("update", urn, subscriptionId, () => faults.outcome("update", urn));
            const failed = fault?.kind === "operationFailed";
            const updated = azure.update(
                record,
                inputs,
                next.outputs,
                subscriptionId,
                failed ? operationEnd(record.type, fault) : undefined,
            );
            if (fault?.kind === "killProvider") process.kill(process.pid, "SIGKILL");
            if (failed) return failInit(callback, id, updated.outputs, inputs, operationFailure(urn));
            callback(null, new provproto.UpdateResponse().setProperties(struct(updated.outputs)));
        } catch (e) {
            fail(callback, e);
        }
    },
    async delete(call, callback) {
        try {
            // Like ARM, deleting what is already gone succeeds.
            await faults.withRetries("delete", call.request.getUrn(), subscriptionId, () => azure.delete(call.request.getId()));
            callback(null, new Empty());
        } catch (e) {
            fail(callback, e);
        }
    },
    cancel(_call, callback) {
        callback(null, new Empty());
    },
    attach(_call, callback) {
        callback(null, new Empty());
    },
};

const server = new grpc.Server({ "grpc.max_receive_message_length": 400 * 1024 * 1024 });
server.addService(ResourceProviderService, handlers);
server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) => {
    if (err) {
        process.stderr.write(`fake ${pkg}: ${err.message}\n`);
        process.exit(1);
    }
    // The engine reads the port from the first line of stdout.
    process.stdout.write(`${port}\n`);
});
