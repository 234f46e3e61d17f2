import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { loadRepo, pull, readDvcFile } from '../../src/dvc/index.js';
import { versionData } from '../../src/data/versioning.js';
import { createSynthWorkspace } from '../fixtures/synth-workspace.js';
import { readTree, tempDir } from './helpers.js';
import { TestHttpStore } from './http-server.js';

const SMALL = { count: 3, size: 50, seed: 1, balanced: true };

test('version-data inits, adds v1..v3, pushes, prints the git command, and a re-run changes nothing', async (t) => {
  const root = join(await tempDir(t), 'project');
  await mkdir(root);
  const ws = await createSynthWorkspace(root, { imagesPerClass: 15, partitions: 3, partitionSize: 50, seed: 1 });
  const lines: string[] = [];
  const first = await versionData({ cwd: root, remote: '../store', log: (l) => lines.push(l), partitions: SMALL });
  assert.deepEqual(first.versions, ['v1', 'v2', 'v3']);
  assert.equal(first.push.uploaded, 3 * 51 + 3, '50 images + manifest.csv per partition, plus one .dir each');
  assert.match(
    first.gitCommand,
    /^git add \.dvc\/config \.dvc\/\.gitignore \.dvcignore data\/partitions\/v1\.dvc data\/partitions\/v2\.dvc data\/partitions\/v3\.dvc data\/partitions\/\.gitignore data\/partitions\/partitions\.json$/,
  );
  assert.match(await readFile(join(root, '.dvc', 'config'), 'utf8'), /\[core\]\n {4}remote = storage\n\['remote "storage"'\]\n {4}url = \.\.\/\.\.\/store\n/);
  assert.equal(await readFile(join(ws.partitionsDir, '.gitignore'), 'utf8'), '/v1\n/v2\n/v3\n');
  assert.ok(lines.some((l) => l.startsWith('Initialized')));

  const again = await versionData({ cwd: root, partitions: SMALL });
  assert.deepEqual(again.push, { uploaded: 0, present: 3 * 51 + 3 });

  // The partitions can be restored from the remote alone.
  const before = await readTree(ws.partitionsDir);
  await rm(join(root, '.dvc', 'cache'), { recursive: true });
  for (const v of ['v1', 'v2', 'v3']) await rm(join(ws.partitionsDir, v), { recursive: true });
  await pull(await loadRepo(root), { cwd: root });
  assert.deepEqual(await readTree(ws.partitionsDir), before);
});

test('version-data rebuilds missing partitions with the same hashes', async (t) => {
  const root = await tempDir(t);
  const ws = await createSynthWorkspace(root, { imagesPerClass: 15, partitions: 3, partitionSize: 50, seed: 1 });
  await versionData({ cwd: root, remote: join(root, 'store'), partitions: SMALL });
  const hashes = async () => Promise.all(['v1', 'v2', 'v3'].map(async (v) => (await readDvcFile(join(ws.partitionsDir, `${v}.dvc`))).outs[0]!.md5));
  const before = await hashes();
  await rm(ws.partitionsDir + '/v2', { recursive: true });
  const lines: string[] = [];
  await versionData({ cwd: root, partitions: SMALL, log: (l) => lines.push(l) });
  assert.ok(lines.some((l) => l.includes('Partitions missing')));
  assert.deepEqual(await hashes(), before);
});

test('without a remote, version-data asks on a terminal and fails clearly when there is none', async (t) => {
  const root = await tempDir(t);
  await createSynthWorkspace(root, { imagesPerClass: 15, partitions: 3, partitionSize: 50, seed: 1 });
  await assert.rejects(versionData({ cwd: root }), /no DVC remote is configured .* no terminal to ask for one; pass --remote/);
  const asked: string[] = [];
  const result = await versionData({
    cwd: root,
    partitions: SMALL,
    ask: async (q) => {
      asked.push(q);
      return join(root, 'typed-store');
    },
  });
  assert.equal(asked.length, 1);
  assert.equal(result.remote, join(root, 'typed-store'));
});

test('version-data logs and returns an HTTP remote without the user and password in its URL', async (t) => {
  const root = await tempDir(t);
  const store = await new TestHttpStore(await tempDir(t, 'http-store-')).start();
  t.after(() => store.stop());
  store.requireAuth = `Basic ${Buffer.from('alice:s3cret').toString('base64')}`;
  await createSynthWorkspace(root, { imagesPerClass: 15, partitions: 3, partitionSize: 50, seed: 1 });
  const url = store.url.replace('http://', 'http://alice:s3cret@');
  const lines: string[] = [];
  const result = await versionData({ cwd: root, remote: url, partitions: SMALL, log: (l) => lines.push(l) });
  assert.equal(result.remote, store.url);
  assert.ok(lines.some((l) => l.includes(`(${store.url})`)));
  assert.doesNotMatch([...lines, result.remote].join('\n'), /s3cret|alice/);
});
