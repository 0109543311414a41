/**
 * The package's entry point (package.json `main`): what a TypeScript program imports, and what the component provider
 * serves to every other language (PulumiPlugin.yaml). Every exported ComponentResource becomes a resource of the
 * package's schema, `fhir-platform:index:<Name>`, its args interface the inputs and its Output properties the outputs;
 * the named types and enums are the schema's types. Internal helpers (role grants, diagnostic settings, the RBAC
 * propagation wait, storage inputs) are not exported.
 */
export * from "./types";
export type { AccountScope } from "./scope";
export { AccountIdentity, type AccountIdentityArgs, type AccountIdentityChildren } from "./accountIdentity";
export { CustomerManagedKey, type CustomerManagedKeyArgs, type CustomerManagedKeyChildren } from "./customerManagedKey";
export { ExportStorage, type ExportStorageArgs, type ExportStorageChildren } from "./exportStorage";
export { RecoveryCopy, type RecoveryCopyArgs, type RecoveryCopyChildren } from "./recoveryCopy";
export { AuditLogRetention, type AuditLogRetentionArgs, type AuditLogRetentionChildren } from "./auditLogRetention";
export { FhirWorkspace, type FhirWorkspaceArgs, type FhirWorkspaceChildren } from "./fhirWorkspace";
export { FhirService, type FhirServiceArgs, type FhirServiceChildren } from "./fhirService";
export { type AccountSettings, FhirAccount, type FhirAccountArgs, type FhirAccountChildren, type WorkspaceRef } from "./fhirAccount";
export {
    FhirPlatform,
    type FhirPlatformArgs,
    type FhirPlatformChildren,
    type LogAnalyticsSettings,
    type PlatformAccount,
    type PlatformAccountOutputs,
    type PlatformSubscription,
    type PrivateDnsSettings,
} from "./fhirPlatform";
