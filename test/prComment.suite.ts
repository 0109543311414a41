/**
 * The offline plan as one pull-request comment per stack (tools/prComment.ts, `npm run ci:comment`), against a fake of
 * the three GitHub REST calls it makes.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { main } from "../scripts/ci-comment";
import { COMMENT_MAX_CHARS, commentBody, commentMarker, upsertComment } from "../tools/prComment";

interface Call {
    method: string;
    url: string;
    body?: string;
}

/** A fake GitHub holding the pull request's comments; records every call. */
function github(initial: { id: number; body: string }[], status = 200) {
    const comments = initial.map((c) => ({ ...c }));
    const calls: Call[] = [];
    const json = (value: unknown, code = status) => new Response(JSON.stringify(value), { status: code });
    const fake = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
        const url = String(input);
        const method = init?.method ?? "GET";
        const payload = init?.body ? (JSON.parse(String(init.body)) as { body: string }).body : undefined;
        calls.push({ method, url, ...(payload !== undefined ? { body: payload } : {}) });
        if (status !== 200) return json({ message: "Resource not accessible by integration" });
        const page = Number(new URL(url).searchParams.get("page") ?? 1);
        if (method === "GET") return json(comments.slice((page - 1) * 100, page * 100));
        if (method === "PATCH") {
            const id = Number(url.split("/").pop());
            comments.find((c) => c.id === id)!.body = payload!;
            return json({ id });
        }
        const created = { id: 1000 + comments.length, body: payload! };
        comments.push(created);
        return json(created, 201);
    };
    return { fetch: fake as typeof fetch, calls, comments };
}

const target = (f: typeof fetch) => ({ repo: "acme/fhir", pr: 7, token: "t", fetch: f });

test("creates the stack's comment once, then edits that one on every push; other stacks' comments are left alone", async () => {
    const gh = github([
        { id: 1, body: "LGTM" },
        { id: 2, body: `${commentMarker("prod-eu-10")}\nplan of prod-eu-10` },
    ]);
    expect(await upsertComment(target(gh.fetch), "prod-eu-1", commentBody("prod-eu-1", ["first"]))).toEqual({
        action: "created",
        id: 1002,
    });
    expect(await upsertComment(target(gh.fetch), "prod-eu-1", commentBody("prod-eu-1", ["second"]))).toEqual({
        action: "updated",
        id: 1002,
    });
    expect(gh.comments.map((c) => c.body)).toEqual([
        "LGTM",
        `${commentMarker("prod-eu-10")}\nplan of prod-eu-10`,
        `${commentMarker("prod-eu-1")}\nsecond\n`,
    ]);
    expect(gh.calls.map((c) => `${c.method} ${c.url}`)).toEqual([
        "GET https://api.github.com/repos/acme/fhir/issues/7/comments?per_page=100&page=1",
        "POST https://api.github.com/repos/acme/fhir/issues/7/comments",
        "GET https://api.github.com/repos/acme/fhir/issues/7/comments?per_page=100&page=1",
        "PATCH https://api.github.com/repos/acme/fhir/issues/comments/1002",
    ]);
});

test("finds its comment past the first page of 100", async () => {
    const many = Array.from({ length: 150 }, (_, i) => ({ id: i + 1, body: `comment ${i + 1}` }));
    many[120].body = `${commentMarker("dev")}\nold plan`;
    const gh = github(many);
    expect(await upsertComment(target(gh.fetch), "dev", commentBody("dev", ["new plan"]))).toEqual({ action: "updated", id: 121 });
});

test("the diff comes before the plan; a plan over GitHub's limit is cut at a line end, with where to find the rest", () => {
    expect(commentBody("dev", ["## Plan diff\n", "", "## Offline plan\n"])).toBe(
        `${commentMarker("dev")}\n## Plan diff\n\n---\n\n## Offline plan\n`,
    );
    const rows = Array.from({ length: 4000 }, (_, i) => `| row ${i} | ${"x".repeat(20)} |`).join("\n");
    const body = commentBody("prod", ["## Offline plan", rows], "https://github.com/acme/fhir/actions/runs/9");
    expect(body.length).toBeLessThanOrEqual(COMMENT_MAX_CHARS);
    expect(body.length).toBeGreaterThan(COMMENT_MAX_CHARS - 200);
    expect(body).toMatch(/\| row \d+ \| x{20} \|\n\n_… cut at 65,536 characters/);
    expect(body).toMatch(
        /\[the run's job summary and its offline-plan-prod artifact\]\(https:\/\/github\.com\/acme\/fhir\/actions\/runs\/9\)\._\n$/,
    );
});

test("npm run ci:comment: posts the files that exist; GitHub refusing (a fork's read-only token) is exit 1 with the reason", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fhir-comment-"));
    fs.writeFileSync(path.join(dir, "plan.md"), "## Offline plan: stack `dev`\n");
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (t: string) => void out.push(t), err: (t: string) => void err.push(t) };
    const env = { GITHUB_REPOSITORY: "acme/fhir", GITHUB_TOKEN: "t" };
    const args = ["--stack", "dev", "--pr", "7", "--markdown", path.join(dir, "diff.md"), "--markdown", path.join(dir, "plan.md")];
    const realFetch = globalThis.fetch;
    try {
        const ok = github([]);
        globalThis.fetch = ok.fetch;
        expect(await main(args, io, env)).toBe(0);
        expect(ok.comments.map((c) => c.body)).toEqual([`${commentMarker("dev")}\n## Offline plan: stack \`dev\`\n`]);
        expect(out).toEqual(["created the comment for stack 'dev' on pull request #7 (comment 1000)"]);
        globalThis.fetch = github([], 403).fetch;
        expect(await main(args, io, env)).toBe(1);
        expect(err.at(-1)).toMatch(
            /^ci:comment: GET https:\/\/api\.github\.com\/repos\/acme\/fhir\/issues\/7\/comments.*HTTP 403 .*not accessible/,
        );
        expect(await main(["--stack", "dev", "--pr", "x", "--markdown", "a.md"], io, env)).toBe(2);
    } finally {
        globalThis.fetch = realFetch;
        fs.rmSync(dir, { recursive: true, force: true });
    }
});
