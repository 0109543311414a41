/**
 * Time in the fake Azure's Key Vault: a key's versions as its rotation policy makes them, and the version a storage
 * account with a versionless key uses. Everything is computed from the fake clock (`now()`, FHIR_FAKE_NOW), so a test
 * moves three years forward by setting a date, not by waiting. The rules and their sources: azure/facts.ts KEY_LIFECYCLE.
 *
 * - A key's first version is made when ARM creates the key; with a rotation policy whose `rotate` action has a
 *   `timeAfterCreate` trigger, a new version appears that long after the previous one ("Automatically renew at a given
 *   time after creation"). The policy's `expiryTime` sets the expiry of each *new* version only ("It doesn't affect a
 *   current key"); the first version's expiry is the key's own `attributes.expires`.
 * - What someone does to a version out of band (disable it in the portal) is recorded on the key's record
 *   (`versionChanges`) and shows in every later read.
 * - A storage account encrypted with a versionless key checks the vault once a day (from its creation) and uses the
 *   newest version it found at its last check.
 */
import * as crypto from "node:crypto";
import { KEY_LIFECYCLE } from "../../azure/facts";
import type { ArmRecord, PropertyMap } from "./fakeArm";

const DAY_MS = 24 * 3600 * 1000;

/** One version of a key, times in epoch milliseconds. */
export interface KeyVersionState {
    version: string;
    created: number;
    updated: number;
    enabled: boolean;
    expires?: number;
}

function isMap(v: unknown): v is PropertyMap {
    return !!v && typeof v === "object" && !Array.isArray(v);
}

/** `P90D` → days. Only the day form is modelled (the program writes `P<n>D`); anything else is refused, not guessed. */
export function isoDays(duration: unknown, what: string): number | undefined {
    if (duration === undefined || duration === null) return undefined;
    const m = typeof duration === "string" ? /^P(\d+)D$/i.exec(duration) : null;
    if (!m) throw new Error(`fake Key Vault: ${what} '${String(duration)}' is not a P<n>D duration (the only form this fake models)`);
    return Number(m[1]);
}

/** The rotation policy's interval and the expiry it gives new versions, in days. */
export function rotationPolicyOf(keyInputs: PropertyMap): { rotateDays?: number; expiryDays?: number } {
    const props = isMap(keyInputs.properties) ? keyInputs.properties : {};
    const policy = isMap(props.rotationPolicy) ? props.rotationPolicy : {};
    const actions = Array.isArray(policy.lifetimeActions) ? policy.lifetimeActions : [];
    const rotate = actions.find(
        (a): a is PropertyMap => isMap(a) && isMap(a.action) && String(a.action.type ?? "").toLowerCase() === "rotate",
    );
    const trigger = rotate && isMap(rotate.trigger) ? rotate.trigger : {};
    const attributes = isMap(policy.attributes) ? policy.attributes : {};
    return {
        rotateDays: isoDays(trigger.timeAfterCreate, "rotation trigger timeAfterCreate"),
        expiryDays: isoDays(attributes.expiryTime, "rotation policy expiryTime"),
    };
}

/** Version IDs: the first is the one ARM gave when it created the key; later ones are 32 hex digits like Key Vault's. */
function versionId(record: ArmRecord, n: number): string {
    if (n === 0) {
        const first = String(record.outputs.keyUriWithVersion ?? "")
            .split("/")
            .pop();
        if (first) return first;
    }
    return crypto.createHash("sha256").update(`${record.id.toLowerCase()}/versions/${n}`).digest("hex").slice(0, 32);
}

/** Every version of a key that exists at `at`, oldest first. */
export function keyVersions(record: ArmRecord, at: number): KeyVersionState[] {
    const created = record.createdAt ?? at;
    if (at < created) return [];
    const { rotateDays, expiryDays } = rotationPolicyOf(record.inputs);
    const props = isMap(record.inputs.properties) ? record.inputs.properties : {};
    const firstExpires =
        isMap(props.attributes) && typeof props.attributes.expires === "number" ? props.attributes.expires * 1000 : undefined;
    const count = rotateDays ? Math.floor((at - created) / (rotateDays * DAY_MS)) + 1 : 1;
    const changes = record.azure?.versionChanges ?? {};
    const versions: KeyVersionState[] = [];
    for (let n = 0; n < count; n++) {
        const versionCreated = created + n * (rotateDays ?? 0) * DAY_MS;
        const version = versionId(record, n);
        const expires = n === 0 ? firstExpires : expiryDays !== undefined ? versionCreated + expiryDays * DAY_MS : undefined;
        const change = changes[version];
        const applies = change !== undefined && change.at <= at;
        versions.push({
            version,
            created: versionCreated,
            updated: applies ? change.at : versionCreated,
            enabled: applies && change.enabled !== undefined ? change.enabled : true,
            ...(applies && change.expires !== undefined ? { expires: change.expires } : expires !== undefined ? { expires } : {}),
        });
    }
    return versions;
}

/** The key's current version (what `Keys - Get` answers). */
export function currentVersion(record: ArmRecord, at: number): KeyVersionState | undefined {
    return keyVersions(record, at).at(-1);
}

/** `https://<vault>.vault.azure.net:443/keys/<key>` as ARM writes it (getKey.json). */
export function armKeyUri(vaultName: string, keyName: string): string {
    return `https://${vaultName}.vault.azure.net:443/keys/${keyName}`;
}

/**
 * The version a storage account with a versionless key uses at `at`: the newest version that existed at its last daily
 * check (checks at its creation and every 24 h after), and when it started using it.
 */
export function storageKeyVersion(
    storageCreatedAt: number,
    key: ArmRecord,
    at: number,
): { version: KeyVersionState; since: number } | undefined {
    if (at < storageCreatedAt) return undefined;
    const period = KEY_LIFECYCLE.storagePollHours * 3600 * 1000;
    const lastCheck = storageCreatedAt + Math.floor((at - storageCreatedAt) / period) * period;
    const version = currentVersion(key, lastCheck);
    if (!version) return undefined;
    // The first check at or after the version's creation is when storage switched to it.
    const since =
        version.created <= storageCreatedAt
            ? storageCreatedAt
            : storageCreatedAt + Math.ceil((version.created - storageCreatedAt) / period) * period;
    return { version, since };
}
