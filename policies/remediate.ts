/**
 * Answers the CLI's Remediate call without decoding the resource, while no policy of the pack can remediate.
 *
 * Before it analyzes a resource, the CLI asks every policy pack to remediate it: one `Remediate` RPC per resource and
 * pack, carrying all of the resource's inputs, whatever the pack holds (pkg/v3 resource/deploy/step_generator.go,
 * "First pass: perform remediations sequentially", CLI v3.274.1). @pulumi/policy's handler decodes the request and
 * deserializes every property before it looks at a policy (server.js, makeRemediateRpcFun, v1.21.0). Its answer is
 * empty unless some policy's enforcement level is "remediate": the level configured for it (`configure` RPC, from
 * `--policy-pack-config`), else its own, else the pack's. This pack has no policy at that level (and no
 * `remediateResource`), so the answer is always empty, and the decoding is paid for nothing: it is part of the pack's
 * work per resource, and the engine's step generation waits for it (BENCHMARKS.md, finding 7).
 *
 * `skipIdleRemediate()` wraps @pulumi/policy's `serve` (called by `new PolicyPack`) so that the analyzer service's
 * Remediate request is kept undecoded and answered empty as long as no level is "remediate": not the pack's, not a
 * policy's own, not one configured. Once one is, @pulumi/policy's own handler answers, on the request decoded then, as
 * it would without this. Every other RPC is @pulumi/policy's own. Set FHIR_PLATFORM_POLICY_FULL_REMEDIATE=1 to keep
 * @pulumi/policy's handler for every call. policies/analyzer.js installs it before the pack is constructed.
 */

/** The part of a policy this reads (@pulumi/policy's Policy). */
interface PolicyShape {
    enforcementLevel?: string;
}

/** @pulumi/policy's server module: `serve`, internal (its declarations export nothing), checked at run time. */
interface PolicyServer {
    serve: (name: string, version: string, level: string, args: { policies?: PolicyShape[] }, ...rest: unknown[]) => void;
}

type Callback = (error: Error | null, response?: unknown) => void;
type Handler = (call: { request: unknown }, callback: Callback) => unknown;

/** A method of a gRPC service definition (@grpc/grpc-js MethodDefinition), as generated for analyzer.proto. */
interface MethodDefinition {
    requestDeserialize: (bytes: Buffer) => unknown;
    responseType: new () => unknown;
}

interface ConfigureRequest {
    getPolicyconfigMap(): { entries(): Iterable<[string, { getEnforcementlevel(): number }]> };
}

/** The modules this works on, as the pack's process (or a test's fresh module registry) loads them. */
interface RemediateModules {
    server: PolicyServer;
    grpcServer: { prototype: { addService(service: object, implementation: object): void } };
    analyzerService: { remediate: MethodDefinition };
    remediateLevel: number;
}

function packModules(): RemediateModules {
    return {
        server: require("@pulumi/policy/server") as PolicyServer,
        grpcServer: (require("@grpc/grpc-js") as typeof import("@grpc/grpc-js")).Server,
        analyzerService: require("@pulumi/pulumi/proto/analyzer_grpc_pb").AnalyzerService,
        remediateLevel: require("@pulumi/pulumi/proto/analyzer_pb").EnforcementLevel.REMEDIATE,
    };
}

/** Whether @pulumi/policy's handler is wanted for every Remediate call. */
export function fullRemediateWanted(env: NodeJS.ProcessEnv = process.env): boolean {
    return env.FHIR_PLATFORM_POLICY_FULL_REMEDIATE === "1";
}

/**
 * Installs the wrapper (see above) once per module instance. Returns whether it is installed: false when it is not
 * wanted, or when @pulumi/policy no longer has the internal `serve`.
 */
export function skipIdleRemediate(env: NodeJS.ProcessEnv = process.env): boolean {
    if (fullRemediateWanted(env)) return false;
    const { server, grpcServer, analyzerService, remediateLevel } = packModules();
    if (typeof server.serve !== "function") return false;
    const serve = server.serve as PolicyServer["serve"] & { idleRemediate?: true };
    if (serve.idleRemediate) return true;
    const wrapped: PolicyServer["serve"] = function (this: unknown, name, version, level, args, ...rest) {
        const declared = level === "remediate" || (args?.policies ?? []).some((p) => p.enforcementLevel === "remediate");
        const addService = grpcServer.prototype.addService;
        // `serve` adds the analyzer service right away: wrap that one call.
        grpcServer.prototype.addService = function (service, implementation) {
            grpcServer.prototype.addService = addService;
            if (service !== analyzerService) return addService.call(this, service, implementation);
            const handlers = implementation as Record<"remediate" | "configure", Handler>;
            const decode = analyzerService.remediate.requestDeserialize;
            let configured = false;
            const keepBytes = (bytes: Buffer) => ({ bytes });
            return addService.call(
                this,
                { ...analyzerService, remediate: { ...analyzerService.remediate, requestDeserialize: keepBytes } },
                {
                    ...implementation,
                    configure(call: { request: ConfigureRequest }, callback: Callback) {
                        configured = [...call.request.getPolicyconfigMap().entries()].some(
                            ([, config]) => config.getEnforcementlevel() === remediateLevel,
                        );
                        return handlers.configure(call, callback);
                    },
                    remediate(call: { request: unknown }, callback: Callback) {
                        if (!declared && !configured) return callback(null, new analyzerService.remediate.responseType());
                        call.request = decode((call.request as ReturnType<typeof keepBytes>).bytes);
                        return handlers.remediate(call, callback);
                    },
                },
            );
        };
        return serve.call(this, name, version, level, args, ...rest);
    };
    server.serve = Object.assign(wrapped, { idleRemediate: true as const });
    return true;
}
