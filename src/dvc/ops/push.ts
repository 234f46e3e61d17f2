import { UserError } from '../../util/errors.js';
import { open } from 'node:fs/promises';
import { contentMd5, MissingObjectError, objectKey, objectPath, readDirManifest, verifyObject } from '../cache.js';
import { isDirHash, md5Bytes } from '../hash.js';
import { IN_MEMORY_LIMIT, type TransferOptions } from './fetch.js';
import type { RemoteStore } from '../remote/types.js';
import { DEFAULT_JOBS, mapLimit } from '../pool.js';
import { type Repo } from '../repo.js';
import { collectOutputs, NO_PROGRESS, withHash } from './outputs.js';
import { lazyRemote } from './remote-store.js';

/** Stores that take an object's bytes directly (the local remote): the verified bytes are sent as read. */
interface ByteWriter {
  writeBytes(key: string, data: Uint8Array): Promise<void>;
}

function writesBytes(store: RemoteStore): store is RemoteStore & ByteWriter {
  return typeof (store as Partial<ByteWriter>).writeBytes === 'function';
}

/** A cache object's bytes when it exists and is small enough to move through memory. */
async function readSmall(path: string): Promise<Buffer | undefined> {
  const handle = await open(path, 'r').catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? undefined : Promise.reject(error)));
  if (!handle) return undefined;
  try {
    return (await handle.stat()).size > IN_MEMORY_LIMIT ? undefined : await handle.readFile();
  } finally {
    await handle.close();
  }
}

export interface PushResult {
  /** Objects uploaded now. */
  uploaded: number;
  /** Objects the remote already had. */
  present: number;
}

/**
 * `dvc push`: uploads every object of the chosen outputs that the remote lacks. Each cache object
 * is MD5-checked before it is sent. A directory's `.dir` object goes up only after all of its
 * files are on the remote, so an interrupted push never leaves a manifest naming missing files;
 * the next push uploads what is still missing. Nothing on the remote is ever deleted.
 */
export async function push(repo: Repo, options: TransferOptions = {}): Promise<PushResult> {
  const outputs = withHash(await collectOutputs(repo, options.targets, options.cwd));
  const result: PushResult = { uploaded: 0, present: 0 };
  if (outputs.length === 0) return result;
  const jobs = options.jobs ?? DEFAULT_JOBS;
  const files = new Set<string>();
  const dirs = new Map<string, string[]>();
  for (const output of outputs) {
    if (!isDirHash(output.hash.md5)) {
      files.add(output.hash.md5);
      continue;
    }
    let entries;
    try {
      entries = await readDirManifest(repo.cacheDir, output.hash.md5, output.label);
    } catch (error) {
      if (error instanceof MissingObjectError) {
        throw new UserError(`${output.label} is not in the cache (its manifest ${output.hash.md5} is missing), so it cannot be pushed; run \`cifar10 data add ${output.label}\` or \`data fetch\` first`);
      }
      throw error;
    }
    const md5s = [...new Set(entries.map((e) => e.md5))];
    md5s.forEach((m) => files.add(m));
    dirs.set(output.hash.md5, md5s);
  }
  const store = await lazyRemote(repo, options)();
  const keys = [...files, ...dirs.keys()].map(objectKey);
  const onRemote = await store.has(keys);
  const toSend = [...files].filter((md5) => !onRemote.has(objectKey(md5)));
  result.present = onRemote.size;
  const failed = new Map<string, string>();
  const dirsToSend = [...dirs.keys()].filter((md5) => !onRemote.has(objectKey(md5)));
  const progress = (options.progress ?? NO_PROGRESS)(`push to ${store.url}`, toSend.length + dirsToSend.length);
  const sendOne = async (md5: string): Promise<void> => {
    try {
      const path = objectPath(repo.cacheDir, md5);
      const data = writesBytes(store) ? await readSmall(path) : undefined;
      const state = data ? (md5Bytes(data) === contentMd5(md5) ? 'ok' : 'corrupt') : await verifyObject(repo.cacheDir, md5);
      if (state !== 'ok') throw new UserError(`cache object ${path} is ${state}; run \`cifar10 data fetch\` or re-add the data, then push again`);
      if (data && writesBytes(store)) await store.writeBytes(objectKey(md5), data);
      else await store.upload(path, objectKey(md5));
      result.uploaded++;
    } catch (error) {
      failed.set(md5, (error as Error).message);
    }
    progress.increment();
  };
  try {
    await mapLimit(toSend, jobs, sendOne);
    for (const dirMd5 of dirsToSend) {
      if (dirs.get(dirMd5)!.some((m) => failed.has(m))) continue;
      await sendOne(dirMd5);
    }
  } finally {
    progress.stop();
  }
  if (failed.size > 0) {
    const [first] = failed.values();
    throw new UserError(`push to ${store.url}: ${failed.size} object(s) failed (first: ${first}); ${result.uploaded} uploaded. Directories with a failed file were not marked complete; run \`cifar10 data push\` again to finish`);
  }
  return result;
}
