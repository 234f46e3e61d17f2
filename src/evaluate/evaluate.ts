import { join } from 'node:path';
import { CLASS_NAMES } from '../cifar/classes.js';
import { readPackedSplit, type PackedSplit } from '../data/packed.js';
import { readPreparedInfo } from '../data/prepared-info.js';
import { readParamsGroup } from '../params.js';
import { UserError } from '../util/errors.js';
import { startProgress } from '../util/progress.js';
import { TIMING_FILE, writeTiming, type EvaluateTiming } from '../util/timing.js';
import { classificationMetrics, type ClassificationMetrics } from './metrics.js';
import { EVALUATE_PARAMS, type EvaluateParams } from './params.js';
import { predictionRows, type PredictionRow } from './predictions.js';
import {
  reportPath,
  toMetricsFile,
  writeConfusionFiles,
  writeMetricsJson,
  writePredictionsCsv,
  type ConfusionFile,
  type MetricsFile,
  type RunFacts,
} from './report-files.js';

/** Where a split's class probabilities come from: the trained tfjs model, or anything else that scores images. */
export interface ProbabilitySource {
  /** The backend that ran the predictions, as reported in metrics.json. */
  backend: string;
  /** The training seed of the model, when the source knows it (training.json). */
  seed?: number;
  /**
   * Row-major `[split size × 10]` probabilities; calls `onBatch(images)` as batches finish.
   * `flipTta`: average with the left–right mirrored images (evaluate.tta).
   */
  predict(split: PackedSplit, batchSize: number, onBatch: (images: number) => void, flipTta: boolean): Promise<Float32Array>;
}

export interface Scored {
  metrics: ClassificationMetrics;
  rows: PredictionRow[];
}

/** Scores probabilities against the split's labels: metrics and per-image rows. Pure. */
export function scoreSplit(split: PackedSplit, probabilities: Float32Array, classes: readonly string[] = CLASS_NAMES): Scored {
  const predicted = new Uint8Array(split.labels.length);
  const rows = predictionRows(split.ids, split.labels, probabilities, classes);
  rows.forEach((row, i) => (predicted[i] = classes.indexOf(row.predictedClass)));
  const metrics = classificationMetrics({ trueLabels: split.labels, predictedLabels: predicted, classes, probabilities });
  return { metrics, rows };
}

/** Which data and seed a run used, as metrics.json reports them. */
export interface RunIdentity {
  data_version: string;
  seed: number;
}

/**
 * The data version comes from `info.json` of the prepared folder (what the scored split was made
 * from). The seed is the run's training seed, as the experiments' run ids use it, from the model's
 * own record (training.json); a bare model without one reports the split seed of info.json.
 */
export async function readRunIdentity(prepared: string, modelSeed?: number): Promise<RunIdentity> {
  const info = await readPreparedInfo(prepared);
  return { data_version: info.versions, seed: modelSeed ?? info.seed };
}

export interface EvaluateOptions {
  params: string;
  prepared: string;
  out: string;
  /** Where the wall-clock facts go (default `<out>/timing.json`). */
  timing?: string;
  quiet?: boolean;
}

export interface EvaluateResult {
  params: EvaluateParams;
  metrics: MetricsFile;
  confusion: ConfusionFile;
  rows: PredictionRow[];
  /** The scored split, for pictures of its images. */
  split: PackedSplit;
  files: string[];
  timing: EvaluateTiming;
}

/**
 * The scoring half of the evaluate stage: scores the prepared split with `source` and writes
 * predictions.csv, confusion.json/.csv and metrics.json into `out`, each atomically and only
 * after all scoring succeeded, then how long it took into the timing file. (Pictures and markdown
 * come from the report layer on top.)
 */
export async function evaluate(options: EvaluateOptions, source: ProbabilitySource): Promise<EvaluateResult> {
  const params = await readParamsGroup('evaluate', EVALUATE_PARAMS, options.params);
  const identity = await readRunIdentity(options.prepared, source.seed);
  const split = await readPackedSplit(options.prepared, params.split);
  if (split.labels.length === 0) {
    throw new UserError(
      `the "${params.split}" split in ${options.prepared} is empty; set prepare.${params.split} above 0 in params.yaml and re-run \`cifar10 prepare\``,
    );
  }
  const started = performance.now();
  const progress = startProgress(`evaluate ${params.split}`, split.labels.length, { unit: 'images', quiet: options.quiet });
  let probabilities: Float32Array;
  try {
    probabilities = await source.predict(split, params.batch_size, (images) => progress.increment(images), params.tta);
  } finally {
    progress.stop();
  }
  const seconds = (performance.now() - started) / 1000;
  const { metrics, rows } = scoreSplit(split, probabilities);
  const runFacts: RunFacts = { backend: source.backend, ...identity };
  const metricsFile = toMetricsFile(metrics, runFacts);
  const confusion = { classes: metrics.classes, matrix: metrics.confusion };
  await writePredictionsCsv(reportPath(options.out, 'predictions'), rows);
  await writeConfusionFiles(options.out, confusion);
  await writeMetricsJson(reportPath(options.out, 'metrics'), metricsFile);
  const files = (['predictions', 'confusionJson', 'confusionCsv', 'metrics'] as const).map((file) => reportPath(options.out, file));
  const timing: EvaluateTiming = { backend: source.backend, seconds, images_per_second: split.labels.length / Math.max(seconds, 1e-6) };
  await writeTiming(options.timing ?? join(options.out, TIMING_FILE), { evaluate: timing });
  return { params, metrics: metricsFile, confusion, rows, split, files, timing };
}
