/**
 * `npm run ci:stacks -- --base <ref> [--head <ref>] | --all | --changed <file> ...` [--json] [--github-output FILE]
 * [--summary FILE] [--dir DIR]
 *
 * Which stacks a change plans and checks, and which it deploys (the rules: tools/ci.ts). The workflows call it
 * first and use its lists as their matrix. Exit codes: 0 selected (possibly nothing), 1 a selected stack file cannot
 * be read as CI needs it, 2 usage.
 */
import * as fs from "fs";
import * as path from "path";
import { parseCommand, runCommand } from "../tools/command";
import { changedFiles, githubOutputs, readStackInfos, renderSelection, selectStacks } from "../tools/ci";
import { PROJECT_DIR } from "../harness/stackFiles";

const USAGE = `usage: npm run ci:stacks -- (--base <git ref> [--head <git ref>] | --all | --changed <file> ...) [options]

  --base REF            select from the files changed between REF and --head (git diff REF...HEAD); a REF that
                        is not a commit of this clone (a new branch's all-zero 'before') selects every stack
  --head REF            default HEAD
  --all                 every stack planned, every deployable stack deployed (scheduled and manual runs)
  --changed FILE        select as if these files changed (repeatable; paths relative to the project)
  --json                print the selection as JSON on stdout
  --github-output FILE  append plan=[...], deploy=[...], environments=[...] (JSON lists) to FILE ($GITHUB_OUTPUT)
  --summary FILE        append the selection as a markdown table to FILE ($GITHUB_STEP_SUMMARY)
  --dir DIR             the project (where the stack files are); default: this checkout
  --help

Rules: a stack file or placement lock plans that stack and the other shards of its environment and deploys that
stack; program or policy code plans and deploys every stack; scripts/ and .github/ plan every stack and deploy none;
documentation and tests select nothing. Stacks with fhir-platform:deploy: false are never deployed.`;

export function main(argv: string[]): number {
    const parsed = parseCommand(
        argv,
        {
            base: { type: "string" },
            head: { type: "string", default: "HEAD" },
            all: { type: "boolean", default: false },
            changed: { type: "string", multiple: true },
            json: { type: "boolean", default: false },
            "github-output": { type: "string" },
            summary: { type: "string" },
            dir: { type: "string" },
        },
        USAGE,
    );
    if ("exitCode" in parsed) return parsed.exitCode;
    const { values } = parsed;
    const modes = [values.base !== undefined, values.all, values.changed !== undefined].filter(Boolean).length;
    if (modes !== 1) {
        console.error(`give exactly one of --base, --all, --changed\n\n${USAGE}`);
        return 2;
    }
    const dir = values.dir ? path.resolve(values.dir) : PROJECT_DIR;
    let changes: string[] | "all";
    if (values.all) changes = "all";
    else if (values.changed) changes = values.changed;
    else {
        const files = changedFiles(values.base!, values.head, dir);
        if (files === undefined) console.error(`ci:stacks: ${values.base} is not a commit of this clone: selecting every stack`);
        changes = files ?? "all";
    }
    const selection = selectStacks(changes, readStackInfos(dir));
    const text = renderSelection(selection, "text");
    // With --json stdout carries only the JSON; the table goes to stderr.
    if (values.json) {
        console.error(text);
        console.log(JSON.stringify(selection, null, 2));
    } else {
        console.log(text);
    }
    if (values["github-output"]) fs.appendFileSync(values["github-output"], githubOutputs(selection));
    if (values.summary) fs.appendFileSync(values.summary, renderSelection(selection, "markdown"));
    return selection.problems.length > 0 ? 1 : 0;
}

runCommand(module, main);
