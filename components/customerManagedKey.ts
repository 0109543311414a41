import * as pulumi from "@pulumi/pulumi";
import * as keyvault from "@pulumi/azure-native/keyvault";
import type * as authorization from "@pulumi/azure-native/authorization";
import * as monitor from "@pulumi/azure-native/monitor";
import { KEY_VAULT_AUDIT_LOG_CATEGORY, KEY_VAULT_SOFT_DELETE_DAYS } from "../azure/facts";
import { ACCOUNT_DEFAULTS, PLATFORM_DEFAULTS } from "../azure/defaults";
import { cryptoGrantKey, names } from "../azure/naming";
import { diagnosticInputs } from "./diagnostics";
import { RbacPropagationWait } from "./rbacPropagationWait";
import { type AccountScope, componentOptions, replaceableChild, statefulChild } from "./scope";
import { roleGrant } from "./roleGrant";
import type { CmkKey, KeyVaultNetwork } from "./types";
import { accountProblems, keyProblems, rbacWaitProblems, refuse } from "./validate";

export interface CustomerManagedKeyArgs extends AccountScope {
    /** Random, state-kept suffix that makes the vault name (`kv-<account>-<suffix>`) globally unique. */
    suffix: pulumi.Input<string>;
    /** Principal ID of the account's managed identity: the only principal granted the keys. */
    identityPrincipalId: pulumi.Input<string>;
    /** The Log Analytics workspace the vault's audit log (every operation: who used the key) goes to. */
    logAnalyticsWorkspaceId: pulumi.Input<string>;
    /**
     * Every key of the account, in creation order (the first keeps the original resource names; a key's size and
     * rotation are fixed when Azure creates it). Default: one key `fhir-cmk`, RSA 3072, a new version every 365 days.
     */
    keys?: CmkKey[];
    /** Name of the key in use (one of `keys`). Default: the last of `keys`. */
    currentKey?: string;
    /** How the vault firewall admits callers. Default: trustedServices. */
    network?: KeyVaultNetwork;
    /**
     * Seconds to wait, once, after the identity's crypto grant before anything is encrypted with the key (role
     * assignments take up to 10 minutes to propagate). Default: 600.
     */
    rbacPropagationSeconds?: number;
}

/** The child resources of a CustomerManagedKey, for TypeScript code that composes it. */
export interface CustomerManagedKeyChildren {
    vault: keyvault.Vault;
    vaultDiagnostics: monitor.DiagnosticSetting;
    /** Every key, in creation order; `key` is the current one. */
    keys: keyvault.Key[];
    key: keyvault.Key;
    /** One crypto grant per key; `grant` is the current key's. */
    grants: authorization.RoleAssignment[];
    grant: authorization.RoleAssignment;
    /** Follows the current key's grant: whatever is encrypted with the key at creation waits for it. */
    wait: RbacPropagationWait;
}
const childrenOf = new WeakMap<CustomerManagedKey, CustomerManagedKeyChildren>();

/** The keys a CustomerManagedKey gets when none are given. */
export function defaultKeys(): CmkKey[] {
    return [{ name: ACCOUNT_DEFAULTS.keyName, size: ACCOUNT_DEFAULTS.keySize, rotationDays: ACCOUNT_DEFAULTS.keyRotationDays }];
}

/**
 * The account's key vault and its customer-managed key(s), the identity's grant on each key only, and the vault's
 * audit log. Vault: RBAC authorization (no access policies), soft delete 90 days, purge protection (cannot be turned
 * off), firewall default deny with trusted Microsoft services allowed (or open, `network: allNetworks`), every
 * operation (`AuditEvent`: who used the key) to Log Analytics. Keys are managed through ARM (control plane), which the
 * vault firewall does not block. The `protect` option protects the vault, the keys and their grants.
 *
 * Key lifecycle (README, "Key rotation"): Key Vault's rotation policy adds a version every `rotationDays`; versions
 * never expire and are never disabled by the platform ("keep existing keys enabled", "Best practices for CMK for the
 * FHIR service"), so no version a service or storage uses can stop working by time. The FHIR service is given the
 * current *versioned* URI (the only form Microsoft documents for it) and moves to a new version on
 * `pulumi up --refresh` (the scheduled key-rotation workflow); storage follows the versionless key by itself (daily).
 */
export class CustomerManagedKey extends pulumi.ComponentResource {
    /** The vault's name (`kv-<account>-<suffix>`). */
    readonly vaultName: pulumi.Output<string>;
    /** The vault's URI (what storage encryption names). */
    readonly vaultUri: pulumi.Output<string>;
    /** ARM ID of the vault (scope for re-granting the crypto role, e.g. after a lost-key incident). */
    readonly vaultId: pulumi.Output<string>;
    /** Name of the current key (storage encryption follows it, versionless). */
    readonly keyName: pulumi.Output<string>;
    /** ARM ID of the current key. */
    readonly keyId: pulumi.Output<string>;
    /** Versioned URI of the current key's current version: what the FHIR service is given. */
    readonly keyUri: pulumi.Output<string>;

    constructor(name: string, args: CustomerManagedKeyArgs, opts?: pulumi.ComponentResourceOptions) {
        // Named after its account since 0.2 (was `<account>-cmk`); its children kept their URNs.
        const own = componentOptions(opts);
        super("fhir-platform:index:CustomerManagedKey", name, {}, { ...own, aliases: [...(own.aliases ?? []), { name: `${name}-cmk` }] });
        const keys = args.keys ?? defaultKeys();
        const currentKey = args.currentKey ?? keys[keys.length - 1]?.name ?? "";
        refuse(
            `CustomerManagedKey ${args.account}`,
            [...accountProblems(args.account), ...keyProblems(keys, currentKey), ...rbacWaitProblems(args.rbacPropagationSeconds)],
            this,
        );
        const current = keys.findIndex((k) => k.name === currentKey);
        const stateful = statefulChild(this, opts);

        const vault = new keyvault.Vault(
            `${name}-vault`,
            vaultInputs({ ...args, network: args.network ?? ACCOUNT_DEFAULTS.keyVaultNetwork }),
            stateful,
        );
        const vaultDiagnostics = new monitor.DiagnosticSetting(
            `${name}-vault-audit`,
            diagnosticInputs(vault.id, args.logAnalyticsWorkspaceId, [KEY_VAULT_AUDIT_LOG_CATEGORY], "AllMetrics"),
            replaceableChild(this),
        );
        const first = keys[0].name;
        const keyResources = keys.map(
            (k) =>
                new keyvault.Key(keyResourceName(name, k.name, first), cmkKeyInputs({ ...args, key: k, vaultName: vault.name }), {
                    ...stateful,
                    // ARM "Keys - Create If Not Exist" creates only the first version: a changed input sent again fails with 400
                    // KeyCreationParametersDidNotMatchExistingKey (Azure/bicep#8283). What is fixed at creation is guarded by
                    // the placement lock.
                    ignoreChanges: ["properties", "tags"],
                }),
        );
        const grants = keyResources.map((key, i) =>
            roleGrant(
                `${keyResourceName(name, keys[i].name, first)}-crypto-grant`,
                {
                    account: args.account,
                    stack: args.stack,
                    subscriptionId: args.subscriptionId,
                    role: "Key Vault Crypto Service Encryption User",
                    scope: key.id,
                    principalId: args.identityPrincipalId,
                    principalType: "ServicePrincipal",
                    key: cryptoGrantKey(keys[i].name, first),
                    description:
                        `FHIR service and export storage identity of ${args.account} wrap and unwrap with key ` + `${keys[i].name}`,
                },
                // Protected like the key: without this grant the FHIR service cannot unwrap its data (it answers 500), and
                // `pulumi destroy --skip-preview` deletes every unprotected resource before it stops at a protected one.
                stateful,
            ),
        );
        const key = keyResources[current];
        const grant = grants[current];
        const wait = new RbacPropagationWait(
            `${name}-cmk-grant-propagation`,
            { trigger: grant.id, seconds: args.rbacPropagationSeconds ?? PLATFORM_DEFAULTS.rbacPropagationSeconds },
            replaceableChild(this),
        );
        childrenOf.set(this, { vault, vaultDiagnostics, keys: keyResources, key, grants, grant, wait });

        this.vaultName = vault.name;
        this.vaultUri = vault.properties.apply((p) => p.vaultUri ?? "");
        this.vaultId = vault.id;
        this.keyName = pulumi.output(currentKey);
        this.keyId = key.id;
        this.keyUri = key.keyUriWithVersion;
        this.registerOutputs({
            vaultName: this.vaultName,
            vaultUri: this.vaultUri,
            vaultId: this.vaultId,
            keyName: this.keyName,
            keyId: this.keyId,
            keyUri: this.keyUri,
        });
    }

    /** The vault, keys, grants and propagation wait (TypeScript only: other languages get the outputs). */
    get children(): CustomerManagedKeyChildren {
        return childrenOf.get(this)!;
    }
}

/** Pulumi name of a key: the first key keeps `<component>-cmk`, later ones add their name. */
function keyResourceName(component: string, keyName: string, firstKeyName: string): string {
    return keyName === firstKeyName ? `${component}-cmk` : `${component}-cmk-${keyName}`;
}

/** The vault's inputs. */
function vaultInputs(
    args: Pick<CustomerManagedKeyArgs, "account" | "resourceGroupName" | "location" | "tenantId" | "suffix" | "tags"> & {
        network: KeyVaultNetwork;
    },
): keyvault.VaultArgs {
    return {
        vaultName: pulumi.interpolate`${names.keyVault(args.account, "")}${args.suffix}`,
        resourceGroupName: args.resourceGroupName,
        location: args.location,
        properties: {
            tenantId: args.tenantId,
            sku: { family: "A", name: "standard" },
            enableRbacAuthorization: true,
            enableSoftDelete: true,
            softDeleteRetentionInDays: KEY_VAULT_SOFT_DELETE_DAYS.default,
            enablePurgeProtection: true,
            publicNetworkAccess: "Enabled",
            // "Configure customer-managed keys for the FHIR service": with a firewall, trusted Microsoft services must
            // be allowed through. `allNetworks` is the documented way out when that bypass does not admit the service.
            networkAcls: {
                defaultAction: args.network === "allNetworks" ? "Allow" : "Deny",
                bypass: "AzureServices",
                ipRules: [],
                virtualNetworkRules: [],
            },
        },
        tags: args.tags,
    };
}

/**
 * A CMK's inputs. The rotation policy (ISO 8601 durations) adds a new version `rotationDays` after each version's
 * creation. It sets no `expiryTime`: Key Vault would give every new version an expiry, and an expired version can no
 * longer wrap, so a FHIR service still pinned to it (a missed rotation run) would fail. Without an expiry the
 * `Notify` action is not allowed either; `npm run verify` reports each service's key version age instead.
 */
function cmkKeyInputs(
    args: Pick<CustomerManagedKeyArgs, "resourceGroupName" | "tags"> & { key: CmkKey; vaultName: pulumi.Input<string> },
): keyvault.KeyArgs {
    return {
        keyName: args.key.name,
        vaultName: args.vaultName,
        resourceGroupName: args.resourceGroupName,
        properties: {
            kty: "RSA",
            keySize: args.key.size,
            keyOps: ["wrapKey", "unwrapKey"],
            attributes: { enabled: true },
            rotationPolicy: {
                lifetimeActions: [{ trigger: { timeAfterCreate: `P${args.key.rotationDays}D` }, action: { type: "rotate" } }],
            },
        },
        tags: args.tags,
    };
}
