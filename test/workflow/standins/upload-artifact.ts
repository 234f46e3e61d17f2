import { stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { WorkflowError } from '../expressions.js';
import { DEFAULT_RETENTION_DAYS, listFiles } from '../repository.js';
import { boolInput, lines, type StandIn } from './index.js';

/**
 * actions/upload-artifact v7: one path (a folder: its files, relative to it; a file: that file
 * alone), hidden files left out unless `include-hidden-files`, `if-no-files-found` (warn, error,
 * ignore), `overwrite` (else a second upload of a name fails with 409), `retention-days` (empty or
 * 0: the repository's default, 90; above that, clamped with a warning as the artifact client does).
 */
export const uploadArtifact: StandIn = {
  action: 'actions/upload-artifact',
  major: 'v7',
  commits: { bbbca2ddaa5d8feaa63e36b76fdaad77386f024f: 'v7.0.0' },
  inputs: {
    name: 'artifact',
    path: '',
    'if-no-files-found': 'warn',
    'retention-days': '',
    'compression-level': '6',
    overwrite: 'false',
    'include-hidden-files': 'false',
  },
  async run(context) {
    const { inputs } = context;
    const paths = lines(inputs.path!);
    if (paths.length !== 1 || /[*?[\]{}!]/.test(paths[0]!))
      throw new WorkflowError(`upload-artifact stand-in: path must be one file or folder, not "${inputs.path}"`);
    const target = resolve(context.workspace, paths[0]!);
    const info = await stat(target).catch(() => undefined);
    const root = info?.isDirectory() ? target : dirname(target);
    const files = !info ? [] : info.isDirectory() ? await listFiles(target, boolInput(context, 'include-hidden-files')) : [basename(target)];
    if (files.length === 0) {
      const message = `No files were found with the provided path: ${paths[0]}. No artifacts will be uploaded.`;
      switch (inputs['if-no-files-found']) {
        case 'error':
          throw new WorkflowError(message);
        case 'ignore':
          return context.log(message);
        case 'warn':
          return context.warning(message);
        default:
          throw new WorkflowError(`Unrecognized if-no-files-found input. Provided: ${inputs['if-no-files-found']}. Available options: warn, error, ignore`);
      }
    }
    let retentionDays = inputs['retention-days'] ? Number(inputs['retention-days']) : 0;
    if (!Number.isInteger(retentionDays) || retentionDays < 0) throw new WorkflowError(`Invalid retention-days: "${inputs['retention-days']}"`);
    if (retentionDays === 0) retentionDays = DEFAULT_RETENTION_DAYS;
    if (retentionDays > DEFAULT_RETENTION_DAYS) {
      context.warning(
        `Retention days cannot be greater than the maximum allowed retention set within the repository. Using ${DEFAULT_RETENTION_DAYS} instead.`,
      );
      retentionDays = DEFAULT_RETENTION_DAYS;
    }
    const artifact = await context.repository.addArtifact({
      runId: context.runId,
      name: inputs.name!,
      root,
      files,
      retentionDays,
      overwrite: boolInput(context, 'overwrite'),
    });
    context.log(`Artifact ${artifact.name} (${files.length} files, ${artifact.size} bytes) uploaded, id ${artifact.id}, kept ${retentionDays} days`);
    context.setOutput('artifact-id', String(artifact.id));
    context.setOutput('artifact-url', `https://github.com/${context.repository.fullName}/actions/runs/${context.runId}/artifacts/${artifact.id}`);
    context.setOutput('artifact-digest', artifact.digest.replace(/^sha256:/, ''));
  },
};
