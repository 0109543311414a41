/**
 * Deterministic, ARM-shaped IDs and outputs for the resource types this project uses: what the mocks (mockRun.ts) and
 * the engine's fake providers (engine/plugins/fakeArm.ts) answer. No Pulumi import: a fake provider process loads this
 * module at start, and @pulumi/pulumi costs about 0.45 s of CPU to load (once per provider process).
 */
import * as crypto from "node:crypto";

function hash(...parts: string[]): string {
    return crypto.createHash("sha256").update(parts.join("|")).digest("hex");
}
function fakeGuid(...parts: string[]): string {
    const h = hash(...parts);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * ARM ID per type: `{input}` is that input's value, `{rg}` the resource group's ID (`{sub}` the subscription's). A last
 * segment `{input}` other than `{name}` (already an input) is also the `name` output.
 */
const ARM_IDS: Readonly<Record<string, string>> = {
    "azure-native:resources:ResourceGroup": "{sub}/resourceGroups/{resourceGroupName}",
    "azure-native:managedidentity:UserAssignedIdentity": "{rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{resourceName}",
    "azure-native:keyvault:Vault": "{rg}/providers/Microsoft.KeyVault/vaults/{vaultName}",
    "azure-native:keyvault:Key": "{rg}/providers/Microsoft.KeyVault/vaults/{vaultName}/keys/{keyName}",
    "azure-native:storage:StorageAccount": "{rg}/providers/Microsoft.Storage/storageAccounts/{accountName}",
    "azure-native:storage:BlobServiceProperties": "{rg}/providers/Microsoft.Storage/storageAccounts/{accountName}/blobServices/default",
    "azure-native:healthcareapis:Workspace": "{rg}/providers/Microsoft.HealthcareApis/workspaces/{workspaceName}",
    "azure-native:healthcareapis:FhirService":
        "{rg}/providers/Microsoft.HealthcareApis/workspaces/{workspaceName}/fhirservices/{fhirServiceName}",
    "azure-native:authorization:RoleAssignment": "{scope}/providers/Microsoft.Authorization/roleAssignments/{roleAssignmentName}",
    "azure-native:monitor:DiagnosticSetting": "{resourceUri}/providers/Microsoft.Insights/diagnosticSettings/{name}",
    "azure-native:operationalinsights:Table": "{rg}/providers/Microsoft.OperationalInsights/workspaces/{workspaceName}/tables/{tableName}",
    "azure-native:monitor:SubscriptionDiagnosticSetting": "{sub}/providers/Microsoft.Insights/diagnosticSettings/{name}",
    "azure-native:storage:ManagementPolicy":
        "{rg}/providers/Microsoft.Storage/storageAccounts/{accountName}/managementPolicies/{managementPolicyName}",
    "azure-native:storage:BlobContainer":
        "{rg}/providers/Microsoft.Storage/storageAccounts/{accountName}/blobServices/default/containers/{containerName}",
    "azure-native:operationalinsights:Workspace": "{rg}/providers/Microsoft.OperationalInsights/workspaces/{workspaceName}",
    "azure-native:network:PrivateEndpoint": "{rg}/providers/Microsoft.Network/privateEndpoints/{privateEndpointName}",
    "azure-native:network:PrivateDnsZoneGroup":
        "{rg}/providers/Microsoft.Network/privateEndpoints/{privateEndpointName}/privateDnsZoneGroups/{privateDnsZoneGroupName}",
    "azure-native:privatedns:PrivateZone": "{rg}/providers/Microsoft.Network/privateDnsZones/{privateZoneName}",
    "azure-native:privatedns:VirtualNetworkLink":
        "{rg}/providers/Microsoft.Network/privateDnsZones/{privateZoneName}/virtualNetworkLinks/{virtualNetworkLinkName}",
};

/** Deterministic, ARM-shaped outputs for the resource types this project uses. */
export function mockState(
    type: string,
    name: string,
    inputs: Record<string, unknown>,
    subscriptionId: string,
): { id: string; state: Record<string, unknown> } {
    const sub = `/subscriptions/${subscriptionId}`;
    const rg = `${sub}/resourceGroups/${inputs.resourceGroupName}`;
    const fill = (template: string) =>
        template.replace(/\{(\w+)\}/g, (_, k: string) => (k === "sub" ? sub : k === "rg" ? rg : String(inputs[k])));
    const state: Record<string, unknown> = { ...inputs };
    const template = ARM_IDS[type];
    let id = template ? fill(template) : `${type}/${name}`;
    const last = template?.split("/").at(-1) ?? "";
    if (last === "default") state.name = "default";
    else if (template && last !== "{name}") state.name = inputs[last.slice(1, -1)];
    switch (type) {
        case "azure-native:managedidentity:UserAssignedIdentity":
            state.principalId = fakeGuid("principal", id);
            state.clientId = fakeGuid("client", id);
            state.tenantId = fakeGuid("tenant");
            break;
        case "azure-native:keyvault:Vault":
            state.properties = { ...(inputs.properties ?? {}), vaultUri: `https://${inputs.vaultName}.vault.azure.net/` };
            break;
        case "azure-native:keyvault:Key": {
            const uri = `https://${inputs.vaultName}.vault.azure.net/keys/${inputs.keyName}`;
            state.keyUri = uri;
            state.keyUriWithVersion = `${uri}/${hash("version", id).slice(0, 32)}`;
            break;
        }
        case "azure-native:healthcareapis:FhirService":
            state.name = `${inputs.workspaceName}/${inputs.fhirServiceName}`;
            break;
        case "azure-native:operationalinsights:Workspace":
            state.customerId = fakeGuid("law", id);
            break;
        case "azure-native:storage:ObjectReplicationPolicy": {
            // Azure gives the destination's policy (created as "default") and its rules IDs; the source repeats them. (The
            // mock keeps the requested name in the ID.)
            const accountId = fill("{rg}/providers/Microsoft.Storage/storageAccounts/{accountName}");
            id = `${accountId}/objectReplicationPolicies/${inputs.objectReplicationPolicyId}`;
            state.policyId = inputs.objectReplicationPolicyId === "default" ? fakeGuid("orp", accountId) : inputs.objectReplicationPolicyId;
            // Under the engine's preview an input not known yet is a placeholder, not a list: left as it is.
            if (Array.isArray(inputs.rules)) {
                state.rules = (inputs.rules as Record<string, unknown>[]).map((r, i) => ({
                    ...r,
                    ruleId: r.ruleId ?? fakeGuid("orp-rule", `${accountId}/${i}`),
                }));
            }
            break;
        }
        case "random:index/randomString:RandomString": {
            const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
            const h = hash("random", name);
            state.result = Array.from(
                { length: Number(inputs.length ?? 6) },
                (_, i) => alphabet[parseInt(h.slice(i * 2, i * 2 + 2), 16) % alphabet.length],
            ).join("");
            id = `random-${name}`;
            break;
        }
        default:
            if (type.startsWith("pulumi:providers:")) id = `provider-${name}`;
            else if (type === "pulumi-nodejs:dynamic:Resource") id = `dynamic-${name}`;
    }
    return { id, state };
}
