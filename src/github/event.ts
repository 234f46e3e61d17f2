import { readFile } from 'node:fs/promises';
import { UserError } from '../util/errors.js';
import type { IssueRef } from './comment.js';
import { eventSchemaFor, issuesText, PullRequestEvent } from './schemas.js';

/** The webhook payload of the event that started the job (`GITHUB_EVENT_PATH`), checked against its event's schema. */
export type EventPayload = Record<string, unknown>;

/** Reads the payload and checks it against the schema of `eventName` (`GITHUB_EVENT_NAME`), so no field is read unchecked. */
export async function readEventPayload(path: string | undefined, eventName = process.env.GITHUB_EVENT_NAME): Promise<EventPayload> {
  if (!path) throw new UserError('GITHUB_EVENT_PATH is not set; this runs inside a GitHub Actions job (or set it to a webhook payload file)');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UserError(`cannot read the event payload ${path}: ${(error as Error).message}`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UserError(`the event payload ${path} is not JSON: ${(error as Error).message}`, { cause: error });
  }
  const checked = eventSchemaFor(eventName).safeParse(json);
  if (!checked.success) {
    throw new UserError(
      `the ${eventName ?? 'unnamed'} event payload ${path} is not what GitHub sends for that event (${issuesText(checked.error, 'the payload')}); the runner writes this file: run the action on the event it was made for`,
    );
  }
  return checked.data;
}

export interface PullRequestInfo {
  issue: IssueRef;
  headSha: string;
  /** Head branch lives in another repository: its workflow token is read-only, secrets are withheld. */
  fork: boolean;
}

/**
 * The pull request a `pull_request` / `pull_request_target` event is about, or undefined for other
 * events. A deleted head repository (null) counts as a fork: it is certainly not ours.
 */
export function pullRequestOf(payload: EventPayload): PullRequestInfo | undefined {
  const parsed = PullRequestEvent.safeParse(payload);
  if (!parsed.success) return undefined;
  const pr = parsed.data.pull_request;
  const base = pr.base.repo;
  return {
    issue: { owner: base.owner.login, repo: base.name, number: pr.number },
    headSha: pr.head.sha,
    fork: pr.head.repo?.full_name !== base.full_name,
  };
}

/** `owner/name` → parts, from `GITHUB_REPOSITORY`. */
export function repositoryFromEnv(value = process.env.GITHUB_REPOSITORY): { owner: string; repo: string } {
  const match = /^([^/\s]+)\/([^/\s]+)$/.exec(value ?? '');
  if (!match) throw new UserError(`GITHUB_REPOSITORY is "${value ?? ''}"; expected owner/name (the runner sets it)`);
  return { owner: match[1]!, repo: match[2]! };
}
