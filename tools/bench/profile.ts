/**
 * Summarizes a V8 CPU profile (`node --cpu-prof`) of a bench child: self time by where the code lives (package, or
 * our file), and the hottest functions, counting only samples inside the timed window.
 */
import * as fs from "node:fs";

interface ProfileNode {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    children?: number[];
}
interface CpuProfile {
    nodes: ProfileNode[];
    startTime: number;
    samples: number[];
    timeDeltas: number[];
}

export interface ProfileSummary {
    totalMs: number;
    byPlace: { place: string; ms: number; share: number }[];
    topFunctions: { fn: string; place: string; ms: number; share: number }[];
    /** Inclusive time of frames whose function name matches, e.g. "registerResource" or "apply". */
    inclusive: { fn: string; ms: number; share: number }[];
    /** Self time in this project's code: the program (components/) and the harness (scripts/). */
    ours: { place: string; ms: number; share: number }[];
}

/**
 * Frames worth an inclusive figure: the SDK's per-promise stack capture, resource construction, the stack trace each
 * resource records for its source position (`Resource.callsites`), alias URNs, and ts-node's transpiling.
 */
export const DEFAULT_INCLUSIVE = [
    "debuggablePromise",
    "prepareStackTrace",
    "CustomResource",
    "ComponentResource",
    "registerOutputs",
    "apply",
    "callsites",
    "collapseAliasToUrn",
    "transpileModule",
];

/** This project's folders (README, "Layout"): the program's (azure, config, components, program), the pack's, the harness's, and the engine's fakes. */
export const OUR_FOLDERS = ["azure", "config", "components", "program", "policies", "harness", "tools", "engine"];

/** Where a frame's code lives: an npm package, one of our files, Node itself, or a V8 pseudo-frame. */
export function placeOf(url: string, functionName: string): string {
    if (!url) return functionName.startsWith("(") ? functionName : "(native)";
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(url);
    if (pkg) {
        if (pkg[1] === "@pulumi/pulumi") return `@pulumi/pulumi/${pkg[2].split("/").slice(0, -1).join("/") || "."}`;
        return pkg[1];
    }
    if (url.startsWith("node:")) return "node internals";
    const ours = new RegExp(`/(${OUR_FOLDERS.join("|")})/(.*)$`).exec(url);
    if (ours) return `${ours[1]}/${ours[2]}`;
    return url;
}

export function summarizeProfile(
    file: string,
    windowUs?: [number, number],
    inclusiveNames: string[] = DEFAULT_INCLUSIVE,
    top = 15,
): ProfileSummary {
    const p = JSON.parse(fs.readFileSync(file, "utf8")) as CpuProfile;
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const self = new Map<number, number>();
    let t = p.startTime;
    let total = 0;
    for (let i = 0; i < p.samples.length; i++) {
        t += p.timeDeltas[i];
        if (windowUs && (t < windowUs[0] || t > windowUs[1])) continue;
        const dt = p.timeDeltas[i + 1] ?? 0;
        self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + dt);
        total += dt;
    }
    const places = new Map<string, number>();
    const fns = new Map<string, { place: string; us: number }>();
    const incl = new Map<string, number>(inclusiveNames.map((n) => [n, 0]));
    for (const [id, us] of self) {
        const n = byId.get(id)!;
        const place = placeOf(n.callFrame.url, n.callFrame.functionName);
        places.set(place, (places.get(place) ?? 0) + us);
        const fn = `${n.callFrame.functionName || "(anonymous)"} ${place}:${n.callFrame.lineNumber + 1}`;
        fns.set(fn, { place, us: (fns.get(fn)?.us ?? 0) + us });
        // Inclusive: each named frame on the stack once.
        const seen = new Set<string>();
        for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
            const name = byId.get(cur)!.callFrame.functionName;
            if (incl.has(name) && !seen.has(name)) {
                seen.add(name);
                incl.set(name, incl.get(name)! + us);
            }
        }
    }
    const ms = (us: number) => Math.round(us / 100) / 10;
    const share = (us: number) => (total ? Math.round((us / total) * 1000) / 10 : 0);
    return {
        totalMs: ms(total),
        byPlace: [...places]
            .sort((a, b) => b[1] - a[1])
            .slice(0, top)
            .map(([place, us]) => ({ place, ms: ms(us), share: share(us) })),
        topFunctions: [...fns]
            .sort((a, b) => b[1].us - a[1].us)
            .slice(0, top)
            .map(([fn, v]) => ({ fn, place: v.place, ms: ms(v.us), share: share(v.us) })),
        inclusive: [...incl].map(([fn, us]) => ({ fn, ms: ms(us), share: share(us) })),
        ours: OUR_FOLDERS.map((folder) => `${folder}/`).map((prefix) => {
            const us = [...places].filter(([p]) => p.startsWith(prefix)).reduce((n, [, v]) => n + v, 0);
            return { place: prefix, ms: ms(us), share: share(us) };
        }),
    };
}
