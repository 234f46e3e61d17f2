import * as core from '@actions/core';
import { join } from 'node:path';
import { rebuildVersions } from '../../data/rebuild.js';
import { openRepo } from '../../dvc/index.js';
import { actionsCache } from '../../github/data-cache.js';
import { setupData } from '../../github/setup-data.js';
import { SetupData } from '../constants.js';
import { readInputs } from '../input-fields.js';
import { SetupDataInputs } from '../input-schemas.js';
import { runAction } from '../shell.js';

/** The setup-data action: the partitions a job needs, from the Actions cache, the DVC remote or a verified rebuild. */
export function run(): Promise<void> {
  return runAction(async () => {
    const inputs = readInputs(SetupDataInputs);
    const repo = await openRepo(process.cwd());
    const result = await setupData({
      repo,
      partitions: inputs.versions,
      partitionsDir: join(repo.root, 'data', 'partitions'),
      source: inputs.source,
      remote: inputs.remote,
      saveCache: inputs.saveCache,
      cachePrefix: inputs.cachePrefix,
      cache: actionsCache((message) => core.warning(message)),
      rebuild: async (wanted) => {
        const result = await rebuildVersions({
          repoRoot: repo.root,
          versions: wanted,
          source: inputs.cifarSource,
          quiet: true,
          log: (line) => core.info(line),
        });
        core.info(
          `verified ${result.verified.join(', ')} against their .dvc hashes (rebuilt: ${result.rebuilt.join(', ') || 'none'}; from the DVC cache: ${result.cached.join(', ') || 'none'})`,
        );
      },
      info: (message) => core.info(message),
      warning: (message) => core.warning(message),
    });
    core.setOutput(SetupData.outputs.cacheHit, result.cacheHit);
    core.setOutput(SetupData.outputs.cacheKey, result.cacheKey);
    core.setOutput(SetupData.outputs.pulled, result.partitions.join(','));
    core.setOutput(SetupData.outputs.source, result.source);
  });
}
