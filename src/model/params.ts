import { z } from 'zod';
import { param, paramsGroup, type ParamsSource } from '../params.js';
import { BACKEND_CHOICES } from './backend-choices.js';

/** The networks `train.arch` names (built in architectures.ts, which loads tfjs; this file does not). */
export const ARCHITECTURES = ['fast', 'deep', 'bn'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

/** The `train:` group of params.yaml. */
export const TRAIN_PARAMS = z.object({
  seed: param.integer({ default: 42 }),
  arch: param.choice(ARCHITECTURES, { default: 'bn' }),
  width: param.number({ default: 1, min: 0.125, max: 8, description: 'channel multiplier' }),
  dropout: param.number({ default: 0, min: 0, max: 0.9 }),
  epochs: param.integer({ default: 6, min: 1 }),
  batch_size: param.integer({ default: 128, min: 1 }),
  lr: param.number({ default: 0.003, above: 0, hint: 'every schedule scales this rate, so at 0 the weights never change' }),
  schedule: param.choice(['onecycle', 'cosine', 'constant'], { default: 'onecycle' }),
  warmup: param.number({ default: 0.15, min: 0, max: 1, description: 'share of training spent warming the learning rate up' }),
  label_smoothing: param.number({ default: 0.1, min: 0, max: 0.5 }),
  crop_padding: param.integer({ default: 2, min: 0, max: 8 }),
  flip: param.flag({ default: true }),
  patience: param.integer({ default: 0, min: 0, description: 'stop after this many epochs without a better val accuracy (0 = never)' }),
  max_minutes: param.number({ default: 0, min: 0, description: 'training time budget; the schedule anneals to it (0 = none)' }),
  backend: param.choice(BACKEND_CHOICES, { default: 'auto' }),
});

/** The `tune:` group: the hyperparameter search the train stage runs first when enabled. */
export const TUNE_PARAMS = z.object({
  enabled: param.flag({ default: false }),
  strategy: param.choice(['grid', 'random'], { default: 'random', description: 'grid: every combination in order; random: a seeded sample of them' }),
  trials: param.integer({ default: 6, min: 1, description: 'at most this many trials' }),
  max_minutes: param.number({ default: 0, min: 0, description: 'stop starting trials after this long (0 = no limit)' }),
  epochs: param.integer({ default: 3, min: 1, description: 'epochs per trial' }),
  seed: param.integer({ default: 42 }),
  lr: param.numbers({ default: [0.001, 0.003, 0.01], above: 0, hint: 'a trial at a learning rate of 0 never changes its weights' }),
  batch_size: param.integers({ default: [128], min: 1 }),
  width: param.numbers({ default: [1], min: 0.125 }),
  dropout: param.numbers({ default: [0], min: 0, max: 0.9 }),
  arch: param.choices(ARCHITECTURES, { default: [], description: 'empty: train.arch only' }),
});

export type TrainParams = z.output<typeof TRAIN_PARAMS>;
export type TuneParams = z.output<typeof TUNE_PARAMS>;

export function trainParamsFrom(doc: Record<string, unknown>, file?: ParamsSource): TrainParams {
  return paramsGroup(doc, 'train', TRAIN_PARAMS, file);
}

export function tuneParamsFrom(doc: Record<string, unknown>, file?: ParamsSource): TuneParams {
  return paramsGroup(doc, 'tune', TUNE_PARAMS, file);
}
