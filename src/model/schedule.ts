import type { TrainParams } from './params.js';

/**
 * Learning rate at `progress` (0–1) of training: one-cycle (linear warm-up from lr/10, then cosine
 * down to lr/1000), cosine with warm-up, or constant.
 */
export function learningRate(params: Pick<TrainParams, 'lr' | 'schedule' | 'warmup'>, progress: number): number {
  const p = Math.min(Math.max(progress, 0), 1);
  if (params.schedule === 'constant') return params.lr;
  const start = params.schedule === 'onecycle' ? params.lr / 10 : 0;
  if (p < params.warmup) return start + (params.lr - start) * (p / params.warmup);
  const q = params.warmup >= 1 ? 1 : (p - params.warmup) / (1 - params.warmup);
  const floor = params.schedule === 'onecycle' ? params.lr / 1000 : 0;
  return floor + (params.lr - floor) * 0.5 * (1 + Math.cos(Math.PI * q));
}
