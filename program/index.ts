/**
 * The stack program: a resolved stack (config/resolve.ts) becomes the platform's component resources and the stack
 * outputs. Everything is validated before the first resource is registered: a bad config registers nothing.
 */
import * as pulumi from "@pulumi/pulumi";
import { type FhirAccountOutputs, FhirPlatform } from "../components";
import {
    type PlacementLock,
    type ResolvedStack,
    type StackArgs,
    formatProblem,
    lockFileName,
    resolveStack,
    stackFileName,
} from "../config";

export interface ProgramOutputs {
    accounts: Record<string, FhirAccountOutputs>;
    logAnalyticsWorkspaceId: pulumi.Output<string>;
    /** Account -> subscription and workspace group: the content of the placement lock. */
    placement: PlacementLock["accounts"];
    /** Accounts not yet in the placement lock: run `npm run place` and commit the lock. */
    unlockedAccounts: string[];
}

/** Resolves the stack (unless given) and registers the platform; returns the stack outputs. */
export function defineStack(args: StackArgs, resolved: ResolvedStack = resolveStack(args)): ProgramOutputs {
    const { config, placement } = resolved;
    if (placement.newlyPlaced.length > 0 && (config.placement === "shared" || config.subscriptions.length > 1)) {
        void pulumi.log.warn(
            `placement of ${placement.newlyPlaced.join(", ")} is not in ${lockFileName(args.stack)} yet: ` +
                `run \`npm run place -- --stack ${args.stack}\` and commit the file, so later changes never move them`,
        );
    }
    for (const w of resolved.warnings) void pulumi.log.warn(`${stackFileName(args.stack)}: ${formatProblem(w)}`);
    const platform = new FhirPlatform("fhir-platform", { config, placements: placement.placements, stack: args.stack });
    return {
        accounts: platform.accountOutputs(),
        logAnalyticsWorkspaceId: platform.logAnalyticsWorkspaceId,
        placement: placement.lock.accounts,
        unlockedAccounts: placement.newlyPlaced,
    };
}
