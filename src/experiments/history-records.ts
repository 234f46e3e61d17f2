import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { parse as parseYaml } from 'yaml';
import { BUNDLE_FILES, type RunBundle } from './bundle.js';
import type { HardRecord, HistoryRecord, RunRecord } from './history.js';

/**
 * What one matrix adds to the experiment history (history.ts keeps the file): a run record per
 * result bundle, with the workflow run it came from, and a `hard` record of its hard images.
 */

/** Where a batch of records comes from: the workflow run (from the runner's environment) or a local append. */
export interface HistoryContext {
  event: string;
  workflowRun: { id: number; attempt: number; url: string } | null;
  /** Commit of the workflow run; a bundle's own commit is used when this is absent. */
  commit?: string;
  /** Runner name to record, e.g. `GitHub Actions 12`; the bundle's host name otherwise. */
  runner?: string;
}

/** The context of a GitHub Actions step, or of a local command when the variables are not there. */
export function historyContextFromEnv(env: NodeJS.ProcessEnv = process.env): HistoryContext {
  const id = Number(env.GITHUB_RUN_ID);
  if (!env.GITHUB_RUN_ID || !Number.isInteger(id)) return { event: 'local', workflowRun: null };
  const attempt = Number(env.GITHUB_RUN_ATTEMPT ?? '1') || 1;
  const url = env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${id}` : '';
  return { event: env.GITHUB_EVENT_NAME ?? 'unknown', workflowRun: { id, attempt, url }, commit: env.GITHUB_SHA, runner: env.RUNNER_NAME };
}

/** What a record needs beyond the bundle's manifest, metrics and test set (read from its folder by `readMatrix`). */
export interface BundleExtras {
  trainParams: Record<string, unknown>;
}

async function readBundleExtras(bundle: Pick<RunBundle, 'dir'>): Promise<BundleExtras> {
  const text = await readFile(join(bundle.dir, BUNDLE_FILES.params), 'utf8').catch(() => '');
  const params = (text ? parseYaml(text) : {}) as { train?: Record<string, unknown> } | null;
  return { trainParams: params?.train ?? {} };
}

function runRecord(bundle: Pick<RunBundle, 'runId' | 'manifest' | 'metrics' | 'testSet' | 'timing'>, extras: BundleExtras, context: HistoryContext): RunRecord {
  const { manifest, metrics, timing } = bundle;
  return {
    kind: 'run',
    key: context.workflowRun ? `${context.workflowRun.id}/${bundle.runId}` : `local/${bundle.runId}/${manifest.finished}`,
    run_id: bundle.runId,
    date: manifest.finished,
    commit: context.commit ?? manifest.git.commit,
    event: context.event,
    workflow_run: context.workflowRun,
    seed: manifest.seed,
    versions: manifest.versions,
    params: { train: extras.trainParams, overrides: manifest.overrides },
    data: manifest.data,
    backend: manifest.backend,
    runner: {
      name: context.runner ?? manifest.host.name,
      os: `${manifest.host.platform}-${manifest.host.arch}`,
      cpus: manifest.host.cpus,
      cpu_model: manifest.host.cpu_model,
      node: manifest.host.node,
    },
    metrics: { accuracy: metrics.accuracy, macro_f1: metrics.macro.f1, loss: metrics.loss, test_images: metrics.test_images },
    per_class_f1: Object.fromEntries(Object.entries(metrics.per_class).map(([c, s]) => [c, s.f1])),
    test_set: bundle.testSet,
    train_seconds: timing?.train?.seconds ?? manifest.durations['train'] ?? 0,
    train_images_per_second: timing?.train?.images_per_second ?? null,
  };
}

export interface HardImageRow {
  id: string;
  class: string;
  most_frequent_wrong: string;
  error_rate: string | number;
}

/** The hard images of one matrix as a history line (the `hard-images` CSV's rows; at most `limit`, hardest first). */
function hardRecord(rows: readonly HardImageRow[], runs: number, date: string, context: HistoryContext, limit = 500): HardRecord {
  return {
    kind: 'hard',
    key: context.workflowRun ? `${context.workflowRun.id}/hard` : `local/hard/${date}`,
    date,
    commit: context.commit ?? null,
    event: context.event,
    workflow_run: context.workflowRun,
    runs,
    images: rows.slice(0, limit).map((r) => ({ id: r.id, class: r.class, wrong_as: r.most_frequent_wrong, error_rate: Number(r.error_rate) })),
  };
}

/** The records of one matrix: a run record per bundle, and its hard images when their CSV was given. */
export function matrixRecords(
  runs: readonly { bundle: Pick<RunBundle, 'runId' | 'manifest' | 'metrics' | 'testSet' | 'timing'>; extras: BundleExtras }[],
  hardImages: readonly HardImageRow[] | undefined,
  context: HistoryContext,
): HistoryRecord[] {
  const records: HistoryRecord[] = runs.map(({ bundle, extras }) => runRecord(bundle, extras, context));
  if (hardImages && runs.length > 0) {
    const last = runs
      .map((r) => r.bundle.manifest.finished)
      .sort()
      .at(-1)!;
    records.push(hardRecord(hardImages, runs.length, last, { ...context, commit: context.commit ?? runs[0]!.bundle.manifest.git.commit ?? undefined }));
  }
  return records;
}

/** What `cifar10 history append` adds for the bundles under a results folder. */
export async function readMatrix(bundles: readonly RunBundle[]): Promise<{ bundle: RunBundle; extras: BundleExtras }[]> {
  return Promise.all(bundles.map(async (bundle) => ({ bundle, extras: await readBundleExtras(bundle) })));
}

/** The hard-images CSV (`cifar10 hard-images`), or undefined when it is not there. */
export async function readHardImagesCsv(file: string): Promise<HardImageRow[] | undefined> {
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? undefined : Promise.reject(error)));
  return text === undefined ? undefined : (parseCsv(text, { columns: true, skip_empty_lines: true }) as HardImageRow[]);
}
