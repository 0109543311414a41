/**
 * What `verify` checks: the per-account stack outputs (program/platformArgs.ts `FhirAccountOutputs`), read from
 * `pulumi stack output --json` or from a JSON file of the same shape, validated field by field.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import { promisify } from "node:util";

/** Optional string outputs (absent in outputs of stacks deployed before they existed). */
const OPTIONAL_STRINGS = [
    "subscriptionId",
    "resourceGroupName",
    "workspaceResourceGroupName",
    "workspaceName",
    /** The workspace group: names the workspace's private endpoint (`pe-ahds-<group>`). */
    "workspaceGroup",
    "fhirServiceName",
    "identityPrincipalId",
    "identityResourceId",
    "keyUri",
    "keyVaultUri",
    "keyVaultId",
    /** "Enabled", or "Disabled" (private endpoint only): tells what a network failure means. */
    "publicNetworkAccess",
    /** ARM ID of the FHIR service: the key check reads the key URL the service really uses. */
    "fhirServiceId",
    /** ARM ID of the CMK key (`…/vaults/<vault>/keys/<key>`): the key check lists its versions. */
    "keyId",
    /** "trustedServices" (firewall deny + trusted Microsoft services bypass) or "allNetworks". */
    "keyVaultNetwork",
    /** Name of the account's export storage account (absent when export and import are off). */
    "exportStorageAccount",
] as const;

/**
 * Lists of strings, absent (older stacks) read as empty: authorities of the SMART identity providers, login servers in
 * the FHIR service's acrConfiguration, and its OCI artifacts (`<loginServer>/<imageName>` plus `@<digest>` when pinned).
 */
const OPTIONAL_STRING_LISTS = ["smartIdentityProviders", "acrLoginServers", "acrTemplateImages"] as const;

/** The fields of one account's stack outputs that verification reads. */
export type AccountTarget = Partial<Record<(typeof OPTIONAL_STRINGS)[number], string>> &
    Record<(typeof OPTIONAL_STRING_LISTS)[number], string[]> & {
        account: string;
        fhirUrl: string;
        audience: string;
        authority: string;
        exportEnabled: boolean;
        /** Only in outputs of stacks deployed before the SMART on FHIR proxy's retirement; absent means false. */
        smartProxyEnabled?: boolean;
        /** `$import` on (absent in outputs of stacks deployed before this output existed: treated as off). */
        importEnabled?: boolean;
        /** Days between the new key versions Key Vault's rotation policy creates. */
        keyRotationDays?: number;
    };

/** A problem with the inputs (flags, stack outputs): exit code 2, not an account failure. */
export class VerifyConfigError extends Error {
    constructor(readonly problems: string[]) {
        super(problems.join("\n"));
        this.name = "VerifyConfigError";
    }
}

const REQUIRED_STRINGS = ["fhirUrl", "audience", "authority"] as const;

/** ARM IDs the key check builds requests from: anything else is a configuration problem, not an account failure. */
const ARM_ID_SHAPES = {
    fhirServiceId: {
        pattern:
            /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.HealthcareApis\/workspaces\/[^/]+\/fhirservices\/[^/]+$/i,
        shape: "/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.HealthcareApis/workspaces/<ws>/fhirservices/<name>",
    },
    keyId: {
        pattern: /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.KeyVault\/vaults\/[^/]+\/keys\/[^/]+$/i,
        shape: "/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.KeyVault/vaults/<vault>/keys/<key>",
    },
} as const;

function isRecord(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** `pulumi stack output --show-secrets=false` prints secret outputs as this string. */
const SECRET_PLACEHOLDER = "[secret]";

/**
 * Reads `{ accounts: { name: FhirAccountOutputs } }` (or the `accounts` map itself). Lists every problem at once,
 * naming the account and field.
 */
export function parseTargets(stackOutputs: unknown, only: string[] = []): AccountTarget[] {
    const problems: string[] = [];
    const root = isRecord(stackOutputs) && isRecord(stackOutputs.accounts) ? stackOutputs.accounts : undefined;
    if (!root) throw new VerifyConfigError(["stack outputs have no `accounts` map (is this the fhir-platform stack?)"]);
    const targets: AccountTarget[] = [];
    for (const [account, raw] of Object.entries(root)) {
        if (!isRecord(raw)) {
            problems.push(`accounts.${account}: expected an object`);
            continue;
        }
        const str = (field: string): string | undefined => {
            const v = raw[field];
            if (v === undefined || v === null) return undefined;
            if (typeof v !== "string" || v === SECRET_PLACEHOLDER) {
                problems.push(
                    `accounts.${account}.${field}: expected a plain string, got ${v === SECRET_PLACEHOLDER ? "a secret" : typeof v}`,
                );
                return undefined;
            }
            return v;
        };
        const target: Partial<AccountTarget> & { account: string } = { account };
        for (const field of REQUIRED_STRINGS) {
            const v = str(field);
            if (v === undefined) {
                if (raw[field] === undefined) problems.push(`accounts.${account}.${field}: missing`);
                continue;
            }
            if (!/^https?:\/\//.test(v)) problems.push(`accounts.${account}.${field}: not an http(s) URL: ${v}`);
            target[field] = v;
        }
        for (const field of OPTIONAL_STRINGS) {
            const v = str(field);
            if (v !== undefined) target[field] = v;
        }
        for (const field of ["fhirServiceId", "keyId"] as const) {
            const v = target[field];
            if (v !== undefined && !ARM_ID_SHAPES[field].pattern.test(v)) {
                problems.push(`accounts.${account}.${field}: not an ARM ID of the form ${ARM_ID_SHAPES[field].shape}: ${v}`);
            }
        }
        const rotation = raw.keyRotationDays;
        if (rotation !== undefined && rotation !== null) {
            if (typeof rotation !== "number" || !Number.isInteger(rotation) || rotation < 1) {
                problems.push(`accounts.${account}.keyRotationDays: expected a whole number of days >= 1, got ${JSON.stringify(rotation)}`);
            } else target.keyRotationDays = rotation;
        }
        const exportEnabled = raw.exportEnabled;
        if (typeof exportEnabled !== "boolean") problems.push(`accounts.${account}.exportEnabled: expected true or false`);
        else target.exportEnabled = exportEnabled;
        // Optional booleans: smartProxyEnabled only in outputs of stacks deployed before the proxy's retirement,
        // importEnabled only in outputs of stacks deployed since it exists.
        for (const field of ["smartProxyEnabled", "importEnabled"] as const) {
            const v = raw[field];
            if (v === undefined || v === null) continue;
            if (typeof v !== "boolean") problems.push(`accounts.${account}.${field}: expected true or false`);
            else target[field] = v;
        }
        for (const field of OPTIONAL_STRING_LISTS) {
            const v = raw[field];
            if (v === undefined || v === null) target[field] = [];
            else if (!Array.isArray(v) || !v.every((x) => typeof x === "string" && x !== SECRET_PLACEHOLDER)) {
                problems.push(`accounts.${account}.${field}: expected a list of plain strings`);
            } else target[field] = v as string[];
        }
        targets.push(target as AccountTarget);
    }
    const unknown = only.filter((name) => !(name in root));
    if (unknown.length)
        problems.push(
            `--account: no such account in the stack outputs: ${unknown.join(", ")} (have: ${Object.keys(root).join(", ") || "none"})`,
        );
    if (problems.length) throw new VerifyConfigError(problems);
    const selected = only.length ? targets.filter((t) => only.includes(t.account)) : targets;
    if (!selected.length) throw new VerifyConfigError(["the stack outputs list no accounts"]);
    return selected;
}

/** Reads a JSON file of stack outputs. */
export function readOutputsFile(file: string): unknown {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (err) {
        throw new VerifyConfigError([`--outputs ${file}: ${(err as Error).message}`]);
    }
    try {
        return JSON.parse(text);
    } catch (err) {
        throw new VerifyConfigError([`--outputs ${file}: not JSON (${(err as Error).message})`]);
    }
}

/** Runs `pulumi stack output --json --show-secrets=false --stack <stack>` and parses its JSON. */
export async function readStackOutputs(stack: string, pulumiBin = "pulumi", cwd?: string): Promise<unknown> {
    const args = ["stack", "output", "--json", "--show-secrets=false", "--stack", stack];
    const command = `\`${pulumiBin} ${args.join(" ")}\``;
    let stdout: string;
    try {
        ({ stdout } = await promisify(execFile)(pulumiBin, args, { cwd, maxBuffer: 64 * 1024 * 1024, timeout: 120_000 }));
    } catch (err) {
        const e = err as NodeJS.ErrnoException & { stderr?: string };
        const detail = String(e.stderr || e.message)
            .trim()
            .split("\n")
            .slice(-3)
            .join(" ");
        const hint = e.code === "ENOENT" ? " (is the Pulumi CLI installed and on PATH? or pass --outputs FILE)" : "";
        throw new VerifyConfigError([`${command} failed: ${detail}${hint}`]);
    }
    try {
        return JSON.parse(stdout);
    } catch (err) {
        throw new VerifyConfigError([`${command} printed no JSON: ${(err as Error).message}`]);
    }
}

/** The tenant ID at the end of an authority URL (`https://login.microsoftonline.com/<tenant>`). */
export function tenantOf(authority: string): string | undefined {
    const m = /^https?:\/\/[^/]+\/([^/?#]+)/.exec(authority);
    return m ? m[1] : undefined;
}
