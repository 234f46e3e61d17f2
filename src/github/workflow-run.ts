import { UserError } from '../util/errors.js';
import type { GitHubClient } from './client.js';
import type { IssueRef } from './comment.js';
import type { EventPayload } from './event.js';

/**
 * The `workflow_run` path for fork PRs: the PR workflow (fork code, read-only token) uploads the
 * comment body as an artifact, and a workflow_run workflow (base-repository code, write token)
 * posts it. Which PR to post on is taken from the trusted event payload, never from the artifact:
 * GitHub leaves `workflow_run.pull_requests` empty for forks, so the open PR whose head is the
 * run's head repository:branch at the run's head commit is looked up.
 */

interface WorkflowRunJson {
  event?: string;
  head_sha?: string;
  head_branch?: string;
  head_repository?: { owner?: { login?: string } } | null;
  pull_requests?: { number: number; head?: { sha?: string } }[];
}

/** The pull request was closed or got new commits since the run: a newer run comments, if any. */
export class StalePullRequestError extends UserError {}

export async function pullRequestForWorkflowRun(client: GitHubClient, repo: { owner: string; repo: string }, payload: EventPayload): Promise<IssueRef> {
  const run = payload.workflow_run as WorkflowRunJson | undefined;
  if (!run) throw new UserError('this action runs on workflow_run events (the event payload has no workflow_run)');
  if (run.event !== 'pull_request')
    throw new UserError(`the triggering run came from a ${run.event ?? 'unknown'} event, not a pull_request; nothing to comment on`);
  const listed = run.pull_requests?.find((pr) => pr.head?.sha === run.head_sha);
  if (listed) return { ...repo, number: listed.number };
  const owner = run.head_repository?.owner?.login;
  if (!owner || !run.head_branch || !run.head_sha)
    throw new UserError('the workflow_run payload names no head repository, branch or commit; cannot tell which PR it belongs to');
  const { data } = await client.rest.pulls.list({ ...repo, state: 'open', head: `${owner}:${run.head_branch}`, per_page: 100 });
  const match = data.find((pr) => pr.head.sha === run.head_sha);
  if (!match) {
    throw new StalePullRequestError(
      `no open pull request has head ${owner}:${run.head_branch} at ${run.head_sha.slice(0, 7)}; it was closed or updated since, and the newer run will comment`,
    );
  }
  return { ...repo, number: match.number };
}
