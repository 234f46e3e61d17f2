import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { compareCodePoints, hashPath, IgnoreRules, manifestBytes, md5File, pythonJsonString, sortManifest } from '../../src/dvc/index.js';
import { fakeBytes, tempDir, writeTree } from './helpers.js';

test('an empty directory hashes to the golden id d751713988987e9331980363e24189ce.dir', async (t) => {
  const dir = await tempDir(t);
  assert.deepEqual(await hashPath(dir), { md5: 'd751713988987e9331980363e24189ce.dir', size: 0, nfiles: 0 });
  assert.equal(manifestBytes([]).toString(), '[]');
});

test('the two-file golden directory gives the exact manifest bytes, id, size and file count', async (t) => {
  const dir = await tempDir(t);
  await writeTree(dir, { 'a.txt': 'hello\n', 'sub/b.txt': 'world\r\n' });
  const manifest = manifestBytes([
    { md5: '2d0ad13571bf807a3bdcfacc0d5d65f1', relpath: 'sub/b.txt' },
    { md5: 'b1946ac92492d2347c6235b4d2611184', relpath: 'a.txt' },
  ]);
  assert.equal(
    manifest.toString('ascii'),
    '[{"md5": "b1946ac92492d2347c6235b4d2611184", "relpath": "a.txt"}, {"md5": "2d0ad13571bf807a3bdcfacc0d5d65f1", "relpath": "sub/b.txt"}]',
  );
  assert.equal(manifest.length, 134);
  assert.deepEqual(await hashPath(dir), { md5: '28994df71f7bf0a12c1339ea7de537e9.dir', size: 13, nfiles: 2 });
});

test('a file hashes to the plain MD5 of its bytes with no newline conversion', async (t) => {
  const dir = await tempDir(t);
  await writeTree(dir, { 'crlf.txt': 'world\r\n' });
  assert.deepEqual(await hashPath(join(dir, 'crlf.txt')), { md5: '2d0ad13571bf807a3bdcfacc0d5d65f1', size: 7 });
});

test('files larger than the whole-read limit are streamed and hash the same as in one piece', async (t) => {
  const dir = await tempDir(t);
  const big = fakeBytes(3, 9 * 1024 * 1024 + 17);
  await writeFile(join(dir, 'big.bin'), big);
  const { createHash } = await import('node:crypto');
  assert.deepEqual(await md5File(join(dir, 'big.bin')), { md5: createHash('md5').update(big).digest('hex'), size: big.length });
});

test('manifest entries sort by code point: B < a-b < a.txt < a/b < run.sh < é.txt, astral after U+FF00', () => {
  const names = ['é.txt', 'run.sh', 'a/b', 'a.txt', 'a-b', 'B', '\u{1F600}.txt', '\uFF00.txt'];
  const sorted = sortManifest(names.map((relpath) => ({ md5: '0'.repeat(32), relpath }))).map((e) => e.relpath);
  assert.deepEqual(sorted, ['B', 'a-b', 'a.txt', 'a/b', 'run.sh', 'é.txt', '\uFF00.txt', '\u{1F600}.txt']);
  assert.ok(compareCodePoints('\u{1F600}', '\uFF00') > 0, 'UTF-16 order would put the astral character first');
  assert.equal(compareCodePoints('a', 'a'), 0);
});

test('strings are escaped as Python json.dumps does: \\uXXXX lower-case for non-ASCII, DEL and controls', () => {
  assert.equal(pythonJsonString('é.txt'), '"\\u00e9.txt"');
  assert.equal(pythonJsonString('\u{1F600}'), '"\\ud83d\\ude00"');
  assert.equal(pythonJsonString('a"b\\c\n\t\r\b\f\u0001\u007f~'), '"a\\"b\\\\c\\n\\t\\r\\b\\f\\u0001\\u007f~"');
});

test('a manifest with non-ASCII names is sorted and escaped byte-for-byte', () => {
  const bytes = manifestBytes([
    { md5: 'b1946ac92492d2347c6235b4d2611184', relpath: 'é.txt' },
    { md5: '2d0ad13571bf807a3bdcfacc0d5d65f1', relpath: 'B' },
  ]);
  assert.equal(
    bytes.toString('ascii'),
    '[{"md5": "2d0ad13571bf807a3bdcfacc0d5d65f1", "relpath": "B"}, {"md5": "b1946ac92492d2347c6235b4d2611184", "relpath": "\\u00e9.txt"}]',
  );
});

test('.git, .dvc folders and .dvcignore patterns (root and nested) are left out of a directory hash', async (t) => {
  const root = await tempDir(t);
  await writeTree(root, {
    '.dvcignore': '# comment\n*.tmp\ndata/skip/\n',
    'data/a.txt': 'hello\n',
    'data/sub/b.txt': 'world\r\n',
    'data/x.tmp': 'ignored',
    'data/skip/c.txt': 'ignored',
    'data/.git/HEAD': 'ignored',
    'data/sub/.dvcignore': 'local-only\n',
    'data/sub/local-only': 'ignored',
  });
  const rules = new IgnoreRules(root);
  const files = await rules.listFiles(join(root, 'data'));
  assert.deepEqual(files, ['a.txt', 'sub/.dvcignore', 'sub/b.txt']);
  assert.equal(await rules.isIgnored(join(root, 'data', 'x.tmp'), false), true);
  assert.equal(await rules.isIgnored(join(root, 'data', 'a.txt'), false), false);
});

test('a nested .dvcignore negation re-includes what a parent pattern excluded (DVC merges them, last match wins)', async (t) => {
  const root = await tempDir(t);
  await writeTree(root, {
    '.dvcignore': '*.txt\n',
    'data/a.txt': 'ignored',
    'data/a.png': 'kept',
    'data/sub/.dvcignore': '!keep.txt\n',
    'data/sub/keep.txt': 'kept again',
    'data/sub/other.txt': 'ignored',
  });
  const rules = new IgnoreRules(root);
  assert.deepEqual(await rules.listFiles(join(root, 'data')), ['a.png', 'sub/.dvcignore', 'sub/keep.txt']);
  assert.equal(await rules.ignoredBy(join(root, 'data', 'sub', 'keep.txt'), false), undefined);
  assert.equal(await rules.ignoredBy(join(root, 'data', 'sub', 'other.txt'), false), join(root, '.dvcignore'));
});

test('hashing a path that does not exist fails with a message naming it', async (t) => {
  const dir = await tempDir(t);
  await mkdir(join(dir, 'x'));
  await assert.rejects(hashPath(join(dir, 'nope')), /nope does not exist/);
});
