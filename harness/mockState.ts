/**
 * Deterministic, ARM-shaped IDs and outputs for the resource types this project uses: what the mocks (mockRun.ts) and
 * the engine's fake providers (engine/plugins/fakeArm.ts) answer. No Pulumi import: a fake provider process loads this
 * module at start, and @pulumi/pulumi costs about 0.45 s of CPU to load, once per provider process (one per
 * subscription).
 */
import * as crypto from "node:crypto";

function hash(...parts: string[]): string {
    return crypto.createHash("sha256").update(parts.join("|")).digest("hex");
}
function fakeGuid(...parts: string[]): string {
    const h = hash(...parts);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Deterministic, ARM-shaped outputs for the resource types this project uses. */
export function mockState(
    type: string,
    name: string,
    inputs: Record<string, unknown>,
    subscriptionId: string,
): { id: string; state: Record<string, unknown> } {
    const sub = `/subscriptions/${subscriptionId}`;
    const rg = `${sub}/resourceGroups/${inputs.resourceGroupName}`;
    let id = `${type}/${name}`;
    const state: Record<string, unknown> = { ...inputs };
    switch (type) {
        case "azure-native:resources:ResourceGroup":
            id = `${sub}/resourceGroups/${inputs.resourceGroupName}`;
            state.name = inputs.resourceGroupName;
            break;
        case "azure-native:managedidentity:UserAssignedIdentity":
            id = `${rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${inputs.resourceName}`;
            state.name = inputs.resourceName;
            state.principalId = fakeGuid("principal", id);
            state.clientId = fakeGuid("client", id);
            state.tenantId = fakeGuid("tenant");
            break;
        case "azure-native:keyvault:Vault":
            id = `${rg}/providers/Microsoft.KeyVault/vaults/${inputs.vaultName}`;
            state.name = inputs.vaultName;
            state.properties = { ...(inputs.properties ?? {}), vaultUri: `https://${inputs.vaultName}.vault.azure.net/` };
            break;
        case "azure-native:keyvault:Key": {
            id = `${rg}/providers/Microsoft.KeyVault/vaults/${inputs.vaultName}/keys/${inputs.keyName}`;
            state.name = inputs.keyName;
            const uri = `https://${inputs.vaultName}.vault.azure.net/keys/${inputs.keyName}`;
            state.keyUri = uri;
            state.keyUriWithVersion = `${uri}/${hash("version", id).slice(0, 32)}`;
            break;
        }
        case "azure-native:storage:StorageAccount":
            id = `${rg}/providers/Microsoft.Storage/storageAccounts/${inputs.accountName}`;
            state.name = inputs.accountName;
            break;
        case "azure-native:storage:BlobServiceProperties":
            id = `${rg}/providers/Microsoft.Storage/storageAccounts/${inputs.accountName}/blobServices/default`;
            state.name = "default";
            break;
        case "azure-native:healthcareapis:Workspace":
            id = `${rg}/providers/Microsoft.HealthcareApis/workspaces/${inputs.workspaceName}`;
            state.name = inputs.workspaceName;
            break;
        case "azure-native:healthcareapis:FhirService":
            id = `${rg}/providers/Microsoft.HealthcareApis/workspaces/${inputs.workspaceName}/fhirservices/${inputs.fhirServiceName}`;
            state.name = `${inputs.workspaceName}/${inputs.fhirServiceName}`;
            break;
        case "azure-native:authorization:RoleAssignment":
            id = `${inputs.scope}/providers/Microsoft.Authorization/roleAssignments/${inputs.roleAssignmentName}`;
            state.name = inputs.roleAssignmentName;
            break;
        case "azure-native:monitor:DiagnosticSetting":
            id = `${inputs.resourceUri}/providers/Microsoft.Insights/diagnosticSettings/${inputs.name}`;
            break;
        case "azure-native:operationalinsights:Table":
            id = `${rg}/providers/Microsoft.OperationalInsights/workspaces/${inputs.workspaceName}/tables/${inputs.tableName}`;
            state.name = inputs.tableName;
            break;
        case "azure-native:monitor:SubscriptionDiagnosticSetting":
            id = `${sub}/providers/Microsoft.Insights/diagnosticSettings/${inputs.name}`;
            break;
        case "azure-native:storage:ManagementPolicy":
            id = `${rg}/providers/Microsoft.Storage/storageAccounts/${inputs.accountName}/managementPolicies/${inputs.managementPolicyName}`;
            state.name = inputs.managementPolicyName;
            break;
        case "azure-native:storage:BlobContainer":
            id = `${rg}/providers/Microsoft.Storage/storageAccounts/${inputs.accountName}/blobServices/default/containers/${inputs.containerName}`;
            state.name = inputs.containerName;
            break;
        case "azure-native:storage:ObjectReplicationPolicy": {
            // Azure gives the destination's policy (created as "default") and its rules IDs; the source repeats them. (The
            // mock keeps the requested name in the ID.)
            const accountId = `${rg}/providers/Microsoft.Storage/storageAccounts/${inputs.accountName}`;
            const policyId = inputs.objectReplicationPolicyId === "default" ? fakeGuid("orp", accountId) : inputs.objectReplicationPolicyId;
            id = `${accountId}/objectReplicationPolicies/${inputs.objectReplicationPolicyId}`;
            state.policyId = policyId;
            // Under the engine's preview an input not known yet is a placeholder, not a list: left as it is.
            if (Array.isArray(inputs.rules)) {
                state.rules = (inputs.rules as Record<string, unknown>[]).map((r, i) => ({
                    ...r,
                    ruleId: r.ruleId ?? fakeGuid("orp-rule", `${accountId}/${i}`),
                }));
            }
            break;
        }
        case "azure-native:operationalinsights:Workspace":
            id = `${rg}/providers/Microsoft.OperationalInsights/workspaces/${inputs.workspaceName}`;
            state.name = inputs.workspaceName;
            state.customerId = fakeGuid("law", id);
            break;
        case "azure-native:network:PrivateEndpoint":
            id = `${rg}/providers/Microsoft.Network/privateEndpoints/${inputs.privateEndpointName}`;
            state.name = inputs.privateEndpointName;
            break;
        case "azure-native:network:PrivateDnsZoneGroup":
            id = `${rg}/providers/Microsoft.Network/privateEndpoints/${inputs.privateEndpointName}/privateDnsZoneGroups/${inputs.privateDnsZoneGroupName}`;
            state.name = inputs.privateDnsZoneGroupName;
            break;
        case "azure-native:privatedns:PrivateZone":
            id = `${rg}/providers/Microsoft.Network/privateDnsZones/${inputs.privateZoneName}`;
            state.name = inputs.privateZoneName;
            break;
        case "azure-native:privatedns:VirtualNetworkLink":
            id = `${rg}/providers/Microsoft.Network/privateDnsZones/${inputs.privateZoneName}/virtualNetworkLinks/${inputs.virtualNetworkLinkName}`;
            state.name = inputs.virtualNetworkLinkName;
            break;
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
