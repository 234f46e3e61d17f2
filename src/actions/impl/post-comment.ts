import * as core from '@actions/core';
import { picturePublisher } from '../../github/assets.js';
import { gitHubClient } from '../../github/client.js';
import { commentMarker, upsertMarkedComment } from '../../github/comment.js';
import { readEventPayload, repositoryFromEnv } from '../../github/event.js';
import { readPlanFile } from '../../github/plan-file.js';
import { buildExperimentsReport } from '../../github/report.js';
import { pullRequestForWorkflowRun, StalePullRequestError } from '../../github/workflow-run.js';
import { UserError } from '../../util/errors.js';
import { PostComment } from '../constants.js';
import { readInputs } from '../input-fields.js';
import { PostCommentInputs } from '../input-schemas.js';
import { runAction } from '../shell.js';

/**
 * The post-comment action, the workflow_run job for fork PRs: the fork's run uploaded its result bundles and its plan, never
 * a comment; this job (base-repository code, write token) checks the bundles, renders the comment itself and posts it, with
 * the pictures published to the assets branch.
 */
export function run(): Promise<void> {
  const skip = (notice: string) => {
    core.notice(notice);
    core.setOutput(PostComment.outputs.commentAction, 'skipped');
  };
  return runAction(async (secret) => {
    const inputs = readInputs(PostCommentInputs);
    const token = secret(inputs.token);
    const payload = await readEventPayload(process.env.GITHUB_EVENT_PATH);
    const plan = inputs.planFile ? await readPlanFile(inputs.planFile) : undefined;
    const client = gitHubClient(token);
    const repo = repositoryFromEnv();
    let pr;
    try {
      pr = await pullRequestForWorkflowRun(client, repo, payload);
    } catch (error) {
      if (error instanceof StalePullRequestError) return skip(`No comment posted: ${error.message}.`);
      throw error;
    }
    const run = payload.workflow_run as { id?: number; run_attempt?: number; head_sha?: string };
    const server = process.env.GITHUB_SERVER_URL ?? 'https://github.com';
    let report;
    try {
      report = await buildExperimentsReport({
        bundlesDir: inputs.bundles,
        baselineDir: inputs.baseline,
        baselineRun: inputs.baselineRun,
        planned: plan?.matrix.include,
        kind: plan?.kind,
        commit: run.head_sha,
        runUrl: run.id ? `${server}/${repo.owner}/${repo.repo}/actions/runs/${run.id}` : undefined,
        marker: commentMarker(),
        publishPictures: inputs.publishPictures
          ? picturePublisher(client, repo, { pr: pr.number, runId: String(run.id ?? 0), attempt: String(run.run_attempt ?? 1) })
          : undefined,
      });
    } catch (error) {
      // The triggering run failed before any cell uploaded a bundle: nothing to report on.
      if (error instanceof UserError && /no result bundles/.test(error.message))
        return skip(`No comment to post: the triggering run left no result bundles (${error.message}).`);
      throw error;
    }
    for (const refused of report.refusedBundles) core.warning(`result bundle left out of the report: ${refused.dir}: ${refused.reason}`);
    if (report.pictures && !report.pictures.published) core.warning(report.pictures.reason);
    core.setOutput(PostComment.outputs.pullRequest, String(pr.number));
    const outcome = await upsertMarkedComment(client, pr, commentMarker(), report.comment);
    if (outcome.action === 'forbidden')
      throw new UserError(`the token may not comment on PR #${pr.number}; give this workflow \`permissions: pull-requests: write\``);
    core.info(`PR #${pr.number} comment ${outcome.action}: ${outcome.comment.url}`);
    core.setOutput(PostComment.outputs.commentAction, outcome.action);
    core.setOutput(PostComment.outputs.commentUrl, outcome.comment.url);
    await core.summary.addRaw(report.jobSummary).write();
  });
}
