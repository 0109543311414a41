/**
 * Names: every derived Azure name meets Azure's rule for its kind at the extremes of account and suffix length; the
 * CMK vault + key name rule holds; role assignment GUIDs are deterministic, distinct and GUID-shaped; the account
 * marker round-trips.
 */
import {
    ACCOUNT_NAME_PATTERN,
    CMK_KEY_NAME,
    CMK_MAX_VAULT_PLUS_KEY_NAME,
    GUID_PATTERN,
    NAME_RULES,
    SUFFIX_LENGTH,
    accountDescription,
    accountFromDescription,
    checkName,
    maxKeyVaultNameLength,
    names,
    stableGuid,
} from "../azure";

const shortest = "abc";
const longest = "a".repeat(12);
const suffixes = ["000000", "zzzzzz", "a1b2c3"];

describe("derived names meet Azure's rules", () => {
    test.each([shortest, longest, "contoso", "x9y8z7"])("account %s", (account) => {
        expect(ACCOUNT_NAME_PATTERN.test(account)).toBe(true);
        for (const suffix of suffixes) {
            expect(suffix).toHaveLength(SUFFIX_LENGTH);
            expect(checkName("keyVault", names.keyVault(account, suffix))).toBeUndefined();
            expect(checkName("storageAccount", names.storage(account, suffix))).toBeUndefined();
            expect(checkName("healthWorkspace", names.workspace(account, suffix))).toBeUndefined();
        }
        expect(checkName("fhirService", names.fhirService(account))).toBeUndefined();
        expect(checkName("userAssignedIdentity", names.identity(account))).toBeUndefined();
        expect(checkName("resourceGroup", names.accountResourceGroup("prod-eu", account))).toBeUndefined();
        expect(checkName("resourceGroup", names.workspaceResourceGroup("prod-eu", account))).toBeUndefined();
        expect(checkName("keyVaultKey", CMK_KEY_NAME)).toBeUndefined();
    });

    test("vault name + key name stay within the CMK limit of 94 characters", () => {
        expect(CMK_MAX_VAULT_PLUS_KEY_NAME).toBe(94);
        expect(maxKeyVaultNameLength()).toBe(names.keyVault(longest, "0".repeat(SUFFIX_LENGTH)).length);
        expect(maxKeyVaultNameLength() + CMK_KEY_NAME.length).toBeLessThanOrEqual(94);
    });

    test("Log Analytics name is cut to 63 characters without a trailing hyphen", () => {
        const n = names.logAnalytics(`${"a".repeat(50)}-${"b".repeat(20)}`);
        expect(n.length).toBeLessThanOrEqual(NAME_RULES.logAnalyticsWorkspace.max);
        expect(checkName("logAnalyticsWorkspace", n)).toBeUndefined();
        expect(checkName("logAnalyticsWorkspace", names.logAnalytics(`${"a".repeat(54)}-x`))).toBeUndefined();
    });

    test("stack names with characters resource groups refuse are made safe", () => {
        expect(names.accountResourceGroup("Prod_EU.1", "contoso")).toBe("rg-fhir-prod-eu-1-contoso");
        expect(checkName("resourceGroup", names.platformResourceGroup("Prod_EU.1"))).toBeUndefined();
    });

    test("names depend on the account, never on anything else", () => {
        expect(names.keyVault("contoso", "abc123")).toBe("kv-contoso-abc123");
        expect(names.storage("contoso", "abc123")).toBe("stcontosoabc123");
        expect(names.workspace("contoso", "abc123")).toBe("wscontosoabc123");
        expect(names.identity("contoso")).toBe("id-fhir-contoso");
        expect(names.fhirService("contoso")).toBe("contoso");
    });

    test("checkName reports length and characters", () => {
        expect(checkName("storageAccount", "st")).toMatch(/3-24 characters/);
        expect(checkName("storageAccount", "st-contoso")).toMatch(/characters Azure does not allow/);
        expect(checkName("keyVault", "kv--contoso")).toMatch(/characters Azure does not allow/);
        expect(checkName("healthWorkspace", "ws-contoso")).toMatch(/characters Azure does not allow/);
    });
});

describe("stable GUIDs for role assignment names", () => {
    test("same parts -> same GUID; any changed part -> another GUID", () => {
        const g = stableGuid("dev", "sub", "contoso", "identity/cmk", "Key Vault Crypto Service Encryption User");
        expect(g).toBe(stableGuid("dev", "sub", "contoso", "identity/cmk", "Key Vault Crypto Service Encryption User"));
        expect(g).not.toBe(stableGuid("dev", "sub", "fabrikam", "identity/cmk", "Key Vault Crypto Service Encryption User"));
        expect(g).not.toBe(stableGuid("prod", "sub", "contoso", "identity/cmk", "Key Vault Crypto Service Encryption User"));
        // Joining with a separator: ("ab","c") and ("a","bc") must differ.
        expect(stableGuid("ab", "c")).not.toBe(stableGuid("a", "bc"));
    });

    test("it is a version-5-shaped GUID ARM accepts", () => {
        const g = stableGuid("x");
        expect(g).toMatch(GUID_PATTERN);
        expect(g[14]).toBe("5");
        expect(["8", "9", "a", "b"]).toContain(g[19]);
    });
});

describe("account marker in role assignment descriptions", () => {
    test("round-trips", () => {
        const d = accountDescription("contoso", "FHIR Data Reader for the nightly job");
        expect(d).toBe("[fhir-platform account=contoso] FHIR Data Reader for the nightly job");
        expect(accountFromDescription(d)).toBe("contoso");
    });
    test("absent or not a string -> undefined", () => {
        expect(accountFromDescription("FHIR Data Reader")).toBeUndefined();
        expect(accountFromDescription(undefined)).toBeUndefined();
        expect(accountFromDescription(42)).toBeUndefined();
    });
});
