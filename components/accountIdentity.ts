import * as pulumi from "@pulumi/pulumi";
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import { names } from "../azure/naming";

export interface AccountIdentityArgs {
    account: string;
    resourceGroupName: pulumi.Input<string>;
    location: string;
    protect: boolean;
    tags: Record<string, string>;
}

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
        super("fhir-platform:index:AccountIdentity", name, {}, opts);
        this.identity = new managedidentity.UserAssignedIdentity(
            `${args.account}-identity`,
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
