import { z } from 'zod';
import { param, paramsGroup, type ParamsSource } from '../params.js';

/** The `data:` group of params.yaml: which partitions a run trains on. */
export const DATA_PARAMS = z.object({
  versions: param.text({ default: 'v1', description: 'partitions to train on: v1, v1+v2, …' }),
});

/** The `prepare:` group: how the partitions are split into train/val/test. */
export const PREPARE_PARAMS = z.object({
  seed: param.integer({ default: 42 }),
  train: param.number({ default: 0.8, min: 0, max: 1 }),
  val: param.number({ default: 0.1, min: 0, max: 1 }),
  test: param.number({ default: 0.1, min: 0, max: 1 }),
});

export type DataParams = z.output<typeof DATA_PARAMS>;
export type PrepareParams = z.output<typeof PREPARE_PARAMS>;

/** Reads both groups of an already-read params document. */
export function prepareParamsFrom(doc: Record<string, unknown>, file?: ParamsSource): { data: DataParams; prepare: PrepareParams } {
  return { data: paramsGroup(doc, 'data', DATA_PARAMS, file), prepare: paramsGroup(doc, 'prepare', PREPARE_PARAMS, file) };
}
