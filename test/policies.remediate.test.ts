/**
 * policies/remediate.ts over real gRPC, as the CLI calls the pack: the Remediate call is answered empty without
 * decoding its request while no policy can remediate, and by @pulumi/policy's own handler, with the same answer as
 * without the skip, as soon as one can (a level configured or declared "remediate", a policy with remediateResource).
 */
import type * as grpcTypes from "@grpc/grpc-js";
import { fullRemediateWanted, skipIdleRemediate } from "../policies/remediate";

interface Policy {
    name: string;
    description: string;
    enforcementLevel: string;
    validateResource?: (args: { props: Record<string, unknown> }, report: (message: string) => void) => void;
    remediateResource?: (args: { props: Record<string, unknown> }) => Record<string, unknown> | undefined;
}

type Message = { serializeBinary(): Uint8Array } & Record<string, (...args: never[]) => unknown>;

interface Pack {
    /** Sends a Remediate call for one resource; returns the response as bytes and as an object. */
    remediate(props: Record<string, unknown>): Promise<{ bytes: string; remediations: unknown[]; notApplicable: unknown[] }>;
    /** Sends a Configure call that sets `level` (an EnforcementLevel name) for the named policy. */
    configure(policy: string, level: "ADVISORY" | "REMEDIATE"): Promise<void>;
    /** Sends an Analyze call; returns what each violation reported. */
    analyze(props: Record<string, unknown>): Promise<string[]>;
    /** How many Remediate requests were decoded. */
    decoded(): number;
    stop(): void;
}

const noTag: Policy = {
    name: "tagged",
    description: "Storage accounts carry an owner tag.",
    enforcementLevel: "advisory",
    validateResource: (args, report) => {
        if (!(args.props.tags as Record<string, string> | undefined)?.owner) report("no owner tag");
    },
};

/**
 * Serves `policies` as the pack's process does, in a fresh module registry (@pulumi/policy serves one pack per
 * process), after skipIdleRemediate(env) unless env is undefined; returns a client.
 */
async function startPack(policies: Policy[], env: NodeJS.ProcessEnv | undefined, packLevel = "advisory"): Promise<Pack> {
    let modules!: {
        grpc: typeof grpcTypes;
        server: { serve(...args: unknown[]): void };
        rpc: {
            AnalyzerService: { remediate: { requestDeserialize(b: Buffer): unknown } };
            AnalyzerClient: grpcTypes.ServiceClientConstructor;
        };
        pb: Record<string, (new () => Message) & Record<string, unknown>>;
        struct: { Struct: { fromJavaScript(v: unknown): unknown } };
    };
    let decodes = 0;
    jest.isolateModules(() => {
        modules = {
            grpc: require("@grpc/grpc-js"),
            server: require("@pulumi/policy/server"),
            rpc: require("@pulumi/pulumi/proto/analyzer_grpc_pb"),
            pb: require("@pulumi/pulumi/proto/analyzer_pb"),
            struct: require("google-protobuf/google/protobuf/struct_pb"),
        };
        const remediate = modules.rpc.AnalyzerService.remediate;
        const decode = remediate.requestDeserialize;
        remediate.requestDeserialize = (bytes: Buffer) => {
            decodes++;
            return decode(bytes);
        };
        if (env) expect(skipIdleRemediate(env)).toBe(!fullRemediateWanted(env));
    });
    const { grpc, server, rpc, pb, struct } = modules;
    let served: grpcTypes.Server | undefined;
    const bind = grpc.Server.prototype.bindAsync;
    grpc.Server.prototype.bindAsync = function (this: grpcTypes.Server, ...args: Parameters<typeof bind>) {
        served = this;
        return bind.apply(this, args);
    };
    const log = jest.spyOn(console, "log").mockImplementation(() => undefined);
    const port = await new Promise<string>((resolve) => {
        log.mockImplementation((p: string) => resolve(p));
        server.serve("test-pack", "1.0.0", packLevel, { policies });
    });
    log.mockRestore();
    const client = new rpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    type Unary = (req: unknown, cb: (e: Error | null, r: Message) => void) => void;
    const methods = client as unknown as Record<string, Unary>;
    const call = (method: string, req: unknown) =>
        new Promise<Message>((resolve, reject) => methods[method].call(client, req, (e, r) => (e ? reject(e) : resolve(r))));
    const request = (props: Record<string, unknown>) => {
        const req = new pb.AnalyzeRequest();
        req.setType("azure-native:storage:StorageAccount" as never);
        req.setName("export" as never);
        req.setUrn("urn:pulumi:dev::fhir-platform::azure-native:storage:StorageAccount::export" as never);
        req.setProperties(struct.Struct.fromJavaScript(props) as never);
        req.setOptions(new pb.AnalyzerResourceOptions() as never);
        return req;
    };
    return {
        async remediate(props) {
            const r = await call("remediate", request(props));
            return {
                bytes: Buffer.from(r.serializeBinary()).toString("base64"),
                remediations: (r.getRemediationsList() as Message[]).map((x) => ({
                    policyName: x.getPolicyname(),
                    properties: (x.getProperties() as { toJavaScript(): unknown } | undefined)?.toJavaScript(),
                })),
                notApplicable: (r.getNotApplicableList() as Message[]).map((x) => x.toObject()),
            };
        },
        async configure(policy, level) {
            const config = new pb.PolicyConfig();
            config.setEnforcementlevel(pb.EnforcementLevel[level] as never);
            config.setProperties(struct.Struct.fromJavaScript({}) as never);
            const req = new pb.ConfigureAnalyzerRequest();
            (req.getPolicyconfigMap() as unknown as Map<string, unknown>).set(policy, config);
            await call("configure", req);
        },
        async analyze(props) {
            const r = await call("analyze", request(props));
            // Each message is the policy's description, a newline, and what it reported.
            return (r.getDiagnosticsList() as Message[]).map((d) => (d.getMessage() as string).split("\n").pop() as string);
        },
        decoded: () => decodes,
        stop: () => {
            grpc.Server.prototype.bindAsync = bind;
            client.close();
            served?.forceShutdown();
        },
    };
}

const packs: Pack[] = [];
async function pack(policies: Policy[], env: NodeJS.ProcessEnv | undefined, packLevel?: string): Promise<Pack> {
    const p = await startPack(policies, env, packLevel);
    packs.push(p);
    return p;
}
afterEach(() => {
    for (const p of packs.splice(0)) p.stop();
});

const untagged = { name: "export", tags: {} };

test("a pack that cannot remediate answers Remediate empty without decoding the request; Analyze is unchanged", async () => {
    const skipped = await pack([noTag], {});
    const full = await pack([noTag], undefined);
    const answer = await skipped.remediate(untagged);
    expect(answer).toEqual(await full.remediate(untagged));
    expect(answer).toEqual({ bytes: "", remediations: [], notApplicable: [] });
    expect(skipped.decoded()).toBe(0);
    expect(full.decoded()).toBe(1);
    expect(await skipped.analyze(untagged)).toEqual(["no owner tag"]);
    expect(await skipped.analyze({ tags: { owner: "platform" } })).toEqual([]);
});

test("once a policy is configured to remediate, @pulumi/policy's handler answers, as it does without the skip", async () => {
    const skipped = await pack([noTag], {});
    const full = await pack([noTag], undefined);
    for (const p of [skipped, full]) await p.configure("tagged", "REMEDIATE");
    const answer = await skipped.remediate(untagged);
    expect(answer).toEqual(await full.remediate(untagged));
    expect(answer.notApplicable).toEqual([{ policyName: "tagged", reason: "Policy does not implement remediateResource" }]);
    expect(skipped.decoded()).toBe(1);
    // Configured back to advisory: skipped again.
    await skipped.configure("tagged", "ADVISORY");
    expect((await skipped.remediate(untagged)).notApplicable).toEqual([]);
    expect(skipped.decoded()).toBe(1);
});

test("a level declared remediate (pack or policy) and a policy with remediateResource keep @pulumi/policy's handler", async () => {
    const declaredPolicy = await pack([{ ...noTag, enforcementLevel: "remediate" }], {});
    expect((await declaredPolicy.remediate(untagged)).notApplicable).toEqual([
        { policyName: "tagged", reason: "Policy does not implement remediateResource" },
    ]);
    const declaredPack = await pack([{ ...noTag, enforcementLevel: "" }], {}, "remediate");
    expect((await declaredPack.remediate(untagged)).notApplicable).toHaveLength(1);

    const addOwner: Policy = {
        ...noTag,
        enforcementLevel: "remediate",
        remediateResource: (args) => ({ ...args.props, tags: { owner: "platform" } }),
    };
    const remediating = await pack([addOwner], {});
    const answer = await remediating.remediate(untagged);
    expect(answer.remediations).toEqual([{ policyName: "tagged", properties: { name: "export", tags: { owner: "platform" } } }]);
    expect(remediating.decoded()).toBe(1);
});

test("FHIR_PLATFORM_POLICY_FULL_REMEDIATE=1 keeps @pulumi/policy's handler for every call", async () => {
    expect(fullRemediateWanted({ FHIR_PLATFORM_POLICY_FULL_REMEDIATE: "1" })).toBe(true);
    expect(fullRemediateWanted({})).toBe(false);
    const full = await pack([noTag], { FHIR_PLATFORM_POLICY_FULL_REMEDIATE: "1" });
    expect((await full.remediate(untagged)).remediations).toEqual([]);
    expect(full.decoded()).toBe(1);
});

test("policies/analyzer.js installs it: the pack, started as the CLI starts it, answers a Remediate it cannot decode", async () => {
    const childProcess = require("node:child_process") as typeof import("node:child_process");
    const path = require("node:path") as typeof import("node:path");
    const grpc = require("@grpc/grpc-js") as typeof grpcTypes;
    // What the CLI runs for a Node.js policy pack (engine/bin/pulumi-analyzer-policy): engine address, then the pack.
    const pack = childProcess.spawn(
        process.execPath,
        [require.resolve("@pulumi/pulumi/cmd/run-policy-pack"), "127.0.0.1:1", path.join(__dirname, "..", "policies")],
        { stdio: ["ignore", "pipe", "inherit"] },
    );
    try {
        const port = await new Promise<string>((resolve, reject) => {
            pack.stdout.once("data", (d: Buffer) => resolve(d.toString().trim()));
            pack.once("exit", (code) => reject(new Error(`the pack exited (${code})`)));
        });
        const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
        const send = (method: string) =>
            new Promise<Buffer>((resolve, reject) =>
                client.makeUnaryRequest(
                    `/pulumirpc.Analyzer/${method}`,
                    (b: Buffer) => b,
                    (b: Buffer) => b,
                    Buffer.from([0xff, 0xff, 0xff]), // not an AnalyzeRequest
                    (e, r) => (e ? reject(e) : resolve(r as Buffer)),
                ),
            );
        try {
            expect((await send("Remediate")).length).toBe(0); // an empty RemediateResponse
            await expect(send("Analyze")).rejects.toThrow(); // @pulumi/policy's own handler decodes
        } finally {
            client.close();
        }
    } finally {
        pack.kill();
    }
});
