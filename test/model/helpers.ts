import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readPackedSplit, type PackedSplit } from '../../src/data/packed.js';
import { prepareData } from '../../src/data/prepare.js';
import { TRAIN_PARAMS, type TrainParams } from '../../src/model/params.js';
import { paramsGroup } from '../../src/params.js';
import { createSynthWorkspace } from '../fixtures/synth-workspace.js';

export interface SynthSplits {
  preparedDir: string;
  train: PackedSplit;
  val: PackedSplit;
  test: PackedSplit;
}

/**
 * `cifar10 synth` data (class-specific colours and shapes plus noise) through partition and
 * prepare: one partition of 10 × imagesPerClass images, split 70/15/15.
 */
export async function synthSplits(root: string, imagesPerClass = 60): Promise<SynthSplits> {
  const ws = await createSynthWorkspace(root, { imagesPerClass, partitions: 1, partitionSize: imagesPerClass * 10, seed: 5 });
  const preparedDir = join(root, 'data', 'prepared');
  await prepareData({
    partitionsDir: ws.partitionsDir,
    outDir: preparedDir,
    data: { versions: 'v1' },
    prepare: { seed: 1, train: 0.7, val: 0.15, test: 0.15 },
    quiet: true,
  });
  const [train, val, test] = await Promise.all([
    readPackedSplit(preparedDir, 'train'),
    readPackedSplit(preparedDir, 'val'),
    readPackedSplit(preparedDir, 'test'),
  ]);
  return { preparedDir, train, val, test };
}

/** The default train params with `overrides`: a small, quick model for tests (the `fast` net, a third of the default `bn`'s work per image). */
export function testParams(overrides: Partial<TrainParams> = {}): TrainParams {
  return { ...paramsGroup({}, 'train', TRAIN_PARAMS), arch: 'fast', width: 0.5, epochs: 3, batch_size: 32, ...overrides };
}

/** Largest absolute difference, relative to the largest reference magnitude. */
export function relativeError(actual: Float32Array, expected: Float32Array): number {
  assert.equal(actual.length, expected.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i]! - expected[i]!));
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  return diff / Math.max(scale, 1e-12);
}
