import { chmod, mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { tempPathFor } from '../../util/atomic.js';
import { UserError } from '../../util/errors.js';
import { contentMd5, objectKey, objectPath, prepareObjectDirs, putObjectBytes, READ_ONLY, readDirManifest, verifyObject } from '../cache.js';
import { isDirHash, md5Bytes, md5File } from '../hash.js';
import { DEFAULT_JOBS, mapLimit } from '../pool.js';
import type { RemoteStore } from '../remote/types.js';
import type { Repo } from '../repo.js';
import { collectOutputs, NO_PROGRESS, type ProgressFactory, type TrackedOutput, withHash } from './outputs.js';
import { lazyRemote, type RemoteChoice } from './remote-store.js';

export interface TransferOptions extends RemoteChoice {
  /** `.dvc` files or tracked paths; none means every tracked output. */
  targets?: readonly string[];
  jobs?: number;
  progress?: ProgressFactory;
  cwd?: string;
}

export interface FetchResult {
  /** Objects downloaded into the cache. */
  downloaded: number;
  /** Objects already in the cache with the right content. */
  cached: number;
}

/** Stores that can hand over an object's bytes directly (the local remote), sparing a temp copy. */
interface ByteReader {
  readBytes(key: string, limit: number): Promise<Buffer | undefined>;
}

/** Objects up to this size are moved through memory; larger ones are streamed to a temp file. */
export const IN_MEMORY_LIMIT = 8 * 1024 * 1024;

function readsBytes(store: RemoteStore): store is RemoteStore & ByteReader {
  return typeof (store as Partial<ByteReader>).readBytes === 'function';
}

function corruptRemote(store: RemoteStore, key: string, actual: string, expected: string): UserError {
  return new UserError(
    `object ${key} on remote ${store.url} is corrupt (its MD5 is ${actual}, expected ${expected}); nothing was written to the workspace. Push a good copy from a clone that has one (\`cifar10 data push\`)`,
  );
}

/**
 * Downloads one object into the cache: to a temp file beside it, MD5-checked, made read-only and
 * renamed into place. A remote object with the wrong bytes never enters the cache.
 */
export async function downloadObject(store: RemoteStore, cacheDir: string, md5: string): Promise<void> {
  const key = objectKey(md5);
  const dest = objectPath(cacheDir, md5);
  const expected = contentMd5(md5);
  const data = readsBytes(store) ? await store.readBytes(key, IN_MEMORY_LIMIT) : undefined;
  if (data) {
    const actual = md5Bytes(data);
    if (actual !== expected) throw corruptRemote(store, key, actual, expected);
    await putObjectBytes(cacheDir, md5, data);
    return;
  }
  const temp = tempPathFor(dest);
  await mkdir(dirname(dest), { recursive: true });
  try {
    await store.download(key, temp);
    const { md5: actual } = await md5File(temp);
    if (actual !== expected) throw corruptRemote(store, key, actual, expected);
    await chmod(temp, READ_ONLY);
    await rename(temp, dest);
  } finally {
    await rm(temp, { force: true });
  }
}

/** Makes sure the cache holds a verified copy of `md5`, downloading it when missing or corrupt. */
async function ensureObject(getStore: () => Promise<RemoteStore>, cacheDir: string, md5: string): Promise<boolean> {
  if ((await verifyObject(cacheDir, md5)) === 'ok') return false;
  await downloadObject(await getStore(), cacheDir, md5);
  return true;
}

/**
 * `dvc fetch`: brings every object of the chosen outputs into the cache from the remote. Objects
 * already cached are re-hashed, and a corrupt one is replaced from the remote. Each directory's
 * `.dir` manifest is fetched (and verified) first, since it names the files.
 */
export async function fetchOutputs(repo: Repo, outputs: readonly TrackedOutput[], options: TransferOptions = {}): Promise<FetchResult> {
  const getStore = lazyRemote(repo, options);
  const jobs = options.jobs ?? DEFAULT_JOBS;
  const result: FetchResult = { downloaded: 0, cached: 0 };
  const hashed = withHash(outputs);
  if (hashed.length === 0) return result;
  await prepareObjectDirs(repo.cacheDir);
  const needed = new Set<string>();
  for (const output of hashed) {
    if (!isDirHash(output.hash.md5)) {
      needed.add(output.hash.md5);
      continue;
    }
    if (await ensureObject(getStore, repo.cacheDir, output.hash.md5)) result.downloaded++;
    else result.cached++;
    for (const entry of await readDirManifest(repo.cacheDir, output.hash.md5, output.label)) needed.add(entry.md5);
  }
  const progress = (options.progress ?? NO_PROGRESS)('fetch', needed.size);
  try {
    await mapLimit([...needed], jobs, async (md5) => {
      if (await ensureObject(getStore, repo.cacheDir, md5)) result.downloaded++;
      else result.cached++;
      progress.increment();
    });
  } finally {
    progress.stop();
  }
  return result;
}

export async function fetch(repo: Repo, options: TransferOptions = {}): Promise<FetchResult> {
  return fetchOutputs(repo, await collectOutputs(repo, options.targets, options.cwd), options);
}
