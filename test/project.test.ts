import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { CONFIG_NAMESPACE, DEFAULTS, PLATFORM_KEYS } from "../components";

const root = path.resolve(__dirname, "..");
interface Declaration { type?: unknown; items?: { type?: unknown }; default?: unknown; description?: unknown }
const project = yaml.load(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as { name: string; runtime: unknown; config: Record<string, Declaration> };
const text = fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8");

describe("Pulumi.yaml", () => {
    // Pulumi's project schema (sdk/go/common/workspace/project.json): config types are string, integer, boolean,
    // array (with items of those). An `object` type makes every pulumi command reject the project.
    test("declares config only with types the Pulumi CLI accepts", () => {
        for (const [key, d] of Object.entries(project.config)) {
            expect({ key, ok: ["string", "integer", "boolean", "array"].includes(String(d.type)) }).toEqual({ key, ok: true });
            if (d.type === "array") expect(["string", "integer", "boolean"]).toContain(d.items?.type);
            expect(typeof d.description).toBe("string");
        }
    });

    test("declares or documents every key the program reads, and nothing else", () => {
        for (const key of PLATFORM_KEYS) expect(text).toContain(`${CONFIG_NAMESPACE}:${key}`);
        for (const key of Object.keys(project.config)) expect(PLATFORM_KEYS).toContain(key.replace(`${CONFIG_NAMESPACE}:`, ""));
    });

    test("declared defaults are the program's defaults", () => {
        const d = (k: string) => project.config[`${CONFIG_NAMESPACE}:${k}`]?.default;
        expect(d("placement")).toBe(DEFAULTS.placement);
        expect(d("protectStatefulResources")).toBe(DEFAULTS.protectStatefulResources);
        expect(d("rbacPropagationSeconds")).toBe(DEFAULTS.rbacPropagationSeconds);
        expect(d("allowUnlistedLocation")).toBe(DEFAULTS.allowUnlistedLocation);
        expect(d("deploy")).toBe(DEFAULTS.deploy);
    });
});
