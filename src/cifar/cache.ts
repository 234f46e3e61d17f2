import { homedir } from 'node:os';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { BATCHES_DIR_NAME } from './batches.js';

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

/** Replaces `target` with the folder `source` (same filesystem): remove, then rename. */
export async function installDir(source: string, target: string): Promise<void> {
  await mkdir(join(target, '..'), { recursive: true });
  await rm(target, { recursive: true, force: true });
  await rename(source, target);
}
