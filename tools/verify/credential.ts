/**
 * Which @azure/identity credential `verify` uses, by flag. Tokens are requested per account, for that account's
 * audience (`<audience>/.default`) and tenant (from its authority), so one run can span tenants where the credential
 * allows it.
 */
import {
    AzureCliCredential,
    DefaultAzureCredential,
    ManagedIdentityCredential,
    WorkloadIdentityCredential,
    type AccessToken,
    type TokenCredential,
} from "@azure/identity";
import { withTimeout } from "./http";

export const CREDENTIAL_KINDS = ["default", "managed-identity", "azure-cli", "workload-identity"] as const;
export type CredentialKind = (typeof CREDENTIAL_KINDS)[number];

export function isCredentialKind(v: string): v is CredentialKind {
    return (CREDENTIAL_KINDS as readonly string[]).includes(v);
}

/**
 * Builds the credential. A user-assigned managed identity is picked with AZURE_CLIENT_ID, as DefaultAzureCredential
 * does; workload identity reads AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_FEDERATED_TOKEN_FILE.
 */
export function createCredential(kind: CredentialKind, env: NodeJS.ProcessEnv = process.env): TokenCredential {
    const clientId = env.AZURE_CLIENT_ID;
    switch (kind) {
        case "default":
            // Tokens are asked for the tenant each account's authority names: allow any, the check is per account.
            return new DefaultAzureCredential({ additionallyAllowedTenants: ["*"] });
        case "managed-identity":
            return clientId ? new ManagedIdentityCredential({ clientId }) : new ManagedIdentityCredential();
        case "azure-cli":
            return new AzureCliCredential({ additionallyAllowedTenants: ["*"] });
        case "workload-identity":
            return new WorkloadIdentityCredential();
    }
}

/** The scope for a FHIR service: its audience + `/.default`. */
export function scopeFor(audience: string): string {
    return `${audience.replace(/\/+$/, "")}/.default`;
}

/** Managed identity tokens come from the identity's own tenant: passing a tenant there means nothing. */
export function sendsTenant(kind: CredentialKind): boolean {
    return kind !== "managed-identity";
}

export class TokenTimeoutError extends Error {
    constructor(ms: number) {
        super(`no token within ${ms} ms`);
        this.name = "TokenTimeoutError";
    }
}

/** getToken bounded by a timeout (the abort signal is honoured by most credentials; the race covers the rest). */
export async function getTokenWithin(
    credential: TokenCredential,
    scope: string,
    timeoutMs: number,
    tenantId?: string,
): Promise<AccessToken> {
    const controller = new AbortController();
    const token = await withTimeout(
        credential.getToken(scope, { abortSignal: controller.signal, ...(tenantId ? { tenantId } : {}) }),
        timeoutMs,
        () => {
            controller.abort();
            return new TokenTimeoutError(timeoutMs);
        },
    );
    if (!token) throw new Error("the credential returned no token");
    return token;
}
