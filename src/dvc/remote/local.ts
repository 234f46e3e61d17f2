import { chmod, copyFile, mkdir, readdir, rename } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { discardTemp, tempPathFor } from '../../util/atomic.js';
import { errnoOf, errnoWords, FsError, fsError } from '../../util/errno.js';
import { command, hinted } from '../../util/hints.js';
import type { RemoteConfig, RemoteStore } from './types.js';
import { RemoteError } from './errors.js';

/** The folder a local remote URL points at: absolute, `file://`, or relative to `.dvc/`. */
export function localRemoteRoot(url: string, dvcDir: string): string {
  if (url.startsWith('file://')) return fileURLToPath(url);
  return isAbsolute(url) ? url : resolve(dvcDir, url);
}

/**
 * A folder used as a remote (DVC's "local remote"): the same `files/md5/xx/rest` layout as the
 * cache, objects read-only, each upload copied to a temp file and renamed into place.
 */
export class LocalRemote implements RemoteStore {
  readonly root: string;
  /** The root and a separator: keys (object paths, `files/md5/xx/rest`) are appended as they are, sparing a `path.join` per object. */
  private readonly prefix: string;
  /** Folders already made by this store, so thousands of uploads do not each call mkdir. */
  private readonly madeFolders = new Set<string>();

  constructor(
    readonly url: string,
    dvcDir: string,
  ) {
    this.root = localRemoteRoot(url, dvcDir);
    this.prefix = join(this.root, sep);
  }

  private pathOf(key: string): string {
    return this.prefix + (sep === '/' ? key : key.replaceAll('/', sep));
  }

  /** Lists each needed `files/md5/xx` folder once: a few hundred readdirs instead of one stat per object. */
  async has(keys: readonly string[]): Promise<Set<string>> {
    const byFolder = new Map<string, string[]>();
    for (const key of keys) {
      const folder = key.slice(0, key.lastIndexOf('/'));
      byFolder.set(folder, [...(byFolder.get(folder) ?? []), key]);
    }
    const present = new Set<string>();
    await Promise.all(
      [...byFolder].map(async ([folder, wanted]) => {
        let names: string[];
        try {
          names = await readdir(this.pathOf(folder));
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'ENOENT' || code === 'ENOTDIR') return;
          throw this.accessError(error);
        }
        const here = new Set(names);
        for (const key of wanted) if (here.has(key.slice(key.lastIndexOf('/') + 1))) present.add(key);
      }),
    );
    return present;
  }

  async download(key: string, destPath: string): Promise<void> {
    try {
      await copyFile(this.pathOf(key), destPath);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        throw new RemoteError(
          'missing data',
          hinted`object ${key} is missing from remote ${this.url} (${this.root}); push it from a clone that has it (${command('push')})`,
          { cause: error },
        );
      }
      // A full disk is the cache's (the copy's destination), not the remote's.
      if (code === 'ENOSPC' || code === 'EDQUOT') throw fsError(error, destPath, 'write');
      throw this.accessError(error);
    }
  }

  async upload(srcPath: string, key: string): Promise<void> {
    const dest = this.pathOf(key);
    const temp = tempPathFor(dest);
    try {
      if (!this.madeFolders.has(dirname(dest))) {
        await mkdir(dirname(dest), { recursive: true });
        this.madeFolders.add(dirname(dest));
      }
      await copyFile(srcPath, temp);
      await chmod(temp, 0o444);
      await rename(temp, dest);
    } catch (error) {
      await discardTemp(temp);
      throw this.accessError(error, dest);
    }
  }

  /**
   * The file holding object `key`: fetch and push use it to move small objects with the
   * small-file fast path (src/dvc/small-files.ts) instead of `download`/`upload`.
   */
  localPath(key: string): string {
    return this.pathOf(key);
  }

  /** A file-system failure on the remote's folder, named with the remote and the fix. */
  accessError(error: unknown, path: string = this.root): unknown {
    const code = errnoOf(error);
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
      return new RemoteError(
        'unreachable',
        `cannot use remote ${this.url} (${this.root}): ${errnoWords(code)} (${code}); make the folder readable and writable for this user or pick another remote`,
        { cause: error },
      );
    }
    const converted = fsError(error, (error as FsError).path ?? path, 'use');
    if (!(converted instanceof FsError)) return converted;
    return new RemoteError('unreachable', converted.message.includes(this.root) ? converted.message : `remote ${this.url}: ${converted.message}`, {
      cause: error,
    });
  }
}

export function openLocalRemote(config: RemoteConfig, dvcDir: string): RemoteStore {
  return new LocalRemote(config.url, dvcDir);
}
