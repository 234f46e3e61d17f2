import { link, lstat, rename, rm, symlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { discardTemp, tempPathFor, writeFileAtomic } from '../../util/atomic.js';
import { FsError, fsError } from '../../util/errno.js';
import { UserError } from '../../util/errors.js';
import { objectPath, readObjectVerified } from '../object-store.js';
import type { CacheRepo } from './types.js';

/**
 * Placing one cache object in the workspace, as apply.ts (a checkout's writes) and build.ts (a
 * folder built whole) both do it, and the error a failed workspace write becomes.
 */

/** A failed write into the workspace: a read-only one gets its own message, the rest `fsError`'s. */
export function workspaceError(path: string, error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new FsError(
      `cannot write ${path}: the workspace is read-only (${code}); make ${dirname(path)} writable and run the command again`,
      code,
      path,
      error,
    );
  }
  return fsError(error, path, 'write');
}

/**
 * Places cache object `md5` at `path`: verified first, then as a copy, hard link or symbolic
 * link made beside `path` and renamed over it.
 */
export async function placeObject(repo: CacheRepo, md5: string, path: string, what: string): Promise<void> {
  const data = await readObjectVerified(repo.cacheDir, md5, what);
  const type = repo.linkType ?? 'copy';
  if (type === 'copy') return writeFileAtomic(path, data).catch((error: unknown) => Promise.reject(workspaceError(path, error)));
  const temp = tempPathFor(path);
  try {
    if (type === 'hardlink') await link(objectPath(repo.cacheDir, md5), temp);
    else await symlink(objectPath(repo.cacheDir, md5), temp);
    await rename(temp, path);
  } catch (error) {
    await discardTemp(temp);
    if ((error as NodeJS.ErrnoException).code === 'EXDEV' || (error as NodeJS.ErrnoException).code === 'EPERM') {
      throw new UserError(
        `cache.type = ${type}: cannot link ${path} to the cache ${repo.cacheDir} (${(error as NodeJS.ErrnoException).code}); use \`cache.type = copy\` in .dvc/config or put the cache on the same file system`,
        { cause: error },
      );
    }
    throw workspaceError(path, error);
  }
}

/** Removes whatever is at `path` if it is not a regular file (e.g. a folder where a file goes). */
export async function clearNonFile(path: string): Promise<boolean> {
  try {
    const info = await lstat(path);
    if (info.isFile()) return true;
    await rm(path, { recursive: true, force: true });
    return false;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw workspaceError(path, error);
  }
}
