import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IMAGE_BYTES } from '../../src/cifar/records.js';
import { writePackedSplit, type PackedSplit } from '../../src/data/packed.js';
import { testSetOf } from '../../src/data/test-set.js';
import { writePreparedInfo } from '../../src/data/prepared-info.js';
import type { ProbabilitySource } from '../../src/evaluate/evaluate.js';

/**
 * A prepared test split whose image i is a flat colour with red = 20 × its label, except that
 * `mislabelled` images carry the next class's label: a colour-reading scorer then gets exactly
 * those wrong.
 */
export function colourSplit(perClass: number, mislabelled: readonly number[] = []): PackedSplit {
  const count = perClass * 10;
  const labels = new Uint8Array(count);
  const pixels = new Uint8Array(count * IMAGE_BYTES);
  for (let i = 0; i < count; i++) {
    const label = i % 10;
    labels[i] = mislabelled.includes(i) ? (label + 1) % 10 : label;
    for (let p = 0; p < 1024; p++) pixels.set([20 * label, 100, 60 + 10 * label], i * IMAGE_BYTES + 3 * p);
  }
  return { ids: Array.from({ length: count }, (_, i) => `test-${String(i).padStart(5, '0')}`), labels, pixels };
}

/**
 * Scores images by their red channel: probability 0.7 on class red / 20, the rest spread evenly.
 * A real collaborator (it reads the pixels it is given, batch by batch), simple enough to predict by hand.
 */
export function colourSource(): ProbabilitySource & { batches: number[] } {
  const batches: number[] = [];
  return {
    backend: 'colour-test',
    batches,
    async predict(split, batchSize, onBatch) {
      const count = split.labels.length;
      const out = new Float32Array(count * 10).fill(0.3 / 9);
      for (let start = 0; start < count; start += batchSize) {
        const end = Math.min(count, start + batchSize);
        for (let i = start; i < end; i++) out[i * 10 + Math.round(split.pixels[i * IMAGE_BYTES]! / 20)] = 0.7;
        batches.push(end - start);
        onBatch(end - start);
      }
      return out;
    },
  };
}

/** A run folder: params.yaml, data/prepared/{test.bin,test.ids,info.json} (with empty train and val splits). */
export async function evaluateWorkspace(split: PackedSplit, params = 'evaluate:\n  batch_size: 8\n  misclassified: 4\n'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'evaluate-'));
  await writeFile(join(dir, 'params.yaml'), `data:\n  versions: v1\nprepare:\n  seed: 1\n${params}`);
  await mkdir(join(dir, 'data/prepared'), { recursive: true });
  const prepared = join(dir, 'data/prepared');
  const empty: PackedSplit = { ids: [], labels: new Uint8Array(0), pixels: new Uint8Array(0) };
  await writePackedSplit(prepared, 'train', empty);
  await writePackedSplit(prepared, 'val', empty);
  await writePackedSplit(prepared, 'test', split);
  const none = { train: 0, val: 0, test: 0 };
  await writePreparedInfo(prepared, {
    versions: 'v1+v2',
    partitions: ['v1', 'v2'],
    seed: 42,
    fractions: none,
    counts: { ...none, test: split.labels.length },
    perClass: { train: [], val: [], test: [] },
    manifests: {},
    test_set: { partitions: ['v1', 'v2', 'v3'], ...testSetOf(split.ids) },
  });
  return dir;
}

/**
 * Saves a real tfjs layers model (flatten → dense) that classifies a colourSplit image by its first
 * red pixel: its logits are linear in that pixel, 2·a·cₖ·r − a·cₖ², whose arg-max is the class
 * centre cₖ nearest to r. The centres are the normalised reds of the classes, so the model
 * predicts each image's colour class through the real normalisation and prediction path.
 */
export async function saveColourModel(dir: string, training?: { seed: number }): Promise<void> {
  const tf = await import('@tensorflow/tfjs');
  const { saveLayersModel } = await import('../../src/model/model-files.js');
  const { CIFAR_NORMALISATION } = await import('../../src/data/batches.js');
  const sharpness = 10;
  const centres = Array.from({ length: 10 }, (_, k) => ((20 * k) / 255 - CIFAR_NORMALISATION.mean[0]) / CIFAR_NORMALISATION.std[0]);
  const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [32, 32, 3] }), tf.layers.dense({ units: 10 })] });
  const kernel = new Float32Array(IMAGE_BYTES * 10);
  centres.forEach((c, k) => (kernel[k] = 2 * sharpness * c));
  model.layers[1]!.setWeights([tf.tensor2d(kernel, [IMAGE_BYTES, 10]), tf.tensor1d(centres.map((c) => -sharpness * c * c))]);
  await saveLayersModel(model, dir);
  model.dispose();
  if (training) {
    const { TRAIN_PARAMS } = await import('../../src/model/params.js');
    const { writeTrainingRecord } = await import('../../src/model/training-record.js');
    const params = { ...TRAIN_PARAMS.parse({}), seed: training.seed };
    await writeTrainingRecord(dir, {
      arch: params.arch,
      backend: 'cpu',
      backendDetail: 'a hand-made colour model',
      normalisation: CIFAR_NORMALISATION,
      epochsRun: 0,
      bestEpoch: 0,
      bestValAcc: 0,
      bestValLoss: 0,
      stoppedEarly: false,
      outOfTime: false,
      trainImages: 0,
      valImages: 0,
      dataVersions: 'v1+v2',
      params,
    });
  }
}
