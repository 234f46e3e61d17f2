import { readFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import { TRAIN_LOG_COLUMNS } from '../model/train-log.js';
import { UserError } from '../util/errors.js';

/**
 * One row of `reports/train_log.tsv` (written by training); a value the log left empty is null.
 * Columns the log has beyond these (older logs also held seconds and images/s) are ignored.
 */
export interface TrainLogRow {
  epoch: number;
  loss: number | null;
  acc: number | null;
  val_loss: number | null;
  val_acc: number | null;
  lr: number | null;
}

function cell(value: string | undefined): number | null {
  if (value === undefined || value === '' || /^nan$/i.test(value)) return null;
  const number = Number(value);
  return Number.isFinite(number) ? number : null;
}

export function parseTrainLog(text: string, source = 'train_log.tsv'): TrainLogRow[] {
  let records: Record<string, string>[];
  try {
    records = parse(text, { columns: true, delimiter: '\t', skip_empty_lines: true, trim: true }) as Record<string, string>[];
  } catch (error) {
    throw new UserError(`${source} is not a tab-separated log: ${(error as Error).message}`, { cause: error });
  }
  if (records.length > 0 && !('epoch' in records[0]!)) {
    throw new UserError(`${source}: no "epoch" column; expected the columns ${TRAIN_LOG_COLUMNS.join(' ')} separated by tabs`);
  }
  return records.map((record, i) => {
    const epoch = cell(record.epoch);
    if (epoch === null) throw new UserError(`${source}:${i + 2}: epoch "${record.epoch}" is not a number`);
    return {
      epoch,
      loss: cell(record.loss),
      acc: cell(record.acc),
      val_loss: cell(record.val_loss),
      val_acc: cell(record.val_acc),
      lr: cell(record.lr),
    };
  });
}

export async function readTrainLog(path: string): Promise<TrainLogRow[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UserError(`cannot read training log ${path}: ${(error as Error).message}; run \`cifar10 train\` first or pass --log`, { cause: error });
  }
  return parseTrainLog(text, path);
}
