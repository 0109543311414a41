/**
 * A verify run against the loopback fakes (test/fakes): a fake App Service managed identity endpoint that
 * @azure/identity's real ManagedIdentityCredential talks to, a fake FHIR service with healthy and failing accounts,
 * and a fake Azure Resource Manager whose key versions show a lagging rotation, a version about to expire and a
 * disabled one. With --smoke: contoso's export and $convert-data pass, fourthcoffee's export is refused by its storage
 * (role). wingtip is private and its host has no record in the private DNS zone (an injected resolver answers
 * NXDOMAIN for it). Runs the real CLI code (runVerify) and prints what an engineer would see.
 *
 *   npm run verify:demo
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ARM_AUDIENCE, startFakeArmServer } from "../fakes/armServer";
import { FakeSigner } from "../fakes/jwt";
import { startFakeManagedIdentity } from "../fakes/managedIdentity";
import { fakeStackOutputs, startFakeFhirServer } from "../fakes/fhirServer";
import { runVerify } from "../../tools/verify/cli";

const TENANT = "72f988bf-0000-4000-8000-000000000001";

async function main(): Promise<number> {
    const signer = new FakeSigner();
    const fhir = await startFakeFhirServer({
        signer,
        tenantId: TENANT,
        accounts: {
            contoso: { behaviour: "healthy" },
            fabrikam: { behaviour: "healthy" },
            northwind: { behaviour: "throttled", throttle: 1, retryAfter: "1" },
            tailspin: { behaviour: "forbidden", export: false },
            woodgrove: { behaviour: "server-error" },
            litware: { behaviour: "healthy" },
            adatum: { behaviour: "hang" },
            proseware: { behaviour: "healthy" },
            fourthcoffee: { behaviour: "healthy", exportJob: { result: "rbac" } },
            wingtip: { behaviour: "healthy" },
        },
    });
    // Key versions as ARM lists them; tailspin's outputs predate the key check (no fhirServiceId/keyId).
    const arm = await startFakeArmServer({
        signer,
        tenantId: TENANT,
        nowMs: Date.now(),
        accounts: {
            contoso: { behaviour: "healthy", acrLoginServers: ["contosoacr.azurecr.io"] },
            fabrikam: { behaviour: "pending" },
            northwind: { behaviour: "healthy" },
            woodgrove: { behaviour: "disabled" },
            litware: { behaviour: "healthy" },
            adatum: { behaviour: "healthy" },
            proseware: { behaviour: "lagging" },
            fourthcoffee: { behaviour: "expiring" },
            wingtip: { behaviour: "healthy" },
        },
    });
    const staleAudience = `${fhir.baseUrl}/litware-old`;
    // wingtip is private: its outputs name its real host, which this machine cannot resolve (no request goes to it).
    const wingtipUrl = "https://wswingtip-wingtip.fhir.azurehealthcareapis.com";
    const mi = await startFakeManagedIdentity({
        signer,
        tenantId: TENANT,
        knownResources: () => [
            ...[
                "contoso",
                "fabrikam",
                "northwind",
                "tailspin",
                "woodgrove",
                "litware",
                "adatum",
                "proseware",
                "fourthcoffee",
                "wingtip",
            ].map((a) => fhir.audienceOf(a)),
            staleAudience,
            wingtipUrl,
            ARM_AUDIENCE,
        ],
    });
    const restoreEnv = mi.applyEnv();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "verify-demo-"));
    const outputsFile = path.join(dir, "outputs.json");
    fs.writeFileSync(
        outputsFile,
        JSON.stringify(
            fakeStackOutputs(fhir, TENANT, {
                contoso: {
                    keyCheck: true,
                    acrLoginServers: ["contosoacr.azurecr.io"],
                    acrTemplateImages: [
                        "contosoacr.azurecr.io/hl7templates@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                    ],
                },
                fabrikam: { smartIdentityProviders: ["https://login.fabrikam-idp.example/v2.0"], keyCheck: true },
                northwind: { keyCheck: true },
                tailspin: { exportEnabled: false },
                woodgrove: { keyCheck: true },
                litware: { audience: staleAudience, keyCheck: true },
                adatum: { keyCheck: true },
                proseware: { keyCheck: true },
                fourthcoffee: { keyCheck: true },
                wingtip: { keyCheck: true, publicNetworkAccess: "Disabled", fhirUrl: wingtipUrl },
            }),
            null,
            2,
        ),
    );
    const argv = [
        "--outputs",
        outputsFile,
        "--credential",
        "managed-identity",
        "--concurrency",
        "3",
        "--timeout-ms",
        "2000",
        "--retries",
        "2",
        "--arm-endpoint",
        arm.baseUrl,
        "--smoke",
        "--json",
        path.join(dir, "report.json"),
    ];
    process.stdout.write(`$ npm run verify -- ${argv.join(" ").replaceAll(dir, "$TMP").replace(arm.baseUrl, "$FAKE_ARM")}\n`);
    try {
        // Only wingtip is private, so the resolver is asked once, for its host, and answers as a VNet linked to a zone
        // without wingtip's record would: NXDOMAIN.
        const resolveHost = async (host: string): Promise<never> => {
            throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" });
        };
        const code = await runVerify(argv, {
            stdout: (line) => process.stdout.write(`${line.replaceAll(arm.baseUrl, "$FAKE_ARM")}\n`),
            stderr: (line) => process.stdout.write(`${line.replaceAll(arm.baseUrl, "$FAKE_ARM")}\n`),
            resolveHost,
            smokePollMs: 200,
        });
        process.stdout.write(`exit code ${code}\n`);
        const report = fs.readFileSync(path.join(dir, "report.json"), "utf8");
        const leaked = signer.issued.filter((t) => report.includes(t));
        process.stdout.write(
            `(${signer.issued.length} tokens issued by the fake identity endpoint; ${leaked.length} found in the JSON report)\n`,
        );
        return code;
    } finally {
        restoreEnv();
        await Promise.all([fhir.close(), arm.close(), mi.close()]);
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

main().then(
    () => {
        // The demo's own exit code is 0 when it ran; the verify exit code is printed above.
        process.exitCode = 0;
    },
    (err: unknown) => {
        process.stderr.write(`demo failed: ${(err as Error).stack ?? String(err)}\n`);
        process.exitCode = 1;
    },
);
