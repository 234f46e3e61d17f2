import * as core from '@actions/core';
import { join } from 'node:path';
import { rebuildVersions } from '../data/rebuild.js';
import { parseVersionSpec } from '../data/versions.js';
import { openRepo } from '../dvc/repo.js';
import { actionsCache } from '../github/data-cache.js';
import { DATA_SOURCES, setupData } from '../github/setup-data.js';
import { SetupData } from './constants.js';
import { getBool, getChoice, getOptionalText, getText, inputSource } from './inputs.js';
import { runAction } from './shell.js';

await runAction(async () => {
  const names = SetupData.inputs;
  // Accepts the plan's "v1,v2" as well as a cell's spec "v1+v2": both name partitions.
  const specs = getText(names.versions, { required: true }).split(/[\s,]+/).filter(Boolean);
  const partitions = [...new Set(specs.flatMap((spec) => parseVersionSpec(spec, inputSource(names.versions))))].sort();
  const repo = await openRepo(process.cwd());
  const result = await setupData({
    repo,
    partitions,
    partitionsDir: join(repo.root, 'data', 'partitions'),
    source: getChoice(names.source, DATA_SOURCES, 'auto'),
    remote: getOptionalText(names.remote),
    saveCache: getBool(names.saveCache, false),
    cachePrefix: getText(names.cachePrefix) || 'cifar10-dvc-v1',
    cache: actionsCache((message) => core.warning(message)),
    rebuild: async (wanted) => {
      const result = await rebuildVersions({
        repoRoot: repo.root,
        versions: wanted,
        source: getText(names.cifarSource) || 'auto',
        quiet: true,
        log: (line) => core.info(line),
      });
      core.info(`verified ${result.verified.join(', ')} against their .dvc hashes (rebuilt: ${result.rebuilt.join(', ') || 'none'}; from the DVC cache: ${result.cached.join(', ') || 'none'})`);
    },
    info: (message) => core.info(message),
    warning: (message) => core.warning(message),
  });
  core.setOutput(SetupData.outputs.cacheHit, result.cacheHit);
  core.setOutput(SetupData.outputs.cacheKey, result.cacheKey);
  core.setOutput(SetupData.outputs.pulled, result.partitions.join(','));
  core.setOutput(SetupData.outputs.source, result.source);
});
