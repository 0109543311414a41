/**
 * `npm run ci:comment -- --stack <name> --pr <number> --markdown FILE ...`: posts the offline plan of a stack as the
 * pull request's comment for that stack, or edits it (tools/prComment.ts). Token from GITHUB_TOKEN (or GH_TOKEN);
 * repository from --repo or GITHUB_REPOSITORY.
 */
import * as fs from "node:fs";
import { type CommandIo, consoleCommandIo, parseCommand, runCommand, usageError } from "../tools/command";
import { commentBody, upsertComment } from "../tools/prComment";

export const SPEC = {
    run: "npm run ci:comment --",
    synopsis: "--stack <name> --pr <number> --markdown FILE ... [options]",
    description:
        "Posts the markdown files (in order: the plan diff, then the plan) as the pull request's comment for the stack, or\n" +
        "edits the comment already there: one comment per stack, kept current. Missing files are skipped. Exit codes: 0\n" +
        "posted, 1 GitHub refused, 2 usage.",
    options: {
        stack: { type: "string", value: "NAME", help: "the stack the comment is for (required)" },
        pr: { type: "string", value: "N", help: "the pull request number (required)" },
        markdown: { type: "string", multiple: true, value: "FILE", help: "markdown to post, in order (required)" },
        repo: { type: "string", value: "OWNER/NAME", help: "default $GITHUB_REPOSITORY" },
        "run-url": { type: "string", value: "URL", help: "the workflow run, linked when a long plan is cut" },
    },
} as const;

export async function main(argv: string[], io: CommandIo = consoleCommandIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
    const parsed = parseCommand(argv, SPEC, io);
    if ("exitCode" in parsed) return parsed.exitCode;
    const v = parsed.values;
    const repo = v.repo ?? env.GITHUB_REPOSITORY;
    const token = env.GITHUB_TOKEN || env.GH_TOKEN;
    if (!v.stack || !v.pr || !/^[1-9]\d*$/.test(v.pr) || !v.markdown?.length)
        return usageError(SPEC, "--stack, --pr (a number) and --markdown are required", io);
    if (!repo || !token) return usageError(SPEC, "needs --repo (or GITHUB_REPOSITORY) and GITHUB_TOKEN", io);
    const parts = v.markdown.filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f, "utf8"));
    if (parts.length === 0) {
        io.err(`ci:comment: none of ${v.markdown.join(", ")} exists: nothing to post`);
        return 0;
    }
    try {
        const r = await upsertComment(
            { repo, pr: Number(v.pr), token, ...(env.GITHUB_API_URL ? { api: env.GITHUB_API_URL } : {}) },
            v.stack,
            commentBody(v.stack, parts, v["run-url"]),
        );
        io.out(`${r.action} the comment for stack '${v.stack}' on pull request #${v.pr} (comment ${r.id})`);
        return 0;
    } catch (e) {
        io.err(`ci:comment: ${e instanceof Error ? e.message : String(e)}`);
        return 1;
    }
}

runCommand(module, main);
