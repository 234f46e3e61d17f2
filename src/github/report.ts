import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { markdownTable } from 'markdown-table';
import { findHardImages, hardImagesSheet, readMembership, writeHardImagesCsv, type HardImagesResult } from '../experiments/hard-images.js';
import type { RunRecord } from '../experiments/history.js';
import { versionTrends } from '../experiments/history-views.js';
import { writeLedger } from '../experiments/ledger.js';
import { compareRunSets, summarizeRuns, TestSetMismatchError, type RunsSummary } from '../experiments/summary.js';
import { RUN_ID_PATTERN, VERSION_SPEC_PATTERN, type RunBundle } from '../experiments/bundle.js';
import { readTrustedBundles, type RefusedBundle, type TrustedBundle } from '../experiments/trusted.js';
import { confusionHeatmapSpec, seedCurvesSpec } from '../report/charts.js';
import { formatPercent } from '../report/format.js';
import { confusionChangesTable } from '../report/markdown.js';
import { renderVegaLitePng } from '../report/render.js';
import { UserError } from '../util/errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { z } from 'zod';
import type { AssetFile, PublishOutcome } from './assets.js';
import { baselineNote as noBaselineNote, type BaselineRun } from './baseline.js';
import { safeErrorMessage } from './client.js';
import { PLAN_KINDS, type MatrixCell } from './plan.js';
import { issuesText, MAX_MATRIX_JOBS } from './schemas.js';
import { buildPrComment, type BaselineComparison, type BestRun, type CommentPicture, type RefusedComparison } from './pr-comment.js';

/**
 * The aggregate step of a matrix: every result bundle the cells uploaded (and, when available,
 * the main branch's bundles of the same plan) → the summary, the PR-vs-main verdicts and the
 * comment body. Pure of GitHub: the shell posts and writes what this returns.
 */

export interface ExperimentsReportOptions {
  /** Folder holding one subfolder per downloaded bundle artifact. */
  bundlesDir: string;
  /** Same layout, from the main branch's latest run; absent or empty means no comparison. */
  baselineDir?: string;
  /** What the baseline search found (the find-baseline action), for the note when there is no comparison. */
  baselineRun?: BaselineRun;
  /** The plan's matrix, to name cells that left no bundle. */
  planned?: MatrixCell[];
  kind?: string;
  commit?: string;
  runUrl?: string;
  marker?: string;
  /** Where the ledger `experiments.csv` and `hard_images.csv` are written; nothing written when absent. */
  outDir?: string;
  /** Main's experiment history (cifar10 history --json) and the page it is published on. */
  history?: { records: readonly RunRecord[]; pageUrl?: string };
  /** The partitions folder (`vK/manifest.csv`), when the job has the data: which partition each hard image is in. */
  partitionsDir?: string;
  /** Hard-image rule (docs/experiments.md, "Experiments"): share of held-out runs wrong, and the runs needed. */
  hardImages?: { threshold?: number; minRuns?: number };
  /**
   * Renders the pictures and hands them to this (the shell publishes them to the assets branch);
   * absent: no pictures in the comment (they are still written to `outDir/pictures` when rendered).
   */
  publishPictures?: (files: AssetFile[]) => Promise<PublishOutcome>;
  /** Render the pictures even without publishing them (into `outDir/pictures`). */
  renderPictures?: boolean;
}

/** Hard images shown in the comment; the CSV artifact has them all. */
export const HARD_IMAGES_SHOWN = 20;

export interface ExperimentsReport {
  bundles: TrustedBundle[];
  baseline: TrustedBundle[];
  /** Bundles (of this run or the baseline) that failed the checks and were left out, with why: for the job log only. */
  refusedBundles: RefusedBundle[];
  /** What the pictures came to: published (with their URLs), or why not; absent when none were rendered. */
  pictures?: PublishOutcome;
  summary: RunsSummary;
  comparisons: BaselineComparison[];
  /** Versions whose runs could not be compared with main's (scored on different test sets). */
  refused: RefusedComparison[];
  /** True when some version's accuracy is worse than main beyond seed noise. */
  regressed: boolean;
  best?: BestRun;
  hard: HardImagesResult;
  missingCells: string[];
  /** The PR comment (with the marker when one was given). */
  comment: string;
  /** The same report for the job summary, without the marker. */
  jobSummary: string;
}

const groupByVersions = (bundles: readonly RunBundle[]): Map<string, RunBundle[]> => {
  const groups = new Map<string, RunBundle[]>();
  for (const bundle of bundles) groups.set(bundle.manifest.versions, [...(groups.get(bundle.manifest.versions) ?? []), bundle]);
  return groups;
};

function hardImagesMarkdown(hard: HardImagesResult, minRuns: number): string {
  if (hard.images.length === 0) {
    return `No hard images: none of the ${hard.eligible} images held out by at least ${minRuns} runs was misclassified often enough.`;
  }
  const shown = hard.images.slice(0, HARD_IMAGES_SHOWN);
  // The partition comes from the partition manifests, when the job has the data.
  const partition = shown.some((i) => i.versions.length > 0);
  const table = markdownTable(
    [
      ['id', 'class', 'wrong in', 'mostly taken for', ...(partition ? ['partition'] : [])],
      ...shown.map((i) => [
        `\`${i.id}\``,
        i.className,
        `${i.runsWrong} of ${i.runsHeldOut} runs (${formatPercent(i.errorRate, 0)})`,
        i.mostFrequentWrong,
        ...(partition ? [i.versions.join(', ')] : []),
      ]),
    ],
    { align: ['l', 'l', 'r', 'l', 'l'] },
  );
  const perClass = Object.entries(hard.perClass)
    .filter(([, n]) => n > 0)
    .map(([name, n]) => `${name} ${n}`)
    .join(', ');
  const more = hard.images.length > shown.length ? ` The ${shown.length} hardest are listed; \`hard_images.csv\` in the artifacts has all.` : '';
  return `${hard.images.length} hard image(s) of ${hard.eligible} held out by at least ${minRuns} runs (per class: ${perClass}).${more}\n\n${table}`;
}

/** The report of the bundles under `bundlesDir` (download-artifact's layouts, as readTrustedBundles reads them), against the baseline's. */
export async function buildExperimentsReport(options: ExperimentsReportOptions): Promise<ExperimentsReport> {
  // Every bundle is checked before anything is read from it: on the fork path a pull request made them.
  const own = await readTrustedBundles(options.bundlesDir);
  const main = options.baselineDir ? await readTrustedBundles(options.baselineDir) : { bundles: [], refused: [] };
  const bundles = own.bundles;
  const baseline = main.bundles;
  const refusedBundles = [...own.refused, ...main.refused];
  if (bundles.length === 0 && !options.planned?.length) {
    throw new UserError(
      `no result bundles under ${options.bundlesDir}; download the run-experiment artifacts there first (actions/download-artifact with pattern: bundle-*)`,
    );
  }
  const summary = summarizeRuns(bundles);
  const found = new Set(bundles.map((b) => b.runId));
  const missingCells = (options.planned ?? []).map((c) => c.cell).filter((cell) => !found.has(cell));

  const mainByVersions = groupByVersions(baseline);
  const comparisons: BaselineComparison[] = [];
  const refused: RefusedComparison[] = [];
  for (const [versions, runs] of groupByVersions(bundles)) {
    const main = mainByVersions.get(versions);
    if (!main) continue;
    try {
      comparisons.push({ versions, comparison: compareRunSets(main, runs, { a: 'main', b: 'this PR' }) });
    } catch (error) {
      // main's runs predate the common test set (or used other data): say so instead of comparing unlike things.
      if (!(error instanceof TestSetMismatchError)) throw error;
      refused.push({ versions, reason: error.message });
    }
  }
  comparisons.sort((x, y) => x.versions.localeCompare(y.versions));
  const regressed = comparisons.some((c) => c.comparison.metrics.some((m) => m.metric === 'accuracy' && m.verdict === 'worse'));
  // Nothing to compare with by design (no baseline asked for): the comment reports, it does not judge.
  const comparing = options.baselineDir !== undefined || options.baselineRun !== undefined;
  let baselineNote: string | undefined;
  if (!comparing) baselineNote = undefined;
  else if (!options.baselineDir || baseline.length === 0) baselineNote = noBaselineNote(options.baselineRun);
  else if (comparisons.length === 0 && refused.length === 0)
    baselineNote = `The main-branch baseline ran other data versions (${[...mainByVersions.keys()].join(', ')}); nothing to compare.`;

  const bestBundle = bundles.find((b) => b.runId === summary.bestRun);
  const best: BestRun | undefined = bestBundle ? { runId: bestBundle.runId, metrics: bestBundle.metrics, confusion: bestBundle.confusion } : undefined;
  const bestBaseline = bestBundle
    ? mainByVersions.get(bestBundle.manifest.versions)?.find((b) => b.manifest.seed === bestBundle.manifest.seed)?.metrics
    : undefined;
  const minRuns = options.hardImages?.minRuns ?? 2;
  const heldOut = bundles.map((b) => ({ runId: b.runId, predictions: b.predictions }));
  const membership = options.partitionsDir ? await readMembership(options.partitionsDir) : undefined;
  const hard = findHardImages(heldOut, { threshold: options.hardImages?.threshold, minRuns, membership });
  if (options.outDir) {
    await writeLedger(join(options.outDir, 'experiments.csv'), bundles);
    await writeHardImagesCsv(join(options.outDir, 'hard_images.csv'), hard.images);
  }
  const compared = new Set(comparisons.map((c) => c.versions));
  const confusionChanges = confusionChangesTable(
    baseline.filter((b) => compared.has(b.manifest.versions)).map((b) => b.confusion),
    bundles.filter((b) => compared.has(b.manifest.versions)).map((b) => b.confusion),
  );
  const rendered = options.publishPictures || options.renderPictures ? await renderPictures(bundles, best, hard, options.partitionsDir) : [];
  if (options.outDir && rendered.length > 0) {
    await mkdir(join(options.outDir, 'pictures'), { recursive: true });
    for (const picture of rendered) await writeFile(join(options.outDir, 'pictures', picture.name), picture.bytes);
  }
  const pictures = options.publishPictures && rendered.length > 0 ? await publishOrSayWhy(options.publishPictures, rendered) : undefined;
  const input = {
    comparing,
    kind: options.kind,
    commit: options.commit,
    summary,
    comparisons,
    refused,
    baselineNote,
    best,
    bestBaseline,
    hardImages: bundles.length > 0 ? hardImagesMarkdown(hard, minRuns) : undefined,
    confusionChanges,
    pictures: pictures && commentPictures(pictures, rendered),
    refusedBundles: refusedBundles.length,
    missingCells,
    runUrl: options.runUrl,
    mainHistory: options.history
      ? { trends: versionTrends(options.history.records, [...groupByVersions(bundles).keys()].sort()), pageUrl: options.history.pageUrl }
      : undefined,
  };
  return {
    bundles,
    baseline,
    refusedBundles,
    pictures,
    summary,
    comparisons,
    refused,
    regressed,
    best,
    hard,
    missingCells,
    comment: buildPrComment({ ...input, marker: options.marker }),
    jobSummary: buildPrComment(input),
  };
}

/** A rendered picture: its file name on the assets branch and its title in the comment. */
type RenderedPicture = AssetFile & { title: string };

/**
 * The comment's pictures: the best run's confusion heat map, the validation curves of every seed
 * of its version with their band, and the hard-images sheet when the job has the partitions' PNGs.
 */
async function renderPictures(
  bundles: readonly TrustedBundle[],
  best: BestRun | undefined,
  hard: HardImagesResult,
  partitionsDir: string | undefined,
): Promise<RenderedPicture[]> {
  const pictures: RenderedPicture[] = [];
  if (!best) return pictures;
  const title = `Confusion matrix of ${best.runId} (share of each true class)`;
  pictures.push({
    name: 'confusion.png',
    title,
    bytes: await renderVegaLitePng(confusionHeatmapSpec(best.confusion.classes, best.confusion.matrix, { normalised: true, title }), { scale: 1.5 }),
  });
  const versions = bundles.find((b) => b.runId === best.runId)!.manifest.versions;
  const curves = bundles
    .filter((b) => b.manifest.versions === versions && b.trainLog && b.trainLog.length > 0)
    .map((b) => ({ runId: b.runId, log: b.trainLog! }));
  if (curves.length > 0) {
    const curvesTitle = `Validation accuracy of the ${curves.length} run${curves.length === 1 ? '' : 's'} of ${versions} (band: mean ± sd)`;
    pictures.push({
      name: 'learning-curves.png',
      title: curvesTitle,
      bytes: await renderVegaLitePng(seedCurvesSpec(curves, { title: curvesTitle }), { scale: 1.5 }),
    });
  }
  if (partitionsDir && hard.images.length > 0) {
    const dirs = [...new Set(hard.images.flatMap((i) => i.versions))].map((v) => join(partitionsDir, v));
    const sheet = await hardImagesSheet(hard.images, dirs, { limit: HARD_IMAGES_SHOWN, title: 'Hard images: true → most frequent wrong answer' });
    if (sheet) pictures.push({ name: 'hard-images.png', title: `The ${sheet.shown} hardest images`, bytes: sheet.png });
  }
  return pictures;
}

/** Pictures are a bonus: a GitHub that fails to take them (down, slow, rate-limited) costs the comment its pictures, never the comment. */
async function publishOrSayWhy(publish: (files: AssetFile[]) => Promise<PublishOutcome>, files: AssetFile[]): Promise<PublishOutcome> {
  try {
    return await publish(files);
  } catch (error) {
    return { published: false, reason: `The pictures could not be published (${safeErrorMessage(error)}).` };
  }
}

function commentPictures(outcome: PublishOutcome, rendered: readonly RenderedPicture[]): { published: CommentPicture[]; note?: string } {
  if (!outcome.published) return { published: [], note: outcome.reason };
  return { published: rendered.map((p) => ({ title: p.title, url: outcome.urls[p.name]! })) };
}

/**
 * The plan a pull request's run reported with (kind and matrix), handed to the workflow_run job
 * that comments for forks. The fork wrote it, so it is held to the shapes the plan action makes.
 */
const PlanFileSchema = z.strictObject({
  kind: z.enum(PLAN_KINDS).optional(),
  matrix: z.strictObject({
    include: z
      .array(
        z.strictObject({
          cell: z.string().regex(RUN_ID_PATTERN),
          seed: z.number().int().nonnegative(),
          versions: z.string().regex(VERSION_SPEC_PATTERN),
          epochs: z.number().int().positive().max(10_000),
        }),
      )
      .max(MAX_MATRIX_JOBS),
  }),
});
export type PlanFile = z.output<typeof PlanFileSchema>;

export async function writePlanFile(path: string, plan: PlanFile): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(plan)}\n`);
}

/** The plan file, checked; a missing one is undefined (the run failed before its report), a bad one a UserError that does not quote it. */
export async function readPlanFile(path: string): Promise<PlanFile | undefined> {
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (text === undefined) return undefined;
  if (text.length > 256 * 1024) throw new UserError(`${path} is larger than a plan can be; refusing it`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UserError(`${path} is not JSON; refusing it (the report action writes it with plan-file)`);
  }
  const parsed = PlanFileSchema.safeParse(json);
  if (!parsed.success) throw new UserError(`${path} is not a plan the report action writes (${issuesText(parsed.error, 'the plan')}); refusing it`);
  return parsed.data;
}
