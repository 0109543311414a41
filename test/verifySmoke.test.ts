/**
 * `npm run verify -- --smoke` end to end against the loopback fakes: the bulk export protocol (kick-off 202 +
 * Content-Location, 202 polls honouring Retry-After, 200 manifest, failures with the storage's status), the container
 * verify creates and deletes through ARM, $convert-data with a registry template, and the import mode read back; each
 * failure with its diagnosis. The clock is virtual: polls and deadlines are exact and nothing waits.
 */
import { BUILT_IN_ROLES } from "../azure/facts";
import type { AccountResult } from "../tools/verify/check";
import {
    classifyConvertFailure,
    classifyExportFailure,
    smokeContainerName,
    templateReference,
    type SmokePart,
} from "../tools/verify/smoke";
import { FAKE_IDENTITY_PRINCIPAL, fakeFhirServiceId, fakeStorageId } from "./fakes/armServer";
import {
    RIG_CALLER_OID,
    diagnosisText,
    resultOf,
    startVerifyRig,
    virtualClock,
    type RigAccount,
    type RigRun,
    type RigSetup,
    type VerifyRig,
} from "./fakes/verifyRig";

const NOW = Date.parse("2026-11-15T12:00:00Z");
const ACR = "contosoacr.azurecr.io";
const IMAGE = `${ACR}/hl7templates@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef`;
const IMPORT_ON = { enabled: true, initialImportMode: false };

let rig: VerifyRig;
beforeAll(async () => {
    rig = await startVerifyRig({ nowMs: NOW, tmpPrefix: "verify-smoke-" });
});
afterAll(() => rig.close());

const part = (r: AccountResult, name: SmokePart["name"]): SmokePart[] => (r.smoke ?? []).filter((p) => p.name === name);
const codes = (r: AccountResult): string[] => r.diagnoses.map((d) => d.code);
/** The methods of the ARM container calls made for an account, in order. */
const containerCalls = (s: RigSetup, account: string): string[] =>
    s.arm.requests.filter((q) => q.account === account && q.kind === "container").map((q) => q.method);

/** A healthy account with everything the smoke test touches: export, a registry template, import. */
function full(over: { fhir?: Partial<NonNullable<RigAccount["fhir"]>>; arm?: Partial<NonNullable<RigAccount["arm"]>> } = {}): RigAccount {
    return {
        fhir: { behaviour: "healthy", ...over.fhir },
        arm: { behaviour: "healthy", importConfiguration: { ...IMPORT_ON, integrationDataStore: "" }, acrLoginServers: [ACR], ...over.arm },
        outputs: { importEnabled: true, acrLoginServers: [ACR], acrTemplateImages: [IMAGE] },
    };
}

describe("--smoke end to end", () => {
    let s: RigSetup;
    let run: RigRun;
    let clock: ReturnType<typeof virtualClock>;

    beforeAll(async () => {
        const withStore = (name: string): RigAccount => {
            const a = full();
            return { ...a, arm: { ...a.arm!, importConfiguration: { ...IMPORT_ON, integrationDataStore: `st${name}` } } };
        };
        s = await rig.setup({
            ok: { ...withStore("ok"), fhir: { behaviour: "healthy", exportJob: { result: "complete", polls: 2, retryAfter: "7" } } },
            exporterless: {
                ...withStore("exporterless"),
                fhir: { behaviour: "healthy", exportJob: { result: "complete", callerForbidden: true } },
            },
            firewall: {
                ...withStore("firewall"),
                fhir: { behaviour: "healthy", exportJob: { result: "firewall" } },
                arm: { ...withStore("firewall").arm!, storage: { serviceRule: false } },
            },
            rbac: { ...withStore("rbac"), fhir: { behaviour: "healthy", exportJob: { result: "rbac" } } },
            noidentity: {
                ...withStore("noidentity"),
                fhir: { behaviour: "healthy", exportJob: { result: "identity" } },
                arm: { ...withStore("noidentity").arm!, identity: "missing" },
            },
            stuck: { ...withStore("stuck"), fhir: { behaviour: "healthy", exportJob: { result: "never" } } },
            elsewhere: { ...withStore("elsewhere"), fhir: { behaviour: "healthy", exportJob: { result: "elsewhere" } } },
            noverifier: { ...withStore("noverifier"), arm: { ...withStore("noverifier").arm!, storage: { containerForbidden: true } } },
            leftover: { ...withStore("leftover"), arm: { ...withStore("leftover").arm!, storage: { deleteFails: true } } },
            notconfigured: { ...withStore("notconfigured"), fhir: { behaviour: "healthy", convert: "not-configured" } },
            noacrpull: { ...withStore("noacrpull"), fhir: { behaviour: "healthy", convert: "acr-unauthorized" } },
            noimage: { ...withStore("noimage"), fhir: { behaviour: "healthy", convert: "image-not-found" } },
            converterless: { ...withStore("converterless"), fhir: { behaviour: "healthy", convert: "caller-forbidden" } },
            customtemplate: { ...withStore("customtemplate"), fhir: { behaviour: "healthy", convert: "template-error" } },
            importdrift: {
                ...withStore("importdrift"),
                arm: { ...withStore("importdrift").arm!, importConfiguration: { enabled: false, initialImportMode: false } },
            },
            initialmode: {
                ...withStore("initialmode"),
                arm: {
                    ...withStore("initialmode").arm!,
                    importConfiguration: { enabled: true, initialImportMode: true, integrationDataStore: "stinitialmode" },
                },
            },
            unreadable: { fhir: { behaviour: "forbidden" }, arm: { behaviour: "healthy" } },
            legacy: { fhir: { behaviour: "healthy" }, outputs: { legacySmartProxy: false } },
        });
        clock = virtualClock(NOW);
        run = await rig.verify(s, ["--smoke", "--smoke-timeout-s", "30", "--concurrency", "1"], { clock, smokePollMs: 5_000 });
    });

    it("the healthy account passes all three parts, and --smoke adds the SMOKE column and section", () => {
        const ok = resultOf(run, "ok");
        expect(ok.healthy).toBe(true);
        expect(ok.checks.find((c) => c.name === "smoke")).toMatchObject({ status: "pass", detail: "export, convert, import" });
        expect(ok.smoke?.map((p) => [p.name, p.status])).toEqual([
            ["export", "pass"],
            ["convert", "pass"],
            ["import", "pass"],
        ]);
        expect(part(ok, "export")[0]!.detail).toMatch(
            /^202 → 3 poll\(s\) → 200: 1 file\(s\) \(1 resource\(s\)\) in stok\/fhir-verify-\d{14}-ffff, container deleted$/,
        );
        expect(part(ok, "import")[0]!.detail).toBe("enabled, incremental mode (API writes allowed), from stok");
        expect(run.stdout).toMatch(/^ACCOUNT\s+TOKEN\s+DNS\s+METADATA\s+READ\s+EXPORT\s+SMART\s+KEY\s+SMOKE\s+RESULT$/m);
        expect(run.stdout).toMatch(/^ok\s+ok\s+-\s+ok\s+ok\s+ok\s+-\s+ok\s+ok\s+healthy$/m);
        expect(run.stdout).toContain("SMOKE (--smoke: $export through the service's identity, $convert-data, import mode)");
        expect(run.stderr).toContain("--smoke: it writes (export, $convert-data), each export bounded by 30 s");
    });

    it("speaks the bulk export protocol: kick-off with Prefer respond-async into verify's container, non-parallel, polled per Retry-After", () => {
        const reqs = s.fhir.requests.filter((r) => r.account === "ok" && (r.path === "/$export" || r.path.startsWith("/_operations")));
        expect(reqs.map((r) => [r.method, r.path.replace(/\d+$/, "N"), r.status])).toEqual([
            ["GET", "/$export", 202],
            ["GET", "/_operations/export/N", 202],
            ["GET", "/_operations/export/N", 202],
            ["GET", "/_operations/export/N", 200],
        ]);
        const kick = reqs[0]!;
        expect(kick.prefer).toBe("respond-async");
        expect(kick.query).toMatchObject({ _type: "Patient", _since: new Date(NOW).toISOString(), _isParallel: "false" });
        // The container: created through ARM before the kick-off, the one the export names, deleted afterwards.
        const calls = s.arm.requests.filter((r) => r.account === "ok" && r.kind === "container");
        expect(calls.map((r) => [r.method, r.apiVersion, r.status])).toEqual([
            ["PUT", "2024-01-01", 200],
            ["DELETE", "2024-01-01", 200],
        ]);
        expect(calls.every((r) => r.container === kick.query._container)).toBe(true);
        expect(kick.query._container).toBe(smokeContainerName(NOW, () => 1));
        // First wait: the interval (the kick-off sent no Retry-After); then the 202s' Retry-After: 7.
        expect(clock.slept.slice(0, 3)).toEqual([5_000, 7_000, 7_000]);
    });

    it("a caller without FHIR Data Exporter: names the role, its ID and the caller; the container is still deleted", () => {
        const r = resultOf(run, "exporterless");
        expect(codes(r)).toEqual(["smoke-export-caller"]);
        const text = diagnosisText(r);
        expect(text).toContain(BUILT_IN_ROLES["FHIR Data Exporter"]);
        expect(text).toContain(RIG_CALLER_OID);
        expect(text).toContain(fakeFhirServiceId("exporterless"));
        expect(containerCalls(s, "exporterless")).toEqual(["PUT", "DELETE"]);
    });

    it("storage firewall: the job's 403 AuthorizationFailure and the missing resource-instance rule (read through ARM)", () => {
        const r = resultOf(run, "firewall");
        expect(codes(r)).toEqual(["smoke-export-firewall"]);
        const d = r.diagnoses[0]!;
        expect(d.summary).toBe("export: the export storage's firewall refused the FHIR service (status 403)");
        expect(d.facts.join("\n")).toContain("resource-instance rule for the FHIR service MISSING");
        expect(d.remedies[0]).toContain(`--resource-id ${fakeFhirServiceId("firewall")}`);
        expect(d.remedies.join("\n")).toContain('StorageBlobLogs | where AccountName == "stfirewall"');
    });

    it("RBAC: the job's 403 AuthorizationPermissionMismatch: grant Storage Blob Data Contributor to the service's identity", () => {
        const d = resultOf(run, "rbac").diagnoses[0]!;
        expect(d.code).toBe("smoke-export-rbac");
        expect(d.remedies[0]).toBe(
            `grant Storage Blob Data Contributor (${BUILT_IN_ROLES["Storage Blob Data Contributor"]}): \`az role assignment create ` +
                `--assignee-object-id ${FAKE_IDENTITY_PRINCIPAL} --assignee-principal-type ServicePrincipal --role "Storage Blob Data ` +
                `Contributor" --scope ${fakeStorageId("rbac")}\` (or \`pulumi up\`, which owns that grant; allow up to 10 minutes)`,
        );
    });

    it("identity: the service lacks the account's user-assigned identity (ARM), the job could not get a token", () => {
        const d = resultOf(run, "noidentity").diagnoses[0]!;
        expect(d.code).toBe("smoke-export-identity");
        expect(d.facts.join("\n")).toContain("the FHIR service's identity (type SystemAssigned) does not include the account's identity");
        expect(d.remedies[0]).toContain("user-assigned identity");
    });

    it("an export that never finishes is cancelled at the deadline (DELETE on its status URL), its container deleted", () => {
        const r = resultOf(run, "stuck");
        expect(codes(r)).toEqual(["smoke-export-timeout"]);
        expect(r.diagnoses[0]!.summary).toBe("export: not done within 30 s (6 poll(s), still 202)");
        expect(r.diagnoses[0]!.facts).toContain("verify cancelled the job (DELETE on the status URL)");
        const calls = s.fhir.requests.filter((q) => q.account === "stuck" && q.path.startsWith("/_operations"));
        expect(calls.at(-1)).toMatchObject({ method: "DELETE", status: 202 });
        expect(containerCalls(s, "stuck")).toEqual(["PUT", "DELETE"]);
    });

    it("files outside the account's own storage container fail the export", () => {
        const r = resultOf(run, "elsewhere");
        expect(codes(r)).toEqual(["smoke-export-output"]);
        expect(r.diagnoses[0]!.facts[0]).toContain("https://stsomeoneelse.blob.core.windows.net/");
    });

    it("a verifier that cannot create the container is told the role (Storage Blob Data Contributor), and nothing is exported", () => {
        const r = resultOf(run, "noverifier");
        expect(codes(r)).toEqual(["smoke-storage-verifier"]);
        expect(diagnosisText(r)).toContain(
            `--assignee-object-id ${RIG_CALLER_OID} --role "Storage Blob Data Contributor" --scope ${fakeStorageId("noverifier")}`,
        );
        expect(s.fhir.requests.some((q) => q.account === "noverifier" && q.path === "/$export")).toBe(false);
    });

    it("a container that cannot be deleted fails the account and says how to delete it", () => {
        const r = resultOf(run, "leftover");
        expect(codes(r)).toEqual(["smoke-cleanup"]);
        expect(diagnosisText(r)).toContain("az storage container delete --account-name stleftover --name fhir-verify-");
    });

    it("$convert-data: registry not configured, AcrPull missing, image missing, caller without FHIR Data Converter", () => {
        expect(codes(resultOf(run, "notconfigured"))).toEqual(["smoke-convert-registry-config"]);
        expect(diagnosisText(resultOf(run, "notconfigured"))).toContain(`the service's acrConfiguration.loginServers: ${ACR}`);
        expect(codes(resultOf(run, "noacrpull"))).toEqual(["smoke-convert-acrpull"]);
        expect(diagnosisText(resultOf(run, "noacrpull"))).toContain(`AcrPull (${BUILT_IN_ROLES.AcrPull})`);
        expect(codes(resultOf(run, "noimage"))).toEqual(["smoke-convert-image"]);
        expect(codes(resultOf(run, "converterless"))).toEqual(["smoke-convert-caller"]);
        expect(diagnosisText(resultOf(run, "converterless"))).toContain(BUILT_IN_ROLES["FHIR Data Converter"]);
        // The call carried the first template image, pinned by digest.
        expect(
            s.fhir.requests.some((q) => q.account === "ok" && q.method === "POST" && q.path === "/$convert-data" && q.status === 200),
        ).toBe(true);
    });

    it("an error after the template was fetched proves the registry was reached: a pass, with the service's words", () => {
        const r = resultOf(run, "customtemplate");
        expect(r.healthy).toBe(true);
        expect(part(r, "convert")[0]!.detail).toMatch(
            /^registry reached: template .*hl7templates@sha256:.* fetched; the probe did not convert with it \(400: /,
        );
    });

    it("import mode read back from the service's importConfiguration: drift fails; initial mode is reported", () => {
        expect(codes(resultOf(run, "importdrift"))).toEqual(["smoke-import-drift"]);
        expect(part(resultOf(run, "initialmode"), "import")[0]!.detail).toBe(
            "enabled, initial import mode (the service refuses API writes until it is turned off), from stinitialmode",
        );
    });

    it("no smoke when the authenticated read failed; outputs without fhirServiceId or the new fields skip each part", () => {
        const u = resultOf(run, "unreadable");
        expect(u.checks.find((c) => c.name === "smoke")).toMatchObject({ status: "skip", detail: "the authenticated read failed" });
        expect(s.fhir.requests.some((q) => q.account === "unreadable" && q.path === "/$export")).toBe(false);
        const legacy = resultOf(run, "legacy");
        expect(legacy.healthy).toBe(true);
        expect(legacy.smoke?.map((p) => [p.name, p.status, p.detail])).toEqual([
            ["export", "skip", "stack outputs lack exportStorageAccount/fhirServiceId (redeploy with this version)"],
            ["convert", "skip", "no registry (acr)"],
            ["import", "skip", "importEnabled not in the outputs"],
        ]);
        expect(legacy.checks.find((c) => c.name === "smoke")?.status).toBe("skip");
    });

    it("never prints a token", () => {
        expect(rig.signer.leaksIn([run.stdout, run.stderr, JSON.stringify(run.report ?? {})].join("\n"))).toEqual([]);
    });

    it("exit code 1, and --smoke-timeout-s is validated", async () => {
        expect(run.code).toBe(1);
        const bad = await rig.verify(s, ["--smoke", "--smoke-timeout-s", "0"]);
        expect(bad.code).toBe(2);
        expect(bad.stderr).toContain("--smoke-timeout-s: expected an integer >= 1");
    });
});

describe("without --smoke nothing is written", () => {
    it("no $export, no container, no $convert-data", async () => {
        const s = await rig.setup({ quiet: full() });
        const run = await rig.verify(s);
        expect(run.code).toBe(0);
        expect(s.fhir.requests.some((q) => q.path === "/$export" || q.path === "/$convert-data")).toBe(false);
        expect(s.arm.requests.some((q) => q.kind === "container" || q.kind === "storage")).toBe(false);
        expect(run.stdout).not.toContain("SMOKE (--smoke");
    });
});

describe("no ARM token", () => {
    it("export and import fail as the smoke test's own ARM problem, with the token diagnosis; nothing is written", async () => {
        const s = await rig.setup({ cloudless: full() });
        // Another cloud's ARM: the fake tenant knows no such resource, so no ARM token (and no request leaves the machine).
        const run = await rig.verify(s, ["--smoke", "--arm-endpoint", "https://management.usgovcloudapi.net"]);
        const r = resultOf(run, "cloudless");
        const smoke = r.diagnoses.filter((d) => d.code.startsWith("smoke-"));
        expect(smoke.map((d) => d.code)).toEqual(["smoke-arm", "smoke-arm"]);
        expect(smoke.map((d) => d.summary.split(":")[0])).toEqual(["export", "import"]);
        expect(smoke[0]!.summary).toContain(
            "export: no token for Azure Resource Manager: Entra ID knows no resource https://management.usgovcloudapi.net",
        );
        expect(s.fhir.requests.some((q) => q.path === "/$export")).toBe(false);
        expect(part(r, "convert")[0]?.status).toBe("pass"); // $convert-data needs no ARM
    });
});

describe("smoke classification (pure)", () => {
    // The export's storage error code comes first, then its status; $convert-data's words, then its status.
    it.each([
        ["export", 403, "… ErrorCode: AuthorizationPermissionMismatch", "rbac"],
        ["export", 403, "… ErrorCode: AuthorizationFailure", "firewall"],
        ["export", 401, "Unable to get an access token", "identity"],
        ["export", 403, "refused", "firewall"],
        ["export", 500, "boom", "failed"],
        ["convert", 400, "The container registry 'a.azurecr.io' is not configured.", "registry-config"],
        ["convert", 400, "Failed to access container registry 'a.azurecr.io'.", "acrpull"],
        ["convert", 400, "Template collection 'a.azurecr.io/t:1' is not found.", "image"],
        ["convert", 403, "Authorization failed.", "caller"],
        ["convert", 400, "Failed to render the template 'ADT_A01'.", "after-fetch"],
        ["convert", 500, "boom", "failed"],
    ] as const)("%s failure %i %j: %s", (kind, status, text, cause) => {
        expect((kind === "export" ? classifyExportFailure : classifyConvertFailure)(status, text)).toBe(cause);
    });
    it("template references: a digest or a tag is kept, an image with neither gets :latest", () => {
        expect(templateReference(IMAGE)).toEqual({ reference: IMAGE, loginServer: ACR, guessedTag: false });
        expect(templateReference(`${ACR}/t`)).toEqual({ reference: `${ACR}/t:latest`, loginServer: ACR, guessedTag: true });
        // The dev stack's image names carry their tag (imageName "hl7v2templates:default").
        expect(templateReference(`${ACR}/hl7v2templates:default`)).toEqual({
            reference: `${ACR}/hl7v2templates:default`,
            loginServer: ACR,
            guessedTag: false,
        });
    });
    it("container names are valid (3-63 lowercase letters, digits, hyphens) and differ per run", () => {
        const a = smokeContainerName(NOW, () => 0);
        expect(a).toBe("fhir-verify-20261115120000-0000");
        expect(a).toMatch(/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/);
        expect(smokeContainerName(NOW, () => 0.5)).not.toBe(a);
    });
});
