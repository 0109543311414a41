import type * as pulumi from "@pulumi/pulumi";
import * as authorization from "@pulumi/azure-native/authorization";
import { type BuiltInRoleName, type PrincipalType, roleDefinitionId } from "../azure/facts";
import { accountDescription, stableGuid } from "../azure/naming";

export interface RoleGrantArgs {
    /** The account the grant belongs to: its principal and its scope are this account's. */
    account: string;
    stack: string;
    subscriptionId: string;
    /** The subscription of the scope, when it is not the account's (a registry elsewhere): role definition IDs name it. */
    scopeSubscriptionId?: string;
    role: BuiltInRoleName;
    scope: pulumi.Input<string>;
    principalId: pulumi.Input<string>;
    principalType: PrincipalType;
    /**
     * What the grant is for and to whom, stable across runs (never an output): it names the role assignment, so the
     * same grant keeps the same GUID whatever else changes in the stack.
     */
    key: string;
    description: string;
}

/**
 * One Azure role assignment with a deterministic GUID name and the account in its description.
 * New managed identities get `principalType: ServicePrincipal` so ARM does not look the principal up in a
 * directory replica that has not seen it yet (PrincipalNotFound, a known race).
 */
export function roleGrant(name: string, args: RoleGrantArgs, opts: pulumi.CustomResourceOptions): authorization.RoleAssignment {
    return new authorization.RoleAssignment(name, roleAssignmentInputs(args), opts);
}

/** The role assignment's inputs. */
function roleAssignmentInputs(args: RoleGrantArgs): authorization.RoleAssignmentArgs {
    return {
        roleAssignmentName: stableGuid(args.stack, args.subscriptionId, args.account, args.key, args.role),
        scope: args.scope,
        roleDefinitionId: roleDefinitionId(args.scopeSubscriptionId ?? args.subscriptionId, args.role),
        principalId: args.principalId,
        principalType: args.principalType,
        description: accountDescription(args.account, args.description),
    };
}
