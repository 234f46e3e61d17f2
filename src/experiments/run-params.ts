import { isAbsolute, join, relative } from 'node:path';
import { prepareParamsFrom } from '../data/params.js';
import { parseOverride } from '../dvc/index.js';
import { DEFAULT_PARAMS_FILE, paramsGroup, readParamsFile } from '../params.js';
import { EVALUATE_PARAMS } from '../evaluate/params.js';
import { trainParamsFrom, tuneParamsFrom } from '../model/params.js';

/**
 * Checks every stage's group of a run's params (params.yaml with the run's `-S` overrides) before
 * anything of the run starts, so a value that cannot work, such as `-S train.lr=0`, fails at once
 * and not minutes later in the train stage, and the message blames the override that set it, or
 * params.yaml when the file holds it.
 */
export async function checkRunParams(root: string, doc: Record<string, unknown> | undefined, overrides: readonly string[]): Promise<void> {
  const file = join(root, DEFAULT_PARAMS_FILE);
  const params = doc ?? (await readParamsFile(file));
  const shown = relative(process.cwd(), file);
  const fileLabel = shown && !shown.startsWith('..') && !isAbsolute(shown) ? shown : file;
  const setBy = new Map<string, string>();
  for (const text of overrides) {
    const override = parseOverride(text);
    if (override.file === DEFAULT_PARAMS_FILE) setBy.set(override.key, `-S ${text}`);
  }
  const source = (key: string) => setBy.get(key) ?? fileLabel;
  prepareParamsFrom(params, source);
  trainParamsFrom(params, source);
  tuneParamsFrom(params, source);
  paramsGroup(params, 'evaluate', EVALUATE_PARAMS, source);
}
