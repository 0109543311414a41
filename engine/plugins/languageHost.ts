/**
 * A minimal Node.js language host (`pulumi-language-nodejs`) for the Pulumi CLI built from Go modules: the real
 * one's Go module (`github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3`) is not served by the Go
 * module proxy these machines reach.
 *
 *   node languageHost.js [flags…] <engine address>
 *
 * It implements the LanguageRuntime gRPC service with the generated protos in `@pulumi/pulumi/proto` and starts the
 * program exactly as the real host does: `node @pulumi/pulumi/cmd/run` (resolved from the program's directory) with
 * --monitor, --engine, --organization, --project, --root-directory, --stack, --pwd, --dry-run, --parallel and the
 * entry point, config in PULUMI_CONFIG and PULUMI_CONFIG_SECRET_KEYS, `typescript`/`tsconfig`/`nodeargs` runtime
 * options as PULUMI_NODEJS_TYPESCRIPT, PULUMI_NODEJS_TSCONFIG_PATH and node arguments. Policy packs run through
 * RunPlugin as `node @pulumi/pulumi/cmd/run-policy-pack <args…> <pack dir>` in the pack's directory.
 *
 * Differences from the real host (README, "Real-engine tests"): no package-manager work (InstallDependencies
 * does nothing: `npm ci` installs), no debugger attach, no About/GetProgramDependencies/codegen/Pack/Link, no Bun,
 * and policy packs do not get the stack's config in PULUMI_CONFIG (the real host proxies the analyzer's first
 * ConfigureStack call for that; this project's pack reads only its policy config, which it gets either way).
 */
import * as childProcess from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { type ILanguageRuntimeServer, LanguageRuntimeService } from "@pulumi/pulumi/proto/language_grpc_pb";
import * as langproto from "@pulumi/pulumi/proto/language_pb";
import { PackageDependency, PluginDependency, PluginInfo } from "@pulumi/pulumi/proto/plugin_pb";

/** The exit code with which `@pulumi/pulumi/cmd/run` says it already reported the error to the user. */
const ALREADY_REPORTED = 32;

const positional = process.argv.slice(2).filter((a) => !a.startsWith("-"));
let engineAddress = positional[positional.length - 1] ?? "";

interface RuntimeOptions {
    typescript: boolean;
    tsconfig?: string;
    nodeargs: string[];
}

function runtimeOptions(info: langproto.ProgramInfo | undefined): RuntimeOptions {
    const o = (info?.getOptions()?.toJavaScript() ?? {}) as Record<string, unknown>;
    return {
        // TypeScript is on unless the project turns it off, as in the real host.
        typescript: o.typescript !== false && o.typescript !== "false",
        ...(typeof o.tsconfig === "string" && o.tsconfig ? { tsconfig: o.tsconfig } : {}),
        nodeargs: typeof o.nodeargs === "string" ? o.nodeargs.split(/\s+/).filter(Boolean) : [],
    };
}

/** Resolves a module the way `node -e "require.resolve(m)"` run in `dir` would. */
function resolveFrom(dir: string, mod: string): string {
    return require.resolve(mod, { paths: [dir] });
}

interface FoundPackage {
    name: string;
    version: string;
    server?: string;
}

/**
 * Resource plugins the program needs: every installed package whose package.json says `"pulumi": { "resource": true }`
 * (name and version from that block, else the package's own, `@pulumi/` dropped), searched through `node_modules`
 * from the program's directory upwards, as Node would resolve them.
 */
export function findResourcePackages(programDir: string): FoundPackage[] {
    const found = new Map<string, FoundPackage>();
    const seen = new Set<string>();
    const visit = (dir: string) => {
        let real: string;
        try {
            real = fs.realpathSync(dir);
        } catch {
            return;
        }
        if (seen.has(real)) return;
        seen.add(real);
        for (const entry of fs.readdirSync(real, { withFileTypes: true })) {
            if (entry.name.startsWith(".")) continue;
            const full = path.join(real, entry.name);
            if (entry.name.startsWith("@")) {
                visit(full);
                continue;
            }
            const manifest = path.join(full, "package.json");
            if (!fs.existsSync(manifest)) continue;
            const pkg = JSON.parse(fs.readFileSync(manifest, "utf8")) as {
                name?: string;
                version?: string;
                pulumi?: { resource?: boolean; name?: string; version?: string; server?: string };
            };
            if (pkg.pulumi?.resource === true && pkg.name) {
                const name = pkg.pulumi.name ?? pkg.name.replace(/^@pulumi\//, "").replace(/^@/, "");
                const version = (pkg.pulumi.version ?? pkg.version ?? "").replace(/^v/, "");
                found.set(`${name}@${version}`, { name, version, ...(pkg.pulumi.server ? { server: pkg.pulumi.server } : {}) });
            }
            const nested = path.join(full, "node_modules");
            if (fs.existsSync(nested)) visit(nested);
        }
    };
    for (let dir = path.resolve(programDir); ; dir = path.dirname(dir)) {
        const nm = path.join(dir, "node_modules");
        if (fs.existsSync(nm)) visit(nm);
        if (path.dirname(dir) === dir) break;
    }
    return [...found.values()].sort((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version));
}

function programDirOf(info: langproto.ProgramInfo | undefined, fallback: string): string {
    return info?.getProgramDirectory() || fallback || process.cwd();
}

/** `K=V` lines (later ones win) → an environment object. */
function envFromList(list: string[]): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {};
    for (const line of list) {
        const eq = line.indexOf("=");
        if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
    }
    return env;
}

/** The program's command line, as the real host builds it. */
export function runArguments(req: langproto.RunRequest, runPath: string, engine: string): string[] {
    const args = [runPath];
    const add = (flag: string, value: string | number | undefined) => {
        if (value !== undefined && value !== "" && value !== 0) args.push(`--${flag}`, String(value));
    };
    add("monitor", req.getMonitorAddress());
    add("engine", engine);
    add("organization", req.getOrganization());
    add("project", req.getProject());
    add("root-directory", req.getInfo()?.getRootDirectory());
    add("stack", req.getStack());
    add("pwd", req.getPwd());
    if (req.getDryrun()) args.push("--dry-run");
    add("parallel", req.getParallel());
    args.push(req.getInfo()?.getEntryPoint() || req.getProgram() || ".");
    args.push(...req.getArgsList());
    return args;
}

type Handlers = Pick<
    ILanguageRuntimeServer,
    | "handshake"
    | "getRequiredPlugins"
    | "getRequiredPackages"
    | "run"
    | "getPluginInfo"
    | "installDependencies"
    | "runPlugin"
    | "about"
    | "cancel"
>;

const handlers: Handlers = {
    handshake(call, callback) {
        if (call.request.getEngineAddress()) engineAddress = call.request.getEngineAddress();
        callback(null, new langproto.LanguageHandshakeResponse());
    },
    getRequiredPlugins(call, callback) {
        try {
            const dir = programDirOf(call.request.getInfo(), call.request.getProgram());
            const plugins = findResourcePackages(dir).map((p) => {
                const d = new PluginDependency().setName(p.name).setKind("resource").setVersion(`v${p.version}`);
                return p.server ? d.setServer(p.server) : d;
            });
            callback(null, new langproto.GetRequiredPluginsResponse().setPluginsList(plugins));
        } catch (e) {
            callback({ code: grpc.status.INTERNAL, details: (e as Error).message });
        }
    },
    getRequiredPackages(call, callback) {
        try {
            const dir = programDirOf(call.request.getInfo(), "");
            const packages = findResourcePackages(dir).map((p) => {
                const d = new PackageDependency().setName(p.name).setKind("resource").setVersion(`v${p.version}`);
                return p.server ? d.setServer(p.server) : d;
            });
            callback(null, new langproto.GetRequiredPackagesResponse().setPackagesList(packages));
        } catch (e) {
            callback({ code: grpc.status.INTERNAL, details: (e as Error).message });
        }
    },
    run(call, callback) {
        const req = call.request;
        const programDir = programDirOf(req.getInfo(), req.getPwd());
        let runPath: string;
        try {
            runPath = resolveFrom(programDir, "@pulumi/pulumi/cmd/run");
        } catch {
            callback(
                null,
                new langproto.RunResponse().setError(
                    "It looks like the Pulumi SDK has not been installed. Have you run npm install or yarn install?",
                ),
            );
            return;
        }
        const options = runtimeOptions(req.getInfo());
        const config: Record<string, string> = {};
        req.getConfigMap().forEach((value, key) => {
            config[key] = value;
        });
        const env: NodeJS.ProcessEnv = {
            ...process.env,
            PULUMI_CONFIG: JSON.stringify(config),
            PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(req.getConfigsecretkeysList()),
            ...(options.typescript ? { PULUMI_NODEJS_TYPESCRIPT: "true" } : {}),
            ...(options.tsconfig ? { PULUMI_NODEJS_TSCONFIG_PATH: options.tsconfig } : {}),
        };
        const child = childProcess.spawn(process.execPath, [...options.nodeargs, ...runArguments(req, runPath, engineAddress)], {
            cwd: req.getPwd() || programDir,
            env,
            stdio: ["ignore", "inherit", "inherit"],
        });
        let answered = false;
        child.on("error", (e) => {
            if (answered) return;
            answered = true;
            callback(
                null,
                new langproto.RunResponse().setError(`Problem executing program (could not run language executor): ${e.message}`),
            );
        });
        child.on("exit", (code, signal) => {
            if (answered) return;
            answered = true;
            const resp = new langproto.RunResponse();
            if (code === ALREADY_REPORTED) resp.setBail(true);
            else if (code !== 0)
                resp.setError(code === null ? `Program exited unexpectedly: ${signal}` : `Program exited with non-zero exit code: ${code}`);
            callback(null, resp);
        });
    },
    getPluginInfo(_call, callback) {
        // The version of the SDK this host runs programs with (the one installed beside it).
        const sdk = JSON.parse(fs.readFileSync(resolveFrom(__dirname, "@pulumi/pulumi/package.json"), "utf8")) as { version: string };
        callback(null, new PluginInfo().setVersion(sdk.version));
    },
    installDependencies(call) {
        // `npm ci` installs the project and the policy pack (an npm workspace): nothing to do here.
        call.write(new langproto.InstallDependenciesResponse().setStdout(Buffer.from("dependencies are installed by npm ci\n")));
        call.end();
    },
    runPlugin(call) {
        const req = call.request;
        const info = req.getInfo();
        const dir = programDirOf(info, req.getPwd());
        const options = runtimeOptions(info);
        const analyzer = req.getKind() === "analyzer";
        let runPath: string;
        try {
            runPath = resolveFrom(dir, analyzer ? "@pulumi/pulumi/cmd/run-policy-pack" : "@pulumi/pulumi/cmd/run-plugin");
        } catch (e) {
            call.destroy(
                Object.assign(new Error(`could not find @pulumi/pulumi from ${dir}: ${(e as Error).message}`), {
                    code: grpc.status.FAILED_PRECONDITION,
                }),
            );
            return;
        }
        // Policy packs take their directory last; other plugins first (as the real host does).
        const args = analyzer ? [...req.getArgsList(), dir] : [dir, ...req.getArgsList()];
        const env = {
            ...envFromList(req.getEnvList()),
            ...(options.typescript ? { PULUMI_NODEJS_TYPESCRIPT: "true" } : {}),
            ...(options.tsconfig ? { PULUMI_NODEJS_TSCONFIG_PATH: options.tsconfig } : {}),
        };
        const child = childProcess.spawn(process.execPath, [runPath, ...options.nodeargs, ...args], {
            cwd: analyzer ? dir : req.getPwd() || dir,
            env,
            stdio: ["ignore", "pipe", "pipe"],
        });
        child.stdout.on("data", (chunk: Buffer) => call.write(new langproto.RunPluginResponse().setStdout(chunk)));
        child.stderr.on("data", (chunk: Buffer) => call.write(new langproto.RunPluginResponse().setStderr(chunk)));
        // The engine cancels the stream to stop the plugin.
        call.on("cancelled", () => child.kill());
        child.on("close", (code) => {
            if (!call.cancelled) {
                call.write(new langproto.RunPluginResponse().setExitcode(code ?? 1));
                call.end();
            }
        });
    },
    about(_call, callback) {
        callback(null, new langproto.AboutResponse().setExecutable(process.execPath).setVersion(process.version));
    },
    cancel(_call, callback) {
        callback(null, new Empty());
    },
};

if (require.main === module) {
    // It does not outlive the engine that started it: an engine killed mid-run (a cancelled job) leaves no host behind.
    const parent = process.ppid;
    setInterval(() => {
        if (process.ppid !== parent) process.exit(0);
    }, 500).unref();
    const server = new grpc.Server({ "grpc.max_receive_message_length": 400 * 1024 * 1024 });
    server.addService(LanguageRuntimeService, handlers);
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) => {
        if (err) {
            process.stderr.write(`pulumi-language-nodejs: ${err.message}\n`);
            process.exit(1);
        }
        process.stdout.write(`${port}\n`);
    });
}
