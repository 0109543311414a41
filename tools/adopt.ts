/**
 * After a run the engine lost track of resources Azure created (`npm run adopt`, docs/runbook.md step 7): the commands
 * that put each back into the stack's state as the program declares it (type, name, parent, provider, protection), so
 * that the next `pulumi up` converges with nothing replaced. Prints; never runs anything.
 *
 * Two ways the pinned engine (v3.274.1) loses one, both shown under the real engine in test/engine/faults.test.ts:
 * - the CLI was killed during a create (a cancelled job, a lost runner): the create stays a *pending create* in the
 *   state (`pulumi stack export`: `deployment.pending_operations`, type `creating`), with URN, parent, provider and
 *   inputs but no ID. Its ID is the one the program's names give it (the offline harness's mockState builds ARM IDs as
 *   azure-native does), to confirm in Azure. `pulumi refresh --import-pending-creates` is no way out in this CLI: it
 *   drops the pending creates without importing them (seen under the engine);
 * - the provider process died during a create: the engine reads the broken connection as "nothing happened" (gRPC
 *   Unavailable, pkg/resource/plugin provider_plugin.go resourceStateAndError) and keeps no trace; the next run stops at
 *   azure-native's "cannot create already existing resource '<id>'", which names the ID. The program's mock run gives
 *   the URN, parent, provider and protection of that resource.
 */
import { mockState } from "../harness/mockRun";
import { runStack } from "../harness/runStack";

export interface Orphan {
    urn: string;
    type: string;
    name: string;
    /** The ARM ID, when known (always for a refused create; for a pending create when the type's ID can be built). */
    id?: string;
    parent?: string;
    /** The explicit provider's URN (without its `::<id>`). */
    provider?: string;
    protect: boolean;
    /** A pending create in the state (else: a create refused as already existing). */
    pending: boolean;
}

interface ExportedResource {
    urn: string;
    type: string;
    id?: string;
    parent?: string;
    provider?: string;
    protect?: boolean;
    inputs?: Record<string, unknown>;
}

interface Exported {
    deployment?: { resources?: ExportedResource[]; pending_operations?: { type: string; resource: ExportedResource }[] };
}

const nameOf = (urn: string) => urn.split("::").pop() ?? urn;
const providerUrn = (ref: string | undefined) => (ref ? ref.split("::").slice(0, -1).join("::") : undefined);

/** The pending creates of a `pulumi stack export`, each with the ID its recorded inputs give it when the type is known. */
export function pendingCreates(exported: unknown): Orphan[] {
    const deployment = (exported as Exported).deployment ?? {};
    const resources = deployment.resources ?? [];
    return (deployment.pending_operations ?? [])
        .filter((op) => op.type === "creating")
        .map(({ resource: r }) => {
            const provider = providerUrn(r.provider);
            const subscriptionId = resources.find((p) => p.urn === provider)?.inputs?.subscriptionId;
            const built =
                typeof subscriptionId === "string" ? mockState(r.type, nameOf(r.urn), r.inputs ?? {}, subscriptionId).id : undefined;
            return {
                urn: r.urn,
                type: r.type,
                name: nameOf(r.urn),
                ...(built?.startsWith("/subscriptions/") ? { id: built } : {}),
                ...(r.parent ? { parent: r.parent } : {}),
                ...(provider ? { provider } : {}),
                protect: r.protect === true,
                pending: true,
            };
        });
}

/**
 * Creates a run's output reports refused as already existing: the engine's diagnostics name the type and logical name
 * (`  <type> (<name>):`), azure-native's error the ID.
 */
export function refusedCreates(log: string): { type: string; name: string; id: string }[] {
    const found = new Map<string, { type: string; name: string; id: string }>();
    const re = /^\s*([\w-]+:[\w/-]+:\w+) \(([^)]+)\):\s*\n\s*error: cannot create already existing resource '([^']+)'/gm;
    for (const m of log.matchAll(re)) found.set(`${m[1]}::${m[2]}`, { type: m[1], name: m[2], id: m[3] });
    return [...found.values()];
}

export interface AdoptPlan {
    orphans: Orphan[];
    lines: string[];
}

const q = (s: string) => `'${s}'`;

/**
 * The steps for stack `stack` (`ref`: how the printed commands name it, e.g. `acme/staging`), from a `pulumi stack
 * export` (pending creates) and/or a failed run's output (refused creates).
 */
export async function adopt(options: {
    stack: string;
    ref?: string;
    exported?: unknown;
    log?: string;
    projectDir?: string;
}): Promise<AdoptPlan> {
    const ref = options.ref ?? options.stack;
    const orphans: Orphan[] = options.exported ? pendingCreates(options.exported) : [];
    const refused = options.log ? refusedCreates(options.log) : [];
    if (refused.length) {
        const run = await runStack({ stack: options.stack, ...(options.projectDir ? { projectDir: options.projectDir } : {}) });
        for (const r of refused) {
            const declared = run.resources.find((x) => x.type === r.type && x.name === r.name);
            if (!declared) throw new Error(`the program declares no ${r.type} named ${r.name} (is this the stack that failed?)`);
            if (orphans.some((o) => o.urn === declared.urn)) continue;
            const provider = providerUrn(declared.provider);
            orphans.push({
                urn: declared.urn,
                type: r.type,
                name: r.name,
                id: r.id,
                ...(declared.parent ? { parent: declared.parent } : {}),
                ...(provider ? { provider } : {}),
                protect: declared.protect,
                pending: false,
            });
        }
    }
    const pending = orphans.filter((o) => o.pending);
    const lines = [
        `# Stack '${ref}': ${orphans.length} resource(s) Azure may hold that the state does not (${pending.length} pending create(s), ` +
            `${orphans.length - pending.length} refused as already existing).`,
        "# 1. Check each in Azure: it must exist, and a long-running create must have ended (provisioningState Succeeded or Failed):",
        ...orphans.map((o) => `az resource show --ids ${q(o.id ?? `<ID of ${o.name}>`)} --query properties.provisioningState -o tsv`),
        ...(pending.length
            ? [
                  "# 2. Drop the pending creates from the state (they are listed here and in your export; a pending create whose resource",
                  "#    does not exist needs nothing more: the next pulumi up creates it):",
                  `pulumi refresh --clear-pending-creates --yes --stack ${ref}`,
              ]
            : []),
        `# ${pending.length ? 3 : 2}. Import each that exists, as the program declares it:`,
        ...orphans.map((o) =>
            [
                "pulumi import",
                q(o.type),
                q(o.name),
                q(o.id ?? `<ID of ${o.name}>`),
                ...(o.parent ? ["--parent", q(o.parent)] : []),
                ...(o.provider ? ["--provider", q(o.provider)] : []),
                `--protect=${o.protect}`,
                "--generate-code=false",
                "--yes",
                "--stack",
                ref,
            ].join(" "),
        ),
        `# ${pending.length ? 4 : 3}. pulumi up --stack ${ref}: expect updates (a failed create is updated) and creates of what depends on ` +
            "them, nothing replaced or deleted; then npm run verify.",
    ];
    return { orphans, lines };
}
