/**
 * Where the stack's audit logs land in Log Analytics, and the one-line KQL queries verify's diagnoses print (the same
 * tables and columns as docs/verify.md). The diagnostic settings set no `logAnalyticsDestinationType`
 * (components/diagnostics.ts), so:
 *   - Key Vault `AuditEvent` goes to `AzureDiagnostics` ("Supported logs for Microsoft.KeyVault/vaults" lists
 *     AZKVAuditLogs only for resource-specific mode; azure-rest-api-specs #22400). Columns as in the "Monitor Azure Key
 *     Vault" sample queries; key operation names (KeyUpdate, KeyDelete, KeyPurge…) from "Azure Key Vault logging".
 *   - FHIR service `AuditLogs` go to `AzureDiagnostics` ("Supported logs for Microsoft.HealthcareApis/workspaces/
 *     fhirservices" names no table; `MicrosoftHealthcareApisAuditLogs` is the retired Azure API for FHIR's), with the
 *     common fields of "Logging for Azure Health Data Services".
 *   - Blob `StorageRead`/`StorageWrite`/`StorageDelete` go to `StorageBlobLogs` (Azure Storage logs only in
 *     resource-specific tables).
 * Logs can take 15 minutes to appear.
 */

/** Key Vault: who changed, deleted or failed to use a key of this vault. */
export function keyVaultAuditQuery(vaultName: string, keyName?: string): string {
    const key = keyName ? ` and requestUri_s contains "/keys/${keyName}/"` : "";
    return (
        `AzureDiagnostics | where ResourceProvider == "MICROSOFT.KEYVAULT" and Category == "AuditEvent" and Resource =~ "${vaultName}"${key} ` +
        `| where OperationName in ("KeyUpdate", "KeyDelete", "KeyPurge", "KeyRecover", "KeyRestore") or httpStatusCode_d >= 400 ` +
        "| project TimeGenerated, OperationName, requestUri_s, ResultSignature, CallerIPAddress"
    );
}

/** FHIR service: failed requests (the service's own answers, 4xx/5xx). */
export function fhirAuditQuery(fhirServiceName: string): string {
    return (
        `AzureDiagnostics | where ResourceProvider == "MICROSOFT.HEALTHCAREAPIS" and Category == "AuditLogs" and Resource =~ "${fhirServiceName}" ` +
        "| project TimeGenerated, OperationName, ResultType, ResultSignature, CallerIPAddress, CorrelationId"
    );
}

/** Export storage: refused requests (a 403 names its cause in StatusText: AuthorizationFailure, AuthorizationPermissionMismatch). */
export function storageAuditQuery(storageAccount: string): string {
    return (
        `StorageBlobLogs | where AccountName == "${storageAccount}" and toint(StatusCode) >= 400 ` +
        "| project TimeGenerated, OperationName, StatusCode, StatusText, CallerIpAddress, RequesterObjectId, Uri"
    );
}
