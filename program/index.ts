/**
 * The stack program: a resolved stack (config/resolve.ts) becomes the platform's component resources and the stack
 * outputs. Everything is validated before the first resource is registered: a bad config registers nothing.
 */
import * as pulumi from "@pulumi/pulumi";
import { FhirPlatform } from "../components";
import {
    type PlacementLock,
    type ResolvedStack,
    type StackArgs,
    formatProblem,
    lockFileName,
    resolveStack,
    stackFileName,
} from "../config";
import { type FhirAccountOutputs, accountOutputs, platformArgs } from "./platformArgs";

export type { FhirAccountOutputs } from "./platformArgs";

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
    const platform = new FhirPlatform("fhir-platform", platformArgs(config, placement.placements, args.stack), {
        protect: config.protectStatefulResources,
    });
    // Stack outputs keyed by account name, sorted (output order never depends on config order).
    const accountConfig = new Map(config.accounts.map((a) => [a.name, a]));
    const placed = new Map(placement.placements.map((p) => [p.account, p]));
    const accounts: Record<string, FhirAccountOutputs> = {};
    for (const name of [...platform.children.accounts.keys()].sort()) {
        accounts[name] = accountOutputs(platform.children.accounts.get(name)!, accountConfig.get(name)!, placed.get(name)!, config);
    }
    return {
        accounts,
        logAnalyticsWorkspaceId: platform.logAnalyticsWorkspaceId,
        placement: placement.lock.accounts,
        unlockedAccounts: placement.newlyPlaced,
    };
}
