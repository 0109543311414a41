/**
 * docs/runbook.md against the program: the role constraint it gives the deploying identity allows exactly the roles the
 * stack assigns (AcrPull was missing, so every acr account's grant failed), and the role IDs it names are Azure's.
 */
import { devStack } from "./helpers/devStack";
import * as fs from "node:fs";
import * as path from "node:path";
import { BUILT_IN_ROLES, FHIR_DATA_ROLES } from "../azure/facts";

const runbook = fs.readFileSync(path.join(__dirname, "..", "docs", "runbook.md"), "utf8");
const GUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

test("the 'Constrain roles' condition lists exactly the roles the stack assigns: its grants in the dev stack and every FHIR data-plane role", async () => {
    const { resources } = await devStack();
    const assigned = resources
        .filter((r) => r.type === "azure-native:authorization:RoleAssignment")
        .map((r) => String(r.inputs.roleDefinitionId).split("/").pop()!);
    expect(assigned).toContain(BUILT_IN_ROLES.AcrPull);
    const expected = [...new Set([...assigned, ...FHIR_DATA_ROLES.map((role) => BUILT_IN_ROLES[role])])].sort();
    const roles = /^roles="([^"]+)"$/m.exec(runbook)?.[1] ?? "";
    expect(roles.split(", ").sort()).toEqual(expected);
    // The condition uses that list for both the create and the delete expression.
    expect(runbook).toMatch(
        /roleAssignments\/write'[^\n]*GuidEquals \{\$roles\}[^\n]*roleAssignments\/delete'[^\n]*GuidEquals \{\$roles\}/,
    );
});

test("every role the runbook names with an ID has Azure's ID for it (azure/facts.ts)", () => {
    const named = [...runbook.matchAll(/\*\*([A-Za-z ]+)\*\* \(`([0-9a-f-]{36})`\)/g)].map((m) => [m[1], m[2]]);
    expect(named.map(([role]) => role).sort()).toEqual([
        "FHIR Data Converter",
        "FHIR Data Exporter",
        "Key Vault Crypto Officer",
        "Role Based Access Control Administrator",
        "Storage Blob Data Contributor",
    ]);
    for (const [role, id] of named) expect({ role, id }).toEqual({ role, id: BUILT_IN_ROLES[role as keyof typeof BUILT_IN_ROLES] });
    expect(runbook.match(GUID)?.length).toBeGreaterThan(10);
});
