import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { z } from 'zod';
import { writeFileAtomic } from '../util/atomic.js';
import { UserError } from '../util/errors.js';
import { type JsonFileFormat, parseJsonFile, readJsonFile, writeJsonFile } from '../util/json-file.js';
import type { ClassificationMetrics } from './metrics.js';
import type { PredictionRow } from './predictions.js';

/**
 * The files `cifar10 evaluate` writes into its output folder (docs/architecture.md, "Files on
 * disk"), with readers for the parts that consume them (report, experiments, GitHub actions).
 */
export const REPORT_FILES = {
  metrics: 'metrics.json',
  confusionJson: 'confusion.json',
  confusionCsv: 'confusion.csv',
  predictions: 'predictions.csv',
  trainLog: 'train_log.tsv',
  confusionPng: 'confusion.png',
  confusionNormalisedPng: 'confusion_normalized.png',
  learningCurvesPng: 'learning_curves.png',
  misclassifiedPng: 'misclassified.png',
  reportMd: 'report.md',
} as const;

export function reportPath(dir: string, file: keyof typeof REPORT_FILES): string {
  return join(dir, REPORT_FILES[file]);
}

const Scores = z.object({ precision: z.number(), recall: z.number(), f1: z.number() });

/**
 * The shape of `reports/metrics.json`: flat numbers and nested objects that `dvc metrics` reads.
 * Only facts the model and data determine (dvc.lock hashes it; the backend is one of them): how
 * fast it ran is in the timing file (src/util/timing.ts).
 */
const MetricsSchema = z.object({
  accuracy: z.number(),
  loss: z.number(),
  macro: Scores,
  weighted: Scores,
  per_class: z.record(z.string(), Scores.extend({ support: z.number().int().nonnegative() })),
  test_images: z.number().int().nonnegative(),
  backend: z.string(),
  data_version: z.string(),
  seed: z.number().int(),
});

export type MetricsFile = z.output<typeof MetricsSchema>;

const METRICS: JsonFileFormat<typeof MetricsSchema> = {
  what: 'a metrics file',
  version: 1,
  schema: MetricsSchema,
  create: 'run `cifar10 evaluate` first',
  repair: 're-run `cifar10 evaluate`',
};

export interface RunFacts {
  backend: string;
  data_version: string;
  seed: number;
}

/** Six decimals: stable diffs in git and `dvc metrics diff`, far below any meaningful change. */
const round = (value: number, digits = 6): number => Number(value.toFixed(digits));
const roundScores = <T extends object>(scores: T): T =>
  Object.fromEntries(Object.entries(scores).map(([k, v]) => [k, k === 'support' ? v : round(v as number)])) as T;

export function toMetricsFile(metrics: ClassificationMetrics, facts: RunFacts): MetricsFile {
  return {
    accuracy: round(metrics.accuracy),
    loss: round(metrics.loss ?? 0),
    macro: roundScores(metrics.macro),
    weighted: roundScores(metrics.weighted),
    per_class: Object.fromEntries(metrics.classes.map((name) => [name, roundScores(metrics.per_class[name]!)])),
    test_images: metrics.count,
    backend: facts.backend,
    data_version: facts.data_version,
    seed: facts.seed,
  };
}

export async function writeMetricsJson(path: string, metrics: MetricsFile): Promise<void> {
  await writeJsonFile(path, METRICS, metrics);
}

export async function readMetricsJson(path: string): Promise<MetricsFile> {
  return readJsonFile(path, METRICS);
}

/** A metrics file's text read from elsewhere (a git commit); `where` names it in errors. */
export function parseMetricsJson(text: string, where: string): MetricsFile {
  return parseJsonFile(text, where, METRICS);
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new UserError(`cannot read ${what} ${path}: ${(error as Error).message}; run \`cifar10 evaluate\` first`, { cause: error });
  }
}

/** `reports/confusion.json`: counts, rows = true class, columns = predicted class. */
const ConfusionSchema = z
  .object({ classes: z.array(z.string()).min(1), matrix: z.array(z.array(z.number().int().nonnegative())) })
  .refine((c) => c.matrix.length === c.classes.length && c.matrix.every((row) => row.length === c.classes.length), {
    message: 'the matrix must be square, one row and one column per class',
    path: ['matrix'],
  });

export type ConfusionFile = z.output<typeof ConfusionSchema>;

const CONFUSION: JsonFileFormat<typeof ConfusionSchema> = {
  what: 'a confusion matrix',
  version: 1,
  schema: ConfusionSchema,
  create: 'run `cifar10 evaluate` first',
  repair: 're-run `cifar10 evaluate`',
  compact: true,
};

/** confusion.csv: a header `true,<class…>` (columns are predicted classes), then one row per true class. */
export function formatConfusionCsv(confusion: ConfusionFile): string {
  return stringify([['true', ...confusion.classes], ...confusion.matrix.map((row, t) => [confusion.classes[t]!, ...row.map(String)])]);
}

export async function writeConfusionFiles(dir: string, confusion: ConfusionFile): Promise<void> {
  await writeJsonFile(reportPath(dir, 'confusionJson'), CONFUSION, { classes: confusion.classes, matrix: confusion.matrix });
  await writeFileAtomic(reportPath(dir, 'confusionCsv'), formatConfusionCsv(confusion));
}

export async function readConfusionJson(path: string): Promise<ConfusionFile> {
  return readJsonFile(path, CONFUSION);
}

export const PREDICTIONS_COLUMNS = ['id', 'true', 'predicted', 'confidence', 'top3'] as const;

const formatProbability = (p: number): string => p.toFixed(4);

export function formatPredictionsCsv(rows: readonly PredictionRow[]): string {
  return stringify(
    rows.map((row) => [
      row.id,
      row.trueClass,
      row.predictedClass,
      formatProbability(row.confidence),
      row.top.map((t) => `${t.className}:${formatProbability(t.probability)}`).join('|'),
    ]),
    { header: true, columns: [...PREDICTIONS_COLUMNS] },
  );
}

export function parsePredictionsCsv(text: string, source = 'predictions.csv'): PredictionRow[] {
  let records: Record<string, string>[];
  try {
    records = parse(text, { columns: true, skip_empty_lines: true }) as Record<string, string>[];
  } catch (error) {
    throw new UserError(`${source} is not valid CSV: ${(error as Error).message}`, { cause: error });
  }
  return records.map((record, i) => {
    const line = i + 2;
    for (const column of ['id', 'true', 'predicted', 'confidence'] as const) {
      if (record[column] === undefined || record[column] === '') {
        throw new UserError(`${source}:${line}: missing "${column}"; the header must be ${PREDICTIONS_COLUMNS.join(',')}`);
      }
    }
    const confidence = Number(record.confidence);
    if (!Number.isFinite(confidence)) throw new UserError(`${source}:${line}: confidence "${record.confidence}" is not a number`);
    const top = (record.top3 ?? '')
      .split('|')
      .filter((part) => part.length > 0)
      .map((part) => {
        const colon = part.lastIndexOf(':');
        const probability = Number(part.slice(colon + 1));
        if (colon <= 0 || !Number.isFinite(probability)) throw new UserError(`${source}:${line}: top3 entry "${part}" is not <class>:<probability>`);
        return { className: part.slice(0, colon), probability };
      });
    return { id: record.id!, trueClass: record.true!, predictedClass: record.predicted!, confidence, top };
  });
}

export async function writePredictionsCsv(path: string, rows: readonly PredictionRow[]): Promise<void> {
  await writeFileAtomic(path, formatPredictionsCsv(rows));
}

export async function readPredictionsCsv(path: string): Promise<PredictionRow[]> {
  return parsePredictionsCsv(await readText(path, 'predictions'), path);
}
