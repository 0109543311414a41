import * as pulumi from "@pulumi/pulumi";
import * as keyvault from "@pulumi/azure-native/keyvault";
import * as authorization from "@pulumi/azure-native/authorization";
import { CmkKeySize, KEY_VAULT_SOFT_DELETE_DAYS } from "./azure";
import { CMK_KEY_NAME, names } from "./naming";
import { RbacPropagationWait } from "./rbacPropagationWait";
import { roleGrant } from "./roleGrant";

export interface CustomerManagedKeyArgs {
    account: string;
    stack: string;
    subscriptionId: string;
    tenantId: string;
    resourceGroupName: pulumi.Input<string>;
    location: string;
    /** Random, state-kept suffix that makes the vault name globally unique. */
    suffix: pulumi.Input<string>;
    keySize: CmkKeySize;
    keyRotationDays: number;
    /** Principal ID of the account's managed identity: the only principal granted the key. */
    identityPrincipalId: pulumi.Input<string>;
    versionlessKeyUri: boolean;
    rbacPropagationSeconds: number;
    protect: boolean;
    tags: Record<string, string>;
}

/**
 * The account's key vault and its customer-managed key, and the identity's grant on that key only.
 * Vault: RBAC authorization (no access policies), soft delete 90 days, purge protection (cannot be turned off),
 * firewall default deny with trusted Microsoft services allowed (the FHIR service is one). The key is managed
 * through ARM (control plane), which the vault firewall does not block.
 */
export class CustomerManagedKey extends pulumi.ComponentResource {
    readonly vault: keyvault.Vault;
    readonly key: keyvault.Key;
    readonly grant: authorization.RoleAssignment;
    readonly wait: RbacPropagationWait;
    readonly vaultName: pulumi.Output<string>;
    readonly vaultUri: pulumi.Output<string>;
    /** The URI the FHIR service is given: versioned unless the platform asks to follow rotation. */
    readonly keyUri: pulumi.Output<string>;

    constructor(name: string, args: CustomerManagedKeyArgs, opts?: pulumi.ComponentResourceOptions) {
        super("fhir-platform:index:CustomerManagedKey", name, {}, opts);
        const stateful = { parent: this, protect: args.protect };

        this.vault = new keyvault.Vault(`${args.account}-vault`, vaultInputs(args), stateful);
        this.key = new keyvault.Key(`${args.account}-cmk`, cmkKeyInputs({ ...args, vaultName: this.vault.name }), stateful);

        this.grant = roleGrant(
            `${args.account}-cmk-crypto-grant`,
            {
                account: args.account,
                stack: args.stack,
                subscriptionId: args.subscriptionId,
                role: "Key Vault Crypto Service Encryption User",
                scope: this.key.id,
                principalId: args.identityPrincipalId,
                principalType: "ServicePrincipal",
                key: "identity/cmk",
                description: `FHIR service identity of ${args.account} wraps and unwraps its CMK`,
            },
            { parent: this },
        );

        this.wait = new RbacPropagationWait(
            `${args.account}-cmk-grant-propagation`,
            { trigger: this.grant.id, seconds: args.rbacPropagationSeconds },
            { parent: this },
        );

        this.vaultName = this.vault.name;
        this.vaultUri = this.vault.properties.apply((p) => p.vaultUri ?? "");
        this.keyUri = args.versionlessKeyUri ? this.key.keyUri : this.key.keyUriWithVersion;
        this.registerOutputs({ vaultName: this.vaultName, vaultUri: this.vaultUri, keyUri: this.keyUri });
    }
}

/** The vault's inputs (pure: the bench's flat baseline registers the same). */
export function vaultInputs(
    args: Pick<CustomerManagedKeyArgs, "account" | "resourceGroupName" | "location" | "tenantId" | "suffix" | "tags">,
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
            networkAcls: { defaultAction: "Deny", bypass: "AzureServices", ipRules: [], virtualNetworkRules: [] },
        },
        tags: args.tags,
    };
}

/**
 * The CMK's inputs. Key Vault rotation policy durations are ISO 8601: rotate after N days; each version expires 90
 * days later, leaving time to notice a failed rotation (notify 30 days before expiry).
 */
export function cmkKeyInputs(
    args: Pick<CustomerManagedKeyArgs, "resourceGroupName" | "keySize" | "keyRotationDays" | "tags"> & { vaultName: pulumi.Input<string> },
): keyvault.KeyArgs {
    return {
        keyName: CMK_KEY_NAME,
        vaultName: args.vaultName,
        resourceGroupName: args.resourceGroupName,
        properties: {
            kty: "RSA",
            keySize: args.keySize,
            keyOps: ["wrapKey", "unwrapKey"],
            attributes: { enabled: true },
            rotationPolicy: {
                attributes: { expiryTime: `P${args.keyRotationDays + 90}D` },
                lifetimeActions: [
                    { trigger: { timeAfterCreate: `P${args.keyRotationDays}D` }, action: { type: "rotate" } },
                    { trigger: { timeBeforeExpiry: "P30D" }, action: { type: "notify" } },
                ],
            },
        },
        tags: args.tags,
    };
}
