import { chmod, mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { discardTemp, tempPathFor } from '../../util/atomic.js';
import { fsError } from '../../util/errno.js';
import { command, hinted } from '../../util/hints.js';
import { contentMd5, objectKey, objectPath, putObjectBytesSync, READ_ONLY, readDirManifest, UnsafeManifestError, verifyObject } from '../object-store.js';
import { listObjectsSync, ObjectFolderBuilder } from '../object-folders.js';
import { eachInBatches, readSmallIfExistsSync } from '../small-files.js';
import { isDirHash, md5Bytes, md5File } from '../hash.js';
import { type ManifestEntry } from '../manifest.js';
import { DEFAULT_JOBS } from '../jobs.js';
import { mapLimit } from '../../util/map-limit.js';
import type { RemoteStore } from '../remote/types.js';
import { RemoteError } from '../remote/errors.js';
import type { Repo } from '../repo.js';
import { locked } from './locked.js';
import { type CollectOptions, collectOutputs, NO_PROGRESS, type ProgressFactory, type TrackedOutput, withHash } from './outputs.js';
import { lazyRemote, type RemoteChoice, remoteLabel } from './remote-store.js';

export interface TransferOptions extends RemoteChoice, CollectOptions {
  /** `.dvc` files or tracked paths; none means every tracked output. */
  targets?: readonly string[];
  jobs?: number;
  progress?: ProgressFactory;
  cwd?: string;
  /**
   * Called with the bytes of each object the fetch has MD5-checked (fetched, or found in the
   * cache), for a checkout in the same process; objects too large to read whole are not passed.
   */
  onVerified?: (md5: string, data: Buffer) => void;
}

/** A pull keeps the bytes it fetched (up to this many) for its checkout, sparing a second read. */
export const KEEP_FETCHED_BYTES = 256 * 1024 * 1024;

/** Bytes of objects fetched and MD5-checked, collected for the checkout that follows. */
export class VerifiedBytes {
  readonly objects = new Map<string, Buffer>();
  private total = 0;

  keep(md5: string, data: Buffer): void {
    if (this.total + data.length > KEEP_FETCHED_BYTES) return;
    this.objects.set(md5, data);
    this.total += data.length;
  }
}

export interface FetchResult {
  /** Objects downloaded into the cache. */
  downloaded: number;
  /** Objects already in the cache with the right content. */
  cached: number;
}

/** Stores whose objects are files on this machine (the local remote): moved with the small-file fast path. */
export interface LocalObjectFiles {
  /** The folder that holds `files/md5/…`. */
  readonly root: string;
  localPath(key: string): string;
  accessError(error: unknown): unknown;
}

export function hasLocalFiles(store: RemoteStore): store is RemoteStore & LocalObjectFiles {
  return typeof (store as Partial<LocalObjectFiles>).localPath === 'function';
}

function corruptRemote(store: RemoteStore, key: string, actual: string, expected: string): RemoteError {
  return new RemoteError(
    'corrupt data',
    hinted`object ${key} on remote ${store.url} is corrupt (its MD5 is ${actual}, expected ${expected}); nothing was written to the workspace. Push a good copy from a clone that has one (${command('push')})`,
  );
}

function missingRemote(store: RemoteStore, key: string): RemoteError {
  return new RemoteError('missing data', hinted`object ${key} is missing from remote ${store.url}; push it from a clone that has it (${command('push')})`);
}

/**
 * Fetches one object from a local remote on the fast path: true when done, false when it is too
 * large for it (then use `downloadObject`). `replace` overwrites a corrupt cache copy.
 */
function copyLocalObjectSync(
  store: RemoteStore & LocalObjectFiles,
  cacheDir: string,
  md5: string,
  replace: boolean,
  onVerified?: (md5: string, data: Buffer) => void,
  builder?: ObjectFolderBuilder,
): boolean {
  const key = objectKey(md5);
  let data;
  try {
    data = readSmallIfExistsSync(store.localPath(key));
  } catch (error) {
    throw store.accessError(error);
  }
  if (data === null) throw missingRemote(store, key);
  if (data === undefined) return false;
  const actual = md5Bytes(data);
  if (actual !== contentMd5(md5)) throw corruptRemote(store, key, actual, contentMd5(md5));
  if (!builder?.put(md5, data)) putObjectBytesSync(cacheDir, md5, data, { replace });
  onVerified?.(md5, data);
  return true;
}

/**
 * Downloads one object into the cache: to a temp file beside it, MD5-checked, made read-only and
 * renamed into place. A remote object with the wrong bytes never enters the cache.
 */
export async function downloadObject(store: RemoteStore, cacheDir: string, md5: string): Promise<void> {
  const key = objectKey(md5);
  const dest = objectPath(cacheDir, md5);
  const expected = contentMd5(md5);
  if (hasLocalFiles(store) && copyLocalObjectSync(store, cacheDir, md5, true)) return;
  const temp = tempPathFor(dest);
  await mkdir(dirname(dest), { recursive: true }).catch((error: unknown) => Promise.reject(fsError(error, dirname(dest), 'create')));
  try {
    await store.download(key, temp);
    const { md5: actual } = await md5File(temp);
    if (actual !== expected) throw corruptRemote(store, key, actual, expected);
    await chmod(temp, READ_ONLY);
    await rename(temp, dest);
  } catch (error) {
    throw fsError(error, dest, 'write');
  } finally {
    await discardTemp(temp);
  }
}

/** Makes sure the cache holds a verified copy of `md5`, downloading it when missing or corrupt. */
async function ensureObject(getStore: () => Promise<RemoteStore>, cacheDir: string, md5: string): Promise<boolean> {
  if ((await verifyObject(cacheDir, md5)) === 'ok') return false;
  await downloadObject(await getStore(), cacheDir, md5);
  return true;
}

/**
 * A manifest fetched for checkout, judged by the path rule before any of its files is fetched. An
 * unsafe one leaves the cache, so nothing ever checks it out; the error names the remote it came from.
 */
async function readManifestFrom(repo: Repo, md5: string, label: string, origin: string | undefined): Promise<ManifestEntry[]> {
  try {
    return await readDirManifest(repo.cacheDir, md5, label, origin);
  } catch (error) {
    if (!(error instanceof UnsafeManifestError)) throw error;
    await rm(objectPath(repo.cacheDir, md5), { force: true });
    throw new UnsafeManifestError(md5, error.entry, { what: label, origin: origin ?? 'the cache', removed: true });
  }
}

/** A fetch whose directory manifests are in the cache and judged: the file objects it still needs. */
export interface FetchPlan {
  needed: Set<string>;
  /** The manifests' part of the result. */
  result: FetchResult;
  getStore: () => Promise<RemoteStore>;
}

/**
 * The first half of `dvc fetch`: every chosen directory's `.dir` manifest into the cache (fetched
 * and verified when missing), judged by the path rule, since it names the files to fetch.
 */
export async function fetchManifests(repo: Repo, outputs: readonly TrackedOutput[], options: TransferOptions = {}): Promise<FetchPlan> {
  const getStore = lazyRemote(repo, options);
  const result: FetchResult = { downloaded: 0, cached: 0 };
  const needed = new Set<string>();
  for (const output of withHash(outputs)) {
    if (!isDirHash(output.hash.md5)) {
      needed.add(output.hash.md5);
      continue;
    }
    const downloaded = await ensureObject(getStore, repo.cacheDir, output.hash.md5);
    if (downloaded) result.downloaded++;
    else result.cached++;
    for (const entry of await readManifestFrom(repo, output.hash.md5, output.label, downloaded ? remoteLabel(repo, options, await getStore()) : undefined))
      needed.add(entry.md5);
  }
  return { needed, result, getStore };
}

/**
 * The second half of `dvc fetch`: the file objects into the cache. Objects already cached are
 * re-hashed, and a corrupt one is replaced from the remote.
 */
export async function fetchObjects(repo: Repo, plan: FetchPlan, options: TransferOptions = {}): Promise<FetchResult> {
  const { needed, getStore } = plan;
  const result = { ...plan.result };
  if (needed.size === 0) return result;
  const progress = (options.progress ?? NO_PROGRESS)('fetch', needed.size);
  try {
    // Small objects: checked in the cache, and copied from a local remote, on the fast path.
    const slow: string[] = [];
    const missing: string[] = [];
    // Hash order is object-path order: reads and writes then stay in one `xx` folder at a time.
    const sorted = [...needed].sort();
    const listed = listObjectsSync(repo.cacheDir, sorted);
    await eachInBatches(sorted, (md5) => {
      if (!listed.objects.has(md5)) return void missing.push(md5);
      const data = readSmallIfExistsSync(objectPath(repo.cacheDir, md5));
      if (data === undefined) return void slow.push(md5);
      if (data !== null && md5Bytes(data) === contentMd5(md5)) {
        options.onVerified?.(md5, data);
        result.cached++;
        return void progress.increment();
      }
      missing.push(md5);
    });
    const store = missing.length > 0 ? await getStore() : undefined;
    if (store && hasLocalFiles(store)) {
      const builder = new ObjectFolderBuilder(repo.cacheDir, listed.folders);
      try {
        await eachInBatches(missing, (md5) => {
          if (!copyLocalObjectSync(store, repo.cacheDir, md5, true, options.onVerified, builder)) return void slow.push(md5);
          result.downloaded++;
          progress.increment();
        });
        builder.finish();
      } finally {
        builder.discard();
      }
    } else {
      slow.push(...missing);
    }
    await mapLimit(slow, options.jobs ?? DEFAULT_JOBS, async (md5) => {
      if (await ensureObject(getStore, repo.cacheDir, md5)) result.downloaded++;
      else result.cached++;
      progress.increment();
    });
  } finally {
    progress.stop();
  }
  return result;
}

/**
 * `dvc fetch`: brings every object of the chosen outputs into the cache from the remote, each
 * directory's `.dir` manifest first (`fetchManifests`), then the files it names (`fetchObjects`).
 */
export async function fetchOutputs(repo: Repo, outputs: readonly TrackedOutput[], options: TransferOptions = {}): Promise<FetchResult> {
  return fetchObjects(repo, await fetchManifests(repo, outputs, options), options);
}

export async function fetch(repo: Repo, options: TransferOptions = {}): Promise<FetchResult> {
  return locked(repo, async () => fetchOutputs(repo, await collectOutputs(repo, options.targets, options.cwd, options), options));
}
