/**
 * The plan diff of two offline plans of a stack (base and head), per account: resources added, removed, changed
 * (`path: before → after`), renamed (URN moved, Azure resource kept: needs an alias), what azure-native replaces on and
 * what Azure refuses to update (planFacts.ts). Deleting or replacing a protected resource is an error; an update Azure
 * refuses is a warning. Pure; a base plan may come from an older plan script (URN, type, name, inputs, protect).
 */
import {
    type AccountSummary,
    MockValues,
    PLAN_FORMAT,
    PLATFORM_GROUP,
    type Plan,
    type PlanResource,
    compareGroups,
    groupLabel,
    inputLeaves,
    md,
    resourceLine,
    shortType,
    summaryLine,
} from "./plan";
import { type ChangeEffect, TYPE_FACTS, ruleFor, underPath } from "./planFacts";
import { isRecord } from "./stackFiles";

/** A resource of one side of the diff: what every plan JSON carries, older ones included. */
export interface SideResource
    extends Pick<
        PlanResource,
        "urn" | "type" | "name" | "custom" | "protect" | "inputs" | "azureName" | "provider" | "replacementTrigger"
    > {
    unknowns: Record<string, string[]>;
    ignoreChanges: string[];
}

export interface PlanSide {
    groups: { name: string; resources: SideResource[] }[];
    /** Absent in plans written before summaries existed. */
    summaries?: Record<string, AccountSummary>;
}

export type InputEffect = "update" | ChangeEffect | "ignored";

export interface InputChange {
    /** Input path (`properties.keySize`), or `[protect]` / `[provider]` for resource options. */
    path: string;
    /** The value as JSON text; absent when the input is not set on that side. */
    before?: string;
    after?: string;
    effect: InputEffect;
    /** Why the change has this effect, with its source. */
    why?: string;
}

export type ResourceRef = Pick<SideResource, "urn" | "type" | "name" | "azureName" | "protect" | "custom">;

export interface ResourceChange extends ResourceRef {
    action: "update" | "replace" | "ignored";
    changes: InputChange[];
}

export interface Rename {
    from: ResourceRef;
    to: ResourceRef;
    /** Input changes besides the URN (usually none). */
    changes: InputChange[];
}

export interface GroupDiff {
    name: string;
    status: "added" | "removed" | "changed" | "unchanged";
    added: ResourceRef[];
    removed: ResourceRef[];
    changed: ResourceChange[];
    renamed: Rename[];
    unchanged: number;
    summary: { base?: AccountSummary; head?: AccountSummary };
}

export interface DiffProblem {
    group: string;
    resource: string;
    type: string;
    message: string;
}

export interface PlanDiff {
    groups: GroupDiff[];
    /** Each would make the engine refuse the update or lose data: the plan fails. */
    errors: DiffProblem[];
    warnings: DiffProblem[];
    counts: { added: number; removed: number; changed: number; replaced: number; renamed: number; ignored: number };
}

// ---- reading plans -----------------------------------------------------------------------------------------------------

export function sideOf(plan: Plan): PlanSide {
    return readPlanDocument(plan, MockValues.none, `the plan of '${plan.stack}'`);
}

export const EMPTY_SIDE: PlanSide = { groups: [], summaries: {} };

/**
 * A plan JSON (`npm run plan -- --json`) as one side of the diff. Plans from before sanitized inputs (no `format`) are
 * sanitized with `mock`, the head run's values (the mocks are deterministic).
 */
export function readPlanDocument(doc: unknown, mock: MockValues, label: string): PlanSide {
    if (!isRecord(doc) || !Array.isArray(doc.groups)) throw new Error(`${label}: not a plan (no "groups")`);
    const sanitized = typeof doc.format === "number" && doc.format >= PLAN_FORMAT;
    const groups = doc.groups.map((g, i) => {
        if (!isRecord(g) || typeof g.name !== "string" || !Array.isArray(g.resources))
            throw new Error(`${label}: groups[${i}] is not a plan group`);
        const resources = g.resources.map((r, j): SideResource => {
            if (!isRecord(r) || typeof r.urn !== "string" || typeof r.type !== "string" || typeof r.name !== "string") {
                throw new Error(`${label}: groups[${i}].resources[${j}] has no urn, type and name`);
            }
            const inputs = isRecord(r.inputs) ? r.inputs : {};
            const clean = sanitized
                ? { inputs, unknowns: isRecord(r.unknowns) ? (r.unknowns as Record<string, string[]>) : {} }
                : mock.sanitizeInputs(inputs);
            const azureName = typeof r.azureName === "string" ? (sanitized ? r.azureName : mock.sanitize(r.azureName).text) : undefined;
            return {
                urn: r.urn,
                type: r.type,
                name: r.name,
                custom: typeof r.custom === "boolean" ? r.custom : Object.keys(inputs).length > 0,
                protect: r.protect === true,
                inputs: clean.inputs,
                unknowns: clean.unknowns,
                ignoreChanges: Array.isArray(r.ignoreChanges) ? r.ignoreChanges.filter((p): p is string => typeof p === "string") : [],
                ...(azureName !== undefined ? { azureName } : {}),
                ...(typeof r.provider === "string" ? { provider: r.provider } : {}),
                ...(r.replacementTrigger !== undefined ? { replacementTrigger: r.replacementTrigger } : {}),
            };
        });
        return { name: g.name, resources };
    });
    return { groups, ...(isRecord(doc.summaries) ? { summaries: doc.summaries as Record<string, AccountSummary> } : {}) };
}

// ---- comparing inputs ------------------------------------------------------------------------------------------------

interface Leaf {
    value: unknown;
    sources: string[];
}

/** A source names the resource whose output it is (`keyUri of contoso-cmk`): follow renames of base resources. */
function remapSource(source: string, renames: ReadonlyMap<string, string>): string {
    const at = source.indexOf(" of ");
    const renamed = at >= 0 ? renames.get(source.slice(at + 4)) : undefined;
    return renamed ? `${source.slice(0, at + 4)}${renamed}` : source;
}

function leavesOf(r: SideResource, renames: ReadonlyMap<string, string>): Map<string, Leaf> {
    return new Map(
        inputLeaves(r.inputs).map(([path, value]) => [
            path,
            { value, sources: (r.unknowns[path] ?? []).map((s) => remapSource(s, renames)) },
        ]),
    );
}

/** azure-native compares `location` without case and spaces ("West Europe" = "westeurope"). */
function normalizedLocation(v: unknown): unknown {
    return typeof v === "string" ? v.toLowerCase().replace(/ /g, "") : v;
}

function sameLeaf(path: string, a: Leaf | undefined, b: Leaf | undefined): boolean {
    if (!a || !b) return a === b;
    const value = (l: Leaf) => JSON.stringify(path === "location" ? normalizedLocation(l.value) : l.value);
    return value(a) === value(b) && a.sources.join("\n") === b.sources.join("\n");
}

function render(l: Leaf | undefined, withSources: boolean): string | undefined {
    if (!l) return undefined;
    return `${JSON.stringify(l.value)}${withSources && l.sources.length ? ` [${l.sources.join(", ")}]` : ""}`;
}

const OTHER_PROVIDER =
    "another provider (subscription): azure-native's DiffConfig reports no change, so the engine neither replaces nor " +
    "moves it and it stays where it is; move an account with npm run decommission and a new account instead";
const TRIGGER_CHANGED =
    "its replacementTrigger changed: the engine replaces it (a private endpoint's DNS zone group follows its workspace's services)";

function inputChanges(base: SideResource, head: SideResource, renames: ReadonlyMap<string, string>): InputChange[] {
    const before = leavesOf(base, renames);
    const after = leavesOf(head, new Map());
    const changes: InputChange[] = [];
    for (const path of [...new Set([...before.keys(), ...after.keys()])].sort()) {
        const b = before.get(path);
        const a = after.get(path);
        if (sameLeaf(path, b, a)) continue;
        // Equal text that stands for other outputs: say which.
        const sourcesOnly = render(b, false) === render(a, false);
        const ignored = head.ignoreChanges.some((p) => underPath(path, p));
        const rule = ruleFor(head.type, path);
        changes.push({
            path,
            ...(b ? { before: render(b, sourcesOnly)! } : {}),
            ...(a ? { after: render(a, sourcesOnly)! } : {}),
            effect: ignored ? "ignored" : (rule?.effect ?? "update"),
            ...(rule ? { why: rule.why } : {}),
        });
    }
    // Resource options: a change of one recorded on both sides.
    const option = (path: string, before: string | undefined, after: string | undefined, effect: InputEffect, why: string) => {
        if (before !== undefined && after !== undefined && before !== after) changes.push({ path, before, after, effect, why });
    };
    option("[provider]", base.provider, head.provider, "caution", OTHER_PROVIDER);
    // The engine's rule (pkg resource/deploy step_generator.go shouldTriggerReplace): a trigger absent on either side
    // replaces nothing; two recorded values that differ replace the resource.
    const trigger = (r: SideResource) => (r.replacementTrigger === undefined ? undefined : JSON.stringify(r.replacementTrigger));
    option("[replacementTrigger]", trigger(base), trigger(head), "replace", TRIGGER_CHANGED);
    const protectWhy = base.protect ? "no longer protected: a later update may delete or replace it" : "protected from now on";
    option("[protect]", String(base.protect), String(head.protect), "update", protectWhy);
    return changes;
}

const paths = (changes: InputChange[]) => changes.map((c) => c.path).join(", ");

function actionOf(changes: InputChange[]): ResourceChange["action"] | undefined {
    if (changes.some((c) => c.effect === "replace")) return "replace";
    if (changes.some((c) => c.effect === "update" || c.effect === "caution" || c.effect === "refused")) return "update";
    return changes.length ? "ignored" : undefined;
}

/** Type and Azure identity (the inputs in the resource's ARM path), or undefined for types without one. */
function identityKey(r: SideResource, renames: ReadonlyMap<string, string>): string | undefined {
    const identity = TYPE_FACTS[r.type]?.identity ?? [];
    if (!identity.length) return undefined;
    const leaves = leavesOf(r, renames);
    const parts = identity.map((p) => leaves.get(p));
    if (parts.some((l) => l === undefined)) return undefined;
    return [r.type, ...parts.map((l) => `${JSON.stringify(l!.value)}|${l!.sources.join(",")}`)].join("\u0000");
}

function ref(r: SideResource): ResourceRef {
    return {
        urn: r.urn,
        type: r.type,
        name: r.name,
        protect: r.protect,
        custom: r.custom,
        ...(r.azureName !== undefined ? { azureName: r.azureName } : {}),
    };
}

// ---- the diff --------------------------------------------------------------------------------------------------------

interface Placed {
    r: SideResource;
    group: string;
}

function index(side: PlanSide): Map<string, Placed> {
    return new Map(side.groups.flatMap((g) => g.resources.map((r): [string, Placed] => [r.urn, { r, group: g.name }])));
}

/** Removed URNs whose Azure identity reappears under one added URN: renames. Repeats while renames reveal more. */
function findRenames(base: Map<string, Placed>, head: Map<string, Placed>): { pairs: Map<string, string>; names: Map<string, string> } {
    const pairs = new Map<string, string>();
    const names = new Map<string, string>();
    for (let pass = 0; pass < 8; pass++) {
        const taken = new Set(pairs.values());
        const added = new Map<string, string[]>();
        for (const [urn, { r }] of head) {
            if (base.has(urn) || taken.has(urn)) continue;
            const key = identityKey(r, new Map());
            if (key) added.set(key, [...(added.get(key) ?? []), urn]);
        }
        let found = false;
        for (const [urn, { r }] of base) {
            if (head.has(urn) || pairs.has(urn)) continue;
            const key = identityKey(r, names);
            const candidates = key ? added.get(key) : undefined;
            if (candidates?.length !== 1) continue;
            pairs.set(urn, candidates[0]);
            added.delete(key!);
            const to = head.get(candidates[0])!.r;
            if (to.name !== r.name) names.set(r.name, to.name);
            found = true;
        }
        if (!found) break;
    }
    return { pairs, names };
}

export function diffPlans(baseSide: PlanSide, headSide: PlanSide): PlanDiff {
    const base = index(baseSide);
    const head = index(headSide);
    const { pairs, names } = findRenames(base, head);
    const renamedTo = new Set(pairs.values());
    const groupNames = [...new Set([...baseSide.groups.map((g) => g.name), ...headSide.groups.map((g) => g.name)])].sort(compareGroups);
    const groups = new Map<string, GroupDiff>(
        groupNames.map((name) => [
            name,
            {
                name,
                status: "unchanged",
                added: [],
                removed: [],
                changed: [],
                renamed: [],
                unchanged: 0,
                summary: {
                    ...(baseSide.summaries?.[name] ? { base: baseSide.summaries[name] } : {}),
                    ...(headSide.summaries?.[name] ? { head: headSide.summaries[name] } : {}),
                },
            },
        ]),
    );
    const errors: DiffProblem[] = [];
    const warnings: DiffProblem[] = [];
    const problem = (error: boolean, group: string, r: ResourceRef, message: string) =>
        (error ? errors : warnings).push({ group, resource: r.name, type: r.type, message });

    for (const [urn, { r, group }] of base) {
        if (head.has(urn)) continue;
        const to = pairs.get(urn);
        if (to) {
            const h = head.get(to)!;
            const rename: Rename = { from: ref(r), to: ref(h.r), changes: inputChanges(r, h.r, names) };
            groups.get(h.group)!.renamed.push(rename);
            const alias = `aliases: ["${urn}"] on ${h.r.name}`;
            const message = r.protect
                ? `protected resource changed its URN (was ${r.name}): without ${alias} the engine would delete the old one, which ` +
                  `protect refuses (and a new one of the same Azure name cannot be created)`
                : `changed its URN (was ${r.name}) but not its Azure identity: add ${alias}, or the engine deletes and re-creates ` +
                  `the same Azure resource`;
            problem(r.protect, h.group, rename.to, message);
            continue;
        }
        groups.get(group)!.removed.push(ref(r));
        const deleted = "protected resource would be deleted: the engine refuses, and its data would be lost; remove an account on purpose";
        if (r.protect) problem(true, group, ref(r), `${deleted} with npm run decommission`);
    }
    for (const [urn, { r, group }] of head) {
        const b = base.get(urn);
        if (!b) {
            if (!renamedTo.has(urn)) groups.get(group)!.added.push(ref(r));
            continue;
        }
        const changes = inputChanges(b.r, r, names);
        const action = actionOf(changes);
        if (!action) {
            groups.get(group)!.unchanged++;
            continue;
        }
        const change: ResourceChange = { ...ref(r), protect: b.r.protect, action, changes };
        groups.get(group)!.changed.push(change);
        const moved = changes.find((c) => c.path === "[provider]");
        if (moved) problem(false, group, change, `its provider changes (${moved.before} → ${moved.after}): ${moved.why}`);
        const refused = changes.filter((c) => c.effect === "refused");
        const why = [...new Set(refused.map((c) => c.why))].join("; ");
        const refusal = `azure-native sends this as an update, which Azure refuses: ${paths(refused)} (${why}); \`pulumi up\``;
        if (refused.length) problem(false, group, change, `${refusal} would fail at this resource`);
        if (action !== "replace") continue;
        const how = `would be replaced (azure-native deletes it first): ${paths(changes.filter((c) => c.effect === "replace"))}`;
        const lost = "the engine refuses to replace a protected resource, and its data would be lost";
        problem(b.r.protect, group, change, b.r.protect ? `protected resource ${how}; ${lost}` : how);
    }
    const all = [...groups.values()];
    for (const g of all) {
        const inBase = baseSide.groups.some((x) => x.name === g.name);
        const inHead = headSide.groups.some((x) => x.name === g.name);
        const c = countsOf([g]);
        const moved = c.added + c.removed + c.renamed + c.changed + c.replaced;
        g.status = !inBase ? "added" : !inHead ? "removed" : moved ? "changed" : "unchanged";
    }
    return { groups: all, errors, warnings, counts: countsOf(all) };
}

function countsOf(groups: GroupDiff[]): PlanDiff["counts"] {
    const changed = groups.flatMap((g) => g.changed);
    const n = (action: ResourceChange["action"]) => changed.filter((c) => c.action === action).length;
    const sum = (list: "added" | "removed" | "renamed") => groups.reduce((total, g) => total + g[list].length, 0);
    return {
        added: sum("added"),
        removed: sum("removed"),
        changed: n("update"),
        replaced: n("replace"),
        renamed: sum("renamed"),
        ignored: n("ignored"),
    };
}

// ---- rendering -------------------------------------------------------------------------------------------------------

export interface DiffContext {
    stack: string;
    /** The git ref given, and the commit it resolved to. */
    base: { ref: string; commit?: string; missing?: boolean };
    head: { missing?: boolean };
}

const COUNTED: Record<keyof PlanDiff["counts"], string> = {
    added: "added",
    removed: "removed",
    changed: "changed",
    replaced: "replaced",
    renamed: "renamed (alias needed)",
    ignored: "ignored changes",
};

function groupCounts(g: GroupDiff): string {
    const c = countsOf([g]);
    return (Object.keys(COUNTED) as (keyof typeof c)[]).flatMap((k) => (c[k] > 0 ? [`${c[k]} ${COUNTED[k]}`] : [])).join(", ");
}

function statusText(g: GroupDiff): string {
    if (g.status === "added") return `new (${g.added.length + g.renamed.length} resources)`;
    if (g.status === "removed") return `removed (${g.removed.length} resources)`;
    const counts = groupCounts(g);
    return g.status === "unchanged" ? `no change (${g.unchanged} resources${counts ? `; ${counts}` : ""})` : counts;
}

const NOTE: Record<InputEffect, (why?: string) => string> = {
    replace: (why) => `  <- replace: ${why}`,
    refused: (why) => `  <- Azure refuses this update: ${why}`,
    caution: (why) => `  <- caution: ${why}`,
    ignored: (why) => `  <- ignored once created (ignoreChanges)${why ? `: ${why}` : ""}`,
    update: (why) => (why ? `  (${why})` : ""),
};

function changeLine(c: InputChange): string {
    return `      ${c.path}: ${c.before ?? "(not set)"} → ${c.after ?? "(not set)"}${NOTE[c.effect](c.why)}`;
}

const MARK: Record<ResourceChange["action"], string> = { update: "~", replace: "-/+", ignored: "=" };

/** The lines of one group: header, summary, then renamed, changed, removed and added resources. */
export function groupDiffLines(g: GroupDiff): string[] {
    const lines = [`${groupLabel(g.name)}: ${statusText(g)}`];
    const { base, head } = g.summary;
    if (head) lines.push(`  summary: ${summaryLine(head)}`);
    if (base && (!head || summaryLine(base) !== summaryLine(head))) lines.push(`  ${head ? "before: " : "summary:"} ${summaryLine(base)}`);
    for (const r of g.renamed) {
        lines.push(`  > ${resourceLine(r.to)}`, `      renamed from ${r.from.name} (${r.from.urn}): same Azure resource, needs an alias`);
        for (const c of r.changes) lines.push(changeLine(c));
    }
    const order: Record<ResourceChange["action"], number> = { replace: 0, update: 1, ignored: 2 };
    for (const c of [...g.changed].sort((a, b) => order[a.action] - order[b.action])) {
        lines.push(`  ${MARK[c.action]} ${resourceLine(c)}`);
        for (const ch of c.changes) lines.push(changeLine(ch));
    }
    for (const r of g.removed) lines.push(`  - ${resourceLine(r)}`);
    for (const r of g.added) lines.push(`  + ${resourceLine(r)}`);
    return lines;
}

function baseText(ctx: DiffContext): string {
    return `${ctx.base.ref}${ctx.base.commit ? ` (${ctx.base.commit.slice(0, 12)})` : ""}`;
}

function problemLine(p: DiffProblem): string {
    return `${p.resource} (${shortType(p.type)}) in ${groupLabel(p.group)}: ${p.message}`;
}

function verdict(diff: PlanDiff): string {
    return diff.errors.length
        ? `FAILED: ${diff.errors.length} protected resource(s) would be deleted, replaced or lose their URN`
        : "PASSED: no protected resource deleted, replaced or renamed";
}

function countsText(diff: PlanDiff): string {
    const c = diff.counts;
    const shown = (["added", "removed", "changed", "replaced", "renamed"] as const).map((k) => `${c[k]} ${COUNTED[k]}`).join(", ");
    return `${shown}${c.ignored ? `, ${c.ignored} with changes the engine ignores` : ""}`;
}

function notes(ctx: DiffContext): string[] {
    return [
        ...(ctx.base.missing ? [`Pulumi.${ctx.stack}.yaml does not exist at ${ctx.base.ref}: every resource is new.`] : []),
        ...(ctx.head.missing ? [`Pulumi.${ctx.stack}.yaml does not exist in the working tree: every resource is removed.`] : []),
    ];
}

export function renderDiffText(diff: PlanDiff, ctx: DiffContext): string[] {
    const lines = [
        `Plan diff of stack '${ctx.stack}': ${baseText(ctx)} → working tree (both offline plans, Pulumi SDK mock mode)`,
        ...notes(ctx),
        countsText(diff),
        "Mock values (random suffixes, resource IDs, principal IDs, key versions) show as (known after deploy).",
        "",
    ];
    for (const g of diff.groups) lines.push(...groupDiffLines(g), "");
    if (diff.errors.length) lines.push(`Errors (${diff.errors.length}):`, ...diff.errors.map((p) => `  ${problemLine(p)}`), "");
    if (diff.warnings.length) lines.push(`Warnings (${diff.warnings.length}):`, ...diff.warnings.map((p) => `  ${problemLine(p)}`), "");
    lines.push(verdict(diff));
    return lines;
}

export function renderDiffMarkdown(diff: PlanDiff, ctx: DiffContext): string[] {
    const out = [
        `## Plan diff: stack \`${ctx.stack}\` (\`${md(baseText(ctx))}\` → this change)`,
        "",
        diff.errors.length ? `:x: **${md(verdict(diff))}**` : `:white_check_mark: **${md(verdict(diff))}**`,
        "",
        ...notes(ctx).flatMap((n) => [n, ""]),
        `${countsText(diff)}. Offline plans of both sides (Pulumi SDK mock mode); \`pulumi preview\` against Azure remains the ` +
            `authority. Mock values show as (known after deploy).`,
        "",
        "| group | status | added | removed | changed | replaced | renamed |",
        "|---|---|---:|---:|---:|---:|---:|",
        ...diff.groups.map((g) => {
            const c = countsOf([g]);
            const name = g.name === PLATFORM_GROUP ? "platform" : md(g.name);
            return `| ${name} | ${g.status} | ${c.added} | ${c.removed} | ${c.changed} | ${c.replaced} | ${c.renamed} |`;
        }),
        "",
    ];
    const accounts = diff.groups.filter((g) => g.summary.head ?? g.summary.base);
    if (accounts.length) {
        out.push("**Accounts**", "");
        for (const g of accounts) {
            const { base, head } = g.summary;
            const now = head ? summaryLine(head) : `removed (was: ${summaryLine(base!)})`;
            const was = head && base && summaryLine(base) !== summaryLine(head) ? ` _(was: ${md(summaryLine(base))})_` : "";
            out.push(`- **${md(g.name)}**: ${md(now)}${was}`);
        }
        out.push("");
    }
    if (diff.errors.length) out.push("### Errors", "", ...diff.errors.map((p) => `- ${md(problemLine(p))}`), "");
    if (diff.warnings.length) out.push("### Warnings", "", ...diff.warnings.map((p) => `- ${md(problemLine(p))}`), "");
    for (const g of diff.groups) {
        if (g.status === "unchanged" && !g.changed.length) continue;
        const lines = groupDiffLines(g).slice(1);
        out.push(
            `<details><summary>${md(groupLabel(g.name))}: ${md(statusText(g))}</summary>`,
            "",
            "```diff",
            ...lines.map((l) => l.replace(/```/g, "'''")),
            "```",
            "",
            "</details>",
            "",
        );
    }
    return out;
}
