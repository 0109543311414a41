/**
 * Quota-aware, stable placement of accounts into AHDS workspaces and subscriptions.
 *
 * Moving an account to another workspace or subscription replaces its FHIR service (and loses its data), so
 * placement must never change for an existing account. A pure function of the config cannot promise that when
 * capacity is bounded (removing one account would let another "fit" earlier), so placement has a memory: the
 * placement lock, `Pulumi.<stack>.placement.json`, committed beside the stack file like a package lock.
 * Every account in the lock keeps its place; only new accounts are placed, in name order, into the first
 * workspace with room (shared) or the first subscription with room (dedicated). `npm run place` writes the lock.
 *
 * The lock also remembers what Azure fixes when it creates an account's customer-managed key: its name, size and
 * rotation policy (ARM's "Keys - Create If Not Exist" creates only a key's first version and answers 400
 * KeyCreationParametersDidNotMatchExistingKey to other parameters). A config that changes them for a deployed key could
 * never reach Azure, so it is an error naming the account and what to do; a new key name
 * is a new key, and the lock keeps the old ones, which the program keeps (and keeps granted) so nothing they
 * encrypted is lost.
 */
import { AHDS_DEFAULT_QUOTAS } from "../azure/facts";
import type { AccountConfig, ConfigProblem, PlatformConfig, SubscriptionConfig } from "./schema";

/** A customer-managed key as Azure created it (fixed from then on). */
export interface LockedKey {
    name: string;
    size: number;
    rotationDays: number;
}

export interface Placement {
    account: string;
    subscription: string;
    /** Workspace group: the account name itself when dedicated, else a shared group. */
    workspaceGroup: string;
    dedicated: boolean;
    /** Every key of the account, in the order Azure created them (the first keeps the original resource names). */
    keys: LockedKey[];
    /** The key in use (the config's keyName): the FHIR service and the export storage are encrypted with it. */
    currentKey: LockedKey;
}

export interface LockEntry {
    subscription: string;
    workspace: string;
    /** Absent in locks written before keys were recorded: filled from the config by the next `npm run place`. */
    keys?: LockedKey[];
}

export interface PlacementLock {
    version: 1;
    accounts: Record<string, LockEntry>;
}

export interface PlacementOptions {
    /**
     * Accounts whose current key's rotation interval is taken from the config even where the lock records another: for a
     * rotation policy changed in Key Vault itself (`npm run place -- --accept-key-settings <account>`). Never its size.
     */
    acceptKeySettings?: readonly string[];
}

export interface PlacementResult {
    placements: Placement[];
    problems: ConfigProblem[];
    /** The lock to write back: previous entries of current accounts plus the new ones, sorted. */
    lock: PlacementLock;
    /** Accounts placed in this run (not found in the lock). */
    newlyPlaced: string[];
}

/** Name of automatically created shared workspace groups: pool01, pool02, ... */
export function poolName(n: number): string {
    return `pool${String(n).padStart(2, "0")}`;
}

/** Network settings are per workspace: accounts sharing one must agree. */
function networkKey(a: AccountConfig): string {
    return `${a.publicNetworkAccess}|${a.privateEndpointSubnetId ?? ""}`;
}

interface GroupState {
    name: string;
    subscription: string;
    members: string[];
    network: string;
    dedicated: boolean;
}

const keyOf = (a: AccountConfig): LockedKey => ({ name: a.keyName, size: a.keySize, rotationDays: a.keyRotationDays });

/**
 * The account's keys: the lock's, then the config's current key when it is new (creation order is kept: it decides
 * resource names). A current key the lock records with another size is a problem (Azure would never apply it: a new
 * key name moves to another size, `npm run place -- --forget` corrects an account never deployed); another rotation
 * interval is a problem unless the account is in `accept` (the policy was changed in Key Vault itself).
 */
function resolveKeys(
    a: AccountConfig,
    index: number,
    entry: LockEntry | undefined,
    accept: boolean,
    lockFile: string,
    problems: ConfigProblem[],
): { keys: LockedKey[]; currentKey: LockedKey } {
    const wanted = keyOf(a);
    const recorded = entry?.keys ?? [];
    const same = recorded.find((k) => k.name === wanted.name);
    if (!same) return { keys: [...recorded, wanted], currentKey: wanted };
    const path = `accounts[${index}]`;
    const stack = /^Pulumi\.(.+)\.placement\.json$/.exec(lockFile)?.[1] ?? "<stack>";
    const fixed =
        'Azure sets a key\'s size and rotation policy only when it creates the key (ARM "Keys - Create If Not Exist" refuses ' +
        "other parameters for an existing key: 400 KeyCreationParametersDidNotMatchExistingKey), so this change would never reach " +
        "Azure";
    const sizeChanged = same.size !== wanted.size;
    const rotationRefused = same.rotationDays !== wanted.rotationDays && !accept;
    if (sizeChanged) {
        problems.push({
            path: `${path}.keySize`,
            account: a.name,
            message:
                `${wanted.size} differs from key '${same.name}' as Azure created it (${same.size} bits, recorded in ${lockFile}): ` +
                `${fixed}. Keep keySize: ${same.size}, or move to a new key: set keyName to a new name (e.g. ${nextKeyName(recorded)}) ` +
                `with keySize: ${wanted.size}; the old key is kept, so nothing it encrypted is lost (docs/keys.md, "Changing a key's ` +
                `size"). Never deployed (a typo before the first pulumi up)? Nothing exists to protect: npm run place -- --stack ` +
                `${stack} --forget ${a.name} records the config as it is`,
        });
    }
    if (rotationRefused) {
        problems.push({
            path: `${path}.keyRotationDays`,
            account: a.name,
            message:
                `${wanted.rotationDays} differs from key '${same.name}''s rotation policy as Azure created it ` +
                `(${same.rotationDays} days, recorded in ${lockFile}): ${fixed}. ` +
                `Keep keyRotationDays: ${same.rotationDays}; or change the policy in Key Vault (az keyvault key rotation-policy ` +
                `update, docs/keys.md "Changing a key's rotation interval") and then record it: npm run place -- --stack ${stack} ` +
                `--accept-key-settings ${a.name}`,
        });
    }
    if (sizeChanged || rotationRefused) return { keys: recorded, currentKey: same };
    return { keys: recorded.map((k) => (k === same ? wanted : k)), currentKey: wanted };
}

/** A key name not used yet: fhir-cmk-2, fhir-cmk-3, ... */
function nextKeyName(keys: LockedKey[]): string {
    const base = keys[0]?.name.replace(/-\d+$/, "") ?? "fhir-cmk";
    for (let n = 2; ; n++) if (!keys.some((k) => k.name === `${base}-${n}`)) return `${base}-${n}`;
}

export function placeAccounts(
    cfg: PlatformConfig,
    lock?: PlacementLock,
    options: PlacementOptions = {},
    lockFile = "the placement lock",
): PlacementResult {
    const problems: ConfigProblem[] = [];
    const subs = new Map<string, SubscriptionConfig>(cfg.subscriptions.map((s) => [s.name, s]));
    const groups = new Map<string, GroupState>();
    const placementOf = new Map<string, Placement>();
    const dedicated = cfg.placement === "dedicated";
    const byName = new Map(cfg.accounts.map((a) => [a.name, a]));

    const addTo = (a: AccountConfig, group: string, subscription: string, isDedicated = dedicated): void => {
        let g = groups.get(group);
        if (!g) {
            g = { name: group, subscription, members: [], network: networkKey(a), dedicated: isDedicated };
            groups.set(group, g);
        }
        g.members.push(a.name);
        const index = cfg.accounts.indexOf(a);
        const { keys, currentKey } = resolveKeys(
            a,
            index,
            lock?.accounts[a.name],
            options.acceptKeySettings?.includes(a.name) ?? false,
            lockFile,
            problems,
        );
        placementOf.set(a.name, { account: a.name, subscription, workspaceGroup: group, dedicated: isDedicated, keys, currentKey });
    };

    // 1. Accounts in the lock keep their place; a config pin that contradicts the lock is an error, not a move.
    const locked = cfg.accounts.filter((a) => lock?.accounts[a.name] !== undefined).sort((x, y) => x.name.localeCompare(y.name));
    for (const a of locked) {
        const entry = lock!.accounts[a.name];
        if (!subs.has(entry.subscription)) {
            problems.push({
                path: "placement lock",
                account: a.name,
                message:
                    `is placed in subscription '${entry.subscription}', which is no longer in subscriptions; moving an account ` +
                    `replaces its FHIR service`,
            });
            continue;
        }
        if (a.subscription !== undefined && a.subscription !== entry.subscription) {
            problems.push({
                path: "subscription",
                account: a.name,
                message:
                    `pins subscription '${a.subscription}' but the account is deployed in '${entry.subscription}' (placement ` +
                    `lock); moving it would replace its FHIR service and lose its data`,
            });
        }
        if (a.workspace !== undefined && a.workspace !== entry.workspace) {
            problems.push({
                path: "workspace",
                account: a.name,
                message:
                    `pins workspace '${a.workspace}' but the account is deployed in '${entry.workspace}' (placement lock); ` +
                    `moving it would replace its FHIR service and lose its data`,
            });
        }
        if (dedicated && entry.workspace !== a.name) {
            problems.push({
                path: "placement",
                account: a.name,
                message:
                    `placement is dedicated but the lock puts the account in shared workspace '${entry.workspace}'; switching ` +
                    `modes would move it`,
            });
        }
        // A workspace group named after its account is that account's dedicated workspace (config forbids pinning a
        // shared group to an account name): it stays dedicated when the platform switches to shared placement, since
        // moving it into a shared workspace would replace its FHIR service. Only new accounts are packed.
        addTo(a, entry.workspace, entry.subscription, dedicated || entry.workspace === a.name);
    }

    // 2. New accounts, pinned ones first (they constrain the rest), each group in name order: deterministic.
    const fresh = cfg.accounts.filter((a) => !placementOf.has(a.name) && !lock?.accounts[a.name]);
    const pinned = fresh.filter((a) => a.workspace !== undefined).sort((x, y) => x.name.localeCompare(y.name));
    const free = fresh.filter((a) => a.workspace === undefined).sort((x, y) => x.name.localeCompare(y.name));

    const workspacesIn = (sub: string) => [...groups.values()].filter((g) => g.subscription === sub).length;
    const servicesIn = (sub: string) =>
        [...groups.values()].filter((g) => g.subscription === sub).reduce((n, g) => n + g.members.length, 0);
    const subHasRoom = (s: SubscriptionConfig, newWorkspace: boolean) =>
        servicesIn(s.name) < s.fhirServices && (!newWorkspace || workspacesIn(s.name) < s.workspaces);
    const candidateSubs = (a: AccountConfig) => (a.subscription ? [subs.get(a.subscription)!].filter(Boolean) : cfg.subscriptions);

    for (const a of pinned) {
        const existing = groups.get(a.workspace!);
        if (existing) {
            if (a.subscription && a.subscription !== existing.subscription) {
                problems.push({
                    path: "subscription",
                    account: a.name,
                    message: `pins subscription '${a.subscription}' but workspace '${a.workspace}' is in '${existing.subscription}'`,
                });
            }
            addTo(a, a.workspace!, existing.subscription);
        } else {
            const sub = candidateSubs(a).find((s) => subHasRoom(s, true)) ?? candidateSubs(a)[0];
            if (sub) addTo(a, a.workspace!, sub.name);
        }
    }

    let poolCounter = 1;
    const nextPool = () => {
        while (groups.has(poolName(poolCounter)) || byName.has(poolName(poolCounter))) poolCounter++;
        return poolName(poolCounter);
    };
    // Accounts that fit nowhere, by the subscriptions they could go to (all, or the one they pin): one problem each.
    const unplaced = new Map<string, { subs: SubscriptionConfig[]; accounts: string[] }>();
    const refuse = (a: AccountConfig, subsForA: SubscriptionConfig[]) => {
        const key = subsForA.map((s) => s.name).join(",");
        const entry = unplaced.get(key) ?? { subs: subsForA, accounts: [] };
        entry.accounts.push(a.name);
        unplaced.set(key, entry);
    };
    for (const a of free) {
        const subsForA = candidateSubs(a);
        if (dedicated) {
            const sub = subsForA.find((s) => subHasRoom(s, true));
            if (sub) addTo(a, a.name, sub.name);
            else refuse(a, subsForA);
            continue;
        }
        const target = [...groups.values()]
            .filter((g) => !g.dedicated && subsForA.some((s) => s.name === g.subscription))
            .filter((g) => g.network === networkKey(a) && g.members.length < subs.get(g.subscription)!.fhirServicesPerWorkspace)
            .filter((g) => servicesIn(g.subscription) < subs.get(g.subscription)!.fhirServices)
            .sort(
                (x, y) =>
                    cfg.subscriptions.findIndex((s) => s.name === x.subscription) -
                        cfg.subscriptions.findIndex((s) => s.name === y.subscription) || x.name.localeCompare(y.name),
            )[0];
        if (target) {
            addTo(a, target.name, target.subscription);
            continue;
        }
        const sub = subsForA.find((s) => subHasRoom(s, true));
        if (sub) addTo(a, nextPool(), sub.name);
        else refuse(a, subsForA);
    }
    for (const { subs: full, accounts } of unplaced.values()) {
        const usage = full
            .map(
                (s) =>
                    `'${s.name}' ${servicesIn(s.name)}/${s.fhirServices} FHIR services, ${workspacesIn(s.name)}/${s.workspaces} workspaces`,
            )
            .join("; ");
        const pinned = full.length === 1 && full.length < cfg.subscriptions.length;
        problems.push({
            path: "subscriptions",
            account: accounts.join(", "),
            message:
                `${accounts.length === 1 ? "does" : `${accounts.length} accounts do`} not fit: ${pinned ? "the pinned subscription is full" : "every subscription is full"} (${usage}). ` +
                `Azure's default quota is ${AHDS_DEFAULT_QUOTAS.fhirServicesPerSubscription} FHIR services per subscription ` +
                `(Microsoft Learn, "Supported FHIR features", Service limits). Either add a subscription to subscriptions (each holds ` +
                `${AHDS_DEFAULT_QUOTAS.fhirServicesPerSubscription} at the default quotas)${pinned ? " and pin the account there, or unpin it" : ""}, or, ` +
                `where Microsoft granted a quota increase for a subscription, declare it there: fhirServices: <granted>` +
                `${dedicated ? ", workspaces: <granted>" : ""}`,
        });
    }

    // 3. Capacity and consistency of the result (pins and locks can overfill what step 2 never would).
    for (const g of groups.values()) {
        const s = subs.get(g.subscription);
        if (!s) continue;
        if (g.members.length > s.fhirServicesPerWorkspace) {
            problems.push({
                path: "workspace",
                account: g.members.slice(s.fhirServicesPerWorkspace).join(", "),
                message:
                    `workspace '${g.name}' would hold ${g.members.length} FHIR services; subscription '${s.name}' allows ` +
                    `${s.fhirServicesPerWorkspace} per workspace (${[...g.members].sort().join(", ")})`,
            });
        }
        const nets = new Set(g.members.map((m) => networkKey(byName.get(m)!)));
        if (nets.size > 1) {
            problems.push({
                path: "publicNetworkAccess",
                account: [...g.members].sort().join(", "),
                message:
                    `accounts in workspace '${g.name}' disagree on publicNetworkAccess/privateEndpointSubnetId; network access ` +
                    `is set per workspace, so they must match`,
            });
        }
    }
    for (const s of cfg.subscriptions) {
        const w = workspacesIn(s.name);
        const f = servicesIn(s.name);
        // Only pins and the lock can get here: placement never overfills. A lock written before the quota was corrected
        // (an earlier release assumed 100 FHIR services per subscription) lands here too: deployed accounts never move,
        // so the way out is the quota Microsoft granted, or moving accounts by hand (decommission, then re-create).
        const wayOut =
            `; declare the quota Microsoft granted this subscription (subscriptions: - name: ${s.name} … fhirServices/workspaces), ` +
            `or place fewer accounts here (pins; the placement lock keeps deployed accounts where they are)`;
        if (w > s.workspaces)
            problems.push({
                path: "subscriptions",
                message: `subscription '${s.name}' would hold ${w} workspaces; its quota is ${s.workspaces}${wayOut}`,
            });
        if (f > s.fhirServices)
            problems.push({
                path: "subscriptions",
                message: `subscription '${s.name}' would hold ${f} FHIR services; its quota is ${s.fhirServices}${wayOut}`,
            });
    }

    const placements = cfg.accounts.map((a) => placementOf.get(a.name)).filter((p): p is Placement => p !== undefined);
    const lockOut: PlacementLock = { version: 1, accounts: {} };
    for (const p of [...placements].sort((x, y) => x.account.localeCompare(y.account))) {
        lockOut.accounts[p.account] = { subscription: p.subscription, workspace: p.workspaceGroup, keys: p.keys };
    }
    const newlyPlaced = placements
        .filter((p) => !lock?.accounts[p.account])
        .map((p) => p.account)
        .sort();
    return { placements, problems, lock: lockOut, newlyPlaced };
}

/** Parses a lock file's text, with problems named after the file. */
export function parsePlacementLock(text: string, file: string): PlacementLock {
    const data: unknown = JSON.parse(text);
    const ok =
        typeof data === "object" &&
        data !== null &&
        (data as { version?: unknown }).version === 1 &&
        typeof (data as { accounts?: unknown }).accounts === "object";
    if (!ok) throw new Error(`${file}: not a placement lock (expected {"version": 1, "accounts": {...}})`);
    for (const [account, entry] of Object.entries((data as PlacementLock).accounts)) {
        const keys: unknown = (entry as { keys?: unknown }).keys;
        const wellFormed = (k: unknown): boolean => {
            const o = k as Partial<LockedKey> | null;
            return (
                typeof o === "object" &&
                o !== null &&
                typeof o.name === "string" &&
                Number.isInteger(o.size) &&
                Number.isInteger(o.rotationDays)
            );
        };
        if (keys !== undefined && (!Array.isArray(keys) || keys.length === 0 || !keys.every(wellFormed))) {
            throw new Error(`${file}: account '${account}' has malformed keys (expected a non-empty list of { name, size, rotationDays })`);
        }
    }
    return data as PlacementLock;
}

export function lockFileName(stack: string): string {
    return `Pulumi.${stack}.placement.json`;
}
