import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { test } from 'node:test';
import { add, addRemote, initRepo, loadRepo, push } from '../../src/dvc/index.js';
import { pullData } from '../../src/data/pull-data.js';
import { readTree, tempDir, writeTree } from '../dvc/helpers.js';
import { createSynthWorkspace, withTempDir } from '../fixtures/synth-workspace.js';
import { CIFAR10_SHELL } from '../../src/cifar10-shell.js';
import { useShell } from '../../src/util/hints.js';

// Messages are asserted as the CLI prints them: commands spelled the cifar10 way (src/util/hints.ts).
useShell(CIFAR10_SHELL);

async function versionedPartitions(root: string): Promise<Record<string, string>> {
  await initRepo(root);
  await writeTree(root, {
    'data/partitions/v1/cat/a.png': 'cat a',
    'data/partitions/v1/manifest.csv': 'id,class,source\na,cat,x:1\n',
    'data/partitions/v2/dog/b.png': 'dog b',
    'data/partitions/v2/manifest.csv': 'id,class,source\nb,dog,x:2\n',
  });
  await addRemote(join(root, '.dvc'), 'storage', join(root, '..', `${root.split('/').pop()}-remote`), { makeDefault: true, cwd: root });
  const repo = await loadRepo(root);
  const added = await add(repo, ['data/partitions/v1', 'data/partitions/v2'], { cwd: root });
  await push(repo, { cwd: root });
  return Object.fromEntries(added.map((a) => [a.label.split('/').pop()!, a.hash.md5]));
}

test('pull_data stamps the tracked partition hashes and pulls only what is missing', async (t) => {
  const root = await tempDir(t, 'pull-data-test-');
  t.after(() => rm(join(root, '..', `${root.split('/').pop()}-remote`), { recursive: true, force: true }));
  const hashes = await versionedPartitions(root);
  const first = await pullData({ root });
  assert.deepEqual(first, { partitions: hashes, pulled: [] });
  const stamp = await readFile(join(root, 'data/pulled.json'), 'utf8');
  assert.deepEqual(JSON.parse(stamp), { partitions: hashes });

  await rm(join(root, 'data/partitions/v2'), { recursive: true });
  await rm(join(root, '.dvc/cache'), { recursive: true });
  const second = await pullData({ root });
  assert.deepEqual(second.pulled, ['data/partitions/v2']);
  assert.equal(await readFile(join(root, 'data/partitions/v2/dog/b.png'), 'utf8'), 'dog b');
  assert.equal(await readFile(join(root, 'data/pulled.json'), 'utf8'), stamp, 'same data, same stamp: nothing downstream re-runs');
});

test('pull_data refuses a partition changed without `data add`, and a repo without tracked partitions', async (t) => {
  const root = await tempDir(t, 'pull-data-test-');
  t.after(() => rm(join(root, '..', `${root.split('/').pop()}-remote`), { recursive: true, force: true }));
  await versionedPartitions(root);
  await writeFile(join(root, 'data/partitions/v1/cat/a.png'), 'edited');
  await assert.rejects(
    pullData({ root }),
    /data\/partitions\/v1 differ from their \.dvc files; record the change with `cifar10 data add data\/partitions\/v1`/,
  );
  const empty = await tempDir(t, 'pull-data-test-');
  await initRepo(empty);
  await assert.rejects(pullData({ root: empty }), /no partitions are tracked/);
});

test('pull_data reports a partitions folder it cannot list instead of saying none are tracked', async (t) => {
  const root = await tempDir(t, 'pull-data-test-');
  await initRepo(root);
  await writeTree(root, { 'data/partitions': 'a file where the folder should be' });
  await assert.rejects(pullData({ root }), (error: NodeJS.ErrnoException) => {
    assert.equal(error.code, 'ENOTDIR');
    return true;
  });
});

test('the pull-data command rebuilds a missing partition from CIFAR-10 when no remote is configured, verified by its .dvc hash', async () => {
  await withTempDir('pull-data-rebuild-', async (root) => {
    const ws = await createSynthWorkspace(root, { imagesPerClass: 30, partitions: 3, partitionSize: 50, seed: 9 });
    await initRepo(root);
    await add(await loadRepo(root), ['data/partitions/v1', 'data/partitions/v2', 'data/partitions/v3'], { cwd: root });
    const before = await readTree(join(root, 'data/partitions/v2'));
    await rm(join(root, 'data/partitions/v2'), { recursive: true });
    await rm(join(root, '.dvc/cache'), { recursive: true });
    const cli = join(process.cwd(), 'dist', 'src', 'cli.js');
    const { stdout } = await promisify(execFile)(process.execPath, [cli, 'pull-data', '--source', ws.tarball, '--quiet'], {
      cwd: root,
      env: { ...process.env, CIFAR10_CACHE: join(root, '.cache', 'cifar10') },
    });
    assert.match(stdout, /3 partition\(s\) in place \(pulled data\/partitions\/v2\)/);
    assert.deepEqual(await readTree(join(root, 'data/partitions/v2')), before);
  });
});
