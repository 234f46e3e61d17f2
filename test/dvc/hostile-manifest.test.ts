import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { add, checkout, md5Bytes, objectPath, parsePipeline, pull, reproduce, safeName, status, unsafePathReason } from '../../src/dvc/index.js';
import { assertCliError, dvcText, exists, hostileRepo, pushManifest, putRemoteObject, runCli, snapshot } from './hostile-helpers.js';

// A DVC remote is shared storage: whoever can write to it (a collaborator, a fork's workflow with
// the remote's credentials) controls the `.dir` manifests pulled from it, and a pull request
// controls the `.dvc` files and dvc.yaml. None of them may make this tool write outside the
// workspace or into .git/ or .dvc/.

const TRICKS: readonly { name: string; relpath: string; why: RegExp }[] = [
  { name: 'climbing into .dvc/config', relpath: '../.dvc/config', why: /climbs out of its folder with "\.\."/ },
  { name: 'climbing out of the repository', relpath: '../../outside/keep.txt', why: /climbs out/ },
  { name: 'an absolute path', relpath: '/tmp/cifar10-hostile-absolute.txt', why: /absolute path/ },
  { name: 'a drive path', relpath: 'C:/Windows/evil.txt', why: /drive letter/ },
  { name: 'backslash separators', relpath: 'a\\..\\..\\evil.txt', why: /backslash/ },
  { name: 'a NUL byte', relpath: 'a\u0000b.txt', why: /NUL/ },
  { name: 'a .git component', relpath: '.git/hooks/pre-commit', why: /reaches into \.git\// },
  { name: 'a .dvc component', relpath: 'sub/.dvc/config', why: /reaches into \.dvc\// },
  { name: 'a .git component in capitals', relpath: '.GIT/config', why: /reaches into \.git\// },
  { name: 'a .git component with a trailing dot (Windows)', relpath: '.git./config', why: /reaches into \.git\// },
  { name: 'an empty segment', relpath: 'a//b.txt', why: /empty or "\." segment/ },
  { name: 'a "." segment', relpath: './b.txt', why: /empty or "\." segment/ },
];

for (const trick of TRICKS) {
  test(`a manifest from the remote with ${trick.name} is refused by pull, naming the object, the entry and the remote; nothing is written`, async (t) => {
    const h = await hostileRepo(t);
    const id = await pushManifest(h.store, [
      ['good.txt', 'fine\n'],
      [trick.relpath, '[core]\n    remote = evil\n'],
    ]);
    await writeFile(join(h.repo.root, 'data.dvc'), dvcText('data', id, 2));
    const before = await snapshot(h);
    await assert.rejects(pull(h.repo, { cwd: h.repo.root }), (error: Error) => {
      assert.equal(error.name, 'UnsafeManifestError');
      assert.ok(error.message.includes(id), `names the object: ${error.message}`);
      assert.ok(error.message.includes(JSON.stringify(trick.relpath)), `names the entry: ${error.message}`);
      assert.match(error.message, /from remote "storage" \(\.\.\/\.\.\/store\)/);
      assert.match(error.message, trick.why);
      assert.match(error.message, /Nothing was written to the workspace and the manifest was removed from the cache/);
      return true;
    });
    assert.deepEqual(await snapshot(h), before);
    assert.equal(await exists(join(h.repo.root, 'data')), false, 'the output folder was not created');
    assert.equal(await exists(objectPath(h.repo.cacheDir, id)), false, 'the hostile manifest left the cache');
    assert.equal(await exists('/tmp/cifar10-hostile-absolute.txt'), false);
  });
}

test('manifests with a duplicate entry, a file that is also a folder, or a bad md5 are refused before anything is written', async (t) => {
  const h = await hostileRepo(t);
  const cases: [string, (readonly [string, string])[] | (() => Promise<string>), RegExp][] = [
    [
      'twice',
      [
        ['a.txt', 'one'],
        ['a.txt', 'two'],
      ],
      /"a\.txt", which is refused: it is listed twice/,
    ],
    [
      'nested',
      [
        ['a', 'file'],
        ['a/b', 'inside'],
      ],
      /"a", which is refused: it is listed as a file and also as the folder of "a\/b"/,
    ],
    [
      'md5',
      async () => {
        const manifest = Buffer.from('[{"md5": "../../../../outside/keep", "relpath": "x.txt"}]');
        const id = `${md5Bytes(manifest)}.dir`;
        await putRemoteObject(h.store, id, manifest);
        return id;
      },
      /its md5 "\.\.\/\.\.\/\.\.\/\.\.\/outside\/keep" is not a file's MD5/,
    ],
  ];
  for (const [name, entries, message] of cases) {
    const id = typeof entries === 'function' ? await entries() : await pushManifest(h.store, entries);
    await writeFile(join(h.repo.root, `${name}.dvc`), dvcText(name, id, 2));
    const before = await snapshot(h);
    await assert.rejects(pull(h.repo, { cwd: h.repo.root, targets: [`${name}.dvc`] }), message);
    assert.deepEqual(await snapshot(h), before);
    assert.equal(await exists(join(h.repo.root, name)), false);
  }
});

test('through the CLI a hostile manifest is one clear error without a stack trace, and .dvc/config is unchanged', async (t) => {
  const h = await hostileRepo(t);
  const id = await pushManifest(h.store, [['../.dvc/config', '[core]\n    remote = evil\n']]);
  await writeFile(join(h.repo.root, 'data.dvc'), dvcText('data', id, 1));
  const config = await readFile(join(h.repo.dvcDir, 'config'), 'utf8');
  const result = await runCli(h.repo.root, ['data', 'pull', '-q']);
  assertCliError(result, new RegExp(`^error: directory manifest ${id} \\(of data\\) from remote "storage" .* lists "\\.\\./\\.dvc/config", which is refused`));
  assert.equal(await readFile(join(h.repo.dvcDir, 'config'), 'utf8'), config);
});

test('a manifest already in the cache is judged again by checkout, before the first write', async (t) => {
  const h = await hostileRepo(t);
  const id = await pushManifest(h.store, [
    ['ok.txt', 'ok'],
    ['../escaped.txt', 'x'],
  ]);
  // The cache holds it, as if an older version of this tool had fetched it.
  const manifest = await readFile(objectPath(h.store, id));
  await putRemoteObject(h.repo.cacheDir, id, manifest);
  await putRemoteObject(h.repo.cacheDir, md5Bytes('ok'), Buffer.from('ok'));
  await writeFile(join(h.repo.root, 'data.dvc'), dvcText('data', id, 2));
  const before = await snapshot(h);
  await assert.rejects(checkout(h.repo, { cwd: h.repo.root }), /lists "\.\.\/escaped\.txt", which is refused: it climbs out/);
  assert.deepEqual(await snapshot(h), before);
  assert.equal(await exists(join(h.repo.root, 'escaped.txt')), false);
});

const DVC_PATHS: readonly { path: string; why: RegExp }[] = [
  { path: '../escaped', why: /climbs out/ },
  { path: '/tmp/cifar10-hostile-escaped', why: /absolute path/ },
  { path: '.git/hooks/post-checkout', why: /reaches into \.git\// },
  { path: '.dvc/config', why: /reaches into \.dvc\// },
  { path: 'sub\\..\\..\\escaped', why: /backslash/ },
  { path: '', why: /empty/ },
  { path: '.', why: /names the folder itself/ },
];

for (const { path, why } of DVC_PATHS) {
  test(`a .dvc file with path ${JSON.stringify(path)} is refused, not silently made relative; nothing is written`, async (t) => {
    const h = await hostileRepo(t);
    const md5 = md5Bytes('payload\n');
    await putRemoteObject(h.store, md5, Buffer.from('payload\n'));
    await writeFile(join(h.repo.root, 'evil.dvc'), dvcText(path, md5));
    const before = await snapshot(h);
    await assert.rejects(pull(h.repo, { cwd: h.repo.root }), (error: Error) => {
      assert.equal(error.name, 'UnsafePathError');
      assert.ok(error.message.includes(join(h.repo.root, 'evil.dvc')), `names the .dvc file: ${error.message}`);
      assert.ok(error.message.includes(JSON.stringify(path)));
      assert.match(error.message, why);
      return true;
    });
    assert.deepEqual(await snapshot(h), before);
    assert.equal(await exists(join(h.base, 'escaped')), false);
    assert.equal(await exists('/tmp/cifar10-hostile-escaped'), false);
  });
}

test('a committed symbolic link does not carry a checkout outside the workspace', async (t) => {
  const h = await hostileRepo(t);
  const md5 = md5Bytes('owned\n');
  await putRemoteObject(h.store, md5, Buffer.from('owned\n'));
  await symlink(h.outside, join(h.repo.root, 'link'));
  await writeFile(join(h.repo.root, 'evil.dvc'), dvcText('link/keep.txt', md5));
  const id = await pushManifest(h.store, [['inner/keep.txt', 'owned\n']]);
  await mkdir(join(h.repo.root, 'data'));
  await symlink(h.outside, join(h.repo.root, 'data', 'inner'));
  await writeFile(join(h.repo.root, 'data.dvc'), dvcText('data', id, 1));
  const before = await snapshot(h);
  await assert.rejects(
    pull(h.repo, { cwd: h.repo.root, targets: ['evil.dvc'] }),
    /path link\/keep\.txt runs through link, a symbolic link to .*outside.*checkout does not write through it/,
  );
  await assert.rejects(
    pull(h.repo, { cwd: h.repo.root, targets: ['data.dvc'], force: true }),
    /its folder inner is a symbolic link to .*outside.*Nothing was written/,
  );
  assert.deepEqual(await snapshot(h), before);
});

test('dvc.yaml paths outside the repository, in .git or .dvc, or absolute are refused when the pipeline is read', () => {
  const file = '/project/dvc.yaml';
  const stage = (body: string) => `stages:\n  s:\n    cmd: echo\n${body}`;
  const refused: [string, RegExp][] = [
    ['    outs:\n    - ../outside\n', /output "\.\.\/outside" is refused: it climbs out/],
    ['    outs:\n    - /home/user\n', /output "\/home\/user" is refused: it is an absolute path/],
    ['    outs:\n    - .git/hooks/pre-commit\n', /reaches into \.git\//],
    ['    metrics:\n    - .dvc/config:\n        cache: false\n', /reaches into \.dvc\//],
    ['    deps:\n    - ../../etc/passwd\n', /deps\[0\] "\.\.\/\.\.\/etc\/passwd" is refused/],
    ['    params:\n    - ../secrets.yaml:\n      - token\n', /params file "\.\.\/secrets\.yaml" is refused/],
    ['    wdir: ..\n', /wdir "\.\." is refused/],
    ['    wdir: sub\n    outs:\n    - ../../x\n', /output "\.\.\/\.\.\/x" is refused/],
  ];
  for (const [body, message] of refused) assert.throws(() => parsePipeline(stage(body), file), message, body);
  // `..` that stays inside, as DVC allows, is fine.
  const ok = parsePipeline(stage('    wdir: src\n    deps:\n    - ../data\n    outs:\n    - ../out/model\n'), file);
  assert.deepEqual(
    ok.stages[0]!.outs.map((o) => o.path),
    ['../out/model'],
  );
});

test('repro does not remove an output below a link that leads out of the repository', async (t) => {
  const h = await hostileRepo(t);
  await symlink(h.outside, join(h.repo.root, 'link'));
  await writeFile(join(h.repo.root, 'dvc.yaml'), 'stages:\n  s:\n    cmd: echo ran > ran.txt\n    outs:\n    - link/keep.txt\n');
  const before = await snapshot(h);
  await assert.rejects(reproduce({ root: h.repo.root, stdio: 'ignore' }), /stage "s": an output lies below link, a symbolic link to .*outside the repository/);
  assert.deepEqual(await snapshot(h), before);
  assert.equal(await exists(join(h.repo.root, 'ran.txt')), false, 'the stage did not run');
});

test('the path rule for names: single names for bundles and artifacts, and what is fine', () => {
  for (const ok of ['v1', 'class0/img-00001.png', 'a b/ü.png', '.gitignore', 'x.dvc', '...a']) assert.equal(unsafePathReason(ok), undefined, ok);
  assert.equal(safeName('s42-v1+v2', 'run id'), 's42-v1+v2');
  assert.throws(() => safeName('../s42', 'run id'), /run id "\.\.\/s42" is not a safe file name: it contains "\/"/);
  assert.throws(() => safeName('..', 'artifact name'), /climbs out/);
  assert.throws(() => safeName('.git', 'bundle'), /reaches into \.git\//);
  assert.throws(() => safeName('a\\b', 'bundle'), /backslash/);
});

test('a tracked empty folder is restored by checkout and pull, and status stops calling it deleted, as DVC does', async (t) => {
  const h = await hostileRepo(t);
  await mkdir(join(h.repo.root, 'empty'));
  const [added] = await add(h.repo, ['empty'], { cwd: h.repo.root });
  assert.equal(added!.hash.md5, 'd751713988987e9331980363e24189ce.dir', 'the id DVC gives an empty folder');
  await rm(join(h.repo.root, 'empty'), { recursive: true });
  assert.deepEqual(
    (await status(h.repo, { cwd: h.repo.root })).map((s) => s.state),
    ['deleted'],
  );
  assert.deepEqual(
    (await checkout(h.repo, { cwd: h.repo.root })).map((r) => [r.label, r.written]),
    [['empty', 0]],
  );
  assert.equal(await exists(join(h.repo.root, 'empty')), true);
  assert.deepEqual(
    (await status(h.repo, { cwd: h.repo.root })).map((s) => s.state),
    ['up to date'],
  );
  await rm(join(h.repo.root, 'empty'), { recursive: true });
  await rm(h.repo.cacheDir, { recursive: true });
  await putRemoteObject(h.store, 'd751713988987e9331980363e24189ce.dir', Buffer.from('[]'));
  await pull(h.repo, { cwd: h.repo.root });
  assert.deepEqual(
    (await status(h.repo, { cwd: h.repo.root })).map((s) => s.state),
    ['up to date'],
  );
});
