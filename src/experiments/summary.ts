import { markdownTable } from 'markdown-table';
import { shortFingerprint, type TestSet } from '../data/test-set.js';
import { formatCount, formatDelta, formatGap, formatPercent, formatScore } from '../report/format.js';
import { UserError } from '../util/errors.js';
import type { RunBundle } from './bundle.js';
import { welchTest, type WelchTest } from './welch.js';

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
  /** The test sets the runs were scored on, with their runs: one, unless runs from before the common test set are mixed in. */
  testSets: { testSet: TestSet; runs: string[] }[];
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
  testSet: RunBundle['testSet'];
}

export function summarizeRuns(bundles: readonly SummarizedRun[]): RunsSummary {
  const rows = bundles.map((b) => ({
    runId: b.runId,
    seed: b.manifest.seed,
    versions: b.manifest.versions,
    accuracy: b.metrics.accuracy,
    macroF1: b.metrics.macro.f1,
    best: false,
  }));
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
  return { runs: rows, versions, bestRun: best?.runId, testSets: testSetsOf(bundles) };
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
    [
      ['run', 'seed', 'versions', 'accuracy', 'macro-F1'],
      ...summary.runs.map((r) => [r.best ? `**${r.runId}** ★` : r.runId, String(r.seed), r.versions, pct(r.accuracy), score(r.macroF1)]),
    ],
    { align: ['l', 'r', 'l', 'r', 'r'] },
  );
}

/** What the runs were scored on: one test set (its size and fingerprint), or a warning naming each. */
export function testSetCaption(summary: RunsSummary): string {
  const [only, ...others] = summary.testSets;
  if (!only) return '';
  const all = summary.runs.length === 1 ? 'The run was' : `All ${formatCount(summary.runs.length)} runs were`;
  if (others.length === 0) return `_${all} scored on one test set: ${formatTestSet(only.testSet)}._`;
  const sets = summary.testSets.map((s) => `${formatTestSet(s.testSet)}: ${s.runs.join(', ')}`).join('; ');
  return `⚠️ _The runs were scored on ${summary.testSets.length} different test sets, so their metrics do not compare (${sets}); re-run the older ones, whose version spec chose their test images._`;
}

export function summaryMarkdown(summary: RunsSummary): string {
  if (summary.runs.length === 0) return 'No experiment results yet: run `cifar10 exp matrix` or `cifar10 exp run`.\n';
  return `### Per version (over seeds)\n\n${testSetCaption(summary)}\n\n${versionsTable(summary)}\n\n### Every run (★ best accuracy)\n\n${runsTable(summary)}\n`;
}

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

/** The test sets among `runs`, each with the runs scored on it, largest group first. */
export function testSetsOf(runs: readonly Pick<RunBundle, 'runId' | 'testSet'>[]): { testSet: TestSet; runs: string[] }[] {
  const groups = new Map<string, { testSet: TestSet; runs: string[] }>();
  for (const run of runs) {
    const group = groups.get(run.testSet.fingerprint) ?? { testSet: run.testSet, runs: [] };
    group.runs.push(run.runId);
    groups.set(run.testSet.fingerprint, group);
  }
  return [...groups.values()].sort((x, y) => y.runs.length - x.runs.length || x.testSet.fingerprint.localeCompare(y.testSet.fingerprint));
}

/** `6,000 images, fingerprint 3f2a…`: how a test set is named to humans. */
export function formatTestSet(testSet: TestSet): string {
  return `${formatCount(testSet.size)} images, fingerprint ${shortFingerprint(testSet.fingerprint)}`;
}

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
  const format = (m: MetricComparison, v: number) => (m.metric === 'accuracy' ? pct(v) : score(v));
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
