import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../util/atomic.js';
import { isDirHash } from '../hash.js';
import { hasObject, hasTree } from '../object-store.js';
import { dictSha256 } from '../yaml/pyjson.js';
import { dumpYaml } from '../yaml/emit.js';
import { loadYaml } from '../yaml/resolve.js';
import { isPyMapping, type PyValue } from '../yaml/values.js';
import type { Stage } from './dvcyaml.js';
import { type LockEntry, type LockStage, lockStageDoc, lockStageFrom } from './lock.js';

/**
 * DVC's run-cache (`dvc/stage/cache.py`): after a stage runs, its lock entry is kept under
 * `<cache>/runs/<key[:2]>/<key>/<value>`, where the key is the SHA-256 of the entry with its outputs
 * reduced to their paths (what went in: command, deps, params) and the value the SHA-256 of the
 * whole entry (what came out), both without `size` and `nfiles`. When a stage must run and an entry
 * for its inputs exists with every output in the cache, the outputs are checked out instead of
 * running the command. The cache folder is the one objects live in (`.dvc/cache`, beside `files/`).
 */

const RUNS_DIR = 'runs';
const UNHASHED = ['size', 'nfiles'];

/** Whether DVC can key a stage at all (`_can_hash`): a command, deps and outs, not always_changed, no persist output. */
export function canHashStage(stage: Stage): boolean {
  return !stage.alwaysChanged && stage.deps.length > 0 && stage.outs.length > 0 && !stage.outs.some((out) => out.persist);
}

/** Whether DVC keeps a run-cache entry for a stage after it runs: its `cache: false` outputs must all be metrics or plots. */
export function keepsRunCache(stage: Stage): boolean {
  return canHashStage(stage) && !stage.outs.some((out) => !out.cache && out.kind === 'out');
}

/** The run-cache key of a stage's inputs: its lock entry with outputs reduced to paths. */
export function runCacheKey(stage: LockStage): string {
  const doc = lockStageDoc(stage);
  const outs = Array.isArray(doc['outs']) ? doc['outs'] : [];
  return dictSha256({ ...doc, outs: outs.map((out) => (isPyMapping(out) ? out['path']! : out)) } as PyValue, UNHASHED);
}

/** The run-cache value of a finished run: its whole lock entry. */
function runCacheValue(stage: LockStage): string {
  return dictSha256(lockStageDoc(stage), UNHASHED);
}

function runCacheDir(cacheDir: string, key: string): string {
  return join(cacheDir, RUNS_DIR, key.slice(0, 2), key);
}

async function readEntry(path: string): Promise<LockStage | undefined> {
  const text = await readFile(path, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const doc = loadYaml(text);
    // DVC drops an entry that does not read as a stage's lock entry; so does this.
    if (!isPyMapping(doc) || (typeof doc['cmd'] !== 'string' && !Array.isArray(doc['cmd'])) || !Array.isArray(doc['outs'])) return undefined;
    return lockStageFrom(doc, path, 'run-cache entry');
  } catch {
    return undefined;
  }
}

/** The newest entry recorded for `key` (DVC takes the most recently written one), if any. */
export async function loadRunCache(cacheDir: string, key: string): Promise<LockStage | undefined> {
  const dir = runCacheDir(cacheDir, key);
  const names = await readdir(dir).catch(() => [] as string[]);
  const dated = await Promise.all(
    names.filter((name) => /^[0-9a-f]{64}$/.test(name)).map(async (name) => ({ name, mtime: (await stat(join(dir, name))).mtimeMs })),
  );
  dated.sort((a, b) => b.mtime - a.mtime);
  for (const { name } of dated) {
    const entry = await readEntry(join(dir, name));
    if (entry) return entry;
  }
  return undefined;
}

/** Records a finished run (nothing changes when the same entry is already there). */
export async function saveRunCache(cacheDir: string, stage: LockStage): Promise<string> {
  const key = runCacheKey(stage);
  const path = join(runCacheDir(cacheDir, key), runCacheValue(stage));
  if (await readEntry(path)) return path;
  await mkdir(runCacheDir(cacheDir, key), { recursive: true });
  await writeFileAtomic(path, dumpYaml(lockStageDoc(stage)));
  return path;
}

/** Whether every output of an entry is in the cache (a folder with all its files). */
export async function outputsCached(cacheDir: string, outs: readonly LockEntry[]): Promise<boolean> {
  for (const out of outs) {
    const present = isDirHash(out.md5) ? await hasTree(cacheDir, out.md5) : await hasObject(cacheDir, out.md5);
    if (!present) return false;
  }
  return true;
}
