/**
 * One Azure resource, one owner. Every Azure name in a stack is derived from the stack, account and workspace-group
 * names; two derived names that are equal would make two Pulumi resources manage one Azure resource (tags and settings
 * fighting on every `up`, deleting one deletes the other's, and an account landing in a resource group that is not
 * its own). This module computes the Azure identity (subscription, scope, type, name) of every resource a stack
 * creates, from the validated config and placement alone, so collisions are refused before anything is registered,
 * within a stack and across the stacks that share a subscription (`npm run shards`).
 *
 * Azure compares resource names case-insensitively, so identities are compared lower-cased. Names that end in a
 * state-kept random suffix (vault, storage, workspace) are unique per owner by construction: they carry the owner's
 * suffix as a placeholder (or, in tests, the real value).
 */
import { AHDS_PRIVATE_DNS_ZONES, AUDIT_LOG_TABLES, type BuiltInRoleName, logAnalyticsWorkspaceParts } from "../azure/facts";
import type { ConfigProblem } from "./problems";
import type { AccountConfig, PlatformConfig } from "./schema";
import { cryptoGrantKey, names, stableGuid } from "../azure/naming";
import type { Placement } from "./placement";

/** Who would own an Azure resource, and which config field renames it. */
export interface Owner {
    stack: string;
    /** `account 'contoso'`, `workspace group 'pool01'` or `the platform`. */
    label: string;
    /** The config field (or `stack name`) to change to resolve a collision. */
    field: string;
    /** The account, when an account owns the resource. */
    account?: string;
    /** How to resolve a collision, before the list of fields (default "Rename one of"). */
    fix?: string;
}

export interface AzureIdentity {
    subscriptionId: string;
    /** Where the name must be unique: `subscription` for resource groups, else the resource group or parent path. */
    scope: string;
    /** ARM resource type, e.g. `Microsoft.Resources/resourceGroups`. */
    type: string;
    name: string;
    owner: Owner;
}

/** The random suffix of an owner (account or workspace group), or a placeholder before it exists. */
export type SuffixOf = (owner: "account" | "workspaceGroup", name: string) => string;
const placeholderSuffix: SuffixOf = (kind, name) => `{suffix of ${kind} ${name}}`;

/** Role assignments an account creates, by their stable key (components/customerManagedKey, exportStorage, fhirService). */
function roleAssignmentKeys(a: AccountConfig, keyNames: string[]): { key: string; role: BuiltInRoleName }[] {
    return [
        ...keyNames.map((k) => ({ key: cryptoGrantKey(k, keyNames[0]), role: "Key Vault Crypto Service Encryption User" as const })),
        ...(a.export || a.import ? [{ key: "identity/export-storage", role: "Storage Blob Data Contributor" as const }] : []),
        ...a.grants.map((g) => ({ key: `principal/${g.principalId}`, role: g.role })),
        ...(a.acr?.registryIds ?? []).map((r) => ({ key: `identity/acr/${r.toLowerCase()}`, role: "AcrPull" as const })),
    ];
}

/**
 * Every Azure resource the stack creates with a name derived from config, and who owns it. Mirrors the components;
 * test/ownership.suite.ts checks it against what the program really registers.
 */
export function azureIdentities(
    stack: string,
    cfg: PlatformConfig,
    placements: Placement[],
    suffixOf: SuffixOf = placeholderSuffix,
): AzureIdentity[] {
    const out: AzureIdentity[] = [];
    const subId = new Map(cfg.subscriptions.map((s) => [s.name, s.subscriptionId]));
    const home = cfg.subscriptions[0].subscriptionId;
    const platform: Owner = { stack, label: "the platform", field: "stack name" };
    const add = (subscriptionId: string, scope: string, type: string, name: string, owner: Owner) =>
        out.push({ subscriptionId, scope, type, name, owner });
    const rgType = "Microsoft.Resources/resourceGroups";
    const tableType = "Microsoft.OperationalInsights/workspaces/tables";
    const auditTables = Object.keys(AUDIT_LOG_TABLES);

    // One Activity Log setting per subscription the stack deploys into, under the same name in every stack.
    const used = new Set([cfg.subscriptions[0].name, ...placements.map((p) => p.subscription)]);
    cfg.subscriptions.forEach((s, i) => {
        if (!used.has(s.name) || !s.activityLog) return;
        add(s.subscriptionId, "subscription", "Microsoft.Insights/diagnosticSettings", names.activityLogSetting(), {
            ...platform,
            field: `subscriptions[${i}].activityLog`,
            fix: "Leave it to one stack: set activityLog: false on one of",
        });
    });
    // The audit tables of an existing workspace, when this stack sets their retention (those of a created one: below).
    if (cfg.logAnalytics.workspaceId && cfg.logAnalytics.manageTableRetention) {
        const w = logAnalyticsWorkspaceParts(cfg.logAnalytics.workspaceId);
        for (const t of auditTables)
            add(w.subscriptionId, `${w.resourceGroupName}/${w.workspaceName}`, tableType, t, {
                ...platform,
                field: "logAnalytics.manageTableRetention",
                fix: "Leave the workspace's tables to one stack: set manageTableRetention: false on one of",
            });
    }

    const zonesCreated = cfg.privateDns?.virtualNetworkIds !== undefined && placements.length > 0;
    if (!cfg.logAnalytics.workspaceId || zonesCreated) {
        const rg = names.platformResourceGroup(stack);
        add(home, "subscription", rgType, rg, platform);
        if (!cfg.logAnalytics.workspaceId) {
            add(home, rg, "Microsoft.OperationalInsights/workspaces", names.logAnalytics(stack), platform);
            for (const t of auditTables) add(home, `${rg}/${names.logAnalytics(stack)}`, tableType, t, platform);
        }
        if (zonesCreated) {
            for (const zone of Object.values(AHDS_PRIVATE_DNS_ZONES)) {
                add(home, rg, "Microsoft.Network/privateDnsZones", zone, platform);
                for (const vnet of cfg.privateDns!.virtualNetworkIds!)
                    add(
                        home,
                        `${rg}/${zone}`,
                        "Microsoft.Network/privateDnsZones/virtualNetworkLinks",
                        names.virtualNetworkLink(vnet),
                        platform,
                    );
            }
        }
    }

    const accountIndex = new Map(cfg.accounts.map((a, i) => [a.name, i]));
    const byName = new Map(cfg.accounts.map((a) => [a.name, a]));
    const workspaceOf = new Map<string, { sub: string; rg: string; name: string }>();
    const sharedGroups = [...new Set(placements.filter((p) => !p.dedicated).map((p) => p.workspaceGroup))].sort();
    for (const group of sharedGroups) {
        const members = placements.filter((p) => p.workspaceGroup === group);
        const sub = subId.get(members[0].subscription)!;
        const first = byName.get(members[0].account)!;
        const owner: Owner = { stack, label: `workspace group '${group}'`, field: `accounts[${accountIndex.get(first.name)}].workspace` };
        const rg = names.workspaceResourceGroup(stack, group);
        const ws = names.workspace(group, suffixOf("workspaceGroup", group));
        add(sub, "subscription", rgType, rg, owner);
        add(sub, rg, "Microsoft.HealthcareApis/workspaces", ws, owner);
        if (first.privateEndpointSubnetId) add(sub, rg, "Microsoft.Network/privateEndpoints", names.privateEndpoint(group), owner);
        workspaceOf.set(group, { sub, rg, name: ws });
    }

    for (const p of placements) {
        const a = byName.get(p.account)!;
        const sub = subId.get(p.subscription)!;
        const owner: Owner = { stack, label: `account '${a.name}'`, field: `accounts[${accountIndex.get(a.name)}].name`, account: a.name };
        const rg = names.accountResourceGroup(stack, a.name);
        const suffix = suffixOf("account", a.name);
        const vault = names.keyVault(a.name, suffix);
        add(sub, "subscription", rgType, rg, owner);
        add(sub, rg, "Microsoft.ManagedIdentity/userAssignedIdentities", names.identity(a.name), owner);
        add(sub, rg, "Microsoft.KeyVault/vaults", vault, owner);
        for (const k of p.keys) add(sub, `${rg}/${vault}`, "Microsoft.KeyVault/vaults/keys", k.name, owner);
        if (a.export || a.import) add(sub, rg, "Microsoft.Storage/storageAccounts", names.storage(a.name, suffix), owner);
        if (a.recoveryCopy && cfg.recoveryCopy && a.export)
            add(sub, rg, "Microsoft.Storage/storageAccounts", names.recoveryStorage(a.name, suffix), owner);
        let ws = workspaceOf.get(p.workspaceGroup);
        if (p.dedicated) {
            ws = { sub, rg, name: names.workspace(a.name, suffix) };
            add(sub, rg, "Microsoft.HealthcareApis/workspaces", ws.name, owner);
            if (a.privateEndpointSubnetId) add(sub, rg, "Microsoft.Network/privateEndpoints", names.privateEndpoint(a.name), owner);
        }
        add(ws!.sub, `${ws!.rg}/${ws!.name}`, "Microsoft.HealthcareApis/workspaces/fhirservices", names.fhirService(a.name), owner);
        for (const g of roleAssignmentKeys(
            a,
            p.keys.map((k) => k.name),
        )) {
            add(sub, "subscription", "Microsoft.Authorization/roleAssignments", stableGuid(stack, sub, a.name, g.key, g.role), owner);
        }
    }
    return out;
}

function identityKey(i: AzureIdentity): string {
    return [i.subscriptionId, i.scope, i.type, i.name].join("|").toLowerCase();
}

/** What people call each ARM type, for messages. */
const KIND: Readonly<Record<string, string>> = {
    "Microsoft.Resources/resourceGroups": "resource group",
    "Microsoft.ManagedIdentity/userAssignedIdentities": "managed identity",
    "Microsoft.KeyVault/vaults": "key vault",
    "Microsoft.KeyVault/vaults/keys": "key",
    "Microsoft.Storage/storageAccounts": "storage account",
    "Microsoft.HealthcareApis/workspaces": "AHDS workspace",
    "Microsoft.HealthcareApis/workspaces/fhirservices": "FHIR service",
    "Microsoft.Network/privateEndpoints": "private endpoint",
    "Microsoft.Network/privateDnsZones": "private DNS zone",
    "Microsoft.Network/privateDnsZones/virtualNetworkLinks": "VNet link",
    "Microsoft.OperationalInsights/workspaces": "Log Analytics workspace",
    "Microsoft.OperationalInsights/workspaces/tables": "Log Analytics table",
    "Microsoft.Insights/diagnosticSettings": "Activity Log diagnostic setting",
    "Microsoft.Authorization/roleAssignments": "role assignment",
};

function describeIdentity(i: AzureIdentity, subscriptionName: (id: string) => string): string {
    const kind = KIND[i.type] ?? i.type;
    const where = i.scope === "subscription" ? "" : ` in ${i.scope}`;
    return `${kind} '${i.name}'${where} (subscription ${subscriptionName(i.subscriptionId)})`;
}

/**
 * One problem per Azure identity claimed by more than one owner, naming every owner and the field to change.
 * `subscriptionName` turns a subscription ID into the name people use (defaults to the ID).
 */
export function ownershipConflicts(identities: AzureIdentity[], subscriptionName: (id: string) => string = (id) => id): ConfigProblem[] {
    const byKey = new Map<string, AzureIdentity[]>();
    for (const i of identities) {
        const k = identityKey(i);
        byKey.set(k, [...(byKey.get(k) ?? []), i]);
    }
    const problems: ConfigProblem[] = [];
    for (const claims of byKey.values()) {
        if (claims.length < 2) continue;
        const owners = claims.map((c) => `${c.owner.label} of stack '${c.owner.stack}'`);
        const fields = [
            ...new Set(
                claims.map((c) =>
                    c.owner.field === "stack name" ? `the stack name '${c.owner.stack}'` : `${c.owner.field} of stack '${c.owner.stack}'`,
                ),
            ),
        ];
        const account = claims.find((c) => c.owner.account !== undefined)?.owner.account;
        const fix = claims.find((c) => c.owner.fix !== undefined)?.owner.fix ?? "Rename one of";
        problems.push({
            path: claims.find((c) => c.owner.field !== "stack name")?.owner.field ?? "stack name",
            ...(account ? { account } : {}),
            message:
                `${describeIdentity(claims[0], subscriptionName)} would be managed by ${owners.join(" and ")}: two Pulumi resources ` +
                `for one Azure resource ` +
                `(settings fight on every update, deleting one deletes the other's). ${fix}: ${fields.join(", ")}`,
        });
    }
    return problems;
}
