/**
 * How the fake Azure behaves on Create, Update and Delete, as far as this program must cope with it. Every rule reads
 * its numbers, lists and ARM answers from azure/facts.ts, where each has its public source:
 * - quotas per subscription and per workspace (AHDS_DEFAULT_QUOTAS; a raised quota only where FHIR_FAKE_QUOTAS says
 *   Microsoft granted one), answered with ARM_ERRORS.quotaExceeded;
 * - regions that offer the FHIR service (FHIR_REGIONS, FHIR_RETIRED_REGIONS), ZRS storage only in ZRS_REGIONS, the
 *   retired SMART on FHIR proxy (RETIRED_FEATURES);
 * - globally unique names (GLOBALLY_UNIQUE_NAME_INPUTS) across every stack of one fake tenant, and a soft-deleted vault's
 *   name reserved until its retention ends (KEY_VAULT_SOFT_DELETE_DAYS; with purge protection nobody can purge earlier);
 * - `Keys_CreateIfNotExist`: an existing key is returned unchanged, other parameters answer ARM_ERRORS.keyParametersDiffer;
 * - a FHIR service or storage account created with a customer-managed key fails (ARM_ERRORS.keyAccessDenied) until its
 *   identity's Key Vault Crypto Service Encryption User grant is older than the propagation delay
 *   (FHIR_FAKE_RBAC_PROPAGATION_SECONDS, default 0; Azure: "up to 10 minutes", RBAC_PROPAGATION_SECONDS);
 * - private DNS: a private endpoint's DNS zone group gets an A record for each FHIR service its workspace had when the
 *   group was last written (Private Link page: "Refresh the private endpoint if DNS A records are not getting updated
 *   for the newly added service(s)").
 *
 * The tenant (names, soft-deleted vaults, every subscription's resources for quotas) is a directory shared by every
 * fake provider process and every stack that points at it (FHIR_FAKE_TENANT_DIR), one file per entry, written
 * atomically. Time comes from one function, `now()`, which FHIR_FAKE_NOW (ISO date or epoch ms) can pin.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import {
    AHDS_DEFAULT_QUOTAS,
    AHDS_PRIVATE_DNS_ZONES,
    ARM_ERRORS,
    BUILT_IN_ROLES,
    FHIR_REGIONS,
    FHIR_RETIRED_REGIONS,
    GLOBALLY_UNIQUE_NAME_INPUTS,
    KEY_VAULT_SOFT_DELETE_DAYS,
    RETIRED_FEATURES,
    ZRS_REGIONS,
} from "../../azure/facts";
import { azureOutputs } from "./armShapes";
import { type ArmRecord, type ArmTableView, type AzureSide, type FakeArmTable, JsonDirectory, type PropertyMap, valueAt } from "./fakeArm";
import { keyVersions } from "./keyVault";

/** The fake clock (ms): FHIR_FAKE_NOW when set, the machine's clock otherwise. */
export function now(): number {
    const pinned = process.env.FHIR_FAKE_NOW;
    if (!pinned) return Date.now();
    return /^\d+$/.test(pinned) ? Number(pinned) : Date.parse(pinned);
}

/** An ARM error as azure-native reports it (code and message). */
export class ArmError extends Error {
    constructor(
        readonly code: string,
        message: string,
        readonly status = 400,
    ) {
        super(`Status=${status} Code="${code}" Message="${message}"`);
    }
}

interface TenantEntry {
    id: string;
    type: string;
    subscriptionId: string;
    /** The globally unique name, lower-cased, for the types that have one. */
    globalName?: string;
    /** For a FHIR service: its workspace's ID (lower-cased). */
    workspaceId?: string;
}

interface DeletedVault {
    name: string;
    scheduledPurgeDate: number;
    purgeProtection: boolean;
}

/** The tenant-wide view: what exists in every subscription and stack, and the soft-deleted vaults. */
export class FakeTenant {
    private readonly entries: JsonDirectory<TenantEntry>;

    constructor(readonly dir: string) {
        fs.mkdirSync(path.join(dir, "resources"), { recursive: true });
        fs.mkdirSync(path.join(dir, "deleted-vaults"), { recursive: true });
        this.entries = new JsonDirectory<TenantEntry>(path.join(dir, "resources"));
    }

    private file(kind: string, key: string): string {
        return path.join(this.dir, kind, `${crypto.createHash("sha256").update(key.toLowerCase()).digest("hex").slice(0, 40)}.json`);
    }

    private write(f: string, value: unknown): void {
        const tmp = `${f}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, JSON.stringify(value));
        fs.renameSync(tmp, f);
    }

    /** What exists in the tenant, frozen and shared (engine/plugins/fakeArm.ts, JsonDirectory). */
    resources(): readonly TenantEntry[] {
        return this.entries.list();
    }

    add(entry: TenantEntry): void {
        this.write(this.file("resources", entry.id), entry);
    }

    remove(id: string): void {
        fs.rmSync(this.file("resources", id), { force: true });
    }

    deletedVault(name: string): DeletedVault | undefined {
        const f = this.file("deleted-vaults", name);
        if (!fs.existsSync(f)) return undefined;
        const v = JSON.parse(fs.readFileSync(f, "utf8")) as DeletedVault;
        if (v.scheduledPurgeDate > now()) return v;
        // Purged by Key Vault at the end of its retention.
        fs.rmSync(f, { force: true });
        return undefined;
    }

    softDeleteVault(v: DeletedVault): void {
        this.write(this.file("deleted-vaults", v.name), v);
    }
}

const lower = (s: unknown) => (typeof s === "string" ? s.toLowerCase().replace(/ /g, "") : undefined);

/** Raised quotas Microsoft granted, per subscription (FHIR_FAKE_QUOTAS: `{"<subscriptionId>": {"fhirServicesPerSubscription": 20}}`). */
function quotas(subscriptionId: string): typeof AHDS_DEFAULT_QUOTAS {
    const raised = JSON.parse(process.env.FHIR_FAKE_QUOTAS || "{}") as Record<string, Partial<typeof AHDS_DEFAULT_QUOTAS>>;
    return { ...AHDS_DEFAULT_QUOTAS, ...(raised[subscriptionId] ?? {}) };
}

/** Seconds a new role assignment takes to reach Key Vault in this fake (FHIR_FAKE_RBAC_PROPAGATION_SECONDS, default 0). */
export function propagationSeconds(): number {
    return Number(process.env.FHIR_FAKE_RBAC_PROPAGATION_SECONDS || 0);
}

const FHIR = "azure-native:healthcareapis:FhirService";
const WORKSPACE = "azure-native:healthcareapis:Workspace";
const STORAGE = "azure-native:storage:StorageAccount";
const VAULT = "azure-native:keyvault:Vault";
const KEY = "azure-native:keyvault:Key";
const ZONE_GROUP = "azure-native:network:PrivateDnsZoneGroup";
const KEY_PARAMETERS = ["kty", "keySize", "curveName", "keyOps", "rotationPolicy"];

function checkRegion(type: string, inputs: PropertyMap): void {
    if (type !== FHIR && type !== WORKSPACE) return;
    const location = lower(inputs.location);
    if (!location || (FHIR_REGIONS as readonly string[]).includes(location)) return;
    const armType = type === FHIR ? "Microsoft.HealthcareApis/workspaces/fhirservices" : "Microsoft.HealthcareApis/workspaces";
    const e = ARM_ERRORS.locationNotAvailable;
    const retired = FHIR_RETIRED_REGIONS[location];
    throw new ArmError(e.code, `${e.message(location, armType, FHIR_REGIONS)}${retired ? ` ${retired}` : ""}`);
}

function checkSku(type: string, inputs: PropertyMap): void {
    if (type !== STORAGE) return;
    const sku = valueAt(inputs, "sku.name");
    const location = lower(inputs.location);
    if (typeof sku !== "string" || !/_ZRS$/i.test(sku) || !location) return;
    if (!(ZRS_REGIONS as readonly string[]).includes(location)) {
        throw new ArmError(ARM_ERRORS.skuNotAvailable.code, ARM_ERRORS.skuNotAvailable.message(sku, location));
    }
}

function checkRetired(type: string, inputs: PropertyMap): void {
    if (type !== FHIR || valueAt(inputs, "authenticationConfiguration.smartProxyEnabled") !== true) return;
    const f = RETIRED_FEATURES.smartProxy;
    if (now() < Date.parse(f.retired)) return;
    throw new ArmError(ARM_ERRORS.featureRetired.code, ARM_ERRORS.featureRetired.message("The SMART on FHIR proxy", f.retired, f.instead));
}

function workspaceIdOf(fhirId: string): string {
    return fhirId.replace(/\/fhirservices\/[^/]+$/i, "").toLowerCase();
}

function checkQuotas(tenant: FakeTenant, type: string, id: string, subscriptionId: string): void {
    if (type !== FHIR && type !== WORKSPACE) return;
    const q = quotas(subscriptionId);
    const existing = tenant
        .resources()
        .filter((r) => r.type === type && r.subscriptionId === subscriptionId && r.id.toLowerCase() !== id.toLowerCase());
    const e = ARM_ERRORS.quotaExceeded;
    if (type === WORKSPACE && existing.length >= q.workspacesPerSubscription)
        throw new ArmError(e.code, e.message(`workspaces per subscription ${subscriptionId}`, q.workspacesPerSubscription));
    if (type !== FHIR) return;
    if (existing.length >= q.fhirServicesPerSubscription)
        throw new ArmError(e.code, e.message(`FHIR services per subscription ${subscriptionId}`, q.fhirServicesPerSubscription));
    const inWorkspace = existing.filter((r) => r.workspaceId === workspaceIdOf(id));
    if (inWorkspace.length >= q.fhirServicesPerWorkspace)
        throw new ArmError(e.code, e.message(`FHIR services per workspace ${workspaceIdOf(id)}`, q.fhirServicesPerWorkspace));
}

function globalNameOf(type: string, inputs: PropertyMap): string | undefined {
    const input = GLOBALLY_UNIQUE_NAME_INPUTS[type];
    return input ? lower(inputs[input]) : undefined;
}

function checkGlobalName(tenant: FakeTenant, type: string, inputs: PropertyMap): void {
    const name = globalNameOf(type, inputs);
    if (!name) return;
    if (type === VAULT && tenant.deletedVault(name)) {
        const e = ARM_ERRORS.vaultNameInDeletedState;
        throw new ArmError(e.code, e.message(name), 409);
    }
    // Held by any stack of the tenant (the same ID from another stack's table is the same Azure resource).
    const holder = tenant.resources().find((r) => r.type === type && r.globalName === name);
    if (!holder) return;
    const e = type === VAULT ? ARM_ERRORS.vaultNameTaken : type === STORAGE ? ARM_ERRORS.storageNameTaken : ARM_ERRORS.workspaceNameTaken;
    throw new ArmError(e.code, e.message(name), 409);
}

/** The user-assigned identities a resource names, and the key URL it encrypts with, when it uses a customer-managed key. */
function cmkOf(type: string, inputs: PropertyMap): { identityIds: string[]; keyUrl: string } | undefined {
    if (type === FHIR) {
        const keyUrl = valueAt(inputs, "encryption.customerManagedKeyEncryption.keyEncryptionKeyUrl");
        const ids = valueAt(inputs, "identity.userAssignedIdentities");
        const identityIds = Array.isArray(ids) ? ids.map(String) : ids && typeof ids === "object" ? Object.keys(ids) : [];
        return typeof keyUrl === "string" ? { identityIds, keyUrl } : undefined;
    }
    if (type === STORAGE && lower(valueAt(inputs, "encryption.keySource")) === "microsoft.keyvault") {
        const vaultUri = valueAt(inputs, "encryption.keyVaultProperties.keyVaultUri");
        const keyName = valueAt(inputs, "encryption.keyVaultProperties.keyName");
        const identity = valueAt(inputs, "encryption.encryptionIdentity.encryptionUserAssignedIdentity");
        if (typeof vaultUri !== "string" || typeof keyName !== "string") return undefined;
        return { identityIds: typeof identity === "string" ? [identity] : [], keyUrl: `${vaultUri.replace(/\/$/, "")}/keys/${keyName}` };
    }
    return undefined;
}

/** The key a customer-managed key URL names (its ARM ID, lower-cased) and the grants that let `identityIds` use it. */
function keyGrants(table: ArmTableView, cmk: { identityIds: string[]; keyUrl: string }): { keyId?: string; grants: ArmRecord[] } {
    const m = /^https:\/\/([^.]+)\.vault\.azure\.net(?::443)?\/keys\/([^/]+)/i.exec(cmk.keyUrl);
    const records = table.list();
    const vault = m ? records.find((r) => r.type === VAULT && lower(r.inputs.vaultName) === m[1].toLowerCase()) : undefined;
    const keyId = vault && m ? `${vault.id}/keys/${m[2]}`.toLowerCase() : undefined;
    const principals = new Set(
        cmk.identityIds
            .map((id) => table.get(id)?.outputs.principalId)
            .filter((p): p is string => typeof p === "string")
            .map((p) => p.toLowerCase()),
    );
    const role = BUILT_IN_ROLES["Key Vault Crypto Service Encryption User"];
    const grants = records.filter(
        (r) =>
            r.type === "azure-native:authorization:RoleAssignment" &&
            principals.has(String(r.inputs.principalId).toLowerCase()) &&
            String(r.inputs.roleDefinitionId).toLowerCase().endsWith(role) &&
            keyId !== undefined &&
            (keyId === String(r.inputs.scope).toLowerCase() || keyId.startsWith(`${String(r.inputs.scope).toLowerCase()}/`)),
    );
    return { ...(keyId ? { keyId } : {}), grants };
}

/** Whether one of the grants has propagated by `at`. */
function propagated(grants: ArmRecord[], at: number): boolean {
    const delayMs = propagationSeconds() * 1000;
    return grants.some((g) => (g.createdAt ?? 0) + delayMs <= at);
}

/**
 * A create with a customer-managed key succeeds only when one of the resource's identities holds Key Vault Crypto Service
 * Encryption User on the key (or its vault, group or subscription), granted at least the propagation delay ago.
 */
function checkKeyAccess(table: FakeArmTable, type: string, inputs: PropertyMap): void {
    const cmk = cmkOf(type, inputs);
    if (!cmk) return;
    const { keyId, grants } = keyGrants(table, cmk);
    if (propagated(grants, now())) return;
    const e = ARM_ERRORS.keyAccessDenied;
    throw new ArmError(
        e.code,
        `${e.message}\r\nAction: 'Microsoft.KeyVault/vaults/keys/wrapKey/action'\r\nResource: '${keyId ?? cmk.keyUrl}'`,
        403,
    );
}

/**
 * Why a FHIR service cannot use its customer-managed key at `at`, or undefined when it can (azure/facts.ts
 * KEY_LIFECYCLE: it is pinned to the versioned URL it was given, and answers 500 while it cannot use it): its identity
 * holds no propagated grant on the key, the key or that version is gone, the version is disabled, or it has expired (an
 * expired version still unwraps but no longer wraps: the service cannot protect new data).
 */
export function fhirKeyProblem(table: ArmTableView, fhir: ArmRecord, at: number): string | undefined {
    const cmk = cmkOf(FHIR, fhir.inputs);
    if (!cmk) return undefined;
    const m = /^https:\/\/([^.]+)\.vault\.azure\.net(?::443)?\/keys\/([^/]+)(?:\/([^/]+))?/i.exec(cmk.keyUrl);
    if (!m) return `key URL ${cmk.keyUrl} is not a Key Vault key`;
    const key = table
        .list()
        .find((r) => r.type === KEY && lower(r.inputs.vaultName) === m[1].toLowerCase() && lower(r.inputs.keyName) === m[2].toLowerCase());
    if (!key) return `key ${m[1]}/${m[2]} does not exist`;
    const versions = keyVersions(key, at);
    const version = m[3] ? versions.find((v) => v.version === m[3]) : versions.at(-1);
    if (!version) return `version ${m[3]} of ${m[1]}/${m[2]} does not exist`;
    if (!version.enabled) return `version ${version.version} is disabled`;
    if (version.expires !== undefined && version.expires <= at) return `version ${version.version} expired`;
    if (!propagated(keyGrants(table, cmk).grants, at))
        return "its identity holds no Key Vault Crypto Service Encryption User grant on the key";
    return undefined;
}

/** The A records a zone group gets: the workspace, and each FHIR service its workspace has now. */
function zoneGroupOutputs(table: FakeArmTable, inputs: PropertyMap, subscriptionId: string, outputs: PropertyMap): PropertyMap {
    const peId = `/subscriptions/${subscriptionId}/resourceGroups/${inputs.resourceGroupName}/providers/Microsoft.Network/privateEndpoints/${inputs.privateEndpointName}`;
    const pe = table.get(peId);
    const connections = pe?.inputs.privateLinkServiceConnections;
    const workspaceId = Array.isArray(connections) ? String((connections[0] as PropertyMap)?.privateLinkServiceId ?? "") : "";
    const workspace = workspaceId.split("/").pop() ?? "";
    const services = table
        .list()
        .filter((r) => r.type === FHIR && workspaceIdOf(r.id) === workspaceId.toLowerCase())
        .map((r) => String(r.inputs.fhirServiceName))
        .sort();
    const configs = Array.isArray(inputs.privateDnsZoneConfigs) ? (inputs.privateDnsZoneConfigs as PropertyMap[]) : [];
    const record = (name: string, i: number) => ({ recordType: "A", recordSetName: name, ttl: 10, ipAddresses: [`10.0.0.${4 + i}`] });
    return {
        ...outputs,
        privateDnsZoneConfigs: configs.map((c) => {
            const zone = String(c.privateDnsZoneId ?? "")
                .split("/")
                .pop();
            const names =
                zone === AHDS_PRIVATE_DNS_ZONES.fhir
                    ? services.map((s) => `${workspace}-${s}`)
                    : zone === AHDS_PRIVATE_DNS_ZONES.workspace
                      ? [workspace]
                      : [];
            return { ...c, recordSets: names.map((n, i) => ({ ...record(n, i), fqdn: `${n}.${zone}` })) };
        }),
    };
}

/** The fake Azure of one provider process: the project's resource table, the tenant, the provider's subscription. */
export class FakeAzure {
    constructor(
        readonly table: FakeArmTable,
        readonly tenant: FakeTenant,
    ) {}

    /**
     * Refuses what Azure refuses for a new resource, then records it; returns it with the outputs a GET gives back
     * (armShapes.ts). `azure` is Azure's side of it from the start (a create whose operation ends Failed).
     */
    create(record: ArmRecord, subscriptionId: string, azure?: AzureSide): ArmRecord {
        checkRegion(record.type, record.inputs);
        checkSku(record.type, record.inputs);
        checkRetired(record.type, record.inputs);
        checkGlobalName(this.tenant, record.type, record.inputs);
        checkQuotas(this.tenant, record.type, record.id, subscriptionId);
        checkKeyAccess(this.table, record.type, record.inputs);
        const outputs =
            record.type === ZONE_GROUP ? zoneGroupOutputs(this.table, record.inputs, subscriptionId, record.outputs) : record.outputs;
        const created: ArmRecord = { ...record, outputs, createdAt: now(), ...(azure ? { azure } : {}) };
        this.table.create(created);
        this.tenant.add({
            id: record.id,
            type: record.type,
            subscriptionId,
            ...(globalNameOf(record.type, record.inputs) ? { globalName: globalNameOf(record.type, record.inputs) } : {}),
            ...(record.type === FHIR ? { workspaceId: workspaceIdOf(record.id) } : {}),
        });
        return this.read(created);
    }

    /** The resource as a GET shows it now (outputs in azure-native's shape), or undefined when it does not exist. */
    read(record: ArmRecord): ArmRecord;
    read(id: string): ArmRecord | undefined;
    read(recordOrId: ArmRecord | string): ArmRecord | undefined {
        const record = typeof recordOrId === "string" ? this.table.get(recordOrId) : recordOrId;
        return record && { ...record, outputs: azureOutputs(this.table, record, now()) };
    }

    /**
     * An update as Azure applies it, or refuses it. A PUT sends the whole resource: what was changed outside Pulumi is
     * overwritten, and a resource a failed operation left Failed is provisioned again (ARM RPC, azure/facts.ts ARM_RETRY),
     * unless `azure` says how this one ends.
     */
    update(record: ArmRecord, inputs: PropertyMap, outputs: PropertyMap, subscriptionId: string, azure?: AzureSide): ArmRecord {
        if (record.type === KEY) {
            const changed = KEY_PARAMETERS.filter(
                (k) => JSON.stringify(valueAt(record.inputs, `properties.${k}`)) !== JSON.stringify(valueAt(inputs, `properties.${k}`)),
            );
            if (changed.length) throw new ArmError(ARM_ERRORS.keyParametersDiffer.code, ARM_ERRORS.keyParametersDiffer.message);
            // Keys_CreateIfNotExist writes nothing for an existing key: it is returned as it was.
            const unchanged = { ...record, inputs };
            this.table.put(unchanged);
            return this.read(unchanged);
        }
        checkSku(record.type, inputs);
        checkRetired(record.type, inputs);
        const { drift: _overwritten, provisioningState: _reprovisioned, readyAt: _done, ...kept } = record.azure ?? {};
        const side: AzureSide = { ...kept, ...(azure ?? {}) };
        const next: ArmRecord = {
            ...record,
            inputs,
            outputs: record.type === ZONE_GROUP ? zoneGroupOutputs(this.table, inputs, subscriptionId, outputs) : outputs,
            ...(Object.keys(side).length ? { azure: side } : {}),
        };
        if (!Object.keys(side).length) delete next.azure;
        this.table.put(next);
        return this.read(next);
    }

    /** Something done outside Pulumi (the portal, a script): Azure's side of a resource changes, nothing else. */
    outOfBand(id: string, change: (side: AzureSide) => AzureSide): void {
        const record = this.table.get(id);
        if (!record) throw new Error(`no resource ${id} in the fake ARM`);
        this.table.put({ ...record, azure: change(record.azure ?? {}) });
    }

    /** Deletes; a vault with soft delete (the default) keeps its name for its retention period. */
    delete(id: string): void {
        const record = this.table.get(id);
        this.table.delete(id);
        this.tenant.remove(id);
        if (record?.type !== VAULT || valueAt(record.inputs, "properties.enableSoftDelete") === false) return;
        const days = Number(valueAt(record.inputs, "properties.softDeleteRetentionInDays") ?? KEY_VAULT_SOFT_DELETE_DAYS.default);
        this.tenant.softDeleteVault({
            name: String(record.inputs.vaultName).toLowerCase(),
            scheduledPurgeDate: now() + days * 24 * 3600 * 1000,
            purgeProtection: valueAt(record.inputs, "properties.enablePurgeProtection") === true,
        });
    }
}
