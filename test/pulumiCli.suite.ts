/**
 * `npm run pulumi` (engine/cli.ts) without the CLI: how it reads the arguments, the stack file copy it writes (never
 * the tracked file), and the environment it gives the CLI. The runs themselves: test/engine/cli.test.ts.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { EngineProject } from "../engine/harness";
import { FAKE_RBAC_WAIT_SECONDS, invocation, prepareProject, pulumiEnv, writeStackCopy } from "../engine/cli";
import { readStackConfig } from "../harness/stackFiles";

const ROOT = path.resolve(__dirname, "..");
const dirs: string[] = [];
afterAll(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), "fhir-pulumi-cli-"));
    dirs.push(d);
    return d;
}

describe("arguments", () => {
    test("--stack <org>/<stack> (and -s, --stack=) becomes the local stack; policy-pack paths resolve from the caller's directory", () => {
        expect(
            invocation(["preview", "--stack", "acme/dev", "--policy-pack", "policies", "--diff"], "/work/repo", "fhir-platform"),
        ).toEqual({
            args: ["preview", "--stack", "dev", "--policy-pack", "/work/repo/policies", "--diff"],
            command: "preview",
            stack: "dev",
        });
        expect(invocation(["--color", "never", "up", "-s=acme/fhir-platform/staging", "--yes"], "/x", "fhir-platform")).toEqual({
            args: ["--color", "never", "up", "-s=staging", "--yes"],
            command: "up",
            stack: "staging",
        });
        expect(invocation(["stack", "export", "-s", "dev", "--file=state.json"], "/tmp/w", "fhir-platform")).toEqual({
            args: ["stack", "export", "-s", "dev", "--file=/tmp/w/state.json"],
            command: "stack",
            stack: "dev",
        });
        expect(invocation(["version"], "/x", "fhir-platform")).toEqual({ args: ["version"], command: "version" });
    });

    test("a command that runs the program needs --stack; a malformed reference is refused", () => {
        expect(invocation(["preview"], "/x", "fhir-platform")).toEqual({
            error: expect.stringMatching(/^pulumi preview needs --stack <name>/),
        });
        expect(invocation(["up", "--stack", "acme/other/dev"], "/x", "fhir-platform")).toEqual({
            error: expect.stringMatching(/project 'other' is not this project/),
        });
        expect(invocation(["preview", "--stack"], "/x", "fhir-platform")).toEqual({ error: "--stack needs a stack name" });
    });
});

describe("the stack file copy", () => {
    /** A repository copy with Pulumi.yaml and a stack file that writes the RBAC wait without a namespace. */
    function repo(): string {
        const dir = tmp();
        for (const f of ["Pulumi.yaml", "Pulumi.dev.placement.json"]) fs.copyFileSync(path.join(ROOT, f), path.join(dir, f));
        const text = fs
            .readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8")
            .replace("  fhir-platform:deploy: false\n", "  fhir-platform:deploy: false\n  rbacPropagationSeconds: 600\n");
        fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), text);
        return dir;
    }

    test("reads exactly as the tracked file except a short RBAC wait; keeps the copy's salt; copies the lock; never writes the tracked file", () => {
        const source = repo();
        const tracked = fs.readFileSync(path.join(source, "Pulumi.dev.yaml"), "utf8");
        const project = tmp();
        fs.writeFileSync(path.join(project, "Pulumi.dev.yaml"), "encryptionsalt: v1:salt\nconfig: {}\n");
        writeStackCopy("dev", project, source);
        const copy = readStackConfig("dev", project);
        expect(copy).toEqual({
            ...readStackConfig("dev", source),
            "fhir-platform:rbacPropagationSeconds": String(FAKE_RBAC_WAIT_SECONDS),
        });
        expect(readStackConfig("dev", source)["fhir-platform:rbacPropagationSeconds"]).toBe("600");
        expect(fs.readFileSync(path.join(project, "Pulumi.dev.yaml"), "utf8")).toMatch(/^encryptionsalt: v1:salt$/m);
        expect(fs.readFileSync(path.join(project, "Pulumi.dev.placement.json"), "utf8")).toBe(
            fs.readFileSync(path.join(source, "Pulumi.dev.placement.json"), "utf8"),
        );
        expect(fs.readFileSync(path.join(source, "Pulumi.dev.yaml"), "utf8")).toBe(tracked);
        // A lock removed from the repository is removed from the copy.
        fs.rmSync(path.join(source, "Pulumi.dev.placement.json"));
        writeStackCopy("dev", project, source);
        expect(fs.existsSync(path.join(project, "Pulumi.dev.placement.json"))).toBe(false);
    });

    test("a tracked file the offline tools refuse is refused here too, before the CLI runs", () => {
        const source = repo();
        fs.appendFileSync(path.join(source, "Pulumi.dev.yaml"), "  placement: shared\n");
        expect(() => writeStackCopy("dev", tmp(), source)).toThrow(/'fhir-platform:placement' and 'placement' are one key/);
    });

    test("the project copy links the program and the policy pack and copies the files the CLI reads", () => {
        const dir = prepareProject(tmp());
        expect(fs.readlinkSync(path.join(dir, "components"))).toBe(path.join(ROOT, "components"));
        expect(fs.readlinkSync(path.join(dir, "policies"))).toBe(path.join(ROOT, "policies"));
        expect(fs.readFileSync(path.join(dir, "Pulumi.yaml"), "utf8")).toBe(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8"));
    });
});

test("the environment: the engine tests' (local backend, passphrase, no plugin downloads); no checkpoints for a preview only", () => {
    const project = EngineProject.open(prepareProject(tmp()), "dev");
    const preview = pulumiEnv(project, "preview", {});
    expect(preview).toMatchObject({
        PULUMI_BACKEND_URL: `file://${project.stateDir}`,
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        FHIR_FAKE_ARM_DIR: project.armDir,
        PULUMI_SKIP_CHECKPOINTS: "true",
    });
    expect(preview.PULUMI_CONFIG_PASSPHRASE).toEqual(expect.any(String));
    // Interactive for a person at a terminal (the engine tests set CI=true); CI keeps its own value.
    expect(preview.CI).toBeUndefined();
    expect(pulumiEnv(project, "up", { CI: "true" })).toMatchObject({ CI: "true" });
    expect(pulumiEnv(project, "up", {}).PULUMI_SKIP_CHECKPOINTS).toBeUndefined();
});
