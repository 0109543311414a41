/**
 * The components' own checks of their arguments. A stack's config is validated before the program maps it (config/),
 * but a consumer of the package calls the components directly, from any language: a value the platform would never
 * deploy is refused with one error naming the component, the account and every field at fault, before any child
 * resource is registered.
 */
import * as pulumi from "@pulumi/pulumi";
import { CMK_KEY_SIZES, EXPORT_RETENTION_DAYS, KEY_ROTATION_DAYS, RBAC_PROPAGATION_SECONDS, ZRS_REGIONS } from "../azure/facts";
import { ACCOUNT_NAME_PATTERN, checkName } from "../azure/naming";
import type { CmkKey, StorageRedundancy } from "./types";

/** One problem: the field (path) and what is wrong with it. */
export type Problem = [field: string, message: string];

/** Throws one error listing every problem; `what` names the component and its account, e.g. `FhirAccount contoso`. */
export function refuse(what: string, problems: Problem[], resource: pulumi.Resource): void {
    if (problems.length === 0) return;
    throw new pulumi.ResourceError(`${what}: ${problems.map(([f, m]) => `field '${f}': ${m}`).join("; ")}`, resource, true);
}

export function accountProblems(account: string, field = "account"): Problem[] {
    return ACCOUNT_NAME_PATTERN.test(account)
        ? []
        : [[field, `'${account}' is not a valid account name: use 3 to 12 lowercase letters and digits, starting with a letter`]];
}

export function wholeNumberProblems(field: string, value: number | undefined, range: { min: number; max: number }): Problem[] {
    if (value === undefined || (Number.isInteger(value) && value >= range.min && value <= range.max)) return [];
    return [[field, `must be a whole number from ${range.min} to ${range.max}, got ${value}`]];
}

/** The account's keys: at least one, names unique and valid, sizes and rotation Azure accepts, the current one among them. */
export function keyProblems(keys: readonly CmkKey[], currentKey: string, field = "keys"): Problem[] {
    const out: Problem[] = [];
    if (keys.length === 0) out.push([field, "must list at least one key"]);
    const seen = new Set<string>();
    keys.forEach((k, i) => {
        const nameProblem = checkName("keyVaultKey", k.name);
        if (nameProblem) out.push([`${field}[${i}].name`, nameProblem]);
        if (seen.has(k.name)) out.push([`${field}[${i}].name`, `key '${k.name}' is listed twice`]);
        seen.add(k.name);
        if (!(CMK_KEY_SIZES as readonly number[]).includes(k.size))
            out.push([`${field}[${i}].size`, `${k.size} is not a key size the FHIR service accepts (${CMK_KEY_SIZES.join(" or ")})`]);
        out.push(...wholeNumberProblems(`${field}[${i}].rotationDays`, k.rotationDays, KEY_ROTATION_DAYS));
    });
    if (keys.length > 0 && !seen.has(currentKey))
        out.push(["currentKey", `'${currentKey}' is not among the keys (${[...seen].join(", ")})`]);
    return out;
}

export function rbacWaitProblems(seconds: number | undefined): Problem[] {
    return wholeNumberProblems("rbacPropagationSeconds", seconds, { min: 0, max: RBAC_PROPAGATION_SECONDS.max });
}

/** Export retention and redundancy: ZRS only where the region has availability zones. */
export function storageProblems(
    location: string,
    redundancy: StorageRedundancy | undefined,
    retentionDays: number | undefined,
    fields: { redundancy: string; retentionDays: string },
): Problem[] {
    const out = wholeNumberProblems(fields.retentionDays, retentionDays, EXPORT_RETENTION_DAYS);
    if (redundancy === "ZRS" && !(ZRS_REGIONS as readonly string[]).includes(location))
        out.push([fields.redundancy, `ZRS is not offered in ${location} (no availability zones): use LRS`]);
    return out;
}
