/**
 * The offline plan as a pull-request comment (`npm run ci:comment`): one comment per stack, found again by a marker
 * on its first line and edited on every push, so a pull request carries the current plan of each stack it touches and
 * never a pile of old ones. GitHub REST: "List issue comments", "Create an issue comment", "Update an issue comment"
 * (a pull request is an issue for comments). A body over 65,536 characters is refused by the API ("Body is too long
 * (maximum is 65536 characters)"), so a long plan is cut, with a pointer to the run's job summary and artifact.
 */

/** What GitHub accepts in a comment body, less room for the marker and the cut note. */
export const COMMENT_MAX_CHARS = 65_536;
const MARKER_PREFIX = "<!-- fhir-platform offline plan: stack ";

export function commentMarker(stack: string): string {
    return `${MARKER_PREFIX}${stack} -->`;
}

/** The comment for a stack: marker, then the markdown parts in order (diff first, then the plan), cut to fit. */
export function commentBody(stack: string, parts: readonly string[], runUrl?: string): string {
    const head = `${commentMarker(stack)}\n`;
    const text = parts
        .map((p) => p.trim())
        .filter(Boolean)
        .join("\n\n---\n\n");
    const full = `${head}${text}\n`;
    if (full.length <= COMMENT_MAX_CHARS) return full;
    const note =
        `\n\n_… cut at ${COMMENT_MAX_CHARS.toLocaleString("en-US")} characters (GitHub's limit for a comment): the whole plan is in ` +
        `${runUrl ? `[the run's job summary and its offline-plan-${stack} artifact](${runUrl})` : `the run's job summary and its offline-plan-${stack} artifact`}._\n`;
    const room = COMMENT_MAX_CHARS - head.length - note.length;
    // Cut at a line end, so no table row or HTML tag is left half written.
    const cut = text.slice(0, room);
    return `${head}${cut.slice(0, Math.max(cut.lastIndexOf("\n"), 0))}${note}`;
}

export interface CommentTarget {
    /** owner/name */
    repo: string;
    pr: number;
    token: string;
    /** Default https://api.github.com (GITHUB_API_URL on GitHub Enterprise). */
    api?: string;
    fetch?: typeof fetch;
}

interface IssueComment {
    id: number;
    body?: string;
}

/** Creates the stack's comment, or edits the one that carries its marker. */
export async function upsertComment(t: CommentTarget, stack: string, body: string): Promise<{ action: "created" | "updated"; id: number }> {
    const api = (t.api ?? "https://api.github.com").replace(/\/$/, "");
    const call = async <T>(method: string, url: string, payload?: unknown): Promise<T> => {
        const r = await (t.fetch ?? fetch)(url, {
            method,
            headers: {
                Accept: "application/vnd.github+json",
                Authorization: `Bearer ${t.token}`,
                "X-GitHub-Api-Version": "2022-11-28",
                ...(payload ? { "Content-Type": "application/json" } : {}),
            },
            ...(payload ? { body: JSON.stringify(payload) } : {}),
        });
        if (!r.ok) throw new Error(`${method} ${url}: HTTP ${r.status} ${(await r.text()).slice(0, 300)}`);
        return (await r.json()) as T;
    };
    const marker = commentMarker(stack);
    for (let page = 1; ; page++) {
        const comments = await call<IssueComment[]>("GET", `${api}/repos/${t.repo}/issues/${t.pr}/comments?per_page=100&page=${page}`);
        const mine = comments.find((c) => c.body?.startsWith(marker));
        if (mine) {
            await call("PATCH", `${api}/repos/${t.repo}/issues/comments/${mine.id}`, { body });
            return { action: "updated", id: mine.id };
        }
        if (comments.length < 100) break;
    }
    const created = await call<IssueComment>("POST", `${api}/repos/${t.repo}/issues/${t.pr}/comments`, { body });
    return { action: "created", id: created.id };
}
