import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { markdownTable } from 'markdown-table';
import { findHardImages, readMembership, writeHardImagesCsv, type HardImagesResult } from '../experiments/hard-images.js';
import type { RunRecord } from '../experiments/history.js';
import { versionTrends } from '../experiments/history-views.js';
import { writeLedger } from '../experiments/ledger.js';
import { compareRunSets, TestSetMismatchError } from '../experiments/comparison.js';
import { summarizeRuns, type RunsSummary } from '../experiments/summary.js';
import type { RunBundle } from '../experiments/bundle.js';
import { readTrustedBundles, type RefusedBundle, type TrustedBundle } from '../experiments/trusted.js';
import { formatPercent } from '../report/format.js';
import { confusionChangesTable } from '../report/markdown.js';
import { UserError } from '../util/errors.js';
import type { AssetFile, PublishOutcome } from './assets.js';
import { baselineNote as noBaselineNote, type BaselineRun } from './baseline.js';
import type { MatrixCell } from './plan.js';
import { buildPrComment, type BaselineComparison, type BestRun, type RefusedComparison } from './pr-comment.js';
import { commentPictures, HARD_IMAGES_SHOWN, publishOrSayWhy, renderPictures } from './report-pictures.js';

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
