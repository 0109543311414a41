/**
 * The dev stack's URNs and Azure names, pinned. A change that renames a Pulumi resource (a new URN: the engine would
 * delete and recreate it, or refuse because it is protected) or an Azure resource must update this snapshot on
 * purpose (`npx jest test/snapshot.test.ts -u`), and say in its commit why, with aliases where a URN moves.
 * Mock-generated parts of names (random suffixes) read "(known after deploy)".
 */
import { buildPlan } from "../harness/plan";
import { runStack } from "../harness/runStack";

test("dev stack: every URN and the Azure name of every cloud resource", async () => {
    const run = await runStack({ stack: "dev" });
    const plan = buildPlan("dev", run.resources);
    const lines = plan.groups.flatMap((g) => g.resources.map((r) => `${r.urn}${r.azureName ? `  "${r.azureName}"` : ""}`)).sort();
    expect(lines).toMatchSnapshot();
});
