import { basename } from 'node:path';
import * as core from '@actions/core';
import { findBaselineRun } from '../../github/baseline.js';
import { gitHubClient } from '../../github/client.js';
import { readEventPayload, repositoryFromEnv } from '../../github/event.js';
import { UserError } from '../../util/errors.js';
import { FindBaseline } from '../constants.js';
import { readInputs } from '../input-fields.js';
import { FindBaselineInputs } from '../input-schemas.js';
import { inputSource } from '../inputs.js';
import { runAction } from '../shell.js';

/** The find-baseline action: the latest successful run of this workflow on the base branch whose bundles can still be downloaded. */
export function run(): Promise<void> {
  return runAction(async (secret) => {
    const names = FindBaseline.inputs;
    const inputs = readInputs(FindBaselineInputs);
    const token = secret(inputs.token);
    // This workflow's own file (GITHUB_WORKFLOW_REF is owner/repo/.github/workflows/<file>@<ref>) unless named.
    const workflow = inputs.workflow || basename((process.env.GITHUB_WORKFLOW_REF ?? '').replace(/@.*$/, ''));
    if (!workflow)
      throw new UserError(
        `${inputSource(names.workflow, FindBaselineInputs.action)} is empty and GITHUB_WORKFLOW_REF is not set; name the workflow file, e.g. pr.yml`,
      );
    const payload = await readEventPayload(process.env.GITHUB_EVENT_PATH);
    const base = (payload.pull_request as { base?: { ref?: string } } | undefined)?.base?.ref;
    const branch = inputs.branch ?? base;
    if (!branch)
      throw new UserError(
        `${inputSource(names.branch, FindBaselineInputs.action)} is empty and this is no pull_request event; name the branch whose runs are the baseline, e.g. main`,
      );
    const run = await findBaselineRun(gitHubClient(token), repositoryFromEnv(), {
      workflow,
      branch,
      event: inputs.event,
      pattern: inputs.pattern,
    });
    core.info(
      `baseline of ${workflow} on ${branch}: ${run.status}${run.id ? ` (run ${run.id}, ${run.created}, ${run.bundles} bundle artifact(s) downloadable)` : ''}`,
    );
    core.setOutput(FindBaseline.outputs.status, run.status);
    core.setOutput(FindBaseline.outputs.runId, run.status === 'found' ? String(run.id) : '');
    core.setOutput(FindBaseline.outputs.run, JSON.stringify(run));
  });
}
