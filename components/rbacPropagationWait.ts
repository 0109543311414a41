import * as pulumi from "@pulumi/pulumi";

/**
 * Azure role assignments take effect only after they propagate (Microsoft: "Troubleshoot Azure RBAC", changes can
 * take minutes to apply). A FHIR service created with a customer-managed key right after its identity's grant can
 * fail to reach the key. We wait, on create only, before the FHIR service is created; the wait re-runs only when
 * the grant it follows is replaced (its `trigger` changes). Previews never wait.
 *
 * The provider is a dynamic provider so it runs in the Pulumi engine without extra plugins. It must stay
 * self-contained: Pulumi serializes its code into state.
 */
const waitProvider: pulumi.dynamic.ResourceProvider = {
    async create(inputs: { trigger: string; seconds: number }) {
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, inputs.seconds) * 1000));
        return { id: `rbac-wait-${inputs.trigger.length}-${Date.now()}`, outs: inputs };
    },
    async diff(_id: string, olds: { trigger: string; seconds: number }, news: { trigger: string; seconds: number }) {
        const replace = olds.trigger !== news.trigger;
        return { changes: replace || olds.seconds !== news.seconds, replaces: replace ? ["trigger"] : [] };
    },
    async update(_id: string, _olds: unknown, news: { trigger: string; seconds: number }) {
        return { outs: news };
    },
};

export interface RbacPropagationWaitArgs {
    /** The role assignment ID to wait for; a new assignment means a new wait. */
    trigger: pulumi.Input<string>;
    seconds: number;
}

export class RbacPropagationWait extends pulumi.dynamic.Resource {
    /** Echo of the trigger, available only after the wait: depend on it to be ordered after the wait. */
    declare readonly trigger: pulumi.Output<string>;

    constructor(name: string, args: RbacPropagationWaitArgs, opts?: pulumi.CustomResourceOptions) {
        super(waitProvider, name, { trigger: args.trigger, seconds: args.seconds }, opts, "fhir-platform", "RbacPropagationWait");
    }
}
