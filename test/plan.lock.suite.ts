/**
 * The plain plan (no --base) says where the placement lock and the config disagree: accounts `pulumi up` would create,
 * accounts it would delete, that a rename is both, and the ways out. Accounts the lock holds and the config dropped
 * fail the plan (exit 1), as `npm run place -- --check` does in CI.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { main } from "../scripts/plan";
import { place } from "../tools/place";
import { TENANT, SUB_A } from "./helpers/stack";

const dirs: string[] = [];
afterAll(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function writeStack(dir: string, accounts: string[]): void {
    const config = {
        "fhir-platform:location": "westeurope",
        "fhir-platform:tenantId": TENANT,
        "fhir-platform:subscriptions": [{ name: "main", subscriptionId: SUB_A }],
        "fhir-platform:accounts": accounts.map((name) => ({ name })),
    };
    fs.writeFileSync(path.join(dir, "Pulumi.staging.yaml"), yaml.dump({ config }));
}

/** A stack placed (lock written) with `locked`, whose config then lists `now`. */
function stack(locked: string[] | undefined, now: string[]): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fhir-plan-lock-"));
    dirs.push(dir);
    if (locked) {
        writeStack(dir, locked);
        expect(place({ stack: "staging", projectDir: dir }).code).toBe(0);
    }
    writeStack(dir, now);
    return dir;
}

async function plan(dir: string): Promise<{ code: number; text: string; markdown: string }> {
    let text = "";
    const md = path.join(dir, "plan.md");
    const code = await main(["--stack", "staging", "--project-dir", dir, "--no-policies", "--markdown", md], {
        out: (t) => void (text += t),
        err: () => undefined,
    });
    return { code, text, markdown: fs.readFileSync(md, "utf8") };
}

test("a rename fails the plan: it names the account dropped and the one created, says a rename deletes and re-creates, points to decommission", async () => {
    const r = await plan(stack(["acme", "labcorpx"], ["acme", "labcorp"]));
    expect(r.code).toBe(1);
    const section = r.text.slice(r.text.indexOf("Placement lock:"));
    expect(section).toMatch(/In Pulumi\.staging\.placement\.json, not in the config: 'labcorpx'\. pulumi up would delete every resource/);
    expect(section).toMatch(/In the config, not in Pulumi\.staging\.placement\.json: 'labcorp'\. pulumi up would create every resource/);
    expect(section).toMatch(/a rename is a delete of every resource of the old name plus a create of every resource of the new one/);
    expect(section).toMatch(/npm run decommission -- --stack staging --account labcorpx/);
    expect(section).toMatch(/\nFAILED: accounts in the placement lock are missing from the config\n/);
    expect(section).not.toMatch(/'acme'/);
    expect(r.markdown).toMatch(
        /^## Offline plan: stack `staging`\n\n:x: \*\*Accounts in the placement lock are missing from the config\*\*/,
    );
    expect(r.markdown).toMatch(/### Placement lock\n\n- :x: In Pulumi\.staging\.placement\.json, not in the config: 'labcorpx'/);
});

test("an account removed without decommissioning fails the plan too", async () => {
    const r = await plan(stack(["acme", "labcorp"], ["acme"]));
    expect(r.code).toBe(1);
    expect(r.text).toMatch(/not in the config: 'labcorp'/);
    expect(r.text).not.toMatch(/a rename is/);
});

test("a new account not placed yet passes, with the accounts pulumi up would create and the command that places them", async () => {
    const r = await plan(stack(["acme"], ["acme", "globex"]));
    expect(r.code).toBe(0);
    expect(r.text).toMatch(
        /Placement lock:\n {2}In the config, not in Pulumi\.staging\.placement\.json: 'globex'\. pulumi up would create every resource of this account; npm run place -- --stack staging places it/,
    );
    expect(r.text).not.toMatch(/FAILED/);
    expect(r.markdown).toMatch(/- :warning: In the config, not in Pulumi\.staging\.placement\.json: 'globex'/);
});

test("a stack without a lock passes and is told to write one; lock and config in agreement print nothing about the lock", async () => {
    const none = await plan(stack(undefined, ["acme"]));
    expect(none.code).toBe(0);
    expect(none.text).toMatch(/No placement lock yet \(Pulumi\.staging\.placement\.json\): npm run place -- --stack staging writes it/);
    const same = await plan(stack(["acme"], ["acme"]));
    expect(same.code).toBe(0);
    expect(same.text).not.toMatch(/Placement lock|placement lock/);
});
