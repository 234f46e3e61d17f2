import type { Json } from './expressions.js';
import type { WorkflowRun } from './executor.js';

/** Webhook payloads, trimmed to the fields GitHub sends that the workflows and actions read. */

// A type alias, not an interface, so that payloads holding it are Json without a cast.
type RepoJson = {
  full_name: string;
  name: string;
  owner: { login: string };
  default_branch: string;
};

const repoJson = (fullName: string): RepoJson => {
  const [owner, name] = fullName.split('/') as [string, string];
  return { full_name: fullName, name, owner: { login: owner }, default_branch: 'main' };
};

export function pushEvent(repository: string, sha: string, branch = 'main'): Record<string, Json> {
  return { ref: `refs/heads/${branch}`, after: sha, head_commit: { id: sha }, repository: repoJson(repository) };
}

export interface PullRequestSpec {
  number: number;
  sha: string;
  /** The head branch. */
  branch: string;
  /** owner/name of the head repository: another one for a fork. */
  headRepository: string;
  baseBranch?: string;
  action?: string;
}

export function pullRequestEvent(repository: string, pr: PullRequestSpec): Record<string, Json> {
  return {
    action: pr.action ?? 'synchronize',
    number: pr.number,
    pull_request: {
      number: pr.number,
      head: { sha: pr.sha, ref: pr.branch, label: `${pr.headRepository.split('/')[0]}:${pr.branch}`, repo: repoJson(pr.headRepository) },
      base: { ref: pr.baseBranch ?? 'main', repo: repoJson(repository) },
    },
    repository: repoJson(repository),
  };
}

/** `workflow_run` of a finished run; `pull_requests` is empty for a fork's run, as GitHub sends it. */
export function workflowRunEvent(repository: string, run: WorkflowRun, pr: PullRequestSpec): Record<string, Json> {
  const fork = pr.headRepository !== repository;
  return {
    action: 'completed',
    workflow_run: {
      id: run.id,
      name: run.workflow.name,
      event: run.eventName,
      status: 'completed',
      conclusion: run.conclusion,
      head_sha: pr.sha,
      head_branch: pr.branch,
      head_repository: repoJson(pr.headRepository),
      pull_requests: fork ? [] : [{ number: pr.number, head: { sha: pr.sha, ref: pr.branch } }],
    },
    repository: repoJson(repository),
  };
}

export function scheduleEvent(repository: string, cron: string): Record<string, Json> {
  return { schedule: cron, repository: repoJson(repository) };
}

export function dispatchEvent(repository: string, inputs: Record<string, string>, branch = 'main'): Record<string, Json> {
  return { ref: `refs/heads/${branch}`, inputs, repository: repoJson(repository) };
}
