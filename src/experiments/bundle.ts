import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseVersionSpec } from '../data/versions.js';
import { type MetricsFile, readMetricsJson, readPredictionsCsv } from '../evaluate/report-files.js';
import type { PredictionRow } from '../evaluate/predictions.js';
import { UserError } from '../util/errors.js';
import { readTiming, TIMING_FILE, type Timing } from '../util/timing.js';

/**
 * A result bundle: one experiment run's folder `results/experiments/<run-id>/` holding
 * `params.yaml`, `metrics.json`, `confusion.json`, `predictions.csv`, `train_log.tsv`,
 * `training.json`, `timing.json` (seconds and images/s of training and scoring), `manifest.json`
 * (and the run's `run.log`). The GitHub actions upload and aggregate these folders.
 */

export const BUNDLE_FILES = {
  params: 'params.yaml',
  metrics: 'metrics.json',
  confusion: 'confusion.json',
  predictions: 'predictions.csv',
  trainLog: 'train_log.tsv',
  training: 'training.json',
  // The name the stages give it, so a bundle reads like a reports folder (readRunReport).
  timing: TIMING_FILE,
  manifest: 'manifest.json',
  log: 'run.log',
} as const;

export const DEFAULT_RESULTS_DIR = 'results/experiments';

/** Where, when and with what a run was made. */
export interface RunManifest {
  run_id: string;
  seed: number;
  /** Version spec, e.g. `v1+v2`. */
  versions: string;
  partitions: string[];
  /** The `-S` overrides given besides seed and versions. */
  overrides: string[];
  git: { commit: string | null; dirty: boolean | null };
  /** DVC hash of each partition used (`<md5>.dir`). */
  data: Record<string, string>;
  backend: string;
  host: { name: string; platform: string; arch: string; cpus: number; cpu_model: string; node: string };
  /** Seconds per stage, and in total. */
  durations: Record<string, number>;
  started: string;
  finished: string;
}

export interface RunBundle {
  runId: string;
  dir: string;
  manifest: RunManifest;
  metrics: MetricsFile;
  /** Absent in bundles made before timings were kept apart. */
  timing?: Timing;
}

/** The run id of a cell: `s<seed>-<spec>`, e.g. `s42-v1+v2`. */
export function runIdFor(seed: number, spec: string): string {
  return `s${seed}-${parseVersionSpec(spec).join('+')}`;
}

export async function readBundle(dir: string): Promise<RunBundle> {
  const manifestPath = join(dir, BUNDLE_FILES.manifest);
  let manifest: RunManifest;
  try {
    manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as RunManifest;
  } catch (error) {
    throw new UserError(`${manifestPath} is missing or not JSON (${(error as Error).message}); the folder is not a complete result bundle: delete it and re-run the cell`, { cause: error });
  }
  const [metrics, timing] = await Promise.all([readMetricsJson(join(dir, BUNDLE_FILES.metrics)), readTiming(join(dir, BUNDLE_FILES.timing))]);
  return { runId: manifest.run_id, dir, manifest, metrics, timing };
}

/** Every complete bundle under `resultsDir` (folders with a manifest), by run id; temp folders are skipped. */
export async function listBundles(resultsDir: string): Promise<RunBundle[]> {
  const names = await readdir(resultsDir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    if (error.code === 'ENOTDIR') throw new UserError(`${resultsDir} is a file, not a results folder; name the folder that holds one folder per run (results/experiments by default)`, { cause: error });
    throw error;
  });
  const bundles: RunBundle[] = [];
  for (const name of names.sort()) {
    if (name.startsWith('.')) continue;
    const dir = join(resultsDir, name);
    const hasManifest = await readFile(join(dir, BUNDLE_FILES.manifest)).then(
      () => true,
      () => false,
    );
    if (!hasManifest) continue;
    const bundle = await readBundle(dir);
    const twin = bundles.find((b) => b.runId === bundle.runId);
    // Counting one run twice would skew every mean ± sd and the ledger.
    if (twin) throw new UserError(`${twin.dir} and ${dir} both hold run ${bundle.runId}; keep one of the two folders (results live in <results>/<run-id>/)`);
    bundles.push(bundle);
  }
  return bundles;
}

export async function readBundlePredictions(bundle: Pick<RunBundle, 'dir'>): Promise<PredictionRow[]> {
  return readPredictionsCsv(join(bundle.dir, BUNDLE_FILES.predictions));
}
