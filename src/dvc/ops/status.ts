import { stat } from 'node:fs/promises';
import { hasObject, MissingObjectError, objectKey, readDirManifest } from '../object-store.js';
import { dirHashInfo, hashDirFiles, type HashInfo, hashPath, isDirHash } from '../hash.js';
import { IgnoreRules } from '../dvcignore.js';
import { type ManifestEntry } from '../manifest.js';
import { DEFAULT_JOBS } from '../jobs.js';
import { mapLimit } from '../../util/map-limit.js';
import type { Repo } from '../repo.js';
import { downloadObject, type TransferOptions } from './fetch.js';
import { type CollectOptions, collectOutputs, type TrackedOutput } from './outputs.js';
import { lazyRemote } from './remote-store.js';

/**
 * Workspace status (`dvc status`): each output is `up to date`, `new` (its `.dvc` file records no
 * hash yet), `modified`, `deleted` (gone from the workspace) or `not in cache`. A modified
 * directory lists which of its files were added, changed or deleted.
 */
export type WorkspaceState = 'up to date' | 'new' | 'modified' | 'deleted' | 'not in cache';

export interface FileChanges {
  added: string[];
  modified: string[];
  deleted: string[];
}

export interface OutputStatus {
  label: string;
  dvcFile: string;
  state: WorkspaceState;
  /** For a modified directory whose old manifest is in the cache. */
  changes?: FileChanges;
}

function diffManifests(before: readonly ManifestEntry[], after: readonly ManifestEntry[]): FileChanges {
  const old = new Map(before.map((e) => [e.relpath, e.md5]));
  const now = new Map(after.map((e) => [e.relpath, e.md5]));
  return {
    added: after.filter((e) => !old.has(e.relpath)).map((e) => e.relpath),
    modified: after.filter((e) => old.has(e.relpath) && old.get(e.relpath) !== e.md5).map((e) => e.relpath),
    deleted: before.filter((e) => !now.has(e.relpath)).map((e) => e.relpath),
  };
}

async function allCached(repo: Repo, hash: HashInfo, label: string): Promise<boolean> {
  if (!isDirHash(hash.md5)) return hasObject(repo.cacheDir, hash.md5);
  let entries;
  try {
    entries = await readDirManifest(repo.cacheDir, hash.md5, label);
  } catch (error) {
    if (error instanceof MissingObjectError) return false;
    throw error;
  }
  const present = await mapLimit(entries, DEFAULT_JOBS, (e) => hasObject(repo.cacheDir, e.md5));
  return present.every(Boolean);
}

async function outputStatus(repo: Repo, output: TrackedOutput, rules: IgnoreRules, jobs: number): Promise<OutputStatus> {
  const base = { label: output.label, dvcFile: output.dvc.file };
  // Only a path that is not there is "deleted"; a folder we may not read is the user's to fix.
  const info = await stat(output.path).catch((error: NodeJS.ErrnoException) =>
    error.code === 'ENOENT' || error.code === 'ENOTDIR' ? undefined : Promise.reject(error),
  );
  if (!output.hash) return { ...base, state: info ? 'new' : 'deleted' };
  if (!info) return { ...base, state: 'deleted' };
  if (info.isDirectory() && isDirHash(output.hash.md5)) {
    const files = await hashDirFiles(output.path, { ignore: rules, jobs });
    if (dirHashInfo(files).hash.md5 !== output.hash.md5) {
      // Without the old manifest the change list is unknown; a corrupt one is reported, not hidden.
      const before = await readDirManifest(repo.cacheDir, output.hash.md5, output.label).catch((error: unknown) =>
        error instanceof MissingObjectError ? undefined : Promise.reject(error),
      );
      return { ...base, state: 'modified', ...(before ? { changes: diffManifests(before, files) } : {}) };
    }
  } else if ((await hashPath(output.path, { ignore: rules, jobs })).md5 !== output.hash.md5) {
    return { ...base, state: 'modified' };
  }
  return { ...base, state: (await allCached(repo, output.hash, output.label)) ? 'up to date' : 'not in cache' };
}

export async function status(repo: Repo, options: CollectOptions & { targets?: readonly string[]; jobs?: number; cwd?: string } = {}): Promise<OutputStatus[]> {
  const outputs = await collectOutputs(repo, options.targets, options.cwd, options);
  const rules = new IgnoreRules(repo.root);
  const results: OutputStatus[] = [];
  for (const output of outputs) results.push(await outputStatus(repo, output, rules, options.jobs ?? DEFAULT_JOBS));
  return results;
}

/**
 * Cache vs remote (`dvc status --cloud`), per output: `up to date`, `not on remote` (in the cache
 * only: push it), `not in cache` (on the remote only: pull it) or `missing` (in neither), with
 * object counts.
 */
export type CloudState = 'up to date' | 'not on remote' | 'not in cache' | 'missing';

export interface CloudStatus {
  label: string;
  state: CloudState;
  objects: number;
  notOnRemote: number;
  notInCache: number;
  missing: number;
}

export async function cloudStatus(repo: Repo, options: TransferOptions = {}): Promise<CloudStatus[]> {
  const outputs = await collectOutputs(repo, options.targets, options.cwd, options);
  const getStore = lazyRemote(repo, options);
  const results: CloudStatus[] = [];
  for (const output of outputs) {
    if (!output.hash) continue;
    const md5s = [output.hash.md5];
    if (isDirHash(output.hash.md5)) {
      let entries: ManifestEntry[] | undefined;
      if (!(await hasObject(repo.cacheDir, output.hash.md5))) {
        // The manifest names the files; bring just it (verified) when only the remote has it.
        const store = await getStore();
        if ((await store.has([objectKey(output.hash.md5)])).size === 1) await downloadObject(store, repo.cacheDir, output.hash.md5);
        else entries = [];
      }
      if (entries === undefined) entries = await readDirManifest(repo.cacheDir, output.hash.md5, output.label);
      md5s.push(...new Set(entries.map((e) => e.md5)));
    }
    const store = await getStore();
    const remote = await store.has(md5s.map(objectKey));
    const local = await mapLimit(md5s, options.jobs ?? DEFAULT_JOBS, (m) => hasObject(repo.cacheDir, m));
    let notOnRemote = 0;
    let notInCache = 0;
    let missing = 0;
    md5s.forEach((m, i) => {
      const r = remote.has(objectKey(m));
      if (local[i] && !r) notOnRemote++;
      else if (!local[i] && r) notInCache++;
      else if (!local[i] && !r) missing++;
    });
    const state: CloudState = missing > 0 ? 'missing' : notOnRemote > 0 ? 'not on remote' : notInCache > 0 ? 'not in cache' : 'up to date';
    results.push({ label: output.label, state, objects: md5s.length, notOnRemote, notInCache, missing });
  }
  return results;
}
