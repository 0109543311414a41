import type * as pulumi from "@pulumi/pulumi";

/**
 * What every leaf component of an account takes: where its resources go (subscription, resource group, region), whose
 * they are (account, stack: names, tags, grant descriptions), and how they are kept (protect). Resource options such
 * as dependsOn go through the component's `opts`, which the component routes to the child that needs them.
 */
export interface AccountScope {
    /** The account the resources belong to: in Azure names, the account tag and grant descriptions. */
    account: string;
    stack: string;
    subscriptionId: string;
    tenantId: string;
    resourceGroupName: pulumi.Input<string>;
    location: string;
    /** Pulumi protect on the stateful children (deletion and replacement refused). */
    protect: boolean;
    tags: Record<string, string>;
}

/**
 * The options a component passes to its own registration: everything but dependsOn, which the component hands to the
 * child that must wait (a component registered with dependsOn would hold back every child until the dependency is done).
 */
export function componentOptions(opts: pulumi.ComponentResourceOptions | undefined): pulumi.ComponentResourceOptions {
    const { dependsOn: _dependsOn, ...rest } = opts ?? {};
    return rest;
}
