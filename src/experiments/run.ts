import { join } from 'node:path';
import { applyOverrides, valueAt } from '../dvc/index.js';
import { DEFAULT_PARAMS_FILE, readParamsFile } from '../params.js';
import { UserError } from '../util/errors.js';
import { runCell, type CellOptions, type CellResult } from './cell.js';

/** `exp run`: one experiment from params.yaml and `-S` overrides. */
export interface ExperimentOptions extends Pick<CellOptions, 'root' | 'resultsDir' | 'log' | 'signal'> {
  /** `-S` overrides; train.seed and data.versions among them name the cell. */
  overrides?: readonly string[];
}

/** Runs the one cell that params.yaml with the overrides describes (its train.seed and data.versions). */
export async function runExperiment(options: ExperimentOptions): Promise<CellResult> {
  const { root } = options;
  const overrides = options.overrides ?? [];
  const paramsFile = join(root, DEFAULT_PARAMS_FILE);
  const params = (await applyOverrides(root, overrides, { write: false })).get(paramsFile) ?? (await readParamsFile(paramsFile));
  const seed = valueAt(params, 'train.seed');
  const versions = valueAt(params, 'data.versions');
  if (typeof seed !== 'number' || typeof versions !== 'string')
    throw new UserError('params.yaml needs train.seed (a number) and data.versions (a spec such as v1+v2)');
  const extra = overrides.filter((o) => !/^(\+\+)?(params\.yaml:)?(train\.seed|data\.versions)=/.test(o));
  return runCell({ root, seed, versions, overrides: extra, resultsDir: options.resultsDir, log: options.log, signal: options.signal });
}
