import { createHash } from 'node:crypto';
import { relative } from 'node:path';
import { remoteCannotServe } from '../data/pull-or-rebuild.js';
import { pull, readDvcFile, type Repo, selectRemote } from '../dvc/index.js';
import { UserError, messageOf } from '../util/errors.js';
import type { CacheService } from './data-cache.js';

/**
 * Makes the partitions a matrix needs present in the workspace, as the `.dvc` files promise:
 * restore the DVC cache from the Actions cache (keyed by the partitions' hashes), then pull them
 * from the DVC remote or rebuild them from CIFAR-10 and verify them, then (in the one job asked to)
 * save the cache for the matrix jobs.
 */

export type DataSource = 'remote' | 'rebuild' | 'auto';
export const DATA_SOURCES: readonly DataSource[] = ['remote', 'rebuild', 'auto'];

export interface SetupDataOptions {
  repo: Repo;
  /** Partition names, e.g. ['v1', 'v2']. */
  partitions: string[];
  /** Folder of the partitions (default `<root>/data/partitions`). */
  partitionsDir: string;
  source: DataSource;
  /** DVC remote name; the default remote when absent. */
  remote?: string;
  saveCache: boolean;
  /** Cache key prefix; bump it to start a fresh cache. */
  cachePrefix: string;
  cache: CacheService;
  /** Rebuilds the partitions from CIFAR-10 and verifies them against their `.dvc` hashes. */
  rebuild: (partitions: string[]) => Promise<void>;
  info: (message: string) => void;
  warning: (message: string) => void;
}

export interface SetupDataResult {
  /** `true` exact key, `partial` a prefix match, `false` nothing restored. */
  cacheHit: 'true' | 'partial' | 'false';
  cacheKey: string;
  /** Which way the data came in the end. */
  source: 'remote' | 'rebuild';
  partitions: string[];
  cacheSaved: boolean;
}

/** The `.dvc` hash of each partition, from `<partitionsDir>/<name>.dvc`. */
export async function partitionDvcHashes(partitionsDir: string, partitions: readonly string[]): Promise<Record<string, string>> {
  const hashes: Record<string, string> = {};
  for (const name of partitions) {
    const file = `${partitionsDir}/${name}.dvc`;
    const dvc = await readDvcFile(file).catch((error: unknown) => {
      throw new UserError(`${file} cannot be read (${messageOf(error)}); the versions input must name partitions tracked with \`cifar10 version-data\``, {
        cause: error,
      });
    });
    const md5 = dvc.outs[0]?.md5;
    if (!md5) throw new UserError(`${file} records no md5 for its output; re-add the partition with \`cifar10 data add\``);
    hashes[name] = md5;
  }
  return hashes;
}

/**
 * `<prefix>-<platform>-<digest>`: the digest covers exactly the partitions and their hashes, so a
 * changed partition is a new key, and `<prefix>-<platform>-` restores the nearest older cache.
 */
export function dvcCacheKey(prefix: string, hashes: Record<string, string>): { key: string; restoreKeys: string[] } {
  const digest = createHash('sha256')
    .update(
      Object.keys(hashes)
        .sort()
        .map((name) => `${name}:${hashes[name]}`)
        .join('\n'),
    )
    .digest('hex')
    .slice(0, 20);
  const base = `${prefix}-${process.platform}-`;
  return { key: `${base}${digest}`, restoreKeys: [base] };
}

function hasRemote(repo: Repo, name: string | undefined): boolean {
  try {
    selectRemote(repo.config, name, repo.dvcDir);
    return true;
  } catch {
    return false;
  }
}

export async function setupData(options: SetupDataOptions): Promise<SetupDataResult> {
  const { repo, partitions } = options;
  if (partitions.length === 0) throw new UserError('input "versions" names no partitions; use e.g. v1,v2 (the plan action\'s versions output)');
  const hashes = await partitionDvcHashes(options.partitionsDir, partitions);
  const { key, restoreKeys } = dvcCacheKey(options.cachePrefix, hashes);
  // The Actions cache matches paths by their text, so restore and save name the cache the same way.
  const cachePaths = [relative(process.cwd(), repo.cacheDir) || '.'];
  const matched = await options.cache.restore(cachePaths, key, restoreKeys);
  const cacheHit = matched === undefined ? 'false' : matched === key ? 'true' : 'partial';
  options.info(`DVC cache ${cacheHit === 'true' ? 'restored' : cacheHit === 'partial' ? `partly restored from ${matched}` : 'not restored'} (key ${key})`);

  const targets = partitions.map((name) => `${options.partitionsDir}/${name}.dvc`);
  const fromRemote = async () => {
    const result = await pull(repo, { targets, remote: options.remote, cwd: repo.root });
    options.info(`pulled ${partitions.join(', ')}: ${result.fetch.downloaded} objects downloaded, ${result.fetch.cached} already cached`);
  };
  let source: SetupDataResult['source'];
  if (options.source === 'remote') {
    await fromRemote();
    source = 'remote';
  } else if (options.source === 'rebuild') {
    await options.rebuild(partitions);
    source = 'rebuild';
  } else {
    // A full cache hit needs no remote at all: pull only checks the objects out.
    if (cacheHit === 'true' || hasRemote(repo, options.remote)) {
      try {
        await fromRemote();
        source = 'remote';
      } catch (error) {
        if (!remoteCannotServe(error)) throw error;
        options.warning(`pulling ${partitions.join(', ')} from the DVC remote failed (${messageOf(error)}); rebuilding them from CIFAR-10 instead`);
        await options.rebuild(partitions);
        source = 'rebuild';
      }
    } else {
      options.info('no DVC remote configured: rebuilding the partitions from CIFAR-10 and verifying them against their .dvc hashes');
      await options.rebuild(partitions);
      source = 'rebuild';
    }
  }
  const cacheSaved = options.saveCache && cacheHit !== 'true' ? await options.cache.save(cachePaths, key) : false;
  return { cacheHit, cacheKey: key, source, partitions, cacheSaved };
}
