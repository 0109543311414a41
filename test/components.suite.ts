/**
 * Components, per resource type, through the real program under mocks: inputs of each resource, role definition IDs
 * and scopes of every grant, dependencies of the FHIR service, protection, tags and stack outputs.
 * One run of a four-account stack is shared by most tests (beforeAll); a second run flips the platform options.
 */
import { BUILT_IN_ROLES, FHIR_DATA_ROLES, type FhirDataRole, roleDefinitionId } from "../azure";
import { ACCOUNT_TAG, STACK_TAG } from "../azure/naming";
import type { CapturedResource } from "../harness/mockRun";
import { type Captured, SUB_A, SUB_B, SUB_C, T, TENANT, capture, inputs, pid, rawConfig } from "./helpers/stack";
import { expectWarnings, notYetLocked } from "./helpers/warnings";

expectWarnings(
    /Pulumi\.opt\.yaml: account 'contoso', field 'accounts\[0\]\.resourceVersionPolicy': no-version keeps no history for AuditEvent/,
    /Pulumi\.opt\.yaml: account 'contoso', field 'accounts\[0\]\.initialImportMode': initial import mode blocks API writes/,
    notYetLocked("comp"),
);

/**
 * Literal GUIDs copied from Microsoft Learn, "Azure built-in roles" (learn.microsoft.com/azure/role-based-access-control/built-in-roles,
 * Integration, Security and Storage tables). Deliberately not imported: a typo in azure/facts.ts must fail here.
 */
const MICROSOFT_ROLE_GUIDS: Record<string, string> = {
    "FHIR Data Reader": "4c8d0bbc-75d3-4935-991f-5f3c56d81508",
    "FHIR Data Writer": "3f88fce4-5892-4214-ae73-ba5294559913",
    "FHIR Data Exporter": "3db33094-8700-4567-8da5-1501d4e7e843",
    "FHIR Data Importer": "4465e953-8ced-4406-a58e-0f6e3f3b530b",
    "FHIR Data Contributor": "5a1fc7df-4bf1-4951-a576-89034ee01acd",
    "FHIR Data Converter": "a1705bd2-3a8f-45a5-8683-466fcfd5cc24",
    "FHIR SMART User": "4ba50f17-9666-485c-a643-ff00808643f0",
    "FHIR Data Bulk Operator": "804db8d3-32c7-4ad4-a975-3f6f90d5f5f5",
    "Key Vault Crypto Service Encryption User": "e147488a-f6f5-4113-8e2d-b22465e65bf6",
    "Storage Blob Data Contributor": "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
    Owner: "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
    Contributor: "b24988ac-6180-42a0-ab88-20f7382dd24c",
    "User Access Administrator": "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
    Reader: "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    AcrPull: "7f951dda-4ed3-4680-a7ca-43fe172d538d",
    "Role Based Access Control Administrator": "f58310d9-a9f6-439a-9e8d-f62e7b41a168",
    "Key Vault Administrator": "00482a5a-887f-4fb3-b363-3b7fe8e74483",
    "Key Vault Crypto Officer": "14b46e9e-c2b7-41b4-b07b-48a6ebf60603",
    "Key Vault Contributor": "f25e0fa2-a7c8-4377-a976-54943a77a395",
};

const VNET = `/subscriptions/${SUB_A}/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet`;
const SUBNET = `${VNET}/subnets/snet-pe`;
const HUB_ZONES = {
    workspace: `/subscriptions/${SUB_A}/resourceGroups/rg-hub-dns/providers/Microsoft.Network/privateDnsZones/privatelink.workspace.azurehealthcareapis.com`,
    fhir: `/subscriptions/${SUB_A}/resourceGroups/rg-hub-dns/providers/Microsoft.Network/privateDnsZones/privatelink.fhir.azurehealthcareapis.com`,
};
const ALL_ROLES_GRANTS = FHIR_DATA_ROLES.map((role, i) => ({
    principalId: pid(i + 3),
    principalType: i % 2 ? "User" : "ServicePrincipal",
    role,
}));

const accounts = [
    {
        name: "contoso",
        grants: [
            { principalId: pid(1), principalType: "Group", role: "FHIR Data Contributor" },
            { principalId: pid(2), principalType: "ServicePrincipal", role: "FHIR Data Exporter", description: "nightly export" },
        ],
        tags: { costCenter: "cc-1" },
    },
    {
        name: "fabrikam",
        keySize: 2048,
        keyRotationDays: 180,
        import: true,
        smartIdentityProviders: [
            {
                authority: "https://idp.fabrikam.example/realms/fhir",
                applications: [{ clientId: "66666666-6666-4666-8666-666666666666", audience: "https://fhir.fabrikam.example" }],
            },
        ],
        cors: { origins: ["https://portal.fabrikam.example"], methods: ["GET", "POST"], maxAge: 600, allowCredentials: true },
        grants: ALL_ROLES_GRANTS,
    },
    { name: "tailspin", export: false, publicNetworkAccess: "Disabled", privateEndpointSubnetId: SUBNET },
    { name: "importer", export: false, import: true, keyVaultNetwork: "allNetworks" },
];

let s: Captured;
let flipped: Captured;
beforeAll(async () => {
    s = await capture(rawConfig(accounts, { tags: { environment: "test" }, privateDns: { virtualNetworkIds: [VNET] } }), { stack: "comp" });
    flipped = await capture(
        rawConfig(accounts, { privateDns: { zoneIds: HUB_ZONES }, protectStatefulResources: false, rbacPropagationSeconds: 5 }),
        { stack: "comp" },
    );
});

const one = (c: Captured, account: string, type: string): CapturedResource => {
    const found = c.ofAccount(account, type);
    if (found.length !== 1) throw new Error(`${account}: expected one ${type}, found ${found.length}`);
    return found[0];
};
const idOf = (c: Captured, account: string, type: string): string => one(c, account, type).id!;
/** The diagnostic setting of `resourceUri` (each audited resource has exactly one). */
const diagnosticsOf = (c: Captured, resourceUri: string): Record<string, any> => {
    const found = c.ofType(T.diagnostics).filter((d) => inputs(d).resourceUri === resourceUri);
    if (found.length !== 1) throw new Error(`expected one diagnostic setting for ${resourceUri}, found ${found.length}`);
    return inputs(found[0]);
};

describe("key vault", () => {
    test("RBAC authorization, soft delete 90 days, purge protection, firewall deny with trusted services", () => {
        const v = inputs(one(s, "contoso", T.vault));
        expect(v.properties).toEqual(
            expect.objectContaining({
                tenantId: TENANT,
                enableRbacAuthorization: true,
                enableSoftDelete: true,
                softDeleteRetentionInDays: 90,
                enablePurgeProtection: true,
                networkAcls: expect.objectContaining({ defaultAction: "Deny", bypass: "AzureServices", ipRules: [] }),
            }),
        );
        expect(v.properties.accessPolicies ?? []).toEqual([]);
        expect(v.location).toBe("westeurope");
        expect(v.resourceGroupName).toBe("rg-fhir-comp-contoso");
        expect(v.vaultName).toMatch(/^kv-contoso-[a-z0-9]{6}$/);
    });

    test("keyVaultNetwork: allNetworks opens the firewall (default action Allow), trusted services still bypass", () => {
        expect(inputs(one(s, "importer", T.vault)).properties.networkAcls).toEqual(
            expect.objectContaining({ defaultAction: "Allow", bypass: "AzureServices" }),
        );
        expect(s.outputs("importer").keyVaultNetwork).toBe("allNetworks");
        expect(s.outputs("contoso").keyVaultNetwork).toBe("trustedServices");
    });

    test("every vault sends AuditEvent (who used the key) to the platform's Log Analytics, without a destination type", () => {
        const law = s.ofType(T.logAnalytics)[0].id;
        for (const account of ["contoso", "tailspin"]) {
            const d = diagnosticsOf(s, idOf(s, account, T.vault));
            expect(d.workspaceId).toBe(law);
            expect(d.logs).toEqual([{ category: "AuditEvent", enabled: true }]);
            expect(d.logAnalyticsDestinationType).toBeUndefined();
        }
    });
});

describe("CMK key", () => {
    test("RSA, size from config (3072 default, 2048 when asked), wrap/unwrap only, in the account's vault", () => {
        const k = inputs(one(s, "contoso", T.key));
        expect(k.properties).toEqual(expect.objectContaining({ kty: "RSA", keySize: 3072, keyOps: ["wrapKey", "unwrapKey"] }));
        expect(k.vaultName).toBe(inputs(one(s, "contoso", T.vault)).vaultName);
        expect(inputs(one(s, "fabrikam", T.key)).properties.keySize).toBe(2048);
    });

    test("rotation policy rotates after keyRotationDays; versions never expire (so a pinned version never stops wrapping)", () => {
        const rp = inputs(one(s, "fabrikam", T.key)).properties.rotationPolicy;
        expect(rp).toEqual({ lifetimeActions: [{ trigger: { timeAfterCreate: "P180D" }, action: { type: "rotate" } }] });
        expect(inputs(one(s, "contoso", T.key)).properties.rotationPolicy.lifetimeActions).toEqual([
            { trigger: { timeAfterCreate: "P365D" }, action: { type: "rotate" } },
        ]);
        for (const k of s.ofType(T.key)) {
            expect(inputs(k).properties.attributes).toEqual(expect.objectContaining({ enabled: true }));
            expect(inputs(k).properties.attributes.expires).toBeUndefined();
        }
    });

    test("create-only key settings are ignored after creation (ARM refuses other parameters for an existing key: no failed update)", () => {
        for (const k of s.ofType(T.key)) expect(k.ignoreChanges).toEqual(["properties", "tags"]);
    });

    test("a new keyName is a new key: the old one stays (locked), both granted, the FHIR service and storage move to the new one", async () => {
        const lock = {
            version: 1 as const,
            accounts: {
                contoso: { subscription: "main", workspace: "contoso", keys: [{ name: "fhir-cmk", size: 3072, rotationDays: 365 }] },
            },
        };
        const c = await capture(rawConfig([{ name: "contoso", keyName: "fhir-cmk-2", keySize: 2048 }]), { stack: "comp", lock });
        const keys = c.ofAccount("contoso", T.key);
        expect(keys.map((k) => [k.name, inputs(k).keyName, inputs(k).properties.keySize, k.protect])).toEqual([
            ["contoso-cmk", "fhir-cmk", 3072, true],
            ["contoso-cmk-fhir-cmk-2", "fhir-cmk-2", 2048, true],
        ]);
        const grants = c.ofAccount("contoso", T.grant).filter((g) => keys.some((k) => k.id === inputs(g).scope));
        expect(grants.map((g) => g.name).sort()).toEqual(["contoso-cmk-crypto-grant", "contoso-cmk-fhir-cmk-2-crypto-grant"]);
        expect(inputs(one(c, "contoso", T.fhir)).encryption.customerManagedKeyEncryption.keyEncryptionKeyUrl).toMatch(
            /\/keys\/fhir-cmk-2\/[0-9a-f]{32}$/,
        );
        expect(inputs(one(c, "contoso", T.storage)).encryption.keyVaultProperties.keyName).toBe("fhir-cmk-2");
        expect(inputs(one(c, "contoso", T.wait)).trigger).toBe(c.one(T.grant, "contoso-cmk-fhir-cmk-2-crypto-grant").id);
        expect(c.result.outputs.placement).toEqual({
            contoso: expect.objectContaining({
                keys: [lock.accounts.contoso.keys[0], { name: "fhir-cmk-2", size: 2048, rotationDays: 365 }],
            }),
        });
    });
});

describe("export storage", () => {
    // "Azure regions that support zone-redundant storage (ZRS)": westeurope offers ZRS; northcentralus has no zones.
    test("zone-redundant where the region offers ZRS, locally redundant elsewhere, or as configured; never geo-redundant", async () => {
        expect(inputs(one(s, "contoso", T.storage)).sku).toEqual({ name: "Standard_ZRS" });
        const ncus = await capture(rawConfig([{ name: "contoso" }], { location: "northcentralus" }), { stack: "comp" });
        expect(inputs(one(ncus, "contoso", T.storage)).sku).toEqual({ name: "Standard_LRS" });
        const lrs = await capture(rawConfig([{ name: "contoso" }], { exportStorageRedundancy: "LRS" }), { stack: "comp" });
        expect(inputs(one(lrs, "contoso", T.storage)).sku).toEqual({ name: "Standard_LRS" });
    });

    test("HTTPS only, TLS 1.2, no public blob access, no shared key, firewall deny + trusted services", () => {
        const st = inputs(one(s, "contoso", T.storage));
        expect(st).toEqual(
            expect.objectContaining({
                kind: "StorageV2",
                enableHttpsTrafficOnly: true,
                minimumTlsVersion: "TLS1_2",
                allowBlobPublicAccess: false,
                allowSharedKeyAccess: false,
                resourceGroupName: "rg-fhir-comp-contoso",
            }),
        );
        expect(st.accountName).toMatch(/^stcontoso[a-z0-9]{6}$/);
        expect(st.networkRuleSet).toEqual(expect.objectContaining({ defaultAction: "Deny", bypass: "AzureServices", ipRules: [] }));
    });

    test(
        "encrypted at creation with the account's own CMK (versionless: storage follows rotation), through its identity, plus " +
            "infrastructure encryption",
        () => {
            for (const account of ["contoso", "fabrikam", "importer"]) {
                const st = inputs(one(s, account, T.storage));
                const identityId = idOf(s, account, T.identity);
                expect(st.identity).toEqual({ type: "UserAssigned", userAssignedIdentities: [identityId] });
                expect(st.encryption).toEqual({
                    keySource: "Microsoft.Keyvault",
                    keyVaultProperties: { keyVaultUri: s.outputs(account).keyVaultUri, keyName: "fhir-cmk" },
                    encryptionIdentity: { encryptionUserAssignedIdentity: identityId },
                    requireInfrastructureEncryption: true,
                    services: { blob: { enabled: true, keyType: "Account" }, file: { enabled: true, keyType: "Account" } },
                });
            }
        },
    );

    test(
        "the firewall admits by resource-instance rule exactly this account's FHIR service and its workspace (Microsoft's export " +
            "setup)",
        () => {
            for (const account of ["contoso", "fabrikam", "importer"]) {
                const rules = inputs(one(s, account, T.storage)).networkRuleSet.resourceAccessRules;
                expect(rules).toEqual([
                    { tenantId: TENANT, resourceId: idOf(s, account, T.fhir) },
                    { tenantId: TENANT, resourceId: idOf(s, account, T.workspace) },
                ]);
            }
        },
    );

    test("blob reads, writes and deletes go to Log Analytics", () => {
        const d = diagnosticsOf(s, idOf(s, "contoso", T.blobService));
        expect(d.workspaceId).toBe(s.ofType(T.logAnalytics)[0].id);
        expect(d.logs).toEqual(["StorageRead", "StorageWrite", "StorageDelete"].map((category) => ({ category, enabled: true })));
        expect(d.logAnalyticsDestinationType).toBeUndefined();
    });

    test("blob and container soft delete on the account's storage", () => {
        const b = inputs(one(s, "contoso", T.blobService));
        expect(b.accountName).toBe(inputs(one(s, "contoso", T.storage)).accountName);
        expect(b.deleteRetentionPolicy).toEqual({ enabled: true, days: expect.any(Number) });
        expect(b.containerDeleteRetentionPolicy).toEqual({ enabled: true, days: expect.any(Number) });
        expect(b.deleteRetentionPolicy.days).toBeGreaterThanOrEqual(7);
    });

    test("export off + import off -> no storage, no blob grant; import alone still gets storage", () => {
        expect(s.ofAccount("tailspin", T.storage)).toHaveLength(0);
        expect(s.ofAccount("tailspin", T.blobService)).toHaveLength(0);
        expect(s.ofAccount("tailspin", T.grant).map((g) => g.name)).toEqual(["tailspin-cmk-crypto-grant"]);
        expect(s.outputs("tailspin").exportStorageAccount).toBeUndefined();
        expect(s.ofAccount("importer", T.storage)).toHaveLength(1);
    });
});

describe("FHIR service", () => {
    const fhir = (account: string) => inputs(one(s, account, T.fhir));

    test("kind fhir-R4 in the account's own workspace", () => {
        expect(fhir("contoso").kind).toBe("fhir-R4");
        expect(fhir("contoso").fhirServiceName).toBe("contoso");
        expect(fhir("contoso").workspaceName).toBe(inputs(one(s, "contoso", T.workspace)).workspaceName);
    });

    test("runs as exactly this account's user-assigned identity", () => {
        for (const account of ["contoso", "fabrikam", "tailspin", "importer"]) {
            expect(fhir(account).identity).toEqual({ type: "UserAssigned", userAssignedIdentities: [idOf(s, account, T.identity)] });
        }
    });

    test("CMK URL is always this account's versioned key URI (the only form Microsoft documents)", () => {
        for (const c of [s, flipped]) {
            for (const account of ["contoso", "fabrikam"]) {
                const url = inputs(one(c, account, T.fhir)).encryption.customerManagedKeyEncryption.keyEncryptionKeyUrl as string;
                const vault = inputs(one(c, account, T.vault)).vaultName as string;
                expect(url).toMatch(new RegExp(`^https://${vault}\\.vault\\.azure\\.net/keys/fhir-cmk/[0-9a-f]{32}$`));
                expect(url).toBe(c.outputs(account).keyUri);
            }
        }
    });

    test("export configuration names this account's storage; none without export", () => {
        expect(fhir("contoso").exportConfiguration).toEqual({ storageAccountName: inputs(one(s, "contoso", T.storage)).accountName });
        expect(fhir("tailspin").exportConfiguration).toBeUndefined();
        expect(fhir("importer").exportConfiguration).toBeUndefined();
    });

    test("import configuration when import is on, pointing at this account's storage; disabled otherwise", () => {
        expect(fhir("fabrikam").importConfiguration).toEqual({
            enabled: true,
            initialImportMode: false,
            integrationDataStore: inputs(one(s, "fabrikam", T.storage)).accountName,
        });
        expect(fhir("importer").importConfiguration).toEqual(
            expect.objectContaining({ enabled: true, integrationDataStore: inputs(one(s, "importer", T.storage)).accountName }),
        );
        expect(fhir("contoso").importConfiguration).toEqual({ enabled: false });
    });

    test("Entra authority for the tenant, audience = the service's own URL, the retired SMART proxy always off, SMART identity providers from config", () => {
        const a = fhir("contoso").authenticationConfiguration;
        const ws = fhir("contoso").workspaceName;
        expect(a).toEqual({
            authority: `https://login.microsoftonline.com/${TENANT}`,
            audience: `https://${ws}-contoso.fhir.azurehealthcareapis.com`,
            smartProxyEnabled: false,
        });
        expect(fhir("fabrikam").authenticationConfiguration).toEqual({
            authority: `https://login.microsoftonline.com/${TENANT}`,
            audience: `https://${fhir("fabrikam").workspaceName}-fabrikam.fhir.azurehealthcareapis.com`,
            smartProxyEnabled: false,
            smartIdentityProviders: [
                {
                    authority: "https://idp.fabrikam.example/realms/fhir",
                    applications: [
                        {
                            clientId: "66666666-6666-4666-8666-666666666666",
                            audience: "https://fhir.fabrikam.example",
                            allowedDataActions: ["Read"],
                        },
                    ],
                },
            ],
        });
    });

    test("CORS from config; none when not configured", () => {
        expect(fhir("fabrikam").corsConfiguration).toEqual({
            origins: ["https://portal.fabrikam.example"],
            headers: ["*"],
            methods: ["GET", "POST"],
            maxAge: 600,
            allowCredentials: true,
        });
        expect(fhir("tailspin").corsConfiguration).toBeUndefined();
    });

    test(
        "audit logs go to the platform's Log Analytics workspace, with no destination type (the API returns it null: a permanent " +
            "diff)",
        () => {
            const law = s.ofType(T.logAnalytics);
            expect(law).toHaveLength(1);
            for (const account of ["contoso", "tailspin"]) {
                const d = diagnosticsOf(s, idOf(s, account, T.fhir));
                expect(d.workspaceId).toBe(law[0].id);
                expect(d.logs).toEqual([{ category: "AuditLogs", enabled: true }]);
                expect(d.logAnalyticsDestinationType).toBeUndefined();
            }
        },
    );

    test("an existing Log Analytics workspace is used instead of creating one", async () => {
        const existing = `/subscriptions/${SUB_A}/resourceGroups/rg-shared/providers/Microsoft.OperationalInsights/workspaces/law-central`;
        const c = await capture(rawConfig([{ name: "contoso" }], { logAnalytics: { workspaceId: existing } }), { stack: "comp" });
        expect(c.ofType(T.logAnalytics)).toHaveLength(0);
        expect(c.ofType(T.rg).map((r) => r.name)).toEqual(["contoso-rg"]);
        for (const d of c.ofType(T.diagnostics)) expect(inputs(d).workspaceId).toBe(existing);
        expect(c.ofType(T.diagnostics)).toHaveLength(3);
    });

    test("a private-only account gets a private endpoint on its workspace", () => {
        const pe = inputs(one(s, "tailspin", T.privateEndpoint));
        expect(pe.subnet).toEqual(expect.objectContaining({ id: SUBNET }));
        expect(pe.privateLinkServiceConnections).toEqual([
            expect.objectContaining({ privateLinkServiceId: idOf(s, "tailspin", T.workspace), groupIds: ["healthcareworkspace"] }),
        ]);
        expect(s.ofAccount("contoso", T.privateEndpoint)).toHaveLength(0);
    });
});

describe("private DNS", () => {
    test("the endpoint registers in the stack's workspace and FHIR zones, which are linked to the configured VNet", () => {
        const zones = s.ofType(T.privateZone);
        expect(zones.map((z) => [inputs(z).privateZoneName, inputs(z).location, inputs(z).resourceGroupName, z.protect])).toEqual([
            ["privatelink.workspace.azurehealthcareapis.com", "Global", "rg-fhir-comp-platform", true],
            ["privatelink.fhir.azurehealthcareapis.com", "Global", "rg-fhir-comp-platform", true],
        ]);
        for (const link of s.ofType(T.vnetLink)) {
            expect(inputs(link)).toEqual(
                expect.objectContaining({ virtualNetwork: { id: VNET }, registrationEnabled: false, location: "Global" }),
            );
        }
        expect(
            s
                .ofType(T.vnetLink)
                .map((l) => inputs(l).privateZoneName)
                .sort(),
        ).toEqual(zones.map((z) => inputs(z).privateZoneName).sort());
        const group = inputs(one(s, "tailspin", T.dnsZoneGroup));
        expect(group.privateEndpointName).toBe(inputs(one(s, "tailspin", T.privateEndpoint)).privateEndpointName);
        expect(group.privateDnsZoneConfigs.map((c: { privateDnsZoneId: string }) => c.privateDnsZoneId)).toEqual(zones.map((z) => z.id));
        expect(s.ofType(T.dnsZoneGroup)).toHaveLength(1);
    });

    // "Configure Private Link for Azure Health Data Services": A records are registered for the services the workspace has
    // when the endpoint's DNS is written, so the zone group waits for them and is re-written when the member set changes.
    test("the zone group is written after the workspace's FHIR service, replaced (deleting first) when its member services change", () => {
        const group = one(s, "tailspin", T.dnsZoneGroup);
        expect(group.dependencies).toContain(one(s, "tailspin", T.fhir).urn);
        expect(group.replacementTrigger).toBe("tailspin");
        expect(group.deleteBeforeReplace).toBe(true);
        // Nothing waits for it: it is a leaf, off the critical path.
        expect(s.resources.filter((r) => r.dependencies.includes(group.urn))).toEqual([]);
    });

    test("with existing zones (hub and spoke) the stack creates none and points the zone group at them", () => {
        expect(flipped.ofType(T.privateZone)).toHaveLength(0);
        expect(flipped.ofType(T.vnetLink)).toHaveLength(0);
        const group = inputs(one(flipped, "tailspin", T.dnsZoneGroup));
        expect(group.privateDnsZoneConfigs.map((c: { privateDnsZoneId: string }) => c.privateDnsZoneId)).toEqual([
            HUB_ZONES.workspace,
            HUB_ZONES.fhir,
        ]);
    });
});

describe("role assignments", () => {
    test("azure/facts.ts holds Microsoft's GUID for every role it names", () => {
        expect(Object.keys(BUILT_IN_ROLES).sort()).toEqual(Object.keys(MICROSOFT_ROLE_GUIDS).sort());
        for (const [role, guid] of Object.entries(MICROSOFT_ROLE_GUIDS))
            expect([role, BUILT_IN_ROLES[role as keyof typeof BUILT_IN_ROLES]]).toEqual([role, guid]);
    });

    test("crypto grant: Key Vault Crypto Service Encryption User at the key, to the account's identity as ServicePrincipal", () => {
        const g = inputs(s.one(T.grant, "contoso-cmk-crypto-grant"));
        expect(g.roleDefinitionId).toBe(
            `/subscriptions/${SUB_A}/providers/Microsoft.Authorization/roleDefinitions/${MICROSOFT_ROLE_GUIDS["Key Vault Crypto Service Encryption User"]}`,
        );
        expect(g.scope).toBe(idOf(s, "contoso", T.key));
        expect(g.principalId).toBe(s.outputs("contoso").identityPrincipalId);
        expect(g.principalType).toBe("ServicePrincipal");
    });

    test("blob grant: Storage Blob Data Contributor at the storage account, to the account's identity as ServicePrincipal", () => {
        const g = inputs(s.one(T.grant, "contoso-export-blob-grant"));
        expect(g.roleDefinitionId).toBe(
            `/subscriptions/${SUB_A}/providers/Microsoft.Authorization/roleDefinitions/${MICROSOFT_ROLE_GUIDS["Storage Blob Data Contributor"]}`,
        );
        expect(g.scope).toBe(idOf(s, "contoso", T.storage));
        expect(g.principalId).toBe(s.outputs("contoso").identityPrincipalId);
        expect(g.principalType).toBe("ServicePrincipal");
    });

    test.each(FHIR_DATA_ROLES.map((r) => [r]))(
        "data-plane grant %s: Microsoft's GUID, at the FHIR service, to the configured principal",
        (role) => {
            const cfg = ALL_ROLES_GRANTS.find((g) => g.role === role)!;
            const grants = s.ofAccount("fabrikam", T.grant).filter((g) => inputs(g).principalId === cfg.principalId);
            expect(grants).toHaveLength(1);
            const g = inputs(grants[0]);
            expect(g.roleDefinitionId).toBe(
                `/subscriptions/${SUB_A}/providers/Microsoft.Authorization/roleDefinitions/${MICROSOFT_ROLE_GUIDS[role]}`,
            );
            expect(g.roleDefinitionId).toBe(roleDefinitionId(SUB_A, role as FhirDataRole));
            expect(g.scope).toBe(idOf(s, "fabrikam", T.fhir));
            expect(g.principalType).toBe(cfg.principalType);
        },
    );

    test("no grant is scoped to a workspace, resource group or subscription, and none uses a privileged role", () => {
        const grants = s.ofType(T.grant);
        // contoso: crypto + blob + 2 data-plane; fabrikam: crypto + blob + 8; tailspin: crypto; importer: crypto + blob.
        expect(grants.length).toBe(4 + 10 + 1 + 2);
        for (const g of grants) {
            const scope = inputs(g).scope as string;
            expect(scope).toMatch(/\/(keys\/fhir-cmk|storageAccounts\/[a-z0-9]+|fhirservices\/[a-z0-9]+)$/);
            expect(scope).not.toMatch(/^\/subscriptions\/[^/]+$|^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+$|\/workspaces\/[a-z0-9]+$/);
            const guid = (inputs(g).roleDefinitionId as string).split("/").pop();
            expect([
                MICROSOFT_ROLE_GUIDS.Owner,
                MICROSOFT_ROLE_GUIDS.Contributor,
                MICROSOFT_ROLE_GUIDS["User Access Administrator"],
            ]).not.toContain(guid);
        }
    });

    test("names are deterministic GUIDs, distinct across the stack, identical on a re-run", async () => {
        const names = s.ofType(T.grant).map((g) => inputs(g).roleAssignmentName as string);
        for (const n of names) expect(n).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        expect(new Set(names).size).toBe(names.length);
        const again = await capture(rawConfig(accounts, { tags: { environment: "test" }, privateDns: { virtualNetworkIds: [VNET] } }), {
            stack: "comp",
        });
        expect(again.ofType(T.grant).map((g) => [g.urn, inputs(g).roleAssignmentName])).toEqual(
            s.ofType(T.grant).map((g) => [g.urn, inputs(g).roleAssignmentName]),
        );
    });

    test("every grant's description carries its account marker", () => {
        for (const g of s.ofType(T.grant))
            expect(inputs(g).description).toMatch(new RegExp(`^\\[fhir-platform account=${s.accountOf(g)}\\] `));
        expect(inputs(s.ofAccount("contoso", T.grant).find((g) => inputs(g).principalId === pid(2))!).description).toContain(
            "nightly export",
        );
    });
});

describe("order: what the FHIR service waits for", () => {
    const urnOf = (c: Captured, account: string, type: string) => one(c, account, type).urn;

    test("FHIR service depends on the RBAC propagation wait and on the storage grant", () => {
        const deps = one(s, "contoso", T.fhir).dependencies;
        expect(deps).toContain(urnOf(s, "contoso", T.wait));
        expect(deps).toContain(s.one(T.grant, "contoso-export-blob-grant").urn);
    });

    test("the wait depends on the crypto grant and waits the configured time", () => {
        const w = one(s, "contoso", T.wait);
        expect(w.dependencies).toContain(s.one(T.grant, "contoso-cmk-crypto-grant").urn);
        expect(inputs(w).seconds).toBe(600);
        expect(inputs(w).trigger).toBe(s.one(T.grant, "contoso-cmk-crypto-grant").id);
        expect(inputs(one(flipped, "contoso", T.wait)).seconds).toBe(5);
    });

    test("FHIR service depends only on its own account's identity, key, wait, workspace, storage and storage grant", () => {
        for (const account of ["contoso", "fabrikam", "tailspin", "importer"]) {
            const f = one(s, account, T.fhir);
            const allowed = new Set([T.identity, T.key, T.wait, T.workspace, T.storage, T.grant]);
            for (const dep of f.dependencies) {
                const d = s.byUrn.get(dep)!;
                expect([account, d.type, s.accountOf(d)]).toEqual([account, d.type, account]);
                expect(allowed.has(d.type as never)).toBe(true);
                if (d.type === T.grant) expect(d.name).toBe(`${account}-export-blob-grant`);
            }
        }
    });

    test("without storage the FHIR service waits only for the crypto grant's propagation", () => {
        const deps = one(s, "tailspin", T.fhir).dependencies.map((u) => s.byUrn.get(u)!.type);
        expect(deps).toContain(T.wait);
        expect(deps).not.toContain(T.grant);
    });

    test("data-plane grants and diagnostics come after the service; nothing else waits for it", () => {
        const fhirUrn = urnOf(s, "fabrikam", T.fhir);
        const waiting = s.resources.filter((r) => r.dependencies.includes(fhirUrn)).map((r) => r.type);
        expect(new Set(waiting)).toEqual(new Set([T.grant, T.diagnostics]));
    });

    test("export storage is created with the CMK, so after the key grant's propagation wait, but not after the AHDS workspace", () => {
        const st = one(s, "contoso", T.storage);
        expect(st.dependencies).toContain(urnOf(s, "contoso", T.wait));
        expect(st.dependencies).not.toContain(urnOf(s, "contoso", T.workspace));
    });
});

describe("protection of stateful resources", () => {
    const stateful = [T.rg, T.identity, T.vault, T.key, T.storage, T.workspace, T.fhir, T.randomString, T.privateZone];

    test.each(stateful.map((t) => [t]))("%s is protected by default", (type) => {
        const all = s.ofType(type);
        expect(all.length).toBeGreaterThan(0);
        for (const r of all) expect([r.name, r.protect]).toEqual([r.name, true]);
    });

    test("Log Analytics (audit evidence) is protected", () => {
        expect(s.ofType(T.logAnalytics)[0].protect).toBe(true);
    });

    test.each(stateful.map((t) => [t]))("%s is not protected with protectStatefulResources: false", (type) => {
        for (const r of flipped.ofType(type)) expect([r.name, r.protect]).toEqual([r.name, false]);
    });

    test("waits, diagnostics, DNS zone groups, VNet links and every grant but the key's are not protected (they can be recreated)", () => {
        for (const type of [T.grant, T.wait, T.diagnostics, T.dnsZoneGroup, T.vnetLink]) {
            expect(s.ofType(type).length).toBeGreaterThan(0);
            for (const r of s.ofType(type).filter((x) => !x.name.endsWith("-crypto-grant")))
                expect([r.name, r.protect]).toEqual([r.name, false]);
        }
    });

    test("the identity's grant on its key is protected like the key (losing it makes the FHIR service answer 500)", () => {
        const crypto = s.ofType(T.grant).filter((g) => g.name.endsWith("-crypto-grant"));
        expect(crypto.map((g) => [g.name, g.protect]).sort()).toEqual(
            ["contoso", "fabrikam", "importer", "tailspin"].map((a) => [`${a}-cmk-crypto-grant`, true]),
        );
        for (const g of flipped.ofType(T.grant)) expect(g.protect).toBe(false);
    });

    test("every azure-native resource names its provider, as pulumi:disable-default-providers requires", () => {
        for (const r of s.resources.filter((x) => x.custom && x.type.startsWith("azure-native:")))
            expect([r.name, r.provider]).toEqual([r.name, expect.stringMatching(/::azure-main::/)]);
    });
});

describe("tags", () => {
    const taggable = [T.rg, T.identity, T.vault, T.key, T.storage, T.workspace, T.fhir, T.privateEndpoint];

    test("every taggable resource of an account carries the account tag, the stack tag and merged tags", () => {
        for (const account of ["contoso", "fabrikam", "tailspin", "importer"]) {
            const rs = s.ofAccount(account).filter((r) => (taggable as readonly string[]).includes(r.type));
            expect(rs.length).toBeGreaterThanOrEqual(6);
            for (const r of rs) {
                expect([r.name, inputs(r).tags?.[ACCOUNT_TAG]]).toEqual([r.name, account]);
                expect(inputs(r).tags[STACK_TAG]).toBe("comp");
                expect(inputs(r).tags.environment).toBe("test");
            }
        }
        expect(inputs(one(s, "contoso", T.fhir)).tags.costCenter).toBe("cc-1");
        expect(inputs(one(s, "fabrikam", T.fhir)).tags.costCenter).toBeUndefined();
    });

    test("every custom resource with a tags input is under an account or is platform-scoped", () => {
        for (const r of s.resources.filter((x) => x.custom && inputs(x).tags)) {
            const t = inputs(r).tags;
            expect(t[ACCOUNT_TAG] ?? t["fhir-platform:scope"]).toBeDefined();
        }
    });
});

describe("outputs per account", () => {
    test("FHIR URL and audience, authority, identity IDs, key and vault URIs, storage, workspace and resource groups", () => {
        const o = s.outputs("contoso");
        const ws = inputs(one(s, "contoso", T.workspace)).workspaceName;
        const url = `https://${ws}-contoso.fhir.azurehealthcareapis.com`;
        const identity = one(s, "contoso", T.identity);
        expect(o).toEqual(
            expect.objectContaining({
                subscription: "main",
                subscriptionId: SUB_A,
                workspaceGroup: "contoso",
                fhirUrl: url,
                audience: url,
                authority: `https://login.microsoftonline.com/${TENANT}`,
                identityResourceId: identity.id,
                identityClientId: expect.stringMatching(/^[0-9a-f-]{36}$/),
                identityPrincipalId: expect.stringMatching(/^[0-9a-f-]{36}$/),
                keyVaultUri: `https://${inputs(one(s, "contoso", T.vault)).vaultName}.vault.azure.net/`,
                exportStorageAccount: inputs(one(s, "contoso", T.storage)).accountName,
                workspaceName: ws,
                fhirServiceName: "contoso",
                resourceGroupName: "rg-fhir-comp-contoso",
                workspaceResourceGroupName: "rg-fhir-comp-contoso",
                exportEnabled: true,
                importEnabled: false,
                smartIdentityProviders: [],
                acrLoginServers: [],
                acrTemplateImages: [],
            }),
        );
        expect(o).not.toHaveProperty("smartProxyEnabled");
        expect(s.outputs("fabrikam")).toEqual(
            expect.objectContaining({ importEnabled: true, smartIdentityProviders: ["https://idp.fabrikam.example/realms/fhir"] }),
        );
        expect(o.keyUri).toBe(inputs(one(s, "contoso", T.fhir)).encryption.customerManagedKeyEncryption.keyEncryptionKeyUrl);
        expect(o.identityClientId).not.toBe(o.identityPrincipalId);
    });

    test("one entry per account, keyed by name, plus the placement of each", () => {
        expect(Object.keys(s.result.outputs.accounts as object)).toEqual(["contoso", "fabrikam", "importer", "tailspin"]);
        expect(s.result.outputs.placement).toEqual({
            contoso: { subscription: "main", workspace: "contoso", keys: [{ name: "fhir-cmk", size: 3072, rotationDays: 365 }] },
            fabrikam: { subscription: "main", workspace: "fabrikam", keys: [{ name: "fhir-cmk", size: 2048, rotationDays: 180 }] },
            importer: { subscription: "main", workspace: "importer", keys: [{ name: "fhir-cmk", size: 3072, rotationDays: 365 }] },
            tailspin: { subscription: "main", workspace: "tailspin", keys: [{ name: "fhir-cmk", size: 3072, rotationDays: 365 }] },
        });
        expect(s.result.outputs.logAnalyticsWorkspaceId).toBe(s.ofType(T.logAnalytics)[0].id);
    });
});

describe("component structure", () => {
    test("each account is a FhirAccount with identity, CMK, storage (when needed), workspace and FHIR components", () => {
        const kids = (account: string) =>
            s.resources
                .filter((r) => !r.custom && s.accountOf(r) === account && r.type !== T.account)
                .map((r) => r.type.split(":").pop())
                .sort();
        expect(kids("contoso")).toEqual(["AccountIdentity", "CustomerManagedKey", "ExportStorage", "FhirService", "FhirWorkspace"]);
        expect(kids("tailspin")).toEqual(["AccountIdentity", "CustomerManagedKey", "FhirService", "FhirWorkspace"]);
    });
});

describe("FHIR service options (versioning, $convert-data registries, initial import, SMART identity providers, US Core)", () => {
    const REGISTRY =
        "/subscriptions/00000000-0000-4000-8000-0000000000c3/resourceGroups/rg-tpl/providers/Microsoft.ContainerRegistry/registries/ContosoTemplates";
    const SHARED = `/subscriptions/${SUB_A}/resourceGroups/rg-tpl/providers/Microsoft.ContainerRegistry/registries/sharedtemplates`;
    const IDP = {
        authority: "https://idp.example.com/realms/fhir",
        applications: [{ clientId: pid(8), audience: "https://fhir.example.com" }],
    };
    let c: Captured;
    beforeAll(async () => {
        c = await capture(
            rawConfig(
                [
                    {
                        name: "contoso",
                        import: true,
                        initialImportMode: true,
                        resourceVersionPolicy: "versioned-update",
                        resourceVersionOverrides: { Patient: "versioned", AuditEvent: "no-version" },
                        usCoreMissingData: true,
                        smartIdentityProviders: [IDP],
                        acr: {
                            registryIds: [REGISTRY, SHARED],
                            ociArtifacts: [{ loginServer: "contosotemplates.azurecr.io", imageName: "hl7v2:default" }],
                        },
                    },
                    { name: "fabrikam", acr: { registryIds: [SHARED] } },
                    { name: "plain" },
                ],
                { sharedRegistryIds: [SHARED] },
            ),
            { stack: "opt" },
        );
    });
    const fhir = (account: string) => inputs(one(c, account, T.fhir));

    test("every option reaches the FHIR service's inputs", () => {
        const f = fhir("contoso");
        expect(f.resourceVersionPolicyConfiguration).toEqual({
            default: "versioned-update",
            resourceTypeOverrides: { Patient: "versioned", AuditEvent: "no-version" },
        });
        expect(f.implementationGuidesConfiguration).toEqual({ usCoreMissingData: true });
        expect(f.importConfiguration).toEqual(expect.objectContaining({ enabled: true, initialImportMode: true }));
        expect(f.authenticationConfiguration.smartIdentityProviders).toEqual([
            { ...IDP, applications: [{ ...IDP.applications[0], allowedDataActions: ["Read"] }] },
        ]);
        expect(f.acrConfiguration).toEqual({
            loginServers: ["contosotemplates.azurecr.io", "sharedtemplates.azurecr.io"],
            ociArtifacts: [{ loginServer: "contosotemplates.azurecr.io", imageName: "hl7v2:default" }],
        });
    });

    test("secure defaults: versioned history, incremental import, no SMART providers, no registry", () => {
        const f = fhir("plain");
        expect(f.resourceVersionPolicyConfiguration).toEqual({ default: "versioned" });
        expect(f.implementationGuidesConfiguration).toEqual({ usCoreMissingData: false });
        expect(f.authenticationConfiguration.smartIdentityProviders).toBeUndefined();
        expect(f.acrConfiguration).toBeUndefined();
        expect(c.ofAccount("plain", T.grant).filter((g) => inputs(g).roleDefinitionId.endsWith(MICROSOFT_ROLE_GUIDS.AcrPull))).toEqual([]);
    });

    test("AcrPull for the account's own identity, on each of its registries only, with the registry's subscription in the role ID", () => {
        const acrPull = (account: string) =>
            c
                .ofAccount(account, T.grant)
                .filter((g) => inputs(g).roleDefinitionId.endsWith(MICROSOFT_ROLE_GUIDS.AcrPull))
                .map(inputs);
        expect(acrPull("contoso").map((g) => [g.scope, g.principalId, g.principalType, g.roleDefinitionId])).toEqual([
            [
                REGISTRY,
                c.outputs("contoso").identityPrincipalId,
                "ServicePrincipal",
                `/subscriptions/00000000-0000-4000-8000-0000000000c3/providers/Microsoft.Authorization/roleDefinitions/${MICROSOFT_ROLE_GUIDS.AcrPull}`,
            ],
            [
                SHARED,
                c.outputs("contoso").identityPrincipalId,
                "ServicePrincipal",
                `/subscriptions/${SUB_A}/providers/Microsoft.Authorization/roleDefinitions/${MICROSOFT_ROLE_GUIDS.AcrPull}`,
            ],
        ]);
        // A registry stack config declares shared says so on every grant there (the policy pack reads the marker).
        expect(acrPull("contoso").map((g) => g.description.includes("[shared]"))).toEqual([false, true]);
        expect(acrPull("fabrikam").map((g) => [g.scope, g.principalId, g.description.includes("[shared]")])).toEqual([
            [SHARED, c.outputs("fabrikam").identityPrincipalId, true],
        ]);
    });
});

describe("component names (0.2: leaf components named after their account, children after the component)", () => {
    test("each leaf component carries its 0.1 name as an alias, so a deployed stack updates in place", () => {
        const aliasesOf = (type: string, name: string) => s.resources.find((r) => !r.custom && r.type === type && r.name === name)?.aliases;
        expect(aliasesOf("fhir-platform:index:AccountIdentity", "contoso")).toEqual(["name=contoso-identity"]);
        expect(aliasesOf("fhir-platform:index:CustomerManagedKey", "contoso")).toEqual(["name=contoso-cmk"]);
        expect(aliasesOf("fhir-platform:index:ExportStorage", "contoso")).toEqual(["name=contoso-export"]);
        expect(aliasesOf("fhir-platform:index:FhirService", "contoso")).toEqual(["name=contoso-fhir"]);
        expect(aliasesOf("fhir-platform:index:FhirWorkspace", "contoso")).toEqual(["name=contoso-workspace", "name=ws-contoso"]);
    });
});

describe("audit retention: the tables the audit logs land in", () => {
    const tables = (c: Captured): Record<string, CapturedResource> =>
        Object.fromEntries(c.ofType(T.table).map((t) => [String(inputs(t).tableName), t]));

    test("AzureDiagnostics, StorageBlobLogs and AzureActivity of the created workspace: 90 days, 2191 in total (six years)", () => {
        const law = s.ofType(T.logAnalytics)[0];
        const t = tables(s);
        expect(Object.keys(t).sort()).toEqual(["AzureActivity", "AzureDiagnostics", "StorageBlobLogs"]);
        for (const table of Object.values(t)) {
            expect(inputs(table)).toEqual({
                workspaceName: inputs(law).workspaceName,
                resourceGroupName: "rg-fhir-comp-platform",
                tableName: inputs(table).tableName,
                retentionInDays: 90,
                totalRetentionInDays: 2191,
            });
            // After the workspace (by its name and resource group) and nothing else; nothing of an account waits for it.
            expect(new Set(table.dependencies.map((u) => s.byUrn.get(u)!.type))).toEqual(new Set([T.logAnalytics, T.rg]));
            expect(s.resources.some((r) => r.dependencies.includes(table.urn))).toBe(false);
            expect([table.protect, s.providerName(table)]).toEqual([true, "azure-main"]);
            expect(s.ancestors(table)[0].type).toBe("fhir-platform:index:AuditLogRetention");
        }
        for (const table of flipped.ofType(T.table)) expect(table.protect).toBe(false);
    });

    test("configured retention; AzureActivity keeps at least its free 90 days", async () => {
        const c = await capture(rawConfig([{ name: "contoso" }], { logAnalytics: { retentionDays: 30, totalRetentionDays: 1095 } }), {
            stack: "comp",
        });
        expect(inputs(c.ofType(T.logAnalytics)[0]).retentionInDays).toBe(30);
        const t = tables(c);
        expect([inputs(t.AzureDiagnostics).retentionInDays, inputs(t.AzureDiagnostics).totalRetentionInDays]).toEqual([30, 1095]);
        expect([inputs(t.StorageBlobLogs).retentionInDays, inputs(t.StorageBlobLogs).totalRetentionInDays]).toEqual([30, 1095]);
        expect([inputs(t.AzureActivity).retentionInDays, inputs(t.AzureActivity).totalRetentionInDays]).toEqual([90, 1095]);
    });

    test("an existing workspace: no table by default; with manageTableRetention, its tables through a provider for its subscription", async () => {
        const law = `/subscriptions/${SUB_C}/resourceGroups/rg-sec/providers/Microsoft.OperationalInsights/workspaces/law-central`;
        const plain = await capture(rawConfig([{ name: "contoso" }], { logAnalytics: { workspaceId: law } }), { stack: "comp" });
        expect(plain.ofType(T.table)).toEqual([]);
        const managed = await capture(
            rawConfig([{ name: "contoso" }], { logAnalytics: { workspaceId: law, manageTableRetention: true, totalRetentionDays: 2556 } }),
            { stack: "comp" },
        );
        expect(managed.ofType(T.logAnalytics)).toEqual([]);
        const provider = managed.one(T.provider, "azure-log-analytics");
        expect(inputs(provider).subscriptionId).toBe(SUB_C);
        for (const table of managed.ofType(T.table)) {
            expect(inputs(table)).toMatchObject({ workspaceName: "law-central", resourceGroupName: "rg-sec", totalRetentionInDays: 2556 });
            expect(managed.providerName(table)).toBe("azure-log-analytics");
        }
        // In one of the stack's own subscriptions: that subscription's provider, no extra one.
        const own = await capture(
            rawConfig([{ name: "contoso" }], { logAnalytics: { workspaceId: law.replace(SUB_C, SUB_A), manageTableRetention: true } }),
            { stack: "comp" },
        );
        expect(own.ofType(T.provider).map((p) => p.name)).toEqual(["azure-main"]);
        expect(own.ofType(T.table).map((t) => own.providerName(t))).toEqual(["azure-main", "azure-main", "azure-main"]);
    });
});

describe("control-plane audit: each subscription's Activity Log", () => {
    const twoSubs = (extra: Record<string, unknown> = {}) =>
        rawConfig([{ name: "contoso" }, { name: "fabrikam", subscription: "two" }], {
            subscriptions: [
                { name: "main", subscriptionId: SUB_A },
                { name: "two", subscriptionId: SUB_B, ...extra },
                { name: "spare", subscriptionId: SUB_C },
            ],
        });

    test("one setting per subscription the stack deploys into, through its provider, every category to Log Analytics", async () => {
        const c = await capture(twoSubs(), { stack: "comp" });
        const law = c.ofType(T.logAnalytics)[0];
        const settings = c.ofType(T.activityLog);
        expect(settings.map((x) => [x.name, c.providerName(x)])).toEqual([
            ["platform-activity-log-main", "azure-main"],
            ["platform-activity-log-two", "azure-two"],
        ]);
        for (const x of settings) {
            expect(inputs(x)).toEqual({
                name: "fhir-platform-activity-log",
                workspaceId: law.id,
                logs: [
                    "Administrative",
                    "Security",
                    "ServiceHealth",
                    "Alert",
                    "Recommendation",
                    "Policy",
                    "Autoscale",
                    "ResourceHealth",
                ].map((category) => ({ category, enabled: true })),
            });
            expect(x.protect).toBe(false);
            expect(x.dependencies.map((u) => c.byUrn.get(u)!.type)).toEqual([T.logAnalytics]);
        }
    });

    test("activityLog: false leaves a subscription's setting to another stack or an existing setup", async () => {
        const c = await capture(twoSubs({ activityLog: false }), { stack: "comp" });
        expect(c.ofType(T.activityLog).map((x) => x.name)).toEqual(["platform-activity-log-main"]);
    });
});

describe("exported PHI ages out: a lifecycle policy on every export storage account", () => {
    test("every blob (no prefix) deleted N days after creation, versions and snapshots too; append blobs deleted", () => {
        for (const account of ["contoso", "fabrikam", "importer"]) {
            const m = one(s, account, T.lifecycle);
            const after = { daysAfterCreationGreaterThan: 30 };
            expect(inputs(m)).toEqual({
                accountName: inputs(one(s, account, T.storage)).accountName,
                resourceGroupName: `rg-fhir-comp-${account}`,
                managementPolicyName: "default",
                policy: {
                    rules: [
                        {
                            name: "delete-block-blobs",
                            enabled: true,
                            type: "Lifecycle",
                            definition: {
                                filters: { blobTypes: ["blockBlob"] },
                                actions: { baseBlob: { delete: after }, version: { delete: after }, snapshot: { delete: after } },
                            },
                        },
                        {
                            name: "delete-append-blobs",
                            enabled: true,
                            type: "Lifecycle",
                            definition: { filters: { blobTypes: ["appendBlob"] }, actions: { baseBlob: { delete: after } } },
                        },
                    ],
                },
            });
            expect(m.protect).toBe(false);
            expect(m.dependencies).toContain(one(s, account, T.storage).urn);
            expect(s.outputs(account).exportRetentionDays).toBe(30);
        }
        expect(s.ofAccount("tailspin", T.lifecycle)).toEqual([]);
        expect(s.outputs("tailspin").exportRetentionDays).toBeUndefined();
    });

    test("the stack's exportRetentionDays, and an account's own", async () => {
        const c = await capture(
            rawConfig([{ name: "contoso" }, { name: "fabrikam", exportRetentionDays: 7 }], { exportRetentionDays: 90 }),
            {
                stack: "comp",
            },
        );
        const days = (a: string) =>
            inputs(one(c, a, T.lifecycle)).policy.rules[0].definition.actions.baseBlob.delete.daysAfterCreationGreaterThan;
        expect([days("contoso"), days("fabrikam")]).toEqual([90, 7]);
    });
});

describe("recovery copy: an opted-in account's $export output replicated to a second region", () => {
    let r: Captured;
    beforeAll(async () => {
        r = await capture(
            rawConfig([{ name: "contoso", recoveryCopy: true, exportRetentionDays: 14 }, { name: "fabrikam" }], {
                recoveryCopy: { location: "northcentralus" },
            }),
            { stack: "comp" },
        );
    });
    const byName = (name: string) => r.resources.find((x) => x.name === name && x.custom)!;

    test("storage in the second region, hardened and encrypted like export storage, admitting nothing but trusted services", () => {
        const source = inputs(byName("contoso-export-storage"));
        const copy = byName("contoso-recovery-storage");
        const { accountName, location, sku, networkRuleSet, ...rest } = inputs(copy);
        const { accountName: _a, location: _l, sku: _s, networkRuleSet: sourceRules, ...sourceRest } = source;
        expect(rest).toEqual(sourceRest);
        expect(accountName).toMatch(/^srcontoso[a-z0-9]{6}$/);
        // northcentralus has no availability zones: LRS there, ZRS in westeurope.
        expect([location, sku, source.sku]).toEqual(["northcentralus", { name: "Standard_LRS" }, { name: "Standard_ZRS" }]);
        expect(networkRuleSet).toEqual({ ...sourceRules, resourceAccessRules: [] });
        expect(copy.protect).toBe(true);
        // Encrypted with the key at creation: after the key grant's propagation; not after the workspace or FHIR service.
        const deps = copy.dependencies.map((u) => r.byUrn.get(u)!.type);
        expect(deps).toContain(T.wait);
        expect(deps).not.toContain(T.workspace);
        expect(deps).not.toContain(T.fhir);
        expect(r.outputs("contoso").recoveryCopy).toEqual({
            storageAccount: accountName,
            location: "northcentralus",
            container: "recovery",
        });
        expect(r.outputs("fabrikam").recoveryCopy).toBeUndefined();
        expect(r.ofAccount("fabrikam", T.storage)).toHaveLength(1);
    });

    test("versioning on both blob services, the change feed on the source (kept as long as the exports); soft delete, audit, lifecycle on the copy", () => {
        const source = inputs(byName("contoso-export-blob-service"));
        const copy = inputs(byName("contoso-recovery-blob-service"));
        expect([source.isVersioningEnabled, source.changeFeed]).toEqual([true, { enabled: true, retentionInDays: 14 }]);
        expect([copy.isVersioningEnabled, copy.changeFeed]).toEqual([true, undefined]);
        expect(copy.deleteRetentionPolicy).toEqual(source.deleteRetentionPolicy);
        expect(inputs(byName("fabrikam-export-blob-service")).isVersioningEnabled).toBeUndefined();
        expect(diagnosticsOf(r, byName("contoso-recovery-blob-service").id!).logs.map((l: { category: string }) => l.category)).toEqual([
            "StorageRead",
            "StorageWrite",
            "StorageDelete",
        ]);
        const lifecycle = inputs(byName("contoso-recovery-lifecycle"));
        expect(lifecycle.accountName).toBe(inputs(byName("contoso-recovery-storage")).accountName);
        expect(lifecycle.policy).toEqual(inputs(byName("contoso-export-lifecycle")).policy);
    });

    test("replication: recovery containers on both sides, the destination's policy first, the source's with its IDs", () => {
        const sourceContainer = byName("contoso-export-recovery-container");
        const copyContainer = byName("contoso-recovery-container");
        expect(inputs(sourceContainer)).toEqual({
            accountName: inputs(byName("contoso-export-storage")).accountName,
            resourceGroupName: "rg-fhir-comp-contoso",
            containerName: "recovery",
            publicAccess: "None",
        });
        expect(inputs(copyContainer).accountName).toBe(inputs(byName("contoso-recovery-storage")).accountName);
        // Versioning before the policy names the containers.
        expect(sourceContainer.dependencies).toContain(byName("contoso-export-blob-service").urn);
        expect(copyContainer.dependencies).toContain(byName("contoso-recovery-blob-service").urn);

        const destination = byName("contoso-recovery-replication-destination");
        const source = byName("contoso-recovery-replication-source");
        const ids = { sourceAccount: byName("contoso-export-storage").id, destinationAccount: byName("contoso-recovery-storage").id };
        expect(inputs(destination)).toEqual({
            accountName: inputs(byName("contoso-recovery-storage")).accountName,
            resourceGroupName: "rg-fhir-comp-contoso",
            objectReplicationPolicyId: "default",
            ...ids,
            rules: [{ sourceContainer: "recovery", destinationContainer: "recovery" }],
        });
        expect(inputs(source)).toEqual({
            accountName: inputs(byName("contoso-export-storage")).accountName,
            resourceGroupName: "rg-fhir-comp-contoso",
            objectReplicationPolicyId: destination.outputs.policyId,
            ...ids,
            rules: [
                {
                    ruleId: (destination.outputs.rules as { ruleId: string }[])[0].ruleId,
                    sourceContainer: "recovery",
                    destinationContainer: "recovery",
                },
            ],
        });
        expect(source.dependencies).toContain(destination.urn);
        expect(destination.dependencies).toEqual(expect.arrayContaining([sourceContainer.urn, copyContainer.urn]));
    });

    test("nothing of the copy is on the FHIR service's path; nothing is granted on it", () => {
        const fhir = one(r, "contoso", T.fhir);
        const copy = r.resources.filter((x) => /contoso-(recovery|export-recovery)/.test(x.name)).map((x) => x.urn);
        expect(copy.length).toBeGreaterThan(6);
        for (const dep of fhir.dependencies) expect(copy).not.toContain(dep);
        expect(r.ofAccount("contoso", T.grant).filter((g) => String(inputs(g).scope).includes("srcontoso"))).toEqual([]);
    });
});
