/**
 * `npm run verify -- --stack dev`: proves each account's FHIR service answers with the identity and roles the stack
 * set up. Exit code 0 when every account is healthy, 1 when any fails, 2 on a usage or configuration error.
 */
import * as fs from "node:fs";
import { parseArgs } from "node:util";
import type { TokenCredential } from "@azure/identity";
import { checkAccount, type AccountResult } from "./check";
import { CREDENTIAL_KINDS, createCredential, isCredentialKind, type CredentialKind } from "./credential";
import { DEFAULT_RETRY_POLICY, type Clock, type RetryPolicy } from "./http";
import { ARM_DEFAULT_ENDPOINT } from "./arm";
import { DEFAULT_KEY_EXPIRY_WARN_DAYS, DEFAULT_KEY_LAG_HOURS } from "./keys";
import { internalError } from "./diagnose";
import { runPool } from "./pool";
import { redact } from "./redact";
import { buildReport, renderDiagnoses, renderKeys, renderSmoke, renderSummary, renderTable } from "./report";
import { parseCidr, privateRanges, systemResolver, type Resolver } from "./dns";
import { DEFAULT_SMOKE_POLL_MS, DEFAULT_SMOKE_TIMEOUT_S } from "./smoke";
import { parseTargets, readOutputsFile, readStackOutputs, VerifyConfigError, type AccountTarget } from "./targets";

export const EXIT = { healthy: 0, failed: 1, usage: 2 } as const;

export const USAGE = `Usage: npm run verify -- (--stack NAME | --outputs FILE) [options]

Checks every account's FHIR service after \`pulumi up\`: a token for its audience, that a private account's FHIR host
resolves to a private endpoint address from here, GET /metadata (FHIR R4 CapabilityStatement), an authenticated read,
$export advertised when export is on, SMART configuration when SMART identity providers are set; and through Azure
Resource Manager, which key version each service uses and whether key rotation has reached it. With --smoke it also
writes: a tiny $export, one $convert-data, the import mode read back. Failures come with a diagnosis. Tokens are
never printed.

  --stack NAME          read outputs with \`pulumi stack output --json --show-secrets=false --stack NAME\`
  --outputs FILE        read a JSON file of stack outputs instead (e.g. saved from \`pulumi stack output --json\`)
  --credential KIND     ${CREDENTIAL_KINDS.join(" | ")} (default: default = DefaultAzureCredential)
  --account NAME        check only this account (repeatable)
  --concurrency N       accounts checked at once (default 4)
  --timeout-ms N        timeout per request and per token (default 15000)
  --retries N           retries on 429/503, exponential backoff with jitter, Retry-After honoured (default 3)
  --json FILE           also write a machine-readable report
  --key-lag-hours N     how long a newer enabled key version may exist before the service must use it (default ${DEFAULT_KEY_LAG_HOURS})
  --key-expiry-warn-days N
                        fail when the key version in use expires within N days (default ${DEFAULT_KEY_EXPIRY_WARN_DAYS})
  --arm-endpoint URL    Azure Resource Manager for the key check and the smoke test (default ${ARM_DEFAULT_ENDPOINT})
  --private-range CIDR  an address range your VNets use for private endpoints besides RFC 1918 / RFC 6598 (repeatable)
  --smoke               also run the checks that write: per account with export on, a tiny $export (its own container,
                        deleted afterwards); with a registry, one $convert-data; with import on, the import mode
  --smoke-timeout-s N   how long one smoke export may run before it is cancelled (default ${DEFAULT_SMOKE_TIMEOUT_S})
  --help                this text

Permissions: FHIR Data Reader on each FHIR service (data-plane checks); Reader on each account's resource groups
(key check: control plane only, never key material). --smoke adds FHIR Data Exporter and FHIR Data Converter on each
FHIR service and Storage Blob Data Contributor on each export storage account (docs/verify.md).

Exit code: 0 all healthy, 1 any account failed, 2 usage or configuration error.`;

/** The integer flags: default and minimum. */
const INT_FLAGS = {
    concurrency: [4, 1],
    timeoutMs: [15_000, 1],
    retries: [DEFAULT_RETRY_POLICY.retries, 0],
    keyLagHours: [DEFAULT_KEY_LAG_HOURS, 1],
    keyExpiryWarnDays: [DEFAULT_KEY_EXPIRY_WARN_DAYS, 0],
    smokeTimeoutS: [DEFAULT_SMOKE_TIMEOUT_S, 1],
} as const;

export type VerifyArgs = Record<keyof typeof INT_FLAGS, number> & {
    stack?: string;
    outputs?: string;
    credential: CredentialKind;
    accounts: string[];
    json?: string;
    armEndpoint: string;
    privateRanges: string[];
    smoke: boolean;
    help: boolean;
};

/** `timeoutMs` → `--timeout-ms` */
const flagOf = (key: string): string => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/**
 * The ARM endpoint gets a bearer token for Azure Resource Manager: https only, except a loopback address (the tests'
 * fake ARM server). Returned without a trailing slash.
 */
function armEndpoint(raw: string | undefined, problems: string[]): string {
    if (raw === undefined) return ARM_DEFAULT_ENDPOINT;
    const u = URL.canParse(raw) ? new URL(raw) : undefined;
    const loopback = u !== undefined && ["127.0.0.1", "localhost", "[::1]"].includes(u.hostname);
    if (!u) problems.push(`--arm-endpoint: not a URL: "${raw}"`);
    else if (u.protocol !== "https:" && !(u.protocol === "http:" && loopback)) {
        problems.push(`--arm-endpoint: must be https (plain http only on loopback, for tests), got "${raw}"`);
    } else if ((u.pathname !== "/" && u.pathname !== "") || u.search || u.hash || u.username || u.password) {
        problems.push(`--arm-endpoint: give only scheme, host and port (like ${ARM_DEFAULT_ENDPOINT}), got "${raw}"`);
    } else return u.origin;
    return ARM_DEFAULT_ENDPOINT;
}

const VERIFY_OPTIONS = {
    stack: { type: "string" },
    outputs: { type: "string" },
    credential: { type: "string" },
    account: { type: "string", multiple: true },
    json: { type: "string" },
    "arm-endpoint": { type: "string" },
    "private-range": { type: "string", multiple: true },
    smoke: { type: "boolean" },
    help: { type: "boolean", short: "h" },
    ...Object.fromEntries(Object.keys(INT_FLAGS).map((key) => [flagOf(key).slice(2), { type: "string" as const }])),
} as const;

export function parseVerifyArgs(argv: string[]): VerifyArgs {
    let values: ReturnType<
        typeof parseArgs<{ args: string[]; options: typeof VERIFY_OPTIONS; strict: true; allowPositionals: false }>
    >["values"];
    try {
        ({ values } = parseArgs({ args: argv, strict: true, allowPositionals: false, options: VERIFY_OPTIONS }));
    } catch (err) {
        throw new VerifyConfigError([(err as Error).message]);
    }
    const problems: string[] = [];
    const help = values.help ?? false;
    const credential = values.credential ?? "default";
    if (!isCredentialKind(credential)) problems.push(`--credential: expected one of ${CREDENTIAL_KINDS.join(", ")}, got "${credential}"`);
    if (!help && !values.stack === !values.outputs) problems.push("give exactly one of --stack NAME or --outputs FILE");
    const ints = Object.entries(INT_FLAGS).map(([key, [fallback, min]]) => {
        const raw = (values as Record<string, unknown>)[flagOf(key).slice(2)] as string | undefined;
        if (raw === undefined) return [key, fallback];
        const n = Number(raw);
        if (Number.isInteger(n) && n >= min) return [key, n];
        problems.push(`${flagOf(key)}: expected an integer >= ${min}, got "${raw}"`);
        return [key, fallback];
    });
    const args: VerifyArgs = {
        ...(Object.fromEntries(ints) as Record<keyof typeof INT_FLAGS, number>),
        credential: isCredentialKind(credential) ? credential : "default",
        accounts: values.account ?? [],
        armEndpoint: armEndpoint(values["arm-endpoint"], problems),
        privateRanges: (values["private-range"] ?? []).filter((cidr) => {
            if (parseCidr(cidr)) return true;
            problems.push(`--private-range: not a CIDR range (like 10.0.0.0/8 or fd00::/8): "${cidr}"`);
            return false;
        }),
        smoke: values.smoke ?? false,
        help,
        stack: values.stack || undefined,
        outputs: values.outputs || undefined,
        json: values.json || undefined,
    };
    if (problems.length && !help) throw new VerifyConfigError(problems);
    return args;
}

/** Where output goes, and the seams tests and the demo use. */
export interface VerifyIo {
    stdout: (line: string) => void;
    stderr: (line: string) => void;
    /** Builds the credential (default: @azure/identity, per --credential). */
    credentialFactory?: (kind: CredentialKind) => TokenCredential;
    /** Reads stack outputs for --stack (default: the pulumi CLI). */
    stackOutputs?: (stack: string) => Promise<unknown>;
    /** Retry backoff base and cap (the count comes from --retries). */
    backoff?: Omit<RetryPolicy, "retries">;
    clock?: Clock;
    /** Each account's result as it completes (completion order). */
    onAccountDone?: (result: AccountResult) => void;
    /** How host names resolve (default: the system resolver, what fetch uses). */
    resolveHost?: Resolver;
    /** Between smoke export polls without Retry-After (default DEFAULT_SMOKE_POLL_MS). */
    smokePollMs?: number;
}

/** A configuration error's problems, one per line. */
function problemLines(err: unknown): string {
    return (err instanceof VerifyConfigError ? err.problems : [(err as Error).message]).map((p) => `\n  - ${p}`).join("");
}

/** Runs the whole command; returns the exit code. Never throws. */
export async function runVerify(argv: string[], io: VerifyIo): Promise<number> {
    const startedAt = new Date();
    let args: VerifyArgs;
    try {
        args = parseVerifyArgs(argv);
    } catch (err) {
        io.stderr(redact(`verify: ${problemLines(err)}\n\n${USAGE}`));
        return EXIT.usage;
    }
    if (args.help) {
        io.stdout(USAGE);
        return EXIT.healthy;
    }
    let targets: AccountTarget[];
    try {
        const outputs = args.outputs ? readOutputsFile(args.outputs) : await (io.stackOutputs ?? readStackOutputs)(args.stack as string);
        targets = parseTargets(outputs, args.accounts);
    } catch (err) {
        io.stderr(redact(`verify: cannot read the stack outputs:${problemLines(err)}\n(npm run verify -- --help for usage)`));
        return EXIT.usage;
    }

    let credential: TokenCredential;
    try {
        credential = (io.credentialFactory ?? ((k: CredentialKind) => createCredential(k)))(args.credential);
    } catch (err) {
        io.stderr(redact(`verify: cannot create the ${args.credential} credential: ${(err as Error).message}`));
        return EXIT.usage;
    }

    const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...io.backoff, retries: args.retries };
    io.stderr(
        `verify: checking ${targets.length} account(s) with credential ${args.credential}, ${args.concurrency} at a time; ` +
            `key versions through ${args.armEndpoint} (lag allowed ${args.keyLagHours} h, expiry warning ${args.keyExpiryWarnDays} d)` +
            (args.smoke ? `; --smoke: it writes (export, $convert-data), each export bounded by ${args.smokeTimeoutS} s` : ""),
    );
    const dns = {
        resolve: io.resolveHost ?? systemResolver,
        ranges: privateRanges(args.privateRanges),
        declaredRanges: args.privateRanges,
    };
    const results = await runPool(
        targets,
        args.concurrency,
        async (t): Promise<AccountResult> => {
            try {
                return await checkAccount(t, {
                    credential,
                    credentialKind: args.credential,
                    timeoutMs: args.timeoutMs,
                    policy,
                    clock: io.clock,
                    onRetry: (r) => io.stderr(`  ${r.account}: ${r.check} got ${r.status}, retry ${r.retry} in ${r.delayMs} ms`),
                    key: { armEndpoint: args.armEndpoint, lagHours: args.keyLagHours, expiryWarnDays: args.keyExpiryWarnDays },
                    dns,
                    smoke: args.smoke
                        ? {
                              armEndpoint: args.armEndpoint,
                              exportTimeoutMs: args.smokeTimeoutS * 1000,
                              pollIntervalMs: io.smokePollMs ?? DEFAULT_SMOKE_POLL_MS,
                          }
                        : undefined,
                });
            } catch (err) {
                // A bug, not a service problem: report it against the account rather than stop the others.
                const d = internalError("internal error", err);
                return { account: t.account, fhirUrl: t.fhirUrl, healthy: false, checks: [], diagnoses: [d], durationMs: 0 };
            }
        },
        (r) => {
            io.stderr(redact(`  ${r.account}: ${r.healthy ? "healthy" : (r.diagnoses[0]?.summary ?? "failed")}`));
            io.onAccountDone?.(r);
        },
    );

    const report = buildReport(results, {
        stack: args.stack,
        credential: args.credential,
        startedAt,
        durationMs: Date.now() - startedAt.getTime(),
    });
    io.stdout(renderTable(results));
    io.stdout(`\n${renderKeys(results)}`);
    if (args.smoke) io.stdout(`\n${renderSmoke(results)}`);
    const diagnoses = renderDiagnoses(results);
    if (diagnoses) io.stdout(diagnoses);
    io.stdout(`\n${renderSummary(report)}`);
    if (args.json) {
        try {
            fs.writeFileSync(args.json, `${JSON.stringify(report, null, 2)}\n`);
        } catch (err) {
            io.stderr(redact(`verify: cannot write --json ${args.json}: ${(err as Error).message}`));
            return EXIT.usage;
        }
    }
    return report.healthy ? EXIT.healthy : EXIT.failed;
}
