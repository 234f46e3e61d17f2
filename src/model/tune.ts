import { stringify } from 'csv-stringify/sync';
import type { PackedSplit } from '../data/packed.js';
import { writeFileAtomic } from '../util/atomic.js';
import { UserError } from '../util/errors.js';
import { Random } from '../util/random.js';
import type { TuneTiming } from '../util/timing.js';
import { fitModel } from './fit.js';
import type { TrainParams, TuneParams } from './params.js';
import { betterOnValidation } from './train-log.js';

/** The knobs a trial varies. */
export type TrialConfig = Pick<TrainParams, 'lr' | 'batch_size' | 'width' | 'dropout' | 'arch'>;

export interface TrialResult {
  trial: number;
  config: TrialConfig;
  valAcc: number;
  valLoss: number;
  bestEpoch: number;
  /** Wall clock of the trial: in the timing file, not in tuning.csv (dvc.lock hashes that). */
  seconds: number;
}

/** Every combination of the search space, in a fixed order (lr varies slowest). */
export function searchSpace(tune: TuneParams, base: TrainParams): TrialConfig[] {
  const archs = tune.arch.length > 0 ? tune.arch : [base.arch];
  const configs: TrialConfig[] = [];
  for (const lr of tune.lr)
    for (const batch_size of tune.batch_size)
      for (const width of tune.width) for (const dropout of tune.dropout) for (const arch of archs) configs.push({ lr, batch_size, width, dropout, arch });
  return configs;
}

/** The trials to run, in order: the grid as is, or a seeded shuffle of it; cut to `tune.trials`. */
export function plannedTrials(tune: TuneParams, base: TrainParams): TrialConfig[] {
  const space = searchSpace(tune, base);
  if (space.length === 0) throw new UserError('params.yaml: the tune: search space is empty; give at least one value for lr, batch_size, width and dropout');
  const ordered = tune.strategy === 'random' ? new Random(tune.seed).shuffle([...space]) : space;
  return ordered.slice(0, tune.trials);
}

/** `reports/tuning.csv`: one row per trial (the train stage's output beside the training log). */
export const TUNING_FILE = 'tuning.csv';

export const TUNING_COLUMNS = ['trial', 'arch', 'lr', 'batch_size', 'width', 'dropout', 'epochs', 'val_acc', 'val_loss', 'best_epoch', 'best'] as const;

export function tuningCsv(trials: readonly TrialResult[], epochs: number): string {
  const best = bestTrial(trials);
  return stringify(
    trials.map((t) => [
      t.trial,
      t.config.arch,
      t.config.lr,
      t.config.batch_size,
      t.config.width,
      t.config.dropout,
      epochs,
      t.valAcc.toFixed(5),
      t.valLoss.toFixed(5),
      t.bestEpoch,
      t === best ? 'true' : 'false',
    ]),
    { header: true, columns: [...TUNING_COLUMNS] },
  );
}

export async function writeTuningCsv(file: string, trials: readonly TrialResult[], epochs: number): Promise<void> {
  await writeFileAtomic(file, tuningCsv(trials, epochs));
}

/** Highest val accuracy; ties go to the lower val loss, then the earlier trial. */
export function bestTrial(trials: readonly TrialResult[]): TrialResult | undefined {
  let best: TrialResult | undefined;
  for (const t of trials) {
    if (!best || betterOnValidation({ acc: t.valAcc, loss: t.valLoss }, { acc: best.valAcc, loss: best.valLoss })) best = t;
  }
  return best;
}

export interface TuneOptions {
  train: PackedSplit;
  val: PackedSplit;
  params: TrainParams;
  tune: TuneParams;
  /** Rewritten after every trial, so an interrupted search keeps what it found. */
  csvFile?: string;
  quiet?: boolean;
  log?: (line: string) => void;
}

export interface TuneResult {
  trials: TrialResult[];
  best: TrialResult;
  /** `params` with the best trial's knobs: what the train stage then trains in full. */
  params: TrainParams;
  bestSummary: string;
  seconds: number;
}

/** The wall-clock facts of a search, as the timing file keeps them. */
export function tuneTiming(result: Pick<TuneResult, 'trials' | 'seconds'>): TuneTiming {
  return { seconds: result.seconds, trials: result.trials.map((t) => ({ trial: t.trial, seconds: t.seconds })) };
}

export function describeConfig(c: TrialConfig): string {
  return `arch ${c.arch}, lr ${c.lr}, batch ${c.batch_size}, width ${c.width}, dropout ${c.dropout}`;
}

/**
 * Hyperparameter search: each trial trains `tune.epochs` epochs on train with the base params plus
 * the trial's knobs (same seed, so trials differ only by their knobs) and is scored by its best
 * val accuracy. The best configuration is not kept as trained: the caller retrains it with the
 * full `train.epochs` schedule, since a short-schedule model is a worse model.
 */
export async function tune(options: TuneOptions): Promise<TuneResult> {
  const { tune: t, params } = options;
  const log = options.log ?? (() => {});
  const planned = plannedTrials(t, params);
  const started = Date.now();
  const trials: TrialResult[] = [];
  for (const [i, config] of planned.entries()) {
    if (t.max_minutes > 0 && trials.length > 0 && Date.now() - started >= t.max_minutes * 60_000) {
      log(`tuning: time budget of ${t.max_minutes} min reached after ${trials.length} trials`);
      break;
    }
    const trialStart = Date.now();
    const fit = await fitModel({
      train: options.train,
      val: options.val,
      params: { ...params, ...config, epochs: t.epochs, patience: 0, max_minutes: 0 },
      quiet: options.quiet,
      label: `trial ${i + 1}/${planned.length}`,
    });
    fit.model.dispose();
    const result: TrialResult = {
      trial: i + 1,
      config,
      valAcc: fit.best.val_acc,
      valLoss: fit.best.val_loss,
      bestEpoch: fit.best.epoch,
      seconds: (Date.now() - trialStart) / 1000,
    };
    trials.push(result);
    log(`trial ${result.trial}: ${describeConfig(config)} → val_acc ${(result.valAcc * 100).toFixed(2)}% (${result.seconds.toFixed(0)} s)`);
    if (options.csvFile) await writeTuningCsv(options.csvFile, trials, t.epochs);
  }
  const best = bestTrial(trials)!;
  return { trials, best, params: { ...params, ...best.config }, bestSummary: describeConfig(best.config), seconds: (Date.now() - started) / 1000 };
}
