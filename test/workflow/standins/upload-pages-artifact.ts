import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { WorkflowError } from '../expressions.js';
import { run } from '../repository.js';
import { boolInput, type StandIn } from './index.js';
import { uploadArtifact } from './upload-artifact.js';

/**
 * actions/upload-pages-artifact v5 (a composite action): `tar` of the `path` folder into
 * `$RUNNER_TEMP/artifact.tar` (links dereferenced; .git, .github and, unless include-hidden-files,
 * every hidden file left out), uploaded by upload-artifact v7 as `name` (github-pages) with
 * `retention-days` (1) and if-no-files-found: error, the steps of its action.yml.
 */
export const uploadPagesArtifact: StandIn = {
  action: 'actions/upload-pages-artifact',
  major: 'v5',
  commits: { fc324d3547104276b827a68afc52ff2a11cc49c9: 'v5.0.0' },
  inputs: { name: 'github-pages', path: '_site/', 'retention-days': '1', 'include-hidden-files': 'false' },
  async run(context) {
    const { inputs } = context;
    const folder = resolve(context.workspace, inputs.path!);
    if (!(await stat(folder).catch(() => undefined))?.isDirectory()) throw new WorkflowError(`tar: ${inputs.path}: Cannot open: No such file or directory`);
    const tarball = join(context.runnerTemp, 'artifact.tar');
    const hidden = boolInput(context, 'include-hidden-files') ? [] : ['--exclude=.[^/]*'];
    await run('tar', ['--dereference', '--hard-dereference', '--directory', folder, '-cf', tarball, '--exclude=.git', '--exclude=.github', ...hidden, '.']);
    context.log(`archived ${inputs.path} into ${tarball}`);
    await uploadArtifact.run({
      ...context,
      inputs: { ...uploadArtifact.inputs, name: inputs.name!, path: tarball, 'retention-days': inputs['retention-days']!, 'if-no-files-found': 'error' },
      setOutput: (name, value) => {
        if (name === 'artifact-id') context.setOutput('artifact_id', value);
      },
    });
  },
};
