import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, readlink, rm, stat, truncate, writeFile, mkdir } from 'node:fs/promises';
import {
  checkoutFromCache,
  CorruptObjectError,
  hashPath,
  linkTypeFrom,
  md5Bytes,
  MissingObjectError,
  objectKey,
  objectPath,
  saveToCache,
  UncachedChangesError,
  verifyObject,
} from '../../src/dvc/index.js';
import { join } from 'node:path';
import { ObjectFolderBuilder } from '../../src/dvc/object-folders.js';
import { partitionLikeTree, readTree, tempDir, writeTree } from './helpers.js';
import { CIFAR10_SHELL } from '../../src/cifar10-shell.js';
import { useShell } from '../../src/util/hints.js';

// Messages are asserted as the CLI prints them: commands spelled the cifar10 way (src/util/hints.ts).
useShell(CIFAR10_SHELL);

async function repoWithData(t: TestContext, files: Record<string, string | Uint8Array>) {
  const root = await tempDir(t);
  await writeTree(join(root, 'data'), files);
  return { root, cacheDir: join(root, '.dvc', 'cache'), data: join(root, 'data') };
}

test('object keys follow files/md5/<2 hex>/<rest>, keeping the .dir suffix', () => {
  assert.equal(objectKey('28994df71f7bf0a12c1339ea7de537e9.dir'), 'files/md5/28/994df71f7bf0a12c1339ea7de537e9.dir');
  assert.equal(objectKey('b1946ac92492d2347c6235b4d2611184'), 'files/md5/b1/946ac92492d2347c6235b4d2611184');
  assert.throws(() => objectKey('../etc/passwd'), /not a DVC md5/);
});

test('saving a directory stores each file and the manifest as read-only objects and returns the golden hash', async (t) => {
  const repo = await repoWithData(t, { 'a.txt': 'hello\n', 'sub/b.txt': 'world\r\n' });
  const hash = await saveToCache(repo, repo.data);
  assert.deepEqual(hash, { md5: '28994df71f7bf0a12c1339ea7de537e9.dir', size: 13, nfiles: 2 });
  for (const md5 of ['b1946ac92492d2347c6235b4d2611184', '2d0ad13571bf807a3bdcfacc0d5d65f1', hash.md5]) {
    const info = await stat(objectPath(repo.cacheDir, md5));
    assert.equal(info.mode & 0o777, 0o444, `${md5} is read-only`);
    assert.equal(await verifyObject(repo.cacheDir, md5), 'ok');
  }
  assert.equal(
    await readFile(objectPath(repo.cacheDir, hash.md5), 'ascii'),
    '[{"md5": "b1946ac92492d2347c6235b4d2611184", "relpath": "a.txt"}, {"md5": "2d0ad13571bf807a3bdcfacc0d5d65f1", "relpath": "sub/b.txt"}]',
  );
});

test('saving twice (and saving a single file) is idempotent and agrees with hashPath', async (t) => {
  const repo = await repoWithData(t, partitionLikeTree(3, 20));
  const first = await saveToCache(repo, repo.data, { jobs: 4 });
  const second = await saveToCache(repo, repo.data, { jobs: 4 });
  assert.deepEqual(second, first);
  assert.deepEqual(await hashPath(repo.data), first);
  const file = join(repo.data, 'class0', 'img-00000.png');
  assert.deepEqual(await saveToCache(repo, file), await hashPath(file));
});

test('checkout into an empty place restores identical bytes as writable copies', async (t) => {
  const repo = await repoWithData(t, partitionLikeTree(3, 10));
  const hash = await saveToCache(repo, repo.data);
  const before = await readTree(repo.data);
  const target = join(repo.root, 'restored');
  const result = await checkoutFromCache(repo, hash, target);
  assert.deepEqual(result, { written: 30, unchanged: 0, removed: 0 });
  assert.deepEqual(await readTree(target), before);
  const mode = (await stat(join(target, 'class1', 'img-00003.png'))).mode & 0o777;
  assert.ok(mode & 0o200, 'workspace copies are writable');
});

test('checkout leaves right files alone, rewrites changed ones and removes files the manifest lacks', async (t) => {
  const repo = await repoWithData(t, partitionLikeTree(2, 5));
  const hash = await saveToCache(repo, repo.data);
  const before = await readTree(repo.data);
  // Swapping two files' contents changes the workspace without losing anything the cache lacks.
  const a = join(repo.data, 'class0', 'img-00001.png');
  const b = join(repo.data, 'class0', 'img-00002.png');
  const [bytesA, bytesB] = [await readFile(a), await readFile(b)];
  await writeFile(a, bytesB);
  await writeFile(b, bytesA);
  await writeFile(join(repo.data, 'class1', 'extra.png'), before['class1/img-00000.png']!, 'base64');
  const result = await checkoutFromCache(repo, hash, repo.data);
  assert.deepEqual(result, { written: 2, unchanged: 8, removed: 1 });
  assert.deepEqual(await readTree(repo.data), before);
});

test('checkout refuses to overwrite changes the cache has no copy of, and --force discards them', async (t) => {
  const repo = await repoWithData(t, partitionLikeTree(2, 5));
  const hash = await saveToCache(repo, repo.data);
  const before = await readTree(repo.data);
  await writeFile(join(repo.data, 'class0', 'img-00001.png'), 'my unsaved edit');
  await assert.rejects(checkoutFromCache(repo, hash, repo.data), (error: unknown) => {
    assert.ok(error instanceof UncachedChangesError);
    assert.match(error.message, /class0\/img-00001\.png.*data add.*--force/);
    return true;
  });
  assert.equal(await readFile(join(repo.data, 'class0', 'img-00001.png'), 'utf8'), 'my unsaved edit');
  await checkoutFromCache(repo, hash, repo.data, { force: true });
  assert.deepEqual(await readTree(repo.data), before);
});

test('a truncated cache object is detected during checkout, removed from the cache and nothing wrong is written', async (t) => {
  const repo = await repoWithData(t, { 'a.txt': 'hello\n', 'sub/b.txt': 'world\r\n' });
  const hash = await saveToCache(repo, repo.data);
  await truncate(objectPath(repo.cacheDir, 'b1946ac92492d2347c6235b4d2611184'), 2);
  assert.equal(await verifyObject(repo.cacheDir, 'b1946ac92492d2347c6235b4d2611184'), 'corrupt');
  const target = join(repo.root, 'out');
  await assert.rejects(checkoutFromCache(repo, hash, target), (error: unknown) => {
    assert.ok(error instanceof CorruptObjectError);
    assert.equal(error.md5, 'b1946ac92492d2347c6235b4d2611184');
    assert.match(error.message, /corrupt.*data pull/);
    return true;
  });
  assert.equal(await verifyObject(repo.cacheDir, 'b1946ac92492d2347c6235b4d2611184'), 'missing');
  await assert.rejects(readFile(join(target, 'a.txt')), { code: 'ENOENT' });
  await assert.rejects(checkoutFromCache(repo, hash, target), MissingObjectError);
});

test('a file output is checked out over a folder standing in its place', async (t) => {
  const repo = await repoWithData(t, { 'model.bin': 'weights' });
  const file = join(repo.data, 'model.bin');
  const hash = await saveToCache(repo, file);
  const target = join(repo.root, 'model.bin');
  await mkdir(join(target, 'inner'), { recursive: true });
  await checkoutFromCache(repo, hash, target);
  assert.equal(await readFile(target, 'utf8'), 'weights');
});

test('a file output is not checked out over a folder holding files the cache lacks, unless forced', async (t) => {
  const repo = await repoWithData(t, { 'model.bin': 'weights', 'saved.txt': 'in the cache' });
  const hash = await saveToCache(repo, join(repo.data, 'model.bin'));
  await saveToCache(repo, join(repo.data, 'saved.txt'));
  const target = join(repo.root, 'model.bin');
  await writeTree(target, { 'notes/draft.txt': 'only copy', 'saved.txt': 'in the cache' });
  await assert.rejects(checkoutFromCache(repo, hash, target), (error: unknown) => {
    assert.ok(error instanceof UncachedChangesError);
    assert.deepEqual(error.files, [join(target, 'notes', 'draft.txt')]);
    assert.match(error.message, /model\.bin has changes that are not in the cache.*--force/);
    return true;
  });
  assert.equal(await readFile(join(target, 'notes', 'draft.txt'), 'utf8'), 'only copy');
  await checkoutFromCache(repo, hash, target, { force: true });
  assert.equal(await readFile(target, 'utf8'), 'weights');
});

test('cache.type hardlink and symlink place the read-only cache object itself in the workspace', async (t) => {
  const repo = await repoWithData(t, { 'a.txt': 'hello\n', 'sub/b.txt': 'world\r\n' });
  const hash = await saveToCache(repo, repo.data);
  const object = objectPath(repo.cacheDir, 'b1946ac92492d2347c6235b4d2611184');
  const hard = join(repo.root, 'hard');
  await checkoutFromCache({ ...repo, linkType: 'hardlink' }, hash, hard);
  assert.equal((await stat(join(hard, 'a.txt'))).ino, (await stat(object)).ino);
  const soft = join(repo.root, 'soft');
  await checkoutFromCache({ ...repo, linkType: 'symlink' }, hash, soft);
  assert.equal(await readlink(join(soft, 'a.txt')), object);
  assert.deepEqual(await checkoutFromCache({ ...repo, linkType: 'symlink' }, hash, soft), { written: 0, unchanged: 2, removed: 0 });
  assert.equal(linkTypeFrom('reflink,copy', 'c'), 'copy');
  assert.equal(linkTypeFrom('reflink,hardlink', 'c'), 'hardlink');
  assert.equal(linkTypeFrom('reflink', 'c'), 'copy');
  assert.equal(linkTypeFrom('symlink,copy', 'c'), 'symlink');
  assert.throws(() => linkTypeFrom('magic', '.dvc/config'), /\.dvc\/config: cache\.type = magic is not one of/);
});

test('checkout takes bytes a fetch already verified from memory instead of the cache', async (t) => {
  const repo = await repoWithData(t, { 'a.txt': 'hello\n', 'sub/b.txt': 'world\r\n' });
  const hash = await saveToCache(repo, repo.data);
  const aObject = objectPath(repo.cacheDir, 'b1946ac92492d2347c6235b4d2611184');
  await rm(aObject, { force: true });
  const verified = new Map([['b1946ac92492d2347c6235b4d2611184', Buffer.from('hello\n')]]);
  const target = join(repo.root, 'out');
  assert.deepEqual(await checkoutFromCache(repo, hash, target, { verified }), { written: 2, unchanged: 0, removed: 0 });
  assert.equal(await readFile(join(target, 'a.txt'), 'utf8'), 'hello\n');
  await assert.rejects(checkoutFromCache(repo, hash, join(repo.root, 'out2')), MissingObjectError);
});

test('checkout into an empty place builds the folder beside it: a failure midway leaves nothing there, not even the half-built folder', async (t) => {
  const repo = await repoWithData(t, { 'a.txt': 'hello\n', 'sub/b.txt': 'world\r\n', 'sub/deeper/c.txt': 'c' });
  const hash = await saveToCache(repo, repo.data);
  const target = join(repo.root, 'nested', 'out');
  assert.deepEqual(await checkoutFromCache(repo, hash, target), { written: 3, unchanged: 0, removed: 0 });
  assert.deepEqual(await readTree(target), await readTree(repo.data));
  assert.deepEqual(await readdir(join(repo.root, 'nested')), ['out']);
  // The object of sub/deeper/c.txt goes bad: the build stops there and is removed whole.
  await truncate(objectPath(repo.cacheDir, md5Bytes('c')), 0);
  const second = join(repo.root, 'nested', 'second');
  await assert.rejects(checkoutFromCache(repo, hash, second), CorruptObjectError);
  assert.deepEqual(await readdir(join(repo.root, 'nested')), ['out']);
});

test('objects for files/md5/xx folders the cache lacks are written into a folder beside it that is renamed into place', async (t) => {
  const cacheDir = await tempDir(t);
  const objects = join(cacheDir, 'files', 'md5');
  const bytes = (text: string) => ({ md5: md5Bytes(text), data: Buffer.from(text) });
  const items = ['one', 'two', 'three', 'four', 'five', 'six'].map(bytes).sort((a, b) => (a.md5 < b.md5 ? -1 : 1));
  const [first, ...rest] = items;
  const builder = new ObjectFolderBuilder(cacheDir, new Set([first!.md5.slice(0, 2)]));
  assert.equal(builder.put(first!.md5, first!.data), false, 'a folder the cache has is left to the usual writer');
  // Another process makes one of the folders while this one builds it: the objects are moved in.
  const raced = rest[0]!.md5.slice(0, 2);
  assert.equal(builder.put(rest[0]!.md5, rest[0]!.data), true);
  assert.ok(
    (await readdir(objects)).some((name) => name.startsWith(`${raced}.tmp-${process.pid}-`)),
    'the folder is built under a temp name',
  );
  await writeTree(join(objects, raced), { 'theirs-already-here': 'x' });
  for (const item of rest.slice(1)) assert.equal(builder.put(item.md5, item.data), true);
  builder.finish();
  for (const item of rest) {
    assert.deepEqual(await readFile(objectPath(cacheDir, item.md5)), item.data);
    assert.equal((await stat(objectPath(cacheDir, item.md5))).mode & 0o777, 0o444);
  }
  assert.ok((await readdir(join(objects, raced))).includes('theirs-already-here'));
  assert.deepEqual(
    (await readdir(objects)).filter((name) => name.length !== 2),
    [],
    'no temp folder is left',
  );
  // After a failure the unfinished folder is removed, and nothing of it reaches the cache.
  const late = new ObjectFolderBuilder(cacheDir, new Set());
  const extra = bytes('seven');
  await rm(join(objects, extra.md5.slice(0, 2)), { recursive: true, force: true });
  late.put(extra.md5, extra.data);
  late.discard();
  assert.deepEqual(
    (await readdir(objects)).filter((name) => name.startsWith(extra.md5.slice(0, 2))),
    [],
  );
});
