import { readFile } from 'node:fs/promises';
import { dirname, join, posix, resolve } from 'node:path';
import { parse } from 'yaml';
import { UserError } from '../../util/errors.js';
import { invalidYamlError } from '../messages.js';
import { unsafePathReason, UnsafePathError } from '../paths.js';

/**
 * `dvc.yaml` (docs/dvc-format.md §5) as the native runner understands it: stages with `cmd`, `wdir`,
 * `deps`, `params`, `outs`, `metrics`, `plots`, `frozen`, `always_changed`. Paths stay as written
 * (relative to the stage's wdir) because that is how `dvc.lock` records them.
 */

export const PIPELINE_FILE = 'dvc.yaml';
/** The params file a stage's `params:` keys come from unless they name another (DVC's default). */
export const DEFAULT_PARAMS_FILE = 'params.yaml';

export interface StageOut {
  /** As written in dvc.yaml, relative to the stage's wdir. */
  path: string;
  /** False for `{cache: false}` outputs (metrics usually): hashed into the lock, not stored. */
  cache: boolean;
  /** `persist: true` outputs are not removed before the stage runs. */
  persist: boolean;
  /** The list of dvc.yaml it is in: DVC keeps a run-cache only when every `cache: false` output is a metric or a plot. */
  kind: OutKind;
}

export type OutKind = 'out' | 'metric' | 'plot';

export interface StageParam {
  /** Params file, relative to the stage's wdir. */
  file: string;
  /** Dotted key as written (`train.seed`, or a whole group `train`). */
  key: string;
}

export interface Stage {
  name: string;
  cmd: string | string[];
  /** Absolute working folder of the command. */
  wdir: string;
  deps: string[];
  params: StageParam[];
  outs: StageOut[];
  frozen: boolean;
  alwaysChanged: boolean;
  desc?: string;
}

export interface Pipeline {
  /** Absolute path of dvc.yaml. */
  file: string;
  stages: Stage[];
}

const STAGE_KEYS = new Set(['cmd', 'wdir', 'deps', 'params', 'outs', 'metrics', 'plots', 'frozen', 'always_changed', 'desc', 'meta']);
const TEMPLATING = ['vars', 'foreach', 'matrix', 'do'];

function fail(file: string, what: string): never {
  throw new UserError(`${file}: ${what}`);
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function list(file: string, where: string, value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) fail(file, `${where} must be a list`);
  return value;
}

function parseOuts(file: string, where: string, value: unknown, kind: OutKind): StageOut[] {
  return list(file, where, value).map((item, i) => {
    if (typeof item === 'string') return { path: item, cache: true, persist: false, kind };
    if (isMapping(item) && Object.keys(item).length === 1) {
      const [path, flags] = Object.entries(item)[0]!;
      const options = flags ?? {};
      if (!isMapping(options)) fail(file, `${where}[${i}] "${path}": options must be a mapping such as {cache: false}`);
      const cache = options['cache'] ?? true;
      const persist = options['persist'] ?? false;
      if (typeof cache !== 'boolean' || typeof persist !== 'boolean') fail(file, `${where}[${i}] "${path}": cache and persist must be true or false`);
      return { path, cache, persist, kind };
    }
    return fail(file, `${where}[${i}] must be a path or {path: {options}}`);
  });
}

function parseParams(file: string, where: string, value: unknown): StageParam[] {
  const params: StageParam[] = [];
  for (const [i, item] of list(file, where, value).entries()) {
    if (typeof item === 'string') {
      params.push({ file: DEFAULT_PARAMS_FILE, key: item });
      continue;
    }
    if (isMapping(item)) {
      for (const [paramsFile, keys] of Object.entries(item)) {
        if (!Array.isArray(keys) || keys.some((k) => typeof k !== 'string')) {
          fail(file, `${where}[${i}] "${paramsFile}": list the keys to track (a whole file is not supported by the native runner)`);
        }
        for (const key of keys as string[]) params.push({ file: paramsFile, key });
      }
      continue;
    }
    fail(file, `${where}[${i}] must be a key or {file: [keys]}`);
  }
  return params;
}

/**
 * Checks a path of a stage (its wdir, an output, a dependency, a params file) by the path rule of
 * src/dvc/paths.ts, taken from the folder of dvc.yaml: `..` may appear as long as the path stays
 * in the repository, as DVC allows (`wdir: src`, `../data`). An output is removed before its stage
 * runs, so one outside the repository would delete the user's files.
 */
function checkStagePath(file: string, where: string, wdir: string, path: string): void {
  const reason = /^(\/|[a-z]:)/i.test(path) ? 'it is an absolute path' : unsafePathReason(posix.normalize(posix.join(wdir, path)), { loose: true });
  if (reason !== undefined) {
    throw new UnsafePathError(
      `${file}: ${where} ${JSON.stringify(path)} is refused: ${reason}. Stage paths must stay inside the repository and out of .git/ and .dvc/; fix ${file}`,
    );
  }
}

function parseStage(file: string, name: string, raw: unknown): Stage {
  if (!isMapping(raw)) fail(file, `stage "${name}" must be a mapping`);
  for (const key of Object.keys(raw)) {
    if (TEMPLATING.includes(key))
      fail(file, `stage "${name}" uses "${key}": templating is not supported by the native runner; run the real \`dvc repro\` for it`);
    if (!STAGE_KEYS.has(key)) fail(file, `stage "${name}" has an unknown key "${key}"; known keys: ${[...STAGE_KEYS].join(', ')}`);
  }
  const cmd = raw['cmd'];
  const validCmd = typeof cmd === 'string' || (Array.isArray(cmd) && cmd.length > 0 && cmd.every((c) => typeof c === 'string'));
  if (!validCmd) fail(file, `stage "${name}" needs a cmd (a string or a list of strings)`);
  const wdir = raw['wdir'] ?? '.';
  if (typeof wdir !== 'string') fail(file, `stage "${name}": wdir must be a path`);
  if (posix.normalize(wdir) !== '.') checkStagePath(file, `stage "${name}" wdir`, '.', wdir);
  const deps = list(file, `stage "${name}" deps`, raw['deps']).map((d, i) =>
    typeof d === 'string' ? d : fail(file, `stage "${name}" deps[${i}] must be a path`),
  );
  const outs = [
    ...parseOuts(file, `stage "${name}" outs`, raw['outs'], 'out'),
    ...parseOuts(file, `stage "${name}" metrics`, raw['metrics'], 'metric'),
    ...parseOuts(file, `stage "${name}" plots`, raw['plots'], 'plot'),
  ];
  const params = parseParams(file, `stage "${name}" params`, raw['params']);
  deps.forEach((dep, i) => checkStagePath(file, `stage "${name}" deps[${i}]`, wdir, dep));
  outs.forEach((out) => checkStagePath(file, `stage "${name}" output`, wdir, out.path));
  for (const param of params) checkStagePath(file, `stage "${name}" params file`, wdir, param.file);
  const flag = (key: string): boolean => {
    const value = raw[key] ?? false;
    return typeof value === 'boolean' ? value : fail(file, `stage "${name}": ${key} must be true or false`);
  };
  return {
    name,
    cmd: cmd as string | string[],
    wdir: resolve(dirname(file), wdir),
    deps,
    params,
    outs,
    frozen: flag('frozen'),
    alwaysChanged: flag('always_changed'),
    desc: typeof raw['desc'] === 'string' ? raw['desc'] : undefined,
  };
}

/** Parses the text of a dvc.yaml; `file` is its absolute path (stage wdirs resolve against it). */
export function parsePipeline(text: string, file: string): Pipeline {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (error) {
    throw invalidYamlError(file, (error as Error).message, error);
  }
  if (!isMapping(doc)) fail(file, 'expected a mapping with a "stages:" key');
  for (const key of TEMPLATING) if (key in doc) fail(file, `"${key}" (templating) is not supported by the native runner; run the real \`dvc repro\` for it`);
  const stages = doc['stages'];
  if (!isMapping(stages)) fail(file, 'expected "stages:" with at least one stage');
  const pipeline = { file, stages: Object.entries(stages).map(([name, raw]) => parseStage(file, name, raw)) };
  checkOutputsUnique(pipeline);
  return pipeline;
}

function checkOutputsUnique(pipeline: Pipeline): void {
  const owner = new Map<string, string>();
  for (const stage of pipeline.stages) {
    for (const out of stage.outs) {
      const abs = join(stage.wdir, out.path);
      const other = owner.get(abs);
      if (other) fail(pipeline.file, `output "${out.path}" of stage "${stage.name}" is also an output of stage "${other}"; each path has one producer`);
      owner.set(abs, stage.name);
    }
  }
}

/** Reads `<root>/dvc.yaml`. */
export async function readPipeline(root: string): Promise<Pipeline> {
  const file = join(root, PIPELINE_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UserError(`cannot read ${file}: ${(error as Error).message}; run from the project root (the folder holding dvc.yaml)`, { cause: error });
  }
  return parsePipeline(text, file);
}

/** The stage called `name`, or a UserError listing the stages there are. */
export function findStage(pipeline: Pipeline, name: string): Stage {
  const stage = pipeline.stages.find((s) => s.name === name);
  if (!stage) throw new UserError(`${pipeline.file} has no stage "${name}"; stages: ${pipeline.stages.map((s) => s.name).join(', ')}`);
  return stage;
}
