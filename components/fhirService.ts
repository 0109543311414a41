import * as pulumi from "@pulumi/pulumi";
import * as healthcareapis from "@pulumi/azure-native/healthcareapis";
import * as monitor from "@pulumi/azure-native/monitor";
import type * as authorization from "@pulumi/azure-native/authorization";
import { ACR_REGISTRY_ID, FHIR_AUDIT_LOG_CATEGORY, FHIR_KIND_R4, acrLoginServer, entraAuthority, fhirServiceUrl } from "../azure/facts";
import type { AccountConfig, GrantConfig } from "../config/schema";
import { diagnosticInputs } from "./diagnostics";
import { SHARED_MARKER, names } from "../azure/naming";
import { type RoleGrantArgs, roleGrant } from "./roleGrant";
import { type AccountScope, componentOptions } from "./scope";

/** The FHIR settings of an account that this component applies (from the config schema, nothing else of the account). */
export type FhirServiceSettings = Pick<
    AccountConfig,
    | "export"
    | "import"
    | "initialImportMode"
    | "smartIdentityProviders"
    | "cors"
    | "resourceVersionPolicy"
    | "resourceVersionOverrides"
    | "usCoreMissingData"
    | "acr"
    | "grants"
>;

/** `resourceGroupName` is the workspace's (FHIR services are children of their workspace). */
export interface FhirServiceArgs extends AccountScope {
    settings: FhirServiceSettings;
    workspaceName: pulumi.Input<string>;
    identityId: pulumi.Input<string>;
    keyUri: pulumi.Input<string>;
    /** Required when export or import is on. */
    exportStorageName?: pulumi.Input<string>;
    logAnalyticsWorkspaceId: pulumi.Input<string>;
    /** Principal ID of the account's identity: granted AcrPull on the account's `$convert-data` registries. */
    identityPrincipalId: pulumi.Input<string>;
    /** Registries stack config declares shared between accounts (their grants say so). */
    sharedRegistryIds: readonly string[];
}

/**
 * The account's FHIR R4 service: runs as the account's user-assigned identity only, encrypted at creation with the
 * account's key, exports to the account's storage, accepts Entra ID tokens for its own URL; audit logs go to Log
 * Analytics; people and apps get FHIR data-plane roles at this service's scope and nowhere else.
 */
export class FhirService extends pulumi.ComponentResource {
    readonly service: healthcareapis.FhirService;
    readonly diagnostics: monitor.DiagnosticSetting;
    readonly grants: authorization.RoleAssignment[];
    /** AcrPull for the account's identity on each `$convert-data` registry. */
    readonly registryGrants: authorization.RoleAssignment[];
    readonly url: pulumi.Output<string>;
    readonly id: pulumi.Output<string>;
    /** The service's Azure name (the last segment of its host name). */
    readonly serviceName: string;

    /** `opts.dependsOn`: what must be in place (and have propagated) before the service is created, e.g. the key grant's wait. */
    constructor(name: string, args: FhirServiceArgs, opts?: pulumi.ComponentResourceOptions) {
        // Named after its account since 0.2 (was `<account>-fhir`); its children kept their URNs.
        super(
            "fhir-platform:index:FhirService",
            name,
            {},
            { ...componentOptions(opts), aliases: [...(opts?.aliases ?? []), { name: `${name}-fhir` }] },
        );
        const a = args.settings;
        const serviceName = names.fhirService(args.account);
        this.serviceName = serviceName;
        if ((a.export || a.import) && args.exportStorageName === undefined) {
            throw new pulumi.ResourceError(`FhirService ${args.account}: export or import is on but no export storage was given`, this);
        }
        this.url = pulumi.output(args.workspaceName).apply((ws) => fhirServiceUrl(ws, serviceName));

        this.service = new healthcareapis.FhirService(`${name}-fhir`, fhirServiceInputs({ ...args, url: this.url }), {
            parent: this,
            protect: args.protect,
            ...(opts?.dependsOn ? { dependsOn: opts.dependsOn } : {}),
        });
        this.id = this.service.id;
        this.diagnostics = new monitor.DiagnosticSetting(
            `${name}-fhir-audit`,
            diagnosticInputs(this.service.id, args.logAnalyticsWorkspaceId, [FHIR_AUDIT_LOG_CATEGORY], "AllMetrics"),
            { parent: this },
        );
        this.grants = a.grants.map((g) =>
            roleGrant(dataPlaneGrantName(name, g), dataPlaneGrantArgs(args, g, this.service.id), { parent: this }),
        );
        // The service runs as the account's identity, so that identity pulls the templates: on these registries only.
        this.registryGrants = (a.acr?.registryIds ?? []).map((registryId) =>
            roleGrant(registryGrantName(name, registryId), registryGrantArgs(args, registryId), { parent: this }),
        );
        this.registerOutputs({ url: this.url, id: this.id });
    }
}

/** The FHIR service's inputs (pure: the bench's flat baseline registers the same). */
export function fhirServiceInputs(
    args: Pick<
        FhirServiceArgs,
        | "account"
        | "settings"
        | "workspaceName"
        | "resourceGroupName"
        | "location"
        | "identityId"
        | "keyUri"
        | "tenantId"
        | "exportStorageName"
        | "tags"
    > & {
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
            ...(a.smartIdentityProviders.length > 0 ? { smartIdentityProviders: a.smartIdentityProviders } : {}),
        },
        ...(a.export ? { exportConfiguration: { storageAccountName: args.exportStorageName } } : {}),
        importConfiguration: a.import
            ? { enabled: true, initialImportMode: a.initialImportMode, integrationDataStore: args.exportStorageName }
            : { enabled: false },
        resourceVersionPolicyConfiguration: {
            default: a.resourceVersionPolicy,
            ...(Object.keys(a.resourceVersionOverrides).length > 0 ? { resourceTypeOverrides: a.resourceVersionOverrides } : {}),
        },
        implementationGuidesConfiguration: { usCoreMissingData: a.usCoreMissingData },
        ...(a.acr
            ? {
                  acrConfiguration: {
                      loginServers: a.acr.registryIds.map(acrLoginServer),
                      ...(a.acr.ociArtifacts.length > 0 ? { ociArtifacts: a.acr.ociArtifacts } : {}),
                  },
              }
            : {}),
        ...(a.cors
            ? {
                  corsConfiguration: {
                      origins: a.cors.origins,
                      headers: a.cors.headers,
                      methods: a.cors.methods,
                      allowCredentials: a.cors.allowCredentials,
                      ...(a.cors.maxAge !== undefined ? { maxAge: a.cors.maxAge } : {}),
                  },
              }
            : {}),
        tags: args.tags,
    };
}

/** Pulumi name of a data-plane grant: component (the account), role and principal, never a list position. */
export function dataPlaneGrantName(component: string, g: GrantConfig): string {
    return `${component}-fhir-${g.role
        .replace(/^FHIR /, "")
        .replace(/ /g, "-")
        .toLowerCase()}-${g.principalId}`;
}

/** A person's or app's FHIR data-plane role, at this FHIR service's scope only. */
export function dataPlaneGrantArgs(
    args: Pick<FhirServiceArgs, "account" | "stack" | "subscriptionId">,
    g: GrantConfig,
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
export function registryGrantName(component: string, registryId: string): string {
    return `${component}-acr-pull-${registryId.split("/").pop()!.toLowerCase()}`;
}

/** AcrPull for the account's identity on one `$convert-data` registry (which may live in another subscription). */
export function registryGrantArgs(
    args: Pick<FhirServiceArgs, "account" | "stack" | "subscriptionId" | "identityPrincipalId" | "sharedRegistryIds">,
    registryId: string,
): RoleGrantArgs {
    const account = args.account;
    const shared = args.sharedRegistryIds.some((r) => r.toLowerCase() === registryId.toLowerCase());
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
