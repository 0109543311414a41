/**
 * The offline plan: what `pulumi preview` would register, grouped by account, from a mock-mode run of the real
 * program, plus the policy pack's verdict. Pure functions over captured resources; output is deterministic.
 */
import { CapturedResource } from "./mockRun";
import type { PolicyReport, PolicyViolation } from "../../policies/offline";

export const PLATFORM_GROUP = "(platform)";
const ACCOUNT_COMPONENT = "fhir-platform:index:FhirAccount";

export interface PlanResource extends Pick<CapturedResource, "urn" | "type" | "name" | "custom" | "protect" | "inputs"> {
    /** Kind and logical name of the parent component (components and their children often share a name). */
    parent?: string;
    /** Logical name of the explicit provider. */
    provider?: string;
    /** The Azure name the resource gets, when an input sets it. */
    azureName?: string;
    /** Logical names of the resources this one waits for (explicit and through inputs). */
    dependsOn: string[];
}

export interface PlanGroup {
    name: string;
    resources: PlanResource[];
}

export interface Plan {
    stack: string;
    groups: PlanGroup[];
    counts: { total: number; custom: number; components: number; protected: number; accounts: number };
    policy?: PolicyReport;
}

/**
 * The input that names each type in Azure. Every custom type the program registers is listed (test/plan.test.ts
 * checks the name against the resource ID's last segment), so a resource never shows another input, such as its
 * resource group's name, as its own.
 */
const NAME_INPUT_BY_TYPE: Record<string, string> = {
    "azure-native:resources:ResourceGroup": "resourceGroupName",
    "azure-native:managedidentity:UserAssignedIdentity": "resourceName",
    "azure-native:keyvault:Vault": "vaultName",
    "azure-native:keyvault:Key": "keyName",
    "azure-native:storage:StorageAccount": "accountName",
    "azure-native:storage:BlobServiceProperties": "blobServicesName",
    "azure-native:healthcareapis:Workspace": "workspaceName",
    "azure-native:healthcareapis:FhirService": "fhirServiceName",
    "azure-native:network:PrivateEndpoint": "privateEndpointName",
    "azure-native:network:PrivateDnsZoneGroup": "privateDnsZoneGroupName",
    "azure-native:privatedns:PrivateZone": "privateZoneName",
    "azure-native:privatedns:VirtualNetworkLink": "virtualNetworkLinkName",
    "azure-native:operationalinsights:Workspace": "workspaceName",
    "azure-native:authorization:RoleAssignment": "roleAssignmentName",
    "azure-native:monitor:DiagnosticSetting": "name",
};

function azureName(r: CapturedResource): string | undefined {
    const key = NAME_INPUT_BY_TYPE[r.type];
    const v = key ? r.inputs[key] : undefined;
    return typeof v === "string" ? v : undefined;
}

/** Account owning a resource: the FhirAccount component up its parent chain, if any. */
export function accountOf(r: CapturedResource, byUrn: Map<string, CapturedResource>): string | undefined {
    for (let cur: CapturedResource | undefined = r; cur; cur = cur.parent ? byUrn.get(cur.parent) : undefined) {
        if (cur.type === ACCOUNT_COMPONENT) return cur.name;
    }
    return undefined;
}

export function buildPlan(stack: string, resources: CapturedResource[], policy?: PolicyReport): Plan {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const nameOf = (urn: string) => byUrn.get(urn)?.name ?? urn.split("::").pop()!;
    // Components and their children often share a name (contoso-cmk is both): label parents with their kind.
    const parentLabel = (urn: string) => `${(byUrn.get(urn)?.type ?? "").split(":").pop()} ${nameOf(urn)}`;
    const groups = new Map<string, PlanResource[]>();
    for (const r of resources) {
        if (r.type === "pulumi:pulumi:Stack") continue;
        const deps = new Set([...r.dependencies, ...Object.values(r.propertyDependencies).flat()]);
        const pr: PlanResource = {
            urn: r.urn,
            type: r.type,
            name: r.name,
            custom: r.custom,
            ...(r.parent && byUrn.get(r.parent)?.type !== "pulumi:pulumi:Stack" ? { parent: parentLabel(r.parent) } : {}),
            ...(r.provider ? { provider: r.provider.split("::")[3] } : {}),
            protect: r.protect,
            ...(r.custom && azureName(r) ? { azureName: azureName(r)! } : {}),
            inputs: r.custom ? r.inputs : {},
            dependsOn: [...deps].filter((u) => byUrn.get(u)?.custom).map(nameOf).sort(),
        };
        const g = accountOf(r, byUrn) ?? PLATFORM_GROUP;
        groups.set(g, [...(groups.get(g) ?? []), pr]);
    }
    const order = [...groups.keys()].sort((a, b) => (a === PLATFORM_GROUP ? -1 : b === PLATFORM_GROUP ? 1 : a.localeCompare(b)));
    const planGroups = order.map((name) => ({
        name,
        resources: groups.get(name)!.sort((a, b) => Number(b.custom === false) - Number(a.custom === false) || a.type.localeCompare(b.type) || a.name.localeCompare(b.name)),
    }));
    const all = planGroups.flatMap((g) => g.resources);
    return {
        stack,
        groups: planGroups,
        counts: {
            total: all.length,
            custom: all.filter((r) => r.custom).length,
            components: all.filter((r) => !r.custom).length,
            protected: all.filter((r) => r.protect).length,
            accounts: planGroups.filter((g) => g.name !== PLATFORM_GROUP).length,
        },
        ...(policy ? { policy } : {}),
    };
}

/** Short label of a resource type: `azure-native:keyvault:Vault` -> `keyvault:Vault`. */
export function shortType(type: string): string {
    return type.replace(/^azure-native:/, "").replace(/^pulumi-nodejs:dynamic\/[^:]*:/, "dynamic:").replace(/^random:index\/randomString:/, "random:");
}

function flatten(value: unknown, prefix: string, out: string[]): void {
    if (value && typeof value === "object" && !Array.isArray(value)) {
        for (const k of Object.keys(value).sort()) flatten((value as Record<string, unknown>)[k], prefix ? `${prefix}.${k}` : k, out);
    } else {
        out.push(`${prefix} = ${JSON.stringify(value)}`);
    }
}

export function violationLine(v: PolicyViolation): string {
    const where = v.resourceName ? `${v.resourceName} (${v.resourceType ? shortType(v.resourceType) : "resource"})` : "stack";
    return `[${v.enforcementLevel}] ${v.policyName}: ${where}: ${v.message}`;
}

export function mandatoryViolations(plan: Plan): PolicyViolation[] {
    return plan.policy?.violations.filter((v) => v.enforcementLevel === "mandatory") ?? [];
}

export function renderText(plan: Plan, options: { inputs?: boolean } = {}): string {
    const c = plan.counts;
    const lines = [
        `Offline plan of stack '${plan.stack}' (real program, Pulumi SDK mock mode; no cloud calls)`,
        `${c.accounts} account(s), ${c.total} resources to create: ${c.custom} cloud resources, ${c.components} components; ${c.protected} protected`,
        "",
    ];
    for (const g of plan.groups) {
        const custom = g.resources.filter((r) => r.custom).length;
        lines.push(`${g.name === PLATFORM_GROUP ? "platform" : `account ${g.name}`}: ${g.resources.length} resources (${custom} cloud, ${g.resources.length - custom} components)`);
        for (const r of g.resources) {
            const flags = [r.protect ? "protected" : "", r.provider ? `provider=${r.provider}` : ""].filter(Boolean).join(", ");
            lines.push(`  + ${shortType(r.type).padEnd(40)} ${r.name}${r.azureName ? `  "${r.azureName}"` : ""}${flags ? `  [${flags}]` : ""}`);
            if (r.parent) lines.push(`      parent: ${r.parent}`);
            if (r.dependsOn.length) lines.push(`      after: ${r.dependsOn.join(", ")}`);
            if (options.inputs && r.custom) {
                const flat: string[] = [];
                flatten(r.inputs, "", flat);
                for (const f of flat) lines.push(`      ${f}`);
            }
        }
        lines.push("");
    }
    if (plan.policy) {
        const p = plan.policy;
        const mandatory = mandatoryViolations(plan).length;
        lines.push(`Policy pack: ${p.policiesRun} policies over ${p.resourcesChecked} resources: ${mandatory} mandatory, ${p.violations.length - mandatory} advisory violation(s)`);
        for (const v of p.violations) {
            lines.push(`  ${violationLine(v)}`);
            lines.push(`      fix: ${v.remediation}`);
        }
        lines.push(mandatory > 0 ? "FAILED: mandatory policy violations" : "PASSED: no mandatory policy violation");
    }
    return lines.join("\n") + "\n";
}

function md(s: string): string {
    return s.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

export function renderMarkdown(plan: Plan): string {
    const c = plan.counts;
    const mandatory = mandatoryViolations(plan).length;
    const out = [
        `## Offline plan: stack \`${plan.stack}\``,
        "",
        plan.policy ? (mandatory > 0 ? `:x: **${mandatory} mandatory policy violation(s)**` : ":white_check_mark: **No mandatory policy violation**") : "_Policies not run._",
        "",
        `${c.accounts} account(s), **${c.total}** resources: ${c.custom} cloud resources, ${c.components} components, ${c.protected} protected. ` +
            "Produced by the real program in Pulumi's mock mode (no credentials); `pulumi preview` against Azure remains the authority.",
        "",
        "| group | resources | cloud | components | protected |",
        "|---|---:|---:|---:|---:|",
        ...plan.groups.map((g) => {
            const cl = g.resources.filter((r) => r.custom).length;
            return `| ${g.name === PLATFORM_GROUP ? "platform" : md(g.name)} | ${g.resources.length} | ${cl} | ${g.resources.length - cl} | ${g.resources.filter((r) => r.protect).length} |`;
        }),
        "",
    ];
    if (plan.policy && plan.policy.violations.length) {
        out.push("### Policy violations", "", "| level | policy | resource | message | fix |", "|---|---|---|---|---|");
        for (const v of plan.policy.violations) {
            out.push(`| ${v.enforcementLevel} | \`${v.policyName}\` | ${md(v.resourceName ?? "stack")} | ${md(v.message)} | ${md(v.remediation)} |`);
        }
        out.push("");
    }
    for (const g of plan.groups) {
        out.push(`<details><summary>${g.name === PLATFORM_GROUP ? "platform" : `account ${md(g.name)}`} (${g.resources.length})</summary>`, "", "| type | name | Azure name | protected | after |", "|---|---|---|---|---|");
        for (const r of g.resources) out.push(`| ${shortType(r.type)} | ${md(r.name)} | ${md(r.azureName ?? "")} | ${r.protect ? "yes" : ""} | ${md(r.dependsOn.join(", "))} |`);
        out.push("", "</details>", "");
    }
    return out.join("\n");
}
