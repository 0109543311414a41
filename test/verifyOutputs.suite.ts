/** verify reads the outputs that say which vault to re-grant on and whether an account is private. */
import { devStack } from "./helpers/devStack";
import { diagnoseNetwork, diagnoseServerError } from "../tools/verify/diagnose";
import { parseKeyId, parseKeyUrl } from "../tools/verify/keys";
import { parseTargets } from "../tools/verify/targets";

const dns = {
    kind: "network" as const,
    error: "dns" as const,
    code: "ENOTFOUND",
    message: "getaddrinfo ENOTFOUND",
    attempts: 1,
    waits: [],
};

describe("verify uses keyVaultId and publicNetworkAccess from the stack outputs", () => {
    let targets: ReturnType<typeof parseTargets>;
    beforeAll(async () => {
        targets = parseTargets((await devStack()).outputs);
    });

    test("a 5xx names the exact key scope to re-grant the crypto role on", () => {
        const contoso = targets.find((t) => t.account === "contoso")!;
        expect(contoso.keyVaultId).toMatch(/\/providers\/Microsoft\.KeyVault\/vaults\/kv-contoso-[a-z0-9]{6}$/);
        const d = diagnoseServerError(contoso, "GET /metadata", {
            kind: "response",
            status: 500,
            headers: new Headers(),
            body: "",
            attempts: 1,
            waits: [],
        });
        expect(d.remedies.join("\n")).toContain(`--scope ${contoso.keyVaultId}/keys/fhir-cmk`);
        expect(d.remedies.join("\n")).not.toContain("<vault resource id>");
    });

    test("a network failure of a private account points at its private endpoint; of a public one, at the caller's network", () => {
        const tailspin = targets.find((t) => t.account === "tailspin")!;
        const contoso = targets.find((t) => t.account === "contoso")!;
        expect(tailspin.publicNetworkAccess).toBe("Disabled");
        expect(diagnoseNetwork(tailspin, "GET /metadata", dns, 1000).remedies.join("\n")).toContain(
            "this account is private (publicNetworkAccess: Disabled)",
        );
        const pub = diagnoseNetwork(contoso, "GET /metadata", dns, 1000).remedies.join("\n");
        expect(pub).toContain("this account is public");
        expect(pub).not.toContain("private DNS zone");
    });
});

describe("the dev stack's outputs carry what the key check needs", () => {
    test("fhirServiceId, keyId (same vault as keyUri), keyVaultNetwork and keyRotationDays, for every account", async () => {
        const targets = parseTargets((await devStack()).outputs);
        for (const t of targets) {
            expect(t.fhirServiceId).toMatch(new RegExp(`/workspaces/${t.workspaceName}/fhirservices/${t.fhirServiceName}$`, "i"));
            const key = parseKeyId(t.keyId!);
            const used = parseKeyUrl(t.keyUri!);
            expect(key).toEqual({ vaultName: used?.vaultName, keyName: used?.keyName });
            expect(used?.version).toMatch(/^[0-9a-f]{32}$/); // the service is given a versioned key URI
            expect(["trustedServices", "allNetworks"]).toContain(t.keyVaultNetwork);
            expect(t.keyRotationDays).toBeGreaterThanOrEqual(7);
        }
    });
});
