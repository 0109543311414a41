import * as pulumi from "@pulumi/pulumi";
import * as operationalinsights from "@pulumi/azure-native/operationalinsights";
import {
    AUDIT_LOG_TABLES,
    type AuditLogTable,
    FREE_ANALYTICS_RETENTION_DAYS,
    LOG_ANALYTICS_RETENTION,
    isTotalRetentionAccepted,
} from "../azure/facts";
import { PLATFORM_DEFAULTS } from "../azure/defaults";
import { componentOptions, statefulChild } from "./scope";
import { type Problem, refuse, wholeNumberProblems } from "./validate";

export interface AuditLogRetentionArgs {
    /** The Log Analytics workspace the audit logs go to (created by the platform, or an existing one it was told to manage). */
    workspaceName: pulumi.Input<string>;
    /** The workspace's resource group. */
    resourceGroupName: pulumi.Input<string>;
    /** Analytics (interactive) retention, in days (30 to 730). Default: 90. */
    retentionDays?: number;
    /**
     * Total retention (analytics, then long-term), in days: 4 to 730, or whole years up to 12 (1095, 1460, ...).
     * Default: 2191, six years (HIPAA's documentation retention, applied to audit logs).
     */
    totalRetentionDays?: number;
}

/** The child resources of an AuditLogRetention, for TypeScript code that composes it. */
export interface AuditLogRetentionChildren {
    tables: Map<AuditLogTable, operationalinsights.Table>;
}
const childrenOf = new WeakMap<AuditLogRetention, AuditLogRetentionChildren>();

/**
 * The retention of the Log Analytics tables the audit logs land in (azure/facts.ts AUDIT_LOG_TABLES): `AzureDiagnostics`
 * (FHIR AuditLogs, Key Vault AuditEvent), `StorageBlobLogs` (export storage) and `AzureActivity` (the Activity Log), each
 * kept interactively for `retentionDays` and in total for `totalRetentionDays` (long-term retention between the two, at
 * a lower price, reachable through search jobs). Azure creates these tables with the workspace; a `Table` resource
 * sets their retention (a PUT: both values are always sent, or Azure resets them to the defaults). The `protect`
 * option protects the tables (deleting one would hand it back to the defaults).
 *
 * Not on any account's critical path: nothing waits for the tables, and a longer total retention applies to data
 * already ingested ("Manage data retention in a Log Analytics workspace").
 */
export class AuditLogRetention extends pulumi.ComponentResource {
    /** The tables whose retention is set. */
    readonly tableNames: pulumi.Output<string[]>;

    constructor(name: string, args: AuditLogRetentionArgs, opts?: pulumi.ComponentResourceOptions) {
        super("fhir-platform:index:AuditLogRetention", name, {}, componentOptions(opts));
        const retentionDays = args.retentionDays ?? PLATFORM_DEFAULTS.logAnalyticsRetentionDays;
        const totalRetentionDays = args.totalRetentionDays ?? PLATFORM_DEFAULTS.logAnalyticsTotalRetentionDays;
        const problems: Problem[] = wholeNumberProblems("retentionDays", retentionDays, LOG_ANALYTICS_RETENTION.interactive);
        if (!isTotalRetentionAccepted(totalRetentionDays))
            problems.push([
                "totalRetentionDays",
                `${totalRetentionDays} days is not a total retention Azure accepts: ${LOG_ANALYTICS_RETENTION.total.min} to ` +
                    `${LOG_ANALYTICS_RETENTION.tableInteractive.max} days, or whole years: ${LOG_ANALYTICS_RETENTION.totalYears.join(", ")}`,
            ]);
        refuse(`AuditLogRetention ${name}`, problems, this);
        const tables = new Map<AuditLogTable, operationalinsights.Table>();
        for (const table of Object.keys(AUDIT_LOG_TABLES) as AuditLogTable[]) {
            tables.set(
                table,
                // Audit evidence: protected like the workspace (deleting the resource would hand the table back to defaults).
                new operationalinsights.Table(
                    `${name}-${table}`,
                    auditTableInputs({ ...args, retentionDays, totalRetentionDays }, table),
                    statefulChild(this, opts),
                ),
            );
        }
        childrenOf.set(this, { tables });
        this.tableNames = pulumi.output([...tables.keys()]);
        this.registerOutputs({ tableNames: this.tableNames });
    }

    /** The Table resources (TypeScript only: other languages get the outputs). */
    get children(): AuditLogRetentionChildren {
        return childrenOf.get(this)!;
    }
}

/**
 * One audit table's inputs. Tables Azure keeps longer for free (AzureActivity: 90 days) never get less analytics
 * retention than that.
 */
function auditTableInputs(
    args: Pick<AuditLogRetentionArgs, "workspaceName" | "resourceGroupName"> & { retentionDays: number; totalRetentionDays: number },
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
