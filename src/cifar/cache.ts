import { homedir } from 'node:os';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { errnoOf } from '../util/errno.js';
import { BATCHES_DIR_NAME, datasetFingerprint, verifyBatchesDir, type VerifiedBatches } from './batches.js';

/**
 * The cache folder for verified batches and downloads: `CIFAR10_CACHE`, else
 * `$XDG_CACHE_HOME/cifar10-ci`, else `~/.cache/cifar10-ci`.
 */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CIFAR10_CACHE) return env.CIFAR10_CACHE;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'cifar10-ci');
}

/** Where the verified official batches live. */
export function officialBatchesDir(cacheDir: string): string {
  return join(cacheDir, BATCHES_DIR_NAME);
}

/** Where verified synthetic batches from a local tarball live, one folder per dataset fingerprint. */
export function syntheticBatchesDir(cacheDir: string, fingerprint: string): string {
  return join(cacheDir, 'synthetic', fingerprint, BATCHES_DIR_NAME);
}

/** Whether the cache entry `dir` holds the same verified batches as `verified` (what `installDir` keeps). */
export async function holdsBatches(dir: string, verified: Pick<VerifiedBatches, 'kind' | 'batches'>): Promise<boolean> {
  const found = await verifyBatchesDir(dir, { allowSynthetic: verified.kind === 'synthetic', fix: 'replacing it' }).catch(() => undefined);
  return found?.kind === verified.kind && datasetFingerprint(found.batches) === datasetFingerprint(verified.batches);
}

const STAGING_PREFIX = '.staging-';

/**
 * A fresh folder inside the cache to download or extract into; it only becomes a cache entry by
 * `installDir` after verification, so an interrupted run never leaves a cache entry that looks valid.
 * Staging folders older than a day (left by killed runs) are removed on the way.
 */
export async function makeStagingDir(cacheDir: string): Promise<string> {
  await mkdir(cacheDir, { recursive: true });
  const dayAgo = Date.now() - 24 * 3600 * 1000;
  for (const name of await readdir(cacheDir)) {
    if (!name.startsWith(STAGING_PREFIX)) continue;
    const path = join(cacheDir, name);
    const info = await stat(path).catch(() => undefined);
    if (info && info.mtimeMs < dayAgo) await rm(path, { recursive: true, force: true });
  }
  const dir = join(cacheDir, `${STAGING_PREFIX}${process.pid}-${randomBytes(4).toString('hex')}`);
  await mkdir(dir);
  return dir;
}

/**
 * Moves the verified folder `source` into the cache entry `target` (same filesystem). Another
 * process (a second command, or a second runner on a self-hosted machine sharing the home folder)
 * may be reading `target` right now, so an intact entry is never removed: an entry names its
 * content (the official batches, or one synthetic dataset by fingerprint), so when `intact(target)`
 * holds, `source` is dropped instead. Only a damaged entry is replaced, moved aside in one rename
 * before it is removed, so `target` is always either absent or complete.
 */
export async function installDir(source: string, target: string, intact: (dir: string) => Promise<boolean>): Promise<void> {
  await mkdir(join(target, '..'), { recursive: true });
  for (;;) {
    try {
      await rename(source, target);
      return;
    } catch (error) {
      // rename(2) replaces an empty folder but refuses a full one.
      const code = errnoOf(error);
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
    }
    if (await intact(target)) {
      await rm(source, { recursive: true, force: true });
      return;
    }
    const aside = `${target}.damaged-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      await rename(target, aside);
    } catch (error) {
      // Another process moved it aside first; try the rename again.
      if (errnoOf(error) !== 'ENOENT') throw error;
      continue;
    }
    await rm(aside, { recursive: true, force: true });
  }
}
