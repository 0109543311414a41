/**
 * Quota-aware, stable placement of accounts into AHDS workspaces and subscriptions.
 *
 * Moving an account to another workspace or subscription replaces its FHIR service (and loses its data), so an
 * existing account's place never changes. A pure function of the config cannot promise that when capacity is bounded
 * (removing one account would let another "fit" earlier), so placement has a memory: the placement lock,
 * `Pulumi.<stack>.placement.json`, committed beside the stack file like a package lock and written by `npm run place`.
 * Accounts in the lock keep their place; only new ones are placed, in name order, into the first workspace (shared) or
 * subscription (dedicated) with room.
 *
 * The lock also remembers what Azure fixes when it creates an account's customer-managed key: its name, size and
 * rotation policy (ARM's "Keys - Create If Not Exist" creates only a key's first version and answers 400
 * KeyCreationParametersDidNotMatchExistingKey to other parameters). Changing them for a deployed key is an error saying
 * what to do; a new key name is a new key, and the lock keeps the old ones, which the program keeps granted.
 */
import { z } from "zod";
import { AHDS_DEFAULT_QUOTAS } from "../azure/facts";
import type { ConfigProblem } from "./problems";
import type { AccountConfig, PlatformConfig, SubscriptionConfig } from "./schema";

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

/** The placement being built, phase by phase: each account's place, the workspace groups, and the problems found. */
class Packing {
    readonly subs: Map<string, SubscriptionConfig>;
    readonly byName: Map<string, AccountConfig>;
    readonly groups = new Map<string, GroupState>();
    readonly placements = new Map<string, Placement>();
    readonly problems: ConfigProblem[] = [];
    readonly dedicated: boolean;
    private poolCounter = 1;

    constructor(
        readonly cfg: PlatformConfig,
        readonly lock: PlacementLock | undefined,
        private readonly options: PlacementOptions,
        private readonly lockFile: string,
    ) {
        this.subs = new Map(cfg.subscriptions.map((s) => [s.name, s]));
        this.byName = new Map(cfg.accounts.map((a) => [a.name, a]));
        this.dedicated = cfg.placement === "dedicated";
    }

    place(a: AccountConfig, group: string, subscription: string, dedicated = this.dedicated): void {
        let g = this.groups.get(group);
        if (!g) {
            g = { name: group, subscription, members: [], network: networkKey(a), dedicated };
            this.groups.set(group, g);
        }
        g.members.push(a.name);
        const accept = this.options.acceptKeySettings?.includes(a.name) ?? false;
        const index = this.cfg.accounts.indexOf(a);
        const { keys, currentKey } = resolveKeys(a, index, this.lock?.accounts[a.name], accept, this.lockFile, this.problems);
        this.placements.set(a.name, { account: a.name, subscription, workspaceGroup: group, dedicated, keys, currentKey });
    }

    workspacesIn(sub: string): number {
        return [...this.groups.values()].filter((g) => g.subscription === sub).length;
    }

    servicesIn(sub: string): number {
        return [...this.groups.values()].filter((g) => g.subscription === sub).reduce((n, g) => n + g.members.length, 0);
    }

    /** The subscriptions an account may go to: the one it pins, or every one, in order. */
    candidates(a: AccountConfig): SubscriptionConfig[] {
        return a.subscription ? [this.subs.get(a.subscription)!].filter(Boolean) : this.cfg.subscriptions;
    }

    /** The first of them with room for one more FHIR service in a new workspace. */
    subscriptionWithRoom(a: AccountConfig): SubscriptionConfig | undefined {
        return this.candidates(a).find((s) => this.servicesIn(s.name) < s.fhirServices && this.workspacesIn(s.name) < s.workspaces);
    }

    /** The first shared workspace with room for the account (and the same network settings), by subscription order then name. */
    sharedWorkspaceWithRoom(a: AccountConfig): GroupState | undefined {
        const order = (g: GroupState) => this.cfg.subscriptions.findIndex((s) => s.name === g.subscription);
        return [...this.groups.values()]
            .filter((g) => !g.dedicated && this.candidates(a).some((s) => s.name === g.subscription))
            .filter((g) => g.network === networkKey(a) && g.members.length < this.subs.get(g.subscription)!.fhirServicesPerWorkspace)
            .filter((g) => this.servicesIn(g.subscription) < this.subs.get(g.subscription)!.fhirServices)
            .sort((x, y) => order(x) - order(y) || x.name.localeCompare(y.name))[0];
    }

    nextPool(): string {
        while (this.groups.has(poolName(this.poolCounter)) || this.byName.has(poolName(this.poolCounter))) this.poolCounter++;
        return poolName(this.poolCounter);
    }
}

const byName = (x: AccountConfig, y: AccountConfig) => x.name.localeCompare(y.name);

/** 1. Accounts in the lock keep their place; a config pin that contradicts the lock is an error, not a move. */
function placeLocked(p: Packing): void {
    for (const a of p.cfg.accounts.filter((x) => p.lock?.accounts[x.name] !== undefined).sort(byName)) {
        const entry = p.lock!.accounts[a.name];
        if (!p.subs.has(entry.subscription)) {
            p.problems.push({
                path: "placement lock",
                account: a.name,
                message:
                    `is placed in subscription '${entry.subscription}', which is no longer in subscriptions; moving an account ` +
                    `replaces its FHIR service`,
            });
            continue;
        }
        if (a.subscription !== undefined && a.subscription !== entry.subscription) {
            p.problems.push({
                path: "subscription",
                account: a.name,
                message:
                    `pins subscription '${a.subscription}' but the account is deployed in '${entry.subscription}' (placement ` +
                    `lock); moving it would replace its FHIR service and lose its data`,
            });
        }
        if (a.workspace !== undefined && a.workspace !== entry.workspace) {
            p.problems.push({
                path: "workspace",
                account: a.name,
                message:
                    `pins workspace '${a.workspace}' but the account is deployed in '${entry.workspace}' (placement lock); ` +
                    `moving it would replace its FHIR service and lose its data`,
            });
        }
        if (p.dedicated && entry.workspace !== a.name) {
            p.problems.push({
                path: "placement",
                account: a.name,
                message:
                    `placement is dedicated but the lock puts the account in shared workspace '${entry.workspace}'; switching ` +
                    `modes would move it`,
            });
        }
        // A group named after its account is that account's dedicated workspace (config forbids pinning a shared group
        // to an account name): it stays dedicated under shared placement, since moving it would replace its FHIR service.
        p.place(a, entry.workspace, entry.subscription, p.dedicated || entry.workspace === a.name);
    }
}

/** 2. New accounts pinned to a workspace (they constrain the rest), in name order. */
function placePinned(p: Packing, pinned: AccountConfig[]): void {
    for (const a of pinned) {
        const existing = p.groups.get(a.workspace!);
        if (existing) {
            if (a.subscription && a.subscription !== existing.subscription) {
                p.problems.push({
                    path: "subscription",
                    account: a.name,
                    message: `pins subscription '${a.subscription}' but workspace '${a.workspace}' is in '${existing.subscription}'`,
                });
            }
            p.place(a, a.workspace!, existing.subscription);
            continue;
        }
        // Even without room: phase 4 names the workspace or subscription that a pin overfills.
        const sub = p.subscriptionWithRoom(a) ?? p.candidates(a)[0];
        if (sub) p.place(a, a.workspace!, sub.name);
    }
}

/** 3. The other new accounts, in name order: into a shared workspace with room, else a new workspace; refused where none has room. */
function placeFree(p: Packing, free: AccountConfig[]): void {
    // Accounts that fit nowhere, by the subscriptions they could go to (all, or the one they pin): one problem each.
    const unplaced = new Map<string, { subs: SubscriptionConfig[]; accounts: string[] }>();
    for (const a of free) {
        const shared = p.dedicated ? undefined : p.sharedWorkspaceWithRoom(a);
        const sub = shared ? undefined : p.subscriptionWithRoom(a);
        if (shared) p.place(a, shared.name, shared.subscription);
        else if (sub) p.place(a, p.dedicated ? a.name : p.nextPool(), sub.name);
        else {
            const subs = p.candidates(a);
            const key = subs.map((s) => s.name).join(",");
            unplaced.set(key, { subs, accounts: [...(unplaced.get(key)?.accounts ?? []), a.name] });
        }
    }
    for (const { subs: full, accounts } of unplaced.values()) {
        const usage = full
            .map(
                (s) =>
                    `'${s.name}' ${p.servicesIn(s.name)}/${s.fhirServices} FHIR services, ${p.workspacesIn(s.name)}/${s.workspaces} workspaces`,
            )
            .join("; ");
        const pinned = full.length === 1 && full.length < p.cfg.subscriptions.length;
        p.problems.push({
            path: "subscriptions",
            account: accounts.join(", "),
            message:
                `${accounts.length === 1 ? "does" : `${accounts.length} accounts do`} not fit: ${pinned ? "the pinned subscription is full" : "every subscription is full"} (${usage}). ` +
                `Azure's default quota is ${AHDS_DEFAULT_QUOTAS.fhirServicesPerSubscription} FHIR services per subscription ` +
                `(Microsoft Learn, "Supported FHIR features", Service limits). Either add a subscription to subscriptions (each holds ` +
                `${AHDS_DEFAULT_QUOTAS.fhirServicesPerSubscription} at the default quotas)${pinned ? " and pin the account there, or unpin it" : ""}, or, ` +
                `where Microsoft granted a quota increase for a subscription, declare it there: fhirServices: <granted>` +
                `${p.dedicated ? ", workspaces: <granted>" : ""}`,
        });
    }
}

/** 4. Capacity and consistency of the result: pins and the lock can overfill what phase 3 never would. */
function checkCapacity(p: Packing): void {
    for (const g of p.groups.values()) {
        const s = p.subs.get(g.subscription);
        if (!s) continue;
        if (g.members.length > s.fhirServicesPerWorkspace) {
            p.problems.push({
                path: "workspace",
                account: g.members.slice(s.fhirServicesPerWorkspace).join(", "),
                message:
                    `workspace '${g.name}' would hold ${g.members.length} FHIR services; subscription '${s.name}' allows ` +
                    `${s.fhirServicesPerWorkspace} per workspace (${[...g.members].sort().join(", ")})`,
            });
        }
        if (new Set(g.members.map((m) => networkKey(p.byName.get(m)!))).size > 1) {
            p.problems.push({
                path: "publicNetworkAccess",
                account: [...g.members].sort().join(", "),
                message:
                    `accounts in workspace '${g.name}' disagree on publicNetworkAccess/privateEndpointSubnetId; network access ` +
                    `is set per workspace, so they must match`,
            });
        }
    }
    for (const s of p.cfg.subscriptions) {
        // A lock written before the quota was corrected (an earlier release assumed 100 FHIR services per subscription)
        // lands here too: deployed accounts never move, so the way out is the granted quota, or moving accounts by hand.
        const wayOut =
            `; declare the quota Microsoft granted this subscription (subscriptions: - name: ${s.name} … fhirServices/workspaces), ` +
            `or place fewer accounts here (pins; the placement lock keeps deployed accounts where they are)`;
        const [w, f] = [p.workspacesIn(s.name), p.servicesIn(s.name)];
        if (w > s.workspaces)
            p.problems.push({
                path: "subscriptions",
                message: `subscription '${s.name}' would hold ${w} workspaces; its quota is ${s.workspaces}${wayOut}`,
            });
        if (f > s.fhirServices)
            p.problems.push({
                path: "subscriptions",
                message: `subscription '${s.name}' would hold ${f} FHIR services; its quota is ${s.fhirServices}${wayOut}`,
            });
    }
}

export function placeAccounts(
    cfg: PlatformConfig,
    lock?: PlacementLock,
    options: PlacementOptions = {},
    lockFile = "the placement lock",
): PlacementResult {
    const p = new Packing(cfg, lock, options, lockFile);
    placeLocked(p);
    const fresh = cfg.accounts.filter((a) => !p.placements.has(a.name) && !lock?.accounts[a.name]).sort(byName);
    placePinned(
        p,
        fresh.filter((a) => a.workspace !== undefined),
    );
    placeFree(
        p,
        fresh.filter((a) => a.workspace === undefined),
    );
    checkCapacity(p);

    const placements = cfg.accounts.map((a) => p.placements.get(a.name)).filter((x): x is Placement => x !== undefined);
    const lockOut: PlacementLock = { version: 1, accounts: {} };
    for (const x of [...placements].sort((a, b) => a.account.localeCompare(b.account))) {
        lockOut.accounts[x.account] = { subscription: x.subscription, workspace: x.workspaceGroup, keys: x.keys };
    }
    const newlyPlaced = placements
        .filter((x) => !lock?.accounts[x.account])
        .map((x) => x.account)
        .sort();
    return { placements, problems: p.problems, lock: lockOut, newlyPlaced };
}

const LockSchema: z.ZodType<PlacementLock> = z.object({
    version: z.literal(1),
    accounts: z.record(
        z.string(),
        z.object({
            subscription: z.string(),
            workspace: z.string(),
            keys: z
                .array(z.object({ name: z.string(), size: z.int(), rotationDays: z.int() }))
                .min(1)
                .optional(),
        }),
    ),
});

/** Parses a lock file's text, with problems named after the file (and the account whose entry is malformed). */
export function parsePlacementLock(text: string, file: string): PlacementLock {
    const data: unknown = JSON.parse(text);
    const parsed = LockSchema.safeParse(data);
    // The file as written (not zod's copy): `npm run place -- --check` compares it byte for byte with the lock it would write.
    if (parsed.success) return data as PlacementLock;
    const [where, account, field] = parsed.error.issues[0].path;
    if (where !== "accounts" || account === undefined)
        throw new Error(`${file}: not a placement lock (expected {"version": 1, "accounts": {...}})`);
    throw new Error(
        field === "keys"
            ? `${file}: account '${String(account)}' has malformed keys (expected a non-empty list of { name, size, rotationDays })`
            : `${file}: account '${String(account)}' has a malformed entry (expected { subscription, workspace, keys? })`,
    );
}

export function lockFileName(stack: string): string {
    return `Pulumi.${stack}.placement.json`;
}
