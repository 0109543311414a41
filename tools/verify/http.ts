/**
 * One HTTP request (GET unless told otherwise) with a timeout, retried with exponential backoff and jitter on 429 and 503 (honouring Retry-After).
 * Network failures are classified (DNS, refused, reset, timeout, TLS) so that diagnosis can say what they mean.
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

export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 503]);

/** Retry-After as milliseconds: delta-seconds or an HTTP date. Undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
    if (value === null || value === undefined || value.trim() === "") return undefined;
    const v = value.trim();
    if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
    const date = Date.parse(v);
    if (Number.isNaN(date)) return undefined;
    return Math.max(0, date - now);
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

const DNS_CODES = new Set(["ENOTFOUND", "EAI_AGAIN", "EAI_FAIL", "EAI_NODATA", "EAI_NONAME"]);
const RESET_CODES = new Set(["ECONNRESET", "EPIPE", "UND_ERR_SOCKET", "UND_ERR_CLOSED"]);
const TIMEOUT_CODES = new Set(["ETIMEDOUT", "UND_ERR_CONNECT_TIMEOUT", "UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT"]);

/** The innermost error `code` of a fetch failure (undici wraps the socket error in `cause`). */
function errorCode(err: unknown): string | undefined {
    let e: unknown = err;
    let code: string | undefined;
    for (let depth = 0; e && typeof e === "object" && depth < 5; depth++) {
        const c = (e as { code?: unknown }).code;
        if (typeof c === "string") code = c;
        e = (e as { cause?: unknown }).cause;
    }
    return code;
}

export function classifyNetworkError(err: unknown): { error: NetworkErrorKind; code?: string } {
    const code = errorCode(err);
    if (code && DNS_CODES.has(code)) return { error: "dns", code };
    if (code === "ECONNREFUSED") return { error: "refused", code };
    if (code && RESET_CODES.has(code)) return { error: "reset", code };
    if (code && TIMEOUT_CODES.has(code)) return { error: "timeout", code };
    if (
        code &&
        (code.startsWith("ERR_TLS") || code.startsWith("CERT_") || code.includes("SELF_SIGNED") || code === "DEPTH_ZERO_SELF_SIGNED_CERT")
    ) {
        return { error: "tls", code };
    }
    return code ? { error: "other", code } : { error: "other" };
}

function messageOf(err: unknown): string {
    const parts: string[] = [];
    let e: unknown = err;
    for (let depth = 0; e && typeof e === "object" && depth < 5; depth++) {
        const m = (e as { message?: unknown }).message;
        if (typeof m === "string" && m && !parts.includes(m)) parts.push(m);
        e = (e as { cause?: unknown }).cause;
    }
    return parts.join(": ") || String(err);
}

export interface RequestOptions {
    /** GET by default; the smoke test also POSTs ($convert-data), PUTs and DELETEs (ARM containers, export cancel). */
    method?: "GET" | "POST" | "PUT" | "DELETE";
    /** Sent as is (JSON callers stringify). */
    body?: string;
    headers?: Record<string, string>;
    timeoutMs: number;
    policy: RetryPolicy;
    clock?: Clock;
    /** Called before each retry (for progress and tests). */
    onRetry?: (info: { retry: number; status: number; delayMs: number }) => void;
}

/** Only the first bytes of an error body matter for diagnosis. */
const MAX_BODY_CHARS = 64 * 1024;

async function attempt(
    url: string,
    opts: RequestOptions,
): Promise<{ status: number; headers: Headers; body: string } | { failure: HttpNetworkFailure["error"]; code?: string; message: string }> {
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
    }, opts.timeoutMs);
    try {
        const res = await fetch(url, {
            method: opts.method ?? "GET",
            headers: opts.headers ?? {},
            ...(opts.body !== undefined ? { body: opts.body } : {}),
            signal: controller.signal,
            redirect: "manual",
        });
        const body = (await res.text()).slice(0, MAX_BODY_CHARS);
        return { status: res.status, headers: res.headers, body };
    } catch (err) {
        if (timedOut) return { failure: "timeout", message: `no answer within ${opts.timeoutMs} ms` };
        const { error, code } = classifyNetworkError(err);
        return { failure: error, ...(code ? { code } : {}), message: messageOf(err) };
    } finally {
        clearTimeout(timer);
    }
}

/** A request with timeout per attempt and retries on 429/503. Never throws for HTTP or network failures. */
export async function requestWithRetry(url: string, opts: RequestOptions): Promise<HttpOutcome> {
    const clock = opts.clock ?? realClock;
    const waits: number[] = [];
    for (let n = 1; ; n++) {
        const r = await attempt(url, opts);
        if ("failure" in r) {
            return { kind: "network", error: r.failure, ...(r.code ? { code: r.code } : {}), message: r.message, attempts: n, waits };
        }
        if (!RETRYABLE_STATUSES.has(r.status) || n > opts.policy.retries) {
            return { kind: "response", status: r.status, headers: r.headers, body: r.body, attempts: n, waits };
        }
        const delayMs = retryDelayMs(n, opts.policy, clock.random, parseRetryAfter(r.headers.get("retry-after"), clock.now()));
        opts.onRetry?.({ retry: n, status: r.status, delayMs });
        waits.push(delayMs);
        await clock.sleep(delayMs);
    }
}
