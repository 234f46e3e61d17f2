import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Command } from 'commander';
import { registerDataCommands } from '../../src/cli/data.js';
import { reproduce } from '../../src/dvc/index.js';
import { partitionLikeTree, readTree, tempDir, writeTree } from './helpers.js';

const run = promisify(execFile);
const cli = join(process.cwd(), 'dist', 'src', 'cli.js');

/** Runs `cifar10 <args>` in this process (the data commands only) in `cwd`, returning what it printed. */
async function cifar10(cwd: string, ...args: string[]): Promise<string> {
  const program = new Command('cifar10').exitOverride();
  registerDataCommands(program);
  const printed: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  const home = process.cwd();
  process.stdout.write = ((chunk: string) => printed.push(chunk) > 0) as typeof process.stdout.write;
  process.chdir(cwd);
  try {
    await program.parseAsync(['node', 'cifar10', ...args]);
  } finally {
    process.chdir(home);
    process.stdout.write = write;
  }
  return printed.join('');
}

test('the data commands run end to end: init, add, remote add, push, status, pull, remote list', async (t) => {
  const base = await tempDir(t);
  const root = join(base, 'project');
  await writeTree(join(root, 'images'), partitionLikeTree(2, 5));
  const before = await readTree(join(root, 'images'));
  assert.match(await cifar10(root, 'data', 'init'), /Initialized a DVC repository/);
  assert.match(await cifar10(root, 'data', 'add', 'images', '-q'), /added: images \([0-9a-f]{32}\.dir, 10 files[\s\S]*git add images\.dvc \.gitignore/);
  assert.match(await cifar10(root, 'data', 'remote', 'add', '-d', 'storage', '../store'), /remote "storage" → \.\.\/\.\.\/store \(default\)/);
  assert.match(await cifar10(root, 'data', 'status', '--cloud'), /not on remote: images \(11 not on remote/);
  assert.match(await cifar10(root, 'data', 'push', '-q'), /11 object\(s\) pushed, 0 already on the remote/);
  assert.match(await cifar10(root, 'data', 'status', '-c'), /in sync/);
  await rm(join(root, 'images'), { recursive: true });
  await rm(join(root, '.dvc', 'cache'), { recursive: true });
  assert.match(await cifar10(root, 'data', 'status'), /deleted: images/);
  assert.match(await cifar10(root, 'data', 'pull', 'images.dvc', '-q', '--jobs', '4'), /images: 10 written/);
  assert.deepEqual(await readTree(join(root, 'images')), before);
  assert.match(await cifar10(root, 'data', 'status'), /up to date/);
  assert.match(await cifar10(root, 'data', 'remote', 'list'), /^storage\t\.\.\/\.\.\/store\t\(default\)$/m);
  const added = await cifar10(root, 'data', 'remote', 'add', '--local', 'web', 'https://alice:s3cret@dvc.example.com/store');
  assert.match(await cifar10(root, 'data', 'remote', 'modify', '--local', 'web', 'password', 'hunter2'), /password set in \.dvc\/config\.local$/m);
  const listed = await cifar10(root, 'data', 'remote', 'list');
  for (const text of [added, listed])
    assert.ok(text.includes('dvc.example.com/store') && !text.includes('s3cret'), `credentials of a URL are never printed: ${text}`);
  assert.match(
    await readFile(join(root, 'images.dvc'), 'utf8'),
    /^outs:\n- md5: [0-9a-f]{32}\.dir\n {2}size: \d+\n {2}nfiles: 10\n {2}hash: md5\n {2}path: images\n$/,
  );
  await assert.rejects(cifar10(root, 'data', 'pull', 'nothing-here'), /nothing-here is neither a .dvc file nor a path tracked by one/);
  await assert.rejects(cifar10(root, 'data', 'push', '--jobs', 'zero'), /--jobs: expected a positive integer/);
});

test('the data commands take the stage outputs dvc.lock records, as DVC’s do: push, status, pull of a stage output by name', async (t) => {
  const root = join(await tempDir(t), 'project');
  const pipeline = 'stages:\n  make:\n    cmd: mkdir -p model && cp data/in.txt model/weights.bin\n    deps:\n    - data/in.txt\n    outs:\n    - model\n';
  await writeTree(root, { 'dvc.yaml': pipeline, 'data/in.txt': 'weights\n' });
  await cifar10(root, 'data', 'init');
  await cifar10(root, 'data', 'remote', 'add', '-d', 'storage', '../store');
  await reproduce({ root, stdio: 'ignore' });
  assert.match(await cifar10(root, 'data', 'push', '-q'), /2 object\(s\) pushed, 0 already on the remote/);
  await rm(join(root, 'model'), { recursive: true });
  await rm(join(root, '.dvc', 'cache'), { recursive: true });
  assert.match(await cifar10(root, 'data', 'status'), /^deleted: model$/m);
  assert.match(await cifar10(root, 'data', 'pull', 'model', '-q'), /model: 1 written/);
  assert.equal(await readFile(join(root, 'model', 'weights.bin'), 'utf8'), 'weights\n');
  assert.match(await cifar10(root, 'data', 'status'), /up to date/);
});

test('the cifar10 program exits 1 with the message and no stack: version-data without a remote off a TTY', async (t) => {
  const root = await tempDir(t);
  await assert.rejects(run(process.execPath, [cli, 'version-data'], { cwd: root }), (error: { code: number; stderr: string }) => {
    assert.equal(error.code, 1);
    assert.match(error.stderr, /no DVC remote is configured .*pass --remote/);
    assert.doesNotMatch(error.stderr, /\n\s+at /);
    return true;
  });
});

test('the cifar10 program stops quietly when its reader closes the pipe early (`| head`), with no EPIPE stack', async (t) => {
  const root = join(await tempDir(t), 'project');
  await writeTree(join(root, 'images'), partitionLikeTree(1, 3));
  await cifar10(root, 'data', 'init');
  await cifar10(root, 'data', 'add', 'images', '-q');
  await rm(join(root, 'images'), { recursive: true });
  const child = spawn(process.execPath, [cli, 'data', 'status'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  // Closed before node has even started: every line the child writes meets a closed pipe.
  child.stdout.destroy();
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'close')) as [number | null];
  assert.equal(stderr, '');
  assert.equal(code, 141, 'the status of a process ended by SIGPIPE, as git and cat give under `set -o pipefail`');
});
