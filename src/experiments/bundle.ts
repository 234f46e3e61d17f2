import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { testSetOf, TestSetSchema, type TestSet } from '../data/test-set.js';
import { parseVersionSpec, VERSION_PATTERN } from '../data/versions.js';
import { type MetricsFile, readMetricsJson, readPredictionsCsv } from '../evaluate/report-files.js';
import type { PredictionRow } from '../evaluate/predictions.js';
import { UserError } from '../util/errors.js';
import { readJsonFile, writeJsonFile, type JsonFileFormat } from '../util/json-file.js';
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

/** A version spec (`v1+v2`) and a run id (`s42-v1+v2`) as a bundle may spell them. */
export const VERSION_SPEC_PATTERN = /^v[1-9][0-9]{0,3}(\+v[1-9][0-9]{0,3}){0,15}$/;
export const RUN_ID_PATTERN = /^s[0-9]{1,10}-v[1-9][0-9]{0,3}(\+v[1-9][0-9]{0,3}){0,15}$/;

/**
 * Where, when and with what a run was made. The names in it (run id, version spec, partitions)
 * become folder and file names and table cells, and a bundle may come from someone else (a fork's
 * artifact, a shared results folder): each is held to its one shape, which has no `/`, `..`, or
 * character markdown or HTML would interpret.
 */
const RunManifestSchema = z.object({
  run_id: z.string().regex(RUN_ID_PATTERN, { error: 'a run id is s<seed>-<version spec>, e.g. s42-v1+v2' }),
  seed: z.number().int().nonnegative(),
  /** Version spec, e.g. `v1+v2`. */
  versions: z.string().regex(VERSION_SPEC_PATTERN, { error: 'a version spec is v1, v2, … joined by +' }),
  partitions: z.array(z.string().regex(VERSION_PATTERN, { error: 'a partition name is v1, v2, …' })),
  /** The `-S` overrides given besides seed and versions. */
  overrides: z.array(z.string()),
  git: z.object({ commit: z.string().nullable(), dirty: z.boolean().nullable() }),
  /** DVC hash of each partition used (`<md5>.dir`). */
  data: z.record(z.string().regex(VERSION_PATTERN, { error: 'a partition name is v1, v2, …' }), z.string()),
  backend: z.string(),
  host: z.object({ name: z.string(), platform: z.string(), arch: z.string(), cpus: z.number(), cpu_model: z.string(), node: z.string() }),
  /** Seconds per stage, and in total. */
  durations: z.record(z.string(), z.number()),
  started: z.string(),
  finished: z.string(),
  /**
   * The test set the run was scored on (its predictions' ids). Absent in bundles made before the
   * common test set; their readers derive it from predictions.csv.
   */
  test_set: TestSetSchema.optional(),
});

export type RunManifest = z.output<typeof RunManifestSchema>;

const RUN_MANIFEST: JsonFileFormat<typeof RunManifestSchema> = {
  what: 'the manifest of a result bundle',
  version: 1,
  schema: RunManifestSchema,
  create: 'the folder is not a complete result bundle: delete it and re-run the cell',
  repair: 'delete the bundle folder and re-run the cell',
};

export async function writeRunManifest(dir: string, manifest: RunManifest): Promise<void> {
  await writeJsonFile(join(dir, BUNDLE_FILES.manifest), RUN_MANIFEST, manifest);
}

export interface RunBundle {
  runId: string;
  dir: string;
  manifest: RunManifest;
  metrics: MetricsFile;
  /** The test set the run was scored on. */
  testSet: TestSet;
  /** Absent in bundles made before timings were kept apart. */
  timing?: Timing;
}

/** The run id of a cell: `s<seed>-<spec>`, e.g. `s42-v1+v2`. */
export function runIdFor(seed: number, spec: string): string {
  return `s${seed}-${parseVersionSpec(spec).join('+')}`;
}

export async function readBundle(dir: string): Promise<RunBundle> {
  const manifest = await readJsonFile(join(dir, BUNDLE_FILES.manifest), RUN_MANIFEST);
  const [metrics, timing] = await Promise.all([readMetricsJson(join(dir, BUNDLE_FILES.metrics)), readTiming(join(dir, BUNDLE_FILES.timing))]);
  const testSet = manifest.test_set ?? testSetOf((await readBundlePredictions({ dir })).map((p) => p.id));
  return { runId: manifest.run_id, dir, manifest, metrics, testSet, timing };
}

/** Every complete bundle under `resultsDir` (folders with a manifest), by run id; temp folders are skipped. */
export async function listBundles(resultsDir: string): Promise<RunBundle[]> {
  const names = await readdir(resultsDir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    if (error.code === 'ENOTDIR')
      throw new UserError(`${resultsDir} is a file, not a results folder; name the folder that holds one folder per run (results/experiments by default)`, {
        cause: error,
      });
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
