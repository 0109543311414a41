import * as pulumi from "@pulumi/pulumi";
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import { names } from "../azure/naming";
import type { AccountScope } from "./scope";

export type AccountIdentityArgs = Pick<AccountScope, "account" | "resourceGroupName" | "location" | "protect" | "tags">;

/**
 * The account's own user-assigned managed identity. The FHIR service runs as it (CMK unwrap, `$export` writes), so a
 * user-assigned identity, unlike a system-assigned one, exists before the service and can be granted first.
 */
export class AccountIdentity extends pulumi.ComponentResource {
    readonly identity: managedidentity.UserAssignedIdentity;
    readonly id: pulumi.Output<string>;
    readonly principalId: pulumi.Output<string>;
    readonly clientId: pulumi.Output<string>;

    constructor(name: string, args: AccountIdentityArgs, opts?: pulumi.ComponentResourceOptions) {
        // Named after its account since 0.2 (was `<account>-identity`); the identity inside kept its URN.
        super(
            "fhir-platform:index:AccountIdentity",
            name,
            {},
            { ...opts, aliases: [...(opts?.aliases ?? []), { name: `${name}-identity` }] },
        );
        this.identity = new managedidentity.UserAssignedIdentity(
            `${name}-identity`,
            {
                resourceName: names.identity(args.account),
                resourceGroupName: args.resourceGroupName,
                location: args.location,
                tags: args.tags,
            },
            { parent: this, protect: args.protect },
        );
        this.id = this.identity.id;
        this.principalId = this.identity.principalId;
        this.clientId = this.identity.clientId;
        this.registerOutputs({ id: this.id, principalId: this.principalId, clientId: this.clientId });
    }
}
