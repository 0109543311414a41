/**
 * CPU time of a Pulumi run, split by the process that spent it: the CLI, the language host, the program, the policy
 * pack's analyzer, the resource providers (fake here) and the dynamic-provider host. Linux only (/proc): it samples
 * the run's process tree every `intervalMs` and keeps each process's last user + system time, so a process's last
 * interval before it exits is not counted (the plugins sit idle at the end of a run; the program's last interval is
 * the one that can be missed).
 */
import * as fs from "node:fs";

export const PROCESS_ROLES = ["cli", "program", "policy pack", "providers", "dynamic provider", "language host", "other"] as const;
export type ProcessRole = (typeof PROCESS_ROLES)[number];

/** What a process of the run is, from its command line (argv joined by spaces). */
export function processRole(commandLine: string): ProcessRole {
    if (/run-policy-pack/.test(commandLine)) return "policy pack";
    if (/cmd\/dynamic-provider|pulumi-resource-pulumi-nodejs/.test(commandLine)) return "dynamic provider";
    if (/fakeProvider\.js|pulumi-resource-/.test(commandLine)) return "providers";
    if (/@pulumi\/pulumi\/cmd\/run(\/|\s|$)/.test(commandLine)) return "program";
    if (/languageHost\.js|pulumi-language-nodejs/.test(commandLine)) return "language host";
    if (/(^|\/)pulumi(\s|$)/.test(commandLine)) return "cli";
    return "other";
}

interface ProcStat {
    ppid: number;
    /** user + system, in clock ticks */
    ticks: number;
    /** resident set, in pages */
    rssPages: number;
}

/** /proc/<pid>/stat: fields after the parenthesized command (which may contain spaces). */
function readStat(pid: number): ProcStat | undefined {
    try {
        const text = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
        // f[0] is field 3 (state): ppid is field 4, utime 14, stime 15, rss 24.
        return { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]), rssPages: Number(f[21]) };
    } catch {
        return undefined;
    }
}

function readCommandLine(pid: number): string {
    try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
    } catch {
        return "";
    }
}

/** Clock ticks per second (USER_HZ): 100 on every Linux this runs on. */
const TICKS_PER_SECOND = 100;
const PAGE_BYTES = 4096;

export interface CpuSplit {
    /** CPU seconds per role. */
    seconds: Record<ProcessRole, number>;
    /** Peak resident memory of the largest process of each role, MiB (sampled). */
    peakRssMiB: Record<ProcessRole, number>;
    /** Processes seen per role. */
    processes: Record<ProcessRole, number>;
    totalSeconds: number;
    /** The role of every process seen, by process ID. */
    roleOf: Record<number, ProcessRole>;
}

function zeroes(): Record<ProcessRole, number> {
    return Object.fromEntries(PROCESS_ROLES.map((r) => [r, 0])) as Record<ProcessRole, number>;
}

/** Samples the process tree under `rootPid` until stop() is called; stop() returns the split. */
export function sampleCpu(rootPid: number, intervalMs = 100): { stop(): CpuSplit } {
    const seen = new Map<number, { role: ProcessRole; ticks: number; rssPages: number }>();
    const sample = () => {
        if (!fs.existsSync("/proc")) return;
        const parents = new Map<number, number>();
        const stats = new Map<number, ProcStat>();
        for (const entry of fs.readdirSync("/proc")) {
            if (!/^\d+$/.test(entry)) continue;
            const pid = Number(entry);
            const st = readStat(pid);
            if (!st) continue;
            parents.set(pid, st.ppid);
            stats.set(pid, st);
        }
        for (const [pid, st] of stats) {
            let p: number | undefined = pid;
            while (p !== undefined && p > 1 && p !== rootPid) p = parents.get(p);
            if (p !== rootPid) continue;
            const known = seen.get(pid);
            // Read every time: between fork and exec a new process still shows its parent's command line.
            const line = readCommandLine(pid);
            const role = line ? processRole(line) : (known?.role ?? "other");
            seen.set(pid, { role, ticks: Math.max(known?.ticks ?? 0, st.ticks), rssPages: Math.max(known?.rssPages ?? 0, st.rssPages) });
        }
    };
    sample();
    const timer = setInterval(sample, intervalMs);
    return {
        stop(): CpuSplit {
            clearInterval(timer);
            const seconds = zeroes();
            const peakRssMiB = zeroes();
            const processes = zeroes();
            const roleOf: Record<number, ProcessRole> = {};
            for (const [pid, { role, ticks, rssPages }] of seen) {
                roleOf[pid] = role;
                seconds[role] += ticks / TICKS_PER_SECOND;
                peakRssMiB[role] = Math.max(peakRssMiB[role], Math.round((rssPages * PAGE_BYTES) / 2 ** 20));
                processes[role] += 1;
            }
            const totalSeconds = Object.values(seconds).reduce((a, b) => a + b, 0);
            return { seconds, peakRssMiB, processes, totalSeconds, roleOf };
        },
    };
}
