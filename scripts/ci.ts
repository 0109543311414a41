/**
 * `npm run ci:stacks -- --base <ref> [--head <ref>] | --all | --changed <file> ...` [--json] [--github-output FILE]
 * [--summary FILE] [--dir DIR]
 *
 * Which stacks a change plans and checks, and which it deploys (the rules: tools/ci.ts). The workflows call it
 * first and use its lists as their matrix. Exit codes: 0 selected (possibly nothing), 1 a selected stack file cannot
 * be read as CI needs it, 2 usage.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { type CommandIo, consoleCommandIo, parseCommand, runCommand, usageError } from "../tools/command";
import { changedFiles, githubOutputs, readStackInfos, renderSelection, selectStacks } from "../tools/ci";
import { PROJECT_DIR } from "../harness/stackFiles";

export const SPEC = {
    run: "npm run ci:stacks --",
    synopsis: "(--base <git ref> [--head <git ref>] | --all | --changed <file> ...) [options]",
    description:
        "Which stacks a change plans and checks, and which a push to main deploys. Rules: a stack file or placement lock plans\n" +
        "that stack and the other shards of its environment and deploys that stack; program or policy code plans and deploys\n" +
        "every stack; scripts/, harness/, tools/ and .github/ plan every stack and deploy none; documentation and tests select\n" +
        "nothing. Stacks with fhir-platform:deploy: false are never deployed. Exit codes: 0 selected (possibly nothing), 1 a\n" +
        "selected stack file cannot be read as CI needs it, 2 usage.",
    options: {
        base: {
            type: "string",
            value: "REF",
            help: "select from the files changed between REF and --head; a REF this clone lacks selects every stack",
        },
        head: { type: "string", value: "REF", default: "HEAD", help: "default HEAD" },
        all: { type: "boolean", default: false, help: "every stack planned, every deployable stack deployed (scheduled and manual runs)" },
        changed: {
            type: "string",
            multiple: true,
            value: "FILE",
            help: "select as if these files changed (paths relative to the project)",
        },
        json: { type: "boolean", default: false, help: "print the selection as JSON on stdout" },
        "github-output": {
            type: "string",
            value: "FILE",
            help: "append plan=[...], deploy=[...], environments=[...] to FILE ($GITHUB_OUTPUT)",
        },
        summary: { type: "string", value: "FILE", help: "append the selection as a markdown table to FILE ($GITHUB_STEP_SUMMARY)" },
        dir: { type: "string", value: "DIR", help: "the project (where the stack files are); default: this checkout" },
    },
} as const;

export function main(argv: string[], io: CommandIo = consoleCommandIo): number {
    const parsed = parseCommand(argv, SPEC, io);
    if ("exitCode" in parsed) return parsed.exitCode;
    const { values } = parsed;
    const modes = [values.base !== undefined, values.all, values.changed !== undefined].filter(Boolean).length;
    if (modes !== 1) return usageError(SPEC, "give exactly one of --base, --all, --changed", io);
    const dir = values.dir ? path.resolve(values.dir) : PROJECT_DIR;
    let changes: string[] | "all";
    if (values.all) changes = "all";
    else if (values.changed) changes = values.changed;
    else {
        const files = changedFiles(values.base!, values.head, dir);
        if (files === undefined) io.err(`ci:stacks: ${values.base} is not a commit of this clone: selecting every stack`);
        changes = files ?? "all";
    }
    const selection = selectStacks(changes, readStackInfos(dir));
    const text = renderSelection(selection, "text");
    // With --json stdout carries only the JSON; the table goes to stderr.
    if (values.json) {
        io.err(text);
        io.out(JSON.stringify(selection, null, 2));
    } else {
        io.out(text);
    }
    if (values["github-output"]) fs.appendFileSync(values["github-output"], githubOutputs(selection));
    if (values.summary) fs.appendFileSync(values.summary, renderSelection(selection, "markdown"));
    return selection.problems.length > 0 ? 1 : 0;
}

runCommand(module, main);
