import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { TestSetSchema } from '../data/test-set.js';
import { writeFileAtomic } from '../util/atomic.js';
import { UserError } from '../util/errors.js';

/**
 * The experiment history (docs/history.md): JSON Lines, one record per experiment run, kept on the
 * repository's `experiment-history` branch by the Experiments workflow. Records are keyed by the
 * workflow run and the run id, so a re-run attempt replaces its own records instead of adding
 * twins; a retention in days bounds the file. A second kind of line, `hard`, keeps the ids that
 * were hard in one matrix, so the page can tell how long an image has been hard.
 */

export const HISTORY_FILE = 'history.jsonl';
export const HISTORY_BRANCH = 'experiment-history';
/** A year of nightly matrices and a margin: what the page's "over time" charts are sized for. */
export const DEFAULT_RETENTION_DAYS = 400;
const DAY_MS = 24 * 60 * 60 * 1000;

const WorkflowRunRef = z.object({ id: z.number().int(), attempt: z.number().int().min(1), url: z.string() });

export const RunRecordSchema = z.object({
  kind: z.literal('run'),
  /** `<workflow run id>/<run id>`, or `local/<run id>/<finished>` outside Actions: what makes an append idempotent. */
  key: z.string().min(1),
  run_id: z.string(),
  /** When the run finished (ISO 8601). */
  date: z.string(),
  commit: z.string().nullable(),
  /** The workflow event (schedule, workflow_dispatch, push) or `local`. */
  event: z.string(),
  workflow_run: WorkflowRunRef.nullable(),
  seed: z.number().int(),
  versions: z.string(),
  /** The train group of the run's params.yaml, and the `-S` overrides given. */
  params: z.object({ train: z.record(z.string(), z.unknown()), overrides: z.array(z.string()) }),
  /** DVC hash of each partition used. */
  data: z.record(z.string(), z.string()),
  backend: z.string(),
  runner: z.object({ name: z.string(), os: z.string(), cpus: z.number(), cpu_model: z.string(), node: z.string() }),
  metrics: z.object({ accuracy: z.number(), macro_f1: z.number(), loss: z.number(), test_images: z.number().int() }),
  per_class_f1: z.record(z.string(), z.number()),
  /** The test set the run was scored on: SHA-256 of its sorted image ids (one per line) and its size. */
  test_set: TestSetSchema,
  train_seconds: z.number().nonnegative(),
  /** Absent for bundles made before timings were kept. */
  train_images_per_second: z.number().nonnegative().nullable(),
});

const HardRecordSchema = z.object({
  kind: z.literal('hard'),
  /** `<workflow run id>/hard`, or `local/hard/<date>`. */
  key: z.string().min(1),
  date: z.string(),
  commit: z.string().nullable(),
  event: z.string(),
  workflow_run: WorkflowRunRef.nullable(),
  /** Runs the hard images were judged over. */
  runs: z.number().int().nonnegative(),
  /** Ids hard in that matrix, hardest first, with their class and most frequent wrong label. */
  images: z.array(z.object({ id: z.string(), class: z.string(), wrong_as: z.string(), error_rate: z.number() })),
});

export const HistoryRecordSchema = z.discriminatedUnion('kind', [RunRecordSchema, HardRecordSchema]);
export type RunRecord = z.output<typeof RunRecordSchema>;
export type HardRecord = z.output<typeof HardRecordSchema>;
export type HistoryRecord = RunRecord | HardRecord;

/** Parses history text; a bad line names the file and line and how to repair it. */
export function parseHistory(text: string, source: string): HistoryRecord[] {
  const records: HistoryRecord[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (error) {
      throw new UserError(
        `${source}:${i + 1} is not JSON (${(error as Error).message}); the history is JSON Lines, one record per line: fix or delete that line`,
      );
    }
    const parsed = HistoryRecordSchema.safeParse(json);
    if (!parsed.success)
      throw new UserError(`${source}:${i + 1} is not a history record (${z.prettifyError(parsed.error).replace(/\n/g, ' ')}); fix or delete that line`);
    records.push(parsed.data);
  });
  return records;
}

export async function readHistory(file: string): Promise<HistoryRecord[]> {
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return '';
    throw error;
  });
  return parseHistory(text, file);
}

const byDateThenKey = (a: HistoryRecord, b: HistoryRecord) => a.date.localeCompare(b.date) || a.key.localeCompare(b.key);

/** One line per record, oldest first: appends show as added lines in the branch's git history. */
export function formatHistory(records: readonly HistoryRecord[]): string {
  return [...records]
    .sort(byDateThenKey)
    .map((r) => `${JSON.stringify(r)}\n`)
    .join('');
}

export async function writeHistory(file: string, records: readonly HistoryRecord[]): Promise<void> {
  await writeFileAtomic(file, formatHistory(records));
}

export interface MergeResult {
  records: HistoryRecord[];
  added: number;
  /** Records of an earlier attempt of the same workflow run, replaced. */
  replaced: number;
  /** Records older than the retention, dropped. */
  expired: number;
}

/**
 * Adds `incoming` to `existing`: a record with a key already present replaces it when it comes from
 * the same or a later attempt (a re-run), else is ignored; records older than `retentionDays`
 * before `now` are dropped.
 */
export function mergeHistory(
  existing: readonly HistoryRecord[],
  incoming: readonly HistoryRecord[],
  options: { retentionDays: number; now: Date },
): MergeResult {
  if (!Number.isInteger(options.retentionDays) || options.retentionDays < 1)
    throw new UserError(`--retention-days ${options.retentionDays}: must be a whole number of days ≥ 1`);
  const byKey = new Map(existing.map((r) => [r.key, r]));
  let added = 0;
  let replaced = 0;
  for (const record of incoming) {
    const before = byKey.get(record.key);
    if (!before) added++;
    else if ((record.workflow_run?.attempt ?? 0) >= (before.workflow_run?.attempt ?? 0) && JSON.stringify(before) !== JSON.stringify(record)) replaced++;
    else continue;
    byKey.set(record.key, record);
  }
  const cutoff = options.now.getTime() - options.retentionDays * DAY_MS;
  const kept = [...byKey.values()].filter((r) => Date.parse(r.date) >= cutoff);
  return { records: kept.sort(byDateThenKey), added, replaced, expired: byKey.size - kept.length };
}

/**
 * `cifar10 history --json`'s output (a JSON array of run records), as the report action reads it;
 * undefined when the file is missing or empty (no history could be read).
 */
export async function readRunRecordsJson(file: string): Promise<RunRecord[] | undefined> {
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? '' : Promise.reject(error)));
  if (text.trim() === '') return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UserError(`${file} is not JSON (${(error as Error).message}); write it with \`cifar10 history --json\``);
  }
  const parsed = z.array(RunRecordSchema).safeParse(json);
  if (!parsed.success)
    throw new UserError(
      `${file} is not a list of history records (${z.prettifyError(parsed.error).replace(/\n/g, ' ')}); write it with \`cifar10 history --json\``,
    );
  return parsed.data;
}

/** `--since`: an ISO date (2026-11-01) or a number of days back (`30d`). */
export function parseSince(value: string, now = new Date()): Date {
  const days = /^(\d+)d$/.exec(value.trim());
  if (days) return new Date(now.getTime() - Number(days[1]) * DAY_MS);
  const date = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(date.getTime()))
    throw new UserError(`--since "${value}": give a date (2026-11-01) or a number of days back (30d)`);
  return date;
}

export const runRecords = (records: readonly HistoryRecord[]): RunRecord[] => records.filter((r): r is RunRecord => r.kind === 'run');
