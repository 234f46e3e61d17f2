import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { add, formatLockFile, initRepo, LOCK_ENV, lockRepo, parseLockFile } from '../../src/dvc/index.js';
import { runMatrix } from '../../src/experiments/matrix.js';
import { createSynthWorkspace } from '../fixtures/synth-workspace.js';
import { tempDir, writeTree } from './helpers.js';
import { assertCliError, exists, hostileRepo, runCli } from './hostile-helpers.js';

const run = promisify(execFile);
const STAGE_CLI = fileURLToPath(new URL('../experiments/stage-cli.js', import.meta.url));

/** Polls for `path` (a process's "I got here" mark), up to a generous bound. */
async function waitFor(path: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await exists(path)) return;
    await sleep(100);
  }
  throw new Error(`${path} never appeared`);
}

/** A pid that no process has any more: a child that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((resolve) => child.on('close', resolve));
  return child.pid!;
}

/** A stage command that marks that it started, then waits until the test writes `go`. */
const GATED_STAGE = `node -e "require('fs').writeFileSync('started','');(function w(){require('fs').existsSync('go')?process.exit(0):setTimeout(w,50)})()"`;

test('two writers at once: the second waits briefly, then fails naming the holder (pid, command, since); after the first it runs', async (t) => {
  const h = await hostileRepo(t);
  await writeTree(h.repo.root, { 'dvc.yaml': `stages:\n  slow:\n    cmd: ${GATED_STAGE}\n`, 'data/a.txt': 'a' });
  const first = runCli(h.repo.root, ['repro']);
  await waitFor(join(h.repo.root, 'started'));
  const holder = parseLockFile(await readFile(join(h.repo.dvcDir, 'tmp', 'lock'), 'utf8'))!;
  assert.equal(holder.command, 'cifar10 repro');
  assert.equal(holder.host, hostname());
  for (const args of [['repro'], ['data', 'add', 'data'], ['data', 'pull']]) {
    const second = await runCli(h.repo.root, args);
    assertCliError(
      second,
      new RegExp(
        `error: the repository is locked by pid ${holder.pid} \\(\`cifar10 repro\`, since ${holder.since!.replace(/[.]/g, '\\.')}\\).*Wait for it to finish`,
      ),
    );
  }
  assert.equal(await exists(join(h.repo.root, 'data.dvc')), false, 'the refused add wrote nothing');
  await writeFile(join(h.repo.root, 'go'), '');
  const done = await first;
  assert.equal(done.code, 0, done.stderr);
  assert.equal(await exists(join(h.repo.dvcDir, 'tmp', 'lock')), false, 'released');
  const again = await runCli(h.repo.root, ['data', 'add', 'data', '-q']);
  assert.equal(again.code, 0, again.stderr);
});

test('a lock left by a killed process is taken over with a warning', async (t) => {
  const h = await hostileRepo(t);
  await writeTree(h.repo.root, { 'data/a.txt': 'a' });
  const pid = await deadPid();
  await mkdir(join(h.repo.dvcDir, 'tmp'), { recursive: true });
  await writeFile(
    join(h.repo.dvcDir, 'tmp', 'lock'),
    formatLockFile({ pid, host: hostname(), command: 'cifar10 data pull', since: '2030-01-01T00:00:00.000Z', token: 'deadbeefdeadbeef' }),
  );
  const result = await runCli(h.repo.root, ['data', 'add', 'data', '-q']);
  assert.equal(result.code, 0, result.stderr);
  assert.match(
    result.stderr,
    new RegExp(
      `warning: taking over the repository lock .*lock from pid ${pid} \\(\`cifar10 data pull\`, since 2030-01-01T00:00:00\\.000Z\\), which ended without releasing it`,
    ),
  );
  assert.equal(await exists(join(h.repo.dvcDir, 'tmp', 'lock')), false);
});

test("the real DVC's leftover lock file (its pid line, the flock released) does not block", async (t) => {
  const h = await hostileRepo(t);
  await writeTree(h.repo.root, { 'data/a.txt': 'a' });
  const dvc = process.env.REAL_DVC;
  if (dvc) {
    await run('git', ['init', '-q'], { cwd: h.repo.root });
    await run(dvc, ['status'], { cwd: h.repo.root });
    assert.match(await readFile(join(h.repo.dvcDir, 'tmp', 'lock'), 'utf8'), /^ \d+\n$/, "DVC's own format");
  } else {
    // Without the real DVC, its format by hand: a live pid (this process), which DVC leaves behind too.
    await mkdir(join(h.repo.dvcDir, 'tmp'), { recursive: true });
    await writeFile(join(h.repo.dvcDir, 'tmp', 'lock'), ` ${process.pid}\n`);
  }
  const result = await runCli(h.repo.root, ['data', 'add', 'data', '-q']);
  assert.equal(result.code, 0, result.stderr);
  assert.doesNotMatch(result.stderr, /warning/);
});

test('a stage command of repro that takes the lock runs under its parent lock instead of waiting for it', async (t) => {
  const h = await hostileRepo(t);
  await writeTree(h.repo.root, { 'data/a.txt': 'a' });
  await add(h.repo, ['data'], { cwd: h.repo.root });
  const cli = join(process.cwd(), 'dist', 'src', 'cli.js');
  await writeFile(
    join(h.repo.root, 'dvc.yaml'),
    `stages:\n  nested:\n    cmd: node ${cli} data checkout -q && node ${cli} data add data -q > added.txt\n    outs:\n    - added.txt:\n        cache: false\n`,
  );
  const result = await runCli(h.repo.root, ['repro']);
  assert.equal(result.code, 0, result.stderr);
  assert.match(await readFile(join(h.repo.root, 'added.txt'), 'utf8'), /unchanged: data/);
});

test('a lock file whose second line is not our JSON names only its pid', () => {
  assert.deepEqual(parseLockFile(' 4242\n{"host": 7, "command": ["rm", "-rf"]}\n'), { pid: 4242 });
  assert.deepEqual(parseLockFile(' 4242\nnot json\n'), { pid: 4242 });
  assert.deepEqual(parseLockFile(' 4242\n{"host": "box", "command": "cifar10 repro"}\n'), {
    pid: 4242,
    host: 'box',
    command: 'cifar10 repro',
    since: undefined,
    token: undefined,
  });
  assert.equal(parseLockFile('nope\n'), undefined);
});

test('in one process the lock is re-entrant, and released only by the last holder', async (t) => {
  const h = await hostileRepo(t);
  const path = join(h.repo.dvcDir, 'tmp', 'lock');
  const outer = await lockRepo(h.repo.dvcDir);
  const inner = await lockRepo(h.repo.dvcDir, { waitMs: 0 });
  await inner.release();
  assert.equal(await exists(path), true);
  await outer.release();
  assert.equal(await exists(path), false);
});

test('exp matrix holds one lock for all its cells (no deadlock with two at once) and keeps other writers out while it runs', async (t) => {
  const root = await tempDir(t, 'matrix-lock-');
  await createSynthWorkspace(root, { imagesPerClass: 30, partitions: 2, partitionSize: 40, seed: 3 });
  await writeFile(join(root, 'params.yaml'), 'data:\n  versions: v1\ntrain:\n  seed: 42\n  epochs: 1\n');
  await initRepo(root);
  const done = await runMatrix({ root, seeds: [1, 2], versions: ['v1'], jobs: 2, stageRunner: STAGE_CLI });
  assert.equal(done.ran.length, 2);
  assert.equal(await exists(join(root, '.dvc', 'tmp', 'lock')), false);
  // A slow matrix holds the lock; a writer in another process is refused; stopping the matrix frees it.
  const controller = new AbortController();
  const slow = runMatrix({
    root,
    seeds: [7],
    versions: ['v1'],
    jobs: 1,
    stageRunner: STAGE_CLI,
    env: { ...process.env, FAKE_TRAIN_MS: '120000' },
    signal: controller.signal,
  });
  await waitFor(join(root, '.dvc', 'tmp', 'lock'));
  // This process holds the lock, so its children would act under it: the writer gets a clean environment.
  const env = { ...process.env, [LOCK_ENV]: undefined };
  assertCliError(await runCli(root, ['data', 'add', 'params.yaml'], { env }), new RegExp(`the repository is locked by pid ${process.pid}`));
  controller.abort();
  await assert.rejects(slow, /interrupted/);
  assert.equal(await exists(join(root, '.dvc', 'tmp', 'lock')), false);
});
