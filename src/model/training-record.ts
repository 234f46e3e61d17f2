import { join } from 'node:path';
import { z } from 'zod';
import { readJsonFileIfPresent, writeJsonFile, type JsonFileFormat } from '../util/json-file.js';
import { ARCHITECTURES, TRAIN_PARAMS } from './params.js';

export const TRAINING_FILE = 'training.json';

const triple = z.tuple([z.number(), z.number(), z.number()]);

/**
 * `models/model/training.json`: how the model was made, read back by predict and evaluate. Only
 * facts the seed, data and params determine (dvc.lock hashes it); how long it took is in the
 * timing file.
 */
const TrainingRecordSchema = z.object({
  arch: z.enum(ARCHITECTURES),
  backend: z.string(),
  backendDetail: z.string(),
  /** Per-channel mean and std the pixels were normalised with: prediction must use the same. */
  normalisation: z.object({ mean: triple, std: triple }),
  epochsRun: z.number().int(),
  bestEpoch: z.number().int(),
  bestValAcc: z.number(),
  bestValLoss: z.number(),
  stoppedEarly: z.boolean(),
  outOfTime: z.boolean(),
  trainImages: z.number().int(),
  valImages: z.number().int(),
  dataVersions: z.string(),
  params: TRAIN_PARAMS,
});

export type TrainingInfo = z.output<typeof TrainingRecordSchema>;

const TRAINING_RECORD: JsonFileFormat<typeof TrainingRecordSchema> = {
  what: 'a training record',
  version: 1,
  schema: TrainingRecordSchema,
  create: 'run `cifar10 train` first',
  repair: 're-run `cifar10 train`',
};

/** The record in `modelDir`, or undefined for a bare layers model without one. */
export async function readTrainingRecord(modelDir: string): Promise<TrainingInfo | undefined> {
  return readJsonFileIfPresent(join(modelDir, TRAINING_FILE), TRAINING_RECORD);
}

export async function writeTrainingRecord(modelDir: string, training: TrainingInfo): Promise<void> {
  await writeJsonFile(join(modelDir, TRAINING_FILE), TRAINING_RECORD, training);
}
