import { rmSync, statSync } from 'node:fs';
import { readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomicSync } from '../util/atomic.js';
import { fsError } from '../util/errno.js';
import { UserError } from '../util/errors.js';
import { command, hinted } from '../util/hints.js';
import { DIR_SUFFIX, isDirHash, md5Bytes, md5File } from './hash.js';
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
export function checkMd5(md5: string): void {
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
 * Manifests this process has judged safe, by hash, with their entries. The verdict and the entries
 * depend only on the bytes, and every read checks them against the hash first, so they hold for
 * later reads: a pull reads its manifest four times (fetch, the checkout's check, its plan and
 * build), and parsing and judging 20,000 names is not free. The last few are kept.
 */
const SAFE_MANIFESTS = new Map<string, readonly ManifestEntry[]>();
const SAFE_MANIFESTS_KEPT = 8;

/**
 * The entries of a directory hash, read from its verified `.dir` object and judged by the path
 * rule: an entry checkout must not write throws `UnsafeManifestError` (`origin` says where the
 * manifest came from, e.g. the remote, for that message).
 */
export async function readDirManifest(cacheDir: string, md5: string, what?: string, origin?: string): Promise<ManifestEntry[]> {
  const data = await readObjectVerified(cacheDir, md5, what);
  const known = SAFE_MANIFESTS.get(md5);
  if (known) return [...known];
  const entries = parseManifest(data, objectPath(cacheDir, md5));
  const unsafe = unsafeManifestEntry(entries);
  if (unsafe) throw new UnsafeManifestError(md5, unsafe, { what, origin });
  SAFE_MANIFESTS.set(md5, Object.freeze(entries.map((entry) => Object.freeze({ ...entry }))));
  if (SAFE_MANIFESTS.size > SAFE_MANIFESTS_KEPT) SAFE_MANIFESTS.delete(SAFE_MANIFESTS.keys().next().value!);
  return entries;
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
