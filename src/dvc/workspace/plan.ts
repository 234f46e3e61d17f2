import { lstat, readdir, stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { TEMP_NAME, isStaleTemp } from '../../util/atomic.js';
import { fsError, withFsErrors } from '../../util/errno.js';
import { mapLimit } from '../../util/map-limit.js';
import { IgnoreRules } from '../dvcignore.js';
import { type HashInfo, isDirHash, md5Bytes, md5File } from '../hash.js';
import { DEFAULT_JOBS } from '../jobs.js';
import type { ManifestEntry } from '../manifest.js';
import { hasObject, readDirManifest } from '../object-store.js';
import { findLinkOut, UnsafePathError } from '../paths.js';
import { eachInBatches, readSmallIfExistsSync } from '../small-files.js';
import type { CacheRepo } from './types.js';

/**
 * The first half of a checkout, as dvc-data's `index/checkout` splits it: compare what the
 * workspace holds at a path with what the cache says belongs there, into a plan of writes and
 * removals. Planning reads and hashes, and writes nothing; the plan can be printed
 * (`describeCheckoutPlan`) and is carried out by `applyCheckoutPlan` (apply.ts).
 */

/** A tracked single file. */
export interface FilePlan {
  kind: 'file';
  path: string;
  md5: string;
  /** False when the file already has the content (and the checkout is not forced). */
  write: boolean;
  /** Workspace files the write would replace although the cache has no copy of them. */
  lost: string[];
}

/** One file of a directory that the checkout writes. */
export interface PlannedWrite extends ManifestEntry {
  /** Something is at its path now (a file with other content): it is replaced. */
  present: boolean;
}

/** A tracked directory. */
export interface DirPlan {
  kind: 'dir';
  path: string;
  md5: string;
  /** The directory's manifest: every file it holds, in manifest order. */
  entries: ManifestEntry[];
  /** Nothing stands where the folder goes: it is built beside its place and renamed into it whole. */
  absent: boolean;
  /** A file or link stands where the folder goes: it is removed first. */
  replacePath: boolean;
  /** Temp files of checkouts killed mid-way (relative paths), removed first. */
  staleTemps: string[];
  /** Files the manifest does not list (relative paths), removed. */
  remove: string[];
  write: PlannedWrite[];
  /** Files that already have their content (relative paths). */
  unchanged: string[];
  /** Workspace files the checkout would overwrite or delete although the cache has no copy of them. */
  lost: string[];
}

export type CheckoutPlan = FilePlan | DirPlan;

export interface PlanOptions {
  jobs?: number;
  /** Shared `.dvcignore` rules; built from `repo.root` when absent. */
  ignore?: IgnoreRules;
  /** Rewrite files even when their content already matches (nothing is unchanged, nothing is lost). */
  force?: boolean;
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

/** Of `files` (path, content MD5), those whose content the cache does not hold. */
async function uncached(repo: CacheRepo, files: readonly (readonly [string, string])[], jobs: number): Promise<string[]> {
  const cached = await mapLimit(files, jobs, ([, md5]) => hasObject(repo.cacheDir, md5));
  return files.filter((_, i) => !cached[i]).map(([path]) => path);
}

async function planFile(repo: CacheRepo, md5: string, path: string, options: PlanOptions): Promise<FilePlan> {
  const jobs = options.jobs ?? DEFAULT_JOBS;
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? undefined : Promise.reject(fsError(error, path, 'read'))));
  const current = info?.isFile() ? await contentOf(path) : undefined;
  if (!options.force && current === md5) return { kind: 'file', path, md5, write: false, lost: [] };
  let lost: string[] = [];
  if (!options.force) {
    // A folder where the file goes is deleted whole, so every file in it must have a cached copy.
    const replaced = current !== undefined ? [path] : info?.isDirectory() ? await filesInFolder(path) : [];
    const cached = await mapLimit(replaced, jobs, async (file) => {
      const content = await contentOf(file);
      return content === undefined || (await hasObject(repo.cacheDir, content));
    });
    lost = replaced.filter((_, i) => !cached[i]);
  }
  return { kind: 'file', path, md5, write: true, lost: lost.sort() };
}

async function planDir(repo: CacheRepo, md5: string, path: string, options: PlanOptions): Promise<DirPlan> {
  const jobs = options.jobs ?? DEFAULT_JOBS;
  const entries = await readDirManifest(repo.cacheDir, md5, path);
  const rules = options.ignore ?? new IgnoreRules(repo.root);
  const current = await lstat(path).catch((error: NodeJS.ErrnoException) =>
    error.code === 'ENOENT' ? undefined : Promise.reject(fsError(error, path, 'read')),
  );
  const listed = current?.isDirectory() ? await rules.listFiles(path) : [];
  // Writes and removals below `path` must stay there: no existing folder on the way may link out
  // (where nothing stands, no folder below exists).
  const linkOut = current && (await findLinkOut(path, new Set([...entries.map((e) => e.relpath), ...listed].map((rel) => posix.dirname(rel)))));
  if (linkOut) {
    throw new UnsafePathError(
      `cannot check out ${path}: its folder ${linkOut.link} is a symbolic link to ${linkOut.target}, outside ${path}, and checkout does not write through it. Nothing was written. Replace the link with a real folder (or remove it) and run the command again`,
    );
  }
  // Temp files of a checkout killed mid-way go; those of a live one are left alone and never taken for data.
  const staleTemps = listed.filter(isStaleTemp);
  const existing = listed.filter((rel) => !TEMP_NAME.test(rel));
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
  const wanted = new Map(entries.map((e) => [e.relpath, e.md5]));
  const lost: string[] = [];
  if (!options.force) {
    // A file where the folder goes is lost unless cached; a link is not content (its target stays).
    if (current?.isFile() && !(await hasObject(repo.cacheDir, (await contentOf(path)) ?? ''))) lost.push(path);
    const changed = existing.filter((rel) => actual.get(rel) !== undefined && actual.get(rel) !== wanted.get(rel));
    lost.push(
      ...(await uncached(
        repo,
        changed.map((rel) => [`${path}/${rel}`, actual.get(rel)!] as const),
        jobs,
      )),
    );
  }
  const unchanged = options.force ? [] : entries.filter((e) => actual.get(e.relpath) === e.md5).map((e) => e.relpath);
  const same = new Set(unchanged);
  return {
    kind: 'dir',
    path,
    md5,
    entries,
    absent: current === undefined,
    replacePath: current !== undefined && !current.isDirectory(),
    staleTemps,
    remove: existing.filter((rel) => !wanted.has(rel)),
    write: entries.filter((e) => !same.has(e.relpath)).map((e) => ({ md5: e.md5, relpath: e.relpath, present: actual.has(e.relpath) })),
    unchanged,
    lost: lost.sort(),
  };
}

/**
 * Compares the workspace at `path` with `hash` in the cache. A directory's manifest is read
 * (verified, and judged by the path rule) and every file there is hashed; nothing is written.
 */
export async function planCheckout(repo: CacheRepo, hash: Pick<HashInfo, 'md5'>, path: string, options: PlanOptions = {}): Promise<CheckoutPlan> {
  return isDirHash(hash.md5) ? planDir(repo, hash.md5, path, options) : planFile(repo, hash.md5, path, options);
}

/**
 * The plan as lines a person reads: a summary, then one line per change (`+` a new file, `M` a
 * changed one, `-` a removed one, `!` a change the cache has no copy of).
 */
export function describeCheckoutPlan(plan: CheckoutPlan): string[] {
  if (plan.kind === 'file') {
    return [`${plan.path}: ${plan.write ? 'write' : 'unchanged'}`, ...plan.lost.map((file) => `! ${file} (not in the cache)`)];
  }
  return [
    `${plan.path}: ${plan.write.length} to write, ${plan.unchanged.length} unchanged, ${plan.remove.length} to remove`,
    ...plan.write.map((w) => `${w.present ? 'M' : '+'} ${w.relpath}`),
    ...plan.remove.map((rel) => `- ${rel}`),
    ...plan.lost.map((file) => `! ${file} (not in the cache)`),
  ];
}
