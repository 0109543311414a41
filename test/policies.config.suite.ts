/**
 * Policy pack config, checked as `pulumi preview --policy-pack-config` checks it: each policy's resolved properties
 * against its `configSchema` wrapped in an object schema (pulumi/pulumi pkg/resource/analyzer/config.go), with a real
 * JSON Schema validator; and `npm run plan -- --policy-config FILE`, which refuses a bad file in one line per problem.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
    PolicyConfigError,
    policyConfigJsonSchema,
    policyConfigWarnings,
    readPolicyConfigFile,
    resolvePolicyConfig,
} from "../harness/policyRunner";
import { policies } from "../policies/policies";
import type { FhirResourcePolicy } from "../policies/rules/common";
import { main as plan } from "../scripts/plan";

/** A policy with the JSON Schema keywords the pack's own schemas do not use yet. */
const knobs: FhirResourcePolicy = {
    name: "test-knobs",
    description: "A policy whose config exercises JSON Schema.",
    enforcementLevel: "advisory",
    remediationSteps: "None.",
    configSchema: {
        properties: {
            prefix: { type: "string", pattern: "^[a-z]+-$", minLength: 3, default: "ab-" },
            owners: { type: "array", items: { type: "string", minLength: 1 }, minItems: 1 },
            level: { enum: ["low", "high"] },
            limits: { type: "object", properties: { max: { type: "integer", maximum: 10 } }, additionalProperties: false },
        },
        required: ["prefix", "owners"],
    },
    validateResource: () => undefined,
};
const withKnobs = [...policies, knobs];

/** The problems `resolvePolicyConfig` reports for `config`, or [] when it accepts it. */
function problems(config: Record<string, unknown>, list = withKnobs): string[] {
    try {
        resolvePolicyConfig(config, list);
        return [];
    } catch (e) {
        if (!(e instanceof PolicyConfigError)) throw e;
        return e.problems;
    }
}
const ok = { "test-knobs": { owners: ["team-a"] } };

describe("config schemas, validated as the CLI validates them", () => {
    test("the CLI's wrapper: an object with the policy's properties and required, nothing more", () => {
        expect(policyConfigJsonSchema(knobs.configSchema!)).toEqual({
            type: "object",
            properties: knobs.configSchema!.properties,
            required: ["prefix", "owners"],
        });
        expect(policyConfigJsonSchema({ properties: {} })).toEqual({ type: "object" });
    });

    test("a valid config passes, defaults applied; required is met by a default", () => {
        expect(problems(ok)).toEqual([]);
        expect(resolvePolicyConfig(ok, withKnobs).get("test-knobs")!.properties).toEqual({ prefix: "ab-", owners: ["team-a"] });
    });

    test.each([
        ["pattern", { prefix: "AB-" }, 'test-knobs.prefix: must match pattern "^[a-z]+-$"'],
        ["minLength", { prefix: "a-" }, "test-knobs.prefix: must NOT have fewer than 3 characters"],
        ["minItems", { owners: [] }, "test-knobs.owners: must NOT have fewer than 1 items"],
        ["minLength in items", { owners: ["team-a", ""] }, "test-knobs.owners[1]: must NOT have fewer than 1 characters"],
        ["enum", { level: "medium" }, 'test-knobs.level: must be one of ["low","high"], got "medium"'],
        ["type", { owners: "team-a" }, 'test-knobs.owners: expected array, got "team-a"'],
        ["maximum, nested", { limits: { max: 11 } }, "test-knobs.limits.max: must be <= 10"],
        [
            "additionalProperties, nested",
            { limits: { maxx: 1 } },
            "test-knobs.limits: unknown property 'maxx'; did you mean 'max'?; properties: max",
        ],
    ])("%s is honoured", (_keyword, props, message) => {
        expect(problems({ "test-knobs": { ...ok["test-knobs"], ...props } })).toEqual([message]);
    });

    test("required: a property with no default must be given", () => {
        expect(problems({})).toEqual(["test-knobs: config property 'owners' is required"]);
    });

    test("the pack's own schemas: defaults valid, bounds enforced", () => {
        expect(problems({}, policies)).toEqual([]);
        expect(problems({ "keyvault-soft-delete": { minimumRetentionDays: 30.5 } }, policies)).toEqual([
            "keyvault-soft-delete.minimumRetentionDays: expected integer, got 30.5",
        ]);
        expect(problems({ "stateful-resources-protected": { resourceTypes: ["azure-native:keyvault:Vault", 3] } }, policies)).toEqual([
            "stateful-resources-protected.resourceTypes[1]: expected string, got 3",
        ]);
    });

    test("the new rules' knobs: defaults, and values the CLI would refuse", () => {
        const props = (name: string) => resolvePolicyConfig({}).get(name)!.properties;
        expect(props("required-tags")).toEqual({ requiredTags: [] });
        expect(props("keyvault-hsm-keys")).toEqual({ requireHsmKeys: false });
        expect(props("fhir-cors")).toEqual({ allowLocalhost: false });
        expect(props("storage-soft-delete")).toEqual({ minimumRetentionDays: 7 });
        expect(props("storage-blob-diagnostics")).toEqual({ categories: ["StorageRead", "StorageWrite", "StorageDelete"] });
        for (const name of ["keyvault-network-restricted", "fhir-public-network-access", "fhir-resource-versioning"])
            expect(props(name)).toEqual({ exemptAccounts: [] });
        expect(
            problems(
                {
                    "required-tags": { requiredTags: ["owner", "", "owner"] },
                    "keyvault-hsm-keys": { requireHsmKeys: "yes" },
                    "storage-soft-delete": { minimumRetentionDays: 400 },
                    "storage-blob-diagnostics": { categories: ["StorageRead", "StorageList"] },
                    "keyvault-network-restricted": { exemptAccounts: [""] },
                },
                policies,
            ),
        ).toEqual([
            "keyvault-network-restricted.exemptAccounts[0]: must NOT have fewer than 1 characters",
            'keyvault-hsm-keys.requireHsmKeys: expected boolean, got "yes"',
            "storage-soft-delete.minimumRetentionDays: must be <= 365",
            'storage-blob-diagnostics.categories[1]: must be one of ["StorageRead","StorageWrite","StorageDelete"], got "StorageList"',
            "required-tags.requiredTags[1]: must NOT have fewer than 1 characters",
            "required-tags.requiredTags: must NOT have duplicate items (items ## 2 and 0 are identical)",
        ]);
    });

    test("every problem is listed at once, each naming its policy", () => {
        expect(
            problems({
                all: "strict",
                "keyvault-soft-delete": { enforcementLevel: "on", minimumRetentionDays: 120 },
                "cmk-key-rotation": ["advisory"],
                "test-knobs": { owners: [] },
            }),
        ).toEqual([
            'all: enforcement level must be one of advisory, mandatory, remediate, disabled, got "strict"',
            'keyvault-soft-delete: enforcement level must be one of advisory, mandatory, remediate, disabled, got "on"',
            "keyvault-soft-delete.minimumRetentionDays: must be <= 90",
            'cmk-key-rotation: config must be an enforcement level or an object, got ["advisory"]',
            "test-knobs.owners: must NOT have fewer than 1 items",
        ]);
    });

    test("a misspelled policy name: did you mean, and the pack's policies", () => {
        const [message, ...rest] = problems({ "keyvault-softdelete": "advisory" }, policies);
        expect(rest).toEqual([]);
        expect(message).toMatch(/^unknown policy 'keyvault-softdelete'; did you mean 'keyvault-soft-delete'\?; the pack's policies are: /);
        for (const p of policies) expect(message).toContain(p.name);
        expect(problems({ "zzz-unrelated": "advisory" }, policies)[0]).not.toContain("did you mean");
    });

    test("a property the schema does not name is accepted, as by the CLI, and warned about", () => {
        const config = { "keyvault-soft-delete": { minimumRetentionDay: 30 }, "storage-https-only": { strict: true } };
        expect(problems(config, policies)).toEqual([]);
        expect(policyConfigWarnings(config, policies)).toEqual([
            "keyvault-soft-delete: 'minimumRetentionDay' is not one of its config properties (minimumRetentionDays); did you mean " +
                "'minimumRetentionDays'?; it is ignored",
            "storage-https-only: the policy takes no config properties; 'strict' is ignored",
        ]);
        expect(
            policyConfigWarnings({ "keyvault-soft-delete": { enforcementLevel: "advisory", minimumRetentionDays: 30 } }, policies),
        ).toEqual([]);
    });

    test("a policy whose own schema is not valid JSON Schema is refused by name", () => {
        const broken: FhirResourcePolicy = {
            ...knobs,
            name: "test-broken",
            configSchema: { properties: { n: { type: "integer", minimum: "one" as unknown as number } } },
        };
        expect(() => resolvePolicyConfig({}, [...policies, broken])).toThrow(/policy 'test-broken' has an invalid configSchema/);
    });
});

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "fhir-policy-config-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
function file(name: string, text: string): string {
    const f = path.join(tmp, name);
    fs.writeFileSync(f, text);
    return f;
}

describe("policy config files", () => {
    test("an empty file is no config, as in the CLI", () => {
        expect(readPolicyConfigFile(file("empty.json", " \n"))).toEqual({ config: {}, warnings: [] });
    });

    test.each([
        ["missing", path.join(tmp, "nope.json"), "no such file"],
        ["not JSON", '{ "all": ', /^not valid JSON: /],
        ["not an object", '["advisory"]', "must be a JSON object (policy name -> level or object), got an array"],
        [
            "a bad value",
            JSON.stringify({ "keyvault-soft-delete": { minimumRetentionDays: 0 } }),
            "keyvault-soft-delete.minimumRetentionDays: must be >= 7",
        ],
    ])("%s: PolicyConfigError with one problem", (name, content, expected) => {
        const f = name === "missing" ? content : file(`${name.replace(/ /g, "-")}.json`, content);
        let error: unknown;
        try {
            readPolicyConfigFile(f);
        } catch (e) {
            error = e;
        }
        expect(error).toBeInstanceOf(PolicyConfigError);
        const found = (error as PolicyConfigError).problems;
        expect(found).toHaveLength(1);
        expect(found[0]).toEqual(typeof expected === "string" ? expected : expect.stringMatching(expected));
    });
});

describe("npm run plan -- --policy-config FILE", () => {
    /** Runs the plan CLI in-process and captures stdout and stderr. */
    async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
        let stdout = "";
        let stderr = "";
        const out = jest.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
            stdout += String(chunk);
            return true;
        });
        const log = jest.spyOn(console, "log").mockImplementation((...a: unknown[]) => void (stdout += `${a.join(" ")}\n`));
        const err = jest.spyOn(console, "error").mockImplementation((...a: unknown[]) => void (stderr += `${a.join(" ")}\n`));
        try {
            return { code: await plan(args), stdout, stderr };
        } finally {
            out.mockRestore();
            log.mockRestore();
            err.mockRestore();
        }
    }

    test.each([
        ["a missing file", () => path.join(tmp, "missing.json"), /^--policy-config \S+missing\.json: no such file\n$/],
        ["bad JSON", () => file("bad.json", "{ 'all': 1 }"), /^--policy-config \S+bad\.json: not valid JSON: .+\n$/],
        [
            "a bad value",
            () => file("value.json", JSON.stringify({ "keyvault-soft-delete": { minimumRetentionDays: 120 } })),
            /^--policy-config \S+value\.json: keyvault-soft-delete\.minimumRetentionDays: must be <= 90\n$/,
        ],
        [
            "a misspelled policy",
            () => file("typo.json", JSON.stringify({ "fhir-public-network-acces": "mandatory" })),
            /^--policy-config \S+typo\.json: unknown policy 'fhir-public-network-acces'; did you mean 'fhir-public-network-access'\?; the pack's policies are: keyvault-purge-protection, .+\n$/,
        ],
    ])("%s: one line, exit 2, nothing planned, no stack trace", async (_name, make, expected) => {
        const r = await run(["--stack", "dev", "--policy-config", make()]);
        expect(r.code).toBe(2);
        expect(r.stdout).toBe("");
        expect(r.stderr).toMatch(expected);
        expect(r.stderr).not.toMatch(/\n\s+at /);
    });

    test("--policy-config with --no-policies is a usage error", async () => {
        const r = await run(["--stack", "dev", "--no-policies", "--policy-config", file("ok.json", "{}")]);
        expect(r.code).toBe(2);
        expect(r.stderr).toMatch(/contradict/);
    });
});
