import * as core from '@actions/core';
import { writeFileAtomic } from '../../util/atomic.js';
import { gitHubClient, safeErrorMessage } from '../../github/client.js';
import { commentMarker, upsertMarkedComment } from '../../github/comment.js';
import { readRunRecordsJson } from '../../experiments/history.js';
import { pullRequestOf, readEventPayload, repositoryFromEnv } from '../../github/event.js';
import { picturePublisher } from '../../github/assets.js';
import { writePlanFile } from '../../github/plan-file.js';
import { buildExperimentsReport } from '../../github/report.js';
import { runUrlFromEnv } from '../../github/runner.js';
import { UserError } from '../../util/errors.js';
import { Report } from '../constants.js';
import { readInputs } from '../input-fields.js';
import { ReportInputs } from '../input-schemas.js';
import { inputSource } from '../inputs.js';
import { runAction } from '../shell.js';

/** The history file when it holds records (an empty one: the history could not be read, which the comment then leaves out). */
async function mainHistory(file: string | undefined, pageUrl: string | undefined) {
  const records = file ? await readRunRecordsJson(file) : undefined;
  if (!records) return undefined;
  const [owner, repo] = (process.env.GITHUB_REPOSITORY ?? '').split('/');
  return { records, pageUrl: pageUrl ?? (owner && repo ? `https://${owner}.github.io/${repo}/` : undefined) };
}

/** The report action: aggregates the result bundles (and the baseline) into the job summary and one PR comment updated in place. */
export function run(): Promise<void> {
  return runAction(async (secret) => {
    const names = Report.inputs;
    const inputs = readInputs(ReportInputs);
    const token = secret(inputs.token);
    const payload = await readEventPayload(process.env.GITHUB_EVENT_PATH);
    const pr = pullRequestOf(payload);
    // Pictures go to the assets branch for a pull request's comment; a fork's read-only token cannot write, and its comment job publishes them.
    const publish = pr && inputs.comment && inputs.publishPictures && token && !pr.fork;
    const report = await buildExperimentsReport({
      bundlesDir: inputs.bundles,
      baselineDir: inputs.baseline,
      baselineRun: inputs.baselineRun,
      planned: inputs.matrix?.include,
      kind: inputs.kind,
      commit: pullRequestOf(payload)?.headSha ?? process.env.GITHUB_SHA,
      runUrl: runUrlFromEnv(),
      marker: commentMarker(),
      outDir: inputs.out,
      history: await mainHistory(inputs.history, inputs.pageUrl),
      partitionsDir: inputs.partitions,
      publishPictures: publish
        ? picturePublisher(gitHubClient(token), repositoryFromEnv(), {
            pr: pr.issue.number,
            runId: process.env.GITHUB_RUN_ID ?? '0',
            attempt: process.env.GITHUB_RUN_ATTEMPT,
          })
        : undefined,
      renderPictures: Boolean(inputs.out) && inputs.publishPictures,
    });
    // Each refused bundle's reason may quote what the pull request put in it: an annotation, which the runner escapes, never the comment.
    for (const refused of report.refusedBundles) core.warning(`result bundle left out of the report: ${refused.dir}: ${refused.reason}`);
    if (report.pictures && !report.pictures.published) core.warning(report.pictures.reason);
    core.info(`${report.bundles.length} result bundles, ${report.baseline.length} baseline bundles; best run ${report.summary.bestRun ?? 'none'}`);
    for (const { versions, comparison } of report.comparisons) core.info(`${versions}: ${comparison.text}`);
    let summary = report.jobSummary;

    const commentFile = inputs.commentFile;
    if (commentFile) await writeFileAtomic(commentFile, report.comment);
    if (inputs.planFile)
      await writePlanFile(inputs.planFile, {
        kind: inputs.kind,
        matrix: { include: (inputs.matrix?.include ?? []).map(({ cell, seed, versions, epochs }) => ({ cell, seed, versions, epochs })) },
      });

    let action = 'skipped';
    if (pr && inputs.comment) {
      if (!token)
        throw new UserError(
          `${inputSource(names.token, ReportInputs.action)} is empty; pass \${{ github.token }} (with pull-requests: write) or set comment: false`,
        );
      try {
        const outcome = await upsertMarkedComment(gitHubClient(token), pr.issue, commentMarker(), report.comment);
        action = outcome.action;
        if (outcome.action === 'forbidden') {
          const why = pr.fork
            ? 'this pull request comes from a fork, whose workflow token is read-only'
            : 'the token may not write comments (check `permissions: pull-requests: write`)';
          const notice = `Could not post the PR comment: ${why}. The report is in this job summary${pr.fork ? '; the comment workflow (workflow_run) renders it from the result bundles of this run and posts it with a write token' : ''}.`;
          core.notice(notice);
          summary = `> [!NOTE]\n> ${notice}\n\n${summary}`;
        } else {
          core.info(`PR comment ${outcome.action}: ${outcome.comment.url}`);
          core.setOutput(Report.outputs.commentUrl, outcome.comment.url);
        }
      } catch (error) {
        core.warning(`posting the PR comment failed (${safeErrorMessage(error, token)}); the report is in the job summary`);
        action = 'failed';
      }
    }
    core.setOutput(Report.outputs.commentAction, action);
    core.setOutput(Report.outputs.regressed, String(report.regressed));
    core.setOutput(Report.outputs.bestRun, report.summary.bestRun ?? '');
    await core.summary.addRaw(summary).write();
    if (report.regressed && inputs.failOnRegression) {
      const worse = report.comparisons.filter((c) => c.comparison.metrics.some((m) => m.metric === 'accuracy' && m.verdict === 'worse'));
      throw new UserError(
        `accuracy is worse than main for ${worse.map((c) => `${c.versions} (${c.comparison.text})`).join('; ')}: Welch's t-test, p < 0.05 (fail-on-regression is on)`,
      );
    }
  });
}
