import { markdownTable } from 'markdown-table';
import { shortFingerprint } from '../data/test-set.js';
import { formatPercent, formatScore } from '../report/format.js';
import type { RunRecord } from './history.js';

/**
 * What is drawn from the history's run records: the matrices they form (a point per matrix and
 * version), the PR comment's text sparklines, and `cifar10 history --md`'s table.
 */

const LEVELS = '▁▂▃▄▅▆▇█';

/** A one-line chart of the values in text, e.g. ▁▂▄▆█ (equal values: a flat middle line). */
export function sparkline(values: readonly number[]): string {
  if (values.length === 0) return '';
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  return values.map((v) => (hi === lo ? LEVELS[3] : LEVELS[Math.round(((v - lo) / (hi - lo)) * (LEVELS.length - 1))])).join('');
}

/** One point per workflow run (or local day) and version: the mean over its seeds, in time order. */
export interface MatrixPoint {
  /** The workflow run id, or the local day. */
  group: string;
  date: string;
  commit: string | null;
  versions: string;
  runs: number;
  accuracy: { mean: number; min: number; max: number };
  macroF1: { mean: number; min: number; max: number };
}

/** The matrix a run belongs to: its workflow run, or its day for local appends. */
export const matrixOf = (r: Pick<RunRecord, 'workflow_run' | 'date'>): string => (r.workflow_run ? String(r.workflow_run.id) : `local-${r.date.slice(0, 10)}`);

export function matrixPoints(records: readonly RunRecord[]): MatrixPoint[] {
  const groups = new Map<string, RunRecord[]>();
  for (const r of records) {
    const key = `${matrixOf(r)}\u0000${r.versions}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const band = (values: number[]) => ({ mean: values.reduce((a, b) => a + b, 0) / values.length, min: Math.min(...values), max: Math.max(...values) });
  return [...groups.entries()]
    .map(([key, runs]) => ({
      group: key.split('\u0000')[0]!,
      date: runs.map((r) => r.date).sort()[0]!,
      commit: runs[0]!.commit,
      versions: runs[0]!.versions,
      runs: runs.length,
      accuracy: band(runs.map((r) => r.metrics.accuracy)),
      macroF1: band(runs.map((r) => r.metrics.macro_f1)),
    }))
    .sort((a, b) => a.date.localeCompare(b.date) || a.versions.localeCompare(b.versions));
}

/** Per version, the last `last` matrices' mean accuracy as a sparkline with the latest value (the PR comment's "where main has been"). */
export function versionTrends(
  records: readonly RunRecord[],
  versions: readonly string[],
  last = 12,
): { versions: string; sparkline: string; latest: number; points: number }[] {
  const points = matrixPoints(records);
  return versions.flatMap((v) => {
    const series = points.filter((p) => p.versions === v).slice(-last);
    if (series.length === 0) return [];
    const values = series.map((p) => p.accuracy.mean);
    return [{ versions: v, sparkline: sparkline(values), latest: values.at(-1)!, points: values.length }];
  });
}

/** `cifar10 history --md`: one row per run, newest first. */
export function historyMarkdown(records: readonly RunRecord[]): string {
  if (records.length === 0) return 'No runs in the history yet.\n';
  const rows = [...records]
    .reverse()
    .map((r) => [
      r.date.slice(0, 16).replace('T', ' '),
      r.workflow_run?.url ? `[${r.event} ${r.workflow_run.id}](${r.workflow_run.url})` : r.event,
      r.commit ? r.commit.slice(0, 7) : '—',
      r.run_id,
      formatPercent(r.metrics.accuracy, 1),
      formatScore(r.metrics.macro_f1, 3),
      r.backend,
      `${r.train_seconds.toFixed(0)} s`,
      shortFingerprint(r.test_set.fingerprint),
    ]);
  return `${markdownTable([['date (UTC)', 'workflow run', 'commit', 'run', 'accuracy', 'macro-F1', 'backend', 'training', 'test set'], ...rows], { align: ['l', 'l', 'l', 'l', 'r', 'r', 'l', 'r', 'l'] })}\n`;
}
