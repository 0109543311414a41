/**
 * What the providers this program uses do with a resource's inputs, per type: azure-native 3.28's Check (required
 * properties, types, name lengths and patterns, the defaults it fills in) and Diff (which changes it replaces on), and
 * which in-place updates Azure itself refuses. One table, read by the offline plan diff (harness/planFacts.ts) and by
 * the fake providers of the real-engine tests (engine/plugins), so neither can hold a rule of its own.
 *
 * How azure-native decides, and where each row's sources come from:
 * - PATH: `provider/pkg/provider/diff.go` (calculateDetailedDiff): "All the parameters that are part of the resource
 *   path cause a replacement". The path parameters are also the resource's Azure identity.
 * - FORCE_NEW: `provider/pkg/gen/replacement.go` (forceNewMap, kept by hand).
 * - MUTABILITY: `provider/pkg/gen/properties.go` (forceNew): a top-level body property whose REST spec marks
 *   `x-ms-mutability` without `update` replaces; "a non-updatable property at a subtype level (a property of a property
 *   of a resource) does not mandate the replacement of the whole resource".
 * - CHECK: `provider/pkg/provider/provider.go` (Check, applyDefaults, validateType, validateProperty): a missing
 *   `location` is taken from the old inputs, the provider's `location` config, or the resource group's location; the
 *   API version goes into `azureApiVersion` (v3); required properties, types, minLength/maxLength/pattern of path
 *   parameters and body properties are validated, a nested object's only when the object is given.
 * - DIFF_CONFIG: `provider.go` DiffConfig answers no change and no replacement for any provider configuration change.
 * - READ: `provider.go` Read (refresh) takes the old inputs and changes only what Azure changed: it projects the old
 *   outputs and the outputs of a new GET onto the input schema (`convert/sdkOutputsToSdkInputs.go`: only properties of
 *   the PUT body, so read-only outputs drop out; a string set, such as a user-assigned identity map, becomes the array
 *   of its keys), diffs the two projections and applies that diff to the old inputs (`diff.go` applyDiff, recursively
 *   into objects and arrays). Create and Update read the resource back after their PUT (`readAfterWrite`), so the
 *   outputs in state have a GET's shape. The rows below list, per type, the outputs that are not inputs (`outputOnly`,
 *   from the SDK's own types: `@pulumi/azure-native/<module>/<type>.d.ts` outputs against its `…Args`) and the string sets.
 * Spec paths are under `specification/` of Azure/azure-rest-api-specs, at the API version azure-native 3.28 uses for the
 * type (the version named in `@pulumi/azure-native/<module>/<type>.d.ts`), as JSON pointers into the file.
 *
 * A type the table does not list still works in the fakes (engine/plugins/fakeArm.ts infers its path parameters from
 * its input names), and the plan diff treats its changes as updates.
 */

export type PropertyType = "string" | "integer" | "number" | "boolean" | "object" | "array";

/** A rule with the public source it comes from. */
export interface Sourced {
    /** Input path, dotted (`properties.keySize`); a rule covers the path and everything under it. */
    path: string;
    source: string;
}

/** A path or body parameter's string constraints, as the REST spec gives them (azure-native validates them in Check). */
export interface NameConstraint extends Sourced {
    minLength?: number;
    maxLength?: number;
    /** The spec's regular expression, as azure-native compiles it (Go RE2; these need nothing JavaScript lacks). */
    pattern?: string;
}

/** A change azure-native sends as an update that Azure refuses or ignores: it takes a new resource (a new name). */
export interface RefusedUpdate extends Sourced {
    why: string;
}

export interface TypeRules {
    /** The REST API version azure-native 3.28 uses (`azureApiVersion`, added by Check); absent for non-Azure types. */
    apiVersion?: string;
    /** Path parameters, outermost first (the last one names the resource): replace on change (PATH). */
    identity: string[];
    /** Other inputs whose change the provider answers with a replacement. */
    replaces: Sourced[];
    /** Updates azure-native attempts and Azure refuses (or ignores): the plan warns instead of calling it a replacement. */
    azureRefuses: RefusedUpdate[];
    /** Updates that succeed with a consequence a reviewer must know. */
    cautions: RefusedUpdate[];
    /** Required properties (dotted; a nested one only when its parent object is given). */
    required: Sourced[];
    names: NameConstraint[];
    /** Types of properties the program sends, checked as azure-native's validateProperty does. */
    types: Record<string, PropertyType>;
    /** The body has a `location`: Check fills a missing one (CHECK). */
    autoLocation: boolean;
    /** Outputs that are not inputs: a refresh's projection leaves them out (READ). */
    outputOnly: Sourced[];
    /** Inputs that are string sets: an array in the inputs, a map keyed by the strings in the outputs (READ). */
    stringSets: Sourced[];
}

const AZURE_NATIVE = "pulumi-azure-native provider/pkg";
export const PATH_SOURCE = `${AZURE_NATIVE}/provider/diff.go calculateDetailedDiff ("All the parameters that are part of the resource path cause a replacement")`;
const FORCE_NEW = `${AZURE_NATIVE}/gen/replacement.go forceNewMap`;
const MUTABILITY = `${AZURE_NATIVE}/gen/properties.go forceNew (top-level x-ms-mutability without update)`;
const TRACKED = "common-types/resource-management/v5/types.json#/definitions/TrackedResource/properties/location";
const HEALTHCARE = "healthcareapis/resource-manager/Microsoft.HealthcareApis/stable/2024-03-31/healthcare-apis.json";
const KEYVAULT = "keyvault/resource-manager/Microsoft.KeyVault/stable/2024-11-01/keyvault.json";
const KEYS = "keyvault/resource-manager/Microsoft.KeyVault/stable/2024-11-01/keys.json";
const STORAGE = "storage/resource-manager/Microsoft.Storage/stable/2024-01-01/storage.json";
const RESOURCE_GROUP_NAME = "^[-\\w\\._\\(\\)]+$";

/** ARM: `Keys - Create If Not Exist` never updates an existing key (azure/facts.ts KEY_CREATE_IF_NOT_EXIST). */
const KEY_FIXED =
    "ARM Keys - Create If Not Exist refuses other parameters for an existing key (400 KeyCreationParametersDidNotMatchExistingKey, " +
    "Azure/bicep#8283): a new key (a new name) is the only way";

/** AHDS resources: `location` is create-only (LocationBasedResource), and the workspace's path parameters. */
const AHDS_LOCATION: Sourced = {
    path: "location",
    source: `${MUTABILITY}: ${HEALTHCARE}#/definitions/LocationBasedResource/properties/location is [create, read]`,
};
const AHDS_WORKSPACE_NAMES: NameConstraint[] = [
    {
        path: "resourceGroupName",
        minLength: 1,
        maxLength: 90,
        pattern: RESOURCE_GROUP_NAME,
        source: `${HEALTHCARE}#/parameters/resourceGroupName`,
    },
    { path: "workspaceName", minLength: 3, maxLength: 24, source: `${HEALTHCARE}#/parameters/workspaceName` },
];

function rules(identity: string[], more: Partial<Omit<TypeRules, "identity">> = {}): TypeRules {
    return {
        identity,
        replaces: [],
        azureRefuses: [],
        cautions: [],
        required: [],
        names: [],
        types: {},
        autoLocation: false,
        outputOnly: [],
        stringSets: [],
        ...more,
    };
}

function required(source: string, ...paths: string[]): Sourced[] {
    return paths.map((path) => ({ path, source }));
}

/** Outputs of an azure-native resource class that its `…Args` does not have (READ). */
function outputOnly(source: string, ...paths: string[]): Sourced[] {
    return paths.map((path) => ({ path, source: `@pulumi/azure-native 3.28 ${source}` }));
}

export const PROVIDER_RULES: Readonly<Record<string, TypeRules>> = {
    "azure-native:resources:ResourceGroup": rules(["resourceGroupName"], {
        apiVersion: "2024-03-01",
        replaces: [{ path: "location", source: `${FORCE_NEW} (Resources.ResourceGroup: location)` }],
        required: required(
            "resources/resource-manager/Microsoft.Resources/stable/2024-03-01/resources.json#/definitions/ResourceGroup/required",
            "location",
        ),
        names: [
            {
                path: "resourceGroupName",
                minLength: 1,
                maxLength: 90,
                pattern: RESOURCE_GROUP_NAME,
                source: "common-types/resource-management/v5/types.json#/parameters/ResourceGroupNameParameter",
            },
        ],
        autoLocation: true,
    }),
    "azure-native:managedidentity:UserAssignedIdentity": rules(["resourceGroupName", "resourceName"], {
        apiVersion: "2023-01-31",
        replaces: [{ path: "location", source: `${MUTABILITY}: ${TRACKED} is [read, create]` }],
        required: required(`${TRACKED} (required)`, "location"),
        autoLocation: true,
        outputOnly: outputOnly(
            "managedidentity/userAssignedIdentity.d.ts (UserAssignedIdentity vs UserAssignedIdentityArgs)",
            "clientId",
            "principalId",
            "tenantId",
            "name",
            "type",
            "systemData",
        ),
    }),
    "azure-native:operationalinsights:Workspace": rules(["resourceGroupName", "workspaceName"], {
        apiVersion: "2023-09-01",
        replaces: [{ path: "location", source: `${MUTABILITY}: ${TRACKED} is [read, create]` }],
        required: required(`${TRACKED} (required)`, "location"),
        types: { retentionInDays: "integer" },
        autoLocation: true,
    }),
    "azure-native:keyvault:Vault": rules(["resourceGroupName", "vaultName"], {
        apiVersion: "2024-11-01",
        azureRefuses: [
            {
                path: "location",
                why:
                    'a key vault cannot move to another region (Microsoft Learn, "Move an Azure key vault to another region"); ' +
                    "azure-native updates in place (location has no x-ms-mutability mark)",
                source: `${KEYVAULT}#/definitions/VaultCreateOrUpdateParameters/properties/location`,
            },
            {
                path: "properties.enablePurgeProtection",
                why: 'purge protection, once on, cannot be turned off ("the property does not accept false as its value")',
                source: `${KEYVAULT}#/definitions/VaultProperties/properties/enablePurgeProtection`,
            },
        ],
        cautions: [
            {
                path: "properties.tenantId",
                why:
                    "in place, but every role assignment on the vault stops working (Microsoft Learn: change a key vault tenant ID " +
                    "after a subscription move)",
                source: `${KEYVAULT}#/definitions/VaultProperties/properties/tenantId`,
            },
        ],
        required: [
            ...required(`${KEYVAULT}#/definitions/VaultCreateOrUpdateParameters/required`, "location", "properties"),
            ...required(`${KEYVAULT}#/definitions/VaultProperties/required`, "properties.tenantId", "properties.sku"),
            ...required(`${KEYVAULT}#/definitions/Sku/required`, "properties.sku.name", "properties.sku.family"),
        ],
        names: [{ path: "vaultName", pattern: "^[a-zA-Z0-9-]{3,24}$", source: `${KEYVAULT}#/parameters/VaultName` }],
        types: {
            "properties.tenantId": "string",
            "properties.enableSoftDelete": "boolean",
            "properties.softDeleteRetentionInDays": "integer",
            "properties.enablePurgeProtection": "boolean",
            "properties.enableRbacAuthorization": "boolean",
            "properties.networkAcls": "object",
        },
        autoLocation: true,
        outputOnly: outputOnly("keyvault/vault.d.ts (Vault vs VaultArgs)", "name", "type", "systemData"),
    }),
    "azure-native:keyvault:Key": rules(["resourceGroupName", "vaultName", "keyName"], {
        apiVersion: "2024-11-01",
        azureRefuses: [
            "properties.kty",
            "properties.keySize",
            "properties.curveName",
            "properties.keyOps",
            "properties.rotationPolicy",
        ].map(
            (path): RefusedUpdate => ({
                path,
                why: KEY_FIXED,
                source: `${KEYS}#/definitions/KeyProperties (no x-ms-mutability: azure-native updates)`,
            }),
        ),
        required: required(`${KEYS}#/definitions/KeyCreateParameters/required`, "properties"),
        names: [
            { path: "vaultName", pattern: "^[a-zA-Z0-9-]{3,24}$", source: `${KEYS}#/paths (Keys_CreateIfNotExist vaultName)` },
            { path: "keyName", pattern: "^[a-zA-Z0-9-]{1,127}$", source: `${KEYS}#/paths (Keys_CreateIfNotExist keyName)` },
        ],
        types: {
            "properties.kty": "string",
            "properties.keySize": "integer",
            "properties.keyOps": "array",
            "properties.attributes": "object",
        },
        // The key's outputs are flat (keyvault/key.d.ts), its inputs nest them under `properties` (KeyArgs).
        outputOnly: outputOnly(
            "keyvault/key.d.ts (Key vs KeyArgs)",
            "attributes",
            "curveName",
            "keyOps",
            "keySize",
            "keyUri",
            "keyUriWithVersion",
            "kty",
            "location",
            "name",
            "releasePolicy",
            "rotationPolicy",
            "type",
        ),
    }),
    "azure-native:storage:StorageAccount": rules(["resourceGroupName", "accountName"], {
        apiVersion: "2024-01-01",
        replaces: [
            { path: "location", source: `${FORCE_NEW} (Storage.StorageAccount: location)` },
            { path: "isHnsEnabled", source: `${FORCE_NEW} (Storage.StorageAccount: isHnsEnabled)` },
        ],
        azureRefuses: [
            {
                path: "kind",
                why: "only an upgrade to StorageV2 happens in place (Microsoft Learn: upgrade to a general-purpose v2 storage account)",
                source: `${STORAGE}#/definitions/StorageAccountCreateParameters/properties/kind (no x-ms-mutability: azure-native updates)`,
            },
            {
                path: "encryption.requireInfrastructureEncryption",
                why: 'infrastructure encryption is set only when the account is created (Microsoft Learn, "Enable infrastructure encryption")',
                source: `${MUTABILITY}: a nested create-only property does not replace`,
            },
        ],
        required: [
            ...required(`${STORAGE}#/definitions/StorageAccountCreateParameters/required`, "sku", "kind", "location"),
            ...required("common-types Sku (storage.json#/definitions/Sku/required)", "sku.name"),
        ],
        names: [{ path: "accountName", minLength: 3, maxLength: 24, source: `${STORAGE}#/parameters/StorageAccountName` }],
        types: {
            kind: "string",
            isHnsEnabled: "boolean",
            enableHttpsTrafficOnly: "boolean",
            allowBlobPublicAccess: "boolean",
            allowSharedKeyAccess: "boolean",
            encryption: "object",
            "encryption.requireInfrastructureEncryption": "boolean",
            networkRuleSet: "object",
        },
        autoLocation: true,
        outputOnly: [
            ...outputOnly(
                "storage/storageAccount.d.ts (StorageAccount vs StorageAccountArgs)",
                "creationTime",
                "keyCreationTime",
                "primaryEndpoints",
                "primaryLocation",
                "provisioningState",
                "statusOfPrimary",
                "name",
                "type",
            ),
            ...outputOnly(
                "types/output.d.ts storage.KeyVaultPropertiesResponse vs types/input.d.ts storage.KeyVaultPropertiesArgs",
                "encryption.keyVaultProperties.currentVersionedKeyIdentifier",
                "encryption.keyVaultProperties.currentVersionedKeyExpirationTimestamp",
                "encryption.keyVaultProperties.lastKeyRotationTimestamp",
            ),
        ],
    }),
    "azure-native:storage:BlobServiceProperties": rules(["resourceGroupName", "accountName", "blobServicesName"], {
        apiVersion: "2024-01-01",
    }),
    "azure-native:healthcareapis:Workspace": rules(["resourceGroupName", "workspaceName"], {
        apiVersion: "2024-03-31",
        replaces: [AHDS_LOCATION],
        names: [...AHDS_WORKSPACE_NAMES],
        autoLocation: true,
    }),
    "azure-native:healthcareapis:FhirService": rules(["resourceGroupName", "workspaceName", "fhirServiceName"], {
        apiVersion: "2024-03-31",
        // `kind` has no x-ms-mutability mark (healthcare-apis.json#/definitions/FhirService/properties/kind): an update.
        replaces: [AHDS_LOCATION],
        required: required(`${HEALTHCARE}#/definitions/ServiceManagedIdentity/properties/identity/required`, "identity.type"),
        names: [
            ...AHDS_WORKSPACE_NAMES,
            { path: "fhirServiceName", minLength: 3, maxLength: 24, source: `${HEALTHCARE}#/parameters/fhirServiceName` },
        ],
        types: {
            kind: "string",
            identity: "object",
            authenticationConfiguration: "object",
            "authenticationConfiguration.smartProxyEnabled": "boolean",
            "corsConfiguration.maxAge": "integer",
            encryption: "object",
        },
        autoLocation: true,
        outputOnly: [
            ...outputOnly(
                "healthcareapis/fhirService.d.ts (FhirService vs FhirServiceArgs)",
                "eventState",
                "provisioningState",
                "privateEndpointConnections",
                "publicNetworkAccess",
                "systemData",
                "etag",
                "name",
                "type",
            ),
            ...outputOnly(
                "types/output.d.ts healthcareapis.ServiceManagedIdentityResponseIdentity vs types/input.d.ts ServiceManagedIdentityIdentityArgs",
                "identity.principalId",
                "identity.tenantId",
            ),
        ],
        stringSets: [
            {
                path: "identity.userAssignedIdentities",
                source:
                    "@pulumi/azure-native 3.28 types/input.d.ts healthcareapis.ServiceManagedIdentityIdentityArgs (userAssignedIdentities: string[]) " +
                    "vs output map of UserAssignedIdentityResponse; convert/convertPropValue.go (IsStringSet: map keys become the array)",
            },
        ],
    }),
    "azure-native:network:PrivateEndpoint": rules(["resourceGroupName", "privateEndpointName"], {
        apiVersion: "2024-05-01",
        replaces: [{ path: "subnet", source: `${FORCE_NEW} (Network.PrivateEndpoint: subnet; pulumi-azure-native#3883)` }],
        autoLocation: true,
    }),
    "azure-native:network:PrivateDnsZoneGroup": rules(["resourceGroupName", "privateEndpointName", "privateDnsZoneGroupName"], {
        apiVersion: "2024-05-01",
    }),
    "azure-native:privatedns:PrivateZone": rules(["resourceGroupName", "privateZoneName"], {
        apiVersion: "2024-06-01",
        autoLocation: true,
    }),
    "azure-native:privatedns:VirtualNetworkLink": rules(["resourceGroupName", "privateZoneName", "virtualNetworkLinkName"], {
        apiVersion: "2024-06-01",
        autoLocation: true,
    }),
    "azure-native:authorization:RoleAssignment": rules(["scope", "roleAssignmentName"], {
        apiVersion: "2022-04-01",
        replaces: [
            { path: "principalId", source: `${FORCE_NEW} (Authorization.RoleAssignment: principalId, scope)` },
            { path: "scope", source: `${FORCE_NEW} (Authorization.RoleAssignment: principalId, scope)` },
        ],
        azureRefuses: [
            {
                path: "roleDefinitionId",
                why: "an existing assignment changes only its description and condition (Az PowerShell Set-AzRoleAssignment)",
                source: "authorization RoleAssignmentProperties.roleDefinitionId (no x-ms-mutability: azure-native updates)",
            },
        ],
        required: required(
            "authorization/resource-manager/Microsoft.Authorization/stable/2022-04-01/authorization-RoleAssignmentsCalls.json#/definitions/RoleAssignmentProperties/required",
            "roleDefinitionId",
            "principalId",
        ),
        types: { principalId: "string", principalType: "string", description: "string" },
        outputOnly: outputOnly(
            "authorization/roleAssignment.d.ts (RoleAssignment vs RoleAssignmentArgs)",
            "createdBy",
            "createdOn",
            "updatedBy",
            "updatedOn",
            "delegatedManagedIdentityResourceId",
            "name",
            "type",
            "systemData",
        ),
    }),
    "azure-native:monitor:DiagnosticSetting": rules(["resourceUri", "name"], {
        apiVersion: "2021-05-01-preview",
        types: { logs: "array" },
    }),
    // Audit retention and data lifecycle (issue 24): their path parameters replace (PATH); no forceNewMap row and no
    // create-only body property the program sends (API versions from @pulumi/azure-native/<module>/<type>.d.ts).
    "azure-native:operationalinsights:Table": rules(["resourceGroupName", "workspaceName", "tableName"], { apiVersion: "2023-09-01" }),
    "azure-native:monitor:SubscriptionDiagnosticSetting": rules(["name"], { apiVersion: "2021-05-01-preview" }),
    "azure-native:storage:ManagementPolicy": rules(["resourceGroupName", "accountName", "managementPolicyName"], {
        apiVersion: "2024-01-01",
    }),
    "azure-native:storage:BlobContainer": rules(["resourceGroupName", "accountName", "containerName"], { apiVersion: "2024-01-01" }),
    "azure-native:storage:ObjectReplicationPolicy": rules(["resourceGroupName", "accountName", "objectReplicationPolicyId"], {
        apiVersion: "2024-01-01",
    }),
    // @pulumi/random is the bridged terraform-provider-random: every random_string argument is RequiresReplace.
    "random:index/randomString:RandomString": rules([], {
        replaces: [
            "length",
            "lower",
            "upper",
            "numeric",
            "special",
            "minLower",
            "minUpper",
            "minNumeric",
            "minSpecial",
            "overrideSpecial",
            "keepers",
        ].map((path) => ({
            path,
            source: "terraform-provider-random internal/provider/resource_string.go (every attribute RequiresReplace)",
        })),
        required: required("terraform-provider-random resource_string.go (length: Required)", "length"),
        types: { length: "integer" },
    }),
    "pulumi-nodejs:dynamic/fhir-platform:RbacPropagationWait": rules([], {
        replaces: [{ path: "trigger", source: "components/rbacPropagationWait.ts diff (a new grant means a new wait)" }],
    }),
};

/** True when `path` is `prefix` or lies under it (`properties.keySize` under `properties`; `a[0].b` under `a`). */
export function underPath(path: string, prefix: string): boolean {
    return path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`);
}

/** Paths whose change the provider answers with a replacement: the ARM path parameters and the listed inputs. */
export function replacePaths(type: string): Sourced[] {
    const r = PROVIDER_RULES[type];
    if (!r) return [];
    return [...r.identity.map((path) => ({ path, source: PATH_SOURCE })), ...r.replaces];
}
