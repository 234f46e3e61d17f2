import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readConfusionJson } from '../evaluate/report-files.js';
import { markdownTable } from 'markdown-table';
import { BUNDLE_FILES, listBundles, readBundle, readBundlePredictions, type RunBundle } from '../experiments/bundle.js';
import { findHardImages, readMembership, writeHardImagesCsv, type HardImagesResult } from '../experiments/hard-images.js';
import { writeLedger } from '../experiments/ledger.js';
import { compareRunSets, summarizeRuns, TestSetMismatchError, type RunsSummary } from '../experiments/summary.js';
import { buildPrComment, type BaselineComparison, type BestRun, type RefusedComparison } from './pr-comment.js';
import { formatPercent } from '../report/format.js';
import { UserError } from '../util/errors.js';
import { baselineNote as noBaselineNote, type BaselineRun } from './baseline.js';
import type { MatrixCell } from './plan.js';

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
  /** The partitions folder (`vK/manifest.csv`), when the job has the data: which partition each hard image is in. */
  partitionsDir?: string;
  /** Hard-image rule (DESIGN.md §6): share of held-out runs wrong, and the runs needed. */
  hardImages?: { threshold?: number; minRuns?: number };
}

/** Hard images shown in the comment; the CSV artifact has them all. */
export const HARD_IMAGES_SHOWN = 20;

export interface ExperimentsReport {
  bundles: RunBundle[];
  baseline: RunBundle[];
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
      ...shown.map((i) => [`\`${i.id}\``, i.className, `${i.runsWrong} of ${i.runsHeldOut} runs (${formatPercent(i.errorRate, 0)})`, i.mostFrequentWrong, ...(partition ? [i.versions.join(', ')] : [])]),
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

/**
 * The bundles actions/download-artifact left in `dir`: one subfolder per artifact, or, when exactly
 * one artifact matched its pattern, that bundle unpacked straight into `dir` (download-artifact v5+).
 */
export async function listDownloadedBundles(dir: string): Promise<RunBundle[]> {
  const single = await readFile(join(dir, BUNDLE_FILES.manifest)).then(
    () => true,
    () => false,
  );
  return single ? [await readBundle(dir)] : listBundles(dir);
}

export async function buildExperimentsReport(options: ExperimentsReportOptions): Promise<ExperimentsReport> {
  const bundles = await listDownloadedBundles(options.bundlesDir);
  const baseline = options.baselineDir ? await listDownloadedBundles(options.baselineDir) : [];
  if (bundles.length === 0 && !options.planned?.length) {
    throw new UserError(`no result bundles under ${options.bundlesDir}; download the run-experiment artifacts there first (actions/download-artifact with pattern: bundle-*)`);
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
  let baselineNote: string | undefined;
  if (!options.baselineDir || baseline.length === 0) baselineNote = noBaselineNote(options.baselineRun);
  else if (comparisons.length === 0 && refused.length === 0) baselineNote = `The main-branch baseline ran other data versions (${[...mainByVersions.keys()].join(', ')}); nothing to compare.`;

  const bestBundle = bundles.find((b) => b.runId === summary.bestRun);
  const best = bestBundle
    ? { runId: bestBundle.runId, metrics: bestBundle.metrics, confusion: await readConfusionJson(join(bestBundle.dir, BUNDLE_FILES.confusion)) }
    : undefined;
  const bestBaseline = bestBundle ? mainByVersions.get(bestBundle.manifest.versions)?.find((b) => b.manifest.seed === bestBundle.manifest.seed)?.metrics : undefined;
  const minRuns = options.hardImages?.minRuns ?? 2;
  const heldOut = await Promise.all(bundles.map(async (b) => ({ runId: b.runId, predictions: await readBundlePredictions(b) })));
  const membership = options.partitionsDir ? await readMembership(options.partitionsDir) : undefined;
  const hard = findHardImages(heldOut, { threshold: options.hardImages?.threshold, minRuns, membership });
  if (options.outDir) {
    await writeLedger(join(options.outDir, 'experiments.csv'), bundles);
    await writeHardImagesCsv(join(options.outDir, 'hard_images.csv'), hard.images);
  }
  const input = {
    kind: options.kind,
    commit: options.commit,
    summary,
    comparisons,
    refused,
    baselineNote,
    best,
    bestBaseline,
    hardImages: bundles.length > 0 ? hardImagesMarkdown(hard, minRuns) : undefined,
    missingCells,
    runUrl: options.runUrl,
  };
  return {
    bundles,
    baseline,
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
