/**
 * What the captured dependency graph says about a stack: the critical path of each account (the longest chain of
 * custom resources up to and including its FHIR service), whether any account's resources depend on another
 * account's, and whether two runs registered the same custom resources.
 */
import type { CapturedResource } from "../../harness/mockRun";
import { accountOf as accountOfResource, shortType } from "../../harness/plan";

export const FHIR_SERVICE_TYPE = "azure-native:healthcareapis:FhirService";
export { shortType };

export interface Graph {
    byUrn: Map<string, CapturedResource>;
    /** Custom resource URN -> the custom resources it waits for (dependencies and property dependencies, components expanded). */
    deps: Map<string, string[]>;
    /** Resource URN -> account name, for everything under a FhirAccount component. */
    accountOf: Map<string, string>;
}

export function buildGraph(resources: CapturedResource[]): Graph {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const children = new Map<string, string[]>();
    for (const r of resources) if (r.parent) children.set(r.parent, [...(children.get(r.parent) ?? []), r.urn]);
    // A dependency on a component means its custom descendants.
    const customsUnder = (urn: string, seen = new Set<string>()): string[] => {
        if (seen.has(urn)) return [];
        seen.add(urn);
        const r = byUrn.get(urn);
        if (!r) return [];
        if (r.custom) return [urn];
        return (children.get(urn) ?? []).flatMap((c) => customsUnder(c, seen));
    };
    const deps = new Map<string, string[]>();
    for (const r of resources) {
        if (!r.custom) continue;
        const direct = new Set([...r.dependencies, ...Object.values(r.propertyDependencies).flat()]);
        deps.set(
            r.urn,
            [...new Set([...direct].flatMap((d) => customsUnder(d)))].filter((d) => d !== r.urn),
        );
    }
    const accountOf = new Map<string, string>();
    for (const r of resources) {
        const a = accountOfResource(r, byUrn);
        if (a !== undefined) accountOf.set(r.urn, a);
    }
    return { byUrn, deps, accountOf };
}

export interface CriticalPath {
    account: string;
    /** Custom resources on one longest chain, first to last (the FHIR service). */
    chain: { type: string; name: string }[];
    /** At each step, every resource type that some longest chain has there (ties, e.g. resource group ∥ random suffix). */
    steps: string[][];
}

/** Longest chain of custom resources ending at the account's FHIR service. */
export function criticalPath(g: Graph, account: string): CriticalPath {
    const fhir = [...g.byUrn.values()].find((r) => r.custom && r.type === FHIR_SERVICE_TYPE && g.accountOf.get(r.urn) === account);
    if (!fhir) throw new Error(`account ${account} has no FHIR service`);
    const depth = new Map<string, number>();
    const depthOf = (urn: string, stack = new Set<string>()): number => {
        const known = depth.get(urn);
        if (known !== undefined) return known;
        if (stack.has(urn)) throw new Error(`dependency cycle through ${urn}`);
        stack.add(urn);
        const d = 1 + Math.max(0, ...(g.deps.get(urn) ?? []).map((x) => depthOf(x, stack)));
        stack.delete(urn);
        depth.set(urn, d);
        return d;
    };
    const total = depthOf(fhir.urn);
    // Walk back from the FHIR service along predecessors one step shallower: every such node is on a longest chain.
    const levels: string[][] = [[fhir.urn]];
    for (let d = total - 1; d >= 1; d--) {
        const next = new Set<string>();
        for (const u of levels[0]) for (const x of g.deps.get(u) ?? []) if (depthOf(x) === d) next.add(x);
        levels.unshift([...next]);
    }
    const chain: { type: string; name: string }[] = [];
    let cur = fhir.urn;
    const rev = [cur];
    for (let d = total - 1; d >= 1; d--) {
        cur = (g.deps.get(cur) ?? []).filter((x) => depthOf(x) === d).sort()[0];
        rev.push(cur);
    }
    for (const u of rev.reverse()) chain.push({ type: g.byUrn.get(u)!.type, name: g.byUrn.get(u)!.name });
    return { account, chain, steps: levels.map((l) => [...new Set(l.map((u) => shortType(g.byUrn.get(u)!.type)))].sort()) };
}

export function formatSteps(steps: string[][]): string {
    return steps.map((s) => s.join(" ∥ ")).join(" → ");
}

export interface CrossAccountEdge {
    from: string;
    fromAccount: string;
    to: string;
    toAccount: string;
}

/** Every dependency (or property dependency) from one account's resource to another account's. */
export function crossAccountDependencies(g: Graph): { edges: CrossAccountEdge[]; sharedDependencies: number; checked: number } {
    const edges: CrossAccountEdge[] = [];
    let shared = 0;
    let checked = 0;
    for (const [urn, ds] of g.deps) {
        const a = g.accountOf.get(urn);
        if (a === undefined) continue;
        for (const d of ds) {
            checked++;
            const b = g.accountOf.get(d);
            if (b === undefined) shared++;
            else if (b !== a) edges.push({ from: urn, fromAccount: a, to: d, toAccount: b });
        }
    }
    return { edges, sharedDependencies: shared, checked };
}
