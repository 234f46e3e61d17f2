import type { GitHubClient } from './client.js';
import { httpStatusOf } from './client.js';

/**
 * The one PR comment this project keeps per pull request: found by a hidden HTML marker among the
 * comments written by the token's own user, created once, then updated in place.
 */

export interface IssueRef {
  owner: string;
  repo: string;
  /** The pull request (or issue) number. */
  number: number;
}

export interface MarkedComment {
  id: number;
  body: string;
  url: string;
}

export type UpsertOutcome =
  | { action: 'created' | 'updated' | 'unchanged'; comment: MarkedComment }
  /** The token may not write (fork PR, read-only token): the caller falls back to the job summary. */
  | { action: 'forbidden'; status: number; message: string };

/** `<!-- cifar10-ci:<key> -->`: invisible in the rendered comment, unique per report kind. */
export function commentMarker(key = 'experiments'): string {
  if (!/^[a-z0-9._-]+$/i.test(key)) throw new Error(`comment marker key "${key}" may hold only letters, digits, ".", "_" and "-"`);
  return `<!-- cifar10-ci:${key} -->`;
}

/**
 * The login the token acts as. REST `GET /user` answers 403 for the workflow's GITHUB_TOKEN (an app
 * installation token), while GraphQL's `viewer` works for every kind of token, so that is asked.
 */
export async function viewerLogin(client: GitHubClient): Promise<string> {
  const result = await client.graphql<{ viewer: { login: string } }>('query { viewer { login } }');
  return result.viewer.login;
}

interface CommentUser {
  login: string;
  type?: string;
}

/**
 * Whether a comment was written by `viewer`. For app tokens GraphQL names the bot `github-actions`
 * (or `<app>`) while REST lists its comments as `github-actions[bot]`, so both spellings match,
 * the suffixed one only for users of type Bot.
 */
export function isAuthoredBy(user: CommentUser | null | undefined, viewer: string): boolean {
  if (!user) return false;
  const login = user.login.toLowerCase();
  const self = viewer.toLowerCase();
  if (login === self) return true;
  const bare = self.endsWith('[bot]') ? self.slice(0, -'[bot]'.length) : self;
  return user.type === 'Bot' && (login === `${bare}[bot]` || login === bare);
}

/** Our comment on the PR, paging through every comment (GitHub lists at most 100 per page). */
export async function findMarkedComment(client: GitHubClient, issue: IssueRef, marker: string, viewer: string): Promise<MarkedComment | undefined> {
  const comments = await client.paginate(client.rest.issues.listComments, {
    owner: issue.owner,
    repo: issue.repo,
    issue_number: issue.number,
    per_page: 100,
  });
  const ours = comments.find((c) => (c.body ?? '').includes(marker) && isAuthoredBy(c.user, viewer));
  return ours ? { id: ours.id, body: ours.body ?? '', url: ours.html_url } : undefined;
}

/**
 * Creates our comment or updates it in place; leaves it alone when the body is unchanged (no
 * notification, no "edited" mark). `body` must already contain `marker`. A 403 from any step is
 * returned as `forbidden` rather than thrown: on fork PRs the token is read-only by design.
 */
export async function upsertMarkedComment(client: GitHubClient, issue: IssueRef, marker: string, body: string): Promise<UpsertOutcome> {
  if (!body.includes(marker)) throw new Error('the comment body must contain its marker, or the next run could not find it');
  try {
    const viewer = await viewerLogin(client);
    const existing = await findMarkedComment(client, issue, marker, viewer);
    if (existing && existing.body === body) return { action: 'unchanged', comment: existing };
    if (existing) {
      const { data } = await client.rest.issues.updateComment({ owner: issue.owner, repo: issue.repo, comment_id: existing.id, body });
      return { action: 'updated', comment: { id: data.id, body: data.body ?? body, url: data.html_url } };
    }
    const { data } = await client.rest.issues.createComment({ owner: issue.owner, repo: issue.repo, issue_number: issue.number, body });
    return { action: 'created', comment: { id: data.id, body: data.body ?? body, url: data.html_url } };
  } catch (error) {
    const status = httpStatusOf(error);
    if (status === 403) return { action: 'forbidden', status, message: error instanceof Error ? error.message : String(error) };
    throw error;
  }
}
