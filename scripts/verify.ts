/**
 * Post-deploy verification: `npm run verify -- --stack dev` (or `--outputs FILE`). See docs/verify.md and
 * tools/verify/ for the logic.
 */
import { runVerify } from "../tools/verify/cli";

runVerify(process.argv.slice(2), {
    stdout: (line) => process.stdout.write(`${line}\n`),
    stderr: (line) => process.stderr.write(`${line}\n`),
}).then(
    (code) => {
        process.exitCode = code;
    },
    (err: unknown) => {
        process.stderr.write(`verify: ${(err as Error).message}\n`);
        process.exitCode = 2;
    },
);
