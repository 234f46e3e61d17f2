import { markdownTable } from 'markdown-table';
import { shortFingerprint, type TestSet } from '../data/test-set.js';
import { formatCount, formatPercent, formatScore } from '../report/format.js';
import type { RunBundle } from './bundle.js';

/** What a set of runs shows over seeds (docs/experiments.md, "Experiments"): mean ± sd per version spec, every run, the test sets they were scored on. */

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

/** What a summary needs of a run: a result bundle, or a DVC experiment (src/experiments/dvc-runs.ts). */
export interface SummarizedRun {
  runId: string;
  manifest: Pick<RunBundle['manifest'], 'seed' | 'versions'>;
  metrics: Pick<RunBundle['metrics'], 'accuracy' | 'macro'>;
  testSet: RunBundle['testSet'];
}

/** Every run, and per version spec the mean ± sd over seeds of accuracy and macro-F1 (the `report` action calls this). */
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

/** `93.1% ± 0.4%`, or `93.1% (1 run)`. */
export function meanSd(s: Stats, format: (v: number) => string): string {
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
