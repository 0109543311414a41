/**
 * The placement lock, written (`npm run place`): computes the stack's placement (subscription and workspace of every
 * account) and the keys Azure fixed at creation, from its config and its lock, with the same validation as the
 * program, and writes `Pulumi.<stack>.placement.json`. Accounts already in the lock never move; new ones are placed; a
 * new keyName is recorded next to the old key. `check` writes nothing and fails when the lock is not what this would
 * write (CI). `acceptKeySettings` records the config's rotation interval for an account whose rotation policy was
 * changed in Key Vault itself (never a key size). `forget` drops what the lock records of accounts never deployed (a
 * key-size typo before the first `pulumi up`) and places them again, as new.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { lockFileName, readPlacementLock, resolveStack } from "../config";
import { configSource, rawAccountNames, readStackConfig } from "../harness/stackFiles";

export interface PlaceOptions {
    stack: string;
    projectDir: string;
    check?: boolean;
    acceptKeySettings?: readonly string[];
    /** Accounts never deployed whose lock entry (placement and keys) is dropped and written again from the config. */
    forget?: readonly string[];
}

export interface PlaceResult {
    /** 0 written or up to date, 1 out of date (check), 2 an account named in acceptKeySettings or forget is unknown. */
    code: 0 | 1 | 2;
    /** One line per account, then what happened to the lock. */
    lines: string[];
    /** Usage problems (code 2). */
    errors: string[];
}

export function place(o: PlaceOptions): PlaceResult {
    const accept = o.acceptKeySettings ?? [];
    const known = rawAccountNames(readStackConfig(o.stack, o.projectDir));
    const unknown = accept.filter((a) => !known.includes(a));
    if (unknown.length) {
        return {
            code: 2,
            lines: [],
            errors: [
                `--accept-key-settings: no account ${unknown.map((a) => `'${a}'`).join(", ")} in Pulumi.${o.stack}.yaml; accounts: ` +
                    `${known.join(", ")}`,
            ],
        };
    }
    const previous = readPlacementLock(o.projectDir, o.stack);
    const forget = o.forget ?? [];
    const unlocked = forget.filter((a) => previous?.accounts[a] === undefined);
    if (unlocked.length) {
        return {
            code: 2,
            lines: [],
            errors: [
                `--forget: ${unlocked.map((a) => `'${a}'`).join(", ")} not in ${lockFileName(o.stack)}; it holds: ` +
                    `${Object.keys(previous?.accounts ?? {}).join(", ") || "nothing"}`,
            ],
        };
    }
    const lock =
        previous && forget.length
            ? { ...previous, accounts: Object.fromEntries(Object.entries(previous.accounts).filter(([a]) => !forget.includes(a))) }
            : undefined;
    // The same validation as the program (config, placement, derived names): a lock is written only for a stack that
    // would deploy. A ConfigValidationError propagates with every problem.
    const { placement } = resolveStack({
        config: configSource(readStackConfig(o.stack, o.projectDir)),
        stack: o.stack,
        projectDir: o.projectDir,
        placementOptions: { acceptKeySettings: accept },
        ...(lock ? { lock } : {}),
    });
    const file = path.join(o.projectDir, lockFileName(o.stack));
    const removed = Object.keys(previous?.accounts ?? {})
        .filter((a) => !(a in placement.lock.accounts))
        .sort();
    const text = `${JSON.stringify(placement.lock, null, 2)}\n`;
    const lines = placement.placements.map(
        (p) =>
            `${p.account.padEnd(14)} subscription ${p.subscription.padEnd(14)} workspace ` +
            `${p.workspaceGroup}${placement.newlyPlaced.includes(p.account) ? "  (new)" : ""}`,
    );
    if (removed.length) lines.push(`no longer in config (dropped from the lock): ${removed.join(", ")}`);
    if (o.check) {
        const stale = (previous ? `${JSON.stringify(previous, null, 2)}\n` : undefined) !== text;
        lines.push(
            stale
                ? `${lockFileName(o.stack)} is out of date: run npm run place -- --stack ${o.stack}`
                : `${lockFileName(o.stack)} is up to date`,
        );
        return { code: stale ? 1 : 0, lines, errors: [] };
    }
    fs.writeFileSync(file, text);
    lines.push(`wrote ${path.relative(process.cwd(), file) || file}`);
    return { code: 0, lines, errors: [] };
}
