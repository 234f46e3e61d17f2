import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { CIFAR_NORMALISATION } from '../data/batches.js';
import { readPackedSplit } from '../data/packed.js';
import { readPreparedInfo } from '../data/prepared-info.js';
import { BACKEND_CHOICES, selectBackend, type ActiveBackend } from '../model/backend.js';
import { fitModel, type FitResult } from '../model/fit.js';
import { saveLayersModel } from '../model/model-files.js';
import { trainParamsFrom, tuneParamsFrom, type TrainParams } from '../model/params.js';
import { trainLogTsv } from '../model/train-log.js';
import { TRAINING_FILE, writeTrainingRecord, type TrainingInfo } from '../model/training-record.js';
import { readParamsFile } from '../params.js';
import { writeFileAtomic } from '../util/atomic.js';
import { UserError } from '../util/errors.js';
import { TIMING_FILE, writeTiming, type TrainTiming, type TuneTiming } from '../util/timing.js';
import { silent, type StageOutput } from './output.js';
import { tuneStep } from './tune.js';

export interface TrainOptions {
  preparedDir: string;
  modelDir: string;
  logFile: string;
  /** Where the wall-clock facts go (default: `timing.json` beside `logFile`). */
  timingFile?: string;
  /** The tuning that chose `params`, recorded in the timing file beside the training's own. */
  tuning?: TuneTiming;
  params: TrainParams;
  backend: ActiveBackend;
  quiet?: boolean;
  /** Per-epoch summary lines (stderr in the CLI). */
  log?: (line: string) => void;
}

export interface TrainStageResult {
  training: TrainingInfo;
  timing: TrainTiming;
}

/** The wall-clock facts of a fit, as the timing file keeps them. */
function trainTiming(result: Pick<FitResult, 'history' | 'seconds' | 'imagesPerSecond'>, backend: string): TrainTiming {
  return {
    backend,
    seconds: result.seconds,
    images_per_second: result.imagesPerSecond,
    epochs: result.history.map((r) => ({ epoch: r.epoch, seconds: r.seconds, images_per_second: r.images_per_s })),
  };
}

/**
 * Training on prepared splits: reads the train/val splits, trains, checkpoints the best epoch (by val
 * accuracy) into `modelDir` in tfjs layers format, rewrites `logFile` after every epoch and writes
 * training.json, then the timing file. The old training.json goes before the first checkpoint, so
 * a failed or interrupted run never leaves new weights described by the previous run's record.
 */
export async function trainOnPrepared(options: TrainOptions): Promise<TrainStageResult> {
  const [info, train, val] = await Promise.all([
    readPreparedInfo(options.preparedDir),
    readPackedSplit(options.preparedDir, 'train'),
    readPackedSplit(options.preparedDir, 'val'),
  ]);
  if (val.labels.length === 0) {
    throw new UserError(
      `${options.preparedDir}: the val split is empty, but training picks its best epoch on it; set prepare.val > 0 and re-run \`cifar10 prepare\``,
    );
  }
  const log = options.log ?? (() => {});
  await rm(join(options.modelDir, TRAINING_FILE), { force: true });
  log(
    `training ${options.params.arch} on ${train.labels.length} images (${info.versions}), validating on ${val.labels.length}, backend ${options.backend.detail}`,
  );
  const result = await fitModel({
    train,
    val,
    params: options.params,
    quiet: options.quiet,
    onImproved: (model) => saveLayersModel(model, options.modelDir),
    onEpoch: async (r, history) => {
      log(
        `epoch ${r.epoch}: loss ${r.loss.toFixed(4)} acc ${(r.acc * 100).toFixed(2)}% | val_loss ${r.val_loss.toFixed(4)} val_acc ${(r.val_acc * 100).toFixed(2)}% | lr ${r.lr.toExponential(2)} | ${r.seconds.toFixed(1)} s, ${r.images_per_s.toFixed(0)} images/s`,
      );
      await writeFileAtomic(options.logFile, trainLogTsv(history));
    },
  });
  result.model.dispose();
  const training: TrainingInfo = {
    arch: options.params.arch,
    backend: options.backend.name,
    backendDetail: options.backend.detail,
    normalisation: CIFAR_NORMALISATION,
    epochsRun: result.history.length,
    bestEpoch: result.best.epoch,
    bestValAcc: result.best.val_acc,
    bestValLoss: result.best.val_loss,
    stoppedEarly: result.stoppedEarly,
    outOfTime: result.outOfTime,
    trainImages: train.labels.length,
    valImages: val.labels.length,
    dataVersions: info.versions,
    params: options.params,
  };
  await writeTrainingRecord(options.modelDir, training);
  const timing = trainTiming(result, options.backend.name);
  await writeTiming(options.timingFile ?? join(dirname(options.logFile), TIMING_FILE), { train: timing, tune: options.tuning });
  return { training, timing };
}

/** What the train stage reads and writes; paths relative to the current folder. */
export const TrainInput = z.strictObject({
  /** Parameters: groups train: and tune:. */
  params: z.string(),
  prepared: z.string(),
  /** Output folder: model.json + weights.bin (best val epoch) + training.json. */
  model: z.string(),
  /** Per-epoch log for DVC plots. */
  log: z.string(),
  /** All tuning trials (header only when tune.enabled is false). */
  tuning: z.string(),
  /** Wall-clock facts, kept out of the DVC outputs (default: timing.json beside `log`). */
  timing: z.string().optional(),
  /** tfjs backend (default: train.backend of the params). */
  backend: z.enum(BACKEND_CHOICES).optional(),
  quiet: z.boolean().optional(),
});
export type TrainInput = z.infer<typeof TrainInput>;

export interface TrainResult extends TrainStageResult {
  backend: ActiveBackend;
}

/**
 * The train stage: the train: and tune: params, the tfjs backend, tuning first when tune.enabled
 * (the best trial's knobs are then trained in full), then training on the prepared splits.
 */
export async function trainStage(input: TrainInput, out: StageOutput = {}): Promise<TrainResult> {
  const note = out.note ?? silent;
  const doc = await readParamsFile(input.params);
  const params = trainParamsFrom(doc, input.params);
  const tune = tuneParamsFrom(doc, input.params);
  const backend = await selectBackend(input.backend ?? params.backend);
  note(`backend: ${backend.name} (${backend.detail})`);
  const tuned = await tuneStep({ preparedDir: input.prepared, tuningFile: input.tuning, params, tune, quiet: input.quiet }, out);
  const result = await trainOnPrepared({
    preparedDir: input.prepared,
    modelDir: input.model,
    logFile: input.log,
    timingFile: input.timing,
    tuning: tuned.timing,
    params: tuned.params,
    backend,
    quiet: input.quiet,
    log: note,
  });
  const { training: info, timing } = result;
  (out.say ?? silent)(
    `${input.model}: ${info.arch}, best epoch ${info.bestEpoch}/${info.epochsRun} val_acc ${(info.bestValAcc * 100).toFixed(2)}%, ` +
      `${(timing.seconds / 60).toFixed(1)} min, ${timing.images_per_second.toFixed(0)} images/s on ${info.backend}${info.stoppedEarly ? ' (stopped early)' : ''}${info.outOfTime ? ' (time budget reached)' : ''}`,
  );
  return { ...result, backend };
}
