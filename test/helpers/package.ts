/** The components the package exports (PulumiPlugin.yaml, package.json `main`), each `fhir-platform:index:<Name>` in its schema. */
export const PACKAGE_COMPONENTS = [
    "AccountIdentity",
    "AuditLogRetention",
    "CustomerManagedKey",
    "ExportStorage",
    "FhirAccount",
    "FhirPlatform",
    "FhirService",
    "FhirWorkspace",
    "RecoveryCopy",
] as const;
