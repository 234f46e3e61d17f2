import { fileURLToPath } from 'node:url';
import type { EvaluateInput } from './evaluate.js';
import type { PrepareInput } from './prepare.js';
import type { TrainInput } from './train.js';

/** The input of each stage the runner (stages/run.ts) can start, by name. */
export interface StageInputs {
  prepare: PrepareInput;
  train: TrainInput;
  evaluate: EvaluateInput;
}

export type StageName = keyof StageInputs;

/** The stage runner of this package: `node <STAGE_RUNNER> <stage> '<options as JSON>'`. */
export const STAGE_RUNNER = fileURLToPath(new URL('./run.js', import.meta.url));

/** The arguments after the runner's path that run `stage` with `input`. Types only here: no stage code is loaded. */
export function stageArgs<N extends StageName>(stage: N, input: StageInputs[N]): string[] {
  return [stage, JSON.stringify(input)];
}
