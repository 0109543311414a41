/**
 * `npm run verify -- --smoke`: the checks that write, opt-in. Per account:
 *   export   with export on: a tiny `$export` (`_type=Patient&_since=<now>&_isParallel=false`) into a container of
 *            verify's own (created and deleted through Azure Resource Manager), polled through its `Content-Location`
 *            until done; the manifest's files must lie in that container of the account's own storage account. It
 *            proves the FHIR service reaches its export storage as its user-assigned identity, through the storage
 *            firewall, with a role that can write there.
 *   convert  with a registry configured (acrTemplateImages): one `$convert-data` call with the first template image.
 *   import   with import on: the import mode read back from the FHIR service's ARM resource.
 *
 * Facts it relies on, with their sources:
 *   - "Export your FHIR data", HL7 Bulk Data Access: `GET [base]/$export` with `Prefer: respond-async` answers 202 with
 *     a `Content-Location`; the status URL answers 202 while the job runs and 200 with the manifest (`output[]`: `type`,
 *     `url`, `count`; `error[]`). `_container`: "If a container is specified, the data will be exported into a folder
 *     in that container"; the page asks for the container to exist beforehand, so verify creates it. A failed job
 *     answers with the failure's status code and an OperationOutcome (microsoft/fhir-server `GetExportRequestHandler`);
 *     a storage refusal keeps the storage's own status code (`StorageExceptionParser`).
 *   - `_isParallel=false`: a parallel export (fhir-server's default) enqueues jobs only for ranges of resources that
 *     exist (`ExportOrchestratorJob`), so an export of nothing new never touches storage; a non-parallel one connects
 *     to the destination before it searches (`ExportJobTask`), failing the job when storage refuses.
 *   - Containers through ARM (`BlobContainers_Create`/`_Delete`, control plane: see arm.ts) need
 *     `Microsoft.Storage/storageAccounts/blobServices/containers/write` and `/delete`: Storage Blob Data Contributor
 *     has both ("Azure built-in roles", Storage).
 *   - Storage refusals name their cause: `AuthorizationPermissionMismatch` (the role does not allow the operation)
 *     and `AuthorizationFailure` (refused before the role is looked at: most often the network rules).
 *   - "Configure settings for $convert-data": `POST [base]/$convert-data` with a Parameters resource (`inputData`,
 *     `inputDataType`, `templateCollectionReference`, `rootTemplate`); custom templates are
 *     `<loginServer>/<image>@<digest>` or `:<tag>`. fhir-server fetches the templates before it converts: a login
 *     server not in `acrConfiguration` is `ContainerRegistryNotConfiguredException` ("… is not configured"), a
 *     registry that refuses the service's identity `ContainerRegistryNotAuthorizedException`; an error after the fetch
 *     proves the registry was reached. Callers need FHIR Data Converter (`DataActions.ConvertData`, else 403).
 *   - Import mode: ARM `FhirServices_Get` (2024-03-31) `properties.importConfiguration`.
 */
import type { TokenCredential } from "@azure/identity";
import { healthWorkspaceResourceId, type BuiltInRoleName } from "../../azure/facts";
import {
    containerCall,
    getFhirService,
    getStorageNetwork,
    type ArmFailure,
    type ArmFhirService,
    type ArmOptions,
    type ArmResult,
} from "./arm";
import { storageAuditQuery } from "./auditQueries";
import type { CheckResult } from "./check";
import type { CredentialKind } from "./credential";
import { bodyExcerpt, roleLine, type CallerClaims, type Diagnosis } from "./diagnose";
import { parseRetryAfter, realClock, requestWithRetry, type HttpOutcome, type HttpSettings } from "./http";
import { armSession, withoutArmToken } from "./keys";
import { redact } from "./redact";
import type { AccountTarget } from "./targets";

export type SmokePartName = "export" | "convert" | "import";

export interface SmokePart {
    name: SmokePartName;
    status: "pass" | "fail" | "skip";
    detail: string;
}

export type SmokeProblem =
    | `export-${"caller" | "identity" | "firewall" | "rbac" | "failed" | "timeout" | "output" | "protocol"}`
    | `convert-${"caller" | "registry-config" | "acrpull" | "image" | "failed"}`
    | "storage-verifier"
    | "cleanup"
    | "import-drift"
    | "arm";

/** What --smoke adds to the account check's settings. */
export interface SmokeSettings {
    armEndpoint: string;
    /** How long one export may take before verify cancels it. */
    exportTimeoutMs: number;
    /** Between status polls when the service sends no Retry-After. */
    pollIntervalMs: number;
    /** The container the export writes to; default a new name per run (smokeContainerName). */
    containerName?: string;
}

export interface SmokeOptions extends SmokeSettings, HttpSettings {
    credential: TokenCredential;
    credentialKind: CredentialKind;
}

/** Longer than the service's own limit for an export "in a bad state" (10 minutes, "Export your FHIR data"). */
export const DEFAULT_SMOKE_TIMEOUT_S = 900;
export const DEFAULT_SMOKE_POLL_MS = 5_000;
/** A server's Retry-After between polls is honoured up to this. */
const SMOKE_MAX_POLL_MS = 60_000;

/** `fhir-verify-<yyyymmddhhmmss>-<4 hex>`: a container name (3-63 lowercase letters, digits, hyphens) of its own per run. */
export function smokeContainerName(nowMs: number, random: () => number): string {
    const stamp = new Date(nowMs).toISOString().replace(/[-:T]/g, "").slice(0, 14);
    const suffix = Math.min(0xffff, Math.floor(random() * 0x10000))
        .toString(16)
        .padStart(4, "0");
    return `fhir-verify-${stamp}-${suffix}`;
}

/** The HL7v2 probe for `$convert-data`: one MSH segment, converted with ADT_A01 (any error after the fetch will do). */
const CONVERT_PROBE = {
    inputDataType: "Hl7v2",
    rootTemplate: "ADT_A01",
    inputData: "MSH|^~\\&|FHIRPLATFORM|VERIFY|||20260101000000||ADT^A01|VERIFY0001|P|2.5\r",
} as const;

/**
 * `<loginServer>/<image>[:tag][@digest]` from the outputs → a template reference: as given when it has a digest or a
 * tag, else with `:latest` (`guessedTag`).
 */
export function templateReference(image: string): { reference: string; loginServer: string; guessedTag: boolean } {
    const loginServer = image.split("/")[0] ?? image;
    const last = image.split("/").pop() ?? image;
    const guessedTag = !image.includes("@") && !last.includes(":");
    return { reference: guessedTag ? `${image}:latest` : image, loginServer, guessedTag };
}

export type ExportFailureCause = "identity" | "firewall" | "rbac" | "failed";

/** What a failed export job's status answer says of its cause (see the header for the codes). */
export function classifyExportFailure(status: number, text: string): ExportFailureCause {
    if (/AuthorizationPermissionMismatch/i.test(text)) return "rbac";
    if (/AuthorizationFailure/i.test(text)) return "firewall";
    if (status === 401 || /access token|managed identity|ManagedIdentityCredential|identity not found/i.test(text)) return "identity";
    if (status === 403) return "firewall";
    return "failed";
}

export type ConvertFailureCause = "registry-config" | "acrpull" | "image" | "caller" | "after-fetch" | "failed";

/** What a failed `$convert-data` answer says of its cause (see the header). */
export function classifyConvertFailure(status: number, text: string): ConvertFailureCause {
    if (/not (been )?configured|not registered/i.test(text)) return "registry-config";
    if (
        status === 401 ||
        /(unauthori[sz]ed|not authorized|authentication|access denied|failed to access).{0,80}(registry|acr)|(registry|acr).{0,80}(unauthori[sz]ed|not authorized|authentication|access denied)/i.test(
            text,
        )
    )
        return "acrpull";
    if (/(image|manifest|template collection|registry).{0,200}(not found|unknown|does not exist)|manifest unknown/i.test(text))
        return "image";
    if (status === 403) return "caller";
    if (status >= 400 && status < 500) return "after-fetch";
    return "failed";
}

function sameId(a: string | undefined, b: string | undefined): boolean {
    return a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase();
}

/** The HTTP status of a failed ARM call, when it got an answer. */
function statusOf(f: ArmFailure): number | undefined {
    return f.kind === "http" && f.outcome.kind === "response" ? f.outcome.status : undefined;
}

type ExportIds = { storageAccountId: string; storageAccount: string; fhirServiceId: string };

/** Runs the smoke test for one account whose authenticated read passed. Never throws. */
export async function runSmoke(
    t: AccountTarget,
    fhirToken: string,
    caller: CallerClaims,
    opts: SmokeOptions,
): Promise<{ check: CheckResult; parts: SmokePart[]; diagnoses: Diagnosis[] }> {
    const clock = opts.clock ?? realClock;
    const http: HttpSettings = { timeoutMs: opts.timeoutMs, policy: opts.policy, clock, onRetry: opts.onRetry };
    const diagnoses: Diagnosis[] = [];
    const parts: SmokePart[] = [];
    const who = caller.oid ?? "<your object id>";
    const callerFact = `caller object id ${caller.oid ?? "(unknown)"}`;
    const base = t.fhirUrl.replace(/\/+$/, "");
    const add = (name: SmokePartName, status: SmokePart["status"], detail: string): void => {
        parts.push({ name, status, detail: redact(detail) });
    };
    const failPart = (name: SmokePartName, problem: SmokeProblem, d: Omit<Diagnosis, "code">): void => {
        add(name, "fail", d.summary);
        diagnoses.push({ code: `smoke-${problem}`, summary: redact(d.summary), facts: d.facts, remedies: d.remedies });
    };
    const fhir = (
        method: "GET" | "POST" | "DELETE",
        url: string,
        extra: Record<string, string> = {},
        body?: string,
    ): Promise<HttpOutcome> =>
        requestWithRetry(url, {
            ...http,
            method,
            headers: { Authorization: `Bearer ${fhirToken}`, Accept: "application/fhir+json, application/json", ...extra },
            body,
        });
    const nextDelay = (headers: Headers): number =>
        Math.min(parseRetryAfter(headers.get("retry-after"), clock.now()) ?? opts.pollIntervalMs, SMOKE_MAX_POLL_MS);

    // ARM (token, the FHIR service read once) only when a part needs it.
    let arm: ReturnType<typeof armSession> | undefined;
    const armOpts = (): ReturnType<typeof armSession> => (arm ??= armSession(t, { ...opts, ...http }));
    let service: Promise<ArmResult<ArmFhirService> | undefined> | undefined;
    const readService = (): Promise<ArmResult<ArmFhirService> | undefined> =>
        (service ??= armOpts().then((a) => ("arm" in a && t.fhirServiceId ? getFhirService(t.fhirServiceId, a.arm) : undefined)));

    if (!t.exportEnabled) add("export", "skip", "export off");
    else if (!t.exportStorageAccount || !t.subscriptionId || !t.resourceGroupName || !t.fhirServiceId) {
        add("export", "skip", "stack outputs lack exportStorageAccount/fhirServiceId (redeploy with this version)");
    } else {
        await smokeExport({
            storageAccountId: `/subscriptions/${t.subscriptionId}/resourceGroups/${t.resourceGroupName}/providers/Microsoft.Storage/storageAccounts/${t.exportStorageAccount}`,
            storageAccount: t.exportStorageAccount,
            fhirServiceId: t.fhirServiceId,
        });
    }

    const image = t.acrTemplateImages[0];
    if (!image) {
        add("convert", "skip", t.acrLoginServers.length ? "no template image in the outputs (acr.ociArtifacts)" : "no registry (acr)");
    } else await smokeConvert(image);

    if (t.importEnabled !== true) add("import", "skip", t.importEnabled === false ? "import off" : "importEnabled not in the outputs");
    else if (!t.fhirServiceId) add("import", "skip", "stack outputs lack fhirServiceId (redeploy with this version)");
    else await smokeImport();

    const failed = parts.filter((p) => p.status === "fail");
    const passed = parts.filter((p) => p.status === "pass");
    const check: CheckResult = failed.length
        ? { name: "smoke", status: "fail", detail: failed.map((p) => `${p.name}: ${p.detail}`).join("; ") }
        : passed.length
          ? { name: "smoke", status: "pass", detail: passed.map((p) => p.name).join(", ") }
          : { name: "smoke", status: "skip", detail: "nothing to smoke-test (export, registry and import off)" };
    return { check, parts, diagnoses };

    /** An ARM read or write that failed, as a smoke diagnosis (not the key check's wording). */
    function armProblem(part: SmokePartName, f: ArmFailure, purpose: string): void {
        const o = f.kind === "http" ? f.outcome : undefined;
        const status = statusOf(f);
        const excerpt = o?.kind === "response" ? bodyExcerpt(o.body) : undefined;
        failPart(part, "arm", {
            summary: `${part}: ${f.what}: ${f.kind === "malformed" ? f.reason : o?.kind === "network" ? `cannot reach Azure Resource Manager (${o.error})` : `${status} from Azure Resource Manager`}`,
            facts: [`needed to ${purpose}`, ...(excerpt ? [`Azure Resource Manager said: ${excerpt}`] : [])],
            remedies: [
                status === 404
                    ? "the stack outputs are stale or the resource was deleted: `pulumi refresh`, then verify again"
                    : status === 403
                      ? "the verifying identity needs Reader on the account's resource group (see docs/verify.md, permissions)"
                      : "check --arm-endpoint, the token's tenant, and outbound HTTPS to Azure Resource Manager",
            ],
        });
    }

    async function smokeExport(ids: ExportIds): Promise<void> {
        const a = await armOpts();
        if ("diagnosis" in a) {
            failPart("export", "arm", withoutArmToken("export", a.diagnosis));
            return;
        }
        const container = opts.containerName ?? smokeContainerName(clock.now(), clock.random);
        const created = await containerCall("PUT", ids.storageAccountId, container, a.arm);
        if (!created.ok) {
            if (statusOf(created.failure) === 403) {
                failPart("export", "storage-verifier", {
                    summary: `export: cannot create the container ${container} in ${ids.storageAccount}: the verifying identity lacks Storage Blob Data Contributor`,
                    facts: [`PUT ${ids.storageAccountId}/blobServices/default/containers/${container}: 403`, callerFact],
                    remedies: [
                        roleLine("Storage Blob Data Contributor", who, ids.storageAccountId),
                        "verify creates and deletes its own container through Azure Resource Manager (control plane: the storage " +
                            "firewall does not apply); the role also allows reading blobs there, exported PHI included",
                    ],
                });
            } else armProblem("export", created.failure, `create the container ${container} the export writes to`);
            return;
        }
        try {
            await exportInto(container, ids, a.arm);
        } finally {
            const deleted = await containerCall("DELETE", ids.storageAccountId, container, a.arm);
            if (!deleted.ok) {
                const status = statusOf(deleted.failure);
                failPart("export", "cleanup", {
                    summary: `export: the container ${container} in ${ids.storageAccount} could not be deleted`,
                    facts: [status !== undefined ? `DELETE answered ${status}` : "DELETE failed"],
                    remedies: [
                        `delete it: \`az storage container delete --account-name ${ids.storageAccount} --name ${container} --auth-mode login\` ` +
                            "(from a network the storage firewall lets through), or in the portal",
                    ],
                });
            }
        }
    }

    async function exportInto(container: string, ids: ExportIds, a: ArmOptions): Promise<void> {
        const since = new Date(clock.now()).toISOString();
        const kickUrl = `${base}/$export?_type=Patient&_since=${encodeURIComponent(since)}&_container=${container}&_isParallel=false`;
        const kick = await fhir("GET", kickUrl, { Prefer: "respond-async", Accept: "application/fhir+json" });
        const exporter: BuiltInRoleName = "FHIR Data Exporter";
        if (kick.kind === "network" || kick.status !== 202) {
            const status = kick.kind === "response" ? kick.status : undefined;
            const excerpt = kick.kind === "response" ? bodyExcerpt(kick.body) : kick.message;
            const said = excerpt ? [`service said: ${excerpt}`] : [];
            if (status === 403) {
                failPart("export", "export-caller", {
                    summary: `export: GET /$export: 403 Forbidden: the verifying identity lacks ${exporter}`,
                    facts: [callerFact, ...said],
                    remedies: [
                        roleLine(exporter, who, t.fhirServiceId ?? ids.fhirServiceId),
                        "role assignments take a few minutes to reach the data plane (https://learn.microsoft.com/azure/healthcare-apis/configure-azure-rbac)",
                    ],
                });
            } else {
                failPart("export", "export-failed", {
                    summary: `export: GET /$export: ${status ?? "no answer"}${status === 202 ? "" : ", not 202 Accepted"}`,
                    facts: said,
                    remedies: [
                        "the service's exportConfiguration.storageAccountName must name the account's storage: `pulumi up`; a 400 " +
                            "names the parameter it refused",
                    ],
                });
            }
            return;
        }
        const location = kick.headers.get("content-location");
        const statusUrl = location && URL.canParse(location, base) ? new URL(location, base) : undefined;
        if (!statusUrl || statusUrl.origin !== new URL(base).origin) {
            failPart("export", "export-protocol", {
                summary: `export: 202 without a Content-Location on the service's own origin (${location ?? "none"})`,
                facts: ["the status URL is polled with the FHIR token: verify follows it only on the FHIR service's origin"],
                remedies: ["a proxy between verify and the service rewrites the answer: run verify against the service itself"],
            });
            return;
        }
        const deadline = clock.now() + opts.exportTimeoutMs;
        let delay = nextDelay(kick.headers);
        let polls = 0;
        for (;;) {
            if (clock.now() + delay > deadline) {
                const cancel = await fhir("DELETE", statusUrl.href);
                const cancelled = cancel.kind === "response" && cancel.status >= 200 && cancel.status < 300;
                failPart("export", "export-timeout", {
                    summary: `export: not done within ${Math.round(opts.exportTimeoutMs / 1000)} s (${polls} poll(s), still 202)`,
                    facts: [
                        `status URL ${statusUrl.href}`,
                        cancelled ? "verify cancelled the job (DELETE on the status URL)" : "verify could not cancel the job",
                        "a job that cannot write to its storage can stay in a bad state for 10 minutes before the service gives up",
                    ],
                    remedies: [
                        `look at why the service cannot write: the export storage's logs name the refusal: ${storageAuditQuery(ids.storageAccount)}`,
                        "or the service is busy with other exports: run again later, or with a longer --smoke-timeout-s",
                    ],
                });
                return;
            }
            await clock.sleep(delay);
            polls++;
            const st = await fhir("GET", statusUrl.href);
            if (st.kind === "network") {
                failPart("export", "export-failed", {
                    summary: `export: polling ${statusUrl.pathname}: ${st.error}`,
                    facts: [redact(st.message)],
                    remedies: ["the service stopped answering while the export ran: run again"],
                });
            } else if (st.status === 202) {
                delay = nextDelay(st.headers);
                continue;
            } else if (st.status === 200) checkManifest(st.body, container, ids.storageAccount, polls);
            else await diagnoseExportJob(st.status, st.body, ids, a);
            return;
        }
    }

    function checkManifest(body: string, container: string, storageAccount: string, polls: number): void {
        let manifest: { output?: unknown; error?: unknown } = {};
        try {
            manifest = JSON.parse(body) ?? {};
        } catch {}
        if (!Array.isArray(manifest.output)) {
            failPart("export", "export-protocol", {
                summary: "export: 200 without a manifest (no `output` list)",
                facts: [`body: ${bodyExcerpt(body) ?? "(empty)"}`],
                remedies: ["a proxy rewrote the answer, or this is not a FHIR bulk-data status URL"],
            });
            return;
        }
        const outputs = manifest.output.map((o: unknown) => (typeof o === "object" && o ? (o as { url?: unknown; count?: unknown }) : {}));
        const urls = outputs.flatMap((o) => (typeof o.url === "string" ? [o.url] : []));
        const count = outputs.reduce((n, o) => n + (typeof o.count === "number" ? o.count : 0), 0);
        const elsewhere = urls.filter((u) => {
            const url = URL.canParse(u) ? new URL(u) : undefined;
            return (
                !url ||
                url.hostname.split(".")[0] !== storageAccount ||
                !url.hostname.includes(".blob.") ||
                !url.pathname.startsWith(`/${container}/`)
            );
        });
        const errors = Array.isArray(manifest.error) ? manifest.error.length : 0;
        if (elsewhere.length || errors) {
            failPart("export", "export-output", {
                summary: elsewhere.length
                    ? `export: ${elsewhere.length} file(s) outside ${storageAccount}/${container}`
                    : `export: the manifest lists ${errors} error file(s)`,
                facts: [
                    ...elsewhere.slice(0, 5).map((u) => `output ${u}`),
                    ...(errors ? [`error: ${JSON.stringify(manifest.error).slice(0, 300)}`] : []),
                ],
                remedies: [
                    "the service's exportConfiguration.storageAccountName must be this account's storage: `pulumi refresh && pulumi up`",
                ],
            });
            return;
        }
        add(
            "export",
            "pass",
            `202 → ${polls} poll(s) → 200: ${urls.length} file(s) (${count} resource(s)) in ${storageAccount}/${container}, container deleted`,
        );
    }

    async function diagnoseExportJob(status: number, body: string, ids: ExportIds, a: ArmOptions): Promise<void> {
        const excerpt = bodyExcerpt(body, 500) ?? "(no body)";
        let cause = classifyExportFailure(status, excerpt);
        const facts = [`the export job failed: status ${status}: ${excerpt}`];
        // What ARM says now, as facts: the service's identity, its export target, the storage firewall.
        const svc = await readService();
        const identity = t.identityResourceId;
        if (svc?.ok) {
            const has = identity !== undefined && svc.value.identity?.userAssigned[identity.toLowerCase()] !== undefined;
            facts.push(
                has
                    ? `the FHIR service has the account's user-assigned identity ${identity} (identity type ${svc.value.identity?.type ?? "?"})`
                    : `the FHIR service's identity (type ${svc.value.identity?.type ?? "none"}) does not include the account's identity ${identity ?? "?"}`,
            );
            if (!has) cause = "identity";
            const target = svc.value.exportStorageAccountName;
            if (target && !sameId(target, ids.storageAccount))
                facts.push(`the service exports to ${target}, the stack outputs say ${ids.storageAccount}`);
        }
        const net = await getStorageNetwork(ids.storageAccountId, a);
        const workspaceId =
            t.subscriptionId && t.workspaceName
                ? healthWorkspaceResourceId(t.subscriptionId, t.workspaceResourceGroupName ?? t.resourceGroupName ?? "", t.workspaceName)
                : undefined;
        if (net.ok) {
            const n = net.value;
            const rule = n.resourceInstanceRules.some((r) => sameId(r, ids.fhirServiceId));
            const wsRule = n.resourceInstanceRules.some((r) => sameId(r, workspaceId));
            const trusted = /AzureServices/i.test(n.bypass ?? "");
            facts.push(
                `storage firewall: default ${n.defaultAction ?? "?"}, bypass ${n.bypass ?? "none"}, resource-instance rule for the ` +
                    `FHIR service ${rule ? "present" : "MISSING"}, for its workspace ${wsRule ? "present" : "missing"}`,
            );
            const firewallGap = /deny/i.test(n.defaultAction ?? "") && (!rule || !trusted);
            if (firewallGap && cause !== "identity" && cause !== "rbac") cause = "firewall";
        }
        const principal = t.identityPrincipalId ?? "<identity principal id>";
        const identityRemedy =
            `the service writes exports as its user-assigned identity ${identity ?? "?"} (Microsoft documents $export with a ` +
            "system-assigned identity; this platform gives the service the account's, which exists before it): `pulumi up` puts " +
            "that identity on the service; if it was re-created, the service must be updated again (see the 500 diagnosis)";
        const rbacRemedy = `${roleLine("Storage Blob Data Contributor", principal, ids.storageAccountId, true)} (or \`pulumi up\`, which owns that grant; allow up to 10 minutes)`;
        const firewallRemedy =
            `the storage firewall must let the FHIR service through: a resource-instance rule for it (\`az storage account ` +
            `network-rule add -g ${t.resourceGroupName ?? "<rg>"} --account-name ${ids.storageAccount} --resource-id ${ids.fhirServiceId} ` +
            `--tenant-id <tenant>\`) and trusted services (\`--bypass AzureServices\`); \`pulumi up\` restores both`;
        const logs = `the storage's own logs name the refusal (StatusText): ${storageAuditQuery(ids.storageAccount)}`;
        const byCause: Record<ExportFailureCause, [SmokeProblem, string, string[]]> = {
            identity: [
                "export-identity",
                "the FHIR service cannot act as its user-assigned identity",
                [identityRemedy, rbacRemedy, firewallRemedy, logs],
            ],
            rbac: [
                "export-rbac",
                "the service's identity is not allowed to write to the export storage (role)",
                [rbacRemedy, identityRemedy, logs],
            ],
            firewall: ["export-firewall", "the export storage's firewall refused the FHIR service", [firewallRemedy, rbacRemedy, logs]],
            failed: ["export-failed", "the export job failed", [identityRemedy, rbacRemedy, firewallRemedy, logs]],
        };
        const [problem, headline, remedies] = byCause[cause];
        failPart("export", problem, { summary: `export: ${headline} (status ${status})`, facts, remedies });
    }

    async function smokeConvert(img: string): Promise<void> {
        const ref = templateReference(img);
        const converter: BuiltInRoleName = "FHIR Data Converter";
        const body = JSON.stringify({
            resourceType: "Parameters",
            parameter: [
                { name: "inputData", valueString: CONVERT_PROBE.inputData },
                { name: "inputDataType", valueString: CONVERT_PROBE.inputDataType },
                { name: "templateCollectionReference", valueString: ref.reference },
                { name: "rootTemplate", valueString: CONVERT_PROBE.rootTemplate },
            ],
        });
        const r = await fhir("POST", `${base}/$convert-data`, { "Content-Type": "application/json" }, body);
        if (r.kind === "network") {
            failPart("convert", "convert-failed", {
                summary: `convert: POST /$convert-data: ${r.error}`,
                facts: [redact(r.message)],
                remedies: ["run again"],
            });
            return;
        }
        const note = ref.guessedTag ? " (no tag or digest in the outputs: verify used :latest)" : "";
        const excerpt = bodyExcerpt(r.body, 500) ?? "(no body)";
        const cause = r.status >= 200 && r.status < 300 ? "ok" : classifyConvertFailure(r.status, excerpt);
        if (cause === "ok" || cause === "after-fetch") {
            add(
                "convert",
                "pass",
                cause === "ok"
                    ? `template ${ref.reference} fetched and applied${note}`
                    : `registry reached: template ${ref.reference} fetched${note}; the probe did not convert with it (${r.status}: ${excerpt.slice(0, 120)})`,
            );
            return;
        }
        const svc = cause === "registry-config" ? await readService() : undefined;
        const facts = [
            `POST /$convert-data with template ${ref.reference}: ${r.status}: ${excerpt}`,
            `the stack's registries: ${t.acrLoginServers.join(", ") || "none"}`,
            ...(svc?.ok && svc.value.acrLoginServers
                ? [`the service's acrConfiguration.loginServers: ${svc.value.acrLoginServers.join(", ") || "none"}`]
                : []),
        ];
        const registryName = ref.loginServer.split(".")[0] ?? ref.loginServer;
        const principal = t.identityPrincipalId ?? "<identity principal id>";
        const byCause: Record<Exclude<ConvertFailureCause, "after-fetch">, [SmokeProblem, string, string[], string[]?]> = {
            caller: [
                "convert-caller",
                `convert: 403 Forbidden: the verifying identity lacks ${converter}`,
                [roleLine(converter, who, t.fhirServiceId ?? `the FHIR service ${t.fhirUrl}`)],
                [...facts, callerFact],
            ],
            "registry-config": [
                "convert-registry-config",
                `convert: the service does not accept ${ref.loginServer}: not in its acrConfiguration`,
                [
                    "list the registry in the account's acr.registryIds (and the image in acr.ociArtifacts) and `pulumi up`: the " +
                        "service accepts templates only from the login servers (and artifacts) in its acrConfiguration",
                ],
            ],
            acrpull: [
                "convert-acrpull",
                `convert: the registry ${ref.loginServer} refused the FHIR service's identity: AcrPull`,
                [
                    `${roleLine("AcrPull", principal, `$(az acr show -n ${registryName} --query id -o tsv)`, true)} (or \`pulumi up\`, which ` +
                        "grants AcrPull on the account's registries)",
                    "a registry with public network access disabled must allow trusted services for the FHIR service to pull",
                ],
            ],
            image: [
                "convert-image",
                `convert: ${ref.reference} is not in ${ref.loginServer}`,
                [`push the template image, or pin the digest in acr.ociArtifacts (verify uses the first of them)${note}`],
            ],
            failed: ["convert-failed", `convert: POST /$convert-data: ${r.status}`, ["see the service's answer above"]],
        };
        const [problem, summary, remedies, causeFacts = facts] = byCause[cause];
        failPart("convert", problem, { summary, facts: causeFacts, remedies });
    }

    async function smokeImport(): Promise<void> {
        const svc = await readService();
        if (!svc) {
            const a = await armOpts();
            if ("diagnosis" in a) failPart("import", "arm", withoutArmToken("import", a.diagnosis));
            return;
        }
        if (!svc.ok) {
            armProblem("import", svc.failure, "read the service's importConfiguration");
            return;
        }
        const imp = svc.value.importConfiguration;
        const store = imp?.integrationDataStore;
        if (imp?.enabled !== true || (t.exportStorageAccount && store && !sameId(store, t.exportStorageAccount))) {
            failPart("import", "import-drift", {
                summary:
                    imp?.enabled !== true
                        ? "import: the stack turns import on, the service's importConfiguration.enabled is not true"
                        : `import: the service imports from ${store}, the stack outputs say ${t.exportStorageAccount}`,
                facts: [`importConfiguration: ${JSON.stringify(imp ?? null)}`],
                remedies: ["`pulumi refresh && pulumi up` puts the stack's import settings back on the service"],
            });
            return;
        }
        add(
            "import",
            "pass",
            imp.initialImportMode === true
                ? `enabled, initial import mode (the service refuses API writes until it is turned off), from ${store ?? "?"}`
                : `enabled, incremental mode (API writes allowed), from ${store ?? "?"}`,
        );
    }
}
