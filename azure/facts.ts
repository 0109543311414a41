/**
 * Facts about Azure that this program depends on, in one place, each with its public source.
 * Change a fact here and every component, validator and policy follows.
 */

/**
 * Built-in role definition IDs (the GUID is the same in every subscription and cloud).
 * Source: Microsoft Learn, "Azure built-in roles" (learn.microsoft.com/azure/role-based-access-control/built-in-roles),
 * sections General, Privileged (Owner, Contributor, User Access Administrator, Role Based Access Control
 * Administrator), Integration (FHIR), Security (Key Vault), Containers (AcrPull) and Storage.
 * A wrong GUID grants the wrong thing silently: tests pin each one.
 */
export const BUILT_IN_ROLES = {
    "FHIR Data Reader": "4c8d0bbc-75d3-4935-991f-5f3c56d81508",
    "FHIR Data Writer": "3f88fce4-5892-4214-ae73-ba5294559913",
    "FHIR Data Exporter": "3db33094-8700-4567-8da5-1501d4e7e843",
    "FHIR Data Importer": "4465e953-8ced-4406-a58e-0f6e3f3b530b",
    "FHIR Data Contributor": "5a1fc7df-4bf1-4951-a576-89034ee01acd",
    "FHIR Data Converter": "a1705bd2-3a8f-45a5-8683-466fcfd5cc24",
    "FHIR SMART User": "4ba50f17-9666-485c-a643-ff00808643f0",
    /** "Role allows user or principal to perform bulk operations" (Integration): `$bulk-update` on the service. */
    "FHIR Data Bulk Operator": "804db8d3-32c7-4ad4-a975-3f6f90d5f5f5",
    /** keys/read, wrapKey, unwrapKey: what a service needs for CMK. */
    "Key Vault Crypto Service Encryption User": "e147488a-f6f5-4113-8e2d-b22465e65bf6",
    "Storage Blob Data Contributor": "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
    Owner: "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
    Contributor: "b24988ac-6180-42a0-ab88-20f7382dd24c",
    "User Access Administrator": "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
    /** Control-plane read: what `npm run verify` needs for its key check (nothing here grants it). */
    Reader: "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    /** Pull images and OCI artifacts from a container registry: what `$convert-data` needs for custom templates. */
    AcrPull: "7f951dda-4ed3-4680-a7ca-43fe172d538d",
    /** Assigns roles through Azure RBAC at its scope (Privileged): the policy pack refuses it. */
    "Role Based Access Control Administrator": "f58310d9-a9f6-439a-9e8d-f62e7b41a168",
    /** Every data-plane operation on a vault and its keys, secrets and certificates (Security): refused beyond one vault. */
    "Key Vault Administrator": "00482a5a-887f-4fb3-b363-3b7fe8e74483",
    /** Any action on a vault's keys, rotation policies included (Security): refused beyond one vault. */
    "Key Vault Crypto Officer": "14b46e9e-c2b7-41b4-b07b-48a6ebf60603",
    /** Manages vaults (control plane), not their contents (Security): refused beyond one vault. */
    "Key Vault Contributor": "f25e0fa2-a7c8-4377-a976-54943a77a395",
} as const;

export type BuiltInRoleName = keyof typeof BUILT_IN_ROLES;

/**
 * The FHIR data-plane roles people and apps may be granted (same source as above): the seven the platform started with,
 * and FHIR Data Bulk Operator, which "Bulk update" (healthcare-apis/fhir/fhir-bulk-update) names as the least-privilege
 * role for `$bulk-update` ("FHIR Data Bulk Operator: Provides access to bulk operations in the FHIR service"), where
 * otherwise only FHIR Data Contributor would do.
 */
export const FHIR_DATA_ROLES = [
    "FHIR Data Reader",
    "FHIR Data Writer",
    "FHIR Data Exporter",
    "FHIR Data Importer",
    "FHIR Data Contributor",
    "FHIR Data Converter",
    "FHIR SMART User",
    "FHIR Data Bulk Operator",
] as const satisfies readonly BuiltInRoleName[];
export type FhirDataRole = (typeof FHIR_DATA_ROLES)[number];

/** Roles this stack must never grant, at any scope: they manage access or everything (policy `rbac-no-privileged-roles`). */
export const PRIVILEGED_ROLES = [
    "Owner",
    "Contributor",
    "User Access Administrator",
    "Role Based Access Control Administrator",
] as const satisfies readonly BuiltInRoleName[];
/** Key Vault management roles: one vault (or one of its keys) at most (policy `rbac-no-privileged-roles`). */
export const VAULT_ADMIN_ROLES = [
    "Key Vault Administrator",
    "Key Vault Crypto Officer",
    "Key Vault Contributor",
] as const satisfies readonly BuiltInRoleName[];

/** Full role definition resource ID, as ARM expects it in a role assignment. */
export function roleDefinitionId(subscriptionId: string, role: BuiltInRoleName): string {
    return `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${BUILT_IN_ROLES[role]}`;
}

/** The role GUID at the end of a role definition ID (or the GUID itself), lower-cased. */
export function roleGuidOf(roleDefinitionIdOrGuid: string): string {
    return roleDefinitionIdOrGuid.split("/").pop()!.toLowerCase();
}

/** Reverse lookup: a built-in role name for a role definition ID, or undefined. */
export function builtInRoleName(roleDefinitionIdOrGuid: string): BuiltInRoleName | undefined {
    const guid = roleGuidOf(roleDefinitionIdOrGuid);
    return (Object.keys(BUILT_IN_ROLES) as BuiltInRoleName[]).find((name) => BUILT_IN_ROLES[name] === guid);
}

/** Principal types a role assignment accepts. Source: ARM roleAssignments API, `principalType` enum. */
export const PRINCIPAL_TYPES = ["User", "Group", "ServicePrincipal"] as const;
export type PrincipalType = (typeof PRINCIPAL_TYPES)[number];

/**
 * Naming rules. Sources: Microsoft Learn "Naming rules and restrictions for Azure resources"
 * (azure-resource-manager/management/resource-name-rules), Key Vault "About keys, secrets and certificates"
 * (object names), AHDS "Deploy workspace" (workspace names) and "Configure customer-managed keys for the FHIR
 * service" (vault name + key name at most 94 characters).
 */
export const NAME_RULES = {
    /** Microsoft.Resources/resourceGroups: 1-90, alphanumerics, underscores, parentheses, hyphens, periods. */
    resourceGroup: { min: 1, max: 90, pattern: /^[-\w._()]+$/ },
    /** Microsoft.KeyVault/vaults: 3-24, alphanumerics and hyphens, start with a letter, end with letter or digit, no "--". Globally unique. */
    keyVault: { min: 3, max: 24, pattern: /^[a-zA-Z](?!.*--)[a-zA-Z0-9-]*[a-zA-Z0-9]$/ },
    /** Key Vault key names: 1-127, alphanumerics and hyphens. */
    keyVaultKey: { min: 1, max: 127, pattern: /^[a-zA-Z0-9-]+$/ },
    /** Microsoft.Storage/storageAccounts: 3-24, lowercase letters and digits. Globally unique. */
    storageAccount: { min: 3, max: 24, pattern: /^[a-z0-9]+$/ },
    /** Microsoft.HealthcareApis/workspaces: 3-24, lowercase letters and digits, no hyphen. Globally unique (part of the FHIR host name). */
    healthWorkspace: { min: 3, max: 24, pattern: /^[a-z0-9]+$/ },
    /** Microsoft.HealthcareApis/workspaces/fhirservices: 3-24, lowercase letters, digits and hyphens (we use no hyphen). */
    fhirService: { min: 3, max: 24, pattern: /^[a-z0-9][a-z0-9-]*[a-z0-9]$/ },
    /** Microsoft.ManagedIdentity/userAssignedIdentities: 3-128, alphanumerics, hyphens, underscores, start with a letter or digit. */
    userAssignedIdentity: { min: 3, max: 128, pattern: /^[a-zA-Z0-9][-\w]*$/ },
    /** Microsoft.OperationalInsights/workspaces: 4-63, alphanumerics and hyphens, start and end with alphanumeric. */
    logAnalyticsWorkspace: { min: 4, max: 63, pattern: /^[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]$/ },
} as const;
export type NamedResourceKind = keyof typeof NAME_RULES;

/** Source: "Configure customer-managed keys for the FHIR service": combined vault + key name length. */
export const CMK_MAX_VAULT_PLUS_KEY_NAME = 94;
/** Source: same page: "The key type is RSA", "The key is 2048-bit or 3072-bit". */
export const CMK_KEY_SIZES = [2048, 3072] as const;
export type CmkKeySize = (typeof CMK_KEY_SIZES)[number];
/** Source: Key Vault soft delete overview: retention 7 to 90 days, 90 by default. */
export const KEY_VAULT_SOFT_DELETE_DAYS = { min: 7, max: 90, default: 90 } as const;

/**
 * Default AHDS quotas. Source: Microsoft Learn, "Supported FHIR features" (healthcare-apis/fhir/fhir-features-supported),
 * Service limits: "Subscription Limit - By default, each subscription is limited to a maximum of 10 FHIR services. The
 * limit can be used in one or many workspaces." (an earlier release assumed 100 here: `pulumi up` would have failed at
 * the 11th service); 10 FHIR services per workspace and 10 workspaces per subscription are the defaults the same
 * limits give a workspace. Quotas are raised only by a support request that Microsoft grants, so config may declare a
 * raised quota per subscription (`subscriptions[].fhirServices`), never assume one.
 */
export const AHDS_DEFAULT_QUOTAS = {
    fhirServicesPerWorkspace: 10,
    workspacesPerSubscription: 10,
    fhirServicesPerSubscription: 10,
} as const;

/**
 * Other subscription limits that bound a shard. Source: "Azure subscription and service limits, quotas and
 * constraints" (azure-resource-manager/management/azure-subscription-service-limits).
 */
export const SUBSCRIPTION_LIMITS = {
    roleAssignmentsPerSubscription: 4000,
    resourceGroupsPerSubscription: 980,
} as const;

/** Entra ID token authority for a tenant. Source: "Configure the FHIR service settings" / Entra ID endpoints. */
export function entraAuthority(tenantId: string): string {
    return `https://login.microsoftonline.com/${tenantId}`;
}

/** FHIR service base URL, which is also its token audience. Source: AHDS "FHIR service endpoint" docs. */
export function fhirServiceUrl(workspaceName: string, fhirServiceName: string): string {
    return `https://${workspaceName}-${fhirServiceName}.fhir.azurehealthcareapis.com`;
}

/**
 * FHIR resource versioning policies. Source: Microsoft Learn, "Versioning policy and history management" (FHIR
 * service): `versioned` (history kept, the default), `versioned-update` (history kept, updates need If-Match),
 * `no-version` (no history). The API spells the second `versioned-update` (azure-native FhirResourceVersionPolicy).
 */
export const FHIR_VERSION_POLICIES = ["versioned", "versioned-update", "no-version"] as const;

/** SMART identity provider data actions. Source: azure-native `healthcareapis.SmartDataActions` (API 2024-03-31): Read only. */
export const SMART_DATA_ACTIONS = ["Read"] as const;

/**
 * Container registries for `$convert-data` custom templates. Source: Microsoft Learn, "Configure settings for
 * $convert-data" (the FHIR service's identity needs AcrPull on the registry; login servers are `<name>.azurecr.io` in
 * the public cloud) and "Naming rules": registry names are 5-50 alphanumerics.
 */
export const ACR_LOGIN_SERVER_SUFFIX = ".azurecr.io";
/** Same page: "You can register up to 20 Azure Container Registry servers in the FHIR service." */
export const ACR_MAX_REGISTRIES = 20;
export const ACR_REGISTRY_ID =
    /^\/subscriptions\/([^/]+)\/resourceGroups\/[^/]+\/providers\/Microsoft\.ContainerRegistry\/registries\/([a-zA-Z0-9]{5,50})$/i;

/** The login server of a registry, from its resource ID. */
export function acrLoginServer(registryId: string): string {
    const m = ACR_REGISTRY_ID.exec(registryId);
    if (!m) throw new Error(`not a container registry resource ID: ${registryId}`);
    return `${m[2].toLowerCase()}${ACR_LOGIN_SERVER_SUFFIX}`;
}

/** FHIR R4 kind. Source: azure-native `healthcareapis.FhirServiceKind` (ARM `fhir-R4`). */
export const FHIR_KIND_R4 = "fhir-R4";

/** Diagnostic log category of the FHIR service. Source: AHDS "Enable diagnostic logging in the FHIR service": AuditLogs. */
export const FHIR_AUDIT_LOG_CATEGORY = "AuditLogs";

/** Private endpoint sub-resource of an AHDS workspace. Source: "Configure Private Link for Azure Health Data Services". */
export const AHDS_PRIVATE_LINK_GROUP_ID = "healthcareworkspace";

/** ARM resource ID of an AHDS workspace. */
export function healthWorkspaceResourceId(subscriptionId: string, resourceGroup: string, workspace: string): string {
    return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.HealthcareApis/workspaces/${workspace}`;
}

/** ARM resource ID of an AHDS FHIR service (ARM returns both `fhirservices` and `fhirServices`: compare case-insensitively). */
export function fhirServiceResourceId(subscriptionId: string, resourceGroup: string, workspace: string, fhir: string): string {
    return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.HealthcareApis/workspaces/${workspace}/fhirservices/${fhir}`;
}

/** A GUID, as ARM writes tenant, subscription and object IDs. */
export const GUID_PATTERN = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** Azure regions are lowercase words and digits (`westeurope`, `eastus2`). Display names are rejected. */
export const LOCATION_PATTERN = /^[a-z]+[a-z0-9]*$/;

/**
 * Regions where the AHDS FHIR service is offered. Source: Microsoft Learn, "Regional availability of services and
 * features" (healthcare-apis/services-features-regional-availability), the "FHIR service" column, as read in November
 * 2026. Not listed: canadaeast (no FHIR service), qatarcentral ("Azure Health Data Services will be retired in the Qatar
 * Central region on 31 October 2025"). South Africa North is listed ("South Africa North | ✓"). A subscription may have
 * its own restrictions; a region Microsoft adds later is accepted with `allowUnlistedLocation: true`.
 */
export const FHIR_REGIONS = [
    "australiaeast",
    "canadacentral",
    "centralindia",
    "eastus",
    "eastus2",
    "francecentral",
    "germanywestcentral",
    "japaneast",
    "koreacentral",
    "northcentralus",
    "northeurope",
    "southafricanorth",
    "southcentralus",
    "southeastasia",
    "swedencentral",
    "switzerlandnorth",
    "uksouth",
    "ukwest",
    "westcentralus",
    "westeurope",
    "westus2",
    "westus3",
] as const;

/**
 * Regions where AHDS had the FHIR service and no longer has it, with what Microsoft said (same page as FHIR_REGIONS):
 * config refuses them even with `allowUnlistedLocation`.
 */
export const FHIR_RETIRED_REGIONS: Readonly<Record<string, string>> = {
    qatarcentral:
        'Azure Health Data Services was retired in Qatar Central on 31 October 2025 (Microsoft Learn, "Regional availability of ' +
        'services and features": "Azure Health Data Services will be retired in the Qatar Central region on 31 October 2025")',
};

/**
 * Regions where Azure Storage offers zone-redundant storage (ZRS) for standard general-purpose v2 accounts. Source:
 * Microsoft Learn, "Azure regions that support zone-redundant storage (ZRS)" (storage/common/redundancy-regions-zrs),
 * "Standard storage accounts: ZRS for standard general-purpose v2 storage accounts is available for a subset of Azure
 * regions", as read in November 2026 (programmatic names from "Azure regions list", reliability/regions-list). Regions
 * without availability zones (of the FHIR regions: northcentralus, westcentralus, ukwest) refuse a `Standard_ZRS`
 * account, so export storage there is `Standard_LRS`.
 */
export const ZRS_REGIONS = [
    "australiaeast",
    "brazilsouth",
    "canadacentral",
    "centralindia",
    "centralus",
    "chinanorth3",
    "eastasia",
    "eastus",
    "eastus2",
    "francecentral",
    "germanywestcentral",
    "israelcentral",
    "italynorth",
    "japaneast",
    "koreacentral",
    "mexicocentral",
    "northeurope",
    "norwayeast",
    "polandcentral",
    "qatarcentral",
    "southafricanorth",
    "southcentralus",
    "southeastasia",
    "spaincentral",
    "swedencentral",
    "switzerlandnorth",
    "uaenorth",
    "uksouth",
    "usgovvirginia",
    "westeurope",
    "westus2",
    "westus3",
] as const;

/**
 * Redundancy of the export storage account. Zone-redundant where the region offers it, locally redundant elsewhere.
 * Not geo-redundant on purpose: exports are regenerable copies of PHI (the FHIR service holds the data), and GRS/GZRS
 * would copy PHI to a second region the stack does not otherwise use (the reason Checkov's CKV_AZURE_206 finding is
 * accepted; README decisions table).
 */
export const EXPORT_STORAGE_REDUNDANCIES = ["ZRS", "LRS"] as const;
export type ExportStorageRedundancy = (typeof EXPORT_STORAGE_REDUNDANCIES)[number];

/** The redundancy export storage gets by default in a region: ZRS where it is offered, else LRS. */
export function defaultExportStorageRedundancy(location: string): ExportStorageRedundancy {
    return (ZRS_REGIONS as readonly string[]).includes(location) ? "ZRS" : "LRS";
}

/** The storage SKU name for a redundancy (Standard performance: `$export` writes a few large blobs). */
export function exportStorageSku(redundancy: ExportStorageRedundancy): "Standard_ZRS" | "Standard_LRS" {
    return redundancy === "ZRS" ? "Standard_ZRS" : "Standard_LRS";
}

/**
 * Features Microsoft retired, each with its announcement. Config refuses them and the policy pack denies them.
 * SMART on FHIR proxy: Azure Updates, "SMART on FHIR proxy feature in Azure Health Data Services will be retired on 21st
 * September 2026 - Transition to SMART on FHIR (Enhanced)" (published 29 September 2023): "After 21 September 2026,
 * applications relying on SMART on FHIR proxy will report errors in accessing the FHIR service." Its replacement is
 * SMART on FHIR (Enhanced) with `authenticationConfiguration.smartIdentityProviders` and the FHIR SMART User role.
 */
export const RETIRED_FEATURES = {
    smartProxy: {
        retired: "2026-09-21",
        source: 'Azure Updates, "SMART on FHIR proxy feature in Azure Health Data Services will be retired on 21st September 2026"',
        instead:
            "SMART on FHIR (Enhanced): smartIdentityProviders (authenticationConfiguration.smartIdentityProviders) with the FHIR SMART " +
            "User role",
    },
} as const;

/**
 * Private DNS zones of the AHDS workspace private endpoint (group `healthcareworkspace`). Source: Microsoft Learn,
 * "Azure Private Endpoint private DNS zone values" (private-link/private-endpoint-dns), Integration table:
 * privatelink.workspace / privatelink.fhir / privatelink.dicom .azurehealthcareapis.com. This platform runs FHIR only,
 * so the DICOM zone is not needed. (A Microsoft sample uses privatelink.azurehealthcareapis.com; the DNS reference
 * page is the authority, and Azure's portal creates the zones it lists.)
 */
export const AHDS_PRIVATE_DNS_ZONES = {
    workspace: "privatelink.workspace.azurehealthcareapis.com",
    fhir: "privatelink.fhir.azurehealthcareapis.com",
} as const;
export type AhdsPrivateDnsZone = keyof typeof AHDS_PRIVATE_DNS_ZONES;

/**
 * Role assignments take effect only after they propagate. Source: Microsoft Learn, "Troubleshoot Azure RBAC"
 * (role-based-access-control/troubleshooting): "it can take up to 10 minutes for changes to take effect". The
 * default wait between the identity's key grant and the first use of the key (storage and FHIR creation with the
 * CMK) is that upper bound; it is paid once, when the grant is created.
 */
export const RBAC_PROPAGATION_SECONDS = { default: 600, max: 1800 } as const;

/**
 * Key Vault key rotation policy. Source: Microsoft Learn, "Configure cryptographic key auto-rotation in Azure Key
 * Vault": the minimum rotation interval is 7 days; `expiryTime` in the policy is the expiry of each *new* version;
 * the `Notify` action needs an expiry. ARM `Keys_CreateIfNotExist` (REST "Keys - Create If Not Exist") creates only the
 * first version of a key: sent again with other parameters it answers 400 `KeyCreationParametersDidNotMatchExistingKey`
 * ("This API can only be used for creating the first version of a new key (no subsequent versions can be created, and
 * existing keys cannot be updated)", Azure/bicep#8283). Key size, type, operations and rotation policy are therefore
 * fixed once the key exists, as far as ARM goes; the rotation policy can still be edited on the data plane
 * (`az keyvault key rotation-policy update`, Key Vault Crypto Officer, through the vault firewall).
 */
export const KEY_ROTATION_DAYS = { min: 28, max: 3650, default: 365 } as const;

/**
 * How a key's versions come and go over time, and who follows them (the fake Azure's clock model, test/engine). Sources:
 * - Microsoft Learn, "Configure cryptographic key auto-rotation in Azure Key Vault", Key rotation policy: rotation
 *   types "Automatically renew at a given time after creation (default)"; "Expiry time: key expiration interval. It's
 *   used to set expiration date on newly rotated key. It doesn't affect a current key." So a new version appears
 *   `timeAfterCreate` after the previous one was created, and carries an expiry only when the policy has `expiryTime`.
 * - Key Vault management REST "Keys - Get": "Gets the current version of the specified key from the specified key
 *   vault" (its `keyUriWithVersion` is the newest version's; ARM writes it with `:443`, keyvault
 *   resource-manager/Microsoft.KeyVault/stable/2024-11-01/examples/getKey.json); "Keys - List Versions" lists them all
 *   (examples/listKeyVersions.json).
 * - Microsoft Learn, "Configure customer-managed keys in the same tenant for a new storage account", "Configure
 *   encryption for automatic updating of key versions": "Azure Storage checks the key vault daily for a new version of
 *   the key. When a new version becomes available, then Azure Storage automatically begins using the latest version of
 *   the key for encryption"; "checks the key vault for a new key version only once daily. When you rotate a key, be sure
 *   to wait 24 hours before disabling the older version". The key-rotation page's note agrees: "the time it takes for
 *   each service to detect and apply the new key version varies (from one hour to 24 hours or more)".
 *   Storage reports the version in use in `encryption.keyvaultproperties.currentVersionedKeyIdentifier`, with
 *   `lastKeyRotationTimestamp` (read-only, storage.json#/definitions/KeyVaultProperties at 2024-01-01).
 * - The FHIR service stays on the versioned key URI it was given until the service is updated ("Configure
 *   customer-managed keys for the FHIR service": "the key is versioned"; CMK best practices: "Keys used with the FHIR
 *   service must be rotated manually"; docs/keys.md); while it cannot use its key (no grant for its identity, the
 *   version disabled or deleted) its API answers 500 until access is restored (DESIGN.md's reading of the FHIR CMK pages,
 *   which verify's 500 diagnosis, tools/verify/diagnose.ts, rests on).
 */
export const KEY_LIFECYCLE = {
    /** Storage polls the vault for a new version of a versionless key once a day. */
    storagePollHours: 24,
} as const;

/**
 * How Azure Resource Manager answers under load and failure, and what azure-native 3.28 does about it.
 * - Throttling: Microsoft Learn, "Understand how Azure Resource Manager throttles requests": "When you reach the limit,
 *   you receive the HTTP status code 429 Too many requests. The response includes a Retry-After value, which specifies
 *   the number of seconds your application should wait (or sleep) before sending the next request." The code ARM uses:
 *   `SubscriptionRequestsThrottled` (MicrosoftDocs/azure-docs#105248 quotes "… exceeded … Please try again after '6'
 *   seconds.").
 * - Retries: azure-native's azcore pipeline (pulumi-azure-native provider/pkg/azure/client_azcore.go, initPipelineOpts)
 *   retries 408, 429, 500, 502, 503, 504 and a 409 `AnotherOperationInProgress`, with RetryDelay 20 s and MaxRetryDelay
 *   120 s; Azure SDK for Go azcore runtime/policy_retry.go: at most 3 retries (defaultMaxRetries), the delay is the
 *   response's Retry-After when it has one ("the retry-after delay exceeds the cap so don't retry" above MaxRetryDelay),
 *   else (2^try - 1) * RetryDelay with jitter [0.8, 1.3), capped at MaxRetryDelay. Every request goes through it: PUT,
 *   GET, DELETE and the polls of a long-running operation. Anything else (400, 403, 404, 409 for other codes) is not
 *   retried. The ARM RPC agrees ("Retrying REST Calls": 408, 5xx, and any response with a Retry-After).
 * - Long-running creates: ARM RPC v1.0 Addendum, "Creating/Updating using PUT": "Future GETs on the resource that was
 *   created should continue to return a 200 … and provisioningState field that is *non-terminal* as long as the
 *   provisioning is in progress"; terminal states are Succeeded, Failed and Canceled, and the state "should be returned
 *   on all future GETs … until some other operation (e.g. a DELETE or UPDATE) causes it to transition". So a create that
 *   fails leaves a resource ARM shows as Failed, which a later PUT updates. azure-native, when a PUT it started fails
 *   (provider/pkg/provider/provider.go defaultCreate: `created` → crud.go HandleErrorWithCheckpoint), reads the resource
 *   by ID and returns the engine an ErrorResourceInitFailed with its state, so the engine keeps it (with init errors)
 *   and updates it on the next `pulumi up`.
 */
export const ARM_RETRY = {
    maxRetries: 3,
    retryDelayMs: 20_000,
    maxRetryDelayMs: 120_000,
    retryStatuses: [408, 429, 500, 502, 503, 504],
    retryConflictCode: "AnotherOperationInProgress",
} as const;

/** Provisioning states of a resource ARM reports (ARM RPC v1.0 Addendum, "ProvisioningState property"). */
export const PROVISIONING_STATES = { succeeded: "Succeeded", failed: "Failed", creating: "Creating" } as const;

/** Diagnostic log categories. Sources: Microsoft Learn "Supported logs for Microsoft.KeyVault/vaults" and "for Microsoft.Storage/storageAccounts/blobServices". */
export const KEY_VAULT_AUDIT_LOG_CATEGORY = "AuditEvent";
export const STORAGE_BLOB_LOG_CATEGORIES = ["StorageRead", "StorageWrite", "StorageDelete"] as const;

/**
 * Where the audit logs land, and how long Log Analytics keeps them. Source: Microsoft Learn, "Manage data retention in
 * a Log Analytics workspace" (azure-monitor/logs/data-retention-configure): "You can extend the analytics retention
 * period of tables with the Analytics plan up to two years", "To retain data in the same table beyond the default
 * retention period, extend the table's total retention to up to 12 years"; "When you shorten a table's total
 * retention, Azure Monitor Logs waits 30 days before removing the data"; "When you increase total retention, the new
 * retention period applies to all data that was already ingested into the table and wasn't yet removed". Its REST
 * section (Tables - Update) gives the values: `retentionInDays` "can be between 4 and 730", `totalRetentionInDays`
 * "can be between 4 and 730; or 1095, 1460, 1826, 2191, 2556, 2922, 3288, 3653, 4018, or 4383" (past two years, whole
 * years only: six years is 2191 days, and 2190 is refused); "The PUT API sets retentionInDays and totalRetentionInDays
 * to the default value if you don't set non-null values" (azure-native sends a PUT: the stack always sends both).
 * azure-native 3.28's `operationalinsights:Table` uses API 2023-09-01 with the same ranges ("between 4 and 730",
 * "between 4 and 4383").
 */
export const LOG_ANALYTICS_RETENTION = {
    /** Workspace default retention on PerGB2018 (Workspaces API), and the analytics retention of a table. */
    interactive: { min: 30, max: 730, default: 90 },
    /** Table retention accepted by the Tables API (below 31 days saves nothing: 31 are included in ingestion). */
    tableInteractive: { min: 4, max: 730 },
    total: { min: 4, max: 4383, default: 2191 },
    /** Past 730 days, total retention is one of these (1 to 12 years). */
    totalYears: [1095, 1460, 1826, 2191, 2556, 2922, 3288, 3653, 4018, 4383],
} as const;

/** An existing Log Analytics workspace's resource ID: subscription, resource group, name. */
export const LOG_ANALYTICS_WORKSPACE_ID =
    /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.OperationalInsights\/workspaces\/([^/]+)$/i;

/** The parts of a Log Analytics workspace resource ID. */
export function logAnalyticsWorkspaceParts(id: string): { subscriptionId: string; resourceGroupName: string; workspaceName: string } {
    const m = LOG_ANALYTICS_WORKSPACE_ID.exec(id);
    if (!m) throw new Error(`not a Log Analytics workspace resource ID: ${id}`);
    return { subscriptionId: m[1].toLowerCase(), resourceGroupName: m[2], workspaceName: m[3] };
}

/** Whether Azure accepts `days` as a table's total retention (see LOG_ANALYTICS_RETENTION). */
export function isTotalRetentionAccepted(days: number): boolean {
    const t = LOG_ANALYTICS_RETENTION;
    return (days >= t.total.min && days <= t.tableInteractive.max) || (t.totalYears as readonly number[]).includes(days);
}

/**
 * Six years, in the days Azure accepts: HIPAA's documentation retention ("Retain the documentation ... for 6 years
 * from the date of its creation or the date when it last was in effect", 45 CFR 164.316(b)(2)(i)), which
 * organisations apply to audit logs. 6 × 365 = 2190 is not an accepted value; 2191 is (LOG_ANALYTICS_RETENTION).
 */
export const HIPAA_SIX_YEARS_DAYS = 2191;

/**
 * The Log Analytics tables the platform's audit logs land in. FHIR `AuditLogs` and Key Vault `AuditEvent`, sent
 * without `logAnalyticsDestinationType`, go to `AzureDiagnostics` ("Resource logs in Azure Monitor", Azure diagnostics
 * mode: "all data from any diagnostic setting will be collected in the AzureDiagnostics table"; Key Vault's resource-specific `AZKVAuditLogs`
 * needs `Dedicated`, which the API returns as null: azure-rest-api-specs #22400); blob `StorageRead/Write/Delete`
 * always land in `StorageBlobLogs` ("Monitor Azure Blob Storage"); the Activity Log in `AzureActivity` ("Activity log
 * data in a Log Analytics workspace is stored in a table called AzureActivity", "Activity log in Azure Monitor").
 */
export const AUDIT_LOG_TABLES = {
    AzureDiagnostics: "FHIR AuditLogs and Key Vault AuditEvent",
    StorageBlobLogs: "blob reads, writes and deletes of export storage",
    AzureActivity: "the Activity Log (control plane)",
} as const;
export type AuditLogTable = keyof typeof AUDIT_LOG_TABLES;

/**
 * Tables Azure keeps longer than the workspace default at no charge. Source: "Manage data retention in a Log Analytics
 * workspace", Log tables with 90-day default retention: "By default, the Usage and AzureActivity tables keep data for
 * at least 90 days at no charge". The stack never gives them less analytics retention than that.
 */
export const FREE_ANALYTICS_RETENTION_DAYS: Readonly<Partial<Record<AuditLogTable, number>>> = { AzureActivity: 90 };

/**
 * Activity Log categories a subscription diagnostic setting can send. Source: Microsoft Learn, "Azure Activity Log event
 * schema" (categories: Administrative "contains the record of all create, update, delete, and action operations
 * performed through Resource Manager ... also includes any changes to role-based access control"; Security: alerts from
 * Microsoft Defender for Cloud; Policy: "all effect action operations performed by Azure Policy"; Service Health,
 * Resource Health, Alert, Autoscale, Recommendation) and the ARM category names of `Microsoft.Insights/diagnosticSettings`
 * at subscription scope. Activity Log data in Log Analytics carries no ingestion or retention charge for the
 * `AzureActivity` table's free 90 days ("Manage data retention in a Log Analytics workspace"), so the stack sends them all.
 */
export const ACTIVITY_LOG_CATEGORIES = [
    "Administrative",
    "Security",
    "ServiceHealth",
    "Alert",
    "Recommendation",
    "Policy",
    "Autoscale",
    "ResourceHealth",
] as const;
export type ActivityLogCategory = (typeof ACTIVITY_LOG_CATEGORIES)[number];
/** The categories every subscription must send at least (key URL changes, role assignment deletions, firewall edits). */
export const REQUIRED_ACTIVITY_LOG_CATEGORIES = ["Administrative", "Security", "Policy"] as const satisfies readonly ActivityLogCategory[];

/**
 * Diagnostic settings limits. Source: "Diagnostic settings in Azure Monitor": "Each resource can have up to five
 * diagnostic settings"; "Activity log in Azure Monitor": "You can send the activity log from any single subscription to up
 * to five workspaces". One category cannot go to one destination from two settings: ARM answers Conflict "Data sink
 * '<workspace>' is already used in diagnostic setting '<name>' for category '<category>'" (Azure/bicep-registry-modules
 * #3407; Azure/Community-Policy #188: "You can't have two diag settings going to the same LA workspace ... for the same
 * category"). So one stack, and only one, owns a subscription's Activity Log setting.
 */
export const DIAGNOSTIC_SETTINGS_PER_RESOURCE = 5;

/**
 * Blob lifecycle management. Source: Microsoft Learn, "Azure Blob Storage lifecycle management overview": "If you don't
 * define a prefix match, then, the rule applies to all blobs within the storage account"; the Delete action applies to
 * block and append blobs ("The current release supports blockBlob and appendBlob blob types. Only the Delete action is
 * supported for appendBlob"); `daysAfterCreationGreaterThan` is "the condition for actions on the current version or
 * previous version of a blob or a blob snapshot"; "A lifecycle management policy will not delete the current version of
 * a blob until any previous versions or snapshots associated with that blob have been deleted"; "When you add or edit the
 * rules of a lifecycle policy, it can take up to 24 hours for changes to go into effect and for the first execution to
 * start"; a policy does not operate on system containers ($logs). With blob soft delete on, a deleted blob stays
 * soft-deleted for the retention period: "Even if the policy is deleting the blobs, those blobs might still exist in a soft
 * deleted state or as an older version" (Blob Storage FAQ, "I don't see capacity changes even though the policy is
 * executing and deleting the blobs"). Storage's one policy per account is named `default` (Management Policies - Create
 * Or Update: "It should always be 'default'").
 */
export const EXPORT_RETENTION_DAYS = { min: 1, max: 365, default: 30 } as const;
export const MANAGEMENT_POLICY_NAME = "default";
/** Upper bound, in days, of how late a lifecycle deletion can be: a day for a new policy to take effect, a day per run. */
export const LIFECYCLE_LAG_DAYS = 2;

/**
 * What Microsoft keeps of a FHIR service, and what it does not. Source: Microsoft Learn, "Business continuity and
 * disaster recovery considerations" (healthcare-apis/business-continuity-disaster-recovery): "Azure Health Data
 * Services automatically keeps backups of your data for the FHIR service for the last seven days"; "The support team
 * handles the backups and restores of the FHIR database. To restore the data, customers need to submit a support ticket"
 * (service name, restore point within the last seven days); "For a large or active database, the restore might take
 * several hours to several days", answering 503 meanwhile; "Cross-region disaster recovery isn't currently supported in
 * Azure Health Data Services"; it "can't handle" a deleted service, or a disaster that disables the region.
 */
export const FHIR_BACKUP_RETENTION_DAYS = 7;

/**
 * Object replication, the platform's optional copy of `$export` output in a second region. Source: Microsoft Learn,
 * "Object replication for block blobs" (storage/blobs/object-replication-overview): "Change feed: Must be enabled on the
 * source account"; "Blob versioning: Must be enabled on both the source and destination accounts"; "supports block
 * blobs only"; "supported for accounts that are encrypted with either microsoft-managed keys or customer-managed keys";
 * "The source and destination accounts may be in the same region or in different regions"; "The source and destination
 * containers must both exist before you can specify them in a rule"; "After you create the replication policy, write
 * operations to the destination container aren't permitted"; a delete in the source makes the current version a
 * previous version, and "This state is replicated to the destination account"; the policy is created on the destination
 * first (policy ID `default`, rule IDs empty), then on the source with the IDs Azure returned; with
 * AllowCrossTenantReplication false, "you must now provide the full resource ID" of both accounts. The FHIR service
 * writes `$export` output as block blobs (microsoft/fhir-server AzureExportDestinationClient: CloudBlockBlob, block
 * lists) into the container named by `_container` ("Export your FHIR data": "If a container is specified, the data is
 * exported into a folder in that container").
 */
export const OBJECT_REPLICATION_DESTINATION_POLICY_ID = "default";

/**
 * Names Azure keeps unique across all of Azure, not per resource group: a name another tenant holds cannot be created.
 * Sources: "Naming rules and restrictions for Azure resources" (Microsoft.KeyVault/vaults, Microsoft.Storage/storageAccounts:
 * "Resource name must be unique across Azure") and, for AHDS workspaces, the FHIR host name `<workspace>-<service>` the
 * workspace name is part of (fhirServiceUrl above). Soft-deleted vaults keep their name until purged (below).
 */
export const GLOBALLY_UNIQUE_NAME_INPUTS: Readonly<Record<string, string>> = {
    "azure-native:keyvault:Vault": "vaultName",
    "azure-native:storage:StorageAccount": "accountName",
    "azure-native:healthcareapis:Workspace": "workspaceName",
};

/** What ARM answers, code and message, for the refusals the program must cope with; each with where it was seen. */
export const ARM_ERRORS = {
    /** Key Vault "Azure Key Vault soft-delete overview": a deleted vault's name stays taken until it is purged or recovered. */
    vaultNameInDeletedState: {
        code: "ConflictError",
        message: (name: string) =>
            `A vault with the same name already exists in deleted state. You need to either recover or purge existing key vault. (${name})`,
        source: 'Microsoft Learn, "Azure Key Vault soft-delete overview" (a soft-deleted vault\'s name cannot be reused until purged)',
    },
    vaultNameTaken: {
        code: "VaultAlreadyExists",
        message: (name: string) =>
            `The vault name '${name}' is already in use. Vault names are globally unique so it is possible that the name is already taken.`,
        source: 'Microsoft Learn, "Troubleshoot Azure Key Vault" / ARM deployment errors (VaultAlreadyExists)',
    },
    storageNameTaken: {
        code: "StorageAccountAlreadyTaken",
        message: (name: string) => `The storage account named ${name} is already taken.`,
        source: 'Microsoft Learn, "Resolve errors for storage account names" (StorageAccountAlreadyTaken)',
    },
    /** The code ARM uses for any name conflict; AHDS's own message for a taken workspace name is not documented. */
    workspaceNameTaken: {
        code: "Conflict",
        message: (name: string) => `The workspace name '${name}' is not available (AHDS workspace names are part of a global host name).`,
        source: "not documented by AHDS: ARM's generic Conflict code, message written here",
    },
    /** REST "Keys - Create If Not Exist" (docs/keys.md): a key exists; other parameters are refused. */
    keyParametersDiffer: {
        code: "KeyCreationParametersDidNotMatchExistingKey",
        message:
            "This API can only be used for creating the first version of a new key (no subsequent versions can be created, and " +
            "existing keys cannot be updated)",
        source: 'Key Vault management REST reference "Keys - Create If Not Exist"; the code as reported in Azure/bicep#8283',
    },
    /**
     * Key Vault's RBAC refusal, seen when a service's identity reaches a key before its role assignment propagated
     * (MicrosoftDocs/azure-docs#65704, hashicorp/terraform-provider-azurerm#27817). How AHDS and Storage wrap it when a
     * create with a customer-managed key fails is not documented: the fake passes Key Vault's answer through.
     */
    keyAccessDenied: {
        code: "ForbiddenByRbac",
        message:
            "Caller is not authorized to perform action on resource.\r\nIf role assignments, deny assignments or role definitions " +
            "were changed recently, please observe propagation time.",
        source: "Key Vault ForbiddenByRbac as quoted in MicrosoftDocs/azure-docs#65704; AHDS/Storage wrapping not documented",
    },
    /** ARM's answer for a region a resource type is not offered in. */
    locationNotAvailable: {
        code: "LocationNotAvailableForResourceType",
        message: (location: string, armType: string, offered: readonly string[]) =>
            `The provided location '${location}' is not available for resource type '${armType}'. List of available regions for ` +
            `the resource type is '${offered.join(",")}'.`,
        source: 'Microsoft Learn, "Resolve errors for SKU not available" / "LocationNotAvailableForResourceType" (ARM)',
    },
    /** Storage's answer for a SKU the region does not offer (ZRS outside ZRS_REGIONS); the exact text is not documented. */
    skuNotAvailable: {
        code: "SkuNotAvailable",
        message: (sku: string, location: string) => `The requested SKU '${sku}' is not available in location '${location}'.`,
        source: 'Microsoft Learn, "Resolve errors for SKU not available" (code SkuNotAvailable; message written here)',
    },
    /** A quota reached: ARM's QuotaExceeded code; AHDS's own message text is not documented. */
    quotaExceeded: {
        code: "QuotaExceeded",
        message: (what: string, limit: number) =>
            `Operation results in exceeding quota limits of ${what}. Maximum allowed: ${limit}. Please submit a support request to raise the limit.`,
        source: 'AHDS_DEFAULT_QUOTAS above; ARM code QuotaExceeded ("Resolve errors for resource quotas"); message written here',
    },
    /** ARM_RETRY above: 429 with Retry-After (seconds). */
    throttled: {
        code: "SubscriptionRequestsThrottled",
        status: 429,
        message: (subscriptionId: string, seconds: number) =>
            `Number of 'write' requests for subscription '${subscriptionId}' exceeded. Please try again after '${seconds}' seconds.`,
        source: 'Microsoft Learn, "Understand how Azure Resource Manager throttles requests"; code and wording as in MicrosoftDocs/azure-docs#105248',
    },
    /** A transient server failure (ARM_RETRY: azure-native retries it); the text is not documented. */
    internalServerError: {
        code: "InternalServerError",
        status: 500,
        message: "Encountered internal server error. Please try again.",
        source: 'ARM RPC v1.0 Addendum, "Retrying REST Calls" (500 InternalServerError); message written here',
    },
    /** A long-running operation that ended Failed (ARM RPC Operation Resource format: error.code, error.message). */
    operationFailed: {
        code: "InternalServerError",
        message: (what: string) => `The operation to provision ${what} failed. Please retry the operation.`,
        source: 'ARM RPC v1.0 Addendum, "Operation Resource format" (status Failed with error code and message); AHDS\'s text is not documented, written here',
    },
    /** A retired feature switched on: the announcement says applications "will report errors"; ARM's answer is not documented. */
    featureRetired: {
        code: "BadRequest",
        message: (feature: string, retired: string, instead: string) => `${feature} was retired on ${retired}; use ${instead}.`,
        source: "RETIRED_FEATURES above (Azure Updates); ARM's answer not documented, message written here",
    },
} as const;
