import { mkdirSync, readdirSync, renameSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { discardTempSync, isStaleTemp, tempPathFor } from '../util/atomic.js';
import { fsError } from '../util/errno.js';
import { mapLimit } from '../util/map-limit.js';
import { DEFAULT_JOBS } from './jobs.js';
import { checkMd5, objectPath, READ_ONLY } from './object-store.js';

/**
 * The object store's `files/md5/xx` folders in bulk: listing which objects a set of hashes already
 * has, building a missing folder whole and renaming it in (a fetch or a push to a local remote of
 * thousands of objects), and removing what killed writers left. One object at a time is
 * object-store.ts.
 */

/**
 * Which of `md5s` have an object file in the store (no hashing), and which of their `files/md5/xx`
 * folders exist, by listing each folder they need once: for a fresh cache a few hundred `readdir`s
 * instead of a failed `open` (and its error object) per object. A folder that cannot be listed
 * holds none of them.
 */
export function listObjectsSync(cacheDir: string, md5s: readonly string[]): { objects: Set<string>; folders: Set<string> } {
  const byFolder = new Map<string, string[]>();
  for (const md5 of md5s) {
    checkMd5(md5);
    const prefix = md5.slice(0, 2);
    const group = byFolder.get(prefix);
    if (group) group.push(md5);
    else byFolder.set(prefix, [md5]);
  }
  const objects = new Set<string>();
  const folders = new Set<string>();
  for (const [prefix, group] of byFolder) {
    const folder = join(cacheDir, 'files', 'md5', prefix);
    let names: Set<string>;
    try {
      names = new Set(readdirSync(folder));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') continue;
      throw fsError(error, folder, 'list');
    }
    folders.add(prefix);
    for (const md5 of group) if (names.has(md5.slice(2))) objects.add(md5);
  }
  return { objects, folders };
}

/**
 * Stores verified objects whose `files/md5/xx` folder the store does not have yet: they are
 * written into a new folder beside it (`xx.tmp-<pid>-<n>`), each once, and the folder is renamed
 * into place when the objects of its prefix are in. That is a rename per folder instead of a temp
 * file and a rename per object, and readers still only ever see complete objects. Should the
 * folder appear meanwhile (another process filling a shared cache), the objects are moved into it
 * one by one. Objects must come in hash order; `discard` removes an unfinished folder.
 */
export class ObjectFolderBuilder {
  private prefix = '';
  private temp: string | undefined;

  constructor(
    private readonly cacheDir: string,
    /** Prefixes whose folder exists: their objects are left to `putObjectBytesSync`. */
    private readonly existing: Set<string>,
  ) {}

  /** Writes object `md5` (the caller vouches for its bytes); false when its folder exists already. */
  put(md5: string, data: Uint8Array): boolean {
    const prefix = md5.slice(0, 2);
    if (this.existing.has(prefix)) return false;
    if (prefix !== this.prefix || this.temp === undefined) {
      this.finish();
      this.prefix = prefix;
      const objects = join(this.cacheDir, 'files', 'md5');
      const temp = tempPathFor(join(objects, prefix));
      try {
        mkdirSync(objects, { recursive: true });
        mkdirSync(temp);
      } catch (error) {
        throw fsError(error, temp, 'create');
      }
      this.temp = temp;
    }
    const path = `${this.temp}${sep}${md5.slice(2)}`;
    try {
      writeFileSync(path, data, { mode: READ_ONLY, flag: 'wx' });
    } catch (error) {
      // A half-written object must not go in with the folder (a push goes on after a failed object).
      discardTempSync(path);
      throw fsError(error, objectPath(this.cacheDir, md5), 'write');
    }
    return true;
  }

  /** Moves the folder being built into place. */
  finish(): void {
    const temp = this.temp;
    if (temp === undefined) return;
    const folder = join(this.cacheDir, 'files', 'md5', this.prefix);
    try {
      renameSync(temp, folder);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST' && code !== 'ENOTEMPTY') throw fsError(error, folder, 'write');
      try {
        for (const name of readdirSync(temp)) renameSync(join(temp, name), join(folder, name));
        rmdirSync(temp);
      } catch (again) {
        throw fsError(again, folder, 'write');
      }
    }
    this.temp = undefined;
    this.existing.add(this.prefix);
  }

  /** Removes the folder being built, if any (after a failure). */
  discard(): void {
    if (this.temp !== undefined) rmSync(this.temp, { recursive: true, force: true });
    this.temp = undefined;
  }
}

/**
 * Removes the temp files (and folders, `ObjectFolderBuilder`'s) that writers killed mid-write (a
 * pull stopped with Ctrl-C or SIGKILL) left in the cache. A temp name carries its writer's pid, so
 * only those of processes that no longer run are removed; a live writer's are left alone. Returns
 * how many went.
 */
export async function removeCacheLitter(cacheDir: string): Promise<number> {
  const objects = join(cacheDir, 'files', 'md5');
  const folders = [cacheDir, objects, ...(await readdir(objects).catch(() => [] as string[])).map((name) => join(objects, name))];
  let removed = 0;
  await mapLimit(folders, DEFAULT_JOBS, async (folder) => {
    const names = await readdir(folder).catch(() => [] as string[]);
    for (const name of names) {
      if (!isStaleTemp(name)) continue;
      await rm(join(folder, name), { recursive: true, force: true }).then(
        () => removed++,
        () => undefined,
      );
    }
  });
  return removed;
}
