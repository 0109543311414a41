/**
 * The named types and enums of the components' arguments: what the package's schema calls `fhir-platform:index:<Name>`
 * in every language. Pulumi's component analyzer takes an enum from an `as const` object of literals with a type of the
 * same name (declared after it), and a nested value from a named interface; the literals here are the Azure facts'
 * (azure/facts.ts: test/engine/package.test.ts holds the schema's enums equal to them).
 */
import type * as pulumi from "@pulumi/pulumi";

/** How an account's key vault firewall admits callers. */
export const KeyVaultNetwork = {
    /** Deny every network and let trusted Microsoft services through (what the FHIR CMK documentation asks for). */
    TrustedServices: "trustedServices",
    /**
     * No firewall (Entra ID and RBAC still required), for when the trusted-services bypass does not admit the FHIR
     * service: Key Vault's trusted-services table does not list Health Data Services.
     */
    AllNetworks: "allNetworks",
} as const;
export type KeyVaultNetwork = (typeof KeyVaultNetwork)[keyof typeof KeyVaultNetwork];

/** Redundancy of a storage account holding `$export` output: never geo-redundant (exports are copies of PHI). */
export const StorageRedundancy = {
    /** Zone-redundant (only in regions with availability zones). */
    Zrs: "ZRS",
    /** Locally redundant. */
    Lrs: "LRS",
} as const;
export type StorageRedundancy = (typeof StorageRedundancy)[keyof typeof StorageRedundancy];

/** Sizes of an RSA key the FHIR service accepts as its customer-managed key. */
export const CmkKeySize = {
    /** RSA 2048. */
    Rsa2048: 2048,
    /** RSA 3072. */
    Rsa3072: 3072,
} as const;
export type CmkKeySize = (typeof CmkKeySize)[keyof typeof CmkKeySize];

/** How the FHIR service keeps resource history ("Versioning policy and history management"). */
export const FhirVersionPolicy = {
    /** History kept; no client needs If-Match (the service's default). */
    Versioned: "versioned",
    /** History kept; updates need If-Match. */
    VersionedUpdate: "versioned-update",
    /** No history. */
    NoVersion: "no-version",
} as const;
export type FhirVersionPolicy = (typeof FhirVersionPolicy)[keyof typeof FhirVersionPolicy];

/** FHIR data-plane roles, granted at one FHIR service's scope (Microsoft's built-in roles). */
export const FhirDataRole = {
    /** FHIR Data Reader. */
    Reader: "FHIR Data Reader",
    /** FHIR Data Writer. */
    Writer: "FHIR Data Writer",
    /** FHIR Data Exporter (`$export`). */
    Exporter: "FHIR Data Exporter",
    /** FHIR Data Importer (`$import`). */
    Importer: "FHIR Data Importer",
    /** FHIR Data Contributor. */
    Contributor: "FHIR Data Contributor",
    /** FHIR Data Converter (`$convert-data`). */
    Converter: "FHIR Data Converter",
    /** FHIR SMART User. */
    SmartUser: "FHIR SMART User",
    /** FHIR Data Bulk Operator (`$bulk-update`). */
    BulkOperator: "FHIR Data Bulk Operator",
} as const;
export type FhirDataRole = (typeof FhirDataRole)[keyof typeof FhirDataRole];

/** Kinds of principal a role assignment names. */
export const PrincipalType = {
    /** A user. */
    User: "User",
    /** A group. */
    Group: "Group",
    /** A service principal (an app, or a managed identity). */
    ServicePrincipal: "ServicePrincipal",
} as const;
export type PrincipalType = (typeof PrincipalType)[keyof typeof PrincipalType];

/** HTTP methods a FHIR service's CORS settings may allow. */
export const CorsMethod = {
    /** GET. */
    Get: "GET",
    /** POST. */
    Post: "POST",
    /** PUT. */
    Put: "PUT",
    /** PATCH. */
    Patch: "PATCH",
    /** DELETE. */
    Delete: "DELETE",
    /** OPTIONS. */
    Options: "OPTIONS",
    /** HEAD. */
    Head: "HEAD",
} as const;
export type CorsMethod = (typeof CorsMethod)[keyof typeof CorsMethod];

/** One customer-managed key of an account, as Azure created it (its size and rotation are fixed at creation). */
export interface CmkKey {
    /** The key's name in the account's vault (1-127 letters, digits and hyphens). */
    name: string;
    /** RSA key size. */
    size: CmkKeySize;
    /** Days after which Key Vault's rotation policy adds a new version. */
    rotationDays: number;
}

/** Private DNS zones a workspace's private endpoint registers its A records in. */
export interface PrivateDnsZoneIds {
    /** Resource ID of the zone `privatelink.workspace.azurehealthcareapis.com`. */
    workspace: pulumi.Input<string>;
    /** Resource ID of the zone `privatelink.fhir.azurehealthcareapis.com`. */
    fhir: pulumi.Input<string>;
}

/** An application of a SMART on FHIR identity provider. */
export interface SmartApplication {
    /** The application's client ID. */
    clientId: string;
    /** The audience the provider puts in tokens for this application. */
    audience: string;
    /**
     * What the application may do: `Read`, the only data action the API (2024-03-31) knows (a list of strings: the
     * component analyzer cannot make an enum of one member inside a list). Default: Read.
     */
    allowedDataActions?: string[];
}

/** Another identity provider for SMART on FHIR (Enhanced). */
export interface SmartIdentityProvider {
    /** The provider's authority, an https URL. */
    authority: string;
    /** The applications it issues tokens to. */
    applications: SmartApplication[];
}

/** Cross-origin access to the FHIR service. */
export interface CorsSettings {
    /** Allowed origins (at least one). */
    origins: string[];
    /** Allowed headers. Default: `*`. */
    headers?: string[];
    /** Allowed methods. Default: GET and OPTIONS. */
    methods?: CorsMethod[];
    /** Seconds a browser may cache the preflight answer. */
    maxAge?: number;
    /** Whether credentials are allowed. Default: false. */
    allowCredentials?: boolean;
}

/** A `$convert-data` template image. */
export interface OciArtifact {
    /** The registry's login server, e.g. contosotemplates.azurecr.io. */
    loginServer: string;
    /** The template image, e.g. templates:default. */
    imageName: string;
    /** The image digest `sha256:<64 hex digits>`, to pin it. */
    digest?: string;
}

/** Container registries of `$convert-data` custom templates: the account's identity gets AcrPull on each. */
export interface AcrSettings {
    /** Resource IDs of the registries (at most 20). */
    registryIds: string[];
    /** The template images. */
    ociArtifacts?: OciArtifact[];
}

/** A FHIR data-plane role for a person or an app, at the account's FHIR service only. */
export interface FhirDataGrant {
    /** Object ID of the user, group or service principal (for an app: its service principal's object ID). */
    principalId: string;
    /** What kind of principal it is. */
    principalType: PrincipalType;
    /** The role. */
    role: FhirDataRole;
    /** A note carried into the role assignment's description. */
    description?: string;
}

/** A versioning policy for one FHIR resource type, overriding the service's default. */
export interface ResourceVersionOverride {
    /** The FHIR resource type, e.g. Patient. */
    resourceType: string;
    /** Its versioning policy. */
    policy: FhirVersionPolicy;
}

/** The FHIR service settings of an account; every field has the platform's default. */
export interface FhirServiceSettings {
    /** `$export` to the account's export storage. Default: true. */
    export?: boolean;
    /** `$import` from the account's export storage. Default: false. */
    import?: boolean;
    /** `$import` in initial mode (for loading an empty service; blocks API writes while on). Default: false. */
    initialImportMode?: boolean;
    /** Other identity providers for SMART on FHIR (Enhanced). The retired SMART on FHIR proxy is always off. */
    smartIdentityProviders?: SmartIdentityProvider[];
    /** Cross-origin access; absent: none. */
    cors?: CorsSettings;
    /** How the service keeps resource history. Default: versioned. */
    resourceVersionPolicy?: FhirVersionPolicy;
    /** Per FHIR resource type, a policy that overrides the default. */
    resourceVersionOverrides?: ResourceVersionOverride[];
    /** US Core: accept resources that lack must-support data. Default: false. */
    usCoreMissingData?: boolean;
    /** Container registries of `$convert-data` templates; absent: none. */
    acr?: AcrSettings;
    /** FHIR data-plane roles for people and apps, at this account's FHIR service only. */
    grants?: FhirDataGrant[];
}
