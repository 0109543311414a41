/**
 * The key check: did key rotation really reach the FHIR service? Through Azure Resource Manager (control plane, Reader
 * is enough, the vault firewall does not apply) it reads the key URL the service uses and the key's versions: which
 * version the service uses, whether it is the latest enabled one, its age and expiry.
 *
 * The design it checks (README, components/customerManagedKey.ts): the service gets a *versioned* key URI, Key Vault's
 * rotation policy adds a version every keyRotationDays with no expiry, a scheduled `pulumi up --refresh` moves each
 * service to the newest one. An expired version still unwraps but no longer wraps; a FHIR service that cannot use
 * its key answers 500.
 */
import type { TokenCredential } from "@azure/identity";
import {
    armResourceFor,
    getFhirService,
    getIdentityPrincipal,
    listKeyVersions,
    READER_ROLE,
    resourceGroupScope,
    type ArmFailure,
    type ArmFhirService,
    type ArmOptions,
    type KeyVersion,
} from "./arm";
import { keyVaultAuditQuery } from "./auditQueries";
import type { CheckResult } from "./check";
import { getTokenWithin, sendsTenant, type CredentialKind } from "./credential";
import { bodyExcerpt, callerClaims, diagnoseToken, type Diagnosis } from "./diagnose";
import { realClock, type HttpSettings } from "./http";
import { redact } from "./redact";
import { tenantOf, type AccountTarget } from "./targets";

export const DEFAULT_KEY_LAG_HOURS = 48;
export const DEFAULT_KEY_EXPIRY_WARN_DAYS = 30;

const CMK_DOCS = "https://learn.microsoft.com/azure/healthcare-apis/fhir/configure-customer-managed-keys";
const ROTATION_DOCS = "https://learn.microsoft.com/azure/key-vault/keys/how-to-configure-key-rotation";

/** What is wrong with an account's key, as codes a report reader (or the 500 diagnosis) can act on. */
export type KeyProblem =
    | "no-cmk"
    | "not-a-key-url"
    | "other-key"
    | "versionless"
    | "unknown-version"
    | "deleted"
    | "disabled"
    | "expired"
    | "expiring"
    | "lagging";

/** Per account, in the JSON report and the key section of the text report. */
export interface KeyStatus {
    /** The key URL the FHIR service uses, as ARM reports it; the stack's vault and key (from the keyId output). */
    keyUrl?: string;
    vaultName: string;
    keyName: string;
    /** The version the service uses (absent for a versionless URL), and whether it is the latest enabled one. */
    version?: string;
    latestEnabledVersion?: string;
    isLatest?: boolean;
    enabled?: boolean;
    createdAt?: string;
    ageHours?: number;
    expiresAt?: string;
    /** Negative once expired. */
    expiresInHours?: number;
    /** The first enabled version newer than the one in use, and when it was created. */
    newerVersion?: string;
    newerSince?: string;
    versionCount?: number;
    rotationDays?: number;
    problems: KeyProblem[];
    /** Things worth knowing that are not failures (a rotation within its window, a rotation policy that seems idle). */
    notes: string[];
}

/** `https://<vault>.vault.azure.net[:443]/keys/<name>[/<version>]` (the port ARM adds is dropped). */
export function parseKeyUrl(url: string): { vaultHost: string; vaultName: string; keyName: string; version?: string } | undefined {
    const u = URL.canParse(url) ? new URL(url) : undefined;
    const m = u && /^\/keys\/([^/]+)(?:\/([^/]+))?\/?$/.exec(u.pathname);
    if (!u || !m) return undefined;
    const vaultHost = u.hostname.toLowerCase();
    return { vaultHost, vaultName: vaultHost.split(".")[0] as string, keyName: m[1] as string, ...(m[2] ? { version: m[2] } : {}) };
}

/** Vault and key names from the keyId output (`…/vaults/<vault>/keys/<key>`). */
export function parseKeyId(keyId: string): { vaultName: string; keyName: string } | undefined {
    const m = /\/providers\/Microsoft\.KeyVault\/vaults\/([^/]+)\/keys\/([^/]+)$/i.exec(keyId);
    return m ? { vaultName: m[1] as string, keyName: m[2] as string } : undefined;
}

/** "5 h", "3 d": hours under two days, days above (rounded: a version due in 9.99 days is due in 10). */
export function formatHours(hours: number): string {
    const h = Math.round(Math.abs(hours));
    return h < 48 ? `${h} h` : `${Math.round(Math.abs(hours) / 24)} d`;
}

function isoOf(epochSeconds: number): string {
    return new Date(epochSeconds * 1000).toISOString();
}

function dateOf(epochSeconds: number): string {
    return `${isoOf(epochSeconds).slice(0, 16).replace("T", " ")} UTC`;
}

/** ARM writes keyUriWithVersion with `:443`; the FHIR service and az take it without. */
function withoutDefaultPort(url: string): string {
    return URL.canParse(url) ? new URL(url).href : url;
}

function short(version: string): string {
    return version.length > 8 ? `${version.slice(0, 8)}…` : version;
}

export interface KeyAssessmentInput {
    target: AccountTarget;
    /** The key URL the service uses (undefined: the service has no CMK). */
    keyUrl: string | undefined;
    /** The key's versions (undefined when ARM could not list them). */
    versions: KeyVersion[] | undefined;
    nowMs: number;
    lagHours: number;
    expiryWarnDays: number;
}

/** Pure: the status and the diagnoses of one account's key, from what ARM said. */
export function assessKey(input: KeyAssessmentInput): { status: KeyStatus; diagnoses: Diagnosis[] } {
    const { target: t, keyUrl, versions, nowMs, lagHours, expiryWarnDays } = input;
    const stackKey = (t.keyId ? parseKeyId(t.keyId) : undefined) ?? { vaultName: "?", keyName: "?" };
    const status: KeyStatus = {
        vaultName: stackKey.vaultName,
        keyName: stackKey.keyName,
        ...(keyUrl ? { keyUrl } : {}),
        ...(t.keyRotationDays !== undefined ? { rotationDays: t.keyRotationDays } : {}),
        ...(versions ? { versionCount: versions.length } : {}),
        problems: [],
        notes: [],
    };
    const diagnoses: Diagnosis[] = [];
    const add = (problem: KeyProblem, d: Omit<Diagnosis, "code">): void => {
        status.problems.push(problem);
        diagnoses.push({ code: `key-${problem}`, ...d });
    };
    const stackName = `${stackKey.vaultName}/${stackKey.keyName}`;
    const refreshUpOnly = "`pulumi up --refresh` for this stack";
    const refreshUp = `${refreshUpOnly} (or run the scheduled workflow .github/workflows/key-rotation.yml)`;

    // The newest enabled version, whatever the service uses (for the report, and for every remedy that moves it).
    const enabled = (versions ?? [])
        .filter((v) => v.enabled && v.created !== undefined)
        .sort((a, b) => (a.created as number) - (b.created as number));
    const latest = enabled.at(-1);
    if (latest) status.latestEnabledVersion = latest.version;
    if (latest?.created !== undefined && t.keyRotationDays !== undefined) {
        const latestAgeHours = (nowMs / 1000 - latest.created) / 3600;
        if (latestAgeHours > t.keyRotationDays * 24 + lagHours) {
            status.notes.push(
                `the newest enabled version is ${formatHours(latestAgeHours)} old although the stack rotates every ` +
                    `${t.keyRotationDays} d: is the key's rotation policy in place? (\`az keyvault key rotation-policy show --vault-name ` +
                    `${stackKey.vaultName} --name ${stackKey.keyName}\`, ${ROTATION_DOCS})`,
            );
        }
    }

    if (!keyUrl) {
        add("no-cmk", {
            summary: "key: the FHIR service has no customer-managed key (encryption.customerManagedKeyEncryption is empty)",
            facts: [`the stack expects a key of ${stackName}`],
            remedies: [
                `run \`pulumi up\`: the program gives the service the versioned URI of its key (CMK can be added to an existing ` +
                    `service, ${CMK_DOCS})`,
            ],
        });
        return { status, diagnoses };
    }
    const used = parseKeyUrl(keyUrl);
    if (!used) {
        add("not-a-key-url", {
            summary: `key: the FHIR service's key URL is not a Key Vault key URL: ${keyUrl}`,
            facts: [`the stack expects a key of ${stackName}`],
            remedies: [`\`pulumi refresh && pulumi up\` gives the service the stack's versioned key URI`],
        });
        return { status, diagnoses };
    }
    if (used.vaultName !== stackKey.vaultName.toLowerCase() || used.keyName.toLowerCase() !== stackKey.keyName.toLowerCase()) {
        add("other-key", {
            summary: `key: the FHIR service uses ${used.vaultName}/${used.keyName}, not the stack's key ${stackName}`,
            facts: [`the service's key URL: ${keyUrl}`, `the stack's key: ${t.keyId ?? "?"}`],
            remedies: [
                `the service's encryption was changed outside Pulumi, or the stack moved to a new key and \`pulumi up\` has not run ` +
                    `since: ${refreshUp} puts the stack's key on the service`,
                `keep ${used.vaultName}/${used.keyName} enabled until the service has moved off it: data is wrapped with it until then`,
            ],
        });
        return { status, diagnoses };
    }
    if (!used.version) {
        add("versionless", {
            summary: `key: the FHIR service has a versionless key URL ${keyUrl}`,
            facts: [
                "Microsoft documents only versioned key URIs for FHIR CMK and says its keys are rotated manually; no Health Data " +
                    "Services page says the service follows a versionless URI to new versions",
                ...(latest ? [`the newest enabled version is ${latest.version}`] : []),
            ],
            remedies: [`${refreshUp}: the program gives the service the versioned URI of the newest version (${CMK_DOCS})`],
        });
        return { status, diagnoses };
    }
    status.version = used.version;
    if (!versions) return { status, diagnoses }; // the listing failed: its own diagnosis says why

    const inUse = versions.find((v) => v.version.toLowerCase() === used.version?.toLowerCase());
    if (!inUse) {
        add("unknown-version", {
            summary:
                `key: the version the FHIR service uses (${short(used.version)}) is not among the ${versions.length} version(s) ` +
                `of ${stackName}`,
            facts: [`the service's key URL: ${keyUrl}`, ...(latest ? [`the newest enabled version is ${latest.version}`] : [])],
            remedies: [
                "a FHIR service that cannot use its key answers 500: find out where that version went in the vault's AuditEvent " +
                    `logs (Log Analytics; the stack sends them to AzureDiagnostics): ${keyVaultAuditQuery(stackKey.vaultName, stackKey.keyName)}`,
                `${refreshUp} moves the service to the newest version`,
            ],
        });
        return { status, diagnoses };
    }
    status.enabled = inUse.enabled;
    status.isLatest = latest?.version === inUse.version;
    const uri = inUse.keyUriWithVersion ? withoutDefaultPort(inUse.keyUriWithVersion) : keyUrl;
    if (inUse.created !== undefined) {
        status.createdAt = isoOf(inUse.created);
        status.ageHours = Math.round((nowMs / 1000 - inUse.created) / 3600);
    }
    if (inUse.expires !== undefined) {
        status.expiresAt = isoOf(inUse.expires);
        status.expiresInHours = Math.round((inUse.expires - nowMs / 1000) / 3600);
    }
    const moveToNewer = `or move the service to a newer version: ${
        latest && latest.version !== inUse.version
            ? `${latest.version} exists, so`
            : `\`az keyvault key rotate --vault-name ${stackKey.vaultName} --name ${stackKey.keyName}\`, then`
    } ${refreshUp}; keep this version enabled`;
    const keepEnabled =
        `never disable a version a FHIR service or storage account still uses: disable an old version only once ` +
        `verify shows every service on a newer one (storage picks up new versions within a day)`;

    if (!inUse.enabled) {
        add("disabled", {
            summary:
                `key: the version the FHIR service uses (${short(inUse.version)}) is disabled: the service cannot use its key ` +
                `and answers 500`,
            facts: [`version in use: ${uri}`, ...(inUse.updated !== undefined ? [`last changed ${dateOf(inUse.updated)}`] : [])],
            remedies: [
                `re-enable it now: \`az keyvault key set-attributes --id ${uri} --enabled true\` (a Key Vault data-plane call: needs ` +
                    `Key Vault Crypto Officer on the vault and a network its firewall lets through)`,
                keepEnabled,
            ],
        });
    }
    const nowS = nowMs / 1000;
    if (inUse.expires !== undefined && inUse.expires <= nowS) {
        add("expired", {
            summary:
                `key: the version the FHIR service uses (${short(inUse.version)}) expired ${dateOf(inUse.expires)}: Key Vault ` +
                `still unwraps with it but no longer wraps`,
            facts: [
                `version in use: ${uri}`,
                "an expired version can still decrypt (unwrap) what it protected, but nothing new can be wrapped with it: the service " +
                    "cannot protect new data keys",
            ],
            remedies: [
                `extend it: \`az keyvault key set-attributes --id ${uri} --expires <later date>\` (the rotation policy gives new ` +
                    `versions no expiry)`,
                moveToNewer,
            ],
        });
    } else if (inUse.expires !== undefined && inUse.expires - nowS <= expiryWarnDays * 86_400) {
        add("expiring", {
            summary:
                `key: the version the FHIR service uses (${short(inUse.version)}) expires in ` +
                `${formatHours((inUse.expires - nowS) / 3600)} (${dateOf(inUse.expires)})`,
            facts: [
                `version in use: ${uri}`,
                `warning threshold: --key-expiry-warn-days ${expiryWarnDays}`,
                "once expired, Key Vault still unwraps with it but no longer wraps: the service cannot protect new data keys",
            ],
            remedies: [
                `extend it before then: \`az keyvault key set-attributes --id ${uri} --expires <later date>\` (the rotation policy ` +
                    `gives new versions no expiry, so this one was set by hand or by an older policy)`,
                moveToNewer,
            ],
        });
    }

    // Rotation: enabled versions newer than the one in use. The first of them is how long the service has lagged.
    const newer = inUse.created === undefined ? [] : enabled.filter((v) => (v.created as number) > (inUse.created as number));
    const firstNewer = newer[0];
    if (firstNewer?.created !== undefined) {
        const lag = (nowS - firstNewer.created) / 3600;
        status.newerVersion = firstNewer.version;
        status.newerSince = isoOf(firstNewer.created);
        if (lag > lagHours) {
            add("lagging", {
                summary:
                    `key: rotation has not reached the service: it uses ${short(inUse.version)} although ` +
                    `${short(firstNewer.version)} has been enabled for ${formatHours(lag)}`,
                facts: [
                    `version in use: ${uri}${inUse.created !== undefined ? ` (created ${dateOf(inUse.created)})` : ""}`,
                    `newer enabled version${newer.length > 1 ? `s: ${newer.length}, the first` : ""}: ${firstNewer.version} (created ` +
                        `${dateOf(firstNewer.created)})`,
                    `allowed lag: --key-lag-hours ${lagHours} (the daily workflow's window plus a margin)`,
                ],
                remedies: [
                    `run the workflow .github/workflows/key-rotation.yml, or ${refreshUpOnly}: the refresh reads the new version, the ` +
                        `update moves the service to it in place (encryption.customerManagedKeyEncryption.keyEncryptionKeyUrl)`,
                    "if the scheduled workflow should have done this: look at its recent runs (failed, disabled, or not covering this " +
                        "stack)",
                    `keep ${short(inUse.version)} enabled: ${keepEnabled}`,
                ],
            });
        } else {
            status.notes.push(
                `newer version ${firstNewer.version} was created ${formatHours(lag)} ago: within --key-lag-hours ${lagHours}, the ` +
                    `scheduled \`pulumi refresh && pulumi up\` moves the service to it`,
            );
        }
    }
    const disabledOld = versions.filter((v) => !v.enabled && v.version !== inUse.version).length;
    if (disabledOld)
        status.notes.push(`${disabledOld} other version(s) disabled: fine only if nothing (FHIR service, export storage) still uses them`);
    return { status, diagnoses };
}

/** What a token for Azure Resource Manager and the calls with it need. */
export interface ArmSessionOptions extends HttpSettings {
    credential: TokenCredential;
    credentialKind: CredentialKind;
    armEndpoint: string;
}

export interface KeyCheckOptions extends ArmSessionOptions {
    lagHours: number;
    expiryWarnDays: number;
}

export interface KeyCheckOutcome {
    check: CheckResult;
    diagnoses: Diagnosis[];
    status?: KeyStatus;
    /** Who the FHIR service reaches its key as, as ARM says now (for the 500 diagnosis). */
    identity?: IdentityFacts;
}

/**
 * The account's user-assigned identity as ARM sees it, against the stack outputs. The CMK page: "If you change the
 * managed identity in any way… the FHIR service isn't able to access your keys until you update the service
 * manually": a re-created identity (same resource ID, new principal) breaks the service until it is updated.
 */
export interface IdentityFacts {
    identityResourceId: string;
    /** The identity type the FHIR service has (ARM `identity.type`). */
    serviceIdentityType?: string;
    /** Whether the service's `identity.userAssignedIdentities` lists the account's identity. */
    serviceHasIdentity: boolean;
    /** The principal the FHIR service recorded for it. */
    servicePrincipalId?: string;
    /** The identity resource's principal now (absent when it could not be read). */
    identityPrincipalId?: string;
}

/** Pure: the identity facts from the service as ARM reports it and the identity resource's principal now. */
function identityFacts(t: AccountTarget, service: ArmFhirService, identityPrincipalId: string | undefined): IdentityFacts | undefined {
    if (!t.identityResourceId) return undefined;
    const recorded = service.identity?.userAssigned[t.identityResourceId.toLowerCase()];
    return {
        identityResourceId: t.identityResourceId,
        serviceIdentityType: service.identity?.type,
        serviceHasIdentity: recorded !== undefined,
        servicePrincipalId: recorded?.principalId,
        identityPrincipalId,
    };
}

/** Reader scopes for the key check: the resource groups of the FHIR service and of the key (once each). */
function readerScopes(t: AccountTarget): string[] {
    const scopes = [t.fhirServiceId, t.keyId].flatMap((id) => (id && resourceGroupScope(id)) || []);
    return scopes.filter((s, i) => scopes.findIndex((x) => x.toLowerCase() === s.toLowerCase()) === i);
}

function errorCodeOf(body: string): string | undefined {
    try {
        const j = JSON.parse(body) as { error?: { code?: unknown } };
        return typeof j.error?.code === "string" ? j.error.code : undefined;
    } catch {
        return undefined;
    }
}

/** A failed ARM read becomes a key-check diagnosis. */
export function diagnoseArmFailure(
    t: AccountTarget,
    f: ArmFailure,
    callerOid: string | undefined,
    armEndpoint: string,
    isKeyList: boolean,
): Diagnosis {
    const diagnosis = (code: Diagnosis["code"], summary: string, facts: string[], ...remedies: string[]): Diagnosis => ({
        code,
        summary: `key: ${f.what}: ${summary}`,
        facts,
        remedies,
    });
    if (f.kind === "malformed") {
        return diagnosis(
            "arm-error",
            `unexpected answer from Azure Resource Manager: ${f.reason}`,
            [],
            "check --arm-endpoint, and any proxy between you and Azure Resource Manager",
        );
    }
    const o = f.outcome;
    if (o.kind === "network") {
        const host = new URL(armEndpoint).host;
        return diagnosis(
            "arm-error",
            `cannot reach Azure Resource Manager (${host}): ${o.error}`,
            [redact(`${o.message}${o.code ? ` (${o.code})` : ""}`)],
            `the key check needs outbound HTTPS to ${host}; it is the control plane, so neither the workspace's private endpoint ` +
                `nor the vault firewall is involved`,
            "a proxy or firewall on this network blocks it, or --arm-endpoint is wrong (another cloud has another endpoint)",
        );
    }
    const excerpt = bodyExcerpt(o.body);
    const code = errorCodeOf(o.body);
    const facts = [
        `${o.status}${code ? ` ${code}` : ""} after ${o.attempts} attempt(s)`,
        ...(excerpt ? [`Azure Resource Manager said: ${excerpt}`] : []),
    ];
    const key = t.keyId ? parseKeyId(t.keyId) : undefined;
    const tenant = tenantOf(t.authority);
    const scopes = readerScopes(t);
    switch (o.status) {
        case 403:
            return diagnosis(
                "arm-forbidden",
                `403 Forbidden: the verifying identity needs ${READER_ROLE.name} on the account's resource group`,
                [`caller object id ${callerOid ?? "(unknown)"}`, ...facts],
                ...(scopes.length ? scopes : ["<the account's resource group id>"]).map(
                    (scope) =>
                        `grant ${READER_ROLE.name} (${READER_ROLE.id}): \`az role assignment create --assignee-object-id ` +
                        `${callerOid ?? "<your object id>"} --role ${READER_ROLE.name} --scope ${scope}\``,
                ),
                "the key check reads only control-plane metadata (the service's key URL, the key's versions and their dates), never " +
                    "key material; role assignments take a few minutes to apply",
            );
        case 401:
            return diagnosis(
                "arm-unauthorized",
                "401 Unauthorized: Azure Resource Manager rejected the token",
                facts,
                `the key check needs a token for ${armResourceFor(armEndpoint)} from the subscription's tenant ${tenant ?? "?"} ` +
                    `(Azure CLI: \`az login --tenant ${tenant ?? "<tenant>"}\`)`,
            );
        case 404:
            if (isKeyList && key) {
                return diagnosis(
                    "key-deleted",
                    `404: the vault ${key.vaultName} has no key ${key.keyName} (deleted?)`,
                    facts,
                    "a FHIR service whose key is deleted answers 500; with soft delete and purge protection the key can be recovered:",
                    `  \`az keyvault key list-deleted --vault-name ${key.vaultName}\` then \`az keyvault key recover --vault-name ` +
                        `${key.vaultName} --name ${key.keyName}\` (a deleted vault: \`az keyvault recover --name ${key.vaultName}\`)`,
                    "if the keyId output is stale, `pulumi refresh` and `pulumi stack output` give the current one",
                );
            }
            return diagnosis(
                "arm-not-found",
                "404: Azure Resource Manager knows no such resource",
                facts,
                "the stack outputs are stale (run `pulumi refresh` and verify again), the resource was deleted, or this identity sees " +
                    "another subscription or tenant",
            );
        case 429:
        case 503:
            return diagnosis(
                "arm-error",
                `still ${o.status} after ${o.attempts} attempts`,
                facts,
                "Azure Resource Manager is throttling or unavailable: run again later, or with more --retries",
            );
        default:
            return diagnosis(
                "arm-error",
                `unexpected ${o.status} from Azure Resource Manager`,
                facts,
                "see Azure Resource Manager's answer above",
            );
    }
}

/** One line for the key section of the report. */
export function describeKey(s: KeyStatus): string {
    if (!s.keyUrl) return "no customer-managed key on the service";
    if (!s.version) return `${s.keyUrl} (no version)`;
    const parts = [`${s.keyName}/${s.version}`];
    if (s.enabled === false) parts.push("DISABLED");
    else if (s.isLatest === true) parts.push("latest enabled version");
    else if (s.isLatest === false)
        parts.push(
            s.newerVersion
                ? `NOT latest: ${short(s.newerVersion)} exists since ${s.newerSince?.slice(0, 10)}`
                : "NOT the latest enabled version",
        );
    if (s.ageHours !== undefined) parts.push(`${formatHours(s.ageHours)} old`);
    if (s.expiresInHours !== undefined)
        parts.push(
            s.expiresInHours < 0
                ? `EXPIRED ${s.expiresAt?.slice(0, 10)}`
                : `expires ${s.expiresAt?.slice(0, 10)} (in ${formatHours(s.expiresInHours)})`,
        );
    else if (s.enabled !== undefined) parts.push("no expiry");
    return parts.join(", ");
}

/**
 * ARM options with a token for Azure Resource Manager (another cloud's audience with --arm-endpoint) from the account's
 * tenant, and who the token is for; or the token diagnosis. Shared by the key check and the smoke test.
 */
export async function armSession(
    t: AccountTarget,
    opts: ArmSessionOptions,
): Promise<{ arm: ArmOptions; callerOid: string | undefined } | { diagnosis: Diagnosis }> {
    const audience = armResourceFor(opts.armEndpoint);
    try {
        const tenant = sendsTenant(opts.credentialKind) ? tenantOf(t.authority) : undefined;
        const { token } = await getTokenWithin(opts.credential, `${audience}/.default`, opts.timeoutMs, tenant);
        const { timeoutMs, policy, clock, onRetry } = opts;
        return { arm: { endpoint: opts.armEndpoint, token, timeoutMs, policy, clock, onRetry }, callerOid: callerClaims(token).oid };
    } catch (err) {
        return { diagnosis: diagnoseToken({ ...t, audience }, opts.credentialKind, err) };
    }
}

/** The token diagnosis of armSession, as the failure of `part` (key, export, import). */
export function withoutArmToken(part: string, d: Diagnosis): Diagnosis {
    return { ...d, summary: d.summary.replace(/^token:/, `${part}: no token for Azure Resource Manager:`) };
}

/** Runs the key check for one account. Never throws. */
export async function checkKey(t: AccountTarget, opts: KeyCheckOptions): Promise<KeyCheckOutcome> {
    if (!t.fhirServiceId || !t.keyId) {
        return {
            check: { name: "key", status: "skip", detail: "skipped: stack outputs lack fhirServiceId/keyId (redeploy with this version)" },
            diagnoses: [],
        };
    }
    const fail = (d: Diagnosis): KeyCheckOutcome => ({ check: { name: "key", status: "fail", detail: d.summary }, diagnoses: [d] });
    const session = await armSession(t, opts);
    if ("diagnosis" in session) return fail(withoutArmToken("key", session.diagnosis));
    const { arm, callerOid } = session;
    const svc = await getFhirService(t.fhirServiceId, arm);
    if (!svc.ok) return fail(diagnoseArmFailure(t, svc.failure, callerOid, opts.armEndpoint, false));
    // The identity resource's principal now: a failed read only leaves that fact out.
    const principal = t.identityResourceId ? await getIdentityPrincipal(t.identityResourceId, arm) : undefined;
    const identity = identityFacts(t, svc.value, principal?.ok ? principal.value : undefined);
    const list = await listKeyVersions(t.keyId, arm);
    const { status, diagnoses } = assessKey({
        target: t,
        keyUrl: svc.value.keyEncryptionKeyUrl,
        versions: list.ok ? list.value : undefined,
        nowMs: (opts.clock ?? realClock).now(),
        lagHours: opts.lagHours,
        expiryWarnDays: opts.expiryWarnDays,
    });
    if (!list.ok) {
        const d = diagnoseArmFailure(t, list.failure, callerOid, opts.armEndpoint, true);
        if (d.code === "key-deleted") status.problems.push("deleted");
        diagnoses.push(d);
    }
    const [first] = diagnoses;
    return {
        check: first
            ? { name: "key", status: "fail", detail: first.summary }
            : { name: "key", status: "pass", detail: describeKey(status) },
        diagnoses,
        status,
        identity,
    };
}
