import * as pulumi from "@pulumi/pulumi";
import * as keyvault from "@pulumi/azure-native/keyvault";
import type * as authorization from "@pulumi/azure-native/authorization";
import * as monitor from "@pulumi/azure-native/monitor";
import { KEY_VAULT_AUDIT_LOG_CATEGORY, KEY_VAULT_SOFT_DELETE_DAYS } from "../azure/facts";
import type { KeyVaultNetwork } from "../config/schema";
import { names } from "../azure/naming";
import { diagnosticInputs } from "./diagnostics";
import { cryptoGrantKey } from "../config/ownership";
import type { LockedKey } from "../config/placement";
import { RbacPropagationWait } from "./rbacPropagationWait";
import type { AccountScope } from "./scope";
import { roleGrant } from "./roleGrant";

export interface CustomerManagedKeyArgs extends AccountScope {
    /** Random, state-kept suffix that makes the vault name globally unique. */
    suffix: pulumi.Input<string>;
    /** Every key of the account, in creation order (placement lock). */
    keys: LockedKey[];
    /** Name of the key in use (one of `keys`). */
    currentKey: string;
    /** Principal ID of the account's managed identity: the only principal granted the keys. */
    identityPrincipalId: pulumi.Input<string>;
    network: KeyVaultNetwork;
    logAnalyticsWorkspaceId: pulumi.Input<string>;
    rbacPropagationSeconds: number;
}

/**
 * The account's key vault and its customer-managed key(s), the identity's grant on each key only, and the vault's
 * audit log. Vault: RBAC authorization (no access policies), soft delete 90 days, purge protection (cannot be turned
 * off), firewall default deny with trusted Microsoft services allowed (or open, `keyVaultNetwork: allNetworks`), every
 * operation (`AuditEvent`: who used the key) to Log Analytics. Keys are managed through ARM (control plane), which the
 * vault firewall does not block.
 *
 * Key lifecycle (README, "Key rotation"): Key Vault's rotation policy adds a version every `rotationDays`; versions
 * never expire and are never disabled by the platform ("keep existing keys enabled", "Best practices for CMK for the
 * FHIR service"), so no version a service or storage uses can stop working by time. The FHIR service is given the
 * current *versioned* URI (the only form Microsoft documents for it) and moves to a new version on
 * `pulumi up --refresh` (the scheduled key-rotation workflow); storage follows the versionless key by itself (daily).
 */
export class CustomerManagedKey extends pulumi.ComponentResource {
    readonly vault: keyvault.Vault;
    readonly vaultDiagnostics: monitor.DiagnosticSetting;
    /** Every key, in creation order; `key` is the current one. */
    readonly keys: keyvault.Key[];
    readonly key: keyvault.Key;
    /** One crypto grant per key; `grant` is the current key's. */
    readonly grants: authorization.RoleAssignment[];
    readonly grant: authorization.RoleAssignment;
    /** Follows the current key's grant: whatever uses the key waits for it. */
    readonly wait: RbacPropagationWait;
    readonly vaultName: pulumi.Output<string>;
    readonly vaultUri: pulumi.Output<string>;
    /** Name of the current key (storage encryption follows it, versionless). */
    readonly keyName: string;
    /** Versioned URI of the current key's current version: what the FHIR service is given. */
    readonly keyUri: pulumi.Output<string>;

    constructor(name: string, args: CustomerManagedKeyArgs, opts?: pulumi.ComponentResourceOptions) {
        // Named after its account since 0.2 (was `<account>-cmk`); its children kept their URNs.
        super(
            "fhir-platform:index:CustomerManagedKey",
            name,
            {},
            { ...opts, aliases: [...(opts?.aliases ?? []), { name: `${name}-cmk` }] },
        );
        const current = args.keys.findIndex((k) => k.name === args.currentKey);
        if (current < 0)
            throw new pulumi.ResourceError(
                `CustomerManagedKey ${args.account}: current key '${args.currentKey}' is not among its keys`,
                this,
            );
        const stateful = { parent: this, protect: args.protect };

        this.vault = new keyvault.Vault(`${name}-vault`, vaultInputs(args), stateful);
        this.vaultDiagnostics = new monitor.DiagnosticSetting(
            `${name}-vault-audit`,
            diagnosticInputs(this.vault.id, args.logAnalyticsWorkspaceId, [KEY_VAULT_AUDIT_LOG_CATEGORY], "AllMetrics"),
            { parent: this },
        );
        const first = args.keys[0].name;
        this.keys = args.keys.map(
            (k) =>
                new keyvault.Key(keyResourceName(name, k.name, first), cmkKeyInputs({ ...args, key: k, vaultName: this.vault.name }), {
                    ...stateful,
                    // ARM "Keys - Create If Not Exist" creates only the first version: a changed input sent again fails with 400
                    // KeyCreationParametersDidNotMatchExistingKey (Azure/bicep#8283). What is fixed at creation is guarded by
                    // the placement lock.
                    ignoreChanges: ["properties", "tags"],
                }),
        );
        this.grants = this.keys.map((key, i) =>
            roleGrant(
                `${keyResourceName(name, args.keys[i].name, first)}-crypto-grant`,
                {
                    account: args.account,
                    stack: args.stack,
                    subscriptionId: args.subscriptionId,
                    role: "Key Vault Crypto Service Encryption User",
                    scope: key.id,
                    principalId: args.identityPrincipalId,
                    principalType: "ServicePrincipal",
                    key: cryptoGrantKey(args.keys[i].name, first),
                    description:
                        `FHIR service and export storage identity of ${args.account} wrap and unwrap with key ` + `${args.keys[i].name}`,
                },
                // Protected like the key: without this grant the FHIR service cannot unwrap its data (it answers 500), and
                // `pulumi destroy --skip-preview` deletes every unprotected resource before it stops at a protected one.
                stateful,
            ),
        );
        this.key = this.keys[current];
        this.grant = this.grants[current];
        this.keyName = args.currentKey;

        this.wait = new RbacPropagationWait(
            `${name}-cmk-grant-propagation`,
            { trigger: this.grant.id, seconds: args.rbacPropagationSeconds },
            { parent: this },
        );

        this.vaultName = this.vault.name;
        this.vaultUri = this.vault.properties.apply((p) => p.vaultUri ?? "");
        this.keyUri = this.key.keyUriWithVersion;
        this.registerOutputs({ vaultName: this.vaultName, vaultUri: this.vaultUri, keyUri: this.keyUri });
    }
}

/** Pulumi name of a key: the first key keeps `<component>-cmk`, later ones add their name. */
export function keyResourceName(component: string, keyName: string, firstKeyName: string): string {
    return keyName === firstKeyName ? `${component}-cmk` : `${component}-cmk-${keyName}`;
}

/** The vault's inputs (pure: the bench's flat baseline registers the same). */
export function vaultInputs(
    args: Pick<CustomerManagedKeyArgs, "account" | "resourceGroupName" | "location" | "tenantId" | "suffix" | "network" | "tags">,
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
export function cmkKeyInputs(
    args: Pick<CustomerManagedKeyArgs, "resourceGroupName" | "tags"> & { key: LockedKey; vaultName: pulumi.Input<string> },
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
