/**
 * `npm run verify -- --stack <name> | --outputs FILE [options]`: post-deploy verification of every account's FHIR
 * service and key (docs/verify.md; the logic, its node:util argument parsing and --help are in tools/verify/).
 */
import { runCommand } from "../tools/command";
import { runVerify } from "../tools/verify/cli";

export function main(argv: string[]): Promise<number> {
    return runVerify(argv, {
        stdout: (line) => process.stdout.write(`${line}\n`),
        stderr: (line) => process.stderr.write(`${line}\n`),
    });
}

runCommand(module, main);
