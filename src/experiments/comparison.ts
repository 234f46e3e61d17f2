import { markdownTable } from 'markdown-table';
import type { TestSet } from '../data/test-set.js';
import { formatDelta, formatGap, formatPercent, formatScore } from '../report/format.js';
import { UserError } from '../util/errors.js';
import type { RunBundle } from './bundle.js';
import { formatTestSet, meanSd, stats, testSetsOf, type Stats } from './summary.js';
import { welchTest, type WelchTest } from './welch.js';

/** Run comparisons across seeds (docs/experiments.md, "Experiments"): two sets of runs by Welch's t-test, never one run against one run. */

export type Verdict = 'better' | 'worse' | 'no detectable change' | 'not enough runs';

export interface MetricComparison {
  metric: 'accuracy' | 'macro-F1';
  a: Stats;
  b: Stats;
  /** mean(b) − mean(a). */
  delta: number;
  /** Welch's test; absent with fewer than 2 runs on a side. */
  test?: WelchTest;
  verdict: Verdict;
}

export interface RunSetComparison {
  a: { label: string; runs: string[] };
  b: { label: string; runs: string[] };
  metrics: MetricComparison[];
  /** The test set both sides were scored on. */
  testSet: TestSet;
  /** One sentence for humans, about accuracy. */
  text: string;
}

function compareMetric(metric: MetricComparison['metric'], a: readonly number[], b: readonly number[], resolution: number): MetricComparison {
  const sa = stats(a);
  const sb = stats(b);
  const test = welchTest(a, b, { resolution });
  const verdict: Verdict = !test ? 'not enough runs' : !test.significant ? 'no detectable change' : test.delta > 0 ? 'better' : 'worse';
  return { metric, a: sa, b: sb, delta: sb.mean - sa.mean, test, verdict };
}

type Comparable = Pick<RunBundle, 'runId' | 'metrics' | 'testSet'>;

/** Both sides were scored on one test set, or the comparison is refused saying which sets differ. */
function sharedTestSet(a: readonly Comparable[], b: readonly Comparable[], la: string, lb: string): TestSet {
  const sets = testSetsOf([...a, ...b]);
  if (sets.length === 1) return sets[0]!.testSet;
  const describe = (runs: readonly Comparable[]) =>
    testSetsOf(runs)
      .map((s) => `${formatTestSet(s.testSet)} (${s.runs.join(', ')})`)
      .join('; ');
  throw new TestSetMismatchError(
    `cannot compare ${lb} with ${la}: their runs were scored on different test sets (${la}: ${describe(a)}; ${lb}: ${describe(b)}), so their accuracies measure different things; re-run the older side with this code, whose every run is scored on the common held-out test set`,
  );
}

/** Runs scored on other test sets than their comparison partners: the comparison is refused. */
export class TestSetMismatchError extends UserError {}

/** `0.012`, or `< 0.001`. */
const pNumber = (p: number) => (p < 0.001 ? '< 0.001' : p.toFixed(3));
export const pValue = (p: number): string => (p < 0.001 ? 'p < 0.001' : `p = ${pNumber(p)}`);
const unitOf = (m: MetricComparison) => (m.metric === 'accuracy' ? 'percent' : 'score');

/** `n = 3 vs 3`. */
export const runCounts = (m: MetricComparison): string => `n = ${m.a.n} vs ${m.b.n}`;

/** The key figure of a comparison: `-2.1 pp (p = 0.010, n = 3 vs 3)`. */
export function keyFigure(m: MetricComparison): string {
  const delta = formatDelta(m.delta, unitOf(m));
  return m.test ? `${delta} (${pValue(m.test.p)}, ${runCounts(m)})` : `${delta} (${runCounts(m)})`;
}

/** The 95% interval of the difference: `-3.4 to -0.8 pp`. */
export function formatInterval(m: MetricComparison): string {
  if (!m.test) return '—';
  const [lo, hi] = m.test.ci;
  const unit = unitOf(m);
  const end = (v: number) => formatDelta(v, unit).replace(/ pp$/, '');
  return `${end(lo)} to ${end(hi)}${unit === 'percent' ? ' pp' : ''}`;
}

/** The verdict in words, with what it rests on; a change inside the detectable difference is never "no difference". */
export function verdictText(m: MetricComparison): string {
  const unit = unitOf(m);
  if (!m.test) return `not enough runs (${runCounts(m)}): seed noise cannot be judged with fewer than 2 runs per side`;
  if (m.verdict === 'no detectable change') return `no detectable change (could be ±${formatGap(m.test.mdd, unit)})`;
  return m.verdict;
}

/** Compares two sets of runs (e.g. two versions over the same seeds) with Welch's t-test on accuracy and macro-F1. */
export function compareRunSets(a: readonly Comparable[], b: readonly Comparable[], labels: { a?: string; b?: string } = {}): RunSetComparison {
  const la = labels.a ?? 'A';
  const lb = labels.b ?? 'B';
  const testSet = sharedTestSet(a, b, la, lb);
  // One test image: the finest step the metrics can take (see welchTest).
  const resolution = 1 / testSet.size;
  const metrics = [
    compareMetric(
      'accuracy',
      a.map((r) => r.metrics.accuracy),
      b.map((r) => r.metrics.accuracy),
      resolution,
    ),
    compareMetric(
      'macro-F1',
      a.map((r) => r.metrics.macro.f1),
      b.map((r) => r.metrics.macro.f1),
      resolution,
    ),
  ];
  const acc = metrics[0]!;
  const facts = acc.test ? `${pValue(acc.test.p)}, 95% interval ${formatInterval(acc)}, ${runCounts(acc)}` : runCounts(acc);
  const text = `${lb} vs ${la}, accuracy ${formatDelta(acc.delta, 'percent')} (${facts}): ${verdictText(acc)}`;
  return { a: { label: la, runs: a.map((r) => r.runId) }, b: { label: lb, runs: b.map((r) => r.runId) }, metrics, testSet, text };
}

/** What each column and mark of a comparison table means, stated under it. */
export const COMPARISON_LEGEND =
  "Δ = mean of B − mean of A over their runs; 95% interval of Δ and p from Welch's two-sided t-test; " +
  '"detectable" is the smallest |Δ| these runs detect 80% of the time at α = 0.05 ((t₀.₉₇₅ + t₀.₈₀) × SE, Welch\'s degrees of freedom). ' +
  'better / worse: p < 0.05; anything else is "no detectable change", which is not evidence of no change.';

/** The shared test set, in the words a comparison's legend uses. */
export const testSetNote = (c: RunSetComparison): string => `Both sides were scored on one test set (${formatTestSet(c.testSet)}).`;

/**
 * A comparison's table; by default followed by its legend and its one-sentence verdict (`exp
 * diff`). The PR comment, which shows several, asks for the table alone and states the legend once.
 */
export function comparisonMarkdown(c: RunSetComparison, options: { tableOnly?: boolean } = {}): string {
  const format = (m: MetricComparison, v: number) => (m.metric === 'accuracy' ? formatPercent(v, 1) : formatScore(v, 3));
  const table = markdownTable(
    [
      [
        'metric',
        `A: ${c.a.label} (${c.a.runs.length} runs)`,
        `B: ${c.b.label} (${c.b.runs.length} runs)`,
        'Δ (B − A)',
        '95% interval',
        'p',
        'detectable',
        'verdict',
      ],
      ...c.metrics.map((m) => [
        m.metric,
        meanSd(m.a, (v) => format(m, v)),
        meanSd(m.b, (v) => format(m, v)),
        formatDelta(m.delta, unitOf(m)),
        formatInterval(m),
        m.test ? pNumber(m.test.p) : '—',
        m.test ? `±${formatGap(m.test.mdd, unitOf(m))}` : '—',
        m.verdict,
      ]),
    ],
    { align: ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'l'] },
  );
  if (options.tableOnly) return `${table}\n`;
  return `${table}\n\n${COMPARISON_LEGEND} ${testSetNote(c)}\n\n${c.text}.\n`;
}
