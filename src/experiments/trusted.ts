import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { CLASS_NAMES } from '../cifar/classes.js';
import { IMAGE_ID_PATTERN } from '../cifar/records.js';
import { VERSION_PATTERN } from '../data/versions.js';
import { parsePredictionsCsv, readConfusionJson, type ConfusionFile } from '../evaluate/report-files.js';
import type { PredictionRow } from '../evaluate/predictions.js';
import { parseTrainLog, type TrainLogRow } from '../report/train-log.js';
import { BUNDLE_FILES, readBundle, RUN_ID_PATTERN, runIdFor, VERSION_SPEC_PATTERN, type RunBundle } from './bundle.js';

/**
 * Trusted bundles: what the PR comment and the job summary are rendered from. On the fork path a
 * pull request's code made the bundles, so every value is checked against a schema before it is
 * read into the report (numbers in range, class names from the fixed list, ids and run ids of
 * their one shape, files and lists of bounded size), and a bundle that fails is left out, counted
 * and logged, never quoted: its strings may be markdown, HTML, mentions or links. What passes
 * holds no character markdown or HTML would interpret in the fields the comment shows.
 */

/** Files larger than this are refused before they are read (a real bundle's predictions.csv is ~0.5 MB). */
const MAX_BYTES: Partial<Record<string, number>> = {
  [BUNDLE_FILES.manifest]: 64 * 1024,
  [BUNDLE_FILES.metrics]: 64 * 1024,
  [BUNDLE_FILES.confusion]: 64 * 1024,
  [BUNDLE_FILES.timing]: 64 * 1024,
  [BUNDLE_FILES.predictions]: 16 * 1024 * 1024,
  [BUNDLE_FILES.trainLog]: 1024 * 1024,
};
/** More test images than CIFAR-10 has in all. */
const MAX_IMAGES = 60_000;
/** More bundles than any matrix makes (15 cells, plus reruns). */
const MAX_BUNDLES = 200;

const unit = z.number().min(0).max(1);
const ClassName = z.enum(CLASS_NAMES);
const Partition = z.string().regex(VERSION_PATTERN);
const VersionSpec = z.string().regex(VERSION_SPEC_PATTERN);
const Token = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/);
const Scores = z.object({ precision: unit, recall: unit, f1: unit });

const TrustedManifest = z.object({
  run_id: z.string().regex(RUN_ID_PATTERN),
  seed: z.number().int().min(0).max(4_294_967_295),
  versions: VersionSpec,
  partitions: z.array(Partition).max(64),
  data: z.record(Partition, z.string().regex(/^[0-9a-f]{32}(\.dir)?$/)),
  backend: Token,
  durations: z.record(Token, z.number().min(0).max(1e7)),
  git: z.object({
    commit: z
      .string()
      .regex(/^[0-9a-f]{7,64}$/)
      .nullable(),
    dirty: z.boolean().nullable(),
  }),
  started: z.iso.datetime(),
  finished: z.iso.datetime(),
});

const TrustedMetrics = z.object({
  accuracy: unit,
  loss: z.number().min(0).max(1e6),
  macro: Scores,
  weighted: Scores,
  per_class: z.partialRecord(ClassName, Scores.extend({ support: z.number().int().min(0).max(MAX_IMAGES) })),
  test_images: z.number().int().min(1).max(MAX_IMAGES),
  backend: Token,
  data_version: VersionSpec,
});

const TrustedConfusion = z.object({
  classes: z.array(ClassName).length(CLASS_NAMES.length),
  matrix: z.array(z.array(z.number().int().min(0).max(MAX_IMAGES))),
});

const TrustedPrediction = z.object({
  id: z.string().regex(IMAGE_ID_PATTERN),
  trueClass: ClassName,
  predictedClass: ClassName,
  confidence: unit,
  top: z.array(z.object({ className: ClassName, probability: unit })).max(CLASS_NAMES.length),
});

/** A bundle whose every shown value passed the schemas, with the files the report draws from. */
export interface TrustedBundle extends RunBundle {
  predictions: PredictionRow[];
  confusion: ConfusionFile;
  /** Absent when the bundle has no train_log.tsv. */
  trainLog?: TrainLogRow[];
}

/** Bundles that failed: counted in the comment, explained only in the job log. */
export interface RefusedBundle {
  /** The folder, for the log (never for the comment: its name came from the pull request too). */
  dir: string;
  reason: string;
}

/** Thrown for a bundle that fails a check; its message may quote the bundle, so it goes to the log only. */
class UntrustedBundleError extends Error {}

function check<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new UntrustedBundleError(`${what}: ${result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  return result.data;
}

/** The file's path when it is there, once it is known to be a regular file within its size bound. */
async function boundedFile(dir: string, file: string): Promise<string | undefined> {
  const path = join(dir, file);
  const info = await stat(path).catch(() => undefined);
  if (!info) return undefined;
  if (!info.isFile()) throw new UntrustedBundleError(`${file} is not a regular file`);
  if (info.size > (MAX_BYTES[file] ?? 0)) throw new UntrustedBundleError(`${file} has ${info.size} bytes, over the ${MAX_BYTES[file]} a bundle may hold`);
  return path;
}

async function boundedText(dir: string, file: string): Promise<string | undefined> {
  const path = await boundedFile(dir, file);
  return path === undefined ? undefined : readFile(path, 'utf8');
}

/** One bundle folder, checked; throws UntrustedBundleError (or a UserError from the readers) when it fails. */
export async function readTrustedBundle(dir: string): Promise<TrustedBundle> {
  // Checked before readBundle and readConfusionJson read them.
  for (const file of [BUNDLE_FILES.manifest, BUNDLE_FILES.metrics, BUNDLE_FILES.confusion, BUNDLE_FILES.timing]) await boundedFile(dir, file);
  const predictionsText = await boundedText(dir, BUNDLE_FILES.predictions);
  if (predictionsText === undefined) throw new UntrustedBundleError(`${BUNDLE_FILES.predictions} is missing`);
  const predictions = check(
    z.array(TrustedPrediction).min(1).max(MAX_IMAGES),
    parsePredictionsCsv(predictionsText, BUNDLE_FILES.predictions),
    BUNDLE_FILES.predictions,
  );
  const bundle = await readBundle(dir);
  const manifest = check(TrustedManifest, bundle.manifest, BUNDLE_FILES.manifest);
  if (manifest.run_id !== runIdFor(manifest.seed, manifest.versions))
    throw new UntrustedBundleError(`${BUNDLE_FILES.manifest}: run_id does not match its seed and versions`);
  check(TrustedMetrics, bundle.metrics, BUNDLE_FILES.metrics);
  if (bundle.metrics.test_images !== predictions.length)
    throw new UntrustedBundleError(`${BUNDLE_FILES.metrics}: test_images is not the number of predictions`);
  if (bundle.testSet.size !== predictions.length)
    throw new UntrustedBundleError(`${BUNDLE_FILES.manifest}: the test set's size is not the number of predictions`);
  const confusion = check(TrustedConfusion, await readConfusionJson(join(dir, BUNDLE_FILES.confusion)), BUNDLE_FILES.confusion);
  const logText = await boundedText(dir, BUNDLE_FILES.trainLog);
  const trainLog = logText === undefined ? undefined : parseTrainLog(logText, BUNDLE_FILES.trainLog);
  if (trainLog && trainLog.length > 10_000) throw new UntrustedBundleError(`${BUNDLE_FILES.trainLog} has more than 10,000 epochs`);
  return { ...bundle, predictions, confusion, trainLog };
}

async function hasManifest(dir: string): Promise<boolean> {
  return stat(join(dir, BUNDLE_FILES.manifest)).then(
    (s) => s.isFile(),
    () => false,
  );
}

/**
 * The bundles under `dir` (one folder per downloaded artifact, or `dir` itself when it is a
 * bundle) that pass every check; the others are refused with the reason. A run found twice is
 * refused the second time (counting it twice would skew every mean ± sd).
 */
export async function readTrustedBundles(dir: string): Promise<{ bundles: TrustedBundle[]; refused: RefusedBundle[] }> {
  const folders = (await hasManifest(dir))
    ? [dir]
    : (await readdir(dir).catch(() => [] as string[]))
        .filter((name) => !name.startsWith('.'))
        .sort()
        .map((name) => join(dir, name));
  const bundles: TrustedBundle[] = [];
  const refused: RefusedBundle[] = [];
  for (const folder of folders) {
    if (!(await hasManifest(folder))) continue;
    if (bundles.length >= MAX_BUNDLES) {
      refused.push({ dir: folder, reason: `more than ${MAX_BUNDLES} bundles` });
      continue;
    }
    try {
      const bundle = await readTrustedBundle(folder);
      if (bundles.some((b) => b.runId === bundle.runId)) throw new UntrustedBundleError(`run ${bundle.runId} is already in another folder`);
      bundles.push(bundle);
    } catch (error) {
      refused.push({ dir: folder, reason: error instanceof Error ? error.message : String(error) });
    }
  }
  return { bundles, refused };
}
