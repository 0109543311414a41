/**
 * The fake Azure Resource Manager behind the fake `azure-native` and `random` providers: what a resource's ID and
 * outputs are, what azure-native's Check and Diff make of its inputs, and a table of the resources that "exist".
 *
 * Check and Diff follow the one table of provider rules (azure/providerRules.ts), which the offline plan diff reads too;
 * a type the table does not list is checked as given and replaced only on its name-like inputs (its path parameters).
 * Outputs come from the offline harness's `mockState` (the same Azure-shaped IDs, principal IDs, versioned key URIs
 * and vault URIs the mock-mode tests see), with a generic ARM-shaped fallback for any type it does not know, so a
 * resource type added to the components works here without a change. What Azure refuses is fakeAzure.ts's.
 *
 * The table is one JSON file per resource ID in a directory (`FHIR_FAKE_ARM_DIR`): it outlives the provider process,
 * so a second `pulumi up` or a destroy sees what the first created, and tests can read it.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { PROVIDER_RULES, type PropertyType, replacePaths, underPath } from "../../azure/providerRules";
import { mockState } from "../../harness/mockState";

export type PropertyMap = Record<string, unknown>;

/** A resource as the fake ARM keeps it. */
export interface ArmRecord {
    id: string;
    urn: string;
    type: string;
    inputs: PropertyMap;
    outputs: PropertyMap;
    /** When ARM created it (the fake clock, ms): role assignments propagate from then on; a key's versions count from then. */
    createdAt?: number;
    /** What Azure holds beyond what the provider last wrote (engine/plugins/armShapes.ts reads it on every GET). */
    azure?: AzureSide;
}

/** Azure's side of a resource that no PUT of the provider sets. */
export interface AzureSide {
    /** Properties changed outside Pulumi (the portal, a script), merged over the outputs on every read. */
    drift?: PropertyMap;
    /** The state a long-running operation ends in, when not Succeeded (one that failed: Failed). */
    provisioningState?: string;
    /** When the resource's long-running operation ends (fake clock, ms); until then GETs show it Creating (ARM RPC). */
    readyAt?: number;
    /** Out-of-band changes to a key's versions, by version (engine/plugins/keyVault.ts). */
    versionChanges?: Record<string, { enabled?: boolean; expires?: number; at: number }>;
}

/** `urn:pulumi:stack::project::parent$type::name` → type and logical name. */
export function parseUrn(urn: string): { type: string; name: string } {
    const parts = urn.split("::");
    const qualified = parts[2] ?? "";
    return { type: qualified.split("$").pop() ?? qualified, name: parts.slice(3).join("::") };
}

/**
 * The input that names a resource of a type mockState does not know: `<something>Name` other than the resource
 * group's, or plain `name`.
 */
function nameInput(inputs: PropertyMap): string | undefined {
    const candidates = Object.keys(inputs)
        .filter((k) => /Name$/.test(k) && k !== "resourceGroupName" && typeof inputs[k] === "string")
        .sort();
    const key = candidates[candidates.length - 1] ?? (typeof inputs.name === "string" ? "name" : undefined);
    return key ? (inputs[key] as string) : undefined;
}

/** `azure-native:network:PrivateDnsZoneGroup` → `Microsoft.Network/privateDnsZoneGroups` (close enough for a fake). */
function armResourceType(type: string): string {
    const [, module = "resources", kind = "Resource"] = type.split(":");
    const ns = module.charAt(0).toUpperCase() + module.slice(1);
    const plural = kind.charAt(0).toLowerCase() + kind.slice(1) + (kind.endsWith("s") ? "" : "s");
    return `Microsoft.${ns}/${plural}`;
}

/** ID and outputs for a resource: mockState's where it knows the type, an ARM-shaped ID otherwise. */
export function armState(type: string, name: string, inputs: PropertyMap, subscriptionId: string): { id: string; outputs: PropertyMap } {
    const { id, state } = mockState(type, name, inputs, subscriptionId);
    if (id !== `${type}/${name}`) return { id, outputs: state };
    // mockState's fallback (`type/name`) is not an ARM ID: build one from the inputs.
    const azureName = nameInput(inputs) ?? name;
    const scope =
        typeof inputs.scope === "string"
            ? inputs.scope
            : typeof inputs.resourceUri === "string"
              ? inputs.resourceUri
              : typeof inputs.resourceGroupName === "string"
                ? `/subscriptions/${subscriptionId}/resourceGroups/${inputs.resourceGroupName}`
                : `/subscriptions/${subscriptionId}`;
    return { id: `${scope}/providers/${armResourceType(type)}/${azureName}`, outputs: { ...state, name: azureName } };
}

/**
 * Paths whose change the provider answers with a replacement: the table's (azure/providerRules.ts) for a type it lists;
 * for any other type, its ARM path parameters as far as the input names tell (`*Name`, `scope`, `resourceUri`), which is
 * what azure-native replaces on when a type has no create-only property.
 */
function replaceKeys(type: string, inputs: PropertyMap): string[] {
    if (PROVIDER_RULES[type]) return replacePaths(type).map((p) => p.path);
    return Object.keys(inputs).filter((k) => /Name$/.test(k) || k === "scope" || k === "resourceUri");
}

/** The placeholder the engine sends for a value not known until apply (preview). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

function changedPaths(olds: unknown, news: unknown, at: string[]): string[][] {
    if (news === UNKNOWN) return [at];
    if (olds && news && typeof olds === "object" && typeof news === "object" && !Array.isArray(olds) && !Array.isArray(news)) {
        const o = olds as PropertyMap;
        const n = news as PropertyMap;
        const keys = [...new Set([...Object.keys(o), ...Object.keys(n)])].sort();
        return keys.flatMap((k) => changedPaths(o[k], n[k], [...at, k]));
    }
    return JSON.stringify(olds) === JSON.stringify(news) ? [] : [at];
}

function isMap(v: unknown): v is PropertyMap {
    return !!v && typeof v === "object" && !Array.isArray(v);
}

/**
 * What a preview shows as a resource's outputs: its inputs, and for what Azure computes (IDs, principal IDs, URIs) the
 * value it had before (`olds`, an update) or unknown (a create), as azure-native reports output-only properties.
 */
export function previewOutputs(inputs: PropertyMap, computed: PropertyMap, olds: PropertyMap = {}): PropertyMap {
    const merge = (input: unknown, output: unknown, old: unknown): unknown => {
        if (input === undefined) return old === undefined ? UNKNOWN : old;
        if (isMap(input) && isMap(output)) {
            const keys = new Set([...Object.keys(output), ...Object.keys(input)]);
            return Object.fromEntries([...keys].map((k) => [k, merge(input[k], output[k], isMap(old) ? old[k] : undefined)]));
        }
        return input;
    };
    return merge(inputs, computed, olds) as PropertyMap;
}

export interface InputDiff {
    /** Top-level inputs that differ. */
    changed: string[];
    /** Top-level inputs whose change forces a replacement. */
    replaces: string[];
}

/** azure-native compares a top-level `location` without case and spaces (diff.go applyAzureSpecificDiff). */
function normalizedLocation(m: PropertyMap): PropertyMap {
    return typeof m.location === "string" && m.location !== UNKNOWN ? { ...m, location: m.location.toLowerCase().replace(/ /g, "") } : m;
}

/**
 * Compares old and new inputs as azure-native's Diff does: a change at or under a replace path replaces (a parent that
 * replaces makes its children replace), any other change is an update. Keys the engine adds (`__defaults`) are not inputs.
 */
export function diffInputs(type: string, olds: PropertyMap, news: PropertyMap): InputDiff {
    const strip = (m: PropertyMap) => normalizedLocation(Object.fromEntries(Object.entries(m).filter(([k]) => !k.startsWith("__"))));
    const paths = changedPaths(strip(olds), strip(news), []);
    const changed = [...new Set(paths.map((p) => p[0]))];
    const keys = replaceKeys(type, { ...olds, ...news });
    const replaces = [...new Set(paths.filter((p) => keys.some((k) => underPath(p.join("."), k))).map((p) => p[0]))];
    return { changed, replaces };
}

/** The value at a dotted path, or undefined. */
export function valueAt(m: PropertyMap, dotted: string): unknown {
    let cur: unknown = m;
    for (const segment of dotted.split(".")) {
        if (!isMap(cur)) return undefined;
        cur = cur[segment];
    }
    return cur;
}

export interface CheckContext {
    olds: PropertyMap;
    /** The provider's `location` configuration, if set. */
    providerLocation?: string;
    /** A resource group's location as ARM has it (the fake table), if the group exists. */
    resourceGroupLocation(resourceGroupName: string): string | undefined;
}

function typeFailure(path: string, expected: PropertyType, value: unknown): string | undefined {
    const got = Array.isArray(value) ? "an array" : isMap(value) ? "an object" : `a ${typeof value}`;
    const ok =
        expected === "array"
            ? Array.isArray(value)
            : expected === "object"
              ? isMap(value)
              : expected === "integer" || expected === "number"
                ? typeof value === "number"
                : typeof value === expected;
    if (!ok) return `'${path}' should be of type '${expected}' but got ${got}`;
    if (expected === "integer" && typeof value === "number" && !Number.isInteger(value)) {
        return `'${path}' must be an integer but got ${value.toFixed(6)}`;
    }
    return undefined;
}

/**
 * azure-native's Check (provider.go Check, applyDefaults, validateType, validateProperty) for a type the table lists:
 * fills a missing `location` (old inputs, the provider's config, the resource group's location; unknown while the
 * group's name is) and `azureApiVersion`, then reports missing required properties, wrong types and names that break
 * the spec's length or pattern, in azure-native's words. Unknown values are not validated. Other types pass unchanged.
 */
export function checkInputs(type: string, news: PropertyMap, ctx: CheckContext): { inputs: PropertyMap; failures: string[] } {
    const r = PROVIDER_RULES[type];
    if (!r) return { inputs: news, failures: [] };
    const inputs = { ...news };
    if (r.autoLocation && inputs.location === undefined) {
        const rg = inputs.resourceGroupName;
        const location =
            ctx.olds.location ??
            ctx.providerLocation ??
            (rg === UNKNOWN ? UNKNOWN : typeof rg === "string" ? ctx.resourceGroupLocation(rg) : undefined);
        if (location !== undefined) inputs.location = location;
    }
    if (r.apiVersion && inputs.azureApiVersion === undefined) inputs.azureApiVersion = r.apiVersion;
    const failures: string[] = [];
    for (const { path } of r.required) {
        const parent = path.includes(".") ? valueAt(inputs, path.slice(0, path.lastIndexOf("."))) : inputs;
        if (!isMap(parent) || valueAt(inputs, path) !== undefined) continue;
        failures.push(
            `missing required property '${path}'${path === "location" ? ". Either set it explicitly or configure it with 'pulumi config set azure-native:location <value>'." : ""}`,
        );
    }
    for (const [path, expected] of Object.entries(r.types)) {
        const value = valueAt(inputs, path);
        if (value === undefined || value === UNKNOWN) continue;
        const failure = typeFailure(path, expected, value);
        if (failure) failures.push(failure);
    }
    for (const n of r.names) {
        const value = valueAt(inputs, n.path);
        if (typeof value !== "string" || value === UNKNOWN) continue;
        if (n.minLength !== undefined && value.length < n.minLength)
            failures.push(`'${n.path}' is too short (${value.length}): at least ${n.minLength} characters required`);
        if (n.maxLength !== undefined && value.length > n.maxLength)
            failures.push(`'${n.path}' is too long (${value.length}): at most ${n.maxLength} characters allowed`);
        if (n.pattern !== undefined && !new RegExp(n.pattern).test(value))
            failures.push(`'${n.path}' does not match expression '${n.pattern}'`);
    }
    return { inputs, failures };
}

/** What reading the table takes (the table itself, or a snapshot of it in memory). */
export type ArmTableView = Pick<FakeArmTable, "get" | "list">;

/** The table's records held in memory: reading it many times (a simulated day after day) costs no file reads. */
export function snapshotOf(records: readonly ArmRecord[]): ArmTableView {
    const byId = new Map(records.map((r) => [r.id.toLowerCase(), r]));
    return { get: (id: string) => byId.get(id.toLowerCase()), list: () => [...records] };
}

/** Freezes a parsed JSON value and everything in it: a cached record must not change under its other readers. */
function deepFreeze<T>(value: T): T {
    if (value && typeof value === "object" && !Object.isFrozen(value)) {
        Object.freeze(value);
        for (const v of Object.values(value)) deepFreeze(v);
    }
    return value;
}

/**
 * Every `*.json` file of a directory, parsed, each file read again only when it changed. Several provider processes
 * share the directory and write a file by renaming a new one over it (a new inode each time), so a file whose inode,
 * size and change time are as cached holds what was parsed. Without the cache, every create that checks a quota, a
 * global name or a customer-managed key read and parsed every record of the stack: about 45% of the fake providers'
 * CPU in an `up` of 100 accounts, growing with the square of the stack (BENCHMARKS.md, finding 7). The values
 * returned are frozen and shared: copy one before changing it.
 */
export class JsonDirectory<T> {
    private readonly parsed = new Map<string, { stamp: string; value: T }>();

    constructor(readonly dir: string) {}

    list(): T[] {
        const names = fs.readdirSync(this.dir).filter((f) => f.endsWith(".json"));
        const seen = new Set(names);
        for (const name of this.parsed.keys()) if (!seen.has(name)) this.parsed.delete(name);
        const values: T[] = [];
        for (const name of names) {
            const file = path.join(this.dir, name);
            const stat = fs.statSync(file, { throwIfNoEntry: false });
            if (!stat) continue; // deleted since the listing
            const stamp = `${stat.ino}:${stat.size}:${stat.ctimeMs}:${stat.mtimeMs}`;
            const cached = this.parsed.get(name);
            if (cached?.stamp === stamp) {
                values.push(cached.value);
                continue;
            }
            let text: string;
            try {
                text = fs.readFileSync(file, "utf8");
            } catch (e) {
                if ((e as NodeJS.ErrnoException).code === "ENOENT") continue;
                throw e;
            }
            const value = deepFreeze(JSON.parse(text) as T);
            this.parsed.set(name, { stamp, value });
            values.push(value);
        }
        return values;
    }
}

/** The resource table: one file per ID, so concurrent providers of one stack never rewrite each other's records. */
export class FakeArmTable {
    private readonly records: JsonDirectory<ArmRecord>;

    constructor(readonly dir: string) {
        fs.mkdirSync(dir, { recursive: true });
        this.records = new JsonDirectory<ArmRecord>(dir);
    }

    private file(id: string): string {
        return path.join(this.dir, `${crypto.createHash("sha256").update(id.toLowerCase()).digest("hex").slice(0, 40)}.json`);
    }

    get(id: string): ArmRecord | undefined {
        const f = this.file(id);
        return fs.existsSync(f) ? (JSON.parse(fs.readFileSync(f, "utf8")) as ArmRecord) : undefined;
    }

    /**
     * Creates a record; fails like azure-native when something already holds that ID: it never adopts silently (its
     * Create GETs the ID first and refuses, in these words: provider/pkg/azure/client_azcore.go CanCreate).
     */
    create(record: ArmRecord): void {
        if (this.get(record.id)) throw new Error(`cannot create already existing resource '${record.id}'`);
        this.write(record);
    }

    put(record: ArmRecord): void {
        this.write(record);
    }

    delete(id: string): boolean {
        const f = this.file(id);
        if (!fs.existsSync(f)) return false;
        fs.rmSync(f);
        return true;
    }

    /** Every record, frozen and shared (JsonDirectory): `get` returns a record of one's own to change and `put`. */
    list(): readonly ArmRecord[] {
        return this.records.list();
    }

    private write(record: ArmRecord): void {
        const f = this.file(record.id);
        const tmp = `${f}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, JSON.stringify(record, null, 1));
        fs.renameSync(tmp, f);
    }
}
