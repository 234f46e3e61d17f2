import { mkdirSync, readdirSync, renameSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { discardTempSync, isStaleTemp, tempPathFor, writeFileAtomicSync } from '../util/atomic.js';
import { fsError } from '../util/errno.js';
import { UserError } from '../util/errors.js';
import { command, hinted } from '../util/hints.js';
import { mapLimit } from '../util/map-limit.js';
import { DIR_SUFFIX, isDirHash, md5Bytes, md5File } from './hash.js';
import { DEFAULT_JOBS } from './jobs.js';
import { type ManifestEntry, parseManifest, type UnsafeEntry, unsafeManifestEntry } from './manifest.js';
import { UnsafePathError } from './paths.js';
import { readSmallIfExistsSync } from './small-files.js';

/**
 * The DVC 3.x content-addressed object store (docs/dvc-format.md §2), as the cache and a local remote
 * lay it out: `files/md5/xx/rest`, objects read-only (0444), a directory's manifest stored as
 * `<id>.dir`. It knows objects by hash and nothing of workspaces; every read checks the bytes
 * against the name.
 */

export const READ_ONLY = 0o444;

const MD5_PATTERN = /^[0-9a-f]{32}(\.dir)?$/;

/** The object key of a hash, relative to a cache or remote root: `files/md5/28/994d….dir`. */
export function objectKey(md5: string): string {
  checkMd5(md5);
  return `files/md5/${md5.slice(0, 2)}/${md5.slice(2)}`;
}

export function objectPath(cacheDir: string, md5: string): string {
  checkMd5(md5);
  return join(cacheDir, 'files', 'md5', md5.slice(0, 2), md5.slice(2));
}

/** Hashes come from editable files and become paths: anything but hex (e.g. `../`) is refused. */
function checkMd5(md5: string): void {
  if (!MD5_PATTERN.test(md5))
    throw new UserError(`"${md5}" is not a DVC md5 hash (32 lower-case hex digits, optionally .dir); fix the .dvc or dvc.lock file that holds it`);
}

/** The MD5 an object's bytes must have: a `.dir` object is named after the MD5 of its manifest. */
export function contentMd5(md5: string): string {
  return isDirHash(md5) ? md5.slice(0, -DIR_SUFFIX.length) : md5;
}

/** A cache or remote object whose bytes do not match its name. */
export class CorruptObjectError extends UserError {
  constructor(
    readonly md5: string,
    readonly where: string,
    detail: string,
  ) {
    super(hinted`${where} is corrupt (${detail}); it was removed from the cache: run ${command('pull')} (or ${command('fetch')}) to fetch it again`);
    this.name = 'CorruptObjectError';
  }
}

/** An object the cache should hold but does not. */
export class MissingObjectError extends UserError {
  constructor(
    readonly md5: string,
    readonly where: string,
  ) {
    super(hinted`${where} (object ${md5}) is not in the cache; run ${command('pull')} or ${command('fetch')} first`);
    this.name = 'MissingObjectError';
  }
}

/**
 * A directory manifest that checkout must not write (src/dvc/paths.ts has the rule). Whoever can
 * write to a remote controls the manifests on it, so this is refused before anything is written.
 */
export class UnsafeManifestError extends UnsafePathError {
  constructor(
    readonly md5: string,
    readonly entry: UnsafeEntry,
    details: { what?: string; origin?: string; removed?: boolean },
  ) {
    super(
      hinted`directory manifest ${md5}${details.what ? ` (of ${details.what})` : ''}${details.origin ? ` from ${details.origin}` : ''} lists ${JSON.stringify(entry.relpath)}, which is refused: ${entry.reason}. Nothing was written to the workspace${details.removed ? ' and the manifest was removed from the cache' : ''}. Whoever can write to the remote controls its manifests: check who pushed it, and track the data again from a trusted copy (${command('add')}, then ${command('push')})`,
    );
    this.name = 'UnsafeManifestError';
  }
}

/** Mode bits and size of the file at `path`, or undefined when there is none. */
export async function fileMode(path: string): Promise<{ mode: number; size: number } | undefined> {
  try {
    const info = await stat(path);
    return { mode: info.mode & 0o777, size: info.size };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fsError(error, path, 'read');
  }
}

/**
 * Stores `data` as object `md5` unless a read-only object of that size is already there (`replace`
 * rewrites one found corrupt). The bytes go to a temp file beside the object and are renamed into
 * place, so readers and concurrent writers of the same object only ever see a complete object.
 * The caller vouches that `md5` is the MD5 of `data`.
 */
export function putObjectBytesSync(cacheDir: string, md5: string, data: Uint8Array, options: { replace?: boolean } = {}): void {
  const path = objectPath(cacheDir, md5);
  if (!options.replace) {
    let existing;
    try {
      existing = statSync(path, { throwIfNoEntry: false });
    } catch (error) {
      throw fsError(error, path, 'write');
    }
    if (existing && existing.size === data.length && (existing.mode & 0o777) === READ_ONLY) return;
  }
  writeFileAtomicSync(path, data, READ_ONLY);
}

export type ObjectState = 'ok' | 'missing' | 'corrupt';

/** Re-hashes a cache object: `ok`, `missing`, or `corrupt` (bytes do not match its name). */
export async function verifyObject(cacheDir: string, md5: string): Promise<ObjectState> {
  try {
    const { md5: actual } = await md5File(objectPath(cacheDir, md5));
    return actual === contentMd5(md5) ? 'ok' : 'corrupt';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw fsError(error, objectPath(cacheDir, md5), 'read');
  }
}

/** Reads a cache object, checking its MD5; a mismatch removes it and throws `CorruptObjectError`. */
export async function readObjectVerified(cacheDir: string, md5: string, what = `object ${md5}`): Promise<Buffer> {
  const path = objectPath(cacheDir, md5);
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new MissingObjectError(md5, what);
    throw fsError(error, path, 'read');
  }
  const actual = md5Bytes(data);
  if (actual !== contentMd5(md5)) {
    await rm(path, { force: true });
    throw new CorruptObjectError(md5, `cache object ${path} (${what})`, `its MD5 is ${actual}`);
  }
  return data;
}

/**
 * `readObjectVerified` for the small-file fast path: undefined when the object is too large to
 * read in one piece (use the async version then).
 */
export function readObjectVerifiedSync(cacheDir: string, md5: string, what = `object ${md5}`): Buffer | undefined {
  const path = objectPath(cacheDir, md5);
  const data = readSmallIfExistsSync(path);
  if (data === null) throw new MissingObjectError(md5, what);
  if (data === undefined) return undefined;
  const actual = md5Bytes(data);
  if (actual !== contentMd5(md5)) {
    rmSync(path, { force: true });
    throw new CorruptObjectError(md5, `cache object ${path} (${what})`, `its MD5 is ${actual}`);
  }
  return data;
}

/**
 * Manifests this process has judged safe, by hash. The verdict depends only on the bytes, and
 * every read checks them against the hash first, so it holds for later reads: a pull reads its
 * manifest three times (fetch, the checkout's check, its plan), and judging 20,000 names is not free.
 */
const SAFE_MANIFESTS = new Set<string>();

/**
 * The entries of a directory hash, read from its verified `.dir` object and judged by the path
 * rule: an entry checkout must not write throws `UnsafeManifestError` (`origin` says where the
 * manifest came from, e.g. the remote, for that message).
 */
export async function readDirManifest(cacheDir: string, md5: string, what?: string, origin?: string): Promise<ManifestEntry[]> {
  const data = await readObjectVerified(cacheDir, md5, what);
  const entries = parseManifest(data, objectPath(cacheDir, md5));
  if (SAFE_MANIFESTS.has(md5)) return entries;
  const unsafe = unsafeManifestEntry(entries);
  if (unsafe) throw new UnsafeManifestError(md5, unsafe, { what, origin });
  SAFE_MANIFESTS.add(md5);
  return entries;
}

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
    const path = join(this.temp, md5.slice(2));
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

/** Whether the object file exists (no hashing). */
export async function hasObject(cacheDir: string, md5: string): Promise<boolean> {
  return (await fileMode(objectPath(cacheDir, md5))) !== undefined;
}

/** Whether the store holds the `.dir` object `md5` and every file object it names (no hashing). */
export async function hasTree(cacheDir: string, md5: string): Promise<boolean> {
  let entries: ManifestEntry[];
  try {
    entries = await readDirManifest(cacheDir, md5);
  } catch {
    return false;
  }
  for (const entry of entries) if (!(await hasObject(cacheDir, entry.md5))) return false;
  return true;
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
