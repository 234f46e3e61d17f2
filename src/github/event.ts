import { readFile } from 'node:fs/promises';
import { UserError } from '../util/errors.js';
import type { IssueRef } from './comment.js';

/** The webhook payload of the event that started the job (`GITHUB_EVENT_PATH`), as plain JSON. */
export type EventPayload = Record<string, unknown>;

export async function readEventPayload(path: string | undefined): Promise<EventPayload> {
  if (!path) throw new UserError('GITHUB_EVENT_PATH is not set; this runs inside a GitHub Actions job (or set it to a webhook payload file)');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UserError(`cannot read the event payload ${path}: ${(error as Error).message}`, { cause: error });
  }
  try {
    return JSON.parse(text) as EventPayload;
  } catch (error) {
    throw new UserError(`the event payload ${path} is not JSON: ${(error as Error).message}`, { cause: error });
  }
}

export interface PullRequestInfo {
  issue: IssueRef;
  headSha: string;
  /** Head branch lives in another repository: its workflow token is read-only, secrets are withheld. */
  fork: boolean;
}

interface RepoJson {
  full_name?: string;
  name?: string;
  owner?: { login?: string };
}

const fullName = (repo: RepoJson | null | undefined): string | undefined => repo?.full_name ?? undefined;

/**
 * The pull request a `pull_request` / `pull_request_target` event is about, or undefined for other
 * events. A deleted head repository (null) counts as a fork: it is certainly not ours.
 */
export function pullRequestOf(payload: EventPayload): PullRequestInfo | undefined {
  const pr = payload.pull_request as
    | { number?: number; head?: { sha?: string; repo?: RepoJson | null }; base?: { repo?: RepoJson } }
    | undefined;
  if (!pr || typeof pr.number !== 'number') return undefined;
  const base = pr.base?.repo;
  const baseName = fullName(base);
  if (!baseName || !base?.name || !base.owner?.login) return undefined;
  return {
    issue: { owner: base.owner.login, repo: base.name, number: pr.number },
    headSha: pr.head?.sha ?? '',
    fork: fullName(pr.head?.repo) !== baseName,
  };
}

/** `owner/name` → parts, from `GITHUB_REPOSITORY`. */
export function repositoryFromEnv(value = process.env.GITHUB_REPOSITORY): { owner: string; repo: string } {
  const match = /^([^/\s]+)\/([^/\s]+)$/.exec(value ?? '');
  if (!match) throw new UserError(`GITHUB_REPOSITORY is "${value ?? ''}"; expected owner/name (the runner sets it)`);
  return { owner: match[1]!, repo: match[2]! };
}
