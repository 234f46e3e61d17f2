import { mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { writeFileAtomicSync } from '../../util/atomic.js';
import { mapLimit } from '../../util/map-limit.js';
import { DEFAULT_JOBS } from '../jobs.js';
import { readObjectVerified, readObjectVerifiedSync } from '../object-store.js';
import { eachInBatches } from '../small-files.js';
import { FolderBuild, removeKilledBuilds } from './build.js';
import type { CheckoutPlan, DirPlan, FilePlan, PlannedWrite } from './plan.js';
import { clearNonFile, placeObject, workspaceError } from './place.js';
import type { CacheRepo, CheckoutResult } from './types.js';

/**
 * The second half of a checkout: carries out a plan (plan.ts). Every object is MD5-checked as it
 * is placed (a corrupt one is removed from the cache and reported with `CorruptObjectError`);
 * each file is written beside its place and renamed over it, so a failure midway leaves whole
 * files, and the plan, printed, says what was still to do. A folder where nothing stands is
 * built whole beside its place instead (build.ts).
 */

export interface ApplyOptions {
  jobs?: number;
  onFile?: () => void;
  /** Object bytes already MD5-checked in this process (by the fetch of a pull), to skip re-reading them. */
  verified?: ReadonlyMap<string, Buffer>;
}

async function applyFile(repo: CacheRepo, plan: FilePlan, options: ApplyOptions): Promise<CheckoutResult> {
  const result: CheckoutResult = { written: 0, unchanged: 0, removed: 0 };
  if (!plan.write) {
    result.unchanged++;
  } else {
    const { path } = plan;
    await readObjectVerified(repo.cacheDir, plan.md5, path);
    await clearNonFile(path);
    await mkdir(dirname(path), { recursive: true }).catch((error) => Promise.reject(workspaceError(path, error)));
    await placeObject(repo, plan.md5, path, path);
    result.written++;
  }
  options.onFile?.();
  return result;
}

async function applyDir(repo: CacheRepo, plan: DirPlan, options: ApplyOptions): Promise<CheckoutResult> {
  if (plan.absent) return (await FolderBuild.start(repo, plan)).finish(options);
  await removeKilledBuilds(plan.path);
  const jobs = options.jobs ?? DEFAULT_JOBS;
  const { path } = plan;
  const result: CheckoutResult = { written: 0, unchanged: 0, removed: 0 };
  const under = (rel: string) => join(path, ...rel.split('/'));
  await mapLimit(plan.staleTemps, jobs, (rel) => rm(under(rel), { force: true }).catch(() => undefined));
  if (plan.replacePath) await rm(path, { force: true }).catch((error) => Promise.reject(workspaceError(path, error)));
  await mapLimit(plan.remove, jobs, async (rel) => {
    await rm(under(rel), { force: true }).catch((error) => Promise.reject(workspaceError(path, error)));
    result.removed++;
  });
  for (const _ of plan.unchanged) {
    result.unchanged++;
    options.onFile?.();
  }
  result.written = await writeEntries(repo, plan, options);
  return result;
}

/** Writes the plan's files into the folder at `plan.path`, each beside its place and renamed over it; returns how many. */
async function writeEntries(repo: CacheRepo, plan: DirPlan, options: ApplyOptions): Promise<number> {
  const under = (rel: string) => join(plan.path, ...rel.split('/'));
  // The output folder itself too: a tracked empty folder is restored as DVC restores it.
  const folders = new Set([plan.path, ...plan.entries.map((e) => dirname(under(e.relpath)))]);
  for (const folder of folders) {
    await mkdir(folder, { recursive: true }).catch(async (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST' && error.code !== 'ENOTDIR') throw workspaceError(folder, error);
      // A file stands where the manifest needs a folder: replace it.
      await rm(folder, { force: true }).catch((again: unknown) => Promise.reject(workspaceError(folder, again)));
      await mkdir(folder, { recursive: true }).catch((again: unknown) => Promise.reject(workspaceError(folder, again)));
    });
  }
  let written = 0;
  // Copies of small objects take the fast path; links, large objects and odd cases (a folder
  // where a file goes) take the general async one.
  const slow: PlannedWrite[] = [];
  await eachInBatches(plan.write, (entry) => {
    if ((repo.linkType ?? 'copy') !== 'copy') return void slow.push(entry);
    const target = under(entry.relpath);
    const data = options.verified?.get(entry.md5) ?? readObjectVerifiedSync(repo.cacheDir, entry.md5, `${plan.path}/${entry.relpath}`);
    if (!data) return void slow.push(entry);
    try {
      writeFileAtomicSync(target, data);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EISDIR' || code === 'ENOTEMPTY' || code === 'EEXIST') return void slow.push(entry);
      throw workspaceError(target, error);
    }
    written++;
    options.onFile?.();
  });
  await mapLimit(slow, options.jobs ?? DEFAULT_JOBS, async (entry) => {
    const target = under(entry.relpath);
    if (!entry.present) await clearNonFile(target);
    await placeObject(repo, entry.md5, target, `${plan.path}/${entry.relpath}`);
    written++;
    options.onFile?.();
  });
  return written;
}

/** Carries out `plan`: removals first, then every write; returns what was done. */
export async function applyCheckoutPlan(repo: CacheRepo, plan: CheckoutPlan, options: ApplyOptions = {}): Promise<CheckoutResult> {
  return plan.kind === 'file' ? applyFile(repo, plan, options) : applyDir(repo, plan, options);
}
