/**
 * The shard check behind `npm run shards` (scripts/shards.ts). Checks a set of stacks of this same program before they are previewed or deployed in parallel. Stacks belong to an
 * environment (`fhir-platform:environment`, else the stack name up to its first hyphen); the stacks of one
 * environment are its shards.
 *  - each stack file's config is valid and its accounts can be placed (validateConfig + placement, as the program does);
 *  - within an environment, no account name appears in two shards (two stacks managing one account would fight over
 *    it); the same account in staging and in prod is two deployments on purpose;
 *  - across every stack given, whatever its environment (these are facts of subscriptions): limits that hold per
 *    Azure subscription, summed over every stack that places accounts in it (AHDS FHIR services and workspaces, role
 *    assignments (4000, fixed) and resource groups), and one Azure resource, one owner: no two stacks that share a
 *    subscription derive the same resource group or resource name (stack names may contain hyphens, account names
 *    may not: `a-ws` + account `g` and `a` + workspace group `g` both derive rg-fhir-a-ws-g).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import {
    type AzureIdentity,
    type ConfigProblem,
    ConfigValidationError,
    azureIdentities,
    formatProblem,
    ownershipConflicts,
    resolveStack,
} from "../config";
import { SUBSCRIPTION_LIMITS } from "../azure";
import { stackEnvironment } from "./ci";
import { PROJECT_DIR, configSource, rawAccountNames, readStackConfig } from "../harness/stackFiles";

export interface ShardProblem {
    stack?: string;
    problem: ConfigProblem;
}

export interface SubscriptionUsage {
    subscriptionId: string;
    /** Stack -> subscription name in that stack. */
    stacks: Record<string, string>;
    accounts: number;
    workspaces: number;
    roleAssignments: number;
    resourceGroups: number;
    /** The smallest quota any stack declares for this subscription. */
    quota: { fhirServices: number; workspaces: number };
}

export interface ShardReport {
    stacks: { stack: string; environment: string; accounts: string[]; valid: boolean }[];
    /** The environments of the stacks given, each with its shards. */
    environments: { environment: string; stacks: string[] }[];
    problems: ShardProblem[];
    subscriptions: SubscriptionUsage[];
}

/** Stack names from `dev,prod-eu-1` or from file patterns such as `Pulumi.*.yaml` (only `*` is special). */
export function resolveStackNames(spec: string, dir = PROJECT_DIR): string[] {
    const out: string[] = [];
    for (const item of spec
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean)) {
        if (item.includes("*") || item.endsWith(".yaml")) {
            const base = path.basename(item);
            const folder = path.resolve(dir, path.dirname(item));
            const re = new RegExp(
                `^${base
                    .split("*")
                    .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
                    .join("[^/]*")}$`,
            );
            const files = fs.existsSync(folder)
                ? fs
                      .readdirSync(folder)
                      .filter((f) => re.test(f))
                      .sort()
                : [];
            const stacks = files.map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1]).filter((s): s is string => s !== undefined);
            if (stacks.length === 0) throw new Error(`no stack file matches ${item} in ${folder}`);
            out.push(...stacks);
        } else {
            out.push(item);
        }
    }
    return [...new Set(out)];
}

export function checkShards(stacks: string[], dir = PROJECT_DIR): ShardReport {
    const problems: ShardProblem[] = [];
    const report: ShardReport["stacks"] = [];
    const usage = new Map<string, SubscriptionUsage>();
    const identities: AzureIdentity[] = [];
    const subscriptionNames = new Map<string, Set<string>>();
    for (const stack of stacks) {
        let map: Record<string, string>;
        try {
            map = readStackConfig(stack, dir);
        } catch (e) {
            problems.push({ stack, problem: { path: `Pulumi.${stack}.yaml`, message: e instanceof Error ? e.message : String(e) } });
            report.push({ stack, environment: stackEnvironment(stack, {}), accounts: [], valid: false });
            continue;
        }
        const accounts = rawAccountNames(map);
        const environment = stackEnvironment(stack, map);
        try {
            const { config, placement } = resolveStack({ config: configSource(map), stack, projectDir: dir });
            report.push({ stack, environment, accounts, valid: true });
            const subs = new Map(config.subscriptions.map((s) => [s.name, s]));
            const touch = (subName: string): SubscriptionUsage => {
                const s = subs.get(subName)!;
                let u = usage.get(s.subscriptionId);
                if (!u) {
                    u = {
                        subscriptionId: s.subscriptionId,
                        stacks: {},
                        accounts: 0,
                        workspaces: 0,
                        roleAssignments: 0,
                        resourceGroups: 0,
                        quota: { fhirServices: s.fhirServices, workspaces: s.workspaces },
                    };
                    usage.set(s.subscriptionId, u);
                }
                u.stacks[stack] = s.name;
                u.quota = {
                    fhirServices: Math.min(u.quota.fhirServices, s.fhirServices),
                    workspaces: Math.min(u.quota.workspaces, s.workspaces),
                };
                return u;
            };
            // Counts come from the Azure identities the stack derives (the same list the ownership check uses).
            const mine = azureIdentities(stack, config, placement.placements);
            identities.push(...mine);
            for (const sub of config.subscriptions)
                subscriptionNames.set(
                    sub.subscriptionId,
                    new Set([...(subscriptionNames.get(sub.subscriptionId) ?? []), `'${sub.name}' in ${stack}`]),
                );
            const bySubId = new Map(config.subscriptions.map((sub) => [sub.subscriptionId, sub.name]));
            for (const p of placement.placements) touch(p.subscription).accounts += 1;
            for (const i of mine) {
                // An existing Log Analytics workspace may live in a subscription the stack does not deploy into.
                const subName = bySubId.get(i.subscriptionId);
                if (subName === undefined) continue;
                const u = touch(subName);
                if (i.type === "Microsoft.Resources/resourceGroups") u.resourceGroups += 1;
                else if (i.type === "Microsoft.Authorization/roleAssignments") u.roleAssignments += 1;
                else if (i.type === "Microsoft.HealthcareApis/workspaces") u.workspaces += 1;
            }
        } catch (e) {
            if (!(e instanceof ConfigValidationError)) throw e;
            report.push({ stack, environment, accounts, valid: false });
            for (const p of e.problems) problems.push({ stack, problem: p });
        }
    }
    const environments = [...new Set(report.map((s) => s.environment))].sort().map((environment) => ({
        environment,
        stacks: report.filter((s) => s.environment === environment).map((s) => s.stack),
    }));
    // An account belongs to one shard of its environment; staging and prod may both serve it.
    for (const { environment, stacks: shards } of environments) {
        const duplicates = findCrossShardDuplicates(
            report.filter((s) => shards.includes(s.stack)).map((s) => ({ stack: s.stack, accounts: s.accounts })),
        );
        for (const p of duplicates) problems.push({ problem: { ...p, message: `${p.message} of environment '${environment}'` } });
    }
    // Within one stack resolveStack already refused collisions: what remains is between stacks.
    const subscriptionLabel = (id: string) => `${id} (${[...(subscriptionNames.get(id) ?? [])].join(", ")})`;
    for (const p of ownershipConflicts(identities, subscriptionLabel)) problems.push({ problem: p });
    const subscriptions = [...usage.values()].sort((a, b) => a.subscriptionId.localeCompare(b.subscriptionId));
    for (const u of subscriptions) {
        const where = `subscription ${u.subscriptionId} (${Object.entries(u.stacks)
            .map(([s, n]) => `${n} in ${s}`)
            .join(", ")})`;
        const shared = Object.keys(u.stacks).length > 1;
        const over = (what: string, used: number, limit: number, note: string) => {
            if (used > limit)
                problems.push({
                    problem: {
                        path: "subscriptions",
                        message: `${where} would hold ${used} ${what}${shared ? " across these stacks" : ""}; the limit is ${limit}${note}`,
                    },
                });
        };
        // Each stack checks its own quotas; only a subscription shared by stacks can overflow them in sum.
        if (shared) {
            over("FHIR services", u.accounts, u.quota.fhirServices, " (AHDS quota)");
            over("AHDS workspaces", u.workspaces, u.quota.workspaces, " (AHDS quota)");
        }
        over(
            "role assignments",
            u.roleAssignments,
            SUBSCRIPTION_LIMITS.roleAssignmentsPerSubscription,
            " (fixed by Azure, and shared with everything else in the subscription)",
        );
        over("resource groups", u.resourceGroups, SUBSCRIPTION_LIMITS.resourceGroupsPerSubscription, "");
    }
    return { stacks: report, environments, problems, subscriptions };
}

/**
 * The same account must not be managed by two stacks. Given each shard's accounts, returns one problem per account name
 * that appears in more than one shard.
 */
export function findCrossShardDuplicates(shards: { stack: string; accounts: string[] }[]): ConfigProblem[] {
    const owners = new Map<string, string[]>();
    for (const shard of shards) {
        for (const name of new Set(shard.accounts)) owners.set(name, [...(owners.get(name) ?? []), shard.stack]);
    }
    return [...owners.entries()]
        .filter(([, stacks]) => stacks.length > 1)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, stacks]) => ({
            path: "accounts",
            account: name,
            message: `appears in more than one shard: ${stacks.join(", ")}; an account must belong to exactly one stack`,
        }));
}

export function formatShardProblem(p: ShardProblem): string {
    return `${p.stack ? `stack ${p.stack}: ` : ""}${formatProblem(p.problem)}`;
}

/** The report as lines for a person: environments and their shards, subscription usage, then the problems. */
export function renderShardReport(r: ShardReport): { report: string[]; problems: string[] } {
    const report: string[] = [];
    for (const e of r.environments) {
        report.push(`environment ${e.environment}: ${e.stacks.length} shard${e.stacks.length === 1 ? "" : "s"}`);
        for (const s of r.stacks.filter((x) => x.environment === e.environment)) {
            report.push(
                `  ${s.valid ? "ok     " : "INVALID"} ${s.stack}: ${s.accounts.length} account${s.accounts.length === 1 ? "" : "s"}`,
            );
        }
    }
    for (const u of r.subscriptions) {
        report.push(
            `subscription ${u.subscriptionId} [${Object.keys(u.stacks).join(", ")}]: ${u.accounts}/${u.quota.fhirServices} FHIR ` +
                `services, ${u.workspaces}/${u.quota.workspaces} workspaces, ` +
                `${u.roleAssignments}/${SUBSCRIPTION_LIMITS.roleAssignmentsPerSubscription} role assignments, ` +
                `${u.resourceGroups}/${SUBSCRIPTION_LIMITS.resourceGroupsPerSubscription} resource groups`,
        );
    }
    const problems = r.problems.length
        ? [
              `shards: ${r.problems.length} problem${r.problems.length === 1 ? "" : "s"}:`,
              ...r.problems.map((p) => `  - ${formatShardProblem(p)}`),
          ]
        : [];
    return { report, problems };
}
