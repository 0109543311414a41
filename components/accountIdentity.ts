import * as pulumi from "@pulumi/pulumi";
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import { names } from "../azure/naming";
import { componentOptions, statefulChild } from "./scope";

/** Where the account's identity goes, and whose it is. */
export interface AccountIdentityArgs {
    /** The account (3 to 12 lowercase letters and digits): the identity is named `id-fhir-<account>`. */
    account: string;
    /** The resource group the identity is created in. */
    resourceGroupName: pulumi.Input<string>;
    /** The Azure region. */
    location: string;
    /** Tags of the identity. */
    tags?: { [key: string]: string };
}

/** The child resources of an AccountIdentity, for TypeScript code that composes it. */
export interface AccountIdentityChildren {
    identity: managedidentity.UserAssignedIdentity;
}
const childrenOf = new WeakMap<AccountIdentity, AccountIdentityChildren>();

/**
 * The account's own user-assigned managed identity. The FHIR service runs as it (CMK unwrap, `$export` writes), so a
 * user-assigned identity, unlike a system-assigned one, exists before the service and can be granted first. The
 * `protect` option protects it (without it the FHIR service cannot unwrap its key).
 */
export class AccountIdentity extends pulumi.ComponentResource {
    /** ARM ID of the identity. */
    readonly id: pulumi.Output<string>;
    /** Object ID of the identity's service principal: what role assignments name. */
    readonly principalId: pulumi.Output<string>;
    /** Client (application) ID of the identity. */
    readonly clientId: pulumi.Output<string>;

    constructor(name: string, args: AccountIdentityArgs, opts?: pulumi.ComponentResourceOptions) {
        // Named after its account since 0.2 (was `<account>-identity`); the identity inside kept its URN.
        const own = componentOptions(opts);
        super("fhir-platform:index:AccountIdentity", name, {}, { ...own, aliases: [...(own.aliases ?? []), { name: `${name}-identity` }] });
        const identity = new managedidentity.UserAssignedIdentity(
            `${name}-identity`,
            {
                resourceName: names.identity(args.account),
                resourceGroupName: args.resourceGroupName,
                location: args.location,
                tags: args.tags,
            },
            statefulChild(this, opts),
        );
        childrenOf.set(this, { identity });
        this.id = identity.id;
        this.principalId = identity.principalId;
        this.clientId = identity.clientId;
        this.registerOutputs({ id: this.id, principalId: this.principalId, clientId: this.clientId });
    }

    /** The identity resource (TypeScript only: other languages get the outputs). */
    get children(): AccountIdentityChildren {
        return childrenOf.get(this)!;
    }
}
