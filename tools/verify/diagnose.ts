/**
 * Turns a failed check into a diagnosis: what went wrong, what the stack expected, and what to do about it.
 * Facts about roles come from azure/facts.ts; nothing here prints a token (messages pass through redact()).
 */
import { BUILT_IN_ROLES, fhirServiceResourceId, type BuiltInRoleName } from "../../azure/facts";
import { fhirAuditQuery } from "./auditQueries";
import type { HttpNetworkFailure, HttpResponse } from "./http";
import type { IdentityFacts, KeyProblem, KeyStatus } from "./keys";
import type { SmokeProblem } from "./smoke";
import { redact } from "./redact";
import { tenantOf, type AccountTarget } from "./targets";

type DataPlaneCode = "token" | "unauthorized" | "forbidden" | "server-error" | "throttled" | "network" | "timeout" | "unexpected-status";
type CapabilityCode = "bad-capability-statement" | "export-not-advertised" | "smart-configuration" | "smart-proxy-retired";

/** The data-plane checks; the private DNS check (dns.ts); the key check (keys.ts) and its ARM reads; the smoke test. */
export type DiagnosisCode =
    | DataPlaneCode
    | CapabilityCode
    | `dns-${"nxdomain" | "public" | "error"}`
    | `key-${KeyProblem}`
    | `arm-${"forbidden" | "unauthorized" | "not-found" | "error"}`
    | `smoke-${SmokeProblem}`;

export interface Diagnosis {
    code: DiagnosisCode;
    /** One line for the summary table. */
    summary: string;
    /** What the stack expected and what came back. */
    facts: string[];
    /** What to do, most likely fix first. */
    remedies: string[];
}

/** A bug in verify, not a service problem: reported against the account (or its check) rather than stop the others. */
export function internalError(what: string, err: unknown): Diagnosis {
    const summary = redact(`${what}: ${(err as Error).message}`);
    return { code: "unexpected-status", summary, facts: [], remedies: ["this is a bug in verify: please report it"] };
}

/** "grant <role> (<id>): `az role assignment create …`" for a principal at a scope. */
export function roleLine(role: BuiltInRoleName, who: string, scope: string, servicePrincipal = false): string {
    return (
        `grant ${role} (${BUILT_IN_ROLES[role]}): \`az role assignment create --assignee-object-id ${who}` +
        `${servicePrincipal ? " --assignee-principal-type ServicePrincipal" : ""} --role "${role}" --scope ${scope}\``
    );
}

/** Claims read (not verified) from the access token, to say who called: never the token itself. */
export type CallerClaims = { oid?: string; tid?: string; aud?: string };

const ROLE_DOCS = "https://learn.microsoft.com/azure/healthcare-apis/configure-azure-rbac";
const CMK_DOCS = "https://learn.microsoft.com/azure/healthcare-apis/fhir/configure-customer-managed-keys";
const PRIVATE_LINK_DOCS = "https://learn.microsoft.com/azure/healthcare-apis/healthcare-apis-configure-private-link";
const CMK_ROLE: BuiltInRoleName = "Key Vault Crypto Service Encryption User";

/** Reads the payload of a JWT for oid/tid/aud (no verification: only to explain a failure). */
export function callerClaims(token: string): CallerClaims {
    try {
        const claims = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as Record<string, unknown>;
        return Object.fromEntries(["oid", "tid", "aud"].flatMap((k) => (typeof claims[k] === "string" ? [[k, claims[k]]] : [])));
    } catch {
        return {};
    }
}

/** Parameters of a `Bearer k="v", k2="v2"` challenge (RFC 6750), lower-cased keys. */
export function parseBearerChallenge(header: string | null): Record<string, string> {
    const out: Record<string, string> = {};
    if (!header) return out;
    const m = /Bearer\s+(.*)$/i.exec(header);
    if (!m) return out;
    const re = /([A-Za-z_][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g;
    for (let p = re.exec(m[1] as string); p; p = re.exec(m[1] as string)) {
        out[(p[1] as string).toLowerCase()] = p[2] ?? p[3] ?? "";
    }
    return out;
}

function trimSlash(url: string): string {
    return url.replace(/\/+$/, "").toLowerCase();
}

function serviceScope(t: AccountTarget): string | undefined {
    if (!t.subscriptionId || !t.workspaceName || !t.fhirServiceName) return undefined;
    const rg = t.workspaceResourceGroupName ?? t.resourceGroupName;
    return rg ? fhirServiceResourceId(t.subscriptionId, rg, t.workspaceName, t.fhirServiceName) : undefined;
}

/** A short, redacted excerpt of an error body (FHIR OperationOutcome diagnostics when there is one). */
export function bodyExcerpt(body: string, max = 300): string | undefined {
    let text = body.trim();
    if (!text) return undefined;
    try {
        const json = JSON.parse(text) as {
            resourceType?: string;
            issue?: { diagnostics?: string; code?: string }[];
            error?: { message?: string };
        };
        if (json.resourceType === "OperationOutcome" && Array.isArray(json.issue)) {
            text = json.issue.map((i) => [i.code, i.diagnostics].filter(Boolean).join(": ")).join("; ");
        } else if (json.error?.message) {
            text = json.error.message;
        }
    } catch {
        /* not JSON: keep the text */
    }
    text = redact(text.replace(/\s+/g, " "));
    return text.length > max ? `${text.slice(0, max)}…` : text;
}

function withBody(facts: string[], res: HttpResponse): string[] {
    const excerpt = bodyExcerpt(res.body);
    return excerpt ? [...facts, `service said: ${excerpt}`] : facts;
}

export function diagnoseUnauthorized(t: AccountTarget, what: string, res: HttpResponse, caller: CallerClaims): Diagnosis {
    const challenge = parseBearerChallenge(res.headers.get("www-authenticate"));
    const expectedTenant = tenantOf(t.authority);
    const facts = [`the stack expects audience ${t.audience} and authority ${t.authority}`];
    if (caller.aud || caller.tid) facts.push(`the token sent had audience ${caller.aud ?? "?"} from tenant ${caller.tid ?? "?"}`);
    const remedies: string[] = [];
    const challengeAuthority = challenge.authorization_uri;
    const challengeTenant = challengeAuthority ? tenantOf(challengeAuthority) : undefined;
    if (challengeAuthority) facts.push(`the service's WWW-Authenticate names authority ${challengeAuthority}`);
    const challengeResource = challenge.resource_id ?? challenge.resource ?? challenge.realm;
    if (challengeResource) facts.push(`the service's WWW-Authenticate names resource ${challengeResource}`);
    if (challenge.error || challenge.error_description) {
        facts.push(`challenge error: ${redact([challenge.error, challenge.error_description].filter(Boolean).join(": "))}`);
    }
    let summary = `${what}: 401 Unauthorized: token rejected (wrong audience or tenant)`;
    const audienceMismatch = challengeResource !== undefined && trimSlash(challengeResource) !== trimSlash(t.audience);
    if (audienceMismatch) {
        summary = `${what}: 401 Unauthorized: the service expects audience ${challengeResource}, the stack says ${t.audience}`;
        remedies.push(
            `the audience output is stale or wrong: verify asks for a token for the stack's audience, so fix the stack (or re-run ` +
                `\`pulumi up\` and \`pulumi stack output\`) until audience is ${challengeResource}`,
        );
    } else if (caller.aud && trimSlash(caller.aud) !== trimSlash(t.audience)) {
        summary = `${what}: 401 Unauthorized: token audience ${caller.aud} is not ${t.audience}`;
    }
    if (challengeTenant && expectedTenant && challengeTenant.toLowerCase() !== expectedTenant.toLowerCase()) {
        summary = `${what}: 401 Unauthorized: the service trusts tenant ${challengeTenant}, the stack says ${expectedTenant}`;
        remedies.push(
            `the FHIR service's authenticationConfiguration.authority is not the stack's: fix fhir-platform:tenantId and re-run ` +
                `\`pulumi up\``,
        );
    } else if (caller.tid && expectedTenant && caller.tid.toLowerCase() !== expectedTenant.toLowerCase()) {
        summary = `${what}: 401 Unauthorized: token from tenant ${caller.tid}, the service trusts ${expectedTenant}`;
    }
    if (!audienceMismatch)
        remedies.push(
            `request the token for scope ${t.audience}/.default from tenant ${expectedTenant ?? t.authority} (Azure CLI: \`az login ` +
                `--tenant ${expectedTenant ?? "<tenant>"}\`)`,
        );
    remedies.push(
        "a token for another FHIR service, or for Azure Resource Manager, is rejected: each account's service has its own audience",
    );
    return { code: "unauthorized", summary, facts: withBody(facts, res), remedies };
}

export function diagnoseForbidden(t: AccountTarget, what: string, res: HttpResponse, caller: CallerClaims): Diagnosis {
    const scope = serviceScope(t) ?? `the FHIR service ${t.fhirUrl}`;
    const reader: BuiltInRoleName = "FHIR Data Reader";
    const exporter: BuiltInRoleName = "FHIR Data Exporter";
    const who = caller.oid ?? "<your object id>";
    const facts = [
        `the token is valid (audience ${t.audience}) but its principal ${caller.oid ?? "(object id unknown)"} holds no FHIR ` +
            `data-plane role that allows this read`,
        "GET /metadata is anonymous on the FHIR service; reads and searches need FHIR Data Reader (or Writer, Exporter, Contributor)",
    ];
    const remedies = [`${roleLine(reader, who, scope)}, or add it to the account's grants in the stack config and run \`pulumi up\``];
    if (t.exportEnabled) {
        remedies.push(
            `export is on for this account: whoever runs $export also needs ${exporter} (${BUILT_IN_ROLES[exporter]}), which includes read`,
        );
    }
    remedies.push(
        `role assignments take a few minutes to reach the data plane: if you just granted one, run verify again shortly (${ROLE_DOCS})`,
    );
    return {
        code: "forbidden",
        summary: `${what}: 403 Forbidden: grant ${reader}${t.exportEnabled ? ` (and ${exporter} for $export)` : ""}`,
        facts: withBody(facts, res),
        remedies,
    };
}

/** What the key check found that explains a 500 by itself (a key the service cannot use). */
function keyVerdict(key: KeyStatus | undefined): string | undefined {
    if (!key) return undefined;
    const v = key.version ? `${key.keyName}/${key.version}` : key.keyName;
    const found = (p: KeyProblem): boolean => key.problems.includes(p);
    if (found("disabled")) return `its CMK key version ${v} is disabled`;
    if (found("expired")) return `its CMK key version ${v} expired ${key.expiresAt?.slice(0, 10) ?? ""}`.trim();
    if (found("deleted")) return `its CMK key ${key.vaultName}/${key.keyName} is gone from the vault (deleted?)`;
    if (found("unknown-version")) return `its CMK key version ${v} is not among the key's versions`;
    return undefined;
}

/** What ARM says about the account's identity that explains a lost key by itself (facts, empty when nothing does). */
export function identityVerdicts(t: AccountTarget, id: IdentityFacts | undefined): string[] {
    if (!id) return [];
    const out: string[] = [];
    if (!id.serviceHasIdentity) {
        out.push(
            `the FHIR service's identity (type ${id.serviceIdentityType ?? "none"}) does not include the account's identity ` +
                `${id.identityResourceId}: it has no identity to reach its key with`,
        );
    }
    if (id.identityPrincipalId && t.identityPrincipalId && id.identityPrincipalId.toLowerCase() !== t.identityPrincipalId.toLowerCase()) {
        out.push(
            `the identity ${id.identityResourceId} now has principal ${id.identityPrincipalId}, the stack outputs say ` +
                `${t.identityPrincipalId}: it was re-created since the last \`pulumi up\``,
        );
    }
    const current = id.identityPrincipalId ?? t.identityPrincipalId;
    if (id.servicePrincipalId && current && id.servicePrincipalId.toLowerCase() !== current.toLowerCase()) {
        out.push(
            `the FHIR service still holds principal ${id.servicePrincipalId} for that identity, not ${current}: it was not ` +
                "updated after the identity was re-created",
        );
    }
    return out;
}

/**
 * A 5xx: on AHDS, most often the service lost access to its customer-managed key. `key` is what the key check (ARM)
 * found, when it ran: a disabled or expired version in use is named first; `identity` what ARM says of the account's
 * identity: a re-created one (new principal) is named as a fact.
 */
export function diagnoseServerError(
    t: AccountTarget,
    what: string,
    res: HttpResponse,
    key?: KeyStatus,
    identity?: IdentityFacts,
): Diagnosis {
    const facts = [`${res.status} after ${res.attempts} attempt(s)`];
    const keyName = t.keyUri ? /\/keys\/([^/]+)/.exec(t.keyUri)?.[1] : undefined;
    const vaultName = t.keyVaultUri ? /^https:\/\/([^.]+)\./.exec(t.keyVaultUri)?.[1] : undefined;
    const vault = vaultName ?? "<vault>";
    // The version the service really uses (key check) beats the stack's output, which is only what the last `up` set.
    const keyUri = key?.keyUrl ?? t.keyUri;
    if (keyUri) facts.push(`customer-managed key: ${keyUri}`);
    if (t.identityPrincipalId)
        facts.push(
            `the service reaches the key as identity ${t.identityPrincipalId}${t.identityResourceId ? ` (${t.identityResourceId})` : ""}`,
        );
    const verdict = keyVerdict(key);
    if (verdict) facts.push(`the key check (Azure Resource Manager) found that ${verdict}`);
    else if (key && key.problems.length === 0 && key.enabled)
        facts.push(
            `the key check found the version in use enabled${key.expiresAt ? "" : " and without expiry"}: look at access (role, ` +
                `firewall) first`,
        );
    const identityIssues = identityVerdicts(t, identity);
    facts.push(...identityIssues);
    if (t.keyVaultNetwork === "allNetworks")
        facts.push("the vault accepts all networks (keyVaultNetwork: allNetworks): its firewall is not the cause");
    const keyStep =
        `make sure the key is enabled and not expired: \`az keyvault key show --id ${keyUri ?? "<keyUri>"} --query ` +
        `attributes\`; re-enable with \`az keyvault key set-attributes --id ${keyUri ?? "<keyUri>"} --enabled true\` or ` +
        `extend --expires (never disable a version a service still uses)`;
    const grantStep =
        `re-grant ${CMK_ROLE} (${BUILT_IN_ROLES[CMK_ROLE]}) to the identity on the key: \`az role assignment create ` +
        `--assignee-object-id ${t.identityPrincipalId ?? "<identity principal id>"} --assignee-principal-type ` +
        `ServicePrincipal --role "${CMK_ROLE}" --scope ` +
        `${t.keyVaultId ?? "<vault resource id>"}/keys/${keyName ?? "<key>"}\` (or \`pulumi up\`, which owns that ` +
        `grant)`;
    const firewallSteps =
        t.keyVaultNetwork === "trustedServices"
            ? [
                  `the vault firewall denies all but trusted Microsoft services (keyVaultNetwork: trustedServices). The FHIR CMK page ` +
                      `requires that bypass, yet Key Vault's trusted-services list does not name Health Data Services (a known ` +
                      `documentation conflict), so the firewall may be what blocks the service: check \`az keyvault show --name ${vault} ` +
                      `--query properties.networkAcls\` shows bypass AzureServices (else \`az keyvault update --name ${vault} --bypass ` +
                      `AzureServices\`)`,
                  `     if it does and the 500s go on, as a diagnosis step set this account's keyVaultNetwork: allNetworks in the ` +
                      `stack config and \`pulumi up\`: if the 500s stop, the firewall was the cause (keep it open only as long as you ` +
                      `must)`,
              ]
            : t.keyVaultNetwork === "allNetworks"
              ? []
              : [
                    `if the vault has a firewall, allow trusted Microsoft services: \`az keyvault update --name ${vault} --bypass ` +
                        `AzureServices\``,
                ];
    const recoverStep = "a deleted key or vault can be recovered from soft delete (`az keyvault key recover`, `az keyvault recover`)";
    const serviceId = t.fhirServiceId ?? serviceScope(t) ?? "<fhir service id>";
    const identityStep =
        "if the account's user-assigned identity was re-created (new principal ID): re-grant and update the FHIR service " +
        "again: `pulumi up --refresh` re-grants (the refresh reads the new principal, the update replaces the grant), then a " +
        `PUT of the service, which \`pulumi up\` does not make while its inputs are unchanged: \`az resource update --ids ${serviceId} ` +
        `--api-version 2024-03-31 --set properties.encryption.customerManagedKeyEncryption.keyEncryptionKeyUrl=${keyUri ?? "<key URL in use>"}\` ` +
        "(the CMK page: \"If you change the managed identity in any way… the FHIR service isn't able to access your keys until " +
        'you update the service manually")';
    const steps = verdict
        ? [keyStep, grantStep, identityStep, ...firewallSteps, recoverStep]
        : identityIssues.length
          ? [identityStep, grantStep, keyStep, ...firewallSteps, recoverStep]
          : [grantStep, keyStep, identityStep, ...firewallSteps, recoverStep];
    let n = 0;
    const remedies = [
        `the FHIR service answers 500 when it loses access to its customer-managed key; restore access (${CMK_DOCS}):`,
        ...steps.map((step) => (step.startsWith("     ") ? step : `  ${++n}. ${step}`)),
        "otherwise the service itself is failing: check its resource health, and its AuditLogs in Log Analytics (the stack sends " +
            `them to AzureDiagnostics): ${fhirAuditQuery(t.fhirServiceName ?? "<fhir service name>")}`,
    ];
    const summary = verdict
        ? `${what}: ${res.status} server error: ${verdict}`
        : identityIssues.length
          ? `${what}: ${res.status} server error: the account's identity was re-created or removed from the service: update the service`
          : `${what}: ${res.status} server error: likely lost access to its CMK key ${keyUri ?? ""}`.trim();
    return { code: "server-error", summary, facts: withBody(facts, res), remedies };
}

export function diagnoseThrottled(what: string, res: HttpResponse): Diagnosis {
    return {
        code: "throttled",
        summary: `${what}: still ${res.status} after ${res.attempts} attempts`,
        facts: withBody([`waited ${res.waits.join(", ") || "0"} ms between attempts`], res),
        remedies: ["the service is throttling or unavailable: run again later, or with more --retries"],
    };
}

export function diagnoseNetwork(t: AccountTarget, what: string, f: HttpNetworkFailure, timeoutMs: number): Diagnosis {
    const host = URL.canParse(t.fhirUrl) ? new URL(t.fhirUrl).hostname : t.fhirUrl;
    const viaEndpoint =
        `run verify from a network peered with that VNet, whose DNS resolves ${host} to the private endpoint's ` +
        `address through the private DNS zone linked to the VNet (${PRIVATE_LINK_DOCS})`;
    const privateHint =
        t.publicNetworkAccess === "Disabled"
            ? `this account is private (publicNetworkAccess: Disabled): its service is reachable only through the private endpoint on ` +
              `its workspace: ${viaEndpoint}`
            : t.publicNetworkAccess === "Enabled"
              ? `this account is public (publicNetworkAccess: Enabled), so no private endpoint is involved: look at this machine's ` +
                `network, proxy and DNS`
              : `if the workspace's public network access is disabled, the service is only reachable through its private endpoint: ` +
                `${viaEndpoint}`;
    const facts = [`${f.message}${f.code ? ` (${f.code})` : ""}`];
    const network = (summary: string, ...remedies: string[]): Diagnosis => ({ code: "network", summary, facts, remedies });
    switch (f.error) {
        case "dns":
            return network(
                `${what}: DNS lookup for ${host} failed${f.code ? ` (${f.code})` : ""}: network or private endpoint`,
                privateHint,
                "otherwise check that the FHIR service exists and the fhirUrl output is current (`pulumi stack output accounts`)",
            );
        case "timeout":
            return {
                code: "timeout",
                summary: `${what}: no answer from ${host} within ${timeoutMs} ms: network or private endpoint`,
                facts,
                remedies: [
                    "a firewall or proxy drops the traffic, or the name resolves to a private endpoint address this network cannot " +
                        "route to",
                    privateHint,
                    "if the service is just slow, raise --timeout-ms",
                ],
            };
        case "refused":
        case "reset":
            return network(
                `${what}: connection ${f.error} by ${host}: network or private endpoint`,
                "a proxy or firewall between you and the service refuses the connection",
                privateHint,
            );
        case "tls":
            return network(
                `${what}: TLS failure talking to ${host}`,
                "a TLS-inspecting proxy is in the way: trust its CA (NODE_EXTRA_CA_CERTS) or bypass it for *.azurehealthcareapis.com",
            );
        default:
            return network(`${what}: request to ${host} failed: ${redact(f.message)}`, privateHint);
    }
}

/** Diagnosis for any non-2xx answer to `what`. */
export function diagnoseResponse(
    t: AccountTarget,
    what: string,
    res: HttpResponse,
    caller: CallerClaims,
    key?: KeyStatus,
    identity?: IdentityFacts,
): Diagnosis {
    if (res.status === 401) return diagnoseUnauthorized(t, what, res, caller);
    if (res.status === 403) return diagnoseForbidden(t, what, res, caller);
    if (res.status === 429 || res.status === 503) return diagnoseThrottled(what, res);
    if (res.status >= 500) return diagnoseServerError(t, what, res, key, identity);
    return {
        code: "unexpected-status",
        summary: `${what}: unexpected ${res.status}`,
        facts: withBody([`GET ${what} answered ${res.status}`], res),
        remedies: [
            res.status === 404
                ? "check that fhirUrl points at the FHIR service root (https://<workspace>-<fhir>.fhir.azurehealthcareapis.com)"
                : "see the service's answer above",
        ],
    };
}

/** Token acquisition failed: which credential problem is it? */
export function diagnoseToken(t: AccountTarget, credentialKind: string, err: unknown): Diagnosis {
    const name = err instanceof Error ? err.name : "Error";
    const raw = err instanceof Error ? err.message : String(err);
    const message = redact(raw).replace(/\s+/g, " ").slice(0, 600);
    const tenant = tenantOf(t.authority);
    // DefaultAzureCredential's chain: one line per credential tried, rather than one long paragraph.
    const chained = (err as { errors?: unknown }).errors;
    const facts =
        Array.isArray(chained) && chained.length
            ? chained.map((e) => {
                  const m = redact(e instanceof Error ? e.message : String(e)).replace(/\s+/g, " ");
                  return `${e instanceof Error ? e.name : "Error"}: ${m.length > 200 ? `${m.slice(0, 200)}…` : m}`;
              })
            : [`${name}: ${message}`];
    facts.push(`scope ${t.audience}/.default, tenant ${tenant ?? "?"}, credential ${credentialKind}`);
    const token = (summary: string, ...remedies: string[]): Diagnosis => ({ code: "token", summary, facts, remedies });
    if (name === "TokenTimeoutError") {
        return token(
            "token: no token in time (credential endpoint unreachable?)",
            "the identity endpoint (IMDS, App Service, Entra ID) did not answer: check network access to it, or raise --timeout-ms",
        );
    }
    if (/AADSTS500011|resource principal/i.test(raw)) {
        return token(
            `token: Entra ID knows no resource ${t.audience} in tenant ${tenant ?? "?"} (wrong audience or tenant)`,
            `check that the FHIR service exists and that audience ${t.audience} is its URL; the stack's tenant must be the ` +
                `service's tenant`,
        );
    }
    if (
        /not configured to acquire tokens for tenant|AADSTS90002|AADSTS700016|AADSTS50020|AADSTS90072|tenant[^.]*(not found|does not exist|is invalid)/i.test(
            raw,
        )
    ) {
        return token(
            `token: wrong tenant: cannot get a token from tenant ${tenant ?? "?"}`,
            `sign in to the stack's tenant: \`az login --tenant ${tenant ?? "<tenant>"}\`, or set AZURE_TENANT_ID for a service ` +
                `principal / workload identity`,
            `if the stack's tenantId (authority ${t.authority}) is a placeholder, fix it in the stack config`,
        );
    }
    const unavailable = name === "CredentialUnavailableError" || name === "AggregateAuthenticationError";
    return token(
        unavailable ? `token: credential "${credentialKind}" is not available here` : "token: authentication failed",
        credentialKind === "managed-identity"
            ? "no managed identity endpoint here: run on an Azure host with an identity, or set IDENTITY_ENDPOINT/IDENTITY_HEADER " +
                  "(App Service); AZURE_CLIENT_ID picks a user-assigned identity"
            : credentialKind === "workload-identity"
              ? "workload identity needs AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_FEDERATED_TOKEN_FILE"
              : `sign in (\`az login --tenant ${tenant ?? "<tenant>"}\`), set ` +
                `AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET, or pick one with --credential`,
    );
}
