import type { CapturedResource } from "../../harness/mockRun";
import { buildGraph, criticalPath, crossAccountDependencies } from "./graph";
import type { PathSummary, RunAnalysis } from "./types";

function minMax(xs: number[]): { min: number; max: number } {
    return { min: xs.length ? Math.min(...xs) : 0, max: xs.length ? Math.max(...xs) : 0 };
}

/** Everything the report says about one run's graph. Accounts exist only under FhirAccount components (the program). */
export function analyzeRun(resources: CapturedResource[]): RunAnalysis {
    const g = buildGraph(resources);
    const accounts = [...new Set(g.accountOf.values())].sort();
    const shapes = new Map<string, PathSummary>();
    let longest = 0;
    for (const a of accounts) {
        const cp = criticalPath(g, a);
        longest = Math.max(longest, cp.chain.length);
        const key = JSON.stringify(cp.steps);
        const s = shapes.get(key);
        if (s) s.accounts++;
        else shapes.set(key, { steps: cp.steps, accounts: 1, example: { account: a, chain: cp.chain } });
    }
    const cross = crossAccountDependencies(g);
    const perAccount = (custom: boolean) =>
        accounts.map((a) => resources.filter((r) => r.custom === custom && g.accountOf.get(r.urn) === a).length);
    const customCounts = perAccount(true);
    const total = customCounts.reduce((x, y) => x + y, 0);
    return {
        criticalPaths: [...shapes.values()].sort((x, y) => y.accounts - x.accounts),
        longestCriticalPath: longest,
        crossAccountEdges: cross.edges,
        sharedDependencies: cross.sharedDependencies,
        dependenciesChecked: cross.checked,
        customPerAccount: { ...minMax(customCounts), total, shared: resources.filter((r) => r.custom).length - total },
        componentsPerAccount: minMax(perAccount(false)),
    };
}
