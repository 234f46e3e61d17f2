import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  addRemote,
  addToGitignore,
  configUrlFor,
  DVC_GITIGNORE,
  dvcFileWithHash,
  DVCIGNORE_TEXT,
  findDvcFiles,
  findRepoRoot,
  formatDvcFile,
  formatIni,
  initRepo,
  listRemotes,
  modifyRemote,
  openRepo,
  parseDvcFile,
  parseIni,
  readConfig,
  readDvcFile,
  selectRemote,
  setDefaultRemote,
  writeDvcFile,
} from '../../src/dvc/index.js';
import { tempDir } from './helpers.js';
import { CIFAR10_SHELL } from '../../src/cifar10-shell.js';
import { useShell } from '../../src/util/hints.js';

// Messages are asserted as the CLI prints them: commands spelled the cifar10 way (src/util/hints.ts).
useShell(CIFAR10_SHELL);

const GOLDEN_CONFIG = `[core]
    remote = storage
['remote "storage"']
    url = ../../dvc-storage
`;

const GOLDEN_DVC = `outs:
- md5: 28994df71f7bf0a12c1339ea7de537e9.dir
  size: 13
  nfiles: 2
  hash: md5
  path: somedir
`;

test('a .dvc file is written byte-for-byte like the golden text and reads back', async (t) => {
  const root = await tempDir(t);
  const dvc = dvcFileWithHash(join(root, 'somedir'), { md5: '28994df71f7bf0a12c1339ea7de537e9.dir', size: 13, nfiles: 2 });
  assert.equal(dvc.file, join(root, 'somedir.dvc'));
  assert.equal(formatDvcFile(dvc), GOLDEN_DVC);
  await writeDvcFile(dvc);
  assert.equal(await readFile(join(root, 'somedir.dvc'), 'utf8'), GOLDEN_DVC);
  const back = await readDvcFile(join(root, 'somedir.dvc'));
  assert.deepEqual(back.outs[0], {
    path: 'somedir',
    md5: '28994df71f7bf0a12c1339ea7de537e9.dir',
    size: 13,
    nfiles: 2,
    isexec: undefined,
    hash: 'md5',
    extra: {},
  });
});

test('a file output has no nfiles, isexec comes before hash, and unknown keys survive a rewrite', () => {
  const text = 'outs:\n- md5: b1946ac92492d2347c6235b4d2611184\n  size: 6\n  isexec: true\n  hash: md5\n  path: run.sh\n  remote: backup\nmeta:\n  owner: me\n';
  const parsed = parseDvcFile(text, 'run.sh.dvc');
  assert.equal(formatDvcFile(parsed), text);
  assert.throws(() => parseDvcFile('foo: 1\n', 'x.dvc'), /x\.dvc has no "outs:" list/);
});

test('the golden .dvc/config parses to the default remote and is written back identically', () => {
  const doc = parseIni(GOLDEN_CONFIG, '.dvc/config');
  assert.deepEqual(listRemotes(doc), [{ name: 'storage', url: '../../dvc-storage', options: {} }]);
  assert.equal(formatIni(doc), GOLDEN_CONFIG);
  assert.throws(() => parseIni('url = x\n', '.dvc/config'), /\.dvc\/config:1: cannot read "url = x"/);
});

test('init writes the files dvc init writes and a second init changes nothing', async (t) => {
  const root = await tempDir(t);
  const first = await initRepo(root);
  assert.equal(first.created, true);
  assert.equal(await readFile(join(root, '.dvc', 'config'), 'utf8'), '');
  assert.equal(await readFile(join(root, '.dvc', '.gitignore'), 'utf8'), DVC_GITIGNORE);
  assert.equal(DVC_GITIGNORE, '/config.local\n/tmp\n/cache\n');
  assert.equal(await readFile(join(root, '.dvcignore'), 'utf8'), DVCIGNORE_TEXT);
  assert.equal(DVCIGNORE_TEXT.split('\n').filter((l) => l.startsWith('#')).length, 3);
  await writeFile(join(root, '.dvc', 'config'), GOLDEN_CONFIG);
  const second = await initRepo(root);
  assert.equal(second.created, false);
  assert.equal(await readFile(join(root, '.dvc', 'config'), 'utf8'), GOLDEN_CONFIG);
  await mkdir(join(root, 'a', 'b'), { recursive: true });
  assert.equal(await findRepoRoot(join(root, 'a', 'b')), root);
  assert.equal((await openRepo(join(root, 'a'))).cacheDir, join(root, '.dvc', 'cache'));
});

test('opening a folder outside any repository says to run data init', async (t) => {
  const dir = await tempDir(t);
  if (await findRepoRoot(dir)) return t.skip('the temp folder sits inside a DVC repository');
  await assert.rejects(openRepo(dir), /not inside a DVC repository.*data init/);
});

test('remote add stores a relative path relative to .dvc/, -d sets core.remote, and config.local overrides', async (t) => {
  const root = await tempDir(t);
  const { repo } = await initRepo(root);
  assert.equal(configUrlFor('../dvc-storage', root, repo.dvcDir), '../../dvc-storage');
  assert.equal(configUrlFor('s3://bucket/prefix', root, repo.dvcDir), 's3://bucket/prefix');
  await addRemote(repo.dvcDir, 'storage', '../dvc-storage', { makeDefault: true, cwd: root });
  assert.equal(await readFile(join(root, '.dvc', 'config'), 'utf8'), GOLDEN_CONFIG);
  await assert.rejects(addRemote(repo.dvcDir, 'storage', '/elsewhere', { cwd: root }), /already exists.*-f/);
  await assert.rejects(addRemote(repo.dvcDir, 'Bad Name', '/x', { cwd: root }), /not a valid remote name/);
  await addRemote(repo.dvcDir, 'backup', 'https://example.test/dvc', { cwd: root });
  await addRemote(repo.dvcDir, 'storage', '/mnt/fast', { cwd: root, local: true, force: true });
  const merged = await readConfig(repo.dvcDir);
  assert.equal(selectRemote(merged, undefined, repo.dvcDir).url, '/mnt/fast');
  assert.equal(selectRemote(merged, 'backup', repo.dvcDir).url, 'https://example.test/dvc');
  assert.throws(() => selectRemote(merged, 'nope', repo.dvcDir), /remote "nope" is not defined.*known remotes: storage, backup/);
  await setDefaultRemote(repo.dvcDir, 'backup');
  assert.match(await readFile(join(root, '.dvc', 'config'), 'utf8'), /^\[core\]\n {4}remote = backup\n/);
  await assert.rejects(setDefaultRemote(repo.dvcDir, 'ghost'), /not defined/);
  assert.throws(() => selectRemote(parseIni('', 'c'), undefined, repo.dvcDir), /no default remote.*remote add -d/);
});

test('tracking appends /name to the parent .gitignore once, adding a missing final newline', async (t) => {
  const root = await tempDir(t);
  await mkdir(join(root, 'data'));
  await writeFile(join(root, 'data', '.gitignore'), '*.log');
  assert.equal(await addToGitignore(join(root, 'data', 'v1')), true);
  assert.equal(await addToGitignore(join(root, 'data', 'v1')), false);
  await addToGitignore(join(root, 'data', 'v2'));
  assert.equal(await readFile(join(root, 'data', '.gitignore'), 'utf8'), '*.log\n/v1\n/v2\n');
});

test('.dvc files are found across the repository but not inside tracked folders, node_modules or nested repositories', async (t) => {
  const root = await tempDir(t);
  await initRepo(root);
  await mkdir(join(root, 'nested', '.dvc'), { recursive: true });
  for (const path of ['a.dvc', 'data/v1.dvc', 'data/v1/inner.dvc', 'node_modules/x/y.dvc', 'deep/er/z.dvc', 'nested/sub.dvc']) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), GOLDEN_DVC);
  }
  const found = (await findDvcFiles(root)).map((f) => f.slice(root.length + 1));
  assert.deepEqual(found, ['a.dvc', 'data/v1.dvc', 'deep/er/z.dvc']);
});

test('remote modify sets and unsets options, secrets in config.local, and the merged view has them', async (t) => {
  const root = await tempDir(t);
  const { repo } = await initRepo(root);
  await addRemote(repo.dvcDir, 'web', 'https://example.test/dvc', { cwd: root, makeDefault: true });
  await modifyRemote(repo.dvcDir, 'web', 'auth', 'basic');
  await modifyRemote(repo.dvcDir, 'web', 'password', 'p4ss', { local: true });
  assert.equal(await readFile(join(root, '.dvc', 'config.local'), 'utf8'), `['remote "web"']\n    password = p4ss\n`);
  assert.deepEqual(listRemotes(await readConfig(repo.dvcDir))[0]!.options, { auth: 'basic', password: 'p4ss' });
  await modifyRemote(repo.dvcDir, 'web', 'auth', undefined);
  assert.doesNotMatch(await readFile(join(root, '.dvc', 'config'), 'utf8'), /auth/);
  await assert.rejects(modifyRemote(repo.dvcDir, 'nope', 'auth', 'basic'), /remote "nope" is not defined/);
});
