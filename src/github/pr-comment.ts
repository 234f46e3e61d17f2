import type { ConfusionFile, MetricsFile } from '../evaluate/report-files.js';
import { comparisonMarkdown, runsTable, versionsTable, type RunSetComparison, type RunsSummary } from '../experiments/summary.js';
import { fitMarkdownBudget, GITHUB_COMMENT_LIMIT, type MarkdownSection } from '../report/budget.js';
import { formatCount } from '../report/format.js';
import { CONFUSION_LEGEND, confusionTable, metricsTable, perClassTable, verdictLine } from '../report/markdown.js';

/**
 * The body of the single PR comment (and of the job summary): the experiment matrix's results,
 * the comparison with the main branch, the best run's confusion matrix and the hard images, kept
 * under GitHub's comment limit by folding and shortening the later sections first. It sits above
 * the experiments layer, whose summaries it shows, and draws with the report layer's tables.
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

export interface PrCommentInput {
  /** Hidden marker the next run finds the comment by; omitted in the job summary. */
  marker?: string;
  /** `quick`, `full` or `manual`, shown in the heading. */
  kind?: string;
  /** Commit the runs were made at. */
  commit?: string;
  summary: RunsSummary;
  /** PR-vs-main per version spec present on both sides; empty when there is no baseline. */
  comparisons: BaselineComparison[];
  refused?: RefusedComparison[];
  /** Why there is no comparison (no baseline run found, no shared versions). */
  baselineNote?: string;
  best?: BestRun;
  /** The best run's metrics on main with the same versions, for the Δ column. */
  bestBaseline?: MetricsFile;
  /** Markdown of the hard-images table, when computed. */
  hardImages?: string;
  /** Cells of the plan that produced no result bundle. */
  missingCells?: string[];
  /** Link to the workflow run, where the artifacts (pictures, full bundles) are. */
  runUrl?: string;
  limit?: number;
}

const VERDICT_MARK: Record<string, string> = { better: '🟢', worse: '🔴', 'no detectable change': '⚪', 'not enough runs': '⚠️' };

function headline(input: PrCommentInput): string {
  const runs = input.summary.runs.length;
  const kind = input.kind ? `${input.kind} matrix, ` : '';
  const at = input.commit ? ` at \`${input.commit.slice(0, 7)}\`` : '';
  const lines = [`## CIFAR-10 experiments (${kind}${formatCount(runs)} run${runs === 1 ? '' : 's'})${at}`];
  if (input.best) lines.push(`Best run **${input.best.runId}**: ${verdictLine(input.best.metrics, { confusion: input.best.confusion, baseline: input.bestBaseline })}`);
  else lines.push('❌ No run produced results; see the failed jobs of the workflow run.');
  for (const { versions, comparison } of input.comparisons) {
    const accuracy = comparison.metrics.find((m) => m.metric === 'accuracy');
    lines.push(`${VERDICT_MARK[accuracy?.verdict ?? ''] ?? ''} \`${versions}\`: ${comparison.text}.`);
  }
  for (const { versions, reason } of input.refused ?? []) lines.push(`⚠️ \`${versions}\`: ${reason}.`);
  if (input.missingCells && input.missingCells.length > 0) {
    lines.push(`⚠️ ${input.missingCells.length} planned run${input.missingCells.length === 1 ? '' : 's'} left no results: ${input.missingCells.map((c) => `\`${c}\``).join(', ')}.`);
  }
  return lines.join('\n\n');
}

export function prCommentSections(input: PrCommentInput): MarkdownSection[] {
  const sections: MarkdownSection[] = [{ body: headline(input), fold: 'never' }];
  if (input.comparisons.length > 0) {
    sections.push({
      title: 'This PR vs main (mean ± sd over seeds)',
      body: input.comparisons.map(({ versions, comparison }) => `**\`${versions}\`**\n\n${comparisonMarkdown(comparison).trimEnd()}`).join('\n\n'),
      fold: 'never',
    });
  } else if (input.baselineNote) {
    sections.push({ body: `_${input.baselineNote}_`, fold: 'never' });
  }
  if (input.summary.runs.length > 0) {
    sections.push({ title: 'Per data version (over seeds)', body: versionsTable(input.summary) });
    sections.push({ title: 'Every run (★ best accuracy)', body: runsTable(input.summary) });
  }
  if (input.best) {
    sections.push({ title: `Confusion matrix of ${input.best.runId}`, body: `${confusionTable(input.best.confusion)}\n\n${CONFUSION_LEGEND}` });
    sections.push({ title: `Metrics of ${input.best.runId}`, body: metricsTable(input.best.metrics, input.bestBaseline) });
    sections.push({ title: `Per class, ${input.best.runId}`, body: perClassTable(input.best.metrics, input.best.confusion), fold: 'always' });
  }
  if (input.hardImages) sections.push({ title: 'Hard images', body: input.hardImages, fold: 'always' });
  return sections;
}

/** The comment body, marker first, always shorter than GitHub's limit. */
export function buildPrComment(input: PrCommentInput): string {
  const footer = input.runUrl ? `\n\n<sub>Pictures and full result bundles: [workflow run artifacts](${input.runUrl}).</sub>` : '';
  const head = input.marker ? `${input.marker}\n` : '';
  const { markdown } = fitMarkdownBudget(prCommentSections(input), {
    limit: input.limit ?? GITHUB_COMMENT_LIMIT,
    reserve: head.length + footer.length + 1,
  });
  return `${head}${markdown}${footer}\n`;
}
