import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { evaluate } from '../../src/evaluate/evaluate.js';
import { loadModelSource } from '../../src/evaluate/model-source.js';
import { UserError } from '../../src/util/errors.js';
import { colourSplit, evaluateWorkspace, saveColourModel } from './workspace.js';

describe('trained model as the probability source', () => {
  const dirs: string[] = [];
  after(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it('scores a prepared split with a saved tfjs model on the chosen backend', async () => {
    const dir = await evaluateWorkspace(colourSplit(3, [3, 14]));
    dirs.push(dir);
    await saveColourModel(join(dir, 'models/model'), { seed: 5 });
    const source = await loadModelSource(join(dir, 'models/model'), 'cpu');
    try {
      assert.equal(source.backend, 'cpu');
      assert.equal(source.seed, 5);
      const result = await evaluate({ params: join(dir, 'params.yaml'), prepared: join(dir, 'data/prepared'), out: join(dir, 'reports'), quiet: true }, source);
      assert.equal(result.metrics.accuracy, Number((28 / 30).toFixed(6)), 'the model reads each image colour: only the two mislabelled images are wrong');
      assert.deepEqual(
        result.rows.filter((r) => r.trueClass !== r.predictedClass).map((r) => r.id),
        ['test-00003', 'test-00014'],
      );
      assert.ok(
        result.rows.every((r) => r.confidence > 0.5 && r.confidence < 1),
        'softmax probabilities, not logits',
      );
      assert.equal(result.metrics.seed, 5, 'the seed the model was trained with');
      assert.equal(result.metrics.backend, 'cpu');
    } finally {
      source.dispose();
    }
  });

  it('names the missing model and the command that makes it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'no-model-'));
    dirs.push(dir);
    await assert.rejects(
      loadModelSource(join(dir, 'models/model'), 'cpu'),
      (e: unknown) => e instanceof UserError && /models\/model\/model\.json.*run `cifar10 train` first/.test(e.message),
    );
    await assert.rejects(loadModelSource(dir, 'gpu'), /--backend gpu: expected one of auto, tensorflow, wasm, cpu/);
  });
});
