import assert from 'node:assert/strict';
import { copyFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { run as runRunExperiment } from '../../src/actions/impl/run-experiment.js';
import { runActionInProcess, runActionProcess, PROJECT_ROOT } from './local-runner.js';
import { readBundle } from '../../src/experiments/bundle.js';
import { createSynthWorkspace, withTempDir } from '../fixtures/synth-workspace.js';

describe('the run-experiment action, run as the runner runs it', () => {
  it('runs one cell on synthetic data into a complete result bundle and a job summary', async () => {
    await withTempDir('run-experiment-', async (root) => {
      await createSynthWorkspace(root, { imagesPerClass: 12, partitions: 2, partitionSize: 60 });
      await copyFile(join(PROJECT_ROOT, 'params.yaml'), join(root, 'params.yaml'));
      const run = await runActionProcess('run-experiment', {
        eventName: 'push',
        event: {},
        cwd: root,
        inputs: { seed: '3', versions: 'v2', epochs: '1', backend: 'wasm' },
      });
      assert.equal(run.code, 0, run.everything);
      assert.equal(run.outputs['run-id'], 's3-v2');
      assert.equal(run.outputs.bundle, join(root, 'results', 'experiments', 's3-v2'));
      const bundle = await readBundle(run.outputs.bundle!);
      assert.equal(bundle.manifest.seed, 3);
      assert.equal(bundle.manifest.versions, 'v2');
      assert.equal(bundle.manifest.backend, 'wasm');
      assert.deepEqual(Object.keys(bundle.manifest.durations).sort(), ['evaluate', 'prepare', 'total', 'train']);
      assert.equal(Number(run.outputs.accuracy), bundle.metrics.accuracy);
      assert.match(await readFile(join(run.outputs.bundle!, 'params.yaml'), 'utf8'), /epochs: 1\b/);
      for (const picture of ['confusion.png', 'learning_curves.png']) {
        const png = await readFile(join(run.outputs.bundle!, picture));
        assert.deepEqual([...png.subarray(1, 4)], [...Buffer.from('PNG')], `${picture} is a PNG`);
        assert.ok(png.length > 2000, `${picture} has content`);
      }
      assert.match(run.summary, /Run s3-v2/);
      assert.match(run.summary, /\| commit +\| data \(DVC hashes\) +\| backend/);
      assert.match(run.summary, /v2 `[0-9a-f]{8}`/);
    });
  });

  it('rejects a malformed override before running anything', async () => {
    const run = await runActionProcess('run-experiment', { eventName: 'push', event: {}, inputs: { seed: '1', versions: 'v1', overrides: 'train.lr 0.1' } });
    assert.equal(run.code, 1);
    assert.match(run.stdout, /::error::actions\/run-experiment input "overrides": "train.lr" is not a params override; write group.key=value/);
  });

  it('rejects the same override from its exported run(), called in this process, before training anything', async () => {
    const run = await runActionInProcess('run-experiment', runRunExperiment, {
      eventName: 'push',
      event: {},
      inputs: { seed: '1', versions: 'v1', overrides: 'train.lr 0.1' },
    });
    assert.equal(run.code, 1);
    assert.match(run.stdout, /::error::actions\/run-experiment input "overrides": "train.lr" is not a params override; write group.key=value/);
    assert.deepEqual(run.outputs, {});
  });
});
