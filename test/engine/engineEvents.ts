/** What a `pulumi up --json` did, read from its engine events (one JSON object per line in the pinned CLI). */

export interface StepResult {
    op: string;
    urn: string;
    /** The resource's logical name (the last URN segment). */
    name: string;
}

export interface RunChanges {
    /** Steps that changed something (not `same`, not the refresh of a resource), in the order they finished. */
    steps: StepResult[];
    /** Steps that failed, by logical name. */
    failed: string[];
    /** The summary's counts per operation (`same`, `create`, `update`, …). */
    counts: Record<string, number>;
}

export interface EngineEvent {
    resOutputsEvent?: { metadata?: { op?: string; urn?: string } };
    resOpFailedEvent?: { metadata?: { urn?: string } };
    summaryEvent?: { resourceChanges?: Record<string, number> };
    diagnosticEvent?: { severity: string; message: string };
}

/** The engine events in `pulumi … --json` output or an `--event-log` file: one JSON object per line. */
export function engineEvents(text: string): EngineEvent[] {
    return text
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l) as EngineEvent);
}

export function changesOf(stdout: string): RunChanges {
    const events = engineEvents(stdout);
    const steps: StepResult[] = [];
    const failed: string[] = [];
    let counts: Record<string, number> = {};
    for (const e of events) {
        const m = e.resOutputsEvent?.metadata;
        if (m?.op && m.urn && m.op !== "same" && m.op !== "refresh") {
            steps.push({ op: m.op, urn: m.urn, name: m.urn.split("::").pop() ?? m.urn });
        }
        const f = e.resOpFailedEvent?.metadata?.urn;
        if (f) failed.push(f.split("::").pop() ?? f);
        if (e.summaryEvent?.resourceChanges) counts = e.summaryEvent.resourceChanges;
    }
    return { steps, failed, counts };
}

/** Operations that replace or delete a resource. */
export const DESTRUCTIVE_OPS = ["replace", "create-replacement", "delete-replaced", "delete", "discard", "discard-replaced"];
