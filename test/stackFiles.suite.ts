/**
 * Stack files are read the way the Pulumi CLI reads them (harness/stackFiles.ts), or refused: the offline plan, place,
 * shards and ci:stacks must see the config map `pulumi up` hands the program. The real CLI agreeing with the plan on
 * such a stack is checked in test/engine/config.test.ts.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ConfigValidationError } from "../config";
import { cliConfigKey, parseStackRef, readStackConfig } from "../harness/stackFiles";
import { main as planMain } from "../scripts/plan";
import { stackInfo } from "../tools/ci";
import { TENANT, SUB_A } from "./helpers/stack";

const BASE = `  fhir-platform:location: westeurope
  fhir-platform:tenantId: ${TENANT}
  fhir-platform:subscriptions:
    - name: main
      subscriptionId: ${SUB_A}
  fhir-platform:accounts:
    - name: contoso
`;

const dirs: string[] = [];
afterAll(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** A directory with `Pulumi.t.yaml` holding `config:` with these lines (and, unless given, the repository's Pulumi.yaml). */
function stackDir(configLines: string, extra = "", projectYaml?: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fhir-stackfiles-"));
    dirs.push(dir);
    fs.writeFileSync(path.join(dir, "Pulumi.t.yaml"), `${extra}config:\n${configLines}`);
    if (projectYaml !== undefined) fs.writeFileSync(path.join(dir, "Pulumi.yaml"), projectYaml);
    return dir;
}

function problems(dir: string): string[] {
    try {
        readStackConfig("t", dir);
    } catch (e) {
        if (e instanceof ConfigValidationError) return e.problems.map((p) => `${p.path}: ${p.message}`);
        throw e;
    }
    throw new Error("expected the stack file to be refused");
}

describe("keys, as the CLI names them", () => {
    test("a key without a namespace takes the project's; pulumi: and other namespaces are kept; ns:config:name is ns:name", () => {
        const map = readStackConfig(
            "t",
            stackDir(
                `${BASE}  protectStatefulResources: false\n  placement: shared\n  pulumi:disable-default-providers: [azure-native]\n` +
                    "  azure-native:location: westeurope\n  fhir-platform:config:rbacPropagationSeconds: 5\n",
            ),
        );
        expect(map).toMatchObject({
            "fhir-platform:protectStatefulResources": "false",
            "fhir-platform:placement": "shared",
            "pulumi:disable-default-providers": '["azure-native"]',
            "azure-native:location": "westeurope",
            "fhir-platform:rbacPropagationSeconds": "5",
        });
        expect(Object.keys(map).filter((k) => !k.includes(":"))).toEqual([]);
    });

    test("the namespace of a bare key is the project's name from Pulumi.yaml, not a fixed string", () => {
        const dir = stackDir("  placement: shared\n", "", "name: other-project\nruntime: nodejs\n");
        expect(readStackConfig("t", dir)).toEqual({ "other-project:placement": "shared" });
        expect(cliConfigKey("a:b:c", "p")).toEqual({ error: expect.stringContaining("<namespace>:<name>") });
        expect(cliConfigKey("a:config:c", "p")).toBe("a:c");
    });

    test("CI reads deploy: false written without a namespace as the CLI does: the example stack is never deployed", () => {
        const map = readStackConfig("t", stackDir(`${BASE}  deploy: false\n  environment: staging\n`));
        expect(stackInfo("t", map)).toEqual({ stack: "t", environment: "staging", deploy: false });
    });
});

describe("what the CLI would apply differently is refused, every problem at once", () => {
    test("two spellings of one key, a key the CLI cannot parse, an empty value, a secret and ESC environments", () => {
        const dir = stackDir(
            `${BASE}  placement: shared\n  fhir-platform:placement: dedicated\n  a:b:c: 1\n  tags:\n  fhir-platform:logAnalytics:\n` +
                "    workspaceId:\n      secure: v1:abc\n",
            "environment:\n  - fhir/staging\n",
        );
        expect(problems(dir)).toEqual([
            expect.stringMatching(/^environment: imports Pulumi ESC environments/),
            expect.stringMatching(/^fhir-platform:placement: 'placement' and 'fhir-platform:placement' are one key to the Pulumi CLI/),
            expect.stringMatching(/^a:b:c: the Pulumi CLI refuses this key/),
            expect.stringMatching(/^tags: has no value/),
            expect.stringMatching(/^fhir-platform:logAnalytics\.workspaceId: is a secret/),
        ]);
    });

    test("the plan refuses such a stack with exit code 2 before planning anything", async () => {
        const dir = stackDir(`${BASE}  placement: shared\n  fhir-platform:placement: dedicated\n`);
        const err: string[] = [];
        const code = await planMain(["--stack", "t", "--project-dir", dir, "--no-policies"], {
            out: () => undefined,
            err: (t) => void err.push(t),
        });
        expect(code).toBe(2);
        expect(err.join("\n")).toMatch(/Pulumi\.t\.yaml, read as the Pulumi CLI reads it, has 1 problem/);
    });
});

describe("values, as the CLI passes them", () => {
    test("strings as written, numbers and booleans as JSON, maps with sorted keys, timestamps as text, merge keys merged", () => {
        const map = readStackConfig(
            "t",
            stackDir(
                `${BASE}  fhir-platform:tags: &t\n    zeta: "1"\n    alpha: 2026-01-01\n    beta: true\n  x:other: { <<: *t, gamma: 3 }\n` +
                    "  fhir-platform:rbacPropagationSeconds: 1.0\n",
            ),
        );
        expect(map["fhir-platform:tags"]).toBe('{"alpha":"2026-01-01","beta":true,"zeta":"1"}');
        expect(map["x:other"]).toBe('{"alpha":"2026-01-01","beta":true,"gamma":3,"zeta":"1"}');
        expect(map["fhir-platform:rbacPropagationSeconds"]).toBe("1");
        expect(map["fhir-platform:location"]).toBe("westeurope");
    });

    test("keys Pulumi.yaml declares with a default and the stack lacks get it; the stack's own value wins", () => {
        const map = readStackConfig("t", stackDir(`${BASE}  rbacPropagationSeconds: 30\n`));
        expect(map["fhir-platform:rbacPropagationSeconds"]).toBe("30");
        expect(map["fhir-platform:protectStatefulResources"]).toBe("true");
        expect(map["fhir-platform:placement"]).toBe("dedicated");
        expect(map["fhir-platform:tenantId"]).toBe(TENANT);
    });
});

test("the plan protects nothing when the stack says protectStatefulResources: false without a namespace, as pulumi up would", async () => {
    const printed: string[] = [];
    const run = async (dir: string) => {
        printed.length = 0;
        const code = await planMain(["--stack", "t", "--project-dir", dir, "--no-policies"], {
            out: (t) => void printed.push(t),
            err: () => undefined,
        });
        return { code, text: printed.join("") };
    };
    const protectedCount = (text: string) => Number(/; (\d+) protected/.exec(text)?.[1]);
    const plain = await run(stackDir(BASE));
    const bare = await run(stackDir(`${BASE}  protectStatefulResources: false\n`));
    expect(plain.code).toBe(0);
    expect(protectedCount(plain.text)).toBeGreaterThan(5);
    expect(bare.code).toBe(0);
    expect(protectedCount(bare.text)).toBe(0);
});

describe("stack references as the CLI takes them", () => {
    test("<stack>, <org>/<stack> and <org>/<project>/<stack> name the stack file of their last part", () => {
        expect(parseStackRef("staging")).toEqual({ stack: "staging" });
        expect(parseStackRef("acme/staging")).toEqual({ stack: "staging" });
        expect(parseStackRef("acme/fhir-platform/prod-eu-1", "fhir-platform")).toEqual({ stack: "prod-eu-1" });
    });

    test("anything else is a usage error naming the reference", () => {
        expect(parseStackRef("acme/other/staging", "fhir-platform")).toEqual({ error: expect.stringMatching(/project 'other'/) });
        expect(parseStackRef("a/b/c/d")).toEqual({ error: expect.stringMatching(/^--stack a\/b\/c\/d: expected/) });
        expect(parseStackRef("acme/")).toEqual({ error: expect.stringMatching(/expected/) });
        expect(parseStackRef("..")).toEqual({ error: expect.stringMatching(/'\.\.' is not a stack name/) });
        expect(parseStackRef("a b")).toEqual({ error: expect.stringMatching(/'a b' is not a stack name/) });
    });
});
