import { readFile } from 'node:fs/promises';
import * as core from '@actions/core';
import { gitHubClient } from '../../github/client.js';
import { checkReportBody, commentMarker, upsertMarkedComment } from '../../github/comment.js';
import { readEventPayload, repositoryFromEnv } from '../../github/event.js';
import { pullRequestForWorkflowRun, StalePullRequestError } from '../../github/workflow-run.js';
import { UserError } from '../../util/errors.js';
import { PostComment } from '../constants.js';
import { PostCommentInputs, readInputs } from '../input-schemas.js';
import { inputSource } from '../inputs.js';
import { runAction } from '../shell.js';

/** The post-comment action: on workflow_run, posts the report comment a (fork) pull request's run uploaded, with a write token. */
export function run(): Promise<void> {
  let token = '';
  const skip = (notice: string) => {
    core.notice(notice);
    core.setOutput(PostComment.outputs.commentAction, 'skipped');
  };
  return runAction(
    async () => {
      const inputs = readInputs(PostCommentInputs);
      token = inputs.token;
      const file = inputs.commentFile;
      const body = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return undefined;
        throw new UserError(
          `${inputSource(PostComment.inputs.commentFile, PostCommentInputs.action)}: cannot read ${file} (${error.message}); download the comment artifact of the triggering run first`,
        );
      });
      // The triggering run uploaded no comment (it failed before its report, or reported nothing): nothing to post.
      if (body === undefined)
        return skip(`No comment to post: ${file} is missing, so the triggering run uploaded no comment artifact (see that run's report job).`);
      const marker = commentMarker();
      checkReportBody(body, file, marker);
      const client = gitHubClient(token);
      let pr;
      try {
        pr = await pullRequestForWorkflowRun(client, repositoryFromEnv(), await readEventPayload(process.env.GITHUB_EVENT_PATH));
      } catch (error) {
        if (error instanceof StalePullRequestError) return skip(`No comment posted: ${error.message}.`);
        throw error;
      }
      core.setOutput(PostComment.outputs.pullRequest, String(pr.number));
      const outcome = await upsertMarkedComment(client, pr, marker, body);
      if (outcome.action === 'forbidden')
        throw new UserError(`the token may not comment on PR #${pr.number}; give this workflow \`permissions: pull-requests: write\``);
      core.info(`PR #${pr.number} comment ${outcome.action}: ${outcome.comment.url}`);
      core.setOutput(PostComment.outputs.commentAction, outcome.action);
      core.setOutput(PostComment.outputs.commentUrl, outcome.comment.url);
    },
    () => [token],
  );
}
