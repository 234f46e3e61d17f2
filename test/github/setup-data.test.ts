import assert from 'node:assert/strict';
import { cp, mkdir, readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { loadRepo } from '../../src/dvc/index.js';
import { versionData } from '../../src/data/versioning.js';
import type { CacheService } from '../../src/github/data-cache.js';
import { dvcCacheKey, setupData } from '../../src/github/setup-data.js';
import { createSynthWorkspace, withTempDir } from '../fixtures/synth-workspace.js';

/** A cache service backed by folders: keys are folder names, restore copies back the paths. */
function folderCache(store: string, log: string[]): CacheService {
  return {
    async restore(paths, key, restoreKeys) {
      const keys = await readdir(store).catch(() => [] as string[]);
      const hit = keys.includes(key)
        ? key
        : keys
            .sort()
            .reverse()
            .find((k) => restoreKeys.some((prefix) => k.startsWith(prefix)));
      log.push(`restore ${hit ?? 'miss'}`);
      if (hit) for (const [i, path] of paths.entries()) await cp(join(store, hit, String(i)), resolve(path), { recursive: true });
      return hit;
    },
    async save(paths, key) {
      log.push(`save ${key}`);
      for (const [i, path] of paths.entries()) await cp(resolve(path), join(store, key, String(i)), { recursive: true });
      return true;
    },
  };
}

describe('setupData', () => {
  it('one job pulls and saves; a later job restores the exact key and needs no remote at all', async () => {
    await withTempDir('setup-data-core-', async (root) => {
      const ws = await createSynthWorkspace(root, { imagesPerClass: 6, partitions: 2, partitionSize: 20 });
      await versionData({ cwd: root, remote: join(root, 'remote') });
      const store = join(root, 'actions-cache');
      await mkdir(store);
      const log: string[] = [];
      const cwd = process.cwd();
      process.chdir(root);
      try {
        const options = async () => ({
          repo: await loadRepo(root),
          partitions: ['v1', 'v2'],
          partitionsDir: ws.partitionsDir,
          source: 'auto' as const,
          cachePrefix: 'test',
          cache: folderCache(store, log),
          rebuild: async () => assert.fail('no rebuild expected'),
          info: () => {},
          warning: (m: string) => log.push(`warning ${m}`),
        });
        await rm(join(root, '.dvc', 'cache'), { recursive: true });
        await rm(ws.partitionsDir + '/v1', { recursive: true });
        const first = await setupData({ ...(await options()), saveCache: true });
        assert.equal(first.cacheHit, 'false');
        assert.equal(first.source, 'remote');
        assert.equal(first.cacheSaved, true);

        await rm(join(root, 'remote'), { recursive: true });
        await rm(join(root, '.dvc', 'cache'), { recursive: true });
        await rm(ws.partitionsDir + '/v2', { recursive: true });
        const second = await setupData({ ...(await options()), saveCache: true });
        assert.equal(second.cacheHit, 'true');
        assert.equal(second.source, 'remote');
        assert.equal(second.cacheSaved, false, 'an exact hit is not saved again');
        assert.equal((await readdir(join(ws.partitionsDir, 'v2', 'airplane'))).length > 0, true);
        assert.deepEqual(
          log.filter((l) => !l.startsWith('warning')),
          [`restore miss`, `save ${first.cacheKey}`, `restore ${first.cacheKey}`],
        );
      } finally {
        process.chdir(cwd);
      }
    });
  });

  it('keys the cache by exactly the partitions and their hashes, whatever their order', () => {
    const a = dvcCacheKey('p', { v1: 'aaa.dir', v2: 'bbb.dir' });
    assert.equal(a.key, dvcCacheKey('p', { v2: 'bbb.dir', v1: 'aaa.dir' }).key);
    assert.notEqual(a.key, dvcCacheKey('p', { v1: 'aaa.dir', v2: 'ccc.dir' }).key);
    assert.notEqual(a.key, dvcCacheKey('p', { v1: 'aaa.dir' }).key);
    assert.deepEqual(a.restoreKeys, [`p-${process.platform}-`]);
    assert.ok(a.key.startsWith(a.restoreKeys[0]!));
  });
});
