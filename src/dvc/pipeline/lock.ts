import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../util/atomic.js';
import { UserError } from '../../util/errors.js';
import { command, hinted } from '../../util/hints.js';
import { compareCodePoints } from '../manifest.js';
import { type HashInfo } from '../hash.js';
import { dumpYaml } from '../yaml/emit.js';
import { loadYaml } from '../yaml/resolve.js';
import { isPyMapping, pyMapping, pyText, type PyValue } from '../yaml/values.js';
import { DEFAULT_PARAMS_FILE } from './dvcyaml.js';

/** `dvc.lock` (docs/dvc-format.md §5): what each stage last ran with and produced. */

export const LOCK_FILE = 'dvc.lock';
export const LOCK_SCHEMA = '2.0';

export interface LockEntry extends HashInfo {
  path: string;
  /** An executable file (DVC records `isexec: true`). */
  isexec?: boolean;
}

export type ParamValues = Record<string, Record<string, PyValue>>;

export interface LockStage {
  cmd: string | string[];
  deps: LockEntry[];
  /** Per params file, dotted key → value (typed as DVC reads it: `1.0` is a float). */
  params: ParamValues;
  outs: LockEntry[];
}

export type Lock = Map<string, LockStage>;

function entries(file: string, stage: string, key: string, value: PyValue | undefined): LockEntry[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value))
    throw new UserError(hinted`${file}: stages.${stage}.${key} must be a list; delete ${file} to rebuild it with ${command('repro', '--force')}`);
  return value.map((item) => {
    const raw = isPyMapping(item) ? item : {};
    const entry: LockEntry = { path: pyText(raw['path']), md5: pyText(raw['md5']), size: Number(raw['size']) };
    if (raw['nfiles'] !== undefined && raw['nfiles'] !== null) entry.nfiles = Number(raw['nfiles']);
    if (raw['isexec'] === true) entry.isexec = true;
    return entry;
  });
}

function parseParams(value: PyValue | undefined): ParamValues {
  if (!isPyMapping(value)) return {};
  return Object.fromEntries(Object.entries(value).map(([file, values]) => [file, isPyMapping(values) ? values : {}]));
}

/** The lock file's document as DVC reads it; an empty file is an empty document. */
function loadLockDoc(text: string, file: string): { [key: string]: PyValue } {
  let doc: PyValue;
  try {
    doc = loadYaml(text);
  } catch (error) {
    throw new UserError(hinted`${file} is not valid YAML (${(error as Error).message}); delete it and run ${command('repro', '--force')}`, { cause: error });
  }
  if (doc === null) return {};
  if (!isPyMapping(doc)) throw new UserError(hinted`${file} is not a mapping with "schema:" and "stages:"; delete it and run ${command('repro', '--force')}`);
  return doc;
}

/** One stage's entry of a lock file (or a run-cache entry, which has the same shape). */
export function lockStageFrom(value: PyValue, file: string, name: string): LockStage {
  const raw = isPyMapping(value) ? value : {};
  return {
    cmd: raw['cmd'] as string | string[],
    deps: entries(file, name, 'deps', raw['deps']),
    params: parseParams(raw['params']),
    outs: entries(file, name, 'outs', raw['outs']),
  };
}

export function parseLock(text: string, file: string): Lock {
  const doc = loadLockDoc(text, file);
  const stages = isPyMapping(doc['stages']) ? doc['stages'] : {};
  return new Map(Object.entries(stages).map(([name, value]) => [name, lockStageFrom(value, file, name)]));
}

async function readLockText(root: string): Promise<string | undefined> {
  return readFile(join(root, LOCK_FILE), 'utf8').catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? undefined : Promise.reject(error)));
}

/** Reads `<root>/dvc.lock`; an absent file is an empty lock. */
export async function readLock(root: string): Promise<Lock> {
  const text = await readLockText(root);
  return text === undefined ? new Map() : parseLock(text, join(root, LOCK_FILE));
}

/** One dep or out as DVC writes it: path, hash, md5, size, nfiles, isexec. */
function entryDoc(entry: LockEntry): { [key: string]: PyValue } {
  return pyMapping([
    ['path', entry.path],
    ['hash', 'md5'],
    ['md5', entry.md5],
    ['size', entry.size],
    ...(entry.nfiles !== undefined ? [['nfiles', entry.nfiles] as const] : []),
    ...(entry.isexec ? [['isexec', true] as const] : []),
  ]);
}

/** Params files in DVC's order: params.yaml first, then the others by name; keys sorted (not recursively). */
function paramsDoc(params: ParamValues): { [key: string]: PyValue } {
  const files = Object.keys(params).sort((a, b) => (a === DEFAULT_PARAMS_FILE ? -1 : b === DEFAULT_PARAMS_FILE ? 1 : compareCodePoints(a, b)));
  return pyMapping(
    files.map((file) => [
      file,
      pyMapping(
        Object.keys(params[file]!)
          .sort(compareCodePoints)
          .map((key) => [key, params[file]![key]!]),
      ),
    ]),
  );
}

/**
 * A stage's lock entry as DVC builds it (`to_single_stage_lockfile`): cmd, then deps, params and
 * outs when there are any, deps and outs sorted by path. The run-cache is keyed on this too.
 */
export function lockStageDoc(stage: LockStage): { [key: string]: PyValue } {
  const sorted = (list: readonly LockEntry[]) => [...list].sort((a, b) => compareCodePoints(a.path, b.path)).map(entryDoc);
  const doc: [string, PyValue][] = [['cmd', stage.cmd]];
  if (stage.deps.length > 0) doc.push(['deps', sorted(stage.deps)]);
  if (Object.keys(stage.params).length > 0) doc.push(['params', paramsDoc(stage.params)]);
  if (stage.outs.length > 0) doc.push(['outs', sorted(stage.outs)]);
  return pyMapping(doc);
}

/**
 * The lock text DVC writes (its YAML writer, src/dvc/yaml/emit.ts): `schema: '2.0'`, then the
 * stages in `stageOrder` (others after them).
 */
export function formatLock(lock: Lock, stageOrder: readonly string[] = []): string {
  const rank = (name: string) => (stageOrder.includes(name) ? stageOrder.indexOf(name) : Infinity);
  const names = [...lock.keys()].sort((a, b) => rank(a) - rank(b));
  return dumpYaml(
    pyMapping([
      ['schema', LOCK_SCHEMA],
      ['stages', pyMapping(names.map((name) => [name, lockStageDoc(lock.get(name)!)]))],
    ]),
  );
}

/**
 * Replaces one stage's entry in `<root>/dvc.lock` atomically, as DVC does: the other stages stay as
 * they were read, a stage already there keeps its place, a new one goes last. Returns whether the
 * file changed; a text that would stay byte for byte the same is not written.
 */
export async function writeLockStage(root: string, name: string, stage: LockStage): Promise<boolean> {
  const file = join(root, LOCK_FILE);
  const text = await readLockText(root);
  const doc = text === undefined ? {} : loadLockDoc(text, file);
  const base = Object.keys(doc).length === 0 ? pyMapping([['schema', LOCK_SCHEMA]]) : doc;
  const stages = isPyMapping(base['stages']) ? base['stages'] : {};
  // The stage keeps its place when it is there and goes last otherwise; so does `stages:` itself.
  const order = Object.hasOwn(stages, name) ? Object.keys(stages) : [...Object.keys(stages), name];
  const newStages = pyMapping(order.map((key) => [key, key === name ? lockStageDoc(stage) : stages[key]!]));
  const updated = Object.hasOwn(base, 'stages')
    ? pyMapping(Object.entries(base).map(([key, value]) => [key, key === 'stages' ? newStages : value]))
    : pyMapping([...Object.entries(base), ['stages', newStages]]);
  const next = dumpYaml(updated);
  if (next === text) return false;
  await writeFileAtomic(file, next);
  return true;
}
