import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { discardTemp, tempPathFor } from '../util/atomic.js';
import { fsError } from '../util/errno.js';
import { UserError } from '../util/errors.js';
import { mapLimit } from '../util/map-limit.js';
import { IgnoreRules } from './dvcignore.js';
import { dirHashInfo, type HashedFile, type HashInfo, md5Bytes } from './hash.js';
import { DEFAULT_JOBS } from './jobs.js';
import { fileMode, objectPath, putObjectBytesSync, READ_ONLY } from './object-store.js';
import { eachInBatches, readSmallSync } from './small-files.js';
import type { CacheRepo } from './workspace/types.js';

/** Storing into the object store: workspace files and folders (`add`, stage outputs) and trees given as bytes. */

/**
 * Copies one file into the cache, hashing it on the way (one read of the source; large files are
 * streamed), and returns its hash and size.
 */
export async function addFileToCache(cacheDir: string, src: string): Promise<{ md5: string; size: number }> {
  const data = readSmallSync(src);
  if (data) {
    const md5 = md5Bytes(data);
    putObjectBytesSync(cacheDir, md5, data);
    return { md5, size: data.length };
  }
  await mkdir(cacheDir, { recursive: true }).catch((error: unknown) => Promise.reject(fsError(error, cacheDir, 'create')));
  const temp = tempPathFor(join(cacheDir, 'stream'));
  const hash = createHash('md5');
  let size = 0;
  const tee = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  try {
    await pipeline(createReadStream(src), tee, createWriteStream(temp, { mode: READ_ONLY }));
    const md5 = hash.digest('hex');
    const path = objectPath(cacheDir, md5);
    const existing = await fileMode(path);
    if (existing && existing.size === size && existing.mode === READ_ONLY) {
      await discardTemp(temp);
    } else {
      await mkdir(dirname(path), { recursive: true });
      await rename(temp, path);
    }
    return { md5, size };
  } catch (error) {
    await discardTemp(temp);
    // Node names the file a stream failed on: the source (read) or the cache (write).
    const failed = (error as NodeJS.ErrnoException).path;
    throw failed === src ? fsError(error, src, 'read') : fsError(error, failed ?? cacheDir, 'write');
  }
}

export interface SaveOptions {
  jobs?: number;
  /** Shared `.dvcignore` rules; built from `repo.root` when absent. */
  ignore?: IgnoreRules;
  /** Called once per file stored, for progress bars. */
  onFile?: () => void;
  /** Called with the number of files once a directory has been listed. */
  onTotal?: (files: number) => void;
}

/**
 * Stores a file or a directory (every non-ignored file, then its `.dir` manifest last) in the
 * cache and returns the hash a `.dvc` file or `dvc.lock` records for it.
 */
export async function saveToCache(repo: CacheRepo, path: string, options: SaveOptions = {}): Promise<HashInfo> {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new UserError(`${path} does not exist; create it or check the path`, { cause: error });
    throw fsError(error, path, 'read');
  }
  if (!info.isDirectory()) {
    options.onTotal?.(1);
    const hashed = await addFileToCache(repo.cacheDir, path);
    options.onFile?.();
    return hashed;
  }
  const rules = options.ignore ?? new IgnoreRules(repo.root);
  const relpaths = await rules.listFiles(path);
  options.onTotal?.(relpaths.length);
  const files = new Array<HashedFile>(relpaths.length);
  const large: number[] = [];
  await eachInBatches(relpaths, (relpath, i) => {
    const data = readSmallSync(join(path, ...relpath.split('/')));
    if (!data) return void large.push(i);
    const md5 = md5Bytes(data);
    putObjectBytesSync(repo.cacheDir, md5, data);
    files[i] = { relpath, md5, size: data.length };
    options.onFile?.();
  });
  await mapLimit(large, options.jobs ?? DEFAULT_JOBS, async (i) => {
    files[i] = { relpath: relpaths[i]!, ...(await addFileToCache(repo.cacheDir, join(path, ...relpaths[i]!.split('/')))) };
    options.onFile?.();
  });
  const { hash, manifest } = dirHashInfo(files);
  putObjectBytesSync(repo.cacheDir, hash.md5, manifest);
  return hash;
}

/** A file of a tree held in memory: where it goes in the directory, and its bytes. */
export interface TreeFile {
  relpath: string;
  bytes: Uint8Array;
}

/** A tree whose files do not hash to the directory hash it was meant to have. */
export class TreeMismatchError extends UserError {
  constructor(
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`the files given hash to directory ${actual}, not the expected ${expected}; nothing was stored`);
    this.name = 'TreeMismatchError';
  }
}

/** The hashes of a tree held in memory: each file's, and the directory's with its manifest bytes. */
export function hashTree(files: readonly TreeFile[]): { files: HashedFile[]; hash: HashInfo; manifest: Buffer } {
  const hashed = files.map((f) => ({ relpath: f.relpath, md5: md5Bytes(f.bytes), size: f.bytes.length }));
  return { files: hashed, ...dirHashInfo(hashed) };
}

/**
 * Stores a directory given as bytes (e.g. data made again from its source) under its DVC hash, but
 * only when it hashes to `expected`: otherwise `TreeMismatchError` and nothing is stored. Files go
 * first and the `.dir` object last, so a cache holding the manifest holds every file it names.
 */
export async function storeVerifiedTree(cacheDir: string, files: readonly TreeFile[], expected: string): Promise<HashInfo> {
  const tree = hashTree(files);
  if (tree.hash.md5 !== expected) throw new TreeMismatchError(expected, tree.hash.md5);
  await eachInBatches(files, (file, i) => putObjectBytesSync(cacheDir, tree.files[i]!.md5, file.bytes));
  putObjectBytesSync(cacheDir, tree.hash.md5, tree.manifest);
  return tree.hash;
}
