import { join } from 'node:path';
import { readConfusionJson } from '../evaluate/report-files.js';
import type { SiteData } from '../report/site-types.js';
import { BUNDLE_FILES, type RunBundle } from './bundle.js';
import { matrixOf, matrixPoints } from './history-views.js';
import { runRecords, type HardRecord, type HistoryRecord, type RunRecord } from './history.js';

/** The page's data from the history (and the latest matrix's bundles for its confusion matrices). */

const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;

/** The runs of each matrix, oldest first; the matrices in the order of their first runs (all of a matrix's points share that date). */
function byMatrix(records: readonly RunRecord[]): RunRecord[][] {
  const groups = new Map<string, RunRecord[]>();
  for (const r of records) groups.set(matrixOf(r), [...(groups.get(matrixOf(r)) ?? []), r]);
  return [...groups.values()].map((group) => group.sort((a, b) => a.date.localeCompare(b.date))).sort((a, b) => a[0]!.date.localeCompare(b[0]!.date));
}

/** How long each image of the latest hard list has been hard: back through the matrices while it stayed in the list. */
export function hardStreaks(hardRecords: readonly HardRecord[]): SiteData['hard'] {
  const sorted = [...hardRecords].sort((a, b) => a.date.localeCompare(b.date));
  const latest = sorted.at(-1);
  if (!latest) return [];
  return latest.images.map((image) => {
    let since = latest.date;
    let matrices = 0;
    for (let i = sorted.length - 1; i >= 0 && sorted[i]!.images.some((x) => x.id === image.id); i--) {
      since = sorted[i]!.date;
      matrices++;
    }
    return { id: image.id, class: image.class, wrongAs: image.wrong_as, errorRate: image.error_rate, since, matrices };
  });
}

const WEEKLY_AFTER = 120;

/** Monday 00:00 UTC of the date's week. */
function weekStart(iso: string): string {
  const day = new Date(iso);
  const monday = new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate() - ((day.getUTCDay() + 6) % 7)));
  return monday.toISOString();
}

export interface SiteDataOptions {
  records: readonly HistoryRecord[];
  /** The latest matrix's bundles (their confusion.json); none: the page says so. */
  bundles?: readonly RunBundle[];
  title?: string;
  repository?: string;
  now?: Date;
}

export async function buildSiteData(options: SiteDataOptions): Promise<SiteData> {
  const runs = runRecords(options.records);
  const hard = options.records.filter((r): r is HardRecord => r.kind === 'hard');
  const matrices = byMatrix(runs);
  // Past WEEKLY_AFTER matrices a heat-map cell is a week: a year of nightly runs stays 52 columns
  // wide instead of 365, which the page draws several times faster.
  const weekly = matrices.length > WEEKLY_AFTER;
  const buckets = new Map<string, RunRecord[]>();
  for (const group of matrices) {
    const key = weekly ? weekStart(group[0]!.date) : group[0]!.date;
    buckets.set(key, [...(buckets.get(key) ?? []), ...group]);
  }
  const perClass = [...buckets.entries()].flatMap(([date, runs]) =>
    Object.keys(runs[0]!.per_class_f1).map((c) => ({ date, class: c, f1: mean(runs.map((r) => r.per_class_f1[c] ?? 0)) })),
  );
  const speed = matrices.flatMap((group) => {
    const backends = [...new Set(group.map((r) => r.backend))].sort();
    return backends.map((backend) => {
      const of = group.filter((r) => r.backend === backend);
      const rates = of.map((r) => r.train_images_per_second).filter((v): v is number => v !== null);
      return { date: group[0]!.date, backend, trainSeconds: mean(of.map((r) => r.train_seconds)), imagesPerSecond: rates.length > 0 ? mean(rates) : null };
    });
  });
  const confusion = [];
  const bySpec = new Map<string, RunBundle[]>();
  for (const b of options.bundles ?? []) bySpec.set(b.manifest.versions, [...(bySpec.get(b.manifest.versions) ?? []), b]);
  for (const [versions, bundles] of [...bySpec.entries()].sort((a, b) => a[0].split('+').length - b[0].split('+').length || a[0].localeCompare(b[0]))) {
    const files = await Promise.all(bundles.map((b) => readConfusionJson(join(b.dir, BUNDLE_FILES.confusion))));
    const matrix = files[0]!.matrix.map((row, i) => row.map((_, j) => files.reduce((sum, f) => sum + f.matrix[i]![j]!, 0)));
    confusion.push({ versions, runs: bundles.length, classes: files[0]!.classes, matrix });
  }
  const dates = runs.map((r) => r.date).sort();
  return {
    title: options.title ?? 'CIFAR-10 experiments over time',
    generated: (options.now ?? new Date()).toISOString(),
    repository: options.repository,
    counts: { runs: runs.length, matrices: matrices.length, first: dates[0], last: dates.at(-1) },
    trend: matrixPoints(runs).map((p) => ({
      date: p.date,
      commit: p.commit ?? '',
      versions: p.versions,
      runs: p.runs,
      accuracy: p.accuracy,
      macroF1: p.macroF1,
    })),
    perClass,
    perClassBucket: weekly ? 'week' : 'matrix',
    speed,
    confusion,
    hard: hardStreaks(hard),
    runs: matrices.reverse().map((group) => {
      const r = group[0]!;
      return {
        date: r.date,
        event: r.event,
        url: r.workflow_run?.url || undefined,
        label: r.workflow_run ? `${r.event} #${r.workflow_run.id}` : r.event,
        commit: r.commit ?? '',
        runs: group.length,
        versions: [...new Set(group.map((x) => x.versions))].sort(),
        bestAccuracy: Math.max(...group.map((x) => x.metrics.accuracy)),
      };
    }),
  };
}
