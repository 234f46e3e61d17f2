import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { writeFileAtomic } from '../../util/atomic.js';
import { UserError } from '../../util/errors.js';
import { command, hinted } from '../../util/hints.js';
import { compareCodePoints } from '../manifest.js';
import { type HashInfo } from '../hash.js';
import { DEFAULT_PARAMS_FILE } from './dvcyaml.js';

/** `dvc.lock` (dvc-format.md §5): what each stage last ran with and produced. */

export const LOCK_FILE = 'dvc.lock';
export const LOCK_SCHEMA = '2.0';

export interface LockEntry extends HashInfo {
  path: string;
}

export interface LockStage {
  cmd: string | string[];
  deps: LockEntry[];
  /** Per params file, dotted key → value. */
  params: Record<string, Record<string, unknown>>;
  outs: LockEntry[];
}

export type Lock = Map<string, LockStage>;

function entries(file: string, stage: string, key: string, value: unknown): LockEntry[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new UserError(hinted`${file}: stages.${stage}.${key} must be a list; delete ${file} to rebuild it with ${command('repro', '--force')}`);
  return value.map((item: Record<string, unknown>) => {
    const entry: LockEntry = { path: String(item['path']), md5: String(item['md5']), size: Number(item['size']) };
    if (item['nfiles'] !== undefined) entry.nfiles = Number(item['nfiles']);
    return entry;
  });
}

export function parseLock(text: string, file: string): Lock {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (error) {
    throw new UserError(hinted`${file} is not valid YAML (${(error as Error).message}); delete it and run ${command('repro', '--force')}`, { cause: error });
  }
  const lock: Lock = new Map();
  if (doc === null || doc === undefined) return lock;
  const stages = (doc as { stages?: Record<string, Record<string, unknown>> }).stages ?? {};
  for (const [name, raw] of Object.entries(stages)) {
    lock.set(name, {
      cmd: raw['cmd'] as string | string[],
      deps: entries(file, name, 'deps', raw['deps']),
      params: (raw['params'] as Record<string, Record<string, unknown>> | undefined) ?? {},
      outs: entries(file, name, 'outs', raw['outs']),
    });
  }
  return lock;
}

/** Reads `<root>/dvc.lock`; an absent file is an empty lock. */
export async function readLock(root: string): Promise<Lock> {
  const file = join(root, LOCK_FILE);
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? undefined : Promise.reject(error)));
  return text === undefined ? new Map() : parseLock(text, file);
}

function formatEntries(list: readonly LockEntry[]): Record<string, unknown>[] {
  return [...list]
    .sort((a, b) => compareCodePoints(a.path, b.path))
    .map((e) => ({ path: e.path, hash: 'md5', md5: e.md5, size: e.size, ...(e.nfiles !== undefined ? { nfiles: e.nfiles } : {}) }));
}

function formatParams(params: LockStage['params']): Record<string, Record<string, unknown>> {
  const files = Object.keys(params).sort((a, b) => (a === DEFAULT_PARAMS_FILE ? -1 : b === DEFAULT_PARAMS_FILE ? 1 : compareCodePoints(a, b)));
  const out: Record<string, Record<string, unknown>> = {};
  for (const file of files) {
    const values = params[file]!;
    out[file] = Object.fromEntries(Object.keys(values).sort(compareCodePoints).map((k) => [k, values[k]]));
  }
  return out;
}

/**
 * The lock text DVC writes: `schema: '2.0'`, then per stage cmd, deps, params, outs (empty ones
 * left out), deps and outs sorted by path, item keys in DVC's order, params.yaml first.
 */
export function formatLock(lock: Lock, stageOrder: readonly string[] = []): string {
  const names = [...lock.keys()].sort((a, b) => {
    const ia = stageOrder.indexOf(a);
    const ib = stageOrder.indexOf(b);
    return (ia < 0 ? Infinity : ia) - (ib < 0 ? Infinity : ib);
  });
  const stages: Record<string, Record<string, unknown>> = {};
  for (const name of names) {
    const stage = lock.get(name)!;
    const entry: Record<string, unknown> = { cmd: stage.cmd };
    if (stage.deps.length > 0) entry['deps'] = formatEntries(stage.deps);
    if (Object.keys(stage.params).length > 0) entry['params'] = formatParams(stage.params);
    if (stage.outs.length > 0) entry['outs'] = formatEntries(stage.outs);
    stages[name] = entry;
  }
  return stringify({ schema: LOCK_SCHEMA, stages }, { indentSeq: false, singleQuote: true, lineWidth: 80 });
}

/** Replaces one stage's entry in `<root>/dvc.lock` atomically, keeping the others as they are. */
export async function writeLockStage(root: string, name: string, stage: LockStage, stageOrder: readonly string[]): Promise<void> {
  const lock = await readLock(root);
  lock.set(name, stage);
  await writeFileAtomic(join(root, LOCK_FILE), formatLock(lock, stageOrder));
}
