/**
 * Azure Health Data Services FHIR services (and the retired Azure API for FHIR). Sources: "Configure customer-managed
 * keys for the FHIR service", "Configure export settings", "Configure Private Link for Azure Health Data Services";
 * facts in components/azure.ts.
 */
import * as healthcareapis from "@pulumi/azure-native/healthcareapis";
import { PolicyResource, validateResourceOfType } from "@pulumi/policy";
import { AHDS_PRIVATE_LINK_GROUP_ID, NAME_RULES } from "../../components/azure";
import { FhirResourcePolicy, FhirStackPolicy, ScanIndex, StackIndex, TYPES, accountOf, arr, label, obj, str } from "./common";

export const fhirCmkEncryption: FhirResourcePolicy = {
    name: "fhir-cmk-encryption",
    description: "FHIR services encrypt data with the account's customer-managed key, set at creation (it cannot be added later).",
    enforcementLevel: "mandatory",
    remediationSteps: "Set encryption.customerManagedKeyEncryption.keyEncryptionKeyUrl to the account's CMK key URI, and run the service as a user-assigned identity granted Key Vault Crypto Service Encryption User on that key.",
    validateResource: validateResourceOfType(healthcareapis.FhirService, (fhir, _args, reportViolation) => {
        const url = fhir.encryption?.customerManagedKeyEncryption?.keyEncryptionKeyUrl;
        if (!url) {
            reportViolation("no customer-managed key: data would be encrypted with a Microsoft-managed key only");
        } else if (!/^https:\/\/[^/]+\/keys\/[^/]+/.test(url)) {
            reportViolation(`keyEncryptionKeyUrl '${url}' is not a Key Vault key URL`);
        }
    }),
};

export const fhirUserAssignedIdentity: FhirResourcePolicy = {
    name: "fhir-user-assigned-identity",
    description: "A FHIR service has exactly one identity type, UserAssigned, with exactly one identity (AHDS supports one identity type per service, and only a user-assigned identity exists before the service to be granted its key).",
    enforcementLevel: "mandatory",
    remediationSteps: "Set identity to { type: \"UserAssigned\", userAssignedIdentities: [<the account's identity ID>] }.",
    validateResource: validateResourceOfType(healthcareapis.FhirService, (fhir, _args, reportViolation) => {
        const type = fhir.identity?.type;
        if (type !== "UserAssigned") {
            reportViolation(`identity type is ${type ?? "unset"}: use exactly UserAssigned`);
            return;
        }
        const n = fhir.identity?.userAssignedIdentities?.length ?? 0;
        if (n !== 1) reportViolation(`the service has ${n} user-assigned identities: give it exactly one`);
    }),
};

const STORAGE_NAME = NAME_RULES.storageAccount;
function isStorageName(v: string): boolean {
    return v.length >= STORAGE_NAME.min && v.length <= STORAGE_NAME.max && STORAGE_NAME.pattern.test(v);
}

export const fhirExportToStorage: FhirResourcePolicy = {
    name: "fhir-export-to-storage",
    description: "When export (or import) is configured, it targets a storage account by name, reached through the service's identity.",
    enforcementLevel: "mandatory",
    remediationSteps: "Set exportConfiguration.storageAccountName (and importConfiguration.integrationDataStore when import is on) to the account's export storage account name; or remove the configuration.",
    validateResource: validateResourceOfType(healthcareapis.FhirService, (fhir, _args, reportViolation) => {
        if (fhir.exportConfiguration !== undefined) {
            const name = fhir.exportConfiguration.storageAccountName;
            if (!name) reportViolation("exportConfiguration is set without a storage account");
            else if (!isStorageName(name)) reportViolation(`export target '${name}' is not a storage account name`);
        }
        if (fhir.importConfiguration?.enabled === true) {
            const name = fhir.importConfiguration.integrationDataStore;
            if (!name) reportViolation("import is enabled without an integration data store");
            else if (!isStorageName(name)) reportViolation(`import source '${name}' is not a storage account name`);
        }
    }),
};

export const fhirAuthentication: FhirResourcePolicy = {
    name: "fhir-authentication",
    description: "FHIR services accept Entra ID tokens only for a set authority (https://login.microsoftonline.com/<tenant>) and audience (an https URL, the service's own).",
    enforcementLevel: "mandatory",
    remediationSteps: "Set authenticationConfiguration.authority to https://login.microsoftonline.com/<tenantId> and authenticationConfiguration.audience to the service URL https://<workspace>-<fhir>.fhir.azurehealthcareapis.com.",
    validateResource: validateResourceOfType(healthcareapis.FhirService, (fhir, _args, reportViolation) => {
        const auth = fhir.authenticationConfiguration;
        if (!auth?.authority) reportViolation("authenticationConfiguration.authority is not set");
        else if (!/^https:\/\/login\.microsoftonline\.(com|us)\/[^/]+\/?$/.test(auth.authority)) {
            reportViolation(`authority '${auth.authority}' is not an Entra ID tenant authority`);
        }
        if (!auth?.audience) reportViolation("authenticationConfiguration.audience is not set");
        else if (!auth.audience.startsWith("https://")) reportViolation(`audience '${auth.audience}' is not an https URL`);
    }),
};

export const noAzureApiForFhir: FhirResourcePolicy = {
    name: "no-azure-api-for-fhir",
    description: "Azure API for FHIR (Microsoft.HealthcareApis/services) is retired (no new deployments since 2025-04-01, retired 2026-09-30): deploy AHDS FHIR services only.",
    enforcementLevel: "mandatory",
    remediationSteps: "Replace the healthcareapis:Service with an AHDS workspace and healthcareapis:FhirService (see Microsoft's migration guide from Azure API for FHIR).",
    validateResource: validateResourceOfType(healthcareapis.Service, (svc, _args, reportViolation) => {
        reportViolation(`Azure API for FHIR '${svc.resourceName ?? "(unnamed)"}' is retired`);
    }),
};

export interface PublicNetworkConfig {
    /** Accounts whose FHIR service may stay public without being reported. */
    exemptAccounts: string[];
}

/** The AHDS workspace a FHIR service belongs to. */
function workspaceOf(index: StackIndex, fhir: PolicyResource): PolicyResource | undefined {
    const dep = (fhir.propertyDependencies.workspaceName ?? []).find((r) => r.type === TYPES.healthWorkspace);
    if (dep) return dep;
    return index.healthWorkspaceByName(fhir.props.workspaceName);
}

/**
 * The workspaces a private endpoint connects to through the AHDS private-link sub-resource (none when it asks for
 * another group), as an index over the stack's private endpoints: whether a workspace has one is `find(workspace)`.
 */
function privateEndpointsByWorkspace(index: StackIndex): ScanIndex<PolicyResource, PolicyResource> {
    return new ScanIndex(index.of(TYPES.privateEndpoint), (pe) => {
        const conns = [...arr(pe.props.privateLinkServiceConnections), ...arr(pe.props.manualPrivateLinkServiceConnections)].map(obj);
        // Before the first deployment a workspace's ID is unknown (reading it throws): the property dependency names it.
        const ids = pe.propertyDependencies.privateLinkServiceConnections?.length ? [] : conns.map((c) => str(c?.privateLinkServiceId));
        const groups = conns.flatMap((c) => arr(c?.groupIds).map((g) => str(g)?.toLowerCase()));
        const targets = [
            ...index.refs(pe, "privateLinkServiceConnections", ids),
            ...(pe.propertyDependencies.manualPrivateLinkServiceConnections ?? []),
        ];
        return groups.includes(AHDS_PRIVATE_LINK_GROUP_ID) ? targets : [];
    });
}

export const fhirPublicNetworkAccess: FhirStackPolicy = {
    name: "fhir-public-network-access",
    description: "FHIR services whose AHDS workspace has no private endpoint are reachable from the internet (with Entra ID auth). Reported by default; set this policy's enforcementLevel to mandatory to deny public FHIR services.",
    enforcementLevel: "advisory",
    remediationSteps: "Give the account a privateEndpointSubnetId so its workspace gets a private endpoint (group 'healthcareworkspace'), or list the account in this policy's exemptAccounts if it is public by design.",
    configSchema: {
        properties: {
            exemptAccounts: {
                type: "array",
                items: { type: "string" },
                default: [],
                description: "Accounts whose FHIR service is public by design and is not reported.",
            },
        },
    },
    validateStack: (args, reportViolation) => {
        const { exemptAccounts } = args.getConfig<PublicNetworkConfig>();
        const index = StackIndex.for(args.resources);
        const endpoints = privateEndpointsByWorkspace(index);
        for (const fhir of index.of(TYPES.fhirService)) {
            const account = accountOf(fhir);
            if (account && exemptAccounts.includes(account)) continue;
            // Outputs report the effective setting after deployment.
            if (str(fhir.props.publicNetworkAccess)?.toLowerCase() === "disabled") continue;
            const ws = workspaceOf(index, fhir);
            if (ws && endpoints.find(ws) !== undefined) continue;
            reportViolation(
                `${label(fhir)}${account ? ` (account ${account})` : ""} is publicly reachable: ${ws ? `${label(ws)} has no private endpoint` : "its workspace is not in this stack"}`,
                fhir.urn,
            );
        }
    },
};

export const fhirServicePolicies = [fhirCmkEncryption, fhirUserAssignedIdentity, fhirExportToStorage, fhirAuthentication, noAzureApiForFhir, fhirPublicNetworkAccess];
