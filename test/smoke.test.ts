import { runUnderMocks } from "../scripts/lib/mockRun";
import { readStackConfig, configSource, PROJECT_DIR } from "../scripts/lib/stackConfig";
import { defineStack } from "../components";

test("two runs in one file", async () => {
    const config = readStackConfig("dev");
    const run = () => runUnderMocks(() => ({ ...defineStack({ config: configSource(config), stack: "dev", projectDir: PROJECT_DIR }) }), { stack: "dev", config });
    const a = await run();
    const b = await run();
    expect(a.resources.length).toBe(b.resources.length);
    expect(a.resources.map((r) => r.urn)).toEqual(b.resources.map((r) => r.urn));
});
