import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { writeFileAtomic } from '../util/atomic.js';
import type { RunBundle } from './bundle.js';

/** The ledger `results/experiments.csv`: one row per complete bundle, rebuilt from the bundles so it never disagrees with them. */

export const LEDGER_COLUMNS = [
  'run_id',
  'seed',
  'versions',
  'accuracy',
  'macro_f1',
  'loss',
  'test_images',
  'backend',
  'train_seconds',
  'train_images_per_second',
  'total_seconds',
  'overrides',
  'git_commit',
  'finished',
] as const;

export function ledgerRows(bundles: readonly RunBundle[]): string[][] {
  return [...bundles]
    .sort((a, b) => a.runId.localeCompare(b.runId))
    .map(({ manifest, metrics, timing }) => [
      manifest.run_id,
      String(manifest.seed),
      manifest.versions,
      metrics.accuracy.toFixed(4),
      metrics.macro.f1.toFixed(4),
      metrics.loss.toFixed(4),
      String(metrics.test_images),
      manifest.backend,
      (manifest.durations['train'] ?? 0).toFixed(1),
      timing?.train ? timing.train.images_per_second.toFixed(1) : '',
      (manifest.durations['total'] ?? 0).toFixed(1),
      manifest.overrides.join(' '),
      manifest.git.commit ?? '',
      manifest.finished,
    ]);
}

export function formatLedger(bundles: readonly RunBundle[]): string {
  return stringify([[...LEDGER_COLUMNS], ...ledgerRows(bundles)]);
}

/** Writes the ledger atomically; `file` defaults to `<root>/results/experiments.csv`. */
export async function writeLedger(file: string, bundles: readonly RunBundle[]): Promise<void> {
  await writeFileAtomic(file, formatLedger(bundles));
}

export function ledgerPathFor(resultsDir: string): string {
  return join(resultsDir, '..', 'experiments.csv');
}
