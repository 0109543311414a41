/**
 * Isolation: in a three-account stack no grant crosses accounts (principal and scope of every role assignment belong
 * to the account that owns it, checked against captured IDs and the description marker), and every resource sits
 * under its own account's component. Checked for dedicated workspaces and for a shared one.
 */
import { ACCOUNT_TAG, PLATFORM_TAG, accountFromDescription } from "../azure/naming";
import { type Captured, T, capture, inputs, pid, rawConfig } from "./helpers/stack";
import { expectWarnings, notYetLocked } from "./helpers/warnings";

expectWarnings(notYetLocked("iso"));

const accounts = ["contoso", "fabrikam", "tailspin"].map((name, i) => ({
    name,
    grants: [
        { principalId: pid(i + 1), principalType: "Group", role: "FHIR Data Reader" },
        // The same principal is granted in every account: each grant must still be scoped to its own service.
        { principalId: pid(9), principalType: "ServicePrincipal", role: "FHIR Data Exporter" },
    ],
}));

/** Platform-wide resources, the only ones allowed outside an account. */
const PLATFORM_TYPES = new Set<string>([T.platform, T.provider, T.logAnalytics, "pulumi:pulumi:Stack"]);

describe.each([
    ["dedicated workspaces", {}],
    ["one shared workspace", { placement: "shared" }],
])("%s", (label, overrides) => {
    let s: Captured;
    beforeAll(async () => {
        s = await capture(rawConfig(accounts, overrides), { stack: "iso" });
    });

    test("every role assignment: marker, parent chain, scope and identity principal all name the same account", () => {
        const grants = s.ofType(T.grant);
        expect(grants).toHaveLength(3 * (2 + 2)); // crypto + blob + two data-plane grants per account
        const identityPrincipal = new Map(["contoso", "fabrikam", "tailspin"].map((a) => [s.outputs(a).identityPrincipalId as string, a]));
        for (const g of grants) {
            const owner = s.accountOf(g);
            const i = inputs(g);
            expect([g.name, accountFromDescription(i.description)]).toEqual([g.name, owner]);
            // The scope is the ID of a resource of the same account (key, storage account or FHIR service).
            const target = s.resources.find((r) => r.custom && r.id === i.scope);
            expect([g.name, target && s.accountOf(target)]).toEqual([g.name, owner]);
            expect([T.key, T.storage, T.fhir]).toContain(target!.type);
            // A managed identity's principal is only ever granted in its own account.
            const identityOwner = identityPrincipal.get(i.principalId);
            if (identityOwner !== undefined) expect([g.name, identityOwner]).toEqual([g.name, owner]);
            // Only the account's identity holds a role on its key or storage; people and apps are granted at the FHIR service.
            if (target!.type !== T.fhir) expect([g.name, identityOwner]).toEqual([g.name, owner]);
        }
        // Each identity holds exactly the crypto role on its key and the blob role on its storage.
        for (const a of ["contoso", "fabrikam", "tailspin"]) {
            const mine = grants.filter((g) => inputs(g).principalId === s.outputs(a).identityPrincipalId);
            expect(mine.map((g) => g.name).sort()).toEqual([`${a}-cmk-crypto-grant`, `${a}-export-blob-grant`]);
        }
    });

    test("a principal granted in several accounts gets one grant per account, each at that account's FHIR service", () => {
        const shared = s.ofType(T.grant).filter((g) => inputs(g).principalId === pid(9));
        expect(shared.map((g) => [s.accountOf(g), inputs(g).scope])).toEqual(
            expect.arrayContaining(["contoso", "fabrikam", "tailspin"].map((a) => [a, s.ofAccount(a, T.fhir)[0].id])),
        );
        expect(shared).toHaveLength(3);
        expect(new Set(shared.map((g) => inputs(g).roleAssignmentName)).size).toBe(3);
    });

    test("the FHIR service runs as its own identity, with its own key and storage", () => {
        for (const a of ["contoso", "fabrikam", "tailspin"]) {
            const f = inputs(s.ofAccount(a, T.fhir)[0]);
            expect(f.identity.userAssignedIdentities).toEqual([s.outputs(a).identityResourceId]);
            expect(f.encryption.customerManagedKeyEncryption.keyEncryptionKeyUrl).toBe(s.outputs(a).keyUri);
            expect(f.exportConfiguration.storageAccountName).toBe(s.outputs(a).exportStorageAccount);
        }
    });

    test("every resource is under its own account's component (name, parent chain and tag agree)", () => {
        for (const r of s.resources) {
            const owner = s.accountOf(r);
            if (owner === undefined) {
                // Outside accounts: only platform-wide resources and shared workspaces (platform-tagged).
                const platformWide =
                    PLATFORM_TYPES.has(r.type) ||
                    [r, ...s.ancestors(r)].some((x) => /^(platform|ws)-/.test(x.name) || x.type === "fhir-platform:index:FhirWorkspace");
                expect([r.type, r.name, platformWide]).toEqual([r.type, r.name, true]);
                if (r.custom && inputs(r).tags) expect(inputs(r).tags[PLATFORM_TAG]).toBeDefined();
                continue;
            }
            expect([r.urn, r.name.startsWith(`${owner}-`) || r.name === owner]).toEqual([r.urn, true]);
            const chain = [r, ...s.ancestors(r)].map((a) => `${a.type}::${a.name}`);
            expect(chain).toContain(`${T.account}::${owner}`);
            expect(chain.filter((c) => c.startsWith(T.account))).toHaveLength(1);
            if (r.custom && inputs(r).tags) expect([r.name, inputs(r).tags[ACCOUNT_TAG]]).toEqual([r.name, owner]);
        }
    });

    test("each account's azure resources live in its own resource group (the FHIR service in its workspace's)", () => {
        for (const a of ["contoso", "fabrikam", "tailspin"]) {
            const rg = s.outputs(a).resourceGroupName;
            for (const r of s.ofAccount(a).filter((x) => x.custom && inputs(x).resourceGroupName !== undefined)) {
                const expected = r.type === T.fhir ? s.outputs(a).workspaceResourceGroupName : rg;
                expect([r.name, inputs(r).resourceGroupName]).toEqual([r.name, expected]);
            }
        }
    });

    test("the storage firewall admits the account's own FHIR service and its workspace, nothing else", () => {
        expect(s.ofType(T.workspace)).toHaveLength(label === "one shared workspace" ? 1 : 3);
        for (const a of ["contoso", "fabrikam", "tailspin"]) {
            const fhir = s.ofAccount(a, T.fhir)[0];
            const workspace = s.ofType(T.workspace).find((w) => inputs(w).workspaceName === inputs(fhir).workspaceName);
            const rules = inputs(s.ofAccount(a, T.storage)[0]).networkRuleSet.resourceAccessRules;
            // Microsoft's export setup registers both; the workspace rule is network admission only (RBAC still decides).
            expect(rules.map((r: { resourceId: string }) => r.resourceId)).toEqual([fhir.id, workspace?.id]);
        }
    });
});
