import { z } from 'zod';
import { UserError } from '../util/errors.js';
import type { GitHubClient } from './client.js';

/**
 * Where a pull request's comparison comes from: the latest successful run of a workflow on the
 * base branch (pushes only) and whether its result bundles can still be downloaded. Artifacts
 * expire after their retention, so an old baseline is told apart from none at all.
 */

export const BaselineRunSchema = z.object({
  status: z.enum(['found', 'expired', 'missing', 'none']),
  workflow: z.string(),
  branch: z.string(),
  id: z.number().int().optional(),
  url: z.string().optional(),
  created: z.string().optional(),
  /** Days the run's bundles were kept (upload-artifact's retention-days). */
  retentionDays: z.number().optional(),
  /** Bundle artifacts of the run that can still be downloaded. */
  bundles: z.number().int().optional(),
});
export type BaselineRun = z.infer<typeof BaselineRunSchema>;

export interface FindBaselineOptions {
  /** Workflow file name, e.g. `pr.yml`. */
  workflow: string;
  branch: string;
  /** Runs of this event only (default push: a pull request's own runs are no baseline). */
  event?: string;
  /** Artifact names that are result bundles (`*` and `?`), default `bundle-*`. */
  pattern?: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** A glob of `*` and `?` (what artifact patterns here use) → a matcher of whole names. */
export function namePattern(pattern: string): (name: string) => boolean {
  if (/[[\]{}!]/.test(pattern)) throw new UserError(`artifact pattern "${pattern}" may use only * and ?`);
  const regex = new RegExp(
    `^${pattern
      .replace(/[.+^$()|\\/]/g, '\\$&')
      .replace(/\*/g, '[^/]*')
      .replace(/\?/g, '[^/]')}$`,
  );
  return (name) => regex.test(name);
}

export async function findBaselineRun(client: GitHubClient, repo: { owner: string; repo: string }, options: FindBaselineOptions): Promise<BaselineRun> {
  const base = { workflow: options.workflow, branch: options.branch };
  const { data } = await client.rest.actions.listWorkflowRuns({
    ...repo,
    workflow_id: options.workflow,
    branch: options.branch,
    event: options.event ?? 'push',
    status: 'success',
    exclude_pull_requests: true,
    per_page: 1,
  });
  const run = data.workflow_runs[0];
  if (!run) return { status: 'none', ...base };
  const found = { ...base, id: run.id, url: run.html_url, created: run.created_at };
  const matches = namePattern(options.pattern ?? 'bundle-*');
  const artifacts = (await client.paginate(client.rest.actions.listWorkflowRunArtifacts, { ...repo, run_id: run.id, per_page: 100 })).filter((a) =>
    matches(a.name),
  );
  if (artifacts.length === 0) return { status: 'missing', ...found, bundles: 0 };
  const live = artifacts.filter((a) => !a.expired);
  const first = artifacts[0]!;
  const retentionDays = first.created_at && first.expires_at ? Math.round((Date.parse(first.expires_at) - Date.parse(first.created_at)) / DAY_MS) : undefined;
  return { status: live.length > 0 ? 'found' : 'expired', ...found, retentionDays, bundles: live.length };
}

/** What the comment says when there is nothing to compare with, by what the search found. */
export function baselineNote(run: BaselineRun | undefined): string {
  const where = run ? `\`${run.workflow}\` on \`${run.branch}\`` : 'the main branch';
  const link = run?.url ? `[its latest successful run](${run.url})${run.created ? ` of ${run.created.slice(0, 10)}` : ''}` : 'its latest successful run';
  switch (run?.status) {
    case 'expired':
      return `Baseline expired (${run.retentionDays ?? '?'} days): the result bundles of ${link} of ${where} are past their retention, so there is no comparison; the next push to \`${run.branch}\` makes a new baseline.`;
    case 'missing':
      return `No baseline bundles: ${link} of ${where} left no result bundles, so there is no comparison.`;
    case 'found':
      return `The baseline bundles of ${link} of ${where} could not be downloaded (see the download step's log), so there is no comparison.`;
    default:
      return `No baseline was found (no successful push run of ${where}), so there is no comparison yet; it appears once ${run ? `\`${run.branch}\`` : 'the main branch'} has a successful run.`;
  }
}
