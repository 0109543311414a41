/**
 * `npm run place -- --stack dev [--check] [--accept-key-settings ACCOUNT ...]`: computes the stack's placement
 * (subscription and workspace of every account) and the keys Azure fixed at creation, from its config and its
 * placement lock, and writes the lock, `Pulumi.<stack>.placement.json`. Accounts already in the lock never move; new
 * ones are placed; a new keyName is recorded next to the old key. `--check` writes nothing and exits 1 when the lock
 * is not what this command would write (for CI). `--accept-key-settings` records the config's key settings for an
 * account whose rotation policy was changed in Key Vault itself.
 */
import * as fs from "fs";
import * as path from "path";
import { lockFileName, readPlacementLock, resolveStack } from "../config";
import { PROJECT_DIR, configSource, rawAccountNames, readStackConfig } from "../harness/stackFiles";
import { parseArgs } from "./lib/args";

function main(): number {
    const args = parseArgs(process.argv.slice(2), { stack: "string", check: "boolean", "accept-key-settings": "list", help: "boolean" });
    if (args.help || typeof args.stack !== "string") {
        console.log("usage: npm run place -- --stack <name> [--check] [--accept-key-settings <account> ...]");
        return args.help ? 0 : 2;
    }
    const stack = args.stack;
    const acceptKeySettings = (args["accept-key-settings"] as string[] | undefined) ?? [];
    const known = rawAccountNames(readStackConfig(stack));
    const unknown = acceptKeySettings.filter((a) => !known.includes(a));
    if (unknown.length) {
        console.error(`--accept-key-settings: no account ${unknown.map((a) => `'${a}'`).join(", ")} in Pulumi.${stack}.yaml; accounts: ${known.join(", ")}`);
        return 2;
    }
    // The same validation as the program (config, placement, derived names): a lock is written only for a stack
    // that would deploy.
    const { placement: result } = resolveStack({ config: configSource(readStackConfig(stack)), stack, projectDir: PROJECT_DIR, placementOptions: { acceptKeySettings } });
    const previous = readPlacementLock(PROJECT_DIR, stack);
    const file = path.join(PROJECT_DIR, lockFileName(stack));
    const removed = Object.keys(previous?.accounts ?? {}).filter((a) => !(a in result.lock.accounts)).sort();
    const text = JSON.stringify(result.lock, null, 2) + "\n";
    for (const p of result.placements) console.log(`${p.account.padEnd(14)} subscription ${p.subscription.padEnd(14)} workspace ${p.workspaceGroup}${result.newlyPlaced.includes(p.account) ? "  (new)" : ""}`);
    if (removed.length) console.log(`no longer in config (dropped from the lock): ${removed.join(", ")}`);
    if (args.check) {
        const current = previous ? JSON.stringify(previous, null, 2) + "\n" : undefined;
        const stale = current !== text;
        console.log(stale ? `${lockFileName(stack)} is out of date: run npm run place -- --stack ${stack}` : `${lockFileName(stack)} is up to date`);
        return stale ? 1 : 0;
    }
    fs.writeFileSync(file, text);
    console.log(`wrote ${path.relative(process.cwd(), file)}`);
    return 0;
}

try {
    process.exitCode = main();
} catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
    process.exitCode = 2;
}
