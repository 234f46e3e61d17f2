/**
 * The columns of `reports/train_log.tsv`, in order: training writes them, the report layer reads
 * them. Kept apart from train.ts, which loads tfjs, so reading a log does not pay for that import.
 */
export const TRAIN_LOG_COLUMNS = ['epoch', 'loss', 'acc', 'val_loss', 'val_acc', 'lr', 'seconds', 'images_per_s'] as const;
