/**
 * Every policy of the pack, called as a plain function with the pack's own argument types: one compliant case (the dev
 * stack's resource as the stack program registers it) and at least one violating case (the same resource, weakened).
 */
import { ReportViolation, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { BUILT_IN_ROLES } from "../components/azure";
import { ACCOUNT_TAG } from "../components/naming";
import { CapturedResource } from "../scripts/lib/mockRun";
import { runStack } from "../scripts/lib/runStack";
import { NotApplicableError, resolvePolicyConfig, resourceValidationArgs, stackValidationArgs } from "../policies/offline";
import { FhirPolicy, policies } from "../policies/policies";
import { isStackPolicy } from "../policies/rules/common";

let dev: CapturedResource[];
beforeAll(async () => {
    dev = (await runStack({ stack: "dev" })).resources;
});

const policy = (name: string): FhirPolicy => {
    const p = policies.find((x) => x.name === name);
    if (!p) throw new Error(`no policy ${name}`);
    return p;
};
const byName = (resources: CapturedResource[], name: string, type?: string): CapturedResource => {
    const r = resources.find((x) => x.name === name && x.custom && (type === undefined || x.type === type));
    if (!r) throw new Error(`no resource ${name}`);
    return r;
};
/** A deep copy of `resources` with `name` changed by `edit`. */
function edited(resources: CapturedResource[], name: string, edit: (r: CapturedResource) => void): CapturedResource[] {
    return resources.map((r) => {
        if (r.name !== name || !r.custom) return r;
        const copy = structuredClone(r);
        edit(copy);
        return copy;
    });
}
type Props = Record<string, any>;
const props = (r: CapturedResource): Props => r.inputs as Props;

interface Found {
    message: string;
    urn?: string;
}

/** Runs a resource policy on one resource (config: as given, schema defaults applied). [] when not applicable. */
async function onResource(name: string, r: CapturedResource, config: Record<string, unknown> = {}): Promise<Found[]> {
    const p = policy(name) as ResourceValidationPolicy;
    const found: Found[] = [];
    const report: ReportViolation = (message, urn) => found.push({ message, ...(urn ? { urn } : {}) });
    const validations = Array.isArray(p.validateResource) ? p.validateResource : [p.validateResource!];
    const { properties } = resolvePolicyConfig(config).get(name)!;
    for (const v of validations) {
        try {
            await v(resourceValidationArgs(r, dev, properties), report);
        } catch (e) {
            if (!(e instanceof NotApplicableError)) throw e;
        }
    }
    return found;
}

async function onStack(name: string, resources: CapturedResource[], config: Record<string, unknown> = {}): Promise<Found[]> {
    const p = policy(name) as StackValidationPolicy;
    const found: Found[] = [];
    const { properties } = resolvePolicyConfig(config).get(name)!;
    await p.validateStack(stackValidationArgs(resources, properties), (message, urn) => found.push({ message, ...(urn ? { urn } : {}) }));
    return found;
}

const covered = new Set<string>();
const cases = (name: string, fn: () => void) => {
    covered.add(name);
    describe(name, fn);
};

cases("keyvault-purge-protection", () => {
    test("compliant: the platform vault", async () => expect(await onResource("keyvault-purge-protection", byName(dev, "contoso-vault"))).toEqual([]));
    test("violating: purge protection off", async () => {
        const r = byName(edited(dev, "contoso-vault", (v) => (props(v).properties.enablePurgeProtection = false)), "contoso-vault");
        expect((await onResource("keyvault-purge-protection", r)).map((f) => f.message)).toEqual([expect.stringMatching(/purge protection is off/)]);
    });
});

cases("keyvault-soft-delete", () => {
    test("compliant: 90 days, and unset retention means Azure's 90", async () => {
        expect(await onResource("keyvault-soft-delete", byName(dev, "contoso-vault"))).toEqual([]);
        const unset = byName(edited(dev, "contoso-vault", (v) => delete props(v).properties.softDeleteRetentionInDays), "contoso-vault");
        expect(await onResource("keyvault-soft-delete", unset)).toEqual([]);
    });
    test("violating: soft delete off", async () => {
        const r = byName(edited(dev, "contoso-vault", (v) => (props(v).properties.enableSoftDelete = false)), "contoso-vault");
        expect((await onResource("keyvault-soft-delete", r))[0].message).toMatch(/soft delete is off/);
    });
    test("violating: retention below the configured minimum (default 7, configurable)", async () => {
        const r = byName(edited(dev, "contoso-vault", (v) => (props(v).properties.softDeleteRetentionInDays = 30)), "contoso-vault");
        expect(await onResource("keyvault-soft-delete", r)).toEqual([]);
        expect((await onResource("keyvault-soft-delete", r, { "keyvault-soft-delete": { minimumRetentionDays: 60 } }))[0].message).toBe(
            "soft-delete retention is 30 days, below the minimum of 60",
        );
    });
});

cases("keyvault-rbac-authorization", () => {
    test("compliant", async () => expect(await onResource("keyvault-rbac-authorization", byName(dev, "fabrikam-vault"))).toEqual([]));
    test("violating: access policies instead of RBAC", async () => {
        const r = byName(
            edited(dev, "fabrikam-vault", (v) => {
                props(v).properties.enableRbacAuthorization = false;
                props(v).properties.accessPolicies = [{ objectId: "x", tenantId: "y", permissions: { keys: ["all"] } }];
            }),
            "fabrikam-vault",
        );
        expect((await onResource("keyvault-rbac-authorization", r)).map((f) => f.message)).toEqual([
            expect.stringMatching(/RBAC authorization is off/),
            expect.stringMatching(/access policies/),
        ]);
    });
});

cases("keyvault-network-restricted", () => {
    test("compliant: firewall Deny + AzureServices, or public access disabled", async () => {
        expect(await onResource("keyvault-network-restricted", byName(dev, "contoso-vault"))).toEqual([]);
        const privateOnly = byName(
            edited(dev, "contoso-vault", (v) => {
                delete props(v).properties.networkAcls;
                props(v).properties.publicNetworkAccess = "Disabled";
            }),
            "contoso-vault",
        );
        expect(await onResource("keyvault-network-restricted", privateOnly)).toEqual([]);
    });
    test("violating: firewall open, trusted services not allowed", async () => {
        const r = byName(edited(dev, "contoso-vault", (v) => (props(v).properties.networkAcls = { defaultAction: "Allow", bypass: "None" })), "contoso-vault");
        expect((await onResource("keyvault-network-restricted", r)).map((f) => f.message)).toEqual([
            expect.stringMatching(/default action is Allow/),
            expect.stringMatching(/trusted Azure services are not allowed/),
        ]);
    });
});

cases("cmk-key-rsa", () => {
    test("compliant: RSA 3072 and RSA 2048", async () => {
        expect(await onResource("cmk-key-rsa", byName(dev, "contoso-cmk", "azure-native:keyvault:Key"))).toEqual([]);
        expect(await onResource("cmk-key-rsa", byName(dev, "fabrikam-cmk", "azure-native:keyvault:Key"))).toEqual([]);
    });
    test("violating: EC key, 4096 bits", async () => {
        const r = byName(edited(dev, "contoso-cmk", (k) => Object.assign(props(k).properties, { kty: "EC", keySize: 4096 })), "contoso-cmk", "azure-native:keyvault:Key");
        expect((await onResource("cmk-key-rsa", r)).map((f) => f.message)).toEqual([
            "key type is EC: the FHIR service needs RSA or RSA-HSM",
            "key size is 4096: the FHIR service accepts 2048 or 3072 bits",
        ]);
    });
});

cases("cmk-key-wrap-unwrap", () => {
    test("compliant: wrap/unwrap listed, or keyOps unset", async () => {
        expect(await onResource("cmk-key-wrap-unwrap", byName(dev, "contoso-cmk", "azure-native:keyvault:Key"))).toEqual([]);
        const unset = byName(edited(dev, "contoso-cmk", (k) => delete props(k).properties.keyOps), "contoso-cmk", "azure-native:keyvault:Key");
        expect(await onResource("cmk-key-wrap-unwrap", unset)).toEqual([]);
    });
    test("violating: sign only", async () => {
        const r = byName(edited(dev, "contoso-cmk", (k) => (props(k).properties.keyOps = ["sign", "wrapKey"])), "contoso-cmk", "azure-native:keyvault:Key");
        expect((await onResource("cmk-key-wrap-unwrap", r))[0].message).toMatch(/lacks unwrapKey/);
    });
});

cases("cmk-key-name-length", () => {
    test("compliant", async () => expect(await onResource("cmk-key-name-length", byName(dev, "tailspin-cmk", "azure-native:keyvault:Key"))).toEqual([]));
    test("violating: 90 + 8 characters", async () => {
        const r = byName(edited(dev, "tailspin-cmk", (k) => (props(k).vaultName = "v".repeat(90))), "tailspin-cmk", "azure-native:keyvault:Key");
        expect((await onResource("cmk-key-name-length", r))[0].message).toMatch(/is 98 characters, over 94/);
    });
});

cases("cmk-key-rotation", () => {
    test("compliant: rotation policy, or an expiry alone", async () => {
        expect(await onResource("cmk-key-rotation", byName(dev, "contoso-cmk", "azure-native:keyvault:Key"))).toEqual([]);
        const expiring = byName(
            edited(dev, "contoso-cmk", (k) => {
                delete props(k).properties.rotationPolicy;
                props(k).properties.attributes.expires = 1900000000;
            }),
            "contoso-cmk",
            "azure-native:keyvault:Key",
        );
        expect(await onResource("cmk-key-rotation", expiring)).toEqual([]);
    });
    test("violating: notify-only policy without expiry", async () => {
        const r = byName(
            edited(dev, "contoso-cmk", (k) => (props(k).properties.rotationPolicy = { lifetimeActions: [{ action: { type: "notify" }, trigger: { timeAfterCreate: "P30D" } }] })),
            "contoso-cmk",
            "azure-native:keyvault:Key",
        );
        expect(await onResource("cmk-key-rotation", r)).toEqual([{ message: "the key neither rotates nor expires" }]);
    });
});

const fhir = (name: string, edit?: (p: Props) => void) =>
    byName(edit ? edited(dev, name, (r) => edit(props(r))) : dev, name, "azure-native:healthcareapis:FhirService");

cases("fhir-cmk-encryption", () => {
    test("compliant", async () => expect(await onResource("fhir-cmk-encryption", fhir("contoso-fhir"))).toEqual([]));
    test("violating: no CMK; a URL that is not a key", async () => {
        expect((await onResource("fhir-cmk-encryption", fhir("contoso-fhir", (p) => delete p.encryption)))[0].message).toMatch(/no customer-managed key/);
        const notKey = fhir("contoso-fhir", (p) => (p.encryption.customerManagedKeyEncryption.keyEncryptionKeyUrl = "https://kv.vault.azure.net/secrets/s"));
        expect((await onResource("fhir-cmk-encryption", notKey))[0].message).toMatch(/is not a Key Vault key URL/);
    });
});

cases("fhir-user-assigned-identity", () => {
    test("compliant", async () => expect(await onResource("fhir-user-assigned-identity", fhir("fabrikam-fhir"))).toEqual([]));
    test("violating: two identity types; two identities", async () => {
        const both = fhir("fabrikam-fhir", (p) => (p.identity.type = "SystemAssigned,UserAssigned"));
        expect((await onResource("fhir-user-assigned-identity", both))[0].message).toBe("identity type is SystemAssigned,UserAssigned: use exactly UserAssigned");
        const two = fhir("fabrikam-fhir", (p) => p.identity.userAssignedIdentities.push("/subscriptions/x/resourceGroups/y/providers/Microsoft.ManagedIdentity/userAssignedIdentities/z"));
        expect((await onResource("fhir-user-assigned-identity", two))[0].message).toBe("the service has 2 user-assigned identities: give it exactly one");
    });
});

cases("fhir-export-to-storage", () => {
    test("compliant: export + import to the account's storage; no export at all", async () => {
        expect(await onResource("fhir-export-to-storage", fhir("fabrikam-fhir"))).toEqual([]);
        expect(await onResource("fhir-export-to-storage", fhir("tailspin-fhir"))).toEqual([]);
    });
    test("violating: export without a target; import from a URL", async () => {
        const r = fhir("fabrikam-fhir", (p) => {
            p.exportConfiguration = {};
            p.importConfiguration.integrationDataStore = "https://example.com/drop";
        });
        expect((await onResource("fhir-export-to-storage", r)).map((f) => f.message)).toEqual([
            "exportConfiguration is set without a storage account",
            "import source 'https://example.com/drop' is not a storage account name",
        ]);
    });
});

cases("fhir-authentication", () => {
    test("compliant", async () => expect(await onResource("fhir-authentication", fhir("contoso-fhir"))).toEqual([]));
    test("violating: no authority, http audience", async () => {
        const r = fhir("contoso-fhir", (p) => {
            delete p.authenticationConfiguration.authority;
            p.authenticationConfiguration.audience = "http://contoso.example";
        });
        expect((await onResource("fhir-authentication", r)).map((f) => f.message)).toEqual([
            "authenticationConfiguration.authority is not set",
            "audience 'http://contoso.example' is not an https URL",
        ]);
    });
});

cases("no-azure-api-for-fhir", () => {
    test("compliant: an AHDS FHIR service is not its concern", async () => expect(await onResource("no-azure-api-for-fhir", fhir("contoso-fhir"))).toEqual([]));
    test("violating: Microsoft.HealthcareApis/services", async () => {
        const legacy: CapturedResource = {
            ...structuredClone(fhir("contoso-fhir")),
            type: "azure-native:healthcareapis:Service",
            name: "legacy",
            urn: "urn:pulumi:dev::fhir-platform::azure-native:healthcareapis:Service::legacy",
            inputs: { resourceName: "legacy-fhir", kind: "fhir-R4", resourceGroupName: "rg" },
        };
        expect(await onResource("no-azure-api-for-fhir", legacy)).toEqual([{ message: "Azure API for FHIR 'legacy-fhir' is retired" }]);
    });
});

cases("fhir-public-network-access", () => {
    test("compliant: tailspin's workspace has a private endpoint; exempt accounts are not reported", async () => {
        const found = await onStack("fhir-public-network-access", dev);
        expect(found.map((f) => f.urn)).toEqual([fhir("contoso-fhir").urn, fhir("fabrikam-fhir").urn]);
        expect(await onStack("fhir-public-network-access", dev, { "fhir-public-network-access": { exemptAccounts: ["contoso", "fabrikam"] } })).toEqual([]);
    });
    test("violating: the private endpoint points elsewhere", async () => {
        const moved = edited(dev, "tailspin-workspace-pe", (pe) => {
            props(pe).privateLinkServiceConnections[0].privateLinkServiceId = "/subscriptions/s/resourceGroups/r/providers/Microsoft.HealthcareApis/workspaces/other";
            pe.propertyDependencies.privateLinkServiceConnections = [];
        });
        const found = await onStack("fhir-public-network-access", moved, { "fhir-public-network-access": { exemptAccounts: ["contoso", "fabrikam"] } });
        expect(found).toEqual([{ message: expect.stringMatching(/'tailspin-fhir' \(account tailspin\) is publicly reachable/), urn: fhir("tailspin-fhir").urn }]);
    });
});

const st = (edit?: (p: Props) => void) => byName(edit ? edited(dev, "contoso-export-storage", (r) => edit(props(r))) : dev, "contoso-export-storage");
const storageCases: [string, (p: Props) => void, RegExp][] = [
    ["storage-https-only", (p) => (p.enableHttpsTrafficOnly = false), /HTTPS-only is not set/],
    ["storage-minimum-tls", (p) => (p.minimumTlsVersion = "TLS1_0"), /minimum TLS version is TLS1_0/],
    ["storage-no-public-blob-access", (p) => delete p.allowBlobPublicAccess, /anonymous blob access is not forbidden/],
    ["storage-no-shared-key", (p) => (p.allowSharedKeyAccess = true), /shared key access is allowed/],
];
for (const [name, weaken, message] of storageCases) {
    cases(name, () => {
        test("compliant: the export storage account", async () => expect(await onResource(name, st())).toEqual([]));
        test("violating", async () => expect((await onResource(name, st(weaken))).map((f) => f.message)).toEqual([expect.stringMatching(message)]));
    });
}

const grant = (name: string, edit?: (p: Props) => void) => byName(edit ? edited(dev, name, (r) => edit(props(r))) : dev, name);
const withRole = (id: string, role: keyof typeof BUILT_IN_ROLES) => id.replace(/[^/]+$/, BUILT_IN_ROLES[role]);

cases("rbac-no-privileged-roles", () => {
    test("compliant: the crypto grant", async () => expect(await onResource("rbac-no-privileged-roles", grant("contoso-cmk-crypto-grant"))).toEqual([]));
    test("violating: Owner, and User Access Administrator by bare GUID", async () => {
        const owner = grant("contoso-cmk-crypto-grant", (p) => (p.roleDefinitionId = withRole(p.roleDefinitionId, "Owner")));
        expect((await onResource("rbac-no-privileged-roles", owner))[0].message).toMatch(/^grants Owner at /);
        const uaa = grant("contoso-cmk-crypto-grant", (p) => (p.roleDefinitionId = BUILT_IN_ROLES["User Access Administrator"]));
        expect((await onResource("rbac-no-privileged-roles", uaa))[0].message).toMatch(/^grants User Access Administrator/);
    });
});

const rgScope = "/subscriptions/00000000-0000-4000-8000-00000000d001/resourceGroups/rg-fhir-dev-contoso";

cases("rbac-fhir-roles-at-fhir-scope", () => {
    test("compliant: data contributor at the service (ARM's fhirServices casing too)", async () => {
        const name = "contoso-fhir-data-contributor-11111111-1111-4111-8111-111111111111";
        expect(await onResource("rbac-fhir-roles-at-fhir-scope", grant(name))).toEqual([]);
        const camel = grant(name, (p) => (p.scope = p.scope.replace("/fhirservices/", "/fhirServices/")));
        expect(await onResource("rbac-fhir-roles-at-fhir-scope", camel)).toEqual([]);
    });
    test("violating: FHIR Data Reader at the workspace and at the resource group", async () => {
        const name = "tailspin-fhir-data-reader-55555555-5555-4555-8555-555555555555";
        const atWs = grant(name, (p) => (p.scope = p.scope.replace(/\/fhirservices\/.*$/, "")));
        expect((await onResource("rbac-fhir-roles-at-fhir-scope", atWs))[0].message).toMatch(/^FHIR Data Reader is granted at a healthWorkspace scope/);
        const atRg = grant(name, (p) => (p.scope = rgScope));
        expect((await onResource("rbac-fhir-roles-at-fhir-scope", atRg))[0].message).toMatch(/^FHIR Data Reader is granted at a resourceGroup scope/);
    });
});

cases("rbac-data-roles-at-resource-scope", () => {
    test("compliant: crypto at the key, blob at the storage account", async () => {
        expect(await onResource("rbac-data-roles-at-resource-scope", grant("contoso-cmk-crypto-grant"))).toEqual([]);
        expect(await onResource("rbac-data-roles-at-resource-scope", grant("contoso-export-blob-grant"))).toEqual([]);
    });
    test("violating: crypto at the resource group, blob at the subscription", async () => {
        const crypto = grant("contoso-cmk-crypto-grant", (p) => (p.scope = rgScope));
        expect((await onResource("rbac-data-roles-at-resource-scope", crypto))[0].message).toMatch(/^Key Vault Crypto Service Encryption User is granted at a resourceGroup scope/);
        const blob = grant("contoso-export-blob-grant", (p) => (p.scope = "/subscriptions/00000000-0000-4000-8000-00000000d001"));
        expect((await onResource("rbac-data-roles-at-resource-scope", blob))[0].message).toMatch(/^Storage Blob Data Contributor is granted at a subscription scope/);
    });
});

cases("fhir-identity-holds-crypto-role", () => {
    test("compliant: every account's identity holds the role on its key", async () => expect(await onStack("fhir-identity-holds-crypto-role", dev)).toEqual([]));
    test("violating: contoso's crypto grant goes to another principal", async () => {
        const broken = edited(dev, "contoso-cmk-crypto-grant", (g) => {
            props(g).principalId = "99999999-9999-4999-8999-999999999999";
            g.propertyDependencies.principalId = [];
        });
        expect(await onStack("fhir-identity-holds-crypto-role", broken)).toEqual([
            { message: expect.stringMatching(/^FhirService 'contoso-fhir' runs as UserAssignedIdentity 'contoso-identity', which holds no Key Vault Crypto Service Encryption User grant on Key 'contoso-cmk'/), urn: fhir("contoso-fhir").urn },
        ]);
    });
});

cases("account-isolation", () => {
    test("compliant: the dev stack's three accounts", async () => expect(await onStack("account-isolation", dev)).toEqual([]));
    test("violating: contoso's grant on fabrikam's key (by ARM ID only, no dependency)", async () => {
        const fabrikamKey = byName(dev, "fabrikam-cmk", "azure-native:keyvault:Key");
        const broken = edited(dev, "contoso-cmk-crypto-grant", (g) => {
            props(g).scope = fabrikamKey.id!;
            g.propertyDependencies.scope = [];
        });
        expect(await onStack("account-isolation", broken)).toEqual([
            { message: "RoleAssignment 'contoso-cmk-crypto-grant' of account contoso grants on Key 'fabrikam-cmk' of account fabrikam", urn: byName(dev, "contoso-cmk-crypto-grant").urn },
        ]);
    });
    test("violating: fabrikam's FHIR service runs as contoso's identity and exports to contoso's storage", async () => {
        const contosoIdentity = byName(dev, "contoso-identity", "azure-native:managedidentity:UserAssignedIdentity");
        const broken = edited(dev, "fabrikam-fhir", (f) => {
            props(f).identity.userAssignedIdentities = [contosoIdentity.id];
            props(f).exportConfiguration.storageAccountName = props(byName(dev, "contoso-export-storage")).accountName;
            f.propertyDependencies.identity = [];
        });
        const found = await onStack("account-isolation", broken);
        expect(found.map((f) => f.message)).toEqual([
            "FhirService 'fabrikam-fhir' of account fabrikam runs as UserAssignedIdentity 'contoso-identity' of account contoso",
            "FhirService 'fabrikam-fhir' of account fabrikam exports or imports through StorageAccount 'contoso-export-storage' of account contoso",
        ]);
        expect(found.every((f) => f.urn === fhir("fabrikam-fhir").urn)).toBe(true);
    });
});

cases("fhir-audit-diagnostics", () => {
    test("compliant: each service's AuditLogs go to Log Analytics", async () => expect(await onStack("fhir-audit-diagnostics", dev)).toEqual([]));
    test("violating: contoso's setting removed; fabrikam's sends metrics only", async () => {
        const broken = edited(
            dev.filter((r) => r.name !== "contoso-fhir-audit"),
            "fabrikam-fhir-audit",
            (d) => (props(d).logs = [{ category: "AuditLogs", enabled: false }]),
        );
        expect(await onStack("fhir-audit-diagnostics", broken)).toEqual([
            { message: "FhirService 'contoso-fhir' has no diagnostic setting", urn: fhir("contoso-fhir").urn },
            { message: "FhirService 'fabrikam-fhir' has diagnostic settings, but none sends AuditLogs to Log Analytics", urn: fhir("fabrikam-fhir").urn },
        ]);
    });
});

cases("stateful-resources-protected", () => {
    test("compliant: protected vault; an identity is not stateful", async () => {
        expect(await onResource("stateful-resources-protected", byName(dev, "contoso-vault"))).toEqual([]);
        const identity = byName(dev, "contoso-identity", "azure-native:managedidentity:UserAssignedIdentity");
        expect(identity.protect).toBe(false);
        expect(await onResource("stateful-resources-protected", identity)).toEqual([]);
    });
    test("violating: unprotected vault; configured types are honoured", async () => {
        const r = byName(edited(dev, "contoso-vault", (v) => (v.protect = false)), "contoso-vault");
        expect(await onResource("stateful-resources-protected", r)).toEqual([{ message: "azure-native:keyvault:Vault 'contoso-vault' is not protected" }]);
        expect(await onResource("stateful-resources-protected", r, { "stateful-resources-protected": { resourceTypes: ["azure-native:keyvault:Key"] } })).toEqual([]);
    });
});

cases("resources-tagged", () => {
    test("compliant: account tag, platform tag, role assignment marker, untaggable diagnostics", async () => {
        for (const name of ["contoso-vault", "platform-log-analytics", "contoso-cmk-crypto-grant", "contoso-fhir-audit"]) {
            expect(await onResource("resources-tagged", byName(dev, name))).toEqual([]);
        }
    });
    test("violating: vault without the account tag; grant without the marker", async () => {
        const vault = byName(edited(dev, "contoso-vault", (v) => delete props(v).tags[ACCOUNT_TAG]), "contoso-vault");
        expect((await onResource("resources-tagged", vault))[0].message).toMatch(/has neither the fhir-platform:account nor/);
        const g = grant("contoso-cmk-crypto-grant", (p) => (p.description = "crypto grant"));
        expect((await onResource("resources-tagged", g))[0].message).toMatch(/no "\[fhir-platform account=<name>\]" marker/);
    });
});

test("every policy has a name, description, level, remediation and test cases here; config schemas carry defaults", () => {
    expect(policies.length).toBe(26);
    expect(new Set(policies.map((p) => p.name)).size).toBe(policies.length);
    for (const p of policies) {
        expect(p.description.length).toBeGreaterThan(20);
        expect(p.remediationSteps.length).toBeGreaterThan(20);
        expect(["advisory", "mandatory"]).toContain(p.enforcementLevel);
        expect(isStackPolicy(p) || "validateResource" in p).toBe(true);
        for (const s of Object.values(p.configSchema?.properties ?? {})) expect(s.default).toBeDefined();
    }
    expect([...covered].sort()).toEqual(policies.map((p) => p.name).sort());
});
