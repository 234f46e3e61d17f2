import assert from 'node:assert/strict';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { versionData } from '../../src/data/versioning.js';
import { createSynthWorkspace, withTempDir } from '../fixtures/synth-workspace.js';
import { run as runSetupData } from '../../src/actions/impl/setup-data.js';
import { runActionInProcess, runActionProcess } from './local-runner.js';

async function listTree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? (e as unknown as { path: string }).path, e.name).slice(dir.length))
    .sort();
}

describe('the setup-data action, run as the runner runs it', () => {
  it('with no cache service warns, pulls the partitions from the DVC remote and succeeds', async () => {
    await withTempDir('setup-data-', async (root) => {
      const ws = await createSynthWorkspace(root, { imagesPerClass: 6, partitions: 2, partitionSize: 20 });
      await versionData({ cwd: root, remote: join(root, 'remote') });
      const v1 = join(ws.partitionsDir, 'v1');
      const before = await listTree(v1);
      const manifest = await readFile(join(v1, 'manifest.csv'), 'utf8');
      await rm(v1, { recursive: true });
      await rm(join(root, '.dvc', 'cache'), { recursive: true });

      const run = await runActionProcess('setup-data', {
        eventName: 'pull_request',
        event: {},
        cwd: root,
        inputs: { versions: 'v1', source: 'remote', 'save-cache': 'true' },
      });
      assert.equal(run.code, 0, run.everything);
      assert.match(run.stdout, /::warning::the Actions cache service is not available here/);
      assert.match(run.stdout, /::warning::the Actions cache service is not available here; the DVC cache was not saved/);
      assert.equal(run.outputs['cache-hit'], 'false');
      assert.equal(run.outputs.source, 'remote');
      assert.equal(run.outputs.pulled, 'v1');
      assert.match(run.outputs['cache-key']!, /^cifar10-dvc-v1-linux-[0-9a-f]{20}$/);
      assert.deepEqual(await listTree(v1), before);
      assert.equal(await readFile(join(v1, 'manifest.csv'), 'utf8'), manifest);
    });
  });

  it('auto falls back from an unreachable remote to a verified rebuild, with a warning', async () => {
    await withTempDir('setup-data-', async (root) => {
      const ws = await createSynthWorkspace(root, { imagesPerClass: 6, partitions: 2, partitionSize: 20 });
      await versionData({ cwd: root, remote: join(root, 'remote') });
      const v2 = join(ws.partitionsDir, 'v2');
      const before = await listTree(v2);
      await rm(join(root, 'remote'), { recursive: true });
      await rm(join(root, '.dvc', 'cache'), { recursive: true });
      await rm(v2, { recursive: true });
      const run = await runActionProcess('setup-data', { eventName: 'push', event: {}, cwd: root, inputs: { versions: 'v2', 'cifar-source': ws.tarball } });
      assert.equal(run.code, 0, run.everything);
      assert.match(run.stdout, /::warning::pulling v2 from the DVC remote failed .*; rebuilding them from CIFAR-10 instead/);
      assert.match(run.stdout, /verified v2 against their \.dvc hashes \(rebuilt: v2/);
      assert.equal(run.outputs.source, 'rebuild');
      assert.deepEqual(await listTree(v2), before);
    });
  });

  it('names the partition that is not tracked', async () => {
    await withTempDir('setup-data-', async (root) => {
      await createSynthWorkspace(root, { imagesPerClass: 6, partitions: 2, partitionSize: 20 });
      await versionData({ cwd: root, remote: join(root, 'remote') });
      const run = await runActionProcess('setup-data', { eventName: 'push', event: {}, cwd: root, inputs: { versions: 'v1+v7' } });
      assert.equal(run.code, 1);
      assert.match(run.stdout, /::error::.*partitions\/v7\.dvc cannot be read/);
    });
  });

  it("pulls the same from its exported run(), called in this process, in the job's working folder", async () => {
    await withTempDir('setup-data-', async (root) => {
      const ws = await createSynthWorkspace(root, { imagesPerClass: 6, partitions: 2, partitionSize: 20 });
      await versionData({ cwd: root, remote: join(root, 'remote') });
      const v2 = join(ws.partitionsDir, 'v2');
      const before = await listTree(v2);
      await rm(v2, { recursive: true });
      const run = await runActionInProcess('setup-data', runSetupData, {
        eventName: 'push',
        event: {},
        cwd: root,
        inputs: { versions: 'v2', source: 'remote' },
      });
      assert.equal(run.code, 0, run.everything);
      assert.equal(run.outputs.source, 'remote');
      assert.equal(run.outputs.pulled, 'v2');
      assert.deepEqual(await listTree(v2), before);
      assert.notEqual(process.cwd(), root, 'the working folder is restored');
    });
  });
});
