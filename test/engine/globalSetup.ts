/**
 * Before the engine tests: the TypeScript plugins, launch scripts and fake providers are (re)built when their sources
 * changed (seconds); the CLI itself must already exist (`npm run engine:build`, cached) or be named by PULUMI_ENGINE.
 */
import * as fs from "node:fs";
import { buildSupport } from "../../engine/build";
import { engineBinary, usesBuiltEngine } from "../../engine/harness";

export default function globalSetup(): void {
    buildSupport();
    const bin = engineBinary();
    if (!fs.existsSync(bin)) {
        throw new Error(
            usesBuiltEngine() ? `no Pulumi CLI at ${bin}: run \`npm run engine:build\` first` : `PULUMI_ENGINE=${bin} does not exist`,
        );
    }
}
