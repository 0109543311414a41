import type * as pulumi from "@pulumi/pulumi";

/**
 * What every leaf component of an account takes: where its resources go (subscription, resource group, region) and
 * whose they are (account, stack: names, tags, grant descriptions). Resource options go through the component's `opts`:
 * `protect` protects its stateful children (componentOptions), `dependsOn` holds back the child that must wait.
 */
export interface AccountScope {
    /**
     * The account the resources belong to (3 to 12 lowercase letters and digits, starting with a letter): part of their
     * Azure names, the account tag and the role assignments' descriptions.
     */
    account: string;
    /** The stack the account belongs to: part of resource group names, the stack tag and role assignment names. */
    stack: string;
    /** The subscription the resources are created in (the azure-native provider's): role definition IDs name it. */
    subscriptionId: string;
    /** The Entra tenant of the subscription (key vault, token authority, firewall resource-instance rules). */
    tenantId: string;
    /** The resource group the resources are created in. */
    resourceGroupName: pulumi.Input<string>;
    /** The Azure region. */
    location: string;
    /** Tags of every resource. */
    tags?: { [key: string]: string };
}

/**
 * The options a component registers itself with: all but `protect`, which protects its stateful children (the
 * component itself stays unprotected, as the platform has always registered it), and, with `routeDependsOn`, all but
 * `dependsOn`, which the component hands to the child that must wait (a component registered with dependsOn would hold
 * back every child until the dependency is done).
 */
export function componentOptions(
    opts: pulumi.ComponentResourceOptions | undefined,
    routeDependsOn = false,
): pulumi.ComponentResourceOptions {
    const { protect: _protect, dependsOn, ...rest } = opts ?? {};
    return routeDependsOn || dependsOn === undefined ? rest : { ...rest, dependsOn };
}

/** Whether the component was asked to protect its stateful children (the `protect` resource option). */
export function protects(opts: pulumi.ComponentResourceOptions | undefined): boolean {
    return opts?.protect === true;
}

/** What a component's stateful child is registered with: its parent, and protection when the component has it. */
export function statefulChild(parent: pulumi.Resource, opts: pulumi.ComponentResourceOptions | undefined): pulumi.CustomResourceOptions {
    return { parent, protect: protects(opts) };
}

/**
 * What a component's replaceable child (role assignment, diagnostic setting, private endpoint, DNS zone group, wait)
 * is registered with: its parent, never protected (it would otherwise inherit a protected parent's protection).
 */
export function replaceableChild(parent: pulumi.Resource): pulumi.CustomResourceOptions {
    return { parent, protect: false };
}
