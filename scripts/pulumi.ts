/**
 * `npm run pulumi -- <pulumi arguments>`, e.g. `npm run pulumi -- preview --stack dev --policy-pack policies`: the Pulumi
 * CLI built by `npm run engine:build`, with the fake Azure providers, on a local backend and a copy of the stack file
 * (engine/cli.ts). Every argument goes to the CLI; `--stack <org>/<stack>` runs the local stack <stack>. Relative paths
 * (`--policy-pack`, `--policy-pack-config`, `--file`) resolve from where `npm run` was started. FHIR_PLATFORM_LOCAL_DIR
 * moves the backend, project copy and fake ARM table elsewhere (default engine/bin/local). Exit code: the CLI's; 2 usage.
 */
import { runPulumi } from "../engine/cli";
import { runCommand } from "../tools/command";

export function main(argv: string[]): Promise<number> {
    return runPulumi(argv, {
        cwd: process.env.INIT_CWD ?? process.cwd(),
        ...(process.env.FHIR_PLATFORM_LOCAL_DIR ? { localDir: process.env.FHIR_PLATFORM_LOCAL_DIR } : {}),
    });
}

runCommand(module, main);
