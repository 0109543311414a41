/** HS256 JWTs for the fakes: the fake managed identity endpoint signs, the fake FHIR service verifies. */
import * as crypto from "node:crypto";

export interface Claims {
    aud: string;
    iss: string;
    tid: string;
    oid: string;
    iat: number;
    exp: number;
    [k: string]: unknown;
}

const b64url = (v: Buffer | string): string => Buffer.from(v).toString("base64url");

export class FakeSigner {
    private readonly key = crypto.randomBytes(32);
    /** Every token signed, so tests can assert none leaks into output. */
    readonly issued: string[] = [];

    sign(claims: Claims): string {
        const head = b64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
        const body = b64url(JSON.stringify(claims));
        const sig = crypto.createHmac("sha256", this.key).update(`${head}.${body}`).digest("base64url");
        const token = `${head}.${body}.${sig}`;
        this.issued.push(token);
        return token;
    }

    /**
     * Which issued tokens show up in `text`, whole or by their signature alone, and whether anything JWT-shaped does:
     * descriptions, not the tokens, so a failing assertion prints none either. Empty when nothing leaked.
     */
    leaksIn(text: string): string[] {
        const found: string[] = [];
        this.issued.forEach((token, i) => {
            if (text.includes(token)) found.push(`token #${i + 1} (whole)`);
            else if (text.includes(token.split(".")[2] as string)) found.push(`token #${i + 1} (signature)`);
        });
        if (/eyJ[A-Za-z0-9_-]{10,}\./.test(text)) found.push("a JWT-shaped string");
        return found;
    }

    /** The claims when the signature is ours and the token has not expired; else the reason it is not. */
    verify(token: string, nowSeconds = Math.floor(Date.now() / 1000)): { ok: true; claims: Claims } | { ok: false; reason: string } {
        const parts = token.split(".");
        if (parts.length !== 3) return { ok: false, reason: "malformed token" };
        const [head, body, sig] = parts as [string, string, string];
        const expected = crypto.createHmac("sha256", this.key).update(`${head}.${body}`).digest();
        const given = Buffer.from(sig, "base64url");
        if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) return { ok: false, reason: "bad signature" };
        let claims: Claims;
        try {
            claims = JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as Claims;
        } catch {
            return { ok: false, reason: "unreadable claims" };
        }
        if (typeof claims.exp !== "number" || claims.exp <= nowSeconds) return { ok: false, reason: "token expired" };
        return { ok: true, claims };
    }
}
