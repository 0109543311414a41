/**
 * Token hygiene: `verify` never prints a token. Anything that looks like a JWT (three base64url segments, the first
 * starting `eyJ`, i.e. `{"`) or follows `Bearer ` is replaced before a message reaches a report, a log or an error.
 */
const JWT = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;
// A bearer credential in a header echoed back: `Bearer <token>` (but not the WWW-Authenticate challenge parameters).
const BEARER_VALUE = /\b(Bearer)\s+(?![a-z_]+=)[A-Za-z0-9._~+/-]{16,}=*/gi;

export const REDACTED = "[redacted token]";

export function redact(text: string): string {
    return text.replace(JWT, REDACTED).replace(BEARER_VALUE, `$1 ${REDACTED}`);
}

/** Redacts every string in a JSON-like value. */
export function redactDeep<T>(value: T): T {
    if (typeof value === "string") return redact(value) as T;
    if (Array.isArray(value)) return value.map((v) => redactDeep(v)) as T;
    if (value && typeof value === "object") {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v)])) as T;
    }
    return value;
}
