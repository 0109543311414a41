import * as pulumi from "@pulumi/pulumi";
import { CONFIG_NAMESPACE, defineStack } from "./components";

// Validates the whole config (every problem at once) before any resource is registered.
const stack = defineStack({ config: new pulumi.Config(CONFIG_NAMESPACE), stack: pulumi.getStack(), projectDir: __dirname });

/** Per account: FHIR URL and audience, identity IDs, key URI, vault URI, export storage, workspace, resource groups. */
export const accounts = stack.accounts;
export const logAnalyticsWorkspaceId = stack.logAnalyticsWorkspaceId;
export const placement = stack.placement;
export const unlockedAccounts = stack.unlockedAccounts;
