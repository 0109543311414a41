import * as pulumi from "@pulumi/pulumi";
import { CONFIG_NAMESPACE, ConfigValidationError } from "./config";
import { defineStack } from "./program";
import { cacheSdkResourceStacks, skipSdkDebugLogs, skipSdkPromiseStacks } from "./program/sdkStacks";

// Before any resource: skip the SDK's per-promise debug stacks (two thirds of a large preview's program time) and its
// debug-level log RPCs (a fifth of what was left), and compute each distinct resource stack trace once:
// program/sdkStacks.ts.
skipSdkPromiseStacks();
skipSdkDebugLogs();
cacheSdkResourceStacks();

// Every key set in the namespace (so a misspelled one is an error, not silently ignored), read as pulumi.Config does.
const config = new pulumi.Config(CONFIG_NAMESPACE);
const keys = Object.keys(pulumi.runtime.allConfig())
    .filter((k) => k.startsWith(`${CONFIG_NAMESPACE}:`))
    .map((k) => k.slice(CONFIG_NAMESPACE.length + 1));

// Validates the whole config (every problem at once) before any resource is registered. A config problem reaches the
// user as the problem list, without a JavaScript stack trace.
function program() {
    try {
        return defineStack({ config: { get: (k) => config.get(k), keys: () => keys }, stack: pulumi.getStack(), projectDir: __dirname });
    } catch (e) {
        if (e instanceof ConfigValidationError) throw new pulumi.RunError(e.message);
        throw e;
    }
}
const stack = program();

/** Per account: FHIR URL and audience, identity IDs, key URI, vault URI, export storage, workspace, resource groups. */
export const accounts = stack.accounts;
export const logAnalyticsWorkspaceId = stack.logAnalyticsWorkspaceId;
export const placement = stack.placement;
export const unlockedAccounts = stack.unlockedAccounts;
