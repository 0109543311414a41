/**
 * Every policy of the pack, called as a plain function with the pack's own argument types: one compliant case (the dev
 * stack's resource as the stack program registers it) and at least one violating case (the same resource, weakened).
 */
import { devStack } from "./helpers/devStack";
import type { ReportViolation, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { BUILT_IN_ROLES } from "../azure/facts";
import { ACCOUNT_TAG } from "../azure/naming";
import type { CapturedResource } from "../harness/mockRun";
import {
    NotApplicableError,
    type PolicyRunOptions,
    resolvePolicyConfig,
    resourceValidationArgs,
    stackValidationArgs,
} from "../harness/policyRunner";
import { type FhirPolicy, policies } from "../policies/policies";
import { isStackPolicy } from "../policies/rules/common";

let dev: CapturedResource[];
beforeAll(async () => {
    dev = (await devStack()).resources;
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

async function onStack(
    name: string,
    resources: CapturedResource[],
    config: Record<string, unknown> = {},
    options: PolicyRunOptions = {},
): Promise<Found[]> {
    const p = policy(name) as StackValidationPolicy;
    const found: Found[] = [];
    const { properties } = resolvePolicyConfig(config).get(name)!;
    await p.validateStack(stackValidationArgs(resources, properties, options), (message, urn) =>
        found.push({ message, ...(urn ? { urn } : {}) }),
    );
    return found;
}

const covered = new Set<string>();
const cases = (name: string, fn: () => void) => {
    covered.add(name);
    describe(name, fn);
};

cases("keyvault-purge-protection", () => {
    test("compliant: the platform vault", async () =>
        expect(await onResource("keyvault-purge-protection", byName(dev, "contoso-vault"))).toEqual([]));
    test("violating: purge protection off", async () => {
        const r = byName(
            edited(dev, "contoso-vault", (v) => (props(v).properties.enablePurgeProtection = false)),
            "contoso-vault",
        );
        expect((await onResource("keyvault-purge-protection", r)).map((f) => f.message)).toEqual([
            expect.stringMatching(/purge protection is off/),
        ]);
    });
});

cases("keyvault-soft-delete", () => {
    test("compliant: 90 days, and unset retention means Azure's 90", async () => {
        expect(await onResource("keyvault-soft-delete", byName(dev, "contoso-vault"))).toEqual([]);
        const unset = byName(
            edited(dev, "contoso-vault", (v) => delete props(v).properties.softDeleteRetentionInDays),
            "contoso-vault",
        );
        expect(await onResource("keyvault-soft-delete", unset)).toEqual([]);
    });
    test("violating: soft delete off", async () => {
        const r = byName(
            edited(dev, "contoso-vault", (v) => (props(v).properties.enableSoftDelete = false)),
            "contoso-vault",
        );
        expect((await onResource("keyvault-soft-delete", r))[0].message).toMatch(/soft delete is off/);
    });
    test("violating: retention below the configured minimum (default 7, configurable)", async () => {
        const r = byName(
            edited(dev, "contoso-vault", (v) => (props(v).properties.softDeleteRetentionInDays = 30)),
            "contoso-vault",
        );
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

const openVault = (v: CapturedResource) => (props(v).properties.networkAcls = { defaultAction: "Allow", bypass: "AzureServices" });

cases("keyvault-network-restricted", () => {
    test("compliant: firewall Deny, or public access disabled", async () => {
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
    test("violating: firewall open (keyVaultNetwork: allNetworks), or no firewall at all", async () => {
        const open = byName(edited(dev, "contoso-vault", openVault), "contoso-vault");
        expect(await onResource("keyvault-network-restricted", open)).toEqual([
            {
                message:
                    "the vault firewall's default action is Allow: set it to Deny, or exempt the account if its vault is open by design",
            },
        ]);
        const none = byName(
            edited(dev, "contoso-vault", (v) => delete props(v).properties.networkAcls),
            "contoso-vault",
        );
        expect((await onResource("keyvault-network-restricted", none))[0].message).toMatch(/default action is unset \(Allow\)/);
    });
    test("exemptAccounts: an account open by design is not reported; the others still are", async () => {
        const open = byName(edited(dev, "contoso-vault", openVault), "contoso-vault");
        expect(
            await onResource("keyvault-network-restricted", open, { "keyvault-network-restricted": { exemptAccounts: ["contoso"] } }),
        ).toEqual([]);
        expect(
            await onResource("keyvault-network-restricted", open, { "keyvault-network-restricted": { exemptAccounts: ["fabrikam"] } }),
        ).toHaveLength(1);
    });
});

cases("keyvault-trusted-services-bypass", () => {
    test(
        "compliant: Deny + AzureServices, or bypass unset (Key Vault's default is AzureServices); an open vault (allNetworks) has no " +
            "firewall to bypass",
        async () => {
            expect(await onResource("keyvault-trusted-services-bypass", byName(dev, "contoso-vault"))).toEqual([]);
            const unset = byName(
                edited(dev, "contoso-vault", (v) => delete props(v).properties.networkAcls.bypass),
                "contoso-vault",
            );
            expect(await onResource("keyvault-trusted-services-bypass", unset)).toEqual([]);
            const open = byName(
                edited(dev, "contoso-vault", (v) => (props(v).properties.networkAcls = { defaultAction: "Allow", bypass: "None" })),
                "contoso-vault",
            );
            expect(await onResource("keyvault-trusted-services-bypass", open)).toEqual([]);
        },
    );
    test("violating: Deny without the bypass; public access disabled without it", async () => {
        const denyOnly = byName(
            edited(dev, "contoso-vault", (v) => (props(v).properties.networkAcls.bypass = "None")),
            "contoso-vault",
        );
        expect(await onResource("keyvault-trusted-services-bypass", denyOnly)).toEqual([
            { message: "the vault firewall lets no trusted Azure service through (bypass None): the FHIR service could not reach its CMK" },
        ]);
        const disabled = byName(
            edited(dev, "contoso-vault", (v) => {
                props(v).properties.networkAcls = { defaultAction: "Allow", bypass: "None" };
                props(v).properties.publicNetworkAccess = "Disabled";
            }),
            "contoso-vault",
        );
        expect((await onResource("keyvault-trusted-services-bypass", disabled))[0].message).toMatch(/\(bypass None\)/);
    });
});

cases("cmk-key-rsa", () => {
    test("compliant: RSA 3072 and RSA 2048", async () => {
        expect(await onResource("cmk-key-rsa", byName(dev, "contoso-cmk", "azure-native:keyvault:Key"))).toEqual([]);
        expect(await onResource("cmk-key-rsa", byName(dev, "fabrikam-cmk", "azure-native:keyvault:Key"))).toEqual([]);
    });
    test("violating: EC key, 4096 bits", async () => {
        const r = byName(
            edited(dev, "contoso-cmk", (k) => Object.assign(props(k).properties, { kty: "EC", keySize: 4096 })),
            "contoso-cmk",
            "azure-native:keyvault:Key",
        );
        expect((await onResource("cmk-key-rsa", r)).map((f) => f.message)).toEqual([
            "key type is EC: the FHIR service needs RSA or RSA-HSM",
            "key size is 4096: the FHIR service accepts 2048 or 3072 bits",
        ]);
    });
});

cases("cmk-key-wrap-unwrap", () => {
    test("compliant: wrap/unwrap listed, or keyOps unset", async () => {
        expect(await onResource("cmk-key-wrap-unwrap", byName(dev, "contoso-cmk", "azure-native:keyvault:Key"))).toEqual([]);
        const unset = byName(
            edited(dev, "contoso-cmk", (k) => delete props(k).properties.keyOps),
            "contoso-cmk",
            "azure-native:keyvault:Key",
        );
        expect(await onResource("cmk-key-wrap-unwrap", unset)).toEqual([]);
    });
    test("violating: sign only", async () => {
        const r = byName(
            edited(dev, "contoso-cmk", (k) => (props(k).properties.keyOps = ["sign", "wrapKey"])),
            "contoso-cmk",
            "azure-native:keyvault:Key",
        );
        expect((await onResource("cmk-key-wrap-unwrap", r))[0].message).toMatch(/lacks unwrapKey/);
    });
});

cases("cmk-key-name-length", () => {
    test("compliant", async () =>
        expect(await onResource("cmk-key-name-length", byName(dev, "tailspin-cmk", "azure-native:keyvault:Key"))).toEqual([]));
    test("violating: 90 + 8 characters", async () => {
        const r = byName(
            edited(dev, "tailspin-cmk", (k) => (props(k).vaultName = "v".repeat(90))),
            "tailspin-cmk",
            "azure-native:keyvault:Key",
        );
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
            edited(
                dev,
                "contoso-cmk",
                (k) =>
                    (props(k).properties.rotationPolicy = {
                        lifetimeActions: [{ action: { type: "notify" }, trigger: { timeAfterCreate: "P30D" } }],
                    }),
            ),
            "contoso-cmk",
            "azure-native:keyvault:Key",
        );
        expect(await onResource("cmk-key-rotation", r)).toEqual([{ message: "the key neither rotates nor expires" }]);
    });
});

const fhir = (name: string, edit?: (p: Props) => void) =>
    byName(edit ? edited(dev, name, (r) => edit(props(r))) : dev, name, "azure-native:healthcareapis:FhirService");

const hsmOn = { "keyvault-hsm-keys": { requireHsmKeys: true } };
const key = (name: string, edit?: (p: Props) => void) =>
    byName(edit ? edited(dev, name, (r) => edit(props(r))) : dev, name, "azure-native:keyvault:Key");

cases("keyvault-hsm-keys", () => {
    test("compliant: off by default; on, an RSA-HSM key in a Premium vault", async () => {
        expect(await onResource("keyvault-hsm-keys", key("contoso-cmk"))).toEqual([]);
        expect(await onResource("keyvault-hsm-keys", byName(dev, "contoso-vault"))).toEqual([]);
        expect(
            await onResource(
                "keyvault-hsm-keys",
                key("contoso-cmk", (p) => (p.properties.kty = "RSA-HSM")),
                hsmOn,
            ),
        ).toEqual([]);
        const premium = byName(
            edited(dev, "contoso-vault", (v) => (props(v).properties.sku.name = "premium")),
            "contoso-vault",
        );
        expect(await onResource("keyvault-hsm-keys", premium, hsmOn)).toEqual([]);
        expect(await onResource("keyvault-hsm-keys", fhir("contoso-fhir"), hsmOn)).toEqual([]);
    });
    test("violating, when on: the platform's RSA key and standard vault", async () => {
        expect(await onResource("keyvault-hsm-keys", key("contoso-cmk"), hsmOn)).toEqual([
            { message: "key type is RSA: HSM-protected keys are required (RSA-HSM)" },
        ]);
        expect(await onResource("keyvault-hsm-keys", byName(dev, "contoso-vault"), hsmOn)).toEqual([
            { message: "the vault's tier is standard: HSM-protected keys need a Premium vault" },
        ]);
    });
});

cases("fhir-cmk-encryption", () => {
    test("compliant", async () => expect(await onResource("fhir-cmk-encryption", fhir("contoso-fhir"))).toEqual([]));
    test("violating: no CMK; a URL that is not a key", async () => {
        expect(
            (
                await onResource(
                    "fhir-cmk-encryption",
                    fhir("contoso-fhir", (p) => delete p.encryption),
                )
            )[0].message,
        ).toMatch(/no customer-managed key/);
        const notKey = fhir(
            "contoso-fhir",
            (p) => (p.encryption.customerManagedKeyEncryption.keyEncryptionKeyUrl = "https://kv.vault.azure.net/secrets/s"),
        );
        expect((await onResource("fhir-cmk-encryption", notKey))[0].message).toMatch(/is not a Key Vault key URL/);
    });
});

cases("fhir-user-assigned-identity", () => {
    test("compliant", async () => expect(await onResource("fhir-user-assigned-identity", fhir("fabrikam-fhir"))).toEqual([]));
    test("violating: two identity types; two identities", async () => {
        const both = fhir("fabrikam-fhir", (p) => (p.identity.type = "SystemAssigned,UserAssigned"));
        expect((await onResource("fhir-user-assigned-identity", both))[0].message).toBe(
            "identity type is SystemAssigned,UserAssigned: use exactly UserAssigned",
        );
        const two = fhir("fabrikam-fhir", (p) =>
            p.identity.userAssignedIdentities.push(
                "/subscriptions/x/resourceGroups/y/providers/Microsoft.ManagedIdentity/userAssignedIdentities/z",
            ),
        );
        expect((await onResource("fhir-user-assigned-identity", two))[0].message).toBe(
            "the service has 2 user-assigned identities: give it exactly one",
        );
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
    test("compliant: an AHDS FHIR service is not its concern", async () =>
        expect(await onResource("no-azure-api-for-fhir", fhir("contoso-fhir"))).toEqual([]));
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

cases("fhir-no-smart-proxy", () => {
    test("compliant: the dev stack's services send smartProxyEnabled: false", async () => {
        expect(fhir("fabrikam-fhir").inputs.authenticationConfiguration).toMatchObject({ smartProxyEnabled: false });
        expect(await onResource("fhir-no-smart-proxy", fhir("fabrikam-fhir"))).toEqual([]);
    });
    test("violating: smartProxyEnabled: true", async () => {
        const on = structuredClone(fhir("fabrikam-fhir"));
        props(on).authenticationConfiguration.smartProxyEnabled = true;
        expect(await onResource("fhir-no-smart-proxy", on)).toEqual([
            { message: "the retired SMART on FHIR proxy is enabled (retired 2026-09-21)" },
        ]);
    });
});

cases("fhir-public-network-access", () => {
    test("compliant: tailspin's workspace has a private endpoint; exempt accounts are not reported", async () => {
        const found = await onStack("fhir-public-network-access", dev);
        expect(found.map((f) => f.urn)).toEqual([fhir("contoso-fhir").urn, fhir("fabrikam-fhir").urn]);
        expect(
            await onStack("fhir-public-network-access", dev, { "fhir-public-network-access": { exemptAccounts: ["contoso", "fabrikam"] } }),
        ).toEqual([]);
    });
    test("violating: the private endpoint points elsewhere", async () => {
        const moved = edited(dev, "tailspin-workspace-pe", (pe) => {
            props(pe).privateLinkServiceConnections[0].privateLinkServiceId =
                "/subscriptions/s/resourceGroups/r/providers/Microsoft.HealthcareApis/workspaces/other";
            pe.propertyDependencies.privateLinkServiceConnections = [];
        });
        const found = await onStack("fhir-public-network-access", moved, {
            "fhir-public-network-access": { exemptAccounts: ["contoso", "fabrikam"] },
        });
        expect(found).toEqual([
            {
                message: expect.stringMatching(/'tailspin-fhir' \(account tailspin\) is publicly reachable/),
                urn: fhir("tailspin-fhir").urn,
            },
        ]);
    });
});

const st = (edit?: (p: Props) => void) =>
    byName(edit ? edited(dev, "contoso-export-storage", (r) => edit(props(r))) : dev, "contoso-export-storage");
const storageCases: [string, (p: Props) => void, RegExp][] = [
    ["storage-https-only", (p) => (p.enableHttpsTrafficOnly = false), /HTTPS-only is not set/],
    ["storage-minimum-tls", (p) => (p.minimumTlsVersion = "TLS1_0"), /minimum TLS version is TLS1_0/],
    ["storage-no-public-blob-access", (p) => delete p.allowBlobPublicAccess, /anonymous blob access is not forbidden/],
    ["storage-no-shared-key", (p) => (p.allowSharedKeyAccess = true), /shared key access is allowed/],
    ["storage-network-restricted", (p) => (p.networkRuleSet.defaultAction = "Allow"), /^the storage firewall's default action is Allow/],
    [
        "storage-trusted-services-bypass",
        (p) => (p.networkRuleSet.bypass = "Logging, Metrics"),
        /lets no trusted Azure service through \(bypass Logging, Metrics\)/,
    ],
    ["storage-no-cross-tenant-replication", (p) => delete p.allowCrossTenantReplication, /^allowCrossTenantReplication is unset/],
    ["storage-cmk-encryption", (p) => (p.encryption.keySource = "Microsoft.Storage"), /^encryption keySource is Microsoft.Storage/],
    [
        "storage-infrastructure-encryption",
        (p) => (p.encryption.requireInfrastructureEncryption = false),
        /^infrastructure encryption is off/,
    ],
];
for (const [name, weaken, message] of storageCases) {
    cases(name, () => {
        test("compliant: the export storage account", async () => expect(await onResource(name, st())).toEqual([]));
        test("violating", async () =>
            expect((await onResource(name, st(weaken))).map((f) => f.message)).toEqual([expect.stringMatching(message)]));
    });
}

describe("storage rules, more cases", () => {
    test("public network access disabled passes the firewall rule, and needs the bypass too", async () => {
        const privateOnly = st((p) => {
            delete p.networkRuleSet;
            p.publicNetworkAccess = "Disabled";
        });
        expect(await onResource("storage-network-restricted", privateOnly)).toEqual([]);
        expect((await onResource("storage-trusted-services-bypass", privateOnly))[0].message).toMatch(
            /\(bypass unset: set it explicitly\)/,
        );
        expect(
            await onResource(
                "storage-trusted-services-bypass",
                st((p) => (p.networkRuleSet.bypass = "Logging, AzureServices")),
            ),
        ).toEqual([]);
    });
    test("a customer-managed key needs a vault and a key", async () => {
        const noKey = st((p) => (p.encryption.keyVaultProperties = { keyVaultUri: p.encryption.keyVaultProperties.keyVaultUri }));
        expect(await onResource("storage-cmk-encryption", noKey)).toEqual([
            { message: "encryption.keyVaultProperties lacks keyName: no customer-managed key is named" },
        ]);
        expect(
            (
                await onResource(
                    "storage-cmk-encryption",
                    st((p) => delete p.encryption),
                )
            )[0].message,
        ).toMatch(/keySource is unset \(Microsoft.Storage\)/);
    });
});

cases("storage-soft-delete", () => {
    test("compliant: blob and container soft delete, 30 days, on every export storage account", async () => {
        expect(await onStack("storage-soft-delete", dev)).toEqual([]);
        expect(await onStack("storage-soft-delete", dev, { "storage-soft-delete": { minimumRetentionDays: 30 } })).toEqual([]);
    });
    test("violating: contoso has no blob service properties; fabrikam's container soft delete is off; a longer minimum", async () => {
        const broken = edited(
            dev.filter((r) => r.name !== "contoso-export-blob-service"),
            "fabrikam-export-blob-service",
            (b) => (props(b).containerDeleteRetentionPolicy.enabled = false),
        );
        expect(await onStack("storage-soft-delete", broken)).toEqual([
            {
                message:
                    "StorageAccount 'contoso-export-storage' has no blob service properties: blob and container soft delete are off " +
                    "by default",
                urn: byName(dev, "contoso-export-storage").urn,
            },
            {
                message:
                    "BlobServiceProperties 'fabrikam-export-blob-service' of StorageAccount 'fabrikam-export-storage': container soft " +
                    "delete is off",
                urn: byName(dev, "fabrikam-export-blob-service").urn,
            },
        ]);
        const found = await onStack("storage-soft-delete", dev, { "storage-soft-delete": { minimumRetentionDays: 31 } });
        expect(found.map((f) => f.message)).toEqual([
            "BlobServiceProperties 'contoso-recovery-blob-service' of StorageAccount 'contoso-recovery-storage': blob soft delete keeps " +
                "30 days, below the minimum of 31",
            "BlobServiceProperties 'contoso-recovery-blob-service' of StorageAccount 'contoso-recovery-storage': container soft " +
                "delete keeps 30 days, below the minimum of 31",
            "BlobServiceProperties 'contoso-export-blob-service' of StorageAccount 'contoso-export-storage': blob soft delete keeps " +
                "30 days, below the minimum of 31",
            "BlobServiceProperties 'contoso-export-blob-service' of StorageAccount 'contoso-export-storage': container soft delete " +
                "keeps 30 days, below the minimum of 31",
            "BlobServiceProperties 'fabrikam-export-blob-service' of StorageAccount 'fabrikam-export-storage': blob soft delete keeps " +
                "30 days, below the minimum of 31",
            "BlobServiceProperties 'fabrikam-export-blob-service' of StorageAccount 'fabrikam-export-storage': container soft delete " +
                "keeps 30 days, below the minimum of 31",
        ]);
    });
    test("related by name when the dependency is gone", async () => {
        const byNameOnly = edited(dev, "contoso-export-blob-service", (b) => (b.propertyDependencies.accountName = []));
        expect(await onStack("storage-soft-delete", byNameOnly)).toEqual([]);
        const elsewhere = edited(byNameOnly, "contoso-export-blob-service", (b) => (props(b).accountName = "stother"));
        expect((await onStack("storage-soft-delete", elsewhere)).map((f) => f.message)).toEqual([
            expect.stringMatching(/^StorageAccount 'contoso-export-storage' has no blob service properties/),
        ]);
    });
});

const grant = (name: string, edit?: (p: Props) => void) => byName(edit ? edited(dev, name, (r) => edit(props(r))) : dev, name);
const withRole = (id: string, role: keyof typeof BUILT_IN_ROLES) => id.replace(/[^/]+$/, BUILT_IN_ROLES[role]);
/** The dev stack with grant `name` edited (its inputs, and the grant itself for its dependencies). */
const grantEdited = (name: string, edit: (p: Props, r: CapturedResource) => void) => edited(dev, name, (r) => edit(props(r), r));
/** What a grant policy (a stack policy) reports on the dev stack with grant `name` edited: the messages, each on that grant. */
async function onGrant(
    policyName: string,
    name: string,
    edit: (p: Props, r: CapturedResource) => void,
    options: PolicyRunOptions = {},
): Promise<string[]> {
    const found = await onStack(policyName, grantEdited(name, edit), {}, options);
    expect(found.map((f) => f.urn)).toEqual(found.map(() => byName(dev, name).urn));
    return found.map((f) => f.message);
}
/** A grant whose scope is `target`'s ID, as the program writes it (`scope: target.id`): its scope depends on `target`. */
const scopedTo = (target: CapturedResource) => (p: Props, r: CapturedResource) => {
    p.scope = target.id;
    r.propertyDependencies.scope = [target.urn];
};
const firstPreview: PolicyRunOptions = { firstPreview: true };

const rgScope = "/subscriptions/00000000-0000-4000-8000-00000000d001/resourceGroups/rg-fhir-dev-contoso";

cases("rbac-no-privileged-roles", () => {
    test("compliant: the dev stack; Key Vault administration roles at one vault or key, after deployment and on a first preview", async () => {
        expect(await onStack("rbac-no-privileged-roles", dev)).toEqual([]);
        expect(await onStack("rbac-no-privileged-roles", dev, {}, firstPreview)).toEqual([]);
        for (const role of ["Key Vault Administrator", "Key Vault Crypto Officer", "Key Vault Contributor"] as const) {
            for (const options of [{}, firstPreview]) {
                expect(
                    await onGrant(
                        "rbac-no-privileged-roles",
                        "contoso-cmk-crypto-grant",
                        (p) => (p.roleDefinitionId = withRole(p.roleDefinitionId, role)),
                        options,
                    ),
                ).toEqual([]);
                const atVault = (p: Props, r: CapturedResource) => {
                    p.roleDefinitionId = withRole(p.roleDefinitionId, role);
                    scopedTo(byName(dev, "contoso-vault"))(p, r);
                };
                expect(await onGrant("rbac-no-privileged-roles", "contoso-cmk-crypto-grant", atVault, options)).toEqual([]);
            }
        }
    });
    test("violating: Owner, User Access Administrator by bare GUID, Role Based Access Control Administrator at a key", async () => {
        expect(
            await onGrant(
                "rbac-no-privileged-roles",
                "contoso-cmk-crypto-grant",
                (p) => (p.roleDefinitionId = withRole(p.roleDefinitionId, "Owner")),
            ),
        ).toEqual([expect.stringMatching(/^grants Owner at \/subscriptions\/.*\/keys\/fhir-cmk$/)]);
        expect(
            await onGrant(
                "rbac-no-privileged-roles",
                "contoso-cmk-crypto-grant",
                (p) => (p.roleDefinitionId = BUILT_IN_ROLES["User Access Administrator"]),
            ),
        ).toEqual([expect.stringMatching(/^grants User Access Administrator/)]);
        const rbacAdmin = (p: Props) => (p.roleDefinitionId = withRole(p.roleDefinitionId, "Role Based Access Control Administrator"));
        expect(await onGrant("rbac-no-privileged-roles", "contoso-cmk-crypto-grant", rbacAdmin)).toEqual([
            expect.stringMatching(/^grants Role Based Access Control Administrator at \/subscriptions\//),
        ]);
        // On a first preview the key's ID is unknown: the role alone decides.
        expect(await onGrant("rbac-no-privileged-roles", "contoso-cmk-crypto-grant", rbacAdmin, firstPreview)).toEqual([
            "grants Role Based Access Control Administrator at the ID of Key 'contoso-cmk', not known before deployment",
        ]);
    });
    test("violating: Key Vault Crypto Officer at a resource group (the seed CMK template's grant), the others at a subscription", async () => {
        const officer = (p: Props) => {
            p.roleDefinitionId = withRole(p.roleDefinitionId, "Key Vault Crypto Officer");
            p.scope = rgScope;
        };
        // A scope written out (no dependency) is known at preview too.
        const noDependency = (p: Props, r: CapturedResource) => {
            officer(p);
            r.propertyDependencies.scope = [];
        };
        for (const options of [{}, firstPreview]) {
            expect(await onGrant("rbac-no-privileged-roles", "contoso-cmk-crypto-grant", noDependency, options)).toEqual([
                `grants Key Vault Crypto Officer at a resourceGroup scope (${rgScope}), broader than one key vault`,
            ]);
        }
        for (const role of ["Key Vault Administrator", "Key Vault Contributor"] as const) {
            const atSub = (p: Props) => {
                p.roleDefinitionId = withRole(p.roleDefinitionId, role);
                p.scope = "/subscriptions/00000000-0000-4000-8000-00000000d001";
            };
            expect(await onGrant("rbac-no-privileged-roles", "contoso-cmk-crypto-grant", atSub)).toEqual([
                expect.stringMatching(new RegExp(`^grants ${role} at a subscription scope`)),
            ]);
        }
    });
    test("first preview: Crypto Officer on the resource group's ID is decided by the dependency's type", async () => {
        const atRg = (p: Props, r: CapturedResource) => {
            p.roleDefinitionId = withRole(p.roleDefinitionId, "Key Vault Crypto Officer");
            scopedTo(byName(dev, "contoso-rg"))(p, r);
        };
        expect(await onGrant("rbac-no-privileged-roles", "contoso-cmk-crypto-grant", atRg, firstPreview)).toEqual([
            "grants Key Vault Crypto Officer at a resourceGroup scope (the ID of ResourceGroup 'contoso-rg', not known before " +
                "deployment), broader than one key vault",
        ]);
    });
});

cases("rbac-fhir-roles-at-fhir-scope", () => {
    const reader = "tailspin-fhir-data-reader-55555555-5555-4555-8555-555555555555";
    test("compliant: the dev stack after deployment and on a first preview; ARM's fhirServices casing", async () => {
        expect(await onStack("rbac-fhir-roles-at-fhir-scope", dev)).toEqual([]);
        expect(await onStack("rbac-fhir-roles-at-fhir-scope", dev, {}, firstPreview)).toEqual([]);
        const name = "contoso-fhir-data-contributor-11111111-1111-4111-8111-111111111111";
        expect(
            await onGrant("rbac-fhir-roles-at-fhir-scope", name, (p) => (p.scope = p.scope.replace("/fhirservices/", "/fhirServices/"))),
        ).toEqual([]);
    });
    test("violating: FHIR Data Reader at the workspace and at the resource group", async () => {
        const atWs = (p: Props) => (p.scope = p.scope.replace(/\/fhirservices\/.*$/, ""));
        expect(await onGrant("rbac-fhir-roles-at-fhir-scope", reader, atWs)).toEqual([
            expect.stringMatching(/^FHIR Data Reader is granted at a healthWorkspace scope/),
        ]);
        expect(await onGrant("rbac-fhir-roles-at-fhir-scope", reader, (p) => (p.scope = rgScope))).toEqual([
            expect.stringMatching(/^FHIR Data Reader is granted at a resourceGroup scope/),
        ]);
    });
    test("first preview: the workspace's ID (unknown) is told from the scope's dependency", async () => {
        const ws = byName(dev, "tailspin-workspace", "azure-native:healthcareapis:Workspace");
        expect(await onGrant("rbac-fhir-roles-at-fhir-scope", reader, scopedTo(ws))).toEqual([
            expect.stringMatching(/^FHIR Data Reader is granted at a healthWorkspace scope \(\/subscriptions\//),
        ]);
        expect(await onGrant("rbac-fhir-roles-at-fhir-scope", reader, scopedTo(ws), firstPreview)).toEqual([
            "FHIR Data Reader is granted at a healthWorkspace scope (the ID of Workspace 'tailspin-workspace', not known before " +
                "deployment), not at a FHIR service",
        ]);
    });
    test("first preview: a scope assembled from a generated name cannot be told, and is refused", async () => {
        const suffix = byName(dev, "tailspin-suffix");
        const built = (_p: Props, r: CapturedResource) => {
            r.propertyDependencies.scope = [byName(dev, "tailspin-rg").urn, suffix.urn];
        };
        // After deployment the ID is known (the FHIR service's): compliant.
        expect(await onGrant("rbac-fhir-roles-at-fhir-scope", reader, built)).toEqual([]);
        expect(await onGrant("rbac-fhir-roles-at-fhir-scope", reader, built, firstPreview)).toEqual([
            "FHIR Data Reader is granted at a scope that cannot be told before deployment (an ID assembled from ResourceGroup " +
                "'tailspin-rg', RandomString 'tailspin-suffix'), not at a FHIR service",
        ]);
    });
});

cases("rbac-data-roles-at-resource-scope", () => {
    test("compliant: crypto at the key, blob at the storage account, after deployment and on a first preview; crypto at the vault", async () => {
        expect(await onStack("rbac-data-roles-at-resource-scope", dev)).toEqual([]);
        expect(await onStack("rbac-data-roles-at-resource-scope", dev, {}, firstPreview)).toEqual([]);
        for (const options of [{}, firstPreview]) {
            expect(
                await onGrant(
                    "rbac-data-roles-at-resource-scope",
                    "contoso-cmk-crypto-grant",
                    scopedTo(byName(dev, "contoso-vault")),
                    options,
                ),
            ).toEqual([]);
        }
    });
    test("violating: crypto at the resource group, blob at the subscription", async () => {
        expect(await onGrant("rbac-data-roles-at-resource-scope", "contoso-cmk-crypto-grant", (p) => (p.scope = rgScope))).toEqual([
            expect.stringMatching(/^Key Vault Crypto Service Encryption User is granted at a resourceGroup scope/),
        ]);
        const atSubscription = (p: Props, r: CapturedResource) => {
            p.scope = "/subscriptions/00000000-0000-4000-8000-00000000d001";
            r.propertyDependencies.scope = [];
        };
        for (const options of [{}, firstPreview]) {
            expect(await onGrant("rbac-data-roles-at-resource-scope", "contoso-export-blob-grant", atSubscription, options)).toEqual([
                expect.stringMatching(/^Storage Blob Data Contributor is granted at a subscription scope/),
            ]);
        }
    });
    test("first preview: crypto on the identity's ID, blob on the vault's, told by the dependencies' types", async () => {
        const identity = byName(dev, "contoso-identity", "azure-native:managedidentity:UserAssignedIdentity");
        expect(await onGrant("rbac-data-roles-at-resource-scope", "contoso-cmk-crypto-grant", scopedTo(identity), firstPreview)).toEqual([
            "Key Vault Crypto Service Encryption User is granted at an identity scope (the ID of UserAssignedIdentity " +
                "'contoso-identity', not known before deployment), not at a key vault or key",
        ]);
        expect(
            await onGrant(
                "rbac-data-roles-at-resource-scope",
                "contoso-export-blob-grant",
                scopedTo(byName(dev, "contoso-vault")),
                firstPreview,
            ),
        ).toEqual([expect.stringMatching(/^Storage Blob Data Contributor is granted at a vault scope \(the ID of Vault 'contoso-vault'/)]);
    });
});

cases("fhir-identity-holds-crypto-role", () => {
    test("compliant: every account's identity holds the role on its key", async () =>
        expect(await onStack("fhir-identity-holds-crypto-role", dev)).toEqual([]));
    test("violating: contoso's crypto grant goes to another principal", async () => {
        const broken = edited(dev, "contoso-cmk-crypto-grant", (g) => {
            props(g).principalId = "99999999-9999-4999-8999-999999999999";
            g.propertyDependencies.principalId = [];
        });
        expect(await onStack("fhir-identity-holds-crypto-role", broken)).toEqual([
            {
                message: expect.stringMatching(
                    /^FhirService 'contoso-fhir' runs as UserAssignedIdentity 'contoso-identity', which holds no Key Vault Crypto Service Encryption User grant on Key 'contoso-cmk'/,
                ),
                urn: fhir("contoso-fhir").urn,
            },
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
            {
                message: "RoleAssignment 'contoso-cmk-crypto-grant' of account contoso grants on Key 'fabrikam-cmk' of account fabrikam",
                urn: byName(dev, "contoso-cmk-crypto-grant").urn,
            },
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
            "FhirService 'fabrikam-fhir' of account fabrikam exports or imports through StorageAccount 'contoso-export-storage' of " +
                "account contoso",
        ]);
        expect(found.every((f) => f.urn === fhir("fabrikam-fhir").urn)).toBe(true);
    });
});

cases("fhir-audit-diagnostics", () => {
    test("compliant: each service's AuditLogs go to Log Analytics", async () =>
        expect(await onStack("fhir-audit-diagnostics", dev)).toEqual([]));
    test("violating: contoso's setting removed; fabrikam's sends metrics only", async () => {
        const broken = edited(
            dev.filter((r) => r.name !== "contoso-fhir-audit"),
            "fabrikam-fhir-audit",
            (d) => (props(d).logs = [{ category: "AuditLogs", enabled: false }]),
        );
        expect(await onStack("fhir-audit-diagnostics", broken)).toEqual([
            { message: "FhirService 'contoso-fhir' has no diagnostic setting", urn: fhir("contoso-fhir").urn },
            {
                message: "FhirService 'fabrikam-fhir' has diagnostic settings, but none sends AuditLogs to Log Analytics",
                urn: fhir("fabrikam-fhir").urn,
            },
        ]);
    });
});

/** `resources` with `name`'s diagnostic setting attached to `target` by ARM ID only (no dependency). */
const settingOnId = (resources: CapturedResource[], name: string, id: string) =>
    edited(resources, name, (d) => {
        props(d).resourceUri = id;
        d.propertyDependencies.resourceUri = [];
    });

describe("fhir-audit-diagnostics, more cases", () => {
    test("the audit category group counts; a setting found by ARM ID alone counts", async () => {
        const group = edited(dev, "contoso-fhir-audit", (d) => (props(d).logs = [{ categoryGroup: "audit", enabled: true }]));
        expect(await onStack("fhir-audit-diagnostics", group)).toEqual([]);
        expect(await onStack("fhir-audit-diagnostics", settingOnId(dev, "contoso-fhir-audit", fhir("contoso-fhir").id!))).toEqual([]);
    });
    test("AuditLogs to a storage account is not Log Analytics", async () => {
        const toStorage = edited(dev, "contoso-fhir-audit", (d) => {
            delete props(d).workspaceId;
            delete (d.outputs as Props).workspaceId;
            d.propertyDependencies.workspaceId = [];
            props(d).storageAccountId = byName(dev, "contoso-export-storage").id;
        });
        expect((await onStack("fhir-audit-diagnostics", toStorage)).map((f) => f.message)).toEqual([
            "FhirService 'contoso-fhir' has diagnostic settings, but none sends AuditLogs to Log Analytics",
        ]);
    });
});

cases("keyvault-audit-diagnostics", () => {
    test("compliant: every vault's AuditEvent goes to Log Analytics; the audit group counts", async () => {
        expect(await onStack("keyvault-audit-diagnostics", dev)).toEqual([]);
        const group = edited(dev, "contoso-vault-audit", (d) => (props(d).logs = [{ categoryGroup: "allLogs", enabled: true }]));
        expect(await onStack("keyvault-audit-diagnostics", group)).toEqual([]);
    });
    test("violating: contoso's setting removed; fabrikam's moved to its FHIR service; tailspin's AuditEvent disabled", async () => {
        const broken = edited(
            settingOnId(
                dev.filter((r) => r.name !== "contoso-vault-audit"),
                "fabrikam-vault-audit",
                fhir("fabrikam-fhir").id!,
            ),
            "tailspin-vault-audit",
            (d) => (props(d).logs[0].enabled = false),
        );
        expect(await onStack("keyvault-audit-diagnostics", broken)).toEqual([
            { message: "Vault 'contoso-vault' has no diagnostic setting", urn: byName(dev, "contoso-vault").urn },
            {
                message: "Vault 'tailspin-vault' has diagnostic settings, but none sends AuditEvent to Log Analytics",
                urn: byName(dev, "tailspin-vault").urn,
            },
            { message: "Vault 'fabrikam-vault' has no diagnostic setting", urn: byName(dev, "fabrikam-vault").urn },
        ]);
    });
});

cases("storage-blob-diagnostics", () => {
    test("compliant: each export account's blob service logs reads, writes and deletes; by ARM ID alone too", async () => {
        expect(await onStack("storage-blob-diagnostics", dev)).toEqual([]);
        const blobId = byName(dev, "contoso-export-blob-service").id!;
        expect(await onStack("storage-blob-diagnostics", settingOnId(dev, "contoso-export-blob-audit", blobId))).toEqual([]);
    });
    test("violating: contoso's setting on the account instead of its blob service; fabrikam's without StorageRead", async () => {
        const account = byName(dev, "contoso-export-storage");
        const broken = edited(
            edited(dev, "contoso-export-blob-audit", (d) => {
                props(d).resourceUri = account.id;
                d.propertyDependencies.resourceUri = [account.urn];
            }),
            "fabrikam-export-blob-audit",
            (d) => (props(d).logs = props(d).logs.filter((l: Props) => l.category !== "StorageRead")),
        );
        expect(await onStack("storage-blob-diagnostics", broken)).toEqual([
            { message: "StorageAccount 'contoso-export-storage' has no diagnostic setting on its blob service", urn: account.urn },
            {
                message:
                    "StorageAccount 'fabrikam-export-storage' has diagnostic settings on its blob service, but none sends StorageRead " +
                    "to Log Analytics",
                urn: byName(dev, "fabrikam-export-storage").urn,
            },
        ]);
        const lenient = { "storage-blob-diagnostics": { categories: ["StorageWrite", "StorageDelete"] } };
        expect((await onStack("storage-blob-diagnostics", broken, lenient)).map((f) => f.urn)).toEqual([account.urn]);
    });
});

cases("fhir-diagnostics-destination-type", () => {
    test("compliant: no destination type (and Dedicated on a vault is not this rule's concern)", async () => {
        expect(await onStack("fhir-diagnostics-destination-type", dev)).toEqual([]);
        const vault = edited(dev, "contoso-vault-audit", (d) => (props(d).logAnalyticsDestinationType = "Dedicated"));
        expect(await onStack("fhir-diagnostics-destination-type", vault)).toEqual([]);
    });
    test("violating: Dedicated on fabrikam's FHIR audit setting, reported on the setting", async () => {
        const dedicated = edited(dev, "fabrikam-fhir-audit", (d) => (props(d).logAnalyticsDestinationType = "Dedicated"));
        expect(await onStack("fhir-diagnostics-destination-type", dedicated)).toEqual([
            {
                message:
                    "DiagnosticSetting 'fabrikam-fhir-audit' on FhirService 'fabrikam-fhir' sets logAnalyticsDestinationType " +
                    "Dedicated, which the API returns as null: a permanent diff",
                urn: byName(dev, "fabrikam-fhir-audit").urn,
            },
        ]);
    });
});

cases("stateful-resources-protected", () => {
    test("compliant: protected vault, identity and private DNS zone; a role assignment is not stateful", async () => {
        for (const r of [
            byName(dev, "contoso-vault"),
            byName(dev, "contoso-identity", "azure-native:managedidentity:UserAssignedIdentity"),
            byName(dev, "platform-dns-fhir"),
        ]) {
            expect(r.protect).toBe(true);
            expect(await onResource("stateful-resources-protected", r)).toEqual([]);
        }
        // (The identity's key grant is protected on purpose: docs/keys.md.)
        const grantRes = byName(dev, "contoso-export-blob-grant");
        expect(grantRes.protect).toBe(false);
        expect(await onResource("stateful-resources-protected", grantRes)).toEqual([]);
    });
    test("violating: unprotected vault and identity; configured types are honoured", async () => {
        const r = byName(
            edited(dev, "contoso-vault", (v) => (v.protect = false)),
            "contoso-vault",
        );
        expect(await onResource("stateful-resources-protected", r)).toEqual([
            { message: "azure-native:keyvault:Vault 'contoso-vault' is not protected" },
        ]);
        expect(
            await onResource("stateful-resources-protected", r, {
                "stateful-resources-protected": { resourceTypes: ["azure-native:keyvault:Key"] },
            }),
        ).toEqual([]);
        const identity = byName(
            edited(dev, "contoso-identity", (i) => (i.protect = false)),
            "contoso-identity",
            "azure-native:managedidentity:UserAssignedIdentity",
        );
        expect(await onResource("stateful-resources-protected", identity)).toEqual([
            { message: "azure-native:managedidentity:UserAssignedIdentity 'contoso-identity' is not protected" },
        ]);
    });
});

cases("resources-tagged", () => {
    test("compliant: account tag, platform tag, role assignment marker; untaggable diagnostics, blob service, DNS zone group", async () => {
        for (const name of [
            "contoso-vault",
            "platform-log-analytics",
            "contoso-cmk-crypto-grant",
            "contoso-fhir-audit",
            "contoso-export-blob-service",
            "tailspin-workspace-pe-dns",
        ]) {
            expect(await onResource("resources-tagged", byName(dev, name))).toEqual([]);
        }
    });
    test("violating: vault without the account tag; grant without the marker", async () => {
        const vault = byName(
            edited(dev, "contoso-vault", (v) => delete props(v).tags[ACCOUNT_TAG]),
            "contoso-vault",
        );
        expect((await onResource("resources-tagged", vault))[0].message).toMatch(/has neither the fhir-platform:account nor/);
        const g = grant("contoso-cmk-crypto-grant", (p) => (p.description = "crypto grant"));
        expect((await onResource("resources-tagged", g))[0].message).toMatch(/no "\[fhir-platform account=<name>\]" marker/);
    });
});

/** A resource of a type the dev stack does not create (`type` and `inputs` given), in the shape mockRun captures. */
const fake = (type: string, name: string, inputs: Props): CapturedResource => ({
    ...structuredClone(byName(dev, "contoso-fhir-audit")),
    type,
    name,
    urn: `urn:pulumi:dev::fhir-platform::${type}::${name}`,
    inputs,
    propertyDependencies: {},
    dependencies: [],
});
const untaggableFakes = () => [
    fake("azure-native:authorization:ManagementLockAtResourceGroupLevel", "rg-lock", {
        level: "CanNotDelete",
        resourceGroupName: "rg-fhir-dev-contoso",
    }),
    fake("azure-native:authorization:ManagementLockByScope", "scope-lock", {
        level: "CanNotDelete",
        scope: "/subscriptions/00000000-0000-4000-8000-00000000d001",
    }),
    fake("azure-native:managedidentity:FederatedIdentityCredential", "gh-federation", {
        resourceName: "id-fhir-contoso",
        issuer: "https://token.actions.githubusercontent.com",
    }),
];

describe("tag rules never flag resources Azure cannot tag", () => {
    test.each(["resources-tagged", "required-tags"])(
        "%s: locks, federated credentials, diagnostic settings, blob services, DNS zone groups, role assignments",
        async (name) => {
            const config = { "required-tags": { requiredTags: ["owner", "dataClassification"] } };
            const untaggable = [
                ...untaggableFakes(),
                ...[
                    "contoso-fhir-audit",
                    "contoso-export-blob-service",
                    "tailspin-workspace-pe-dns",
                    "contoso-cmk-crypto-grant",
                    "platform-activity-log-dev",
                    "platform-audit-retention-AzureDiagnostics",
                    "contoso-export-lifecycle",
                    "contoso-export-recovery-container",
                    "contoso-recovery-replication-source",
                ].map((n) => byName(dev, n)),
            ];
            for (const r of untaggable) expect([r.name, await onResource(name, r, config)]).toEqual([r.name, []]);
        },
    );
});

cases("required-tags", () => {
    test("compliant: nothing required by default; every taggable dev resource has owner and environment (any case)", async () => {
        expect(
            await onResource(
                "required-tags",
                byName(
                    edited(dev, "contoso-vault", (v) => delete props(v).tags.owner),
                    "contoso-vault",
                ),
            ),
        ).toEqual([]);
        const config = { "required-tags": { requiredTags: ["owner", "Environment"] } };
        const checked = dev.filter((r) => r.custom && r.type.startsWith("azure-native:"));
        expect(checked.length).toBeGreaterThan(40);
        for (const r of checked) expect([r.name, await onResource("required-tags", r, config)]).toEqual([r.name, []]);
    });
    test("violating: a missing tag, an empty one", async () => {
        const config = { "required-tags": { requiredTags: ["owner", "dataClassification"] } };
        expect(await onResource("required-tags", byName(dev, "contoso-vault"), config)).toEqual([
            { message: "azure-native:keyvault:Vault 'contoso-vault' lacks required tag dataClassification" },
        ]);
        const empty = byName(
            edited(dev, "contoso-vault", (v) => (props(v).tags.owner = "")),
            "contoso-vault",
        );
        expect(await onResource("required-tags", empty, config)).toEqual([
            { message: "azure-native:keyvault:Vault 'contoso-vault' lacks required tags owner, dataClassification" },
        ]);
    });
});

cases("fhir-cors", () => {
    test("compliant: fabrikam's https origin (wildcard headers without credentials); no CORS at all", async () => {
        expect(props(fhir("fabrikam-fhir")).corsConfiguration.headers).toEqual(["*"]);
        expect(await onResource("fhir-cors", fhir("fabrikam-fhir"))).toEqual([]);
        expect(await onResource("fhir-cors", fhir("tailspin-fhir"))).toEqual([]);
    });
    test("violating: * origin, http origins, credentials with wildcard headers and methods", async () => {
        const r = fhir("fabrikam-fhir", (p) => {
            p.corsConfiguration.origins = [
                "*",
                "http://portal.fabrikam.example",
                "http://localhost:3000",
                "https://portal.fabrikam.example",
            ];
            p.corsConfiguration.allowCredentials = true;
            p.corsConfiguration.methods = ["*"];
        });
        expect((await onResource("fhir-cors", r)).map((f) => f.message)).toEqual([
            "CORS admits every origin (*): list the apps' origins",
            "CORS origin 'http://portal.fabrikam.example' is not an https origin",
            "CORS origin 'http://localhost:3000' is not an https origin",
            "CORS allows credentials with wildcard headers and methods: list them",
        ]);
    });
    test("allowLocalhost admits http://localhost only", async () => {
        const r = fhir(
            "fabrikam-fhir",
            (p) => (p.corsConfiguration.origins = ["http://localhost:3000", "http://localhost", "http://localhost.evil.example"]),
        );
        expect((await onResource("fhir-cors", r, { "fhir-cors": { allowLocalhost: true } })).map((f) => f.message)).toEqual([
            "CORS origin 'http://localhost.evil.example' is not an https origin",
        ]);
    });
});

cases("fhir-smart-identity-providers", () => {
    test("compliant: fabrikam's provider (https authority, app with its audience); none at all", async () => {
        expect(await onResource("fhir-smart-identity-providers", fhir("fabrikam-fhir"))).toEqual([]);
        expect(await onResource("fhir-smart-identity-providers", fhir("contoso-fhir"))).toEqual([]);
    });
    test("violating: http authority, an app without audience, an app with a wildcard audience", async () => {
        const r = fhir("fabrikam-fhir", (p) => {
            const provider = p.authenticationConfiguration.smartIdentityProviders[0];
            provider.authority = "http://login.fabrikam.example/realms/fhir";
            delete provider.applications[0].audience;
            provider.applications.push({ clientId: "77777777-7777-4777-8777-777777777777", audience: "*", allowedDataActions: ["Read"] });
        });
        expect((await onResource("fhir-smart-identity-providers", r)).map((f) => f.message)).toEqual([
            "smartIdentityProviders[0].authority 'http://login.fabrikam.example/realms/fhir' is not an https URL",
            "smartIdentityProviders[0].applications[0] (client 66666666-6666-4666-8666-666666666666) has no audience: tokens for any " +
                "audience would be accepted",
            "smartIdentityProviders[0].applications[1] (client 77777777-7777-4777-8777-777777777777) has a wildcard audience: tokens " +
                "for any audience would be accepted",
        ]);
    });
});

cases("fhir-resource-versioning", () => {
    test("compliant: versioned with a versioned-update override", async () => {
        expect(props(fhir("contoso-fhir")).resourceVersionPolicyConfiguration).toEqual({
            default: "versioned",
            resourceTypeOverrides: { Patient: "versioned-update" },
        });
        expect(await onResource("fhir-resource-versioning", fhir("contoso-fhir"))).toEqual([]);
    });
    test("violating: no-version by default and for two types; exempt accounts are not reported", async () => {
        const r = fhir(
            "contoso-fhir",
            (p) =>
                (p.resourceVersionPolicyConfiguration = {
                    default: "no-version",
                    resourceTypeOverrides: { Patient: "versioned", Observation: "no-version", Device: "no-version" },
                }),
        );
        expect((await onResource("fhir-resource-versioning", r)).map((f) => f.message)).toEqual([
            "the default resource version policy is no-version: no resource keeps its history",
            "Device, Observation keep no history (no-version override)",
        ]);
        expect(await onResource("fhir-resource-versioning", r, { "fhir-resource-versioning": { exemptAccounts: ["contoso"] } })).toEqual(
            [],
        );
    });
});

const PE = "tailspin-workspace-pe";
const PE_DNS = "tailspin-workspace-pe-dns";

cases("private-endpoint-dns-zone-group", () => {
    test("compliant: tailspin's endpoint registers in both zones; related by name and zone IDs alone too", async () => {
        expect(await onStack("private-endpoint-dns-zone-group", dev)).toEqual([]);
        const noDeps = edited(dev, PE_DNS, (g) => (g.propertyDependencies = { privateEndpointName: [], privateDnsZoneConfigs: [] }));
        expect(await onStack("private-endpoint-dns-zone-group", noDeps)).toEqual([]);
    });
    test("violating: the zone group removed; a zone group without the FHIR zone", async () => {
        const pe = byName(dev, PE);
        expect(
            await onStack(
                "private-endpoint-dns-zone-group",
                dev.filter((r) => r.name !== PE_DNS),
            ),
        ).toEqual([
            {
                message:
                    "PrivateEndpoint 'tailspin-workspace-pe' has no private DNS zone group: the workspace and FHIR names do not " +
                    "resolve to it",
                urn: pe.urn,
            },
        ]);
        const workspaceOnly = edited(dev, PE_DNS, (g) => {
            props(g).privateDnsZoneConfigs = props(g).privateDnsZoneConfigs.slice(0, 1);
            g.propertyDependencies.privateDnsZoneConfigs = [byName(dev, "platform-dns-workspace").urn];
        });
        expect(await onStack("private-endpoint-dns-zone-group", workspaceOnly)).toEqual([
            {
                message:
                    "PrivateEndpoint 'tailspin-workspace-pe''s DNS zone groups register it in no privatelink.fhir.azurehealthcareapis.com",
                urn: pe.urn,
            },
        ]);
    });
    test("a zone group on another endpoint of the same name elsewhere does not count; other private-link groups are not checked", async () => {
        const elsewhere = edited(dev, PE_DNS, (g) => {
            g.propertyDependencies.privateEndpointName = [];
            props(g).resourceGroupName = "rg-other";
        });
        expect(await onStack("private-endpoint-dns-zone-group", elsewhere)).toHaveLength(1);
        const blobEndpoint = edited(
            dev.filter((r) => r.name !== PE_DNS),
            PE,
            (pe) => (props(pe).privateLinkServiceConnections[0].groupIds = ["blob"]),
        );
        expect(await onStack("private-endpoint-dns-zone-group", blobEndpoint)).toEqual([]);
    });
});

const ACR_GRANT = "tailspin-acr-pull-tailspintemplates";

cases("acr-registry-isolation", () => {
    test("compliant: tailspin alone lists and pulls from its registry", async () =>
        expect(await onStack("acr-registry-isolation", dev)).toEqual([]));
    test("violating: fabrikam's FHIR service lists tailspin's registry; contoso is granted AcrPull on it too", async () => {
        const contosoGrant: CapturedResource = {
            ...structuredClone(byName(dev, ACR_GRANT)),
            name: "contoso-acr-pull-tailspintemplates",
            urn: byName(dev, ACR_GRANT).urn.replace(ACR_GRANT, "contoso-acr-pull-tailspintemplates"),
        };
        (contosoGrant.inputs as Props).description =
            "[fhir-platform account=contoso] FHIR service identity of contoso pulls $convert-data templates";
        const broken = [
            ...edited(dev, "fabrikam-fhir", (f) => (props(f).acrConfiguration = { loginServers: ["TailspinTemplates.azurecr.io"] })),
            contosoGrant,
        ];
        expect(await onStack("acr-registry-isolation", broken)).toEqual([
            {
                message:
                    "RoleAssignment 'tailspin-acr-pull-tailspintemplates' gives account tailspin's identity AcrPull on registry " +
                    "tailspintemplates, which accounts contoso, fabrikam also use; the grant is not marked [shared]",
                urn: byName(dev, ACR_GRANT).urn,
            },
            {
                message:
                    "RoleAssignment 'contoso-acr-pull-tailspintemplates' gives account contoso's identity AcrPull on registry " +
                    "tailspintemplates, which accounts fabrikam, tailspin also use; the grant is not marked [shared]",
                urn: contosoGrant.urn,
            },
        ]);
    });
    test("a registry declared shared: grants marked [shared] are not reported", async () => {
        const shared = edited(
            edited(dev, "fabrikam-fhir", (f) => (props(f).acrConfiguration = { loginServers: ["tailspintemplates.azurecr.io"] })),
            ACR_GRANT,
            (g) => (props(g).description = `[shared] ${props(g).description}`),
        );
        expect(await onStack("acr-registry-isolation", shared)).toEqual([]);
    });
    test("a registry the stack creates: related by dependency before its ID and login server exist (a first preview)", async () => {
        const registry: CapturedResource = {
            ...fake("azure-native:containerregistry:Registry", "tailspin-registry", {
                registryName: "tailspinreg",
                resourceGroupName: "rg-fhir-dev-tailspin",
                tags: { [ACCOUNT_TAG]: "tailspin" },
            }),
            outputs: { loginServer: "tailspinreg.azurecr.io" },
            id: String(props(byName(dev, ACR_GRANT)).scope).replace(/[^/]+$/, "tailspinreg"),
        };
        const broken = [
            registry,
            ...edited(
                edited(dev, ACR_GRANT, (g) => {
                    props(g).scope = registry.id;
                    g.propertyDependencies.scope = [registry.urn];
                }),
                "fabrikam-fhir",
                (f) => {
                    props(f).acrConfiguration = { loginServers: ["tailspinreg.azurecr.io"] };
                    f.propertyDependencies.acrConfiguration = [registry.urn];
                },
            ),
        ];
        const expected = [
            {
                message:
                    "RoleAssignment 'tailspin-acr-pull-tailspintemplates' gives account tailspin's identity AcrPull on registry " +
                    "tailspinreg, which account fabrikam also uses; the grant is not marked [shared]",
                urn: byName(dev, ACR_GRANT).urn,
            },
        ];
        expect(await onStack("acr-registry-isolation", broken)).toEqual(expected);
        expect(await onStack("acr-registry-isolation", broken, {}, firstPreview)).toEqual(expected);
    });
});

const TABLE = (t: string) => `platform-audit-retention-${t}`;
const LAW_EXTERNAL =
    "/subscriptions/00000000-0000-4000-8000-00000000d001/resourceGroups/rg-sec/providers/Microsoft.OperationalInsights/workspaces/law-central";

cases("log-analytics-audit-retention", () => {
    test("compliant: the dev stack's three audit tables keep 90 days and 2191 in total, after deployment and on a first preview", async () => {
        expect(await onStack("log-analytics-audit-retention", dev)).toEqual([]);
        expect(await onStack("log-analytics-audit-retention", dev, {}, firstPreview)).toEqual([]);
    });
    test("violating: AzureDiagnostics kept two years in total, StorageBlobLogs without a retention setting", async () => {
        const broken = edited(dev, TABLE("AzureDiagnostics"), (t) => (props(t).totalRetentionInDays = 730)).filter(
            (r) => r.name !== TABLE("StorageBlobLogs"),
        );
        const expected = [
            {
                message:
                    "Table 'platform-audit-retention-AzureDiagnostics' (AzureDiagnostics of Workspace 'platform-log-analytics') keeps FHIR " +
                    "AuditLogs and Key Vault AuditEvent 730 days in total, below the minimum of 2191",
                urn: byName(dev, TABLE("AzureDiagnostics")).urn,
            },
            {
                message:
                    "blob reads, writes and deletes of export storage land in table StorageBlobLogs of Workspace 'platform-log-analytics' " +
                    "(from DiagnosticSetting 'contoso-recovery-blob-audit'), which has no retention setting in the stack: Azure keeps them " +
                    "for the workspace's default retention only",
                urn: byName(dev, "platform-log-analytics").urn,
            },
        ];
        expect(await onStack("log-analytics-audit-retention", broken)).toEqual(expected);
        expect(await onStack("log-analytics-audit-retention", broken, {}, firstPreview)).toEqual(expected);
        // An organisation that keeps two years asks for two years.
        const twoYears = { "log-analytics-audit-retention": { minimumTotalRetentionDays: 730 } };
        expect((await onStack("log-analytics-audit-retention", broken, twoYears)).map((f) => f.urn)).toEqual([
            byName(dev, "platform-log-analytics").urn,
        ]);
    });
    test("violating: analytics retention below a configured minimum (AzureActivity's free 90 days included)", async () => {
        const found = await onStack("log-analytics-audit-retention", dev, {
            "log-analytics-audit-retention": { minimumRetentionDays: 120 },
        });
        expect(found.map((f) => f.message)).toEqual(
            ["AzureDiagnostics", "StorageBlobLogs", "AzureActivity"].map((t) =>
                expect.stringMatching(
                    new RegExp(`^Table '${TABLE(t)}' \\(${t} of .*\\) keeps 90 days of analytics retention, below the minimum of 120$`),
                ),
            ),
        );
    });
    test("a table is related to its workspace by name when the dependency is gone; another workspace's table does not count", async () => {
        const byNameOnly = edited(dev, TABLE("AzureActivity"), (t) => (t.propertyDependencies.workspaceName = []));
        expect(await onStack("log-analytics-audit-retention", byNameOnly)).toEqual([]);
        const elsewhere = edited(byNameOnly, TABLE("AzureActivity"), (t) => (props(t).workspaceName = "law-other"));
        expect((await onStack("log-analytics-audit-retention", elsewhere)).map((f) => f.message)).toEqual([
            expect.stringMatching(/^the Activity Log \(control plane\) land in table AzureActivity of Workspace 'platform-log-analytics'/),
        ]);
    });
    test("an existing workspace: not judged unless the stack manages one of its tables, then judged like its own", async () => {
        // Audit settings pointed at an external workspace, the created workspace and its tables gone.
        const external = dev
            .filter((r) => r.type !== "azure-native:operationalinsights:Workspace" && r.type !== "azure-native:operationalinsights:Table")
            .map((r) => {
                if (!/DiagnosticSetting$/.test(r.type)) return r;
                const copy = structuredClone(r);
                props(copy).workspaceId = LAW_EXTERNAL;
                copy.propertyDependencies.workspaceId = [];
                return copy;
            });
        expect(await onStack("log-analytics-audit-retention", external)).toEqual([]);
        const managed = [
            ...external,
            fake("azure-native:operationalinsights:Table", "ext-AzureDiagnostics", {
                workspaceName: "law-central",
                resourceGroupName: "rg-sec",
                tableName: "AzureDiagnostics",
                retentionInDays: 90,
                totalRetentionInDays: 2191,
            }),
        ];
        expect((await onStack("log-analytics-audit-retention", managed)).map((f) => f.message)).toEqual([
            expect.stringMatching(
                /^blob reads, writes and deletes of export storage land in table StorageBlobLogs of workspace 'rg-sec\/law-central'/,
            ),
            expect.stringMatching(/^the Activity Log \(control plane\) land in table AzureActivity of workspace 'rg-sec\/law-central'/),
        ]);
        // A table left at the workspace's default (-1) in a workspace the stack does not hold: its retention is unknown here.
        const defaulted = [
            ...managed,
            fake("azure-native:operationalinsights:Table", "ext-StorageBlobLogs", {
                workspaceName: "law-central",
                resourceGroupName: "rg-sec",
                tableName: "StorageBlobLogs",
                retentionInDays: -1,
            }),
        ];
        expect((await onStack("log-analytics-audit-retention", defaulted)).map((f) => f.message)).toEqual([
            "Table 'ext-StorageBlobLogs' (StorageBlobLogs of workspace 'rg-sec/law-central') keeps blob reads, writes and deletes of " +
                "export storage for the workspace's default retention (not in the stack) in total, below the minimum of 2191",
            expect.stringMatching(/^the Activity Log \(control plane\) land in table AzureActivity/),
        ]);
    });
});

cases("subscription-activity-log", () => {
    const provider = () => dev.find((r) => r.type === "pulumi:providers:azure-native")!;
    test("compliant: the dev subscription sends every Activity Log category, after deployment and on a first preview", async () => {
        expect(await onStack("subscription-activity-log", dev)).toEqual([]);
        expect(await onStack("subscription-activity-log", dev, {}, firstPreview)).toEqual([]);
    });
    test("violating: no setting for the subscription (reported on its provider), unless exempted as owned elsewhere", async () => {
        const none = dev.filter((r) => r.name !== "platform-activity-log-dev");
        const expected = [
            {
                message:
                    "subscription 00000000-0000-4000-8000-00000000d001 (provider 'azure-dev') has no Activity Log diagnostic setting: who " +
                    "changed keys, role assignments or firewalls is kept 90 days in the Activity Log only, not in Log Analytics",
                urn: provider().urn,
            },
        ];
        expect(await onStack("subscription-activity-log", none)).toEqual(expected);
        expect(await onStack("subscription-activity-log", none, {}, firstPreview)).toEqual(expected);
        const exempt = { "subscription-activity-log": { exemptSubscriptions: ["00000000-0000-4000-8000-00000000D001"] } };
        expect(await onStack("subscription-activity-log", none, exempt)).toEqual([]);
    });
    test("violating: the setting leaves out Security and Policy, or sends nowhere but a storage account", async () => {
        const partial = edited(dev, "platform-activity-log-dev", (d) => {
            props(d).logs = props(d).logs.filter((l: Props) => !["Security", "Policy"].includes(l.category));
        });
        expect((await onStack("subscription-activity-log", partial)).map((f) => f.message)).toEqual([
            "subscription 00000000-0000-4000-8000-00000000d001 (provider 'azure-dev') has an Activity Log setting, but none sends " +
                "Security, Policy to Log Analytics",
        ]);
        const lenient = { "subscription-activity-log": { categories: ["Administrative"] } };
        expect(await onStack("subscription-activity-log", partial, lenient)).toEqual([]);
        const toStorage = edited(dev, "platform-activity-log-dev", (d) => {
            delete props(d).workspaceId;
            delete d.outputs.workspaceId;
            d.propertyDependencies.workspaceId = [];
            props(d).storageAccountId = byName(dev, "contoso-export-storage").id;
        });
        expect((await onStack("subscription-activity-log", toStorage)).map((f) => f.message)).toEqual([
            expect.stringMatching(/has an Activity Log setting, but none sends Administrative, Security, Policy to Log Analytics$/),
        ]);
    });
});

cases("storage-lifecycle-delete", () => {
    test("compliant: export storage and the recovery copy delete blobs (and versions, where versioned) after 30 days", async () => {
        expect(await onStack("storage-lifecycle-delete", dev)).toEqual([]);
        expect(await onStack("storage-lifecycle-delete", dev, {}, firstPreview)).toEqual([]);
    });
    test("violating: no policy; a prefix filter; versions kept forever on a versioned account; a shorter maximum", async () => {
        const broken = edited(
            edited(
                dev.filter((r) => r.name !== "contoso-export-lifecycle"),
                "fabrikam-export-lifecycle",
                (m) => (props(m).policy.rules[0].definition.filters.prefixMatch = ["exports/"]),
            ),
            "contoso-recovery-lifecycle",
            (m) => delete props(m).policy.rules[0].definition.actions.version,
        );
        expect(await onStack("storage-lifecycle-delete", broken)).toEqual([
            {
                message:
                    "StorageAccount 'contoso-recovery-storage': its lifecycle policy does not age out exports within 365 days: rule " +
                    "'delete-block-blobs' keeps previous versions forever, and Azure deletes a blob's current version only once its " +
                    "previous versions are gone",
                urn: byName(dev, "contoso-recovery-lifecycle").urn,
            },
            {
                message:
                    "StorageAccount 'contoso-export-storage' has no lifecycle management policy: exported PHI stays until someone deletes it",
                urn: byName(dev, "contoso-export-storage").urn,
            },
            {
                message:
                    "StorageAccount 'fabrikam-export-storage': its lifecycle policy does not age out exports within 365 days: rule " +
                    "'delete-block-blobs' applies to some blobs only (prefix or tag filter)",
                urn: byName(dev, "fabrikam-export-lifecycle").urn,
            },
        ]);
        const week = { "storage-lifecycle-delete": { maximumDays: 7 } };
        expect((await onStack("storage-lifecycle-delete", dev, week)).map((f) => f.message)).toEqual(
            ["contoso-recovery-storage", "contoso-export-storage", "fabrikam-export-storage"].map((a) =>
                expect.stringMatching(
                    new RegExp(`^StorageAccount '${a}': .*within 7 days: rule 'delete-block-blobs' deletes blobs after 30 days$`),
                ),
            ),
        );
    });
    test("a disabled rule does not count; a policy is related to its account by name when the dependency is gone", async () => {
        const disabled = edited(dev, "fabrikam-export-lifecycle", (m) => (props(m).policy.rules[0].enabled = false));
        expect((await onStack("storage-lifecycle-delete", disabled)).map((f) => f.message)).toEqual([
            "StorageAccount 'fabrikam-export-storage': its lifecycle policy does not age out exports within 365 days: no enabled " +
                "lifecycle rule deletes block blobs",
        ]);
        const byNameOnly = edited(dev, "fabrikam-export-lifecycle", (m) => (m.propertyDependencies.accountName = []));
        expect(await onStack("storage-lifecycle-delete", byNameOnly)).toEqual([]);
    });
});

test("every policy has a name, description, level, remediation and test cases here; config schemas carry defaults", () => {
    expect(policies.length).toBe(47);
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
