/**
 * Azure Health Data Services FHIR services (and the retired Azure API for FHIR). Sources: "Configure customer-managed
 * keys for the FHIR service", "Configure export settings", "Configure Private Link for Azure Health Data Services";
 * facts in azure/facts.ts.
 */
import * as healthcareapis from "@pulumi/azure-native/healthcareapis";
import { type PolicyResource, validateResourceOfType } from "@pulumi/policy";
import { NAME_RULES, RETIRED_FEATURES } from "../../azure/facts";
import {
    CHECKED_AT_UP,
    type ExemptAccountsConfig,
    type FhirResourcePolicy,
    type FhirStackPolicy,
    ScanIndex,
    StackIndex,
    TYPES,
    UNKNOWN,
    accountOf,
    exemptAccountsSchema,
    forEachKnown,
    isAhdsPrivateEndpoint,
    isExempt,
    known,
    knownOr,
    label,
    lookupValue,
    privateLinkConnections,
    str,
} from "./common";

export const fhirCmkEncryption: FhirResourcePolicy = {
    name: "fhir-cmk-encryption",
    description:
        `FHIR services encrypt data with the account's customer-managed key, set at creation (it cannot be added later). A ` +
        `key URL taken from a key not yet created is set, and its form is not known: ${CHECKED_AT_UP} ` +
        `(fhir-identity-holds-crypto-role relates the service to that key at preview.)`,
    enforcementLevel: "mandatory",
    remediationSteps:
        "Set encryption.customerManagedKeyEncryption.keyEncryptionKeyUrl to the account's CMK key URI, and run the service as a " +
        "user-assigned identity granted Key Vault Crypto Service Encryption User on that key.",
    validateResource: validateResourceOfType(healthcareapis.FhirService, (fhir, _args, reportViolation) => {
        const url = known(() => fhir.encryption?.customerManagedKeyEncryption?.keyEncryptionKeyUrl);
        if (url === UNKNOWN) return;
        if (!url) {
            reportViolation("no customer-managed key: data would be encrypted with a Microsoft-managed key only");
        } else if (!/^https:\/\/[^/]+\/keys\/[^/]+/.test(url)) {
            reportViolation(`keyEncryptionKeyUrl '${url}' is not a Key Vault key URL`);
        }
    }),
};

export const fhirUserAssignedIdentity: FhirResourcePolicy = {
    name: "fhir-user-assigned-identity",
    description:
        `A FHIR service has exactly one identity type, UserAssigned, with exactly one identity (AHDS supports one identity ` +
        `type per service, and only a user-assigned identity exists before the service to be granted its key). ` +
        `${CHECKED_AT_UP}`,
    enforcementLevel: "mandatory",
    remediationSteps: 'Set identity to { type: "UserAssigned", userAssignedIdentities: [<the account\'s identity ID>] }.',
    validateResource: validateResourceOfType(healthcareapis.FhirService, (fhir, _args, reportViolation) => {
        const type = known(() => fhir.identity?.type);
        if (type === UNKNOWN) return;
        if (type !== "UserAssigned") {
            reportViolation(`identity type is ${type ?? "unset"}: use exactly UserAssigned`);
            return;
        }
        // The list's length is known even where the identity IDs in it are not yet.
        const n = known(() => fhir.identity?.userAssignedIdentities?.length ?? 0);
        if (n !== UNKNOWN && n !== 1) reportViolation(`the service has ${n} user-assigned identities: give it exactly one`);
    }),
};

const STORAGE_NAME = NAME_RULES.storageAccount;
function isStorageName(v: string): boolean {
    return v.length >= STORAGE_NAME.min && v.length <= STORAGE_NAME.max && STORAGE_NAME.pattern.test(v);
}

export const fhirExportToStorage: FhirResourcePolicy = {
    name: "fhir-export-to-storage",
    description:
        `When export (or import) is configured, it targets a storage account by name, reached through the service's ` +
        `identity. A name taken from a storage account not yet created is set, and its form is not known: ${CHECKED_AT_UP}`,
    enforcementLevel: "mandatory",
    remediationSteps:
        "Set exportConfiguration.storageAccountName (and importConfiguration.integrationDataStore when import is on) to the account's " +
        "export storage account name; or remove the configuration.",
    validateResource: validateResourceOfType(healthcareapis.FhirService, (fhir, _args, reportViolation) => {
        // A setting or name not known yet comes from another resource: it is set, its form is checked at `pulumi up`.
        const exp = known(() => fhir.exportConfiguration);
        const exportTo = exp === UNKNOWN || exp === undefined ? UNKNOWN : known(() => exp.storageAccountName);
        if (exportTo !== UNKNOWN) {
            if (!exportTo) reportViolation("exportConfiguration is set without a storage account");
            else if (!isStorageName(exportTo)) reportViolation(`export target '${exportTo}' is not a storage account name`);
        }
        const imp = known(() => fhir.importConfiguration);
        const importFrom = imp === UNKNOWN || known(() => imp?.enabled) !== true ? UNKNOWN : known(() => imp?.integrationDataStore);
        if (importFrom !== UNKNOWN) {
            if (!importFrom) reportViolation("import is enabled without an integration data store");
            else if (!isStorageName(importFrom)) reportViolation(`import source '${importFrom}' is not a storage account name`);
        }
    }),
};

export const fhirAuthentication: FhirResourcePolicy = {
    name: "fhir-authentication",
    description:
        `FHIR services accept Entra ID tokens only for a set authority (https://login.microsoftonline.com/<tenant>) and ` +
        `audience (an https URL, the service's own). The audience is built on the workspace's generated name, so on a new ` +
        `stack's first preview it is set but its form is not known: ${CHECKED_AT_UP}`,
    enforcementLevel: "mandatory",
    remediationSteps:
        "Set authenticationConfiguration.authority to https://login.microsoftonline.com/<tenantId> and " +
        "authenticationConfiguration.audience to the service URL https://<workspace>-<fhir>.fhir.azurehealthcareapis.com.",
    validateResource: validateResourceOfType(healthcareapis.FhirService, (fhir, _args, reportViolation) => {
        // A value not known yet comes from another resource: it is set, its form is checked at `pulumi up`.
        const auth = known(() => fhir.authenticationConfiguration);
        if (auth === UNKNOWN) return;
        const authority = known(() => auth?.authority);
        if (authority !== UNKNOWN) {
            if (!authority) reportViolation("authenticationConfiguration.authority is not set");
            else if (!/^https:\/\/login\.microsoftonline\.(com|us)\/[^/]+\/?$/.test(authority))
                reportViolation(`authority '${authority}' is not an Entra ID tenant authority`);
        }
        const audience = known(() => auth?.audience);
        if (audience !== UNKNOWN) {
            if (!audience) reportViolation("authenticationConfiguration.audience is not set");
            else if (!audience.startsWith("https://")) reportViolation(`audience '${audience}' is not an https URL`);
        }
    }),
};

export const noAzureApiForFhir: FhirResourcePolicy = {
    name: "no-azure-api-for-fhir",
    description:
        "Azure API for FHIR (Microsoft.HealthcareApis/services) is retired (no new deployments since 2025-04-01, retired 2026-09-30): " +
        "deploy AHDS FHIR services only.",
    enforcementLevel: "mandatory",
    remediationSteps:
        "Replace the healthcareapis:Service with an AHDS workspace and healthcareapis:FhirService (see Microsoft's migration guide " +
        "from Azure API for FHIR).",
    validateResource: validateResourceOfType(healthcareapis.Service, (svc, _args, reportViolation) => {
        reportViolation(`Azure API for FHIR '${svc.resourceName ?? "(unnamed)"}' is retired`);
    }),
};

export const fhirNoSmartProxy: FhirResourcePolicy = {
    name: "fhir-no-smart-proxy",
    description:
        `The SMART on FHIR proxy is retired (${RETIRED_FEATURES.smartProxy.source}): after ` +
        `${RETIRED_FEATURES.smartProxy.retired} applications relying on it report errors. FHIR services keep it off.`,
    enforcementLevel: "mandatory",
    remediationSteps:
        `Set authenticationConfiguration.smartProxyEnabled to false (or leave it out) and move SMART apps to ` +
        `${RETIRED_FEATURES.smartProxy.instead}.`,
    validateResource: validateResourceOfType(healthcareapis.FhirService, (fhir, _args, reportViolation) => {
        const on = known(() => fhir.authenticationConfiguration?.smartProxyEnabled);
        if (on === true) reportViolation(`the retired SMART on FHIR proxy is enabled (retired ${RETIRED_FEATURES.smartProxy.retired})`);
    }),
};

/** The AHDS workspace a FHIR service belongs to (by dependency on its workspaceName, or by name). */
function workspaceOf(index: StackIndex, fhir: PolicyResource): PolicyResource | undefined {
    const dep = (fhir.propertyDependencies.workspaceName ?? []).find((r) => r.type === TYPES.healthWorkspace);
    if (dep) return dep;
    return index.healthWorkspaceByName(lookupValue(fhir, "workspaceName"));
}

/**
 * The workspaces a private endpoint connects to through the AHDS private-link sub-resource (none when it asks for
 * another group), as an index over the stack's private endpoints: whether a workspace has one is `find(workspace)`.
 */
function privateEndpointsByWorkspace(index: StackIndex): ScanIndex<PolicyResource, PolicyResource> {
    return new ScanIndex(index.of(TYPES.privateEndpoint), (pe) => {
        if (!isAhdsPrivateEndpoint(pe)) return [];
        // Before the first deployment a workspace's ID is unknown: the property dependency names the workspace.
        const ids = () => privateLinkConnections(pe).map((c) => c?.privateLinkServiceId);
        return [
            ...index.refs(pe, "privateLinkServiceConnections", ids),
            ...(pe.propertyDependencies.manualPrivateLinkServiceConnections ?? []),
        ];
    });
}

export const fhirPublicNetworkAccess: FhirStackPolicy = {
    name: "fhir-public-network-access",
    description:
        "FHIR services whose AHDS workspace has no private endpoint are reachable from the internet (with Entra ID auth). Reported by " +
        "default; set this policy's enforcementLevel to mandatory to deny public FHIR services.",
    enforcementLevel: "advisory",
    remediationSteps:
        "Give the account a privateEndpointSubnetId so its workspace gets a private endpoint (group 'healthcareworkspace'), or list " +
        "the account in this policy's exemptAccounts if it is public by design.",
    configSchema: {
        properties: {
            exemptAccounts: exemptAccountsSchema("Accounts whose FHIR service is public by design and is not reported."),
        },
    },
    validateStack: (args, reportViolation) => {
        const { exemptAccounts } = args.getConfig<ExemptAccountsConfig>();
        const index = StackIndex.for(args.resources);
        const endpoints = privateEndpointsByWorkspace(index);
        for (const fhir of index.of(TYPES.fhirService)) {
            const account = accountOf(fhir);
            if (isExempt(fhir, exemptAccounts)) continue;
            // Outputs report the effective setting after deployment (none before: an output, unknown until then).
            if (str(lookupValue(fhir, "publicNetworkAccess"))?.toLowerCase() === "disabled") continue;
            const ws = workspaceOf(index, fhir);
            if (ws && endpoints.find(ws) !== undefined) continue;
            reportViolation(
                `${label(fhir)}${account ? ` (account ${account})` : ""} is publicly reachable: ` +
                    `${ws ? `${label(ws)} has no private endpoint` : "its workspace is not in this stack"}`,
                fhir.urn,
            );
        }
    },
};

export interface CorsConfig {
    allowLocalhost: boolean;
}

/** `http://localhost[:port]` (and the loopback addresses), which a developer's browser app runs on. */
const LOCALHOST_ORIGIN = /^http:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/i;

export const fhirCors: FhirResourcePolicy = {
    name: "fhir-cors",
    description:
        "CORS on a FHIR service admits named https origins only: no `*` origin, no allowCredentials with wildcard headers or methods, " +
        "no http origin (http://localhost only when config `allowLocalhost` is true, default false).",
    enforcementLevel: "mandatory",
    remediationSteps:
        "List each browser app's https origin in corsConfiguration.origins (e.g. https://portal.example.com); with allowCredentials: " +
        'true, list the headers and methods instead of "*"; for local development, set this policy\'s allowLocalhost on a ' +
        "non-production stack only.",
    configSchema: {
        properties: {
            allowLocalhost: {
                type: "boolean",
                default: false,
                description: "Accept http://localhost[:port] origins (development stacks).",
            },
        },
    },
    validateResource: validateResourceOfType(healthcareapis.FhirService, (fhir, args, reportViolation) => {
        const cors = fhir.corsConfiguration;
        if (cors === undefined) return;
        const { allowLocalhost } = args.getConfig<CorsConfig>();
        for (const origin of cors.origins ?? []) {
            if (origin.trim() === "*") reportViolation("CORS admits every origin (*): list the apps' origins");
            else if (allowLocalhost && LOCALHOST_ORIGIN.test(origin)) continue;
            else if (!/^https:\/\/[^/*\s]+$/i.test(origin)) reportViolation(`CORS origin '${origin}' is not an https origin`);
        }
        if (cors.allowCredentials === true) {
            const wild = (["headers", "methods"] as const).filter((k) => (cors[k] ?? []).some((v) => v.trim() === "*"));
            if (wild.length > 0) reportViolation(`CORS allows credentials with wildcard ${wild.join(" and ")}: list them`);
        }
    }),
};

/** An https URL with a host (and no credentials in it). */
function isHttpsUrl(v: string): boolean {
    try {
        const u = new URL(v);
        return u.protocol === "https:" && u.hostname.length > 0 && u.username === "" && u.password === "";
    } catch {
        return false;
    }
}

export const fhirSmartIdentityProviders: FhirResourcePolicy = {
    name: "fhir-smart-identity-providers",
    description:
        `Each SMART on FHIR identity provider of a FHIR service has an https authority, and each of its applications an ` +
        `explicit audience: without one, a token the provider issued for another audience would be accepted. ${CHECKED_AT_UP}`,
    enforcementLevel: "mandatory",
    remediationSteps:
        "Give authenticationConfiguration.smartIdentityProviders[].authority as an https URL (the provider's issuer), and every " +
        'applications[] entry a clientId and the audience its tokens carry (not "*").',
    validateResource: validateResourceOfType(healthcareapis.FhirService, (fhir, _args, reportViolation) => {
        const providers = known(() => fhir.authenticationConfiguration?.smartIdentityProviders ?? []);
        if (providers === UNKNOWN) return;
        forEachKnown(providers, (provider, i) => {
            const where = `smartIdentityProviders[${i}]`;
            const authority = known(() => provider.authority);
            if (authority !== UNKNOWN) {
                if (!authority) reportViolation(`${where} has no authority`);
                else if (!isHttpsUrl(authority)) reportViolation(`${where}.authority '${authority}' is not an https URL`);
            }
            const apps = known(() => provider.applications ?? []);
            if (apps === UNKNOWN) return;
            forEachKnown(apps, (app, j) => {
                const audience = known(() => app.audience?.trim());
                if (audience === UNKNOWN) return;
                if (!audience || audience === "*") {
                    const client = knownOr(() => app.clientId ?? "unset", "(not known before deployment)");
                    reportViolation(
                        `${where}.applications[${j}] (client ${client}) has ${audience ? "a wildcard" : "no"} audience: tokens for ` +
                            `any audience would be accepted`,
                    );
                }
            });
        });
    }),
};

const NO_VERSION = "no-version";

export const fhirResourceVersioning: FhirResourcePolicy = {
    name: "fhir-resource-versioning",
    description:
        "FHIR services keep resource history: a `no-version` policy (default or per resource type) overwrites each resource in place, " +
        "so the record of what PHI looked like before a change is lost for audit. Reported by default; config `exemptAccounts`.",
    enforcementLevel: "advisory",
    remediationSteps:
        "Use resourceVersionPolicy: versioned (or versioned-update) and no no-version override, or list the account in this policy's " +
        "exemptAccounts if it keeps no history by design.",
    configSchema: {
        properties: {
            exemptAccounts: exemptAccountsSchema("Accounts that keep no resource history by design."),
        },
    },
    validateResource: validateResourceOfType(healthcareapis.FhirService, (fhir, args, reportViolation) => {
        if (isExempt(args, args.getConfig<ExemptAccountsConfig>().exemptAccounts)) return;
        const cfg = fhir.resourceVersionPolicyConfiguration;
        if (cfg?.default === NO_VERSION)
            reportViolation("the default resource version policy is no-version: no resource keeps its history");
        const types = Object.entries(cfg?.resourceTypeOverrides ?? {})
            .filter(([, v]) => v === NO_VERSION)
            .map(([t]) => t);
        if (types.length > 0)
            reportViolation(`${types.sort().join(", ")} ${types.length === 1 ? "keeps" : "keep"} no history (no-version override)`);
    }),
};

export const fhirServicePolicies = [
    fhirCmkEncryption,
    fhirUserAssignedIdentity,
    fhirExportToStorage,
    fhirAuthentication,
    noAzureApiForFhir,
    fhirNoSmartProxy,
    fhirPublicNetworkAccess,
    fhirCors,
    fhirSmartIdentityProviders,
    fhirResourceVersioning,
];
