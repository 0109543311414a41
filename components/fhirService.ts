import * as pulumi from "@pulumi/pulumi";
import * as healthcareapis from "@pulumi/azure-native/healthcareapis";
import * as monitor from "@pulumi/azure-native/monitor";
import type * as authorization from "@pulumi/azure-native/authorization";
import {
    ACR_MAX_REGISTRIES,
    ACR_REGISTRY_ID,
    FHIR_AUDIT_LOG_CATEGORY,
    FHIR_DATA_ROLES,
    FHIR_KIND_R4,
    SMART_DATA_ACTIONS,
    acrLoginServer,
    entraAuthority,
    fhirServiceUrl,
} from "../azure/facts";
import { ACCOUNT_DEFAULTS, CORS_DEFAULTS } from "../azure/defaults";
import { diagnosticInputs } from "./diagnostics";
import { SHARED_MARKER, names } from "../azure/naming";
import { type RoleGrantArgs, roleGrant } from "./roleGrant";
import { type AccountScope, componentOptions, replaceableChild, statefulChild } from "./scope";
import type { FhirDataGrant, FhirServiceSettings } from "./types";
import { type Problem, accountProblems, refuse } from "./validate";

/** `resourceGroupName` is the workspace's (FHIR services are children of their workspace). */
export interface FhirServiceArgs extends AccountScope, FhirServiceSettings {
    /** The AHDS workspace the service is created in (its name, an output of the workspace: the service waits for it). */
    workspaceName: pulumi.Input<string>;
    /** ARM ID of the account's user-assigned identity: the service runs as it, and only as it. */
    identityId: pulumi.Input<string>;
    /** Principal ID of that identity: granted AcrPull on the account's `$convert-data` registries. */
    identityPrincipalId: pulumi.Input<string>;
    /** Versioned URI of the account's customer-managed key: the service is encrypted with it at creation. */
    keyUri: pulumi.Input<string>;
    /** Name of the account's export storage; required when export or import is on. */
    exportStorageName?: pulumi.Input<string>;
    /** The Log Analytics workspace the service's audit log (AuditLogs) goes to. */
    logAnalyticsWorkspaceId: pulumi.Input<string>;
    /** Registries several accounts may list for `$convert-data` (their grants say so); any other belongs to one account. */
    sharedRegistryIds?: string[];
}

/** The child resources of a FhirService, for TypeScript code that composes it. */
export interface FhirServiceChildren {
    service: healthcareapis.FhirService;
    diagnostics: monitor.DiagnosticSetting;
    /** FHIR data-plane grants for people and apps. */
    grants: authorization.RoleAssignment[];
    /** AcrPull for the account's identity on each `$convert-data` registry. */
    registryGrants: authorization.RoleAssignment[];
}
const childrenOf = new WeakMap<FhirService, FhirServiceChildren>();

/** The settings with the platform's defaults filled in. */
type Settings = Required<Omit<FhirServiceSettings, "cors" | "acr">> & Pick<FhirServiceSettings, "cors" | "acr">;

function settingsOf(a: FhirServiceSettings): Settings {
    return {
        export: a.export ?? ACCOUNT_DEFAULTS.export,
        import: a.import ?? ACCOUNT_DEFAULTS.import,
        initialImportMode: a.initialImportMode ?? ACCOUNT_DEFAULTS.initialImportMode,
        smartIdentityProviders: a.smartIdentityProviders ?? [],
        resourceVersionPolicy: a.resourceVersionPolicy ?? ACCOUNT_DEFAULTS.resourceVersionPolicy,
        resourceVersionOverrides: a.resourceVersionOverrides ?? [],
        usCoreMissingData: a.usCoreMissingData ?? ACCOUNT_DEFAULTS.usCoreMissingData,
        grants: a.grants ?? [],
        ...(a.cors ? { cors: a.cors } : {}),
        ...(a.acr ? { acr: a.acr } : {}),
    };
}

/** What the service's settings may not be, whatever language set them. */
export function fhirSettingsProblems(a: FhirServiceSettings): Problem[] {
    const out: Problem[] = [];
    (a.grants ?? []).forEach((g, i) => {
        if (!(FHIR_DATA_ROLES as readonly string[]).includes(g.role))
            out.push([`grants[${i}].role`, `'${g.role}' is not a FHIR data-plane role (${FHIR_DATA_ROLES.join(", ")})`]);
    });
    for (const [i, p] of (a.smartIdentityProviders ?? []).entries()) {
        for (const [j, app] of p.applications.entries()) {
            for (const [k, action] of (app.allowedDataActions ?? []).entries()) {
                if (!(SMART_DATA_ACTIONS as readonly string[]).includes(action))
                    out.push([
                        `smartIdentityProviders[${i}].applications[${j}].allowedDataActions[${k}]`,
                        `'${action}' is not a SMART data action (${SMART_DATA_ACTIONS.join(", ")})`,
                    ]);
            }
        }
    }
    if (a.cors && a.cors.origins.length === 0) out.push(["cors.origins", "must list at least one origin when cors is set"]);
    const registries = a.acr?.registryIds ?? [];
    if (a.acr && (registries.length === 0 || registries.length > ACR_MAX_REGISTRIES))
        out.push(["acr.registryIds", `must list 1 to ${ACR_MAX_REGISTRIES} registries, got ${registries.length}`]);
    registries.forEach((id, i) => {
        if (!ACR_REGISTRY_ID.test(id)) out.push([`acr.registryIds[${i}]`, `must be a container registry resource ID, got '${id}'`]);
    });
    return out;
}

/**
 * The account's FHIR R4 service: runs as the account's user-assigned identity only, encrypted at creation with the
 * account's key, exports to the account's storage, accepts Entra ID tokens for its own URL; audit logs go to Log
 * Analytics; people and apps get FHIR data-plane roles at this service's scope and nowhere else. The retired SMART on
 * FHIR proxy is always off. The `protect` option protects the service; `dependsOn` holds back the service only (what
 * must be in place, and have propagated, before it is created: the key grant's wait, the storage grant).
 */
export class FhirService extends pulumi.ComponentResource {
    /** The service's URL (`https://<workspace>-<service>.fhir.azurehealthcareapis.com`): also the token audience. */
    readonly url: pulumi.Output<string>;
    /** ARM ID of the service. */
    readonly id: pulumi.Output<string>;
    /** The service's Azure name (the last segment of its host name). */
    readonly serviceName: pulumi.Output<string>;

    constructor(name: string, args: FhirServiceArgs, opts?: pulumi.ComponentResourceOptions) {
        // Named after its account since 0.2 (was `<account>-fhir`); its children kept their URNs.
        const own = componentOptions(opts, true);
        super("fhir-platform:index:FhirService", name, {}, { ...own, aliases: [...(own.aliases ?? []), { name: `${name}-fhir` }] });
        const a = settingsOf(args);
        const problems = [...accountProblems(args.account), ...fhirSettingsProblems(args)];
        if ((a.export || a.import) && args.exportStorageName === undefined)
            problems.push(["exportStorageName", "export or import is on, but no export storage was given"]);
        refuse(`FhirService ${args.account}`, problems, this);
        const serviceName = names.fhirService(args.account);
        this.serviceName = pulumi.output(serviceName);
        this.url = pulumi.output(args.workspaceName).apply((ws) => fhirServiceUrl(ws, serviceName));

        const service = new healthcareapis.FhirService(`${name}-fhir`, fhirServiceInputs({ ...args, settings: a, url: this.url }), {
            ...statefulChild(this, opts),
            ...(opts?.dependsOn ? { dependsOn: opts.dependsOn } : {}),
        });
        this.id = service.id;
        const diagnostics = new monitor.DiagnosticSetting(
            `${name}-fhir-audit`,
            diagnosticInputs(service.id, args.logAnalyticsWorkspaceId, [FHIR_AUDIT_LOG_CATEGORY], "AllMetrics"),
            replaceableChild(this),
        );
        const grants = a.grants.map((g) =>
            roleGrant(dataPlaneGrantName(name, g), dataPlaneGrantArgs(args, g, service.id), replaceableChild(this)),
        );
        // The service runs as the account's identity, so that identity pulls the templates: on these registries only.
        const registryGrants = (a.acr?.registryIds ?? []).map((registryId) =>
            roleGrant(registryGrantName(name, registryId), registryGrantArgs(args, registryId), replaceableChild(this)),
        );
        childrenOf.set(this, { service, diagnostics, grants, registryGrants });
        this.registerOutputs({ url: this.url, id: this.id, serviceName: this.serviceName });
    }

    /** The service, its diagnostic setting and grants (TypeScript only: other languages get the outputs). */
    get children(): FhirServiceChildren {
        return childrenOf.get(this)!;
    }
}

/** The FHIR service's inputs. */
function fhirServiceInputs(
    args: Pick<
        FhirServiceArgs,
        "account" | "workspaceName" | "resourceGroupName" | "location" | "identityId" | "keyUri" | "tenantId" | "exportStorageName" | "tags"
    > & {
        settings: Settings;
        url: pulumi.Input<string>;
    },
): healthcareapis.FhirServiceArgs {
    const a = args.settings;
    return {
        fhirServiceName: names.fhirService(args.account),
        workspaceName: args.workspaceName,
        resourceGroupName: args.resourceGroupName,
        location: args.location,
        kind: FHIR_KIND_R4,
        identity: { type: "UserAssigned", userAssignedIdentities: [args.identityId] },
        encryption: { customerManagedKeyEncryption: { keyEncryptionKeyUrl: args.keyUri } },
        authenticationConfiguration: {
            authority: entraAuthority(args.tenantId),
            audience: args.url,
            // The SMART on FHIR proxy is retired (azure/facts.ts RETIRED_FEATURES): always off, which also turns it off on a
            // service deployed when it was allowed.
            smartProxyEnabled: false,
            ...(a.smartIdentityProviders.length > 0
                ? {
                      smartIdentityProviders: a.smartIdentityProviders.map((p) => ({
                          authority: p.authority,
                          applications: p.applications.map((app) => ({
                              clientId: app.clientId,
                              audience: app.audience,
                              allowedDataActions: app.allowedDataActions ?? [...SMART_DATA_ACTIONS],
                          })),
                      })),
                  }
                : {}),
        },
        ...(a.export ? { exportConfiguration: { storageAccountName: args.exportStorageName } } : {}),
        importConfiguration: a.import
            ? { enabled: true, initialImportMode: a.initialImportMode, integrationDataStore: args.exportStorageName }
            : { enabled: false },
        resourceVersionPolicyConfiguration: {
            default: a.resourceVersionPolicy,
            ...(a.resourceVersionOverrides.length > 0
                ? { resourceTypeOverrides: Object.fromEntries(a.resourceVersionOverrides.map((o) => [o.resourceType, o.policy])) }
                : {}),
        },
        implementationGuidesConfiguration: { usCoreMissingData: a.usCoreMissingData },
        ...(a.acr
            ? {
                  acrConfiguration: {
                      loginServers: a.acr.registryIds.map(acrLoginServer),
                      ...((a.acr.ociArtifacts ?? []).length > 0 ? { ociArtifacts: a.acr.ociArtifacts } : {}),
                  },
              }
            : {}),
        ...(a.cors
            ? {
                  corsConfiguration: {
                      origins: a.cors.origins,
                      headers: a.cors.headers ?? [...CORS_DEFAULTS.headers],
                      methods: a.cors.methods ?? [...CORS_DEFAULTS.methods],
                      allowCredentials: a.cors.allowCredentials ?? CORS_DEFAULTS.allowCredentials,
                      ...(a.cors.maxAge !== undefined ? { maxAge: a.cors.maxAge } : {}),
                  },
              }
            : {}),
        tags: args.tags,
    };
}

/** Pulumi name of a data-plane grant: component (the account), role and principal, never a list position. */
function dataPlaneGrantName(component: string, g: FhirDataGrant): string {
    return `${component}-fhir-${g.role
        .replace(/^FHIR /, "")
        .replace(/ /g, "-")
        .toLowerCase()}-${g.principalId}`;
}

/** A person's or app's FHIR data-plane role, at this FHIR service's scope only. */
function dataPlaneGrantArgs(
    args: Pick<FhirServiceArgs, "account" | "stack" | "subscriptionId">,
    g: FhirDataGrant,
    fhirServiceId: pulumi.Input<string>,
): RoleGrantArgs {
    const account = args.account;
    return {
        account,
        stack: args.stack,
        subscriptionId: args.subscriptionId,
        role: g.role,
        scope: fhirServiceId,
        principalId: g.principalId,
        principalType: g.principalType,
        key: `principal/${g.principalId}`,
        description: g.description ?? `${g.role} on the FHIR service of ${account}`,
    };
}

/** Pulumi name of an AcrPull grant: component (the account) and registry name, never a list position. */
function registryGrantName(component: string, registryId: string): string {
    return `${component}-acr-pull-${registryId.split("/").pop()!.toLowerCase()}`;
}

/** AcrPull for the account's identity on one `$convert-data` registry (which may live in another subscription). */
function registryGrantArgs(
    args: Pick<FhirServiceArgs, "account" | "stack" | "subscriptionId" | "identityPrincipalId" | "sharedRegistryIds">,
    registryId: string,
): RoleGrantArgs {
    const account = args.account;
    const shared = (args.sharedRegistryIds ?? []).some((r) => r.toLowerCase() === registryId.toLowerCase());
    return {
        account,
        stack: args.stack,
        subscriptionId: args.subscriptionId,
        scopeSubscriptionId: ACR_REGISTRY_ID.exec(registryId)![1],
        role: "AcrPull",
        scope: registryId,
        principalId: args.identityPrincipalId,
        principalType: "ServicePrincipal",
        key: `identity/acr/${registryId.toLowerCase()}`,
        description: `${shared ? `${SHARED_MARKER} ` : ""}FHIR service identity of ${account} pulls $convert-data templates`,
    };
}
