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

/** Redacts every string in a JSON value (undefined fields, which JSON does not have, are dropped). */
export function redactDeep<T>(value: T): T {
    return JSON.parse(JSON.stringify(value), (_key, v: unknown) => (typeof v === "string" ? redact(v) : v)) as T;
}
