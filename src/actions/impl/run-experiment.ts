import * as core from '@actions/core';
import { runExperimentCell } from '../../github/run-experiment.js';
import { stopSignal } from '../../util/interrupt.js';
import { RunExperiment } from '../constants.js';
import { readInputs } from '../input-fields.js';
import { RunExperimentInputs } from '../input-schemas.js';
import { runAction } from '../shell.js';

/** The run-experiment action: one matrix cell (seed × version spec) into a result bundle, its metrics as outputs. */
export function run(): Promise<void> {
  return runAction(async () => {
    const inputs = readInputs(RunExperimentInputs);
    const result = await runExperimentCell({
      root: process.cwd(),
      seed: inputs.seed,
      versions: inputs.versions,
      epochs: inputs.epochs,
      backend: inputs.backend,
      overrides: inputs.overrides,
      resultsDir: inputs.resultsDir,
      // A cancelled job gets SIGINT, then SIGTERM: the training processes stop with it.
      signal: stopSignal((signal) => core.warning(`${signal}: stopping the cell's training processes`)),
      log: (line) => core.info(line),
    });
    core.info(
      `${result.runId}: accuracy ${(result.metrics.accuracy * 100).toFixed(1)}% on ${result.metrics.test_images} test images (${result.manifest.backend})`,
    );
    core.setOutput(RunExperiment.outputs.runId, result.runId);
    core.setOutput(RunExperiment.outputs.bundle, result.bundleDir);
    core.setOutput(RunExperiment.outputs.accuracy, String(result.metrics.accuracy));
    await core.summary.addRaw(result.summary).write();
  });
}
