import { after, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  add,
  addRemote,
  checkout,
  fetch,
  initRepo,
  loadRepo,
  md5Bytes,
  objectKey,
  objectPath,
  pull,
  push,
  type Repo,
  status,
  verifyObject,
} from '../../src/dvc/index.js';
import { THREADED_BUILD_FILES } from '../../src/dvc/workspace/build.js';
import { partitionLikeTree, readTree, tempDir, writeTree } from './helpers.js';
import { CIFAR10_SHELL } from '../../src/cifar10-shell.js';
import { useShell } from '../../src/util/hints.js';

// A pull into a fresh clone writes the workspace copies while it fetches, on a write thread for a
// large folder (src/dvc/workspace/build.ts): the same bytes, and the same guarantees, as before.

useShell(CIFAR10_SHELL);

/** 3 classes of files, enough for the write thread; a few share their bytes (one object, several files). */
function largeTree(): Record<string, Uint8Array | string> {
  const tree: Record<string, Uint8Array | string> = partitionLikeTree(3, Math.ceil(THREADED_BUILD_FILES / 3) + 20);
  for (let i = 0; i < 5; i++) tree[`same/copy-${i}.txt`] = 'the same bytes\n';
  return tree;
}

interface Pushed {
  repo: Repo;
  data: string;
  dvcFile: string;
  store: string;
  nfiles: number;
}

const bases: string[] = [];
after(() => Promise.all(bases.map((base) => rm(base, { recursive: true, force: true }))));
let shared: Promise<Pushed> | undefined;

/** One repository with the large folder added and pushed, for every test here (its add and push are the slow part); the test that spoils a remote object puts it back. */
function pushed(): Promise<Pushed> {
  shared ??= (async () => {
    const base = await mkdtemp(join(tmpdir(), 'dvc-test-'));
    bases.push(base);
    const root = join(base, 'repo');
    await mkdir(root);
    const { repo } = await initRepo(root);
    await addRemote(repo.dvcDir, 'storage', '../store', { makeDefault: true, cwd: root });
    await writeTree(join(root, 'data', 'v1'), largeTree());
    const opened = await loadRepo(root);
    const [added] = await add(opened, ['data/v1'], { cwd: root });
    await push(opened, { cwd: root });
    return { repo: opened, data: join(root, 'data', 'v1'), dvcFile: join(root, 'data', 'v1.dvc'), store: join(base, 'store'), nfiles: added!.hash.nfiles! };
  })();
  return shared;
}

/** A fresh clone: the remote and the .dvc file, no cache, no data. */
async function clone(p: Pushed, t: TestContext): Promise<Repo> {
  const root = join(await tempDir(t), 'clone');
  const { repo } = await initRepo(root);
  await addRemote(repo.dvcDir, 'storage', p.store, { makeDefault: true, cwd: root });
  await mkdir(join(root, 'data'));
  await copyFile(p.dvcFile, join(root, 'data', 'v1.dvc'));
  return loadRepo(root);
}

test('a pull into a fresh clone writes a large folder on a write thread while it fetches: identical bytes, nothing else left', async (t) => {
  const p = await pushed();
  assert.ok(p.nfiles >= THREADED_BUILD_FILES, `${p.nfiles} files take the write thread`);
  const other = await clone(p, t);
  const counted = new Map<string, number>();
  const progress = (label: string) => ({
    increment: (delta = 1) => void counted.set(label, (counted.get(label) ?? 0) + delta),
    update() {},
    setTotal() {},
    stop() {},
  });
  const result = await pull(other, { cwd: other.root, progress });
  assert.deepEqual(result.checkout, [{ label: 'data/v1', written: p.nfiles, unchanged: 0, removed: 0 }]);
  assert.equal(counted.get('checkout data/v1'), p.nfiles, 'the progress bar counts every file once');
  assert.deepEqual(await readTree(join(other.root, 'data', 'v1')), await readTree(p.data));
  assert.deepEqual((await readdir(join(other.root, 'data'))).sort(), ['v1', 'v1.dvc']);
  const copy = await stat(join(other.root, 'data', 'v1', 'same', 'copy-3.txt'));
  assert.equal(copy.mode & 0o222, 0o200, 'workspace files are writable copies');
  assert.deepEqual(
    (await status(other, { cwd: other.root })).map((s) => s.state),
    ['up to date'],
  );
});

test('a corrupt object on the remote stops a threaded pull: no folder, no half-built folder and no new parent folder in the workspace, the bad bytes not in the cache', async (t) => {
  const p = await pushed();
  const manifest = JSON.parse(await readFile(objectPath(p.repo.cacheDir, (await readFile(p.dvcFile, 'utf8')).match(/md5: (\S+\.dir)/)![1]!), 'utf8')) as {
    md5: string;
  }[];
  // The last object in hash order: the write thread has written most of the folder by then.
  const victim = manifest
    .map((e) => e.md5)
    .sort()
    .at(-1)!;
  const remoteFile = join(p.store, ...objectKey(victim).split('/'));
  const good = await readFile(remoteFile);
  await chmod(remoteFile, 0o644);
  await writeFile(remoteFile, 'garbage');
  t.after(async () => {
    await writeFile(remoteFile, good);
    await chmod(remoteFile, 0o444);
  });
  const other = await clone(p, t);
  // The same folder once more, in folders the clone does not have yet: they are not left behind either.
  await writeFile(join(other.root, 'data', 'v2.dvc'), (await readFile(p.dvcFile, 'utf8')).replace('path: v1', 'path: deep/er/v2'));
  await assert.rejects(
    pull(other, { cwd: other.root }),
    new RegExp(`object ${objectKey(victim)} on remote .* is corrupt.*nothing was written to the workspace`),
  );
  assert.deepEqual((await readdir(join(other.root, 'data'))).sort(), ['v1.dvc', 'v2.dvc']);
  assert.equal(await verifyObject(other.cacheDir, victim), 'missing');
});

test('checkout after fetch builds a large folder on the write thread from the cache; links are made without it', async (t) => {
  const p = await pushed();
  const other = await clone(p, t);
  await fetch(other, { cwd: other.root });
  const [done] = await checkout(other, { cwd: other.root });
  assert.deepEqual(done, { label: 'data/v1', written: p.nfiles, unchanged: 0, removed: 0 });
  assert.deepEqual(await readTree(join(other.root, 'data', 'v1')), await readTree(p.data));
  // cache.type hardlink: the workspace files are the cache's objects, linked, not written.
  const linked = await clone(p, t);
  await writeFile(join(linked.dvcDir, 'config.local'), `[cache]\n    type = hardlink\n    dir = ${other.cacheDir}\n`);
  const [links] = (await pull(await loadRepo(linked.root), { cwd: linked.root })).checkout;
  assert.deepEqual(links, { label: 'data/v1', written: p.nfiles, unchanged: 0, removed: 0 });
  const object = await stat(objectPath(other.cacheDir, md5Bytes('the same bytes\n')));
  for (let i = 0; i < 5; i++) assert.equal((await stat(join(linked.root, 'data', 'v1', 'same', `copy-${i}.txt`))).ino, object.ino);
  assert.deepEqual((await readdir(join(linked.root, 'data'))).sort(), ['v1', 'v1.dvc']);
});
