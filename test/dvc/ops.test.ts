import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import {
  add,
  type AddedOutput,
  addRemote,
  checkout,
  cloudStatus,
  fetch,
  initRepo,
  loadRepo,
  objectKey,
  objectPath,
  pull,
  push,
  pushOutputs,
  type RemoteStore,
  type Repo,
  status,
  verifyObject,
} from '../../src/dvc/index.js';
import { LocalRemote } from '../../src/dvc/remote/local.js';
import { partitionLikeTree, readTree, tempDir, writeTree } from './helpers.js';
import { CIFAR10_SHELL } from '../../src/cifar10-shell.js';
import { useShell } from '../../src/util/hints.js';

// Messages are asserted as the CLI prints them: commands spelled the cifar10 way (src/util/hints.ts).
useShell(CIFAR10_SHELL);

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));

/** ops-worker.js and its imports as one file in a fresh world-readable folder, for a worker run as another user. */
async function bundledWorker(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ops-worker-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await chmod(dir, 0o755);
  const outfile = join(dir, 'ops-worker.mjs');
  // Bundled code that require()s a Node built-in needs a require in ESM.
  const banner = "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";
  await build({
    entryPoints: [join(here, 'ops-worker.js')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile,
    banner: { js: banner },
    logLevel: 'error',
  });
  await chmod(outfile, 0o644);
  return outfile;
}

interface Fixture {
  base: string;
  repo: Repo;
  store: string;
  data: string;
}

/** A repository with `data/v1` (3 classes × 8 files) tracked, a local remote `storage` as default. */
async function fixture(t: TestContext, files = partitionLikeTree(3, 8)): Promise<Fixture> {
  const base = await tempDir(t);
  const root = join(base, 'repo');
  await mkdir(root);
  const { repo } = await initRepo(root);
  await addRemote(repo.dvcDir, 'storage', '../store', { makeDefault: true, cwd: root });
  await writeTree(join(root, 'data', 'v1'), files);
  return { base, repo: await loadRepo(root), store: join(base, 'store'), data: join(root, 'data', 'v1') };
}

/** A fresh clone: git-tracked files only (.dvc/config, .dvc files), no cache, no data. */
async function clone(f: Fixture, name = 'clone'): Promise<Repo> {
  const root = join(f.base, name);
  await initRepo(root);
  await copyFile(join(f.repo.dvcDir, 'config'), join(root, '.dvc', 'config'));
  await mkdir(join(root, 'data'), { recursive: true });
  for (const entry of await readdir(join(f.repo.root, 'data'))) {
    if (entry.endsWith('.dvc')) await copyFile(join(f.repo.root, 'data', entry), join(root, 'data', entry));
  }
  return loadRepo(root);
}

test('add → push → delete cache and workspace → pull restores identical bytes', async (t) => {
  const f = await fixture(t);
  const before = await readTree(f.data);
  const [added] = await add(f.repo, ['data/v1'], { cwd: f.repo.root, jobs: 4 });
  assert.equal(added!.hash.nfiles, 24);
  assert.equal(await readFile(join(f.repo.root, 'data', '.gitignore'), 'utf8'), '/v1\n');
  assert.deepEqual(await push(f.repo, { cwd: f.repo.root }), { uploaded: 25, present: 0 });
  assert.deepEqual(await push(f.repo, { cwd: f.repo.root }), { uploaded: 0, present: 25 });
  await rm(f.repo.cacheDir, { recursive: true, force: true });
  await rm(f.data, { recursive: true, force: true });
  const result = await pull(f.repo, { cwd: f.repo.root });
  assert.equal(result.fetch.downloaded, 25);
  assert.deepEqual(await readTree(f.data), before);
  assert.deepEqual(
    (await status(f.repo, { cwd: f.repo.root })).map((s) => s.state),
    ['up to date'],
  );
  const again = await pull(f.repo, { cwd: f.repo.root });
  assert.deepEqual(again.checkout, [{ label: 'data/v1', written: 0, unchanged: 24, removed: 0 }]);
  const objectMode = (await stat(objectPath(f.repo.cacheDir, added!.hash.md5))).mode & 0o777;
  assert.equal(objectMode, 0o444);
});

test('status reports new, modified (with file changes), deleted and not in cache', async (t) => {
  const f = await fixture(t);
  await add(f.repo, ['data/v1'], { cwd: f.repo.root });
  await writeTree(f.repo.root, { 'notes.txt': 'draft', 'notes.txt.dvc': 'outs:\n- path: notes.txt\n' });
  const states = async () => Object.fromEntries((await status(f.repo, { cwd: f.repo.root })).map((s) => [s.label, s]));
  let now = await states();
  assert.equal(now['data/v1']!.state, 'up to date');
  assert.equal(now['notes.txt']!.state, 'new');

  await writeFile(join(f.data, 'class0', 'img-00000.png'), 'edited');
  await writeFile(join(f.data, 'class2', 'brand-new.png'), 'new image');
  await rm(join(f.data, 'class1', 'img-00004.png'));
  now = await states();
  assert.equal(now['data/v1']!.state, 'modified');
  assert.deepEqual(now['data/v1']!.changes, { added: ['class2/brand-new.png'], modified: ['class0/img-00000.png'], deleted: ['class1/img-00004.png'] });

  await rm(f.data, { recursive: true });
  assert.equal((await states())['data/v1']!.state, 'deleted');

  await checkout(f.repo, { cwd: f.repo.root, targets: ['data/v1.dvc'] });
  await rm(f.repo.cacheDir, { recursive: true });
  assert.equal((await states())['data/v1']!.state, 'not in cache');
});

test('cloud status reports not on remote, up to date, not in cache and missing', async (t) => {
  const f = await fixture(t);
  await add(f.repo, ['data/v1'], { cwd: f.repo.root });
  const cloud = async () => (await cloudStatus(f.repo, { cwd: f.repo.root }))[0]!;
  assert.deepEqual(await cloud(), { label: 'data/v1', state: 'not on remote', objects: 25, notOnRemote: 25, notInCache: 0, missing: 0 });
  await push(f.repo, { cwd: f.repo.root });
  assert.equal((await cloud()).state, 'up to date');
  const other = await clone(f);
  const inClone = (await cloudStatus(other, { cwd: other.root }))[0]!;
  assert.equal(inClone.state, 'not in cache');
  assert.equal(inClone.notInCache, 24, 'the manifest came from the remote, its 24 files did not');
  await writeFile(join(f.repo.root, 'ghost.dvc'), 'outs:\n- md5: 0123456789abcdef0123456789abcdef\n  size: 1\n  hash: md5\n  path: ghost\n');
  const ghost = (await cloudStatus(f.repo, { cwd: f.repo.root, targets: ['ghost.dvc'] }))[0]!;
  assert.equal(ghost.state, 'missing');
});

test('a corrupt object on the remote fails the pull clearly and writes nothing to the workspace', async (t) => {
  const f = await fixture(t);
  const [added] = await add(f.repo, ['data/v1'], { cwd: f.repo.root });
  await push(f.repo, { cwd: f.repo.root });
  const victim = (await readFile(objectPath(f.repo.cacheDir, added!.hash.md5), 'utf8')).match(/"md5": "([0-9a-f]{32})"/)![1]!;
  const remoteFile = join(f.store, ...objectKey(victim).split('/'));
  await chmod(remoteFile, 0o644);
  await writeFile(remoteFile, 'garbage');
  const other = await clone(f);
  await assert.rejects(
    pull(other, { cwd: other.root }),
    new RegExp(`object ${objectKey(victim)} on remote .* is corrupt.*nothing was written to the workspace`),
  );
  await assert.rejects(stat(join(other.root, 'data', 'v1')), { code: 'ENOENT' });
  assert.equal(await verifyObject(other.cacheDir, victim), 'missing', 'the bad bytes never entered the cache');
});

test('a truncated cache object is detected and fetched again by pull', async (t) => {
  const f = await fixture(t);
  const before = await readTree(f.data);
  const [added] = await add(f.repo, ['data/v1'], { cwd: f.repo.root });
  await push(f.repo, { cwd: f.repo.root });
  const victim = (await readFile(objectPath(f.repo.cacheDir, added!.hash.md5), 'utf8')).match(/"md5": "([0-9a-f]{32})"/)![1]!;
  await truncate(objectPath(f.repo.cacheDir, victim), 10);
  await rm(f.data, { recursive: true });
  const result = await pull(f.repo, { cwd: f.repo.root });
  assert.equal(result.fetch.downloaded, 1);
  assert.equal(await verifyObject(f.repo.cacheDir, victim), 'ok');
  assert.deepEqual(await readTree(f.data), before);
});

/** A remote that fails every upload after the first `allowed` ones, like a dropped connection. */
function failingAfter(inner: RemoteStore, allowed: number): RemoteStore {
  let count = 0;
  return {
    url: inner.url,
    has: (keys) => inner.has(keys),
    download: (key, dest) => inner.download(key, dest),
    upload: async (src, key) => {
      if (++count > allowed) throw new Error('connection reset by peer');
      await inner.upload(src, key);
    },
  };
}

test('an interrupted push leaves no .dir without its files and the next push completes it', async (t) => {
  const f = await fixture(t);
  const [added] = await add(f.repo, ['data/v1'], { cwd: f.repo.root });
  const real = new LocalRemote('../../store', f.repo.dvcDir);
  await assert.rejects(push(f.repo, { cwd: f.repo.root, store: failingAfter(real, 10), jobs: 2 }), /object\(s\) failed.*run `cifar10 data push` again/);
  const dirKey = objectKey(added!.hash.md5);
  assert.equal((await real.has([dirKey])).size, 0, 'the manifest is not on the remote');
  const second = await push(f.repo, { cwd: f.repo.root });
  assert.equal(second.uploaded + second.present, 25);
  assert.ok(second.present >= 10);
  const other = await clone(f);
  await pull(other, { cwd: other.root });
  assert.deepEqual(await readTree(join(other.root, 'data', 'v1')), await readTree(f.data));
});

test('two pulls into the same clone at once, in two processes, both succeed', async (t) => {
  const f = await fixture(t, partitionLikeTree(3, 30));
  await add(f.repo, ['data/v1'], { cwd: f.repo.root });
  await push(f.repo, { cwd: f.repo.root });
  const other = await clone(f);
  const worker = join(here, 'ops-worker.js');
  const [a, b] = await Promise.all([run(process.execPath, [worker, 'pull', other.root]), run(process.execPath, [worker, 'pull', other.root])]);
  assert.ok(a.stdout.includes('"checkout"') && b.stdout.includes('"checkout"'));
  assert.deepEqual(await readTree(join(other.root, 'data', 'v1')), await readTree(f.data));
  assert.deepEqual(
    (await status(other, { cwd: other.root })).map((s) => s.state),
    ['up to date'],
  );
});

test('a read-only workspace makes pull fail with a clear message and leaves it unchanged', async (t) => {
  const f = await fixture(t);
  await add(f.repo, ['data/v1'], { cwd: f.repo.root });
  await push(f.repo, { cwd: f.repo.root });
  const other = await clone(f);
  await fetch(other, { cwd: other.root });
  const dataDir = join(other.root, 'data');
  await chmod(dataDir, 0o555);
  t.after(() => chmod(dataDir, 0o755).catch(() => undefined));
  // Root ignores file modes, so as root the worker runs as an unprivileged user that may read
  // (but not write) the clone. That user may not be able to read this checkout (under a 0700 home,
  // say), so the worker goes, bundled with everything it imports, into a fresh 0755 folder.
  const asRoot = process.getuid?.() === 0;
  const worker = asRoot ? await bundledWorker(t) : join(here, 'ops-worker.js');
  const asUser = asRoot ? { uid: 65534, gid: 65534 } : {};
  if (asRoot) {
    // The user may take the repository lock (.dvc/tmp/lock), as the owner of a workspace can.
    await mkdir(join(other.dvcDir, 'tmp'), { recursive: true });
    await chmod(join(other.dvcDir, 'tmp'), 0o777);
    for (let dir = other.root; dir !== dirname(dir); dir = dirname(dir)) {
      const mode = (await stat(dir)).mode & 0o777;
      if ((mode & 0o005) !== 0o005) await chmod(dir, mode | 0o005);
    }
  }
  await assert.rejects(run(process.execPath, [worker, 'pull', other.root], asUser), (error: { stderr: string; code: number }) => {
    assert.equal(error.code, 1);
    assert.match(error.stderr, /cannot write .*data\/v1.*read-only.*make .* writable/);
    return true;
  });
  assert.deepEqual(await readdir(dataDir), ['v1.dvc']);
});

test('add refuses paths that overlap an already tracked folder and re-adding unchanged data rewrites nothing', async (t) => {
  const f = await fixture(t);
  await add(f.repo, ['data/v1'], { cwd: f.repo.root });
  const dvcText = await readFile(join(f.repo.root, 'data', 'v1.dvc'), 'utf8');
  const [again] = await add(f.repo, ['data/v1'], { cwd: f.repo.root });
  assert.equal(again!.changed, false);
  assert.equal(await readFile(join(f.repo.root, 'data', 'v1.dvc'), 'utf8'), dvcText);
  await assert.rejects(add(f.repo, ['data/v1/class0'], { cwd: f.repo.root }), /data\/v1\/class0 overlaps data\/v1, which data\/v1\.dvc already tracks/);
  await assert.rejects(add(f.repo, ['data'], { cwd: f.repo.root }), /overlaps data\/v1/);
  await assert.rejects(add(f.repo, ['.dvc/config'], { cwd: f.repo.root }), /inside \.dvc\/ or \.git\//);
  await writeTree(f.repo.root, { 'data/next\x85line/a.txt': 'a' });
  await assert.rejects(
    add(f.repo, ['data/next\x85line'], { cwd: f.repo.root }),
    /data\/next<NEL>line: its name holds NEL \(U\+0085\), which DVC reads back .* as a line break; rename it/,
  );
  await assert.rejects(stat(join(f.repo.root, 'data', 'next\x85line.dvc')), { code: 'ENOENT' });
});

test('add refuses a folder that a directory pattern in .dvcignore excludes, naming that .dvcignore', async (t) => {
  const f = await fixture(t, {});
  await writeTree(f.repo.root, { '.dvcignore': 'scratch/\n', 'scratch/a.txt': 'temporary' });
  await assert.rejects(
    add(f.repo, ['scratch'], { cwd: f.repo.root }),
    new RegExp(`scratch is excluded by a pattern in ${join(f.repo.root, '.dvcignore')}; remove that pattern`),
  );
  await assert.rejects(stat(join(f.repo.root, 'scratch.dvc')), { code: 'ENOENT' });
});

test('add stops at a .dvc file that does not parse instead of replacing it and losing its other keys', async (t) => {
  const f = await fixture(t);
  const broken = 'outs:\n- md5: 0123456789abcdef0123456789abcdef.dir\n  remote: backup\n  path: v1\n  desc: [unclosed\n';
  await writeFile(join(f.repo.root, 'data', 'v1.dvc'), broken);
  await assert.rejects(add(f.repo, ['data/v1'], { cwd: f.repo.root }), /v1\.dvc is not valid YAML/);
  assert.equal(await readDvcText(f), broken);
});

test('status calls a tracked path deleted only when it is not there, not when it cannot be read', async (t) => {
  const f = await fixture(t);
  await add(f.repo, ['data/v1'], { cwd: f.repo.root });
  await rm(f.data, { recursive: true });
  assert.deepEqual(
    (await status(f.repo, { cwd: f.repo.root })).map((s) => s.state),
    ['deleted'],
  );
  await symlink(f.data, f.data);
  await assert.rejects(status(f.repo, { cwd: f.repo.root }), /ELOOP/);
});

test('status reports a corrupt manifest of a modified folder instead of hiding it', async (t) => {
  const f = await fixture(t);
  const [added] = await add(f.repo, ['data/v1'], { cwd: f.repo.root });
  await writeFile(join(f.data, 'class0', 'img-00000.png'), 'edited');
  const manifest = objectPath(f.repo.cacheDir, added!.hash.md5);
  await chmod(manifest, 0o644);
  await writeFile(manifest, '[]');
  await assert.rejects(status(f.repo, { cwd: f.repo.root }), /is corrupt/);
});

test('two adds of the same data at once, in two processes, both succeed with one consistent result', async (t) => {
  const f = await fixture(t, partitionLikeTree(3, 30));
  const worker = join(here, 'ops-worker.js');
  const [a, b] = await Promise.all([
    run(process.execPath, [worker, 'add', f.repo.root, 'data/v1']),
    run(process.execPath, [worker, 'add', f.repo.root, 'data/v1']),
  ]);
  // The worker prints add's result as JSON.
  const addedBy = (stdout: string) => (JSON.parse(stdout) as AddedOutput[])[0]!;
  const hashA = addedBy(a.stdout).hash;
  assert.deepEqual(addedBy(b.stdout).hash, hashA);
  assert.equal(await readFile(join(f.repo.root, 'data', '.gitignore'), 'utf8'), '/v1\n');
  assert.equal((await readDvcText(f)).includes(hashA.md5), true);
  assert.deepEqual(
    (await status(f.repo, { cwd: f.repo.root })).map((s) => s.state),
    ['up to date'],
  );
  await rm(f.data, { recursive: true });
  await checkout(f.repo, { cwd: f.repo.root });
  assert.deepEqual(
    (await status(f.repo, { cwd: f.repo.root })).map((s) => s.state),
    ['up to date'],
  );
});

async function readDvcText(f: Fixture): Promise<string> {
  return readFile(join(f.repo.root, 'data', 'v1.dvc'), 'utf8');
}

test('a pull killed part-way is completed by the next pull, leaving no temp files behind', async (t) => {
  const f = await fixture(t, partitionLikeTree(4, 30));
  await add(f.repo, ['data/v1'], { cwd: f.repo.root });
  await push(f.repo, { cwd: f.repo.root });
  const other = await clone(f);
  const child = spawn(process.execPath, [join(here, 'ops-worker.js'), 'pull', other.root], { stdio: 'ignore' });
  // Listening before the wait: on a fast machine the pull may have exited before the kill.
  const exited = new Promise((resolve) => child.once('exit', resolve));
  // Kill it once it has started writing (or finished, on a fast machine): the next pull must cope either way.
  await new Promise((resolve) => setTimeout(resolve, 400));
  child.kill('SIGKILL');
  await exited;
  // A temp file as a killed writer leaves it (pid 2^22 + 1 is above Linux's pid limit: never alive).
  await mkdir(join(other.root, 'data', 'v1', 'class0'), { recursive: true });
  await writeFile(join(other.root, 'data', 'v1', 'class0', 'img-00000.png.tmp-4194305-0123abcd'), 'half');
  await pull(other, { cwd: other.root });
  assert.deepEqual(await readTree(join(other.root, 'data', 'v1')), await readTree(f.data));
  assert.deepEqual(
    (await status(other, { cwd: other.root })).map((s) => s.state),
    ['up to date'],
  );
});

test('a pull into a fresh clone builds new folders whole beside their place; the next pull removes those a killed pull left', async (t) => {
  const f = await fixture(t, partitionLikeTree(3, 20));
  await add(f.repo, ['data/v1'], { cwd: f.repo.root });
  await push(f.repo, { cwd: f.repo.root });
  const other = await clone(f);
  // What a pull killed mid-way leaves (pid 2^22 + 1 is above Linux's pid limit: never alive): a
  // half-built workspace folder beside data/v1 and a half-built files/md5/xx folder in the cache.
  const deadTree = join(other.root, 'data', 'v1.tmp-4194305-0123abcd');
  const deadObjects = join(other.cacheDir, 'files', 'md5', '00.tmp-4194305-89abcdef');
  await writeTree(deadTree, { 'class0/img-00000.png': 'half' });
  await writeTree(deadObjects, { ['0'.repeat(30)]: 'half' });
  // A live process's build (this one's pid) is never taken for litter.
  const liveTree = join(other.root, 'data', `v1.tmp-${process.pid}-fedcba98`);
  await mkdir(liveTree);
  const result = await pull(other, { cwd: other.root });
  const keys = (await readdir(join(f.store, 'files', 'md5'), { recursive: true })).filter((rel) => rel.includes('/'));
  assert.equal(result.fetch.downloaded, keys.length);
  assert.deepEqual(await readTree(join(other.root, 'data', 'v1')), await readTree(f.data));
  assert.deepEqual((await readdir(join(other.root, 'data'))).sort(), ['v1', 'v1.dvc', `v1.tmp-${process.pid}-fedcba98`]);
  const objects = await readdir(join(other.cacheDir, 'files', 'md5'));
  assert.deepEqual(
    objects.filter((name) => !/^[0-9a-f]{2}$/.test(name)),
    [],
    'only files/md5/xx folders are left in the cache',
  );
  for (const key of keys) {
    const object = join(other.cacheDir, 'files', 'md5', key);
    assert.deepEqual(await readFile(object), await readFile(join(f.store, 'files', 'md5', key)));
    assert.equal((await stat(object)).mode & 0o777, 0o444, `${key} is read-only, as DVC stores objects`);
  }
  assert.deepEqual(
    (await status(other, { cwd: other.root })).map((s) => s.state),
    ['up to date'],
  );
});

test('a push to a fresh local remote builds its folders whole; a corrupt cache object fails alone and keeps its .dir back', async (t) => {
  const f = await fixture(t, partitionLikeTree(3, 20));
  const [added] = await add(f.repo, ['data/v1'], { cwd: f.repo.root });
  const entries = JSON.parse(await readFile(objectPath(f.repo.cacheDir, added!.hash.md5), 'utf8')) as { md5: string }[];
  const victim = entries[0]!.md5;
  await chmod(objectPath(f.repo.cacheDir, victim), 0o644);
  await writeFile(objectPath(f.repo.cacheDir, victim), 'garbage');
  await assert.rejects(push(f.repo, { cwd: f.repo.root }), /push to .*: 1 object\(s\) failed \(first: cache object .* is corrupt/);
  const stored = (await readdir(join(f.store, 'files', 'md5'), { recursive: true })).filter((rel) => rel.includes('/') || rel.length !== 2);
  const expected = entries.filter((e) => e.md5 !== victim).map((e) => objectKey(e.md5).slice('files/md5/'.length));
  assert.deepEqual(stored.sort(), [...new Set(expected)].sort(), 'every other object, and no temp file or folder, and no .dir');
  for (const rel of stored) assert.equal((await stat(join(f.store, 'files', 'md5', rel))).mode & 0o777, 0o444);
});

test('pushOutputs names the outputs whose cache copy is missing and pushes the rest; push fails on them after pushing the rest', async (t) => {
  const f = await fixture(t, partitionLikeTree(2, 4));
  await writeTree(join(f.repo.root, 'data', 'v2'), partitionLikeTree(1, 3, 2));
  await writeTree(join(f.repo.root, 'data', 'v3'), partitionLikeTree(1, 2, 3));
  await writeTree(f.repo.root, { 'data/notes.txt': 'notes\n' });
  const added = await add(f.repo, ['data/v1', 'data/v2', 'data/v3', 'data/notes.txt'], { cwd: f.repo.root });
  const [v1, v2, v3] = added;
  await push(f.repo, { cwd: f.repo.root, targets: ['data/v3'] });
  const v1Files = JSON.parse(await readFile(objectPath(f.repo.cacheDir, v1!.hash.md5), 'utf8')) as { md5: string }[];
  // v1 lost one file, v2 its manifest; v3 lost its manifest too, but the remote has all of v3.
  for (const md5 of [v1Files[0]!.md5, v2!.hash.md5, v3!.hash.md5]) await rm(objectPath(f.repo.cacheDir, md5));

  const result = await pushOutputs(
    f.repo,
    added.map(({ label, hash }) => ({ label, hash })),
    { cwd: f.repo.root },
  );
  assert.deepEqual(
    result,
    { uploaded: 8, present: 1, notInCache: ['data/v1', 'data/v2'] },
    "v1's other 7 files and notes.txt went up; v3's manifest was there",
  );
  await assert.rejects(stat(join(f.store, objectKey(v1!.hash.md5))), { code: 'ENOENT' }, 'v1 is not marked complete on the remote');
  await assert.rejects(
    push(f.repo, { cwd: f.repo.root }),
    /^UserError: cannot push data\/v1, data\/v2: not in the cache, and not on the remote either \(0 other object\(s\) uploaded, 9 already there\); get them back with `cifar10 data fetch -r <a remote that has them>`, `cifar10 data add` or `cifar10 repro`, then push again$/,
  );
  // v3 lacks its manifest in the cache too, but the remote has it (and notes.txt): nothing to push, nothing wrong.
  assert.deepEqual(await push(f.repo, { cwd: f.repo.root, targets: ['data/v3', 'data/notes.txt'] }), { uploaded: 0, present: 2 });
});

test('an executable file is recorded with isexec: true before hash, and checkout restores the bit', async (t) => {
  const f = await fixture(t, {});
  await writeTree(f.repo.root, { 'tools/run.sh': '#!/bin/sh\necho hi\n' });
  await chmod(join(f.repo.root, 'tools', 'run.sh'), 0o755);
  await add(f.repo, ['tools/run.sh'], { cwd: f.repo.root });
  assert.match(
    await readFile(join(f.repo.root, 'tools', 'run.sh.dvc'), 'utf8'),
    /^outs:\n- md5: [0-9a-f]{32}\n {2}size: 18\n {2}isexec: true\n {2}hash: md5\n {2}path: run\.sh\n$/,
  );
  await rm(join(f.repo.root, 'tools', 'run.sh'));
  await checkout(f.repo, { cwd: f.repo.root, targets: ['tools/run.sh'] });
  assert.ok((await stat(join(f.repo.root, 'tools', 'run.sh'))).mode & 0o100);
});

test('targets may be .dvc files, tracked paths or a folder holding tracked outputs', async (t) => {
  const f = await fixture(t, partitionLikeTree(1, 3));
  await writeTree(join(f.repo.root, 'data', 'v2'), partitionLikeTree(1, 2, 2));
  await add(f.repo, ['data/v1', 'data/v2'], { cwd: f.repo.root });
  const labels = async (targets: string[]) => (await status(f.repo, { cwd: f.repo.root, targets })).map((s) => s.label);
  assert.deepEqual(await labels(['data/v1.dvc']), ['data/v1']);
  assert.deepEqual(await labels(['data/v2']), ['data/v2']);
  assert.deepEqual((await labels(['data'])).sort(), ['data/v1', 'data/v2']);
  assert.deepEqual(await labels([]), ['data/v1', 'data/v2']);
  await assert.rejects(labels(['elsewhere']), /elsewhere is neither a .dvc file nor a path tracked by one/);
});
