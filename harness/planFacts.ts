/**
 * What a change to an input means in Azure, per resource type: which inputs make up the resource's Azure identity
 * (its ARM path), and which changes Azure can only make by replacing the resource. Each rule names its source.
 *
 * Sources, cited by the rules below:
 * - PATH: pulumi-azure-native `provider/pkg/provider/diff.go` (calculateDetailedDiff): "All the parameters that are part
 *   of the resource path cause a replacement" (pulumi/pulumi-azure-native#77). These are also the resource's identity.
 * - FORCE_NEW: pulumi-azure-native `provider/pkg/gen/replacement.go` (forceNewMap, maintained by hand): ResourceGroup
 *   `location`; StorageAccount `isHnsEnabled`, `location`; RoleAssignment `principalId`, `scope`; PrivateEndpoint
 *   `subnet` (pulumi/pulumi-azure-native#3883).
 * - MUTABILITY: pulumi-azure-native `provider/pkg/gen/properties.go` (forceNew): a top-level property whose ARM spec
 *   says `x-ms-mutability: [create, read]` (TypeSpec: visibility read + create) is replace-on-change. ARM's
 *   `TrackedResource.location` and `ResourceKind.kind` (the FHIR service's `kind`) are such properties. The same file
 *   says a create-only property *nested* in a type does not make azure-native replace the resource.
 * - Nested create-only settings azure-native does not replace on (it sends an update Azure refuses or ignores), from
 *   Microsoft Learn: storage "Enable infrastructure encryption for double encryption of data" (only when the account
 *   is created); storage "Upgrade to a general-purpose v2 storage account" (kind changes one way, to StorageV2, only);
 *   Key Vault REST "Keys - Create If Not Exist" (an existing key is returned without any write: size and type are
 *   fixed); Key Vault "soft-delete overview" (purge protection cannot be turned off once on); Az PowerShell
 *   "Set-AzRoleAssignment" (an existing assignment changes only its description and condition) and ARM's
 *   RoleAssignmentUpdateNotPermitted ("Tenant ID, application ID, principal ID, and scope are not allowed to be
 *   updated").
 * - @pulumi/random is the bridged terraform-provider-random: every argument of `random_string` forces a new value.
 * - components/rbacPropagationWait.ts: the wait's own diff() replaces it when its trigger changes.
 */

/** How Azure (and the engine) apply a change to one input. */
export type ChangeEffect =
    /** The provider plans a replacement (azure-native deletes first, then creates). */
    | "replace"
    /** Fixed when Azure creates the resource: an in-place update fails or does nothing; the change takes a new resource. */
    | "create-only"
    /** Updated in place, with a consequence a reviewer must know. */
    | "caution";

export interface InputRule {
    /** Input path (`properties.keySize`); a rule covers the path and everything under it. */
    path: string;
    effect: ChangeEffect;
    /** Why, with the source (short: it is printed next to the change). */
    why: string;
}

export interface TypeFacts {
    /** Inputs in the resource's ARM path, outermost first: the resource's Azure identity. The last one is its name. */
    identity: string[];
    rules: InputRule[];
}

const PATH = "part of the resource's ARM path (azure-native diff.go)";
/** Azure/bicep#8283: "existing keys cannot be updated". */
const KEY_CREATE_ONLY =
    "ARM Keys - Create If Not Exist refuses other parameters for an existing key (400 KeyCreationParametersDidNotMatchExistingKey)";
const LOCATION: InputRule = {
    path: "location",
    effect: "replace",
    why: "a resource's region is fixed at creation (ARM location is create-only; azure-native replaces)",
};

function azure(identity: string[], rules: InputRule[] = []): TypeFacts {
    return { identity, rules: [...identity.map((path): InputRule => ({ path, effect: "replace", why: PATH })), ...rules] };
}

export const TYPE_FACTS: Readonly<Record<string, TypeFacts>> = {
    "azure-native:resources:ResourceGroup": azure(
        ["resourceGroupName"],
        [{ ...LOCATION, why: "fixed at creation (azure-native replacement.go forceNewMap)" }],
    ),
    "azure-native:managedidentity:UserAssignedIdentity": azure(["resourceGroupName", "resourceName"], [LOCATION]),
    "azure-native:keyvault:Vault": azure(
        ["resourceGroupName", "vaultName"],
        [
            LOCATION,
            {
                path: "properties.tenantId",
                effect: "caution",
                why:
                    "in place, but every role assignment on the vault stops working (Microsoft Learn: change a key vault tenant ID " +
                    "after a subscription move)",
            },
            {
                path: "properties.enablePurgeProtection",
                effect: "create-only",
                why: "once on, purge protection cannot be turned off (Key Vault soft-delete overview)",
            },
        ],
    ),
    "azure-native:keyvault:Key": azure(
        ["resourceGroupName", "vaultName", "keyName"],
        [
            { path: "properties.kty", effect: "create-only", why: KEY_CREATE_ONLY },
            { path: "properties.keySize", effect: "create-only", why: KEY_CREATE_ONLY },
            {
                path: "properties.rotationPolicy",
                effect: "create-only",
                why: KEY_CREATE_ONLY,
            },
        ],
    ),
    "azure-native:storage:StorageAccount": azure(
        ["resourceGroupName", "accountName"],
        [
            { ...LOCATION, why: "fixed at creation (azure-native replacement.go forceNewMap)" },
            { path: "isHnsEnabled", effect: "replace", why: "azure-native replacement.go forceNewMap" },
            {
                path: "kind",
                effect: "create-only",
                why: "only an upgrade to StorageV2 happens in place (Microsoft Learn: upgrade to general-purpose v2)",
            },
            {
                path: "encryption.requireInfrastructureEncryption",
                effect: "create-only",
                why: "infrastructure encryption is set only when the account is created (Microsoft Learn)",
            },
        ],
    ),
    "azure-native:storage:BlobServiceProperties": azure(["resourceGroupName", "accountName", "blobServicesName"]),
    "azure-native:healthcareapis:Workspace": azure(["resourceGroupName", "workspaceName"], [LOCATION]),
    "azure-native:healthcareapis:FhirService": azure(
        ["resourceGroupName", "workspaceName", "fhirServiceName"],
        [
            LOCATION,
            {
                path: "kind",
                effect: "replace",
                why: "ARM ResourceKind.kind is create-only (TypeSpec visibility read+create; azure-native replaces)",
            },
        ],
    ),
    "azure-native:network:PrivateEndpoint": azure(
        ["resourceGroupName", "privateEndpointName"],
        [LOCATION, { path: "subnet", effect: "replace", why: "azure-native replacement.go forceNewMap (pulumi-azure-native#3883)" }],
    ),
    "azure-native:network:PrivateDnsZoneGroup": azure(["resourceGroupName", "privateEndpointName", "privateDnsZoneGroupName"]),
    "azure-native:privatedns:PrivateZone": azure(["resourceGroupName", "privateZoneName"], [LOCATION]),
    "azure-native:privatedns:VirtualNetworkLink": azure(["resourceGroupName", "privateZoneName", "virtualNetworkLinkName"], [LOCATION]),
    "azure-native:operationalinsights:Workspace": azure(["resourceGroupName", "workspaceName"], [LOCATION]),
    "azure-native:authorization:RoleAssignment": azure(
        ["scope", "roleAssignmentName"],
        [
            {
                path: "principalId",
                effect: "replace",
                why: "azure-native replacement.go forceNewMap; ARM RoleAssignmentUpdateNotPermitted",
            },
            {
                path: "roleDefinitionId",
                effect: "create-only",
                why: "an existing assignment changes only its description and condition (Set-AzRoleAssignment)",
            },
        ],
    ),
    "azure-native:monitor:DiagnosticSetting": azure(["resourceUri", "name"]),
    "random:index/randomString:RandomString": {
        identity: [],
        rules: [
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
        ].map(
            (path): InputRule => ({
                path,
                effect: "replace",
                why: "every random_string argument forces a new value (terraform-provider-random)",
            }),
        ),
    },
    "pulumi-nodejs:dynamic/fhir-platform:RbacPropagationWait": {
        identity: [],
        rules: [{ path: "trigger", effect: "replace", why: "a new grant means a new wait (components/rbacPropagationWait.ts diff)" }],
    },
};

/** The input that names a resource in Azure (the last element of its identity), if the type is known. */
export function nameInput(type: string): string | undefined {
    return TYPE_FACTS[type]?.identity.at(-1);
}

/** True when `path` is `prefix` or lies under it (`properties.keySize` under `properties`; `a[0].b` under `a`). */
export function underPath(path: string, prefix: string): boolean {
    return path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`);
}

/** The rule for a changed input path, if any (the most specific one). */
export function ruleFor(type: string, path: string): InputRule | undefined {
    const rules = TYPE_FACTS[type]?.rules.filter((r) => underPath(path, r.path)) ?? [];
    return rules.sort((a, b) => b.path.length - a.path.length)[0];
}
