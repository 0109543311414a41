/** Shapes passed between the bench parent and its child processes (JSON files). */

/** The program under the SDK's mocks (the flat baseline it was once compared with is gone: BENCHMARKS.md, findings). */
export type BenchMode = "program";

export interface ChildJob {
    mode: BenchMode;
    accounts: number;
    /** JSON file holding `{ configMap, plan }` for this size. */
    inputFile: string;
    /** Also analyze the captured graph (done after the clock stops). */
    analyze: boolean;
}

export interface PathSummary {
    /** Step types of the critical path, e.g. [["random:RandomString","resources:ResourceGroup"],["keyvault:Vault"],...]. */
    steps: string[][];
    /** Accounts whose critical path has these steps. */
    accounts: number;
    example: { account: string; chain: { type: string; name: string }[] };
}

export interface RunAnalysis {
    /** One entry per distinct critical-path shape. */
    criticalPaths: PathSummary[];
    longestCriticalPath: number;
    crossAccountEdges: { from: string; to: string; fromAccount: string; toAccount: string }[];
    /** Dependencies from an account's resources onto shared ones (platform, shared workspace). */
    sharedDependencies: number;
    dependenciesChecked: number;
    /** Custom resources attributed to an account, per account: min/max. */
    customPerAccount: { min: number; max: number; total: number; shared: number };
    componentsPerAccount: { min: number; max: number };
}

export interface ChildResult {
    mode: BenchMode;
    accounts: number;
    wallMs: number;
    peakRssBytes: number;
    rssBeforeBytes: number;
    /** Largest heapUsed seen (sampled every 5 ms when the event loop is free, and at the end). */
    peakHeapBytes: number;
    /** Heap committed by V8 at the end of the run (V8 seldom returns heap quickly: close to the peak). */
    heapTotalBytes: number;
    /** The timed window on the monotonic clock, in microseconds (the clock V8 CPU profiles use). */
    windowUs: [number, number];
    custom: number;
    components: number;
    /**
     * Program runs only: the policy pack (`runPolicyPack`, every policy, default config) over the captured stack, timed
     * in the same process after the program's own figures were taken.
     */
    policy?: { wallMs: number; mandatory: number; advisory: number };
    analysis?: RunAnalysis;
}
