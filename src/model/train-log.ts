/**
 * `reports/train_log.tsv`: training writes it, the report layer reads it. Kept apart from the
 * training loop, which loads tfjs, so reading a log does not pay for that import. Only facts the
 * seed, data and params determine: dvc.lock hashes this file, so per-epoch seconds and images/s go
 * to the timing file (src/util/timing.ts) instead.
 */

/** The columns of the log, in order. */
export const TRAIN_LOG_COLUMNS = ['epoch', 'loss', 'acc', 'val_loss', 'val_acc', 'lr'] as const;

/** What one epoch of training measured. */
export interface EpochRecord {
  epoch: number;
  loss: number;
  acc: number;
  val_loss: number;
  val_acc: number;
  lr: number;
  /** Wall clock of the epoch, validation included; kept in the timing file, not in the log. */
  seconds: number;
  /** Training images per second of the epoch (validation excluded); timing file only. */
  images_per_s: number;
}

/** The log's text: the deterministic columns of each epoch (TRAIN_LOG_COLUMNS). */
export function trainLogTsv(history: readonly EpochRecord[]): string {
  const rows = history.map((r) =>
    [r.epoch, r.loss.toFixed(5), r.acc.toFixed(5), r.val_loss.toFixed(5), r.val_acc.toFixed(5), r.lr.toExponential(4)].join('\t'),
  );
  return `${TRAIN_LOG_COLUMNS.join('\t')}\n${rows.map((r) => `${r}\n`).join('')}`;
}

/**
 * Which of two validation results is the better model: the higher accuracy, ties to the lower loss.
 * Training keeps its checkpoint by it, tuning picks its trial by it, and the report marks the best
 * epoch by it, so all three agree.
 */
export function betterOnValidation(candidate: { acc: number; loss: number }, best: { acc: number; loss: number }): boolean {
  return candidate.acc > best.acc || (candidate.acc === best.acc && candidate.loss < best.loss);
}
