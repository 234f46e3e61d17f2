import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, rmSync, statSync } from 'node:fs';
import { link, lstat, mkdir, readdir, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { discardTemp, isStaleTemp, tempPathFor, TEMP_NAME } from '../util/atomic.js';
import { FsError, fsError, withFsErrors } from '../util/errno.js';
import { UserError } from '../util/errors.js';
import { command, hinted } from '../util/hints.js';
import {
  DIR_SUFFIX,
  dirHashInfo,
  type HashedFile,
  type HashInfo,
  IgnoreRules,
  isDirHash,
  md5Bytes,
  md5File,
  type ManifestEntry,
  parseManifest,
  type UnsafeEntry,
  unsafeManifestEntry,
} from './hash.js';
import { findLinkOut, UnsafePathError } from './paths.js';
import { DEFAULT_JOBS, mapLimit } from './pool.js';
import { eachInBatches, readSmallIfExistsSync, readSmallSync, writeAtomicSync } from './small-files.js';

/**
 * The DVC 3.x content-addressed cache (dvc-format.md §2): `<cache>/files/md5/xx/rest`, objects
 * read-only (0444), a directory's manifest stored as `<id>.dir`.
 */

/** Where the cache lives and which repository's `.dvcignore` rules apply. A `Repo` satisfies it. */
export interface CacheRepo {
  root: string;
  cacheDir: string;
  /** How checkout places files (`cache.type`); copy when absent. */
  linkType?: LinkType;
}

/**
 * `cache.type`: `copy` (DVC's fallback for `reflink,copy`, the default) gives writable workspace
 * files; `hardlink` and `symlink` make the workspace file the read-only cache object itself.
 */
export type LinkType = 'copy' | 'hardlink' | 'symlink';

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
  if (!MD5_PATTERN.test(md5)) throw new UserError(`"${md5}" is not a DVC md5 hash (32 lower-case hex digits, optionally .dir); fix the .dvc or dvc.lock file that holds it`);
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

async function fileMode(path: string): Promise<{ mode: number; size: number } | undefined> {
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
  writeAtomicSync(path, data, READ_ONLY);
}

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
 * The entries of a directory hash, read from its verified `.dir` object and judged by the path
 * rule: an entry checkout must not write throws `UnsafeManifestError` (`origin` says where the
 * manifest came from, e.g. the remote, for that message).
 */
export async function readDirManifest(cacheDir: string, md5: string, what?: string, origin?: string): Promise<ManifestEntry[]> {
  const data = await readObjectVerified(cacheDir, md5, what);
  const entries = parseManifest(data, objectPath(cacheDir, md5));
  const unsafe = unsafeManifestEntry(entries);
  if (unsafe) throw new UnsafeManifestError(md5, unsafe, { what, origin });
  return entries;
}

export interface CheckoutOptions {
  jobs?: number;
  ignore?: IgnoreRules;
  onFile?: () => void;
  onTotal?: (files: number) => void;
  /** Rewrite files even when their content already matches. */
  force?: boolean;
  /** Object bytes already MD5-checked in this process (by the fetch of a pull), to skip re-reading them. */
  verified?: ReadonlyMap<string, Buffer>;
}

export interface CheckoutResult {
  /** Files written from the cache. */
  written: number;
  /** Files that already had the right content. */
  unchanged: number;
  /** Files removed because the directory in the cache does not have them. */
  removed: number;
}

/**
 * Places cache object `md5` at `path`: verified first, then as a copy, hard link or symbolic
 * link made beside `path` and renamed over it.
 */
async function placeObject(repo: CacheRepo, md5: string, path: string, what: string): Promise<void> {
  const data = await readObjectVerified(repo.cacheDir, md5, what);
  const type = repo.linkType ?? 'copy';
  if (type === 'copy') return writeWorkspaceFile(path, data);
  const temp = tempPathFor(path);
  try {
    if (type === 'hardlink') await link(objectPath(repo.cacheDir, md5), temp);
    else await symlink(objectPath(repo.cacheDir, md5), temp);
    await rename(temp, path);
  } catch (error) {
    await discardTemp(temp);
    if ((error as NodeJS.ErrnoException).code === 'EXDEV' || (error as NodeJS.ErrnoException).code === 'EPERM') {
      throw new UserError(`cache.type = ${type}: cannot link ${path} to the cache ${repo.cacheDir} (${(error as NodeJS.ErrnoException).code}); use \`cache.type = copy\` in .dvc/config or put the cache on the same file system`, { cause: error });
    }
    throw workspaceError(path, error);
  }
}

/** Writes a workspace file (writable) from verified bytes, atomically. */
async function writeWorkspaceFile(path: string, data: Uint8Array): Promise<void> {
  const temp = tempPathFor(path);
  try {
    await writeFile(temp, data);
    await rename(temp, path);
  } catch (error) {
    await discardTemp(temp);
    throw workspaceError(path, error);
  }
}

/** A failed write into the workspace: a read-only one gets its own message, the rest `fsError`'s. */
function workspaceError(path: string, error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new FsError(`cannot write ${path}: the workspace is read-only (${code}); make ${dirname(path)} writable and run the command again`, code, path, error);
  }
  return fsError(error, path, 'write');
}

/** Removes whatever is at `path` if it is not a regular file (e.g. a folder where a file goes). */
async function clearNonFile(path: string): Promise<boolean> {
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

/** Workspace content that checkout would overwrite or delete although the cache has no copy of it. */
export class UncachedChangesError extends UserError {
  constructor(
    readonly path: string,
    readonly files: readonly string[],
  ) {
    const shown = files.slice(0, 5).join(', ') + (files.length > 5 ? `, … (${files.length} files)` : '');
    super(hinted`${path} has changes that are not in the cache (${shown}); keep them with ${command('add', path)}, or discard them with ${command('checkout', '--force')}`);
    this.name = 'UncachedChangesError';
  }
}

/**
 * Every regular file below the folder `path`, ignored ones included; none when `path` only links
 * to a folder, since removing the link keeps them.
 */
async function filesInFolder(path: string): Promise<string[]> {
  return withFsErrors(path, 'list', async () => {
    if (!(await lstat(path)).isDirectory()) return [];
    const found: string[] = [];
    for (const rel of await readdir(path, { recursive: true })) {
      const file = join(path, rel);
      if ((await lstat(file)).isFile()) found.push(file);
    }
    return found;
  });
}

/** The MD5 of the file at `path`, or undefined when there is none. */
async function contentOf(path: string): Promise<string | undefined> {
  try {
    return (await md5File(path)).md5;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Makes the workspace at `path` match `hash` from the cache, as writable copies: every object is
 * MD5-checked while it is copied (a corrupt one is removed from the cache and reported with
 * `CorruptObjectError`), files already right are left alone, and a directory loses the files its
 * manifest does not list (ignored files are kept). Before anything is written, workspace content
 * that would be lost (changed or extra files the cache has no copy of) stops the checkout with
 * `UncachedChangesError` unless `force` is set.
 */
export async function checkoutFromCache(repo: CacheRepo, hash: Pick<HashInfo, 'md5'>, path: string, options: CheckoutOptions = {}): Promise<CheckoutResult> {
  const jobs = options.jobs ?? DEFAULT_JOBS;
  const result: CheckoutResult = { written: 0, unchanged: 0, removed: 0 };
  if (!isDirHash(hash.md5)) {
    options.onTotal?.(1);
    const info = await stat(path).catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? undefined : Promise.reject(fsError(error, path, 'read'))));
    const current = info?.isFile() ? await contentOf(path) : undefined;
    if (!options.force && current === hash.md5) {
      result.unchanged++;
    } else {
      if (!options.force) {
        // A folder where the file goes is deleted whole, so every file in it must have a cached copy.
        const replaced = current !== undefined ? [path] : info?.isDirectory() ? await filesInFolder(path) : [];
        const cached = await mapLimit(replaced, jobs, async (file) => {
          const md5 = await contentOf(file);
          return md5 === undefined || (await hasObject(repo.cacheDir, md5));
        });
        const lost = replaced.filter((_, i) => !cached[i]);
        if (lost.length > 0) throw new UncachedChangesError(path, lost.sort());
      }
      await readObjectVerified(repo.cacheDir, hash.md5, path);
      await clearNonFile(path);
      await mkdir(dirname(path), { recursive: true }).catch((error) => Promise.reject(workspaceError(path, error)));
      await placeObject(repo, hash.md5, path, path);
      result.written++;
    }
    options.onFile?.();
    return result;
  }
  const entries = await readDirManifest(repo.cacheDir, hash.md5, path);
  options.onTotal?.(entries.length);
  const rules = options.ignore ?? new IgnoreRules(repo.root);
  const wanted = new Map(entries.map((e) => [e.relpath, e.md5]));
  const current = await lstat(path).catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? undefined : Promise.reject(fsError(error, path, 'read'))));
  const listed = current?.isDirectory() ? await rules.listFiles(path) : [];
  // Writes and removals below `path` must stay there: no existing folder on the way may link out.
  const linkOut = await findLinkOut(path, new Set([...entries.map((e) => e.relpath), ...listed].map((rel) => posix.dirname(rel))));
  if (linkOut) {
    throw new UnsafePathError(
      `cannot check out ${path}: its folder ${linkOut.link} is a symbolic link to ${linkOut.target}, outside ${path}, and checkout does not write through it. Nothing was written. Replace the link with a real folder (or remove it) and run the command again`,
    );
  }
  // Temp files of a checkout killed mid-way are removed; those of a live one are left alone.
  await mapLimit(listed.filter(isStaleTemp), jobs, (rel) => rm(join(path, ...rel.split('/')), { force: true }).catch(() => undefined));
  const existing = listed.filter((rel) => !TEMP_NAME.test(rel));
  // Plan: hash what is there, so nothing is touched before we know no uncached work is lost.
  const actual = new Map<string, string | undefined>();
  const largeExisting: string[] = [];
  await eachInBatches(existing, (rel) => {
    const data = readSmallIfExistsSync(join(path, ...rel.split('/')));
    if (data === undefined) largeExisting.push(rel);
    else actual.set(rel, data === null ? undefined : md5Bytes(data));
  });
  await mapLimit(largeExisting, jobs, async (rel) => {
    actual.set(rel, await contentOf(join(path, ...rel.split('/'))));
  });
  const redundant = existing.filter((rel) => !wanted.has(rel));
  if (!options.force) {
    const lost: string[] = [];
    // A file where the folder goes is lost unless cached; a link is not content (its target stays).
    if (current?.isFile() && !(await hasObject(repo.cacheDir, (await contentOf(path)) ?? ''))) lost.push(path);
    const changed = existing.filter((rel) => actual.get(rel) !== undefined && actual.get(rel) !== wanted.get(rel));
    await mapLimit(changed, jobs, async (rel) => {
      if (!(await hasObject(repo.cacheDir, actual.get(rel)!))) lost.push(`${path}/${rel}`);
    });
    if (lost.length > 0) throw new UncachedChangesError(path, lost.sort());
  }
  if (current && !current.isDirectory()) await rm(path, { force: true }).catch((error) => Promise.reject(workspaceError(path, error)));
  await mapLimit(redundant, jobs, async (rel) => {
    await rm(join(path, ...rel.split('/')), { force: true }).catch((error) => Promise.reject(workspaceError(path, error)));
    result.removed++;
  });
  // The output folder itself too: a tracked empty folder is restored as DVC restores it.
  const folders = new Set([path, ...entries.map((e) => dirname(join(path, ...e.relpath.split('/'))))]);
  for (const folder of folders) {
    await mkdir(folder, { recursive: true }).catch(async (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST' && error.code !== 'ENOTDIR') throw workspaceError(folder, error);
      // A file stands where the manifest needs a folder: replace it.
      await rm(folder, { force: true }).catch((again: unknown) => Promise.reject(workspaceError(folder, again)));
      await mkdir(folder, { recursive: true }).catch((again: unknown) => Promise.reject(workspaceError(folder, again)));
    });
  }
  // Copies of small objects take the fast path; links, large objects and odd cases (a folder
  // where a file goes) take the general async one.
  const slow: ManifestEntry[] = [];
  await eachInBatches(entries, (entry) => {
    if (!options.force && actual.get(entry.relpath) === entry.md5) {
      result.unchanged++;
      options.onFile?.();
      return;
    }
    if ((repo.linkType ?? 'copy') !== 'copy') return void slow.push(entry);
    const target = join(path, ...entry.relpath.split('/'));
    const data = options.verified?.get(entry.md5) ?? readObjectVerifiedSync(repo.cacheDir, entry.md5, `${path}/${entry.relpath}`);
    if (!data) return void slow.push(entry);
    try {
      writeAtomicSync(target, data);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EISDIR' || code === 'ENOTEMPTY' || code === 'EEXIST') return void slow.push(entry);
      throw workspaceError(target, error);
    }
    result.written++;
    options.onFile?.();
  });
  await mapLimit(slow, jobs, async (entry) => {
    const target = join(path, ...entry.relpath.split('/'));
    if (!actual.has(entry.relpath)) await clearNonFile(target);
    await placeObject(repo, entry.md5, target, `${path}/${entry.relpath}`);
    result.written++;
    options.onFile?.();
  });
  return result;
}

/** Whether the object file exists (no hashing). */
export async function hasObject(cacheDir: string, md5: string): Promise<boolean> {
  return (await fileMode(objectPath(cacheDir, md5))) !== undefined;
}

/**
 * Removes the temp files that writers killed mid-write (a pull stopped with Ctrl-C or SIGKILL) left
 * in the cache. A temp file's name carries its writer's pid, so only those of processes that no
 * longer run are removed; a live writer's temp file is left alone. Returns how many went.
 */
export async function removeCacheLitter(cacheDir: string): Promise<number> {
  const objects = join(cacheDir, 'files', 'md5');
  const folders = [cacheDir, ...(await readdir(objects).catch(() => [] as string[])).map((name) => join(objects, name))];
  let removed = 0;
  await mapLimit(folders, DEFAULT_JOBS, async (folder) => {
    const names = await readdir(folder).catch(() => [] as string[]);
    for (const name of names) {
      if (!isStaleTemp(name)) continue;
      await rm(join(folder, name), { force: true }).then(
        () => removed++,
        () => undefined,
      );
    }
  });
  return removed;
}
