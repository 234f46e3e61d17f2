import * as core from '@actions/core';
import { writeFileAtomic } from '../util/atomic.js';
import { BaselineRunSchema, type BaselineRun } from '../github/baseline.js';
import { gitHubClient, safeErrorMessage } from '../github/client.js';
import { commentMarker, upsertMarkedComment } from '../github/comment.js';
import { pullRequestOf, readEventPayload } from '../github/event.js';
import type { MatrixCell } from '../github/plan.js';
import { buildExperimentsReport } from '../github/report.js';
import { runUrlFromEnv } from '../github/runner.js';
import { UserError } from '../util/errors.js';
import { Report } from './constants.js';
import { getBool, getOptionalText, getText, inputSource } from './inputs.js';
import { runAction } from './shell.js';

function plannedCells(text: string | undefined): MatrixCell[] | undefined {
  if (text === undefined) return undefined;
  try {
    return (JSON.parse(text) as { include: MatrixCell[] }).include;
  } catch (error) {
    throw new UserError(`${inputSource(Report.inputs.matrix)} is not the plan action's matrix JSON (${(error as Error).message}); pass \${{ needs.plan.outputs.matrix }}`);
  }
}

function baselineRun(text: string | undefined): BaselineRun | undefined {
  if (text === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UserError(`${inputSource(Report.inputs.baselineRun)} is not JSON (${(error as Error).message}); pass \${{ steps.<find-baseline step>.outputs.run }}`);
  }
  const parsed = BaselineRunSchema.safeParse(json);
  if (!parsed.success) throw new UserError(`${inputSource(Report.inputs.baselineRun)} is not the find-baseline action's run output (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message})`);
  return parsed.data;
}

let token = '';
await runAction(
  async () => {
    const names = Report.inputs;
    token = getText(names.token);
    const payload = await readEventPayload(process.env.GITHUB_EVENT_PATH);
    const report = await buildExperimentsReport({
      bundlesDir: getText(names.bundles, { required: true }),
      baselineDir: getOptionalText(names.baseline),
      baselineRun: baselineRun(getOptionalText(names.baselineRun)),
      planned: plannedCells(getOptionalText(names.matrix)),
      kind: getOptionalText(names.kind),
      commit: (payload.pull_request as { head?: { sha?: string } } | undefined)?.head?.sha ?? process.env.GITHUB_SHA,
      runUrl: runUrlFromEnv(),
      marker: commentMarker(),
      outDir: getOptionalText(names.out),
    });
    core.info(`${report.bundles.length} result bundles, ${report.baseline.length} baseline bundles; best run ${report.summary.bestRun ?? 'none'}`);
    for (const { versions, comparison } of report.comparisons) core.info(`${versions}: ${comparison.text}`);
    let summary = report.jobSummary;

    const commentFile = getOptionalText(names.commentFile);
    if (commentFile) await writeFileAtomic(commentFile, report.comment);

    const pr = pullRequestOf(payload);
    let action = 'skipped';
    if (pr && getBool(names.comment, true)) {
      if (!token) throw new UserError(`${inputSource(names.token)} is empty; pass \${{ github.token }} (with pull-requests: write) or set comment: false`);
      try {
        const outcome = await upsertMarkedComment(gitHubClient(token), pr.issue, commentMarker(), report.comment);
        action = outcome.action;
        if (outcome.action === 'forbidden') {
          const why = pr.fork ? 'this pull request comes from a fork, whose workflow token is read-only' : 'the token may not write comments (check `permissions: pull-requests: write`)';
          const notice = `Could not post the PR comment: ${why}. The report is in this job summary${pr.fork ? '; the comment workflow (workflow_run) posts it with a write token' : ''}.`;
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
    if (report.regressed && getBool(names.failOnRegression, false)) {
      const worse = report.comparisons.filter((c) => c.comparison.metrics.some((m) => m.metric === 'accuracy' && m.verdict === 'worse'));
      throw new UserError(`accuracy regressed beyond seed noise against main for ${worse.map((c) => c.versions).join(', ')} (fail-on-regression is on)`);
    }
  },
  () => [token],
);
