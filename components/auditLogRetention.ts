import * as pulumi from "@pulumi/pulumi";
import * as operationalinsights from "@pulumi/azure-native/operationalinsights";
import { AUDIT_LOG_TABLES, type AuditLogTable, FREE_ANALYTICS_RETENTION_DAYS } from "../azure/facts";

export interface AuditLogRetentionArgs {
    /** The Log Analytics workspace the audit logs go to (created by the platform, or an existing one it was told to manage). */
    workspaceName: pulumi.Input<string>;
    resourceGroupName: pulumi.Input<string>;
    /** Analytics (interactive) retention, in days. */
    retentionDays: number;
    /** Total retention (analytics, then long-term), in days: a value the Tables API accepts (azure/facts.ts). */
    totalRetentionDays: number;
    /** Pulumi protect: the retention of audit evidence is not removed by a stray destroy. */
    protect: boolean;
}

/**
 * The retention of the Log Analytics tables the audit logs land in (azure/facts.ts AUDIT_LOG_TABLES): `AzureDiagnostics`
 * (FHIR AuditLogs, Key Vault AuditEvent), `StorageBlobLogs` (export storage) and `AzureActivity` (the Activity Log), each
 * kept interactively for `retentionDays` and in total for `totalRetentionDays` (long-term retention between the two, at
 * a lower price, reachable through search jobs). Azure creates these tables with the workspace; a `Table` resource
 * sets their retention (a PUT: both values are always sent, or Azure resets them to the defaults).
 *
 * Not on any account's critical path: nothing waits for the tables, and a longer total retention applies to data
 * already ingested ("Manage data retention in a Log Analytics workspace").
 */
export class AuditLogRetention extends pulumi.ComponentResource {
    readonly tables = new Map<AuditLogTable, operationalinsights.Table>();

    constructor(name: string, args: AuditLogRetentionArgs, opts?: pulumi.ComponentResourceOptions) {
        super("fhir-platform:index:AuditLogRetention", name, {}, opts);
        for (const table of Object.keys(AUDIT_LOG_TABLES) as AuditLogTable[]) {
            this.tables.set(
                table,
                // Audit evidence: protected like the workspace (deleting the resource would hand the table back to defaults).
                new operationalinsights.Table(`${name}-${table}`, auditTableInputs(args, table), { parent: this, protect: args.protect }),
            );
        }
        this.registerOutputs({});
    }
}

/**
 * One audit table's inputs (pure: the bench's flat baseline registers the same). Tables Azure keeps longer for free
 * (AzureActivity: 90 days) never get less analytics retention than that.
 */
export function auditTableInputs(
    args: Pick<AuditLogRetentionArgs, "workspaceName" | "resourceGroupName" | "retentionDays" | "totalRetentionDays">,
    table: AuditLogTable,
): operationalinsights.TableArgs {
    const retentionInDays = Math.max(args.retentionDays, FREE_ANALYTICS_RETENTION_DAYS[table] ?? 0);
    return {
        workspaceName: args.workspaceName,
        resourceGroupName: args.resourceGroupName,
        tableName: table,
        retentionInDays,
        totalRetentionInDays: Math.max(args.totalRetentionDays, retentionInDays),
    };
}
