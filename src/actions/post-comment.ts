import { readFile } from 'node:fs/promises';
import * as core from '@actions/core';
import { gitHubClient } from '../github/client.js';
import { commentMarker, upsertMarkedComment } from '../github/comment.js';
import { readEventPayload, repositoryFromEnv } from '../github/event.js';
import { pullRequestForWorkflowRun } from '../github/workflow-run.js';
import { GITHUB_COMMENT_LIMIT } from '../report/budget.js';
import { UserError } from '../util/errors.js';
import { PostComment } from './constants.js';
import { getText, inputSource } from './inputs.js';
import { runAction } from './shell.js';

let token = '';
await runAction(
  async () => {
    const names = PostComment.inputs;
    token = getText(names.token, { required: true });
    const file = getText(names.commentFile, { required: true });
    const body = await readFile(file, 'utf8').catch((error: unknown) => {
      throw new UserError(`${inputSource(names.commentFile)}: cannot read ${file} (${(error as Error).message}); download the comment artifact of the triggering run first`);
    });
    // The body was written by the PR's (possibly fork) code: accept only what our report writes.
    const marker = commentMarker();
    if (!body.startsWith(marker)) throw new UserError(`${file} does not start with the report marker ${marker}; refusing to post it`);
    if (body.length >= GITHUB_COMMENT_LIMIT) throw new UserError(`${file} has ${body.length} characters, over GitHub's comment limit; refusing to post it`);
    const client = gitHubClient(token);
    const pr = await pullRequestForWorkflowRun(client, repositoryFromEnv(), await readEventPayload(process.env.GITHUB_EVENT_PATH));
    core.setOutput(PostComment.outputs.pullRequest, String(pr.number));
    const outcome = await upsertMarkedComment(client, pr, marker, body);
    if (outcome.action === 'forbidden') throw new UserError(`the token may not comment on PR #${pr.number}; give this workflow \`permissions: pull-requests: write\``);
    core.info(`PR #${pr.number} comment ${outcome.action}: ${outcome.comment.url}`);
    core.setOutput(PostComment.outputs.commentAction, outcome.action);
    core.setOutput(PostComment.outputs.commentUrl, outcome.comment.url);
  },
  () => [token],
);
