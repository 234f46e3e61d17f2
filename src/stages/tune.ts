import { readPackedSplit } from '../data/packed.js';
import { readPreparedInfo } from '../data/prepared-info.js';
import type { TrainParams, TuneParams } from '../model/params.js';
import { tune, tuneTiming, writeTuningCsv, type TuneOptions, type TuneResult } from '../model/tune.js';
import { UserError } from '../util/errors.js';
import type { TuneTiming } from '../util/timing.js';
import { silent, type StageOutput } from './output.js';

/** `tune` on the prepared splits in `preparedDir`. */
export async function tuneOnPrepared(options: Omit<TuneOptions, 'train' | 'val'> & { preparedDir: string }): Promise<TuneResult> {
  const [, train, val] = await Promise.all([
    readPreparedInfo(options.preparedDir),
    readPackedSplit(options.preparedDir, 'train'),
    readPackedSplit(options.preparedDir, 'val'),
  ]);
  if (val.labels.length === 0)
    throw new UserError(`${options.preparedDir}: the val split is empty, but tuning scores trials on it; set prepare.val > 0 and re-run \`cifar10 prepare\``);
  return tune({ ...options, train, val });
}

export interface TuneStepOptions {
  preparedDir: string;
  /** All trials, rewritten after each; header only when tuning is off. */
  tuningFile: string;
  params: TrainParams;
  tune: TuneParams;
  quiet?: boolean;
}

export interface TuneStepResult {
  /** The params to train with: the best trial's knobs, or `params` as given when tuning is off. */
  params: TrainParams;
  /** The search, when tune.enabled. */
  result?: TuneResult;
  timing?: TuneTiming;
}

/**
 * The tuning step of the train stage, on the tfjs backend already selected: with tune.enabled a
 * search over the prepared splits, else only the header of the tuning file, which dvc.yaml declares
 * as an output and so must exist after every run.
 */
export async function tuneStep(options: TuneStepOptions, out: StageOutput = {}): Promise<TuneStepResult> {
  if (!options.tune.enabled) {
    await writeTuningCsv(options.tuningFile, [], options.tune.epochs);
    return { params: options.params };
  }
  const result = await tuneOnPrepared({
    preparedDir: options.preparedDir,
    params: options.params,
    tune: options.tune,
    csvFile: options.tuningFile,
    quiet: options.quiet,
    log: out.note ?? silent,
  });
  (out.say ?? silent)(
    `tuning: ${result.trials.length} trials in ${(result.seconds / 60).toFixed(1)} min; best val_acc ${(result.best.valAcc * 100).toFixed(2)}% with ${result.bestSummary}; wrote ${options.tuningFile}`,
  );
  return { params: result.params, result, timing: tuneTiming(result) };
}
