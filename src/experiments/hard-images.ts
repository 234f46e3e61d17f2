import { access, readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import sharp from 'sharp';
import { CLASS_NAMES } from '../cifar/classes.js';
import type { PredictionRow } from '../evaluate/predictions.js';
import { type ContactSheetImage, renderContactSheet } from '../report/contact-sheet.js';
import { writeFileAtomic } from '../util/atomic.js';
import { UserError } from '../util/errors.js';
import { listBundles, readBundlePredictions } from './bundle.js';

/**
 * Hard images (docs/experiments.md, "Experiments"): misclassified in at least `threshold` of the runs that held them out,
 * over at least `minRuns` such runs. A run holds out exactly the images it has predictions for:
 * with the common test set that is every test image, so each is judged by every run.
 */

export interface HeldOutRun {
  runId: string;
  predictions: readonly Pick<PredictionRow, 'id' | 'trueClass' | 'predictedClass'>[];
}

export interface HardImageOptions {
  /** Share of held-out runs that must get the image wrong (default 1.0: all of them). */
  threshold?: number;
  /** Runs that must have held the image out (default 2). */
  minRuns?: number;
  /** Partitions holding each id (from the partition manifests); without it, `versions` stays empty. */
  membership?: ReadonlyMap<string, readonly string[]>;
}

export interface HardImage {
  id: string;
  className: string;
  runsHeldOut: number;
  runsWrong: number;
  errorRate: number;
  /** The wrong label given most often (ties: class order). */
  mostFrequentWrong: string;
  /** Partitions the image belongs to, when the partition manifests were at hand. */
  versions: string[];
}

export interface HardImagesResult {
  images: HardImage[];
  /** Hard images per true class, every class listed. */
  perClass: Record<string, number>;
  /** Distinct images held out by at least `minRuns` runs. */
  eligible: number;
}

interface Tally {
  className: string;
  heldOut: number;
  wrong: number;
  wrongLabels: Map<string, number>;
}

/** Finds the hard images across runs (the GitHub `report` action calls this on downloaded bundles). */
export function findHardImages(runs: readonly HeldOutRun[], options: HardImageOptions = {}): HardImagesResult {
  const threshold = options.threshold ?? 1;
  const minRuns = options.minRuns ?? 2;
  if (!(threshold > 0 && threshold <= 1)) throw new UserError(`--threshold ${threshold}: must be a share in (0, 1], e.g. 1.0 for "wrong in every run"`);
  if (!Number.isInteger(minRuns) || minRuns < 1) throw new UserError(`--min-runs ${minRuns}: must be a whole number ≥ 1`);
  const tallies = new Map<string, Tally>();
  for (const run of runs) {
    for (const p of run.predictions) {
      let t = tallies.get(p.id);
      if (!t) tallies.set(p.id, (t = { className: p.trueClass, heldOut: 0, wrong: 0, wrongLabels: new Map() }));
      if (t.className !== p.trueClass)
        throw new UserError(`run ${run.runId} labels ${p.id} as ${p.trueClass}, another run as ${t.className}; the runs did not use the same data`);
      t.heldOut++;
      if (p.predictedClass !== p.trueClass) {
        t.wrong++;
        t.wrongLabels.set(p.predictedClass, (t.wrongLabels.get(p.predictedClass) ?? 0) + 1);
      }
    }
  }
  const images: HardImage[] = [];
  let eligible = 0;
  for (const [id, t] of tallies) {
    if (t.heldOut < minRuns) continue;
    eligible++;
    const errorRate = t.wrong / t.heldOut;
    // A tolerance keeps shares such as 2/3 ≥ 0.6667 from failing on the last binary digit.
    if (errorRate + 1e-9 < threshold) continue;
    const mostFrequentWrong = [...t.wrongLabels.entries()].sort((a, b) => b[1] - a[1] || classOrder(a[0]) - classOrder(b[0]))[0]![0];
    images.push({
      id,
      className: t.className,
      runsHeldOut: t.heldOut,
      runsWrong: t.wrong,
      errorRate,
      mostFrequentWrong,
      versions: [...(options.membership?.get(id) ?? [])],
    });
  }
  images.sort((a, b) => b.errorRate - a.errorRate || b.runsWrong - a.runsWrong || a.id.localeCompare(b.id));
  const perClass: Record<string, number> = Object.fromEntries(CLASS_NAMES.map((c) => [c, 0]));
  for (const image of images) perClass[image.className] = (perClass[image.className] ?? 0) + 1;
  return { images, perClass, eligible };
}

const classOrder = (name: string): number => (CLASS_NAMES as readonly string[]).indexOf(name);

export const HARD_IMAGES_COLUMNS = ['id', 'class', 'runs_held_out', 'runs_wrong', 'error_rate', 'most_frequent_wrong', 'versions'] as const;

export function formatHardImagesCsv(images: readonly HardImage[]): string {
  return stringify([
    [...HARD_IMAGES_COLUMNS],
    ...images.map((i) => [i.id, i.className, i.runsHeldOut, i.runsWrong, i.errorRate.toFixed(4), i.mostFrequentWrong, i.versions.join('+')]),
  ]);
}

/** Which partitions hold each image id, from `<partitionsDir>/vK/manifest.csv` (`id,class,source`). */
export async function readMembership(partitionsDir: string): Promise<Map<string, string[]>> {
  const membership = new Map<string, string[]>();
  const names = await readdir(partitionsDir).catch(() => [] as string[]);
  for (const name of names.filter((n) => /^v[1-9][0-9]*$/.test(n)).sort()) {
    const text = await readFile(join(partitionsDir, name, 'manifest.csv'), 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    for (const row of parse(text, { columns: true, skip_empty_lines: true }) as { id: string }[])
      membership.set(row.id, [...(membership.get(row.id) ?? []), name]);
  }
  return membership;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** The 32×32 RGB pixels of an image, read from the first folder that holds `<class>/<id>.png`. */
async function pixelsOf(image: HardImage, imageDirs: readonly string[]): Promise<Uint8Array | undefined> {
  for (const dir of imageDirs) {
    const path = join(dir, image.className, `${image.id}.png`);
    if (await exists(path)) return sharp(path).removeAlpha().raw().toBuffer();
  }
  return undefined;
}

export interface ContactSheetResult {
  png: Buffer;
  shown: number;
  /** Hard images whose PNG was found nowhere. */
  missing: string[];
}

/** A labelled contact sheet of the hardest images (`limit` at most), pixels from the image folders. */
export async function hardImagesSheet(
  images: readonly HardImage[],
  imageDirs: readonly string[],
  options: { limit?: number; title?: string } = {},
): Promise<ContactSheetResult | undefined> {
  const tiles: ContactSheetImage[] = [];
  const missing: string[] = [];
  for (const image of images.slice(0, options.limit ?? 64)) {
    const pixels = await pixelsOf(image, imageDirs);
    if (!pixels) {
      missing.push(image.id);
      continue;
    }
    tiles.push({
      pixels,
      caption: [image.id, { text: `${image.className} → ${image.mostFrequentWrong}`, color: '#b00020' }, `wrong in ${image.runsWrong} of ${image.runsHeldOut}`],
    });
  }
  if (tiles.length === 0) return undefined;
  return { png: await renderContactSheet(tiles, { columns: 8, title: options.title }), shown: tiles.length, missing };
}

export async function writeHardImagesCsv(path: string, images: readonly HardImage[]): Promise<void> {
  await writeFileAtomic(path, formatHardImagesCsv(images));
}

export interface HardImagesReportOptions extends Required<Pick<HardImageOptions, 'threshold' | 'minRuns'>> {
  resultsDir: string;
  /** Partition manifests (which partitions hold an image) and PNGs. */
  partitionsDir: string;
  /** The exported images, the first place to look for a PNG. */
  imagesDir: string;
  /** Output path without extension: `<out>.csv` and `<out>.png`. */
  out: string;
  /** Images on the contact sheet. */
  limit: number;
}

export interface HardImagesReport extends HardImagesResult {
  runs: number;
  csv: string;
  /** The contact sheet, when any hard image has a PNG. */
  sheet?: { path: string; shown: number; missing: string[] };
}

/** `cifar10 hard-images`: the hard images of every run under `resultsDir`, as a CSV and a contact sheet. */
export async function hardImagesReport(options: HardImagesReportOptions): Promise<HardImagesReport> {
  const bundles = await listBundles(resolve(options.resultsDir));
  if (bundles.length === 0) throw new UserError(`no experiment results in ${options.resultsDir}; run \`cifar10 exp matrix\` first`);
  const runs = [];
  for (const b of bundles) runs.push({ runId: b.runId, predictions: await readBundlePredictions(b) });
  const membership = await readMembership(options.partitionsDir);
  const found = findHardImages(runs, { threshold: options.threshold, minRuns: options.minRuns, membership });
  const csv = `${options.out}.csv`;
  await writeHardImagesCsv(csv, found.images);
  const dirs = [options.imagesDir, ...new Set([...membership.values()].flat().map((p) => join(options.partitionsDir, p)))];
  const sheet = await hardImagesSheet(found.images, dirs, {
    limit: options.limit,
    title: `Hard images: wrong in ≥ ${options.threshold * 100}% of ≥ ${options.minRuns} runs`,
  });
  if (!sheet) return { ...found, runs: bundles.length, csv };
  const png = `${options.out}.png`;
  await writeFileAtomic(png, sheet.png);
  return { ...found, runs: bundles.length, csv, sheet: { path: png, shown: sheet.shown, missing: sheet.missing } };
}
