import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fsError } from '../util/errno.js';
import { UserError } from '../util/errors.js';
import { mapLimit } from '../util/map-limit.js';
import { md5File, md5Hex as md5Bytes } from '../util/md5.js';
import { IgnoreRules } from './dvcignore.js';
import { manifestBytes, type ManifestEntry } from './manifest.js';
import { DEFAULT_JOBS } from './jobs.js';
import { eachInBatches, readSmallSync } from './small-files.js';

/**
 * DVC 3.x hashes (docs/dvc-format.md §1): a file is the MD5 of its bytes; a directory is the MD5 of its
 * manifest (src/dvc/manifest.ts) plus the suffix `.dir`.
 */

/** What a `.dvc` file or `dvc.lock` records about one output. `md5` ends in `.dir` for a directory. */
export interface HashInfo {
  md5: string;
  size: number;
  /** Directories only. */
  nfiles?: number;
}

/** A file found under a directory, with its hash and size. */
export interface HashedFile extends ManifestEntry {
  size: number;
}

export const DIR_SUFFIX = '.dir';

export function isDirHash(md5: string): boolean {
  return md5.endsWith(DIR_SUFFIX);
}

/** DVC's file hash is the plain MD5 of the bytes (docs/dvc-format.md §1). */
export { md5Bytes, md5File };

/** The id, size and file count of a directory from its files' hashes, plus the manifest bytes. */
export function dirHashInfo(files: readonly HashedFile[]): { hash: HashInfo; manifest: Buffer } {
  const manifest = manifestBytes(files);
  const size = files.reduce((sum, f) => sum + f.size, 0);
  return { hash: { md5: md5Bytes(manifest) + DIR_SUFFIX, size, nfiles: files.length }, manifest };
}

export interface HashOptions {
  /** Repository root whose `.dvcignore` files apply. */
  root?: string;
  /** Shared ignore rules (read once per operation); built from `root` when absent. */
  ignore?: IgnoreRules;
  /** Files hashed at once. */
  jobs?: number;
  /** Called once per file hashed, for progress bars. */
  onFile?: () => void;
}

/** Hashes every (non-ignored) file under `dir`, in manifest order. */
export async function hashDirFiles(dir: string, options: HashOptions = {}): Promise<HashedFile[]> {
  const rules = options.ignore ?? new IgnoreRules(options.root);
  const relpaths = await rules.listFiles(dir);
  const files = new Array<HashedFile>(relpaths.length);
  const large: number[] = [];
  await eachInBatches(relpaths, (relpath, i) => {
    const data = readSmallSync(join(dir, ...relpath.split('/')));
    if (!data) return void large.push(i);
    files[i] = { md5: md5Bytes(data), relpath, size: data.length };
    options.onFile?.();
  });
  await mapLimit(large, options.jobs ?? DEFAULT_JOBS, async (i) => {
    files[i] = { relpath: relpaths[i]!, ...(await md5File(join(dir, ...relpaths[i]!.split('/')))) };
    options.onFile?.();
  });
  return files;
}

/**
 * The DVC hash of a file or directory, as a `.dvc` file records it: `{md5, size}` for a file,
 * `{md5: '<id>.dir', size, nfiles}` for a directory.
 */
export async function hashPath(path: string, options: HashOptions = {}): Promise<HashInfo> {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new UserError(`${path} does not exist; create it or check the path`, { cause: error });
    }
    throw fsError(error, path, 'read');
  }
  if (info.isDirectory()) return dirHashInfo(await hashDirFiles(path, options)).hash;
  const { md5, size } = await md5File(path);
  options.onFile?.();
  return { md5, size };
}
