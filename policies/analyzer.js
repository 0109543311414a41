// The policy pack's entry for the Pulumi CLI (package.json "main"): loads index.ts without type-checking it.
//
// The CLI starts a pack with @pulumi/pulumi/cmd/run-policy-pack, which registers ts-node with `typeCheck: true`
// whatever the pack's tsconfig says: type-checking the pack and the declarations it imports cost about 6 s of CPU
// before every preview and up (BENCHMARKS.md). `npm test` type-checks the pack already (tsconfig.json includes
// policies/), as it does the program, which the language host runs with noCheck (tsconfig.pulumi.json). So: switch
// that ts-node instance off (ts-node's documented REGISTER_INSTANCE and Service.enabled) and load the pack through a
// transpile-only one with the program's compiler options. Kept as plain JavaScript: a TypeScript entry would be
// type-checked by the very instance it is meant to switch off.
const path = require("node:path");
const tsNode = require("ts-node");

const typeChecking = process[tsNode.REGISTER_INSTANCE];
if (typeChecking) typeChecking.enabled(false);
tsNode.register({ transpileOnly: true, project: path.join(__dirname, "..", "tsconfig.pulumi.json") });
// Remediate calls answered without decoding while no policy can remediate (policies/remediate.ts).
require("./remediate.ts").skipIdleRemediate();
require("./index.ts");
