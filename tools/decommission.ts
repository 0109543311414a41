/**
 * Decommissioning one account on purpose (`npm run decommission`): the exact commands that lift Pulumi's protection
 * from its resources, and only its, in the order to run them before removing the account from the stack file. Prints;
 * never runs anything. The URNs come from the real program under mocks, which builds the same URNs as `pulumi up`.
 */
import { KEY_VAULT_SOFT_DELETE_DAYS } from "../azure";
import { EXPORT_SOFT_DELETE_DAYS } from "../components/exportStorage";
import { accountOf } from "../harness/plan";
import { runStack } from "../harness/runStack";

export interface DecommissionPlan {
    /** The protected resources of the account, in registration order. */
    urns: string[];
    /** The steps: comments and commands, one per line. */
    lines: string[];
}

/**
 * The steps for `account` of `stack`, or undefined when the stack has no protected resource of that account. `ref` is the
 * stack as the printed `pulumi` commands name it (`acme/staging` on Pulumi Cloud); by default the stack name.
 */
export async function decommission(
    stack: string,
    account: string,
    projectDir?: string,
    ref: string = stack,
): Promise<DecommissionPlan | undefined> {
    const run = await runStack({ stack, ...(projectDir ? { projectDir } : {}) });
    const byUrn = new Map(run.resources.map((r) => [r.urn, r]));
    const urns = run.resources.filter((r) => r.protect && accountOf(r, byUrn) === account).map((r) => r.urn);
    if (urns.length === 0) return undefined;
    return {
        urns,
        lines: [
            `# Decommission account '${account}' of stack '${ref}' (${urns.length} protected resources).`,
            "# 1. Export what you must keep (FHIR $export), and confirm with the account owner.",
            "# 2. Lift protection of this account's resources only:",
            ...urns.map((urn) => `pulumi state unprotect --stack ${ref} --yes '${urn}'`),
            `# 3. Remove '${account}' from Pulumi.${stack}.yaml, then: npm run place -- --stack ${stack}`,
            `# 4. pulumi preview --stack ${ref}   (expect deletes of '${account}' only), then pulumi up --stack ${ref}`,
            `# The key vault stays soft-deleted (purge protection: its name and key are kept ${KEY_VAULT_SOFT_DELETE_DAYS.default} ` +
                `days); ` +
                `storage blobs stay soft-deleted ${EXPORT_SOFT_DELETE_DAYS} days.`,
        ],
    };
}
