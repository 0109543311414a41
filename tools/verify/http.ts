/**
 * One HTTP request (GET unless told otherwise) with a timeout per attempt, retried with exponential backoff and jitter on
 * 429 and 503 (honouring Retry-After). Network failures are classified (DNS, refused, reset, timeout, TLS) for diagnosis.
 */

export interface RetryPolicy {
    /** Retries after the first attempt (so at most retries + 1 requests). */
    retries: number;
    /** First backoff step; doubles each retry. */
    baseDelayMs: number;
    /** Upper bound for one backoff delay, and for a server's Retry-After. */
    maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { retries: 3, baseDelayMs: 500, maxDelayMs: 30_000 };

/** Injected for tests: what to sleep and which randomness to use. */
export interface Clock {
    sleep(ms: number): Promise<void>;
    random(): number;
    now(): number;
}

export const realClock: Clock = {
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    random: Math.random,
    now: Date.now,
};

export type RetryInfo = { retry: number; status: number; delayMs: number };

/** What every request of verify takes (FHIR, ARM): a timeout per attempt, retries, the clock, a hook before each retry. */
export interface HttpSettings {
    timeoutMs: number;
    policy: RetryPolicy;
    clock?: Clock;
    onRetry?: (info: RetryInfo) => void;
}

/** `promise`, or the error `onTimeout()` makes after `ms`; the timer is cleared either way. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(onTimeout()), ms);
    });
    try {
        return await Promise.race([promise, timeout]);
    } finally {
        clearTimeout(timer);
    }
}

const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 503]);

/** Retry-After as milliseconds: delta-seconds or an HTTP date. Undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
    const v = value?.trim();
    if (!v) return undefined;
    if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
    const date = Date.parse(v);
    return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Delay before retry number `retry` (1-based): the server's Retry-After when it gave one (capped at maxDelayMs),
 * else exponential backoff base * 2^(retry-1), capped, with "equal jitter" (a uniform draw in [d/2, d]).
 */
export function retryDelayMs(retry: number, policy: RetryPolicy, random: () => number, retryAfterMs?: number): number {
    if (retryAfterMs !== undefined) return Math.min(retryAfterMs, policy.maxDelayMs);
    const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
    return Math.round(exp / 2 + random() * (exp / 2));
}

export type NetworkErrorKind = "dns" | "refused" | "reset" | "timeout" | "tls" | "other";

export interface HttpResponse {
    kind: "response";
    status: number;
    headers: Headers;
    body: string;
    attempts: number;
    /** Delays waited before each retry, in order. */
    waits: number[];
}

export interface HttpNetworkFailure {
    kind: "network";
    error: NetworkErrorKind;
    code?: string;
    message: string;
    attempts: number;
    waits: number[];
}

export type HttpOutcome = HttpResponse | HttpNetworkFailure;

const CODE_KINDS: [NetworkErrorKind, (code: string) => boolean][] = [
    ["dns", (c) => ["ENOTFOUND", "EAI_AGAIN", "EAI_FAIL", "EAI_NODATA", "EAI_NONAME"].includes(c)],
    ["refused", (c) => c === "ECONNREFUSED"],
    ["reset", (c) => ["ECONNRESET", "EPIPE", "UND_ERR_SOCKET", "UND_ERR_CLOSED"].includes(c)],
    ["timeout", (c) => ["ETIMEDOUT", "UND_ERR_CONNECT_TIMEOUT", "UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT"].includes(c)],
    ["tls", (c) => c.startsWith("ERR_TLS") || c.startsWith("CERT_") || c.includes("SELF_SIGNED")],
];

/** The error and its causes, outermost first (undici wraps the socket error in `cause`). */
function causeChain(err: unknown): { code?: unknown; message?: unknown }[] {
    const chain: { code?: unknown; message?: unknown; cause?: unknown }[] = [];
    for (let e = err; e && typeof e === "object" && chain.length < 5; e = (e as { cause?: unknown }).cause) chain.push(e);
    return chain;
}

export function classifyNetworkError(err: unknown): { error: NetworkErrorKind; code?: string } {
    const code = causeChain(err)
        .map((e) => e.code)
        .filter((c): c is string => typeof c === "string")
        .at(-1);
    if (!code) return { error: "other" };
    return { error: CODE_KINDS.find(([, matches]) => matches(code))?.[0] ?? "other", code };
}

function messageOf(err: unknown): string {
    const messages = causeChain(err).flatMap((e) => (typeof e.message === "string" && e.message ? [e.message] : []));
    return [...new Set(messages)].join(": ") || String(err);
}

export interface RequestOptions extends HttpSettings {
    /** GET by default; the smoke test also POSTs ($convert-data), PUTs and DELETEs (ARM containers, export cancel). */
    method?: "GET" | "POST" | "PUT" | "DELETE";
    /** Sent as is (JSON callers stringify). */
    body?: string;
    headers?: Record<string, string>;
}

/** Only the first bytes of an error body matter for diagnosis. */
const MAX_BODY_CHARS = 64 * 1024;

async function attempt(
    url: string,
    opts: RequestOptions,
): Promise<{ status: number; headers: Headers; body: string } | { failure: NetworkErrorKind; code?: string; message: string }> {
    const signal = AbortSignal.timeout(opts.timeoutMs);
    try {
        const res = await fetch(url, {
            method: opts.method ?? "GET",
            headers: opts.headers ?? {},
            body: opts.body,
            signal,
            redirect: "manual",
        });
        return { status: res.status, headers: res.headers, body: (await res.text()).slice(0, MAX_BODY_CHARS) };
    } catch (err) {
        if (signal.aborted) return { failure: "timeout", message: `no answer within ${opts.timeoutMs} ms` };
        const { error, code } = classifyNetworkError(err);
        return { failure: error, code, message: messageOf(err) };
    }
}

/** A request with timeout per attempt and retries on 429/503. Never throws for HTTP or network failures. */
export async function requestWithRetry(url: string, opts: RequestOptions): Promise<HttpOutcome> {
    const clock = opts.clock ?? realClock;
    const waits: number[] = [];
    for (let n = 1; ; n++) {
        const r = await attempt(url, opts);
        if ("failure" in r) return { kind: "network", error: r.failure, code: r.code, message: r.message, attempts: n, waits };
        if (!RETRYABLE_STATUSES.has(r.status) || n > opts.policy.retries) return { kind: "response", ...r, attempts: n, waits };
        const delayMs = retryDelayMs(n, opts.policy, clock.random, parseRetryAfter(r.headers.get("retry-after"), clock.now()));
        opts.onRetry?.({ retry: n, status: r.status, delayMs });
        waits.push(delayMs);
        await clock.sleep(delayMs);
    }
}
