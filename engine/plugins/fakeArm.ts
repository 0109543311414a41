/**
 * The fake Azure Resource Manager behind the fake `azure-native` and `random` providers: what a resource's ID and
 * outputs are, what a change to its inputs means (update or replace), and a table of the resources that "exist".
 *
 * Outputs come from the offline harness's `mockState` (the same Azure-shaped IDs, principal IDs, versioned key URIs
 * and vault URIs the mock-mode tests see), with a generic ARM-shaped fallback for any type it does not know, so a
 * resource type added to the components works here without a change.
 *
 * The table is one JSON file per resource ID in a directory (`FHIR_FAKE_ARM_DIR`): it outlives the provider process,
 * so a second `pulumi up` or a destroy sees what the first created, and tests can read it.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { mockState } from "../../harness/mockState";

export type PropertyMap = Record<string, unknown>;

/** A resource as the fake ARM keeps it. */
export interface ArmRecord {
    id: string;
    urn: string;
    type: string;
    inputs: PropertyMap;
    outputs: PropertyMap;
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
 * Inputs whose change Azure cannot apply in place: names and what a resource is placed under (every path parameter
 * of an ARM ID), its region, and properties fixed at creation. A change to any of them replaces the resource.
 */
const CREATE_ONLY_KEYS = new Set([
    "name",
    "location",
    "kind",
    "scope",
    "resourceUri",
    "subnet",
    "keySize",
    "kty",
    "curveName",
    "isHnsEnabled",
    "requireInfrastructureEncryption",
]);
/** Types whose every input is fixed at creation (an Azure role assignment cannot be modified, only replaced). */
const IMMUTABLE_TYPES = new Set(["azure-native:authorization:RoleAssignment", "random:index/randomString:RandomString"]);

/** Whether a change at `propertyPath` (top-level input first) forces a replacement of a resource of `type`. */
export function isCreateOnly(type: string, propertyPath: string[]): boolean {
    if (IMMUTABLE_TYPES.has(type)) return true;
    const [top, ...nested] = propertyPath;
    if (/Name$/.test(top) || CREATE_ONLY_KEYS.has(top)) return true;
    // Nested create-only settings (`properties.keySize`); a nested `name` is a setting's value (`sku.name`), not a name.
    return nested.some((segment) => segment !== "name" && CREATE_ONLY_KEYS.has(segment));
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

/** Compares old and new inputs. Keys the engine adds for itself (`__defaults`) are not inputs. */
export function diffInputs(type: string, olds: PropertyMap, news: PropertyMap): InputDiff {
    const strip = (m: PropertyMap) => Object.fromEntries(Object.entries(m).filter(([k]) => !k.startsWith("__")));
    const paths = changedPaths(strip(olds), strip(news), []);
    const changed = [...new Set(paths.map((p) => p[0]))];
    const replaces = [...new Set(paths.filter((p) => isCreateOnly(type, p)).map((p) => p[0]))];
    return { changed, replaces };
}

/** The resource table: one file per ID, so concurrent providers of one stack never rewrite each other's records. */
export class FakeArmTable {
    constructor(readonly dir: string) {
        fs.mkdirSync(dir, { recursive: true });
    }

    private file(id: string): string {
        return path.join(this.dir, `${crypto.createHash("sha256").update(id.toLowerCase()).digest("hex").slice(0, 40)}.json`);
    }

    get(id: string): ArmRecord | undefined {
        const f = this.file(id);
        return fs.existsSync(f) ? (JSON.parse(fs.readFileSync(f, "utf8")) as ArmRecord) : undefined;
    }

    /** Creates a record; fails like azure-native when something already holds that ID (it never adopts silently). */
    create(record: ArmRecord): void {
        const existing = this.get(record.id);
        if (existing) {
            throw new Error(`resource ${record.id} already exists (created by ${existing.urn}); to manage it with Pulumi, import it`);
        }
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

    list(): ArmRecord[] {
        return fs
            .readdirSync(this.dir)
            .filter((f) => f.endsWith(".json"))
            .map((f) => JSON.parse(fs.readFileSync(path.join(this.dir, f), "utf8")) as ArmRecord);
    }

    private write(record: ArmRecord): void {
        const f = this.file(record.id);
        const tmp = `${f}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, JSON.stringify(record, null, 1));
        fs.renameSync(tmp, f);
    }
}
