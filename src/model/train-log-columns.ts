/**
 * The columns of `reports/train_log.tsv`, in order: training writes them, the report layer reads
 * them. Kept apart from train.ts, which loads tfjs, so reading a log does not pay for that import.
 * Only facts the seed, data and params determine: dvc.lock hashes this file, so per-epoch seconds
 * and images/s go to the timing file (src/util/timing.ts) instead.
 */
export const TRAIN_LOG_COLUMNS = ['epoch', 'loss', 'acc', 'val_loss', 'val_acc', 'lr'] as const;

/**
 * Which of two validation results is the better model: the higher accuracy, ties to the lower loss.
 * Training keeps its checkpoint by it, tuning picks its trial by it, and the report marks the best
 * epoch by it, so all three agree.
 */
export function betterOnValidation(candidate: { acc: number; loss: number }, best: { acc: number; loss: number }): boolean {
  return candidate.acc > best.acc || (candidate.acc === best.acc && candidate.loss < best.loss);
}
