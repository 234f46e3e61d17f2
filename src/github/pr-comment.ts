import type { ConfusionFile, MetricsFile } from '../evaluate/report-files.js';
import { COMPARISON_LEGEND, comparisonMarkdown, keyFigure, testSetNote, type RunSetComparison } from '../experiments/comparison.js';
import { runsTable, testSetCaption, versionsTable, type RunsSummary } from '../experiments/summary.js';
import { fitMarkdownBudget, GITHUB_COMMENT_LIMIT, type MarkdownSection } from '../report/budget.js';
import { formatCount, formatPercent } from '../report/format.js';
import { CONFUSION_CHANGES_LEGEND, CONFUSION_ERRORS_LEGEND, confusionTable, metricsTable, perClassTable, verdictLine } from '../report/markdown.js';

/**
 * The body of the single PR comment (and of the job summary), read top down in five seconds: the
 * heading is one status with the key figure per version; below it what the symbols mean and what
 * keeps the verdict incomplete; then the comparison tables with one legend, what changed in the
 * confusion matrix, the pictures, and the rest folded. Kept under GitHub's comment limit by folding
 * and shortening the later sections first. Every value shown comes from a checked bundle
 * (src/experiments/trusted.ts) or from this repository's own code, never from a pull request's text.
 */

export interface BestRun {
  runId: string;
  metrics: MetricsFile;
  confusion: ConfusionFile;
}

export interface BaselineComparison {
  versions: string;
  comparison: RunSetComparison;
}

/** A version whose runs were not compared with main's, and why. */
export interface RefusedComparison {
  versions: string;
  reason: string;
}

/** A picture the comment embeds: where it was published, and what it shows. */
export interface CommentPicture {
  title: string;
  url: string;
}

export interface PrCommentInput {
  /** Hidden marker the next run finds the comment by; omitted in the job summary. */
  marker?: string;
  /** `quick`, `full` or `manual`, shown under the heading. */
  kind?: string;
  /** Commit the runs were made at. */
  commit?: string;
  summary: RunsSummary;
  /** PR-vs-main per version spec present on both sides; empty when there is no baseline. */
  comparisons: BaselineComparison[];
  refused?: RefusedComparison[];
  /** Bundles left out because they failed the checks (their reasons are in the job log). */
  refusedBundles?: number;
  /**
   * False when the report compares with nothing by design (experiments.yml's own matrices): the
   * heading then states the results, not a verdict. Default true.
   */
  comparing?: boolean;
  /** Why there is no comparison (no baseline run found, no shared versions). */
  baselineNote?: string;
  best?: BestRun;
  /** The best run's metrics on main with the same versions, for the Δ column. */
  bestBaseline?: MetricsFile;
  /** Markdown of the "what changed" confusion table (this PR against main), when there is a baseline. */
  confusionChanges?: string;
  /** Published pictures, or why there are none. */
  pictures?: { published: CommentPicture[]; note?: string };
  /** Markdown of the hard-images table, when computed. */
  hardImages?: string;
  /** Cells of the plan that produced no result bundle. */
  missingCells?: string[];
  /** Link to the workflow run, where the artifacts (pictures, full bundles) are. */
  runUrl?: string;
  /** Where main has been for this PR's versions (the experiment history), and its page. */
  mainHistory?: MainHistory;
  limit?: number;
}

export interface MainHistory {
  /** One line per version of this PR that main's history has. */
  trends: { versions: string; sparkline: string; latest: number; points: number }[];
  /** The published experiment page. */
  pageUrl?: string;
}

/** One text sparkline per version: main's mean accuracy over its last matrices, oldest first. */
function mainHistoryBody(history: MainHistory): string {
  const page = history.pageUrl ? ` ([experiment page](${history.pageUrl}))` : '';
  if (history.trends.length === 0) return `_Main's experiment history has no runs of these versions yet${page}._`;
  const lines = history.trends.map(
    (t) =>
      `\`${t.versions}\` ${t.sparkline} ${formatPercent(t.latest, 1)} (mean accuracy over seeds, last ${t.points} matri${t.points === 1 ? 'x' : 'ces'} of main)`,
  );
  return `${lines.join('<br>\n')}\n\n<sub>Oldest to newest, ▁ lowest to █ highest of each line${page}.</sub>`;
}

export type CommentStatus = 'better' | 'worse' | 'no detectable change' | 'incomplete';

export const STATUS_MARK: Record<CommentStatus, string> = { better: '🟢', worse: '🔴', 'no detectable change': '⚪', incomplete: '⚠️' };

const STATUS_LEGEND =
  "🟢 better / 🔴 worse: this PR's accuracy differs from main's with p < 0.05 (Welch's t-test over seeds); " +
  '⚪ no detectable change at this many seeds; ⚠️ incomplete: the verdict is missing something named below. ' +
  'Figures: Δ accuracy = this PR − main in percentage points (pp), p, and the runs per side (n = main vs this PR).';

/** Worse wins (a regression is never hidden), then anything that keeps the verdict from being complete, then better. */
export function commentStatus(input: PrCommentInput): CommentStatus {
  const verdicts = input.comparisons.map(({ comparison }) => comparison.metrics[0]!.verdict);
  if (verdicts.includes('worse')) return 'worse';
  const incomplete =
    !input.best ||
    input.comparisons.length === 0 ||
    verdicts.includes('not enough runs') ||
    (input.refused?.length ?? 0) > 0 ||
    (input.refusedBundles ?? 0) > 0 ||
    (input.missingCells?.length ?? 0) > 0;
  if (incomplete) return 'incomplete';
  return verdicts.includes('better') ? 'better' : 'no detectable change';
}

function heading(input: PrCommentInput): string {
  if (input.comparing === false) {
    const figures = input.summary.versions.map((v) => `${v.versions} ${formatPercent(v.accuracy.mean)} (n = ${v.accuracy.n})`);
    return `## 📊 results: ${figures.join(' · ') || 'none'}`;
  }
  const status = commentStatus(input);
  const compared = new Set(input.comparisons.map((c) => c.versions));
  const figures = [
    ...input.comparisons.map(({ versions, comparison }) => `${versions} ${keyFigure(comparison.metrics[0]!)}`),
    // Versions with no comparison: their own accuracy, so the heading still says something.
    ...input.summary.versions
      .filter((v) => !compared.has(v.versions))
      .map((v) => `${v.versions} ${formatPercent(v.accuracy.mean)} (n = ${v.accuracy.n}, no comparison)`),
  ];
  return `## ${STATUS_MARK[status]} ${status}${figures.length > 0 ? `: ${figures.join(' · ')}` : ''}`;
}

/** Under the heading: what ran, what the marks mean, and each thing that keeps the verdict incomplete, once. */
function preamble(input: PrCommentInput): string {
  const runs = input.summary.runs.length;
  const kind = input.kind ? `, ${input.kind} matrix` : '';
  const at = input.commit ? ` at \`${input.commit.slice(0, 7)}\`` : '';
  const legend = input.comparing === false ? 'Accuracy: mean over seeds, with the runs (n); nothing is compared with main here.' : STATUS_LEGEND;
  const lines = [`CIFAR-10 experiments${kind}: ${formatCount(runs)} run${runs === 1 ? '' : 's'}${at}. ${legend}`];
  if (!input.best) lines.push('⚠️ No run produced results; see the failed jobs of the workflow run.');
  if (input.comparisons.length === 0 && input.baselineNote) lines.push(`⚠️ ${input.baselineNote}`);
  for (const { versions, reason } of input.refused ?? []) lines.push(`⚠️ \`${versions}\`: ${reason}.`);
  if (input.missingCells && input.missingCells.length > 0) {
    lines.push(
      `⚠️ ${input.missingCells.length} planned run${input.missingCells.length === 1 ? '' : 's'} left no results: ${input.missingCells.map((c) => `\`${c}\``).join(', ')}.`,
    );
  }
  if (input.refusedBundles) {
    lines.push(
      `⚠️ ${input.refusedBundles} result bundle${input.refusedBundles === 1 ? ' was' : 's were'} left out: ${input.refusedBundles === 1 ? 'it fails' : 'they fail'} the bundle checks (the report job's log says which and why).`,
    );
  }
  return lines.join('\n\n');
}

function picturesSection(pictures: NonNullable<PrCommentInput['pictures']>, runUrl: string | undefined): MarkdownSection {
  const images = pictures.published.map((p) => `**${p.title}**\n\n![${p.title}](${p.url})`);
  const note = pictures.note ? [`_${pictures.note}${runUrl ? ` They are in the [workflow run's artifacts](${runUrl}).` : ''}_`] : [];
  return { title: 'Pictures', body: [...images, ...note].join('\n\n') };
}

export function prCommentSections(input: PrCommentInput): MarkdownSection[] {
  const sections: MarkdownSection[] = [{ body: `${heading(input)}\n\n${preamble(input)}`, fold: 'never' }];
  if (input.comparisons.length > 0) {
    const tables = input.comparisons.map(
      ({ versions, comparison }) => `**\`${versions}\`**\n\n${comparisonMarkdown(comparison, { tableOnly: true }).trimEnd()}`,
    );
    sections.push({
      title: 'This PR vs main (mean ± sd over seeds)',
      body: `${tables.join('\n\n')}\n\n${COMPARISON_LEGEND} ${testSetNote(input.comparisons[0]!.comparison)}`,
      fold: 'never',
    });
  }
  if (input.mainHistory) sections.push({ title: 'Main over its last runs', body: mainHistoryBody(input.mainHistory), fold: 'never' });
  if (input.confusionChanges)
    sections.push({ title: 'What changed in the confusion matrix', body: `${input.confusionChanges}\n\n${CONFUSION_CHANGES_LEGEND}` });
  if (input.pictures && (input.pictures.published.length > 0 || input.pictures.note)) sections.push(picturesSection(input.pictures, input.runUrl));
  if (input.summary.runs.length > 0) {
    sections.push({ title: 'Per data version (over seeds)', body: `${testSetCaption(input.summary)}\n\n${versionsTable(input.summary)}`, fold: 'always' });
    sections.push({ title: 'Every run (★ best accuracy)', body: runsTable(input.summary), fold: 'always' });
  }
  if (input.best) {
    const best = input.best;
    const line = `Best run **${best.runId}**: ${verdictLine(best.metrics, { confusion: best.confusion, baseline: input.bestBaseline })}`;
    sections.push({ title: `Best run ${best.runId}: metrics`, body: `${line}\n\n${metricsTable(best.metrics, input.bestBaseline)}`, fold: 'always' });
    sections.push({
      title: `Best run ${best.runId}: confusion matrix`,
      body: `${confusionTable(best.confusion, { scale: 'errors' })}\n\n${CONFUSION_ERRORS_LEGEND}`,
      fold: 'always',
    });
    sections.push({ title: `Best run ${best.runId}: per class`, body: perClassTable(best.metrics, best.confusion), fold: 'always' });
  }
  if (input.hardImages) sections.push({ title: 'Hard images', body: input.hardImages, fold: 'always' });
  return sections;
}

/** The comment body, marker first, always shorter than GitHub's limit. */
export function buildPrComment(input: PrCommentInput): string {
  const footer = input.runUrl ? `\n\n<sub>Full result bundles: [workflow run artifacts](${input.runUrl}).</sub>` : '';
  const head = input.marker ? `${input.marker}\n` : '';
  const { markdown } = fitMarkdownBudget(prCommentSections(input), {
    limit: input.limit ?? GITHUB_COMMENT_LIMIT,
    reserve: head.length + footer.length + 1,
  });
  return `${head}${markdown}${footer}\n`;
}
