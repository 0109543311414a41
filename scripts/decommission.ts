/**
 * `npm run decommission -- --stack dev --account contoso`: prints, for one account, the exact commands that lift
 * Pulumi's protection from its resources (and only its), in the order to run them before removing the account
 * from the stack file. Prints; never runs anything. The URNs come from the real program under mocks, which
 * builds the same URNs as `pulumi up` (same project, stack, types and parent chain).
 */
import { parseArgs } from "./lib/args";
import { accountOf } from "../harness/plan";
import { runStack } from "../harness/runStack";

async function main(): Promise<number> {
    const args = parseArgs(process.argv.slice(2), { stack: "string", account: "string", "project-dir": "string", help: "boolean" });
    if (args.help || typeof args.stack !== "string" || typeof args.account !== "string") {
        console.log("usage: npm run decommission -- --stack <name> --account <account> [--project-dir DIR]");
        return args.help ? 0 : 2;
    }
    const { stack, account } = args;
    const run = await runStack({ stack, ...(typeof args["project-dir"] === "string" ? { projectDir: args["project-dir"] } : {}) });
    const byUrn = new Map(run.resources.map((r) => [r.urn, r]));
    const mine = run.resources.filter((r) => r.protect && accountOf(r, byUrn) === account);
    if (mine.length === 0) {
        console.error(`stack '${stack}' has no protected resources of account '${account}'`);
        return 2;
    }
    console.log(`# Decommission account '${account}' of stack '${stack}' (${mine.length} protected resources).`);
    console.log(`# 1. Export what you must keep (FHIR $export), and confirm with the account owner.`);
    console.log(`# 2. Lift protection of this account's resources only:`);
    for (const r of mine) console.log(`pulumi state unprotect --stack ${stack} --yes '${r.urn}'`);
    console.log(`# 3. Remove '${account}' from Pulumi.${stack}.yaml, then: npm run place -- --stack ${stack}`);
    console.log(`# 4. pulumi preview --stack ${stack}   (expect deletes of '${account}' only), then pulumi up --stack ${stack}`);
    console.log(`# The key vault stays soft-deleted (purge protection: its name and key are kept ${90} days); storage blobs stay soft-deleted 30 days.`);
    return 0;
}

main().then(
    (code) => {
        process.exitCode = code;
    },
    (e: unknown) => {
        console.error(e instanceof Error ? e.message : e);
        process.exitCode = 2;
    },
);
