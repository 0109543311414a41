/**
 * Resolving a stack before anything is registered: its config (validated), its placement (with the lock), and the
 * checks that need both (resource group names, one Azure resource one owner). Pure of Pulumi: the program, the offline
 * plan, `npm run place` and `npm run shards` all resolve a stack the same way.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { checkName, names } from "../azure/naming";
import { azureIdentities, ownershipConflicts } from "./ownership";
import {
    type PlacementLock,
    type PlacementOptions,
    type PlacementResult,
    lockFileName,
    parsePlacementLock,
    placeAccounts,
} from "./placement";
import { type ConfigProblem, type ConfigSource, ConfigValidationError, type PlatformConfig, configWarnings, loadConfig } from "./schema";

export interface StackArgs {
    /** `new pulumi.Config("fhir-platform")`, or any source of the same keys. */
    config: ConfigSource;
    stack: string;
    /** Directory holding `Pulumi.<stack>.placement.json`, if any. */
    projectDir: string;
    /** Placement options (`npm run place -- --accept-key-settings`); the program itself passes none. */
    placementOptions?: PlacementOptions;
    /** The placement lock to resolve with instead of the file's (`npm run place -- --forget`); the program passes none. */
    lock?: PlacementLock;
}

/** The stack file a stack's config comes from. */
export function stackFileName(stack: string): string {
    return `Pulumi.${stack}.yaml`;
}

export function readPlacementLock(projectDir: string, stack: string): PlacementLock | undefined {
    const file = path.join(projectDir, lockFileName(stack));
    return fs.existsSync(file) ? parsePlacementLock(fs.readFileSync(file, "utf8"), file) : undefined;
}

/** Validates config and placement, then returns them; throws ConfigValidationError listing every problem. */
export interface ResolvedStack {
    config: PlatformConfig;
    placement: PlacementResult;
    /** Valid settings a reviewer should notice (configWarnings). */
    warnings: ConfigProblem[];
}

export function resolveStack(args: StackArgs): ResolvedStack {
    const config = loadConfig(args.config, stackFileName(args.stack));
    const placement = placeAccounts(
        config,
        args.lock ?? readPlacementLock(args.projectDir, args.stack),
        args.placementOptions,
        lockFileName(args.stack),
    );
    // Resource group names include the stack name: a long stack name can push them past Azure's limit.
    const rgProblems: ConfigProblem[] = [];
    const checkRg = (name: string, account?: string) => {
        const problem = checkName("resourceGroup", name);
        if (problem && !rgProblems.some((q) => q.message.startsWith(problem)))
            rgProblems.push({
                path: "stack name",
                ...(account ? { account } : {}),
                message: `${problem}: use a shorter stack name than '${args.stack}'`,
            });
    };
    checkRg(names.platformResourceGroup(args.stack));
    for (const p of placement.placements) {
        checkRg(names.accountResourceGroup(args.stack, p.account), p.account);
        if (!p.dedicated) checkRg(names.workspaceResourceGroup(args.stack, p.workspaceGroup), p.account);
    }
    // One Azure resource, one owner: no two derived names may be equal (only checked once names are valid).
    const subName = new Map(config.subscriptions.map((s) => [s.subscriptionId, s.name]));
    const owned =
        placement.problems.length + rgProblems.length === 0
            ? ownershipConflicts(azureIdentities(args.stack, config, placement.placements), (id) => `'${subName.get(id) ?? id}'`)
            : [];
    const problems = [...placement.problems, ...rgProblems, ...owned];
    if (problems.length > 0)
        throw new ConfigValidationError(problems, `${stackFileName(args.stack)} and ${lockFileName(args.stack)}: fhir-platform placement`);
    return { config, placement, warnings: configWarnings(config) };
}
