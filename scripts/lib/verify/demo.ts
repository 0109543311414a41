/**
 * A verify run against the loopback fakes (test/fakes): a fake App Service managed identity endpoint that
 * @azure/identity's real ManagedIdentityCredential talks to, and a fake FHIR service with healthy and failing
 * accounts. Runs the real CLI code (runVerify) and prints what an engineer would see.
 *
 *   ts-node --transpile-only scripts/lib/verify/demo.ts
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { FakeSigner } from "../../../test/fakes/jwt";
import { startFakeManagedIdentity } from "../../../test/fakes/managedIdentity";
import { fakeStackOutputs, startFakeFhirServer } from "../../../test/fakes/fhirServer";
import { runVerify } from "./cli";

const TENANT = "72f988bf-0000-4000-8000-000000000001";

async function main(): Promise<number> {
    const signer = new FakeSigner();
    const fhir = await startFakeFhirServer({
        signer,
        tenantId: TENANT,
        accounts: {
            contoso: { behaviour: "healthy" },
            fabrikam: { behaviour: "healthy", smart: true },
            northwind: { behaviour: "throttled", throttle: 1, retryAfter: "1" },
            tailspin: { behaviour: "forbidden", export: false },
            woodgrove: { behaviour: "server-error" },
            litware: { behaviour: "healthy" },
            adatum: { behaviour: "hang" },
        },
    });
    const staleAudience = `${fhir.baseUrl}/litware-old`;
    const mi = await startFakeManagedIdentity({
        signer,
        tenantId: TENANT,
        knownResources: () => [...["contoso", "fabrikam", "northwind", "tailspin", "woodgrove", "litware", "adatum"].map((a) => fhir.audienceOf(a)), staleAudience],
    });
    const restoreEnv = mi.applyEnv();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "verify-demo-"));
    const outputsFile = path.join(dir, "outputs.json");
    fs.writeFileSync(
        outputsFile,
        JSON.stringify(
            fakeStackOutputs(fhir, TENANT, {
                contoso: {},
                fabrikam: { smartProxyEnabled: true },
                northwind: {},
                tailspin: { exportEnabled: false },
                woodgrove: {},
                litware: { audience: staleAudience },
                adatum: {},
            }),
            null,
            2,
        ),
    );
    const argv = ["--outputs", outputsFile, "--credential", "managed-identity", "--concurrency", "3", "--timeout-ms", "2000", "--retries", "2", "--json", path.join(dir, "report.json")];
    process.stdout.write(`$ npm run verify -- ${argv.join(" ").replaceAll(dir, "$TMP")}\n`);
    try {
        const code = await runVerify(argv, {
            stdout: (line) => process.stdout.write(`${line}\n`),
            stderr: (line) => process.stdout.write(`${line}\n`),
        });
        process.stdout.write(`exit code ${code}\n`);
        const report = fs.readFileSync(path.join(dir, "report.json"), "utf8");
        const leaked = signer.issued.filter((t) => report.includes(t));
        process.stdout.write(`(${signer.issued.length} tokens issued by the fake identity endpoint; ${leaked.length} found in the JSON report)\n`);
        return code;
    } finally {
        restoreEnv();
        await Promise.all([fhir.close(), mi.close()]);
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
