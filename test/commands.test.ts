/**
 * The commands: thin entry points in scripts/ with `main(argv)`, one parser (node:util parseArgs through
 * tools/command.ts), `--help` on every one, and the argument bugs of the hand-written parsers they replaced.
 * The libraries behind place and decommission are tested here too (the others have their own test files).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { type CommandIo, type CommandSpec, type OptionSpec, parseCommand, usage } from "../tools/command";
import { decommission } from "../tools/decommission";
import { place } from "../tools/place";
import { runStack } from "../harness/runStack";
import { accountOf } from "../harness/plan";
import { TENANT, SUB_A } from "./helpers/stack";
import * as bench from "../scripts/bench";
import * as ci from "../scripts/ci";
import * as ciComment from "../scripts/ci-comment";
import * as adoptCommand from "../scripts/adopt";
import * as decommissionCommand from "../scripts/decommission";
import * as docsConfig from "../scripts/docs-config";
import * as engineBench from "../scripts/engine-bench";
import * as engineBuild from "../scripts/engine-build";
import * as placeCommand from "../scripts/place";
import * as placementReport from "../scripts/placement-report";
import * as plan from "../scripts/plan";
import * as shards from "../scripts/shards";

/**
 * decommission runs the stack itself, and its tests compare with a run of their own: one run per stack and options
 * serves them all (the runs are deterministic; a call with other options still gets its own run).
 */
jest.mock("../harness/runStack", () => {
    const actual = jest.requireActual<typeof import("../harness/runStack")>("../harness/runStack");
    const runs = new Map<string, ReturnType<typeof actual.runStack>>();
    return {
        ...actual,
        runStack: (options: Parameters<typeof actual.runStack>[0]) => {
            const key = JSON.stringify(options);
            if (!runs.has(key)) runs.set(key, actual.runStack(options));
            return runs.get(key)!;
        },
    };
});

function capture(): { io: CommandIo; out: string[]; err: string[] } {
    const out: string[] = [];
    const err: string[] = [];
    return { io: { out: (t) => void out.push(t), err: (t) => void err.push(t) }, out, err };
}

const COMMANDS: [string, CommandSpec<Record<string, OptionSpec>>][] = [
    ["adopt", adoptCommand.SPEC],
    ["bench", bench.SPEC],
    ["ci:stacks", ci.SPEC],
    ["ci:comment", ciComment.SPEC],
    ["decommission", decommissionCommand.SPEC],
    ["docs:config", docsConfig.SPEC],
    ["bench:engine", engineBench.SPEC],
    ["engine:build", engineBuild.SPEC],
    ["place", placeCommand.SPEC],
    ["placement:report", placementReport.SPEC],
    ["plan", plan.SPEC],
    ["shards", shards.SPEC],
];

describe("every command answers --help with its options, and is a script in package.json", () => {
    const scripts = (JSON.parse(fs.readFileSync(path.join(__dirname, "..", "package.json"), "utf8")) as { scripts: Record<string, string> })
        .scripts;

    test.each(COMMANDS)("%s", (name, spec) => {
        const { io, out } = capture();
        expect(parseCommand(["--help"], spec, io)).toEqual({ exitCode: 0 });
        for (const option of [...Object.keys(spec.options), "help"]) expect(out.join("\n")).toContain(`--${option}`);
        expect(spec.run).toBe(`npm run ${name} --`);
        expect(scripts[name]).toMatch(/^ts-node --transpile-only scripts\/[\w-]+\.ts$/);
    });

    test("verify answers --help too (its own node:util parser, with validation, in tools/verify/cli.ts)", async () => {
        const { runVerify } = await import("../tools/verify/cli");
        const lines: string[] = [];
        expect(await runVerify(["--help"], { stdout: (l) => void lines.push(l), stderr: (l) => void lines.push(l) })).toBe(0);
        expect(lines.join("\n")).toMatch(/--stack NAME/);
    });
});

describe("argument parsing (the bugs of the hand-written parsers)", () => {
    test("--json=out=1.json keeps everything after the first '='", () => {
        expect(parseCommand(["--stack=dev", "--json=out=1.json"], plan.SPEC, capture().io)).toEqual({
            values: { stack: "dev", json: "out=1.json" },
        });
    });

    test("--inputs=false is a usage error, not true", () => {
        const c = capture();
        expect(parseCommand(["--stack", "dev", "--inputs=false"], plan.SPEC, c.io)).toEqual({ exitCode: 2 });
        expect(c.err.join("\n")).toMatch(/--inputs.*does not take an argument/);
    });

    test("shards --dir with no value is a usage error, not a crash", () => {
        const c = capture();
        expect(shards.main(["--stacks", "dev", "--dir"], c.io)).toBe(2);
        expect(c.err.join("\n")).toMatch(/--dir <value>' argument missing/);
    });

    test("shards --stacks --json does not take --json as a stack name", () => {
        const c = capture();
        expect(shards.main(["--stacks", "--json"], c.io)).toBe(2);
        expect(c.err.join("\n")).toMatch(/ambiguous/);
    });

    test("a misspelled option gets a suggestion and the synopsis", () => {
        const c = capture();
        expect(placeCommand.main(["--stak", "dev"], c.io)).toBe(2);
        expect(c.err.join("\n")).toBe(
            `unknown option --stak; did you mean '--stack'?\n${usage(placeCommand.SPEC).split("\n")[0]}; --help lists every option`,
        );
    });

    test("a positional argument is refused (every value belongs to an option)", () => {
        expect(parseCommand(["dev"], placeCommand.SPEC, capture().io)).toEqual({ exitCode: 2 });
    });
});

/** A project directory with one stack file. */
function project(accounts: Record<string, unknown>[]): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fhir-commands-"));
    const config = {
        "fhir-platform:location": "westeurope",
        "fhir-platform:tenantId": TENANT,
        "fhir-platform:subscriptions": [{ name: "main", subscriptionId: SUB_A }],
        "fhir-platform:accounts": accounts,
    };
    fs.writeFileSync(path.join(dir, "Pulumi.t.yaml"), yaml.dump({ config }));
    return dir;
}

test("every command that reads a stack file takes --stack as the Pulumi CLI does (<org>/<stack>), and refuses a malformed one", async () => {
    const dir = project([{ name: "contoso" }]);
    const c = capture();
    expect(placeCommand.main(["--stack", "acme/t", "--project-dir", dir], c.io)).toBe(0);
    expect(fs.existsSync(path.join(dir, "Pulumi.t.placement.json"))).toBe(true);
    expect(placeCommand.main(["--stack", "acme/fhir-platform/t", "--project-dir", dir, "--check"], c.io)).toBe(0);
    const planned: string[] = [];
    const code = await plan.main(["--stack", "acme/t", "--project-dir", dir, "--no-policies"], {
        out: (t) => void planned.push(t),
        err: () => undefined,
    });
    expect({ code, head: planned.join("").split("\n")[0] }).toEqual({
        code: 0,
        head: "Offline plan of stack 't' (real program, Pulumi SDK mock mode; no cloud calls)",
    });
    const bad = capture();
    expect(placeCommand.main(["--stack", "acme/other/t", "--project-dir", dir], bad.io)).toBe(2);
    expect(await decommissionCommand.main(["--stack", "a/b/c/d", "--account", "contoso"], bad.io)).toBe(2);
    expect(bad.err.join("\n")).toMatch(
        /--stack acme\/other\/t: project 'other' is not this project \('fhir-platform'\)[\s\S]*--stack a\/b\/c\/d: expected/,
    );
});

/** Replaces text in the test project's stack file. */
function editStack(dir: string, from: string, to: string): void {
    const file = path.join(dir, "Pulumi.t.yaml");
    fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace(from, to));
}

describe("place (tools/place.ts)", () => {
    test("writes the lock, then --check finds it up to date; a new account makes it out of date", () => {
        const dir = project([{ name: "contoso", keySize: 2048 }]);
        const written = place({ stack: "t", projectDir: dir });
        expect(written.code).toBe(0);
        expect(written.lines[0]).toMatch(/^contoso\s+subscription main\s+workspace contoso {2}\(new\)$/);
        expect(JSON.parse(fs.readFileSync(path.join(dir, "Pulumi.t.placement.json"), "utf8"))).toEqual({
            version: 1,
            accounts: {
                contoso: { subscription: "main", workspace: "contoso", keys: [{ name: "fhir-cmk", size: 2048, rotationDays: 365 }] },
            },
        });
        expect(place({ stack: "t", projectDir: dir, check: true })).toEqual({
            code: 0,
            lines: [expect.any(String), "Pulumi.t.placement.json is up to date"],
            errors: [],
        });
        editStack(dir, "keySize: 2048", "keySize: 2048\n    - name: fabrikam");
        const stale = place({ stack: "t", projectDir: dir, check: true });
        expect(stale.code).toBe(1);
        expect(stale.lines.at(-1)).toBe("Pulumi.t.placement.json is out of date: run npm run place -- --stack t");
    });

    test("a rotation interval changed after deployment is refused (exit 2) until it is recorded on purpose", () => {
        const dir = project([{ name: "contoso", keyRotationDays: 365 }]);
        place({ stack: "t", projectDir: dir });
        editStack(dir, "keyRotationDays: 365", "keyRotationDays: 90");
        const c = capture();
        expect(placeCommand.main(["--stack", "t", "--project-dir", dir], c.io)).toBe(2);
        expect(c.err.join("\n")).toMatch(/account 'contoso', field 'accounts\[0\]\.keyRotationDays': 90 differs from key 'fhir-cmk'/);
        expect(place({ stack: "t", projectDir: dir, acceptKeySettings: ["contoso"] }).code).toBe(0);
        expect(JSON.parse(fs.readFileSync(path.join(dir, "Pulumi.t.placement.json"), "utf8")).accounts.contoso.keys[0].rotationDays).toBe(
            90,
        );
    });

    test("--accept-key-settings records a rotation interval only: a key size stays refused, with both ways out", () => {
        const dir = project([{ name: "contoso", keySize: 3072 }]);
        place({ stack: "t", projectDir: dir });
        editStack(dir, "keySize: 3072", "keySize: 2048");
        const c = capture();
        expect(placeCommand.main(["--stack", "t", "--project-dir", dir, "--accept-key-settings", "contoso"], c.io)).toBe(2);
        const message = c.err.join("\n");
        expect(message).toMatch(/field 'accounts\[0\]\.keySize': 2048 differs from key 'fhir-cmk' as Azure created it \(3072 bits/);
        expect(message).toMatch(
            /set keyName to a new name \(e\.g\. fhir-cmk-2\) with keySize: 2048;.*\(docs\/keys\.md, "Changing a key's size"\)/,
        );
        expect(message).toMatch(/Never deployed \(a typo before the first pulumi up\)\? .*npm run place -- --stack t --forget contoso/);
        expect(JSON.parse(fs.readFileSync(path.join(dir, "Pulumi.t.placement.json"), "utf8")).accounts.contoso.keys[0].size).toBe(3072);
    });

    test("--forget <account>: a key-size typo before the first deployment is recorded as the config now says; only for locked accounts", () => {
        const dir = project([{ name: "contoso", keySize: 3072 }, { name: "fabrikam" }]);
        place({ stack: "t", projectDir: dir });
        editStack(dir, "keySize: 3072", "keySize: 2048");
        const c = capture();
        expect(placeCommand.main(["--stack", "t", "--project-dir", dir, "--forget", "contoso"], c.io)).toBe(0);
        expect(c.out[0]).toMatch(/^contoso\s+subscription main\s+workspace contoso {2}\(new\)$/);
        const lock = JSON.parse(fs.readFileSync(path.join(dir, "Pulumi.t.placement.json"), "utf8"));
        expect(lock.accounts.contoso.keys).toEqual([{ name: "fhir-cmk", size: 2048, rotationDays: 365 }]);
        expect(lock.accounts.fabrikam.keys).toEqual([{ name: "fhir-cmk", size: 3072, rotationDays: 365 }]);
        expect(place({ stack: "t", projectDir: dir, forget: ["globex"] })).toEqual({
            code: 2,
            lines: [],
            errors: ["--forget: 'globex' not in Pulumi.t.placement.json; it holds: contoso, fabrikam"],
        });
    });

    test("--accept-key-settings for an account the stack does not have names the accounts it has", () => {
        const dir = project([{ name: "contoso" }]);
        expect(place({ stack: "t", projectDir: dir, acceptKeySettings: ["contosso"] })).toEqual({
            code: 2,
            lines: [],
            errors: ["--accept-key-settings: no account 'contosso' in Pulumi.t.yaml; accounts: contoso"],
        });
    });
});

describe("decommission (tools/decommission.ts)", () => {
    test("lists exactly the account's protected resources, and only them, as unprotect commands", async () => {
        const steps = await decommission("dev", "tailspin");
        const run = await runStack({ stack: "dev" });
        const byUrn = new Map(run.resources.map((r) => [r.urn, r]));
        const expected = run.resources.filter((r) => r.protect && accountOf(r, byUrn) === "tailspin").map((r) => r.urn);
        expect(steps?.urns).toEqual(expected);
        expect(expected.length).toBeGreaterThan(5);
        expect(steps?.lines.filter((l) => l.startsWith("pulumi state unprotect"))).toEqual(
            expected.map((u) => `pulumi state unprotect --stack dev --yes '${u}'`),
        );
        expect(steps?.lines.join("\n")).not.toMatch(/contoso|fabrikam/);
    });

    test("--stack <org>/<stack>, as the runbook writes it: reads Pulumi.<stack>.yaml and prints commands for <org>/<stack>", async () => {
        const c = capture();
        expect(await decommissionCommand.main(["--stack", "acme/dev", "--account", "tailspin"], c.io)).toBe(0);
        const unprotect = c.out.filter((l) => l.startsWith("pulumi state unprotect"));
        expect(unprotect.length).toBeGreaterThan(5);
        for (const l of unprotect) expect(l).toMatch(/^pulumi state unprotect --stack acme\/dev --yes 'urn:pulumi:dev::fhir-platform::/);
        expect(c.out.join("\n")).toMatch(/pulumi preview --stack acme\/dev .* then pulumi up --stack acme\/dev/);
    });

    test("an account the stack does not have: nothing to print (the command exits 2)", async () => {
        expect(await decommission("dev", "nobody")).toBeUndefined();
        const c = capture();
        expect(await decommissionCommand.main(["--stack", "dev", "--account", "nobody"], c.io)).toBe(2);
        expect(c.err).toEqual(["stack 'dev' has no protected resources of account 'nobody'"]);
    });
});
