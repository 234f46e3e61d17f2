import { CLASS_NAMES } from '../../src/cifar/classes.js';
import { metricsFromConfusion } from '../../src/evaluate/metrics.js';
import { toMetricsFile, type ConfusionFile, type MetricsFile } from '../../src/evaluate/report-files.js';
import type { TrainLogRow } from '../../src/report/train-log.js';
import { Random } from '../../src/util/random.js';
import type { Timing } from '../../src/util/timing.js';

/**
 * A plausible CIFAR-10 run, generated from a seed: 100 test images per class, a strong diagonal
 * and cat/dog, truck/automobile and bird/deer confusions, so every shade of the markdown matrix appears.
 */
export function sampleConfusion(seed = 1): ConfusionFile {
  const random = new Random(seed);
  const matrix = CLASS_NAMES.map((_, t) => {
    const row = CLASS_NAMES.map(() => random.int(4));
    row[t] = 0;
    if (t === 3) row[5] = 22; // cat → dog
    if (t === 2) row[4] = 7; // bird → deer
    if (t === 9) row[1] = 12; // truck → automobile
    const wrong = row.reduce((a, b) => a + b, 0);
    row[t] = 100 - wrong;
    return row;
  });
  return { classes: [...CLASS_NAMES], matrix };
}

export function sampleMetrics(confusion = sampleConfusion()): MetricsFile {
  const metrics = metricsFromConfusion(confusion.matrix, confusion.classes);
  metrics.loss = 0.8123;
  return toMetricsFile(metrics, { backend: 'wasm', data_version: 'v1+v2', seed: 42 });
}

export function sampleTrainLog(epochs = 6): TrainLogRow[] {
  return Array.from({ length: epochs }, (_, i) => ({
    epoch: i + 1,
    loss: 2 / (i + 1.5),
    acc: 0.35 + 0.07 * i,
    val_loss: 2.1 / (i + 1.4) + 0.05,
    val_acc: 0.33 + 0.06 * i - (i === epochs - 1 ? 0.07 : 0),
    lr: 0.003,
  }));
}

/** The wall-clock facts of the sample run, as reports/timing.json holds them. */
export function sampleTiming(epochs = 6): Timing {
  const perEpoch = Array.from({ length: epochs }, (_, i) => ({ epoch: i + 1, seconds: 30 + i, images_per_second: 520 + i }));
  return {
    train: { backend: 'wasm', seconds: perEpoch.reduce((a, e) => a + e.seconds, 0), images_per_second: 522.5, epochs: perEpoch },
    evaluate: { backend: 'wasm', seconds: 0.4, images_per_second: 2512.3 },
  };
}
