import * as core from '@actions/core';
import { parseVersionSpec, formatVersionSpec } from '../data/versions.js';
import { parseOverrides, runExperimentCell } from '../github/run-experiment.js';
import { RunExperiment } from './constants.js';
import { getChoice, getInteger, getOptionalText, getText, inputSource } from './inputs.js';
import { runAction } from './shell.js';

await runAction(async () => {
  const names = RunExperiment.inputs;
  const versions = formatVersionSpec(parseVersionSpec(getText(names.versions, { required: true }), inputSource(names.versions)));
  const epochsText = getOptionalText(names.epochs);
  const result = await runExperimentCell({
    root: process.cwd(),
    seed: getInteger(names.seed, { min: 0 }),
    versions,
    epochs: epochsText === undefined ? undefined : getInteger(names.epochs, { min: 1 }),
    backend: getChoice(names.backend, ['auto', 'tensorflow', 'wasm', 'cpu'] as const, 'auto'),
    overrides: parseOverrides(getText(names.overrides), inputSource(names.overrides)),
    resultsDir: getOptionalText(names.resultsDir),
    log: (line) => core.info(line),
  });
  core.info(`${result.runId}: accuracy ${(result.metrics.accuracy * 100).toFixed(1)}% on ${result.metrics.test_images} test images (${result.manifest.backend})`);
  core.setOutput(RunExperiment.outputs.runId, result.runId);
  core.setOutput(RunExperiment.outputs.bundle, result.bundleDir);
  core.setOutput(RunExperiment.outputs.accuracy, String(result.metrics.accuracy));
  await core.summary.addRaw(result.summary).write();
});
