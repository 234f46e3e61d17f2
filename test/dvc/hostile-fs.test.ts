// test-runner: alone (it mounts tmpfs file systems)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { access, chmod, constants, mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { md5Bytes, objectPath } from '../../src/dvc/index.js';
import { CLI, assertCliError, dvcText, exists, hostileRepo, pushManifest, runCli } from './hostile-helpers.js';
import { THREADED_BUILD_FILES } from '../../src/dvc/workspace/build.js';
import { fakeBytes, partitionLikeTree, writeTree } from './helpers.js';

const run = promisify(execFile);

// File-system faults a user can cause, each through the CLI as users run it: one `error:` line
// naming the path, the error in words and the fix, exit status 1, never a stack trace.

/**
 * Mounts a tmpfs with `options` at `dir` (root only) and runs `work` on it, unmounting after;
 * false when this machine does not allow mounting.
 */
async function onTmpfs(dir: string, options: string, work: () => Promise<void>): Promise<boolean> {
  await mkdir(dir, { recursive: true });
  try {
    await run('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir]);
  } catch {
    return false;
  }
  try {
    await work();
  } finally {
    await run('umount', [dir]);
  }
  return true;
}

async function useCacheDir(configDir: string, cacheDir: string): Promise<void> {
  await writeFile(join(configDir, 'config.local'), `[cache]\n    dir = ${cacheDir}\n`);
}

test('a full disk under the cache (a 1 MiB tmpfs) is one clear error, and leaves no temp files', async (t) => {
  const h = await hostileRepo(t);
  const cache = join(h.base, 'small-disk');
  await useCacheDir(h.repo.dvcDir, cache);
  await writeTree(join(h.repo.root, 'data'), Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`f${i}.bin`, fakeBytes(i, 200_000)])));
  await writeTree(join(h.repo.root, 'big'), { 'big.bin': fakeBytes(99, 9 * 1024 * 1024) });
  const mounted = await onTmpfs(cache, 'size=1m', async () => {
    assertCliError(
      await runCli(h.repo.root, ['data', 'add', 'data', '-q']),
      new RegExp(`error: cannot write ${cache}/files/md5/.*: no space left on device \\(ENOSPC\\); the disk is full; free some space there`),
    );
    const left = (await readdir(cache, { recursive: true })).map(String).filter((name) => name.includes('.tmp-'));
    assert.deepEqual(left, [], 'temp files were removed');
    // A large file takes the streaming path: the same message.
    assertCliError(await runCli(h.repo.root, ['data', 'add', 'big', '-q']), /no space left on device \(ENOSPC\)/);
  });
  if (!mounted) t.skip('cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN): the full-disk case is not exercised');
});

test('a full disk under the workspace while a pull writes a large folder on its write thread is one clear error, and leaves nothing there', async (t) => {
  const h = await hostileRepo(t);
  const small = join(h.repo.root, 'small');
  await writeTree(join(small, 'data'), partitionLikeTree(3, Math.ceil(THREADED_BUILD_FILES / 3)));
  assert.equal((await runCli(h.repo.root, ['data', 'add', 'small/data', '-q'])).code, 0);
  await rm(join(small, 'data'), { recursive: true });
  const committed = { 'data.dvc': await readFile(join(small, 'data.dvc')), '.gitignore': await readFile(join(small, '.gitignore')) };
  // Each small file takes a 4 KiB page: a 1 MiB disk fills after some 250 of them, all written by the thread.
  const mounted = await onTmpfs(small, 'size=1m', async () => {
    await writeTree(small, committed);
    assertCliError(
      await runCli(h.repo.root, ['data', 'pull', '-q']),
      new RegExp(`error: cannot write ${small}/data/class\\d/img-\\d+\\.png: no space left on device \\(ENOSPC\\); the disk is full; free some space there`),
    );
    assert.deepEqual((await readdir(small)).sort(), ['.gitignore', 'data.dvc'], 'no folder and no half-built folder');
  });
  if (!mounted) t.skip('cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN): the full-disk case is not exercised');
});

test('a read-only file system under the cache is named as one', async (t) => {
  const h = await hostileRepo(t);
  const cache = join(h.base, 'ro-disk');
  await useCacheDir(h.repo.dvcDir, cache);
  await writeTree(join(h.repo.root, 'data'), { 'a.txt': 'a' });
  const mounted = await onTmpfs(cache, 'size=1m,ro', async () => {
    assertCliError(
      await runCli(h.repo.root, ['data', 'add', 'data', '-q']),
      /error: cannot (write|create) .*ro-disk.*: read-only file system \(EROFS\); it is on a read-only file system/,
    );
  });
  if (!mounted) t.skip('cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN): the read-only file system case is not exercised');
});

/** Whether uid 65534 can run this checkout's CLI (not when the checkout lies under a folder only its owner may enter). */
async function unprivilegedCanRun(): Promise<boolean> {
  if (process.getuid?.() !== 0) return false;
  for (let dir = dirname(CLI); dir !== dirname(dir); dir = dirname(dir)) {
    try {
      await access(dir, constants.X_OK);
    } catch {
      return false;
    }
  }
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, '--help'], { uid: 65534, gid: 65534, stdio: 'ignore' });
    child.on('error', () => resolve(false));
    child.on('close', (code) => resolve(code === 0));
  });
}

test('a cache the user may not write (EACCES, as an unprivileged user) is named with the fix', async (t) => {
  if (!(await unprivilegedCanRun()))
    return t.skip('needs root to run the CLI as uid 65534, and a checkout that user can read; the permission case is not exercised');
  const h = await hostileRepo(t);
  await writeTree(join(h.repo.root, 'data'), { 'a.txt': 'a' });
  await mkdir(join(h.repo.dvcDir, 'cache'), { recursive: true });
  // Everything readable by the user, the workspace and .dvc/tmp writable, the cache not.
  await run('chmod', ['-R', 'a+rX', h.base]);
  await run('chown', ['-R', '65534:65534', h.repo.root]);
  await run('chown', ['-R', '0:0', join(h.repo.dvcDir, 'cache')]);
  await chmod(join(h.repo.dvcDir, 'cache'), 0o555);
  const result = await runCli(h.repo.root, ['data', 'add', 'data', '-q'], { uid: 65534, gid: 65534 });
  assertCliError(result, /error: cannot write .*\.dvc\/cache\/files\/md5\/.*: permission denied \(EACCES\); this user may not write it; fix the permissions/);
});

test('a cache that is a file (ENOTDIR) names that file', async (t) => {
  const h = await hostileRepo(t);
  await writeTree(join(h.repo.root, 'data'), { 'a.txt': 'a' });
  await writeFile(join(h.repo.dvcDir, 'cache'), 'not a folder');
  assertCliError(
    await runCli(h.repo.root, ['data', 'add', 'data', '-q']),
    new RegExp(`not a directory \\(ENOTDIR\\); ${join(h.repo.dvcDir, 'cache')} is a file where a folder is expected; move it away`),
  );
});

test('a symbolic link loop (ELOOP) and a dangling link (ENOENT) in tracked data are named with the link', async (t) => {
  const h = await hostileRepo(t);
  await writeTree(join(h.repo.root, 'data'), { 'a.txt': 'a' });
  await symlink('loop', join(h.repo.root, 'data', 'loop'));
  assertCliError(
    await runCli(h.repo.root, ['data', 'add', 'data', '-q']),
    new RegExp(
      `error: cannot read ${join(h.repo.root, 'data', 'loop')}: too many symbolic links encountered \\(ELOOP\\); a symbolic link on that path points back into itself`,
    ),
  );
  await rm(join(h.repo.root, 'data', 'loop'));
  await symlink('/nonexistent/target', join(h.repo.root, 'data', 'dangling'));
  assertCliError(
    await runCli(h.repo.root, ['data', 'add', 'data', '-q']),
    new RegExp(
      `no such file or directory \\(ENOENT\\); ${join(h.repo.root, 'data', 'dangling')} is a symbolic link to /nonexistent/target, which does not exist; restore its target or remove the link`,
    ),
  );
});

test('names at the length limit check out (the temp name is shortened); names over it are ENAMETOOLONG, named', async (t) => {
  const h = await hostileRepo(t);
  const long = `${'n'.repeat(250)}.png`;
  await writeTree(join(h.repo.root, 'data'), { [long]: 'pixels' });
  assert.equal((await runCli(h.repo.root, ['data', 'add', 'data', '-q'])).code, 0);
  await rm(join(h.repo.root, 'data'), { recursive: true });
  const restored = await runCli(h.repo.root, ['data', 'checkout', '-q']);
  assert.equal(restored.code, 0, restored.stderr);
  assert.equal(await exists(join(h.repo.root, 'data', long)), true);
  const tooLong = `${'x'.repeat(300)}.png`;
  const id = await pushManifest(h.store, [[tooLong, 'pixels']]);
  await writeFile(join(h.repo.root, 'long.dvc'), dvcText('long', id, 1));
  assertCliError(
    await runCli(h.repo.root, ['data', 'pull', 'long.dvc', '-q']),
    /error: cannot write .*long\/x+\.png: name too long \(ENAMETOOLONG\); a name on that path is longer than the file system allows/,
  );
});

test('temp files of killed writers in the cache are removed by the next run that touches it; a live writer keeps its own', async (t) => {
  const h = await hostileRepo(t);
  await writeTree(join(h.repo.root, 'data'), { 'a.txt': 'a' });
  assert.equal((await runCli(h.repo.root, ['data', 'add', 'data', '-q'])).code, 0);
  const dead = spawn(process.execPath, ['-e', '0']);
  await new Promise((resolve) => dead.on('close', resolve));
  const live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
  t.after(() => live.kill());
  const object = objectPath(h.repo.cacheDir, md5Bytes('a'));
  const litter = [`${object}.tmp-${dead.pid}-0123abcd`, join(h.repo.cacheDir, `stream.tmp-${dead.pid}-89abcdef`)];
  const inFlight = `${object}.tmp-${live.pid}-fedcba98`;
  for (const file of [...litter, inFlight]) await writeFile(file, 'half an object');
  assert.equal((await runCli(h.repo.root, ['data', 'checkout', '-q'])).code, 0);
  for (const file of litter) assert.equal(await exists(file), false, `${file} was removed`);
  assert.equal(await exists(inFlight), true, "a live process's temp file is left alone");
});
