import { markdownTable } from 'markdown-table';
import { formatDelta, formatGap, formatPercent, formatScore } from '../report/format.js';
import type { RunBundle } from './bundle.js';

/** Run comparisons across seeds (docs/experiments.md, "Experiments"): mean ± sd, never one run against one run. */

export interface Stats {
  n: number;
  mean: number;
  /** Sample standard deviation (n − 1); undefined for a single run. */
  sd?: number;
}

export function stats(values: readonly number[]): Stats {
  const n = values.length;
  if (n === 0) return { n: 0, mean: Number.NaN };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { n, mean };
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1);
  return { n, mean, sd: Math.sqrt(variance) };
}

export interface RunRow {
  runId: string;
  seed: number;
  versions: string;
  accuracy: number;
  macroF1: number;
  /** The highest accuracy of all runs (ties: the first by run id). */
  best: boolean;
}

export interface VersionSummary {
  versions: string;
  seeds: number[];
  accuracy: Stats;
  macroF1: Stats;
  /** This version's best run by accuracy. */
  bestRun: string;
}

export interface RunsSummary {
  runs: RunRow[];
  versions: VersionSummary[];
  bestRun?: string;
}

function byAccuracy(a: { accuracy: number; runId: string }, b: { accuracy: number; runId: string }): number {
  return b.accuracy - a.accuracy || a.runId.localeCompare(b.runId);
}

/** Every run, and per version spec the mean ± sd over seeds of accuracy and macro-F1 (the `report` action calls this). */
/** What a summary needs of a run: a result bundle, or a DVC experiment (src/experiments/dvc-runs.ts). */
export interface SummarizedRun {
  runId: string;
  manifest: Pick<RunBundle['manifest'], 'seed' | 'versions'>;
  metrics: Pick<RunBundle['metrics'], 'accuracy' | 'macro'>;
}

export function summarizeRuns(bundles: readonly SummarizedRun[]): RunsSummary {
  const rows = bundles.map((b) => ({ runId: b.runId, seed: b.manifest.seed, versions: b.manifest.versions, accuracy: b.metrics.accuracy, macroF1: b.metrics.macro.f1, best: false }));
  const best = [...rows].sort(byAccuracy)[0];
  if (best) best.best = true;
  const groups = new Map<string, RunRow[]>();
  for (const row of rows) groups.set(row.versions, [...(groups.get(row.versions) ?? []), row]);
  const versions = [...groups.entries()].map(([spec, runs]) => ({
    versions: spec,
    seeds: runs.map((r) => r.seed).sort((a, b) => a - b),
    accuracy: stats(runs.map((r) => r.accuracy)),
    macroF1: stats(runs.map((r) => r.macroF1)),
    bestRun: [...runs].sort(byAccuracy)[0]!.runId,
  }));
  versions.sort((a, b) => a.versions.split('+').length - b.versions.split('+').length || a.versions.localeCompare(b.versions));
  rows.sort((a, b) => a.versions.split('+').length - b.versions.split('+').length || a.versions.localeCompare(b.versions) || a.seed - b.seed);
  return { runs: rows, versions, bestRun: best?.runId };
}

function meanSd(s: Stats, format: (v: number) => string): string {
  return s.sd === undefined ? `${format(s.mean)} (1 run)` : `${format(s.mean)} ± ${format(s.sd)}`;
}

const pct = (v: number) => formatPercent(v, 1);
const score = (v: number) => formatScore(v, 3);

/** The per-version table: mean ± sd of accuracy and macro-F1 over seeds, with each version's best run. */
export function versionsTable(summary: RunsSummary): string {
  return markdownTable(
    [
      ['versions', 'runs', 'seeds', 'accuracy (mean ± sd)', 'macro-F1 (mean ± sd)', 'best run'],
      ...summary.versions.map((v) => [
        v.versions,
        String(v.accuracy.n),
        v.seeds.join(', '),
        meanSd(v.accuracy, pct),
        meanSd(v.macroF1, score),
        v.bestRun === summary.bestRun ? `**${v.bestRun}** ★` : v.bestRun,
      ]),
    ],
    { align: ['l', 'r', 'l', 'r', 'r', 'l'] },
  );
}

/** Every run, the best one marked with ★. */
export function runsTable(summary: RunsSummary): string {
  return markdownTable(
    [['run', 'seed', 'versions', 'accuracy', 'macro-F1'], ...summary.runs.map((r) => [r.best ? `**${r.runId}** ★` : r.runId, String(r.seed), r.versions, pct(r.accuracy), score(r.macroF1)])],
    { align: ['l', 'r', 'l', 'r', 'r'] },
  );
}

export function summaryMarkdown(summary: RunsSummary): string {
  if (summary.runs.length === 0) return 'No experiment results yet: run `cifar10 exp matrix` or `cifar10 exp run`.\n';
  return `### Per version (over seeds)\n\n${versionsTable(summary)}\n\n### Every run (★ best accuracy)\n\n${runsTable(summary)}\n`;
}

export type Verdict = 'better' | 'worse' | 'within seed noise' | 'not enough runs';

export interface MetricComparison {
  metric: 'accuracy' | 'macro-F1';
  a: Stats;
  b: Stats;
  /** mean(b) − mean(a). */
  delta: number;
  /** Two standard errors of the difference: the band a difference must leave to count as real. */
  noise?: number;
  verdict: Verdict;
}

export interface RunSetComparison {
  a: { label: string; runs: string[] };
  b: { label: string; runs: string[] };
  metrics: MetricComparison[];
  /** One sentence for humans. */
  text: string;
}

function compareMetric(metric: MetricComparison['metric'], a: readonly number[], b: readonly number[]): MetricComparison {
  const sa = stats(a);
  const sb = stats(b);
  const delta = sb.mean - sa.mean;
  if (sa.sd === undefined || sb.sd === undefined) return { metric, a: sa, b: sb, delta, verdict: 'not enough runs' };
  // Seed noise of a difference of two means (Welch): a change inside ±2 standard errors is what
  // re-running with other seeds produces anyway, so it is not called a change.
  const noise = 2 * Math.sqrt(sa.sd ** 2 / sa.n + sb.sd ** 2 / sb.n);
  const verdict: Verdict = Math.abs(delta) <= noise ? 'within seed noise' : delta > 0 ? 'better' : 'worse';
  return { metric, a: sa, b: sb, delta, noise, verdict };
}

type Comparable = Pick<RunBundle, 'runId' | 'metrics'>;

/** Compares two sets of runs (e.g. two versions over the same seeds) and says whether B differs from A beyond seed noise. */
export function compareRunSets(a: readonly Comparable[], b: readonly Comparable[], labels: { a?: string; b?: string } = {}): RunSetComparison {
  const la = labels.a ?? 'A';
  const lb = labels.b ?? 'B';
  const metrics = [
    compareMetric(
      'accuracy',
      a.map((r) => r.metrics.accuracy),
      b.map((r) => r.metrics.accuracy),
    ),
    compareMetric(
      'macro-F1',
      a.map((r) => r.metrics.macro.f1),
      b.map((r) => r.metrics.macro.f1),
    ),
  ];
  const acc = metrics[0]!;
  const text =
    acc.verdict === 'not enough runs'
      ? `${lb} vs ${la}: accuracy ${formatDelta(acc.delta, 'percent')}, but seed noise cannot be judged with fewer than 2 runs per side; run more seeds`
      : acc.verdict === 'within seed noise'
        ? `${lb} vs ${la}: accuracy ${formatDelta(acc.delta, 'percent')} is within seed noise (±${formatGap(acc.noise!, 'percent')}): no real difference`
        : `${lb} is ${acc.verdict} than ${la}: accuracy ${formatDelta(acc.delta, 'percent')}, beyond seed noise (±${formatGap(acc.noise!, 'percent')})`;
  return { a: { label: la, runs: a.map((r) => r.runId) }, b: { label: lb, runs: b.map((r) => r.runId) }, metrics, text };
}

export function comparisonMarkdown(c: RunSetComparison): string {
  const format = (m: MetricComparison, v: number) => (m.metric === 'accuracy' ? pct(v) : score(v));
  const table = markdownTable(
    [
      ['metric', `${c.a.label} (${c.a.runs.length} runs)`, `${c.b.label} (${c.b.runs.length} runs)`, 'Δ (B − A)', 'seed noise (±2 SE)', 'verdict'],
      ...c.metrics.map((m) => [
        m.metric,
        meanSd(m.a, (v) => format(m, v)),
        meanSd(m.b, (v) => format(m, v)),
        formatDelta(m.delta, m.metric === 'accuracy' ? 'percent' : 'score'),
        m.noise === undefined ? '—' : formatGap(m.noise, m.metric === 'accuracy' ? 'percent' : 'score'),
        m.verdict,
      ]),
    ],
    { align: ['l', 'r', 'r', 'r', 'r', 'l'] },
  );
  return `${table}\n\n${c.text}.\n`;
}
