import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { acquireCifar } from '../../src/cifar/download.js';
import { UserError } from '../../src/util/errors.js';
import { batchEntries, buildTar, synthTarball } from '../fixtures/synth-tarballs.js';
import { synthesizeBatches } from '../../src/cifar/synth.js';
import { withTempDir } from '../fixtures/synth-workspace.js';

const withTemp = (fn: (dir: string) => Promise<void>) => withTempDir('cifar-tar-', fn);

/** Writes `tarball` to dir/in.tar.gz, expects `acquireCifar` to fail matching `pattern`, and checks that the cache holds nothing. */
async function expectRefused(dir: string, tarball: Buffer, pattern: RegExp): Promise<void> {
  const path = join(dir, 'in.tar.gz');
  await writeFile(path, tarball);
  const cacheDir = join(dir, 'cache');
  await assert.rejects(acquireCifar({ source: path, cacheDir, quiet: true }), (error: unknown) => {
    assert.ok(error instanceof UserError, `expected a UserError, got ${String(error)}`);
    assert.match(error.message, pattern);
    assert.ok(error.message.includes(path), `the message names the tarball: ${error.message}`);
    return true;
  });
  assert.deepEqual(await readdir(cacheDir), [], 'nothing is left in the cache');
}

test('an entry that would escape the target folder is refused and nothing is written outside', () =>
  withTemp(async (dir) => {
    const evil = { header: { name: '../../escaped.txt', size: 4 }, body: Buffer.from('evil') };
    const { tarball } = await synthTarball(6, 1, [evil]);
    await expectRefused(dir, tarball, /escaped\.txt.*outside the target folder/);
    await assert.rejects(stat(join(dir, '..', 'escaped.txt')));
  }));

test('an absolute entry path is refused as traversal too', () =>
  withTemp(async (dir) => {
    const { tarball } = await synthTarball(6, 1, [{ header: { name: '/tmp/abs.txt', size: 1 }, body: Buffer.from('x') }]);
    await expectRefused(dir, tarball, /outside the target folder/);
  }));

test('a batch member that is a symlink instead of a file is refused', () =>
  withTemp(async (dir) => {
    const files = synthesizeBatches({ imagesPerClass: 6, seed: 1 });
    const entries = batchEntries(files).filter((e) => !e.header.name.endsWith('data_batch_2.bin'));
    entries.push({ header: { name: 'cifar-10-batches-bin/data_batch_2.bin', type: 'symlink', linkname: '/etc/passwd' } });
    await expectRefused(dir, await buildTar(entries), /data_batch_2\.bin" is a symlink/);
  }));

test('a truncated tarball is reported as truncated or corrupt', () =>
  withTemp(async (dir) => {
    const { tarball } = await synthTarball(20);
    await expectRefused(dir, tarball.subarray(0, Math.floor(tarball.length * 0.6)), /truncated or corrupt/);
  }));

test('a corrupt gzip stream is reported as truncated or corrupt', () =>
  withTemp(async (dir) => {
    const { tarball } = await synthTarball(20);
    const damaged = Buffer.from(tarball);
    for (let i = 100; i < 140; i++) damaged[i] = 0;
    await expectRefused(dir, damaged, /truncated or corrupt/);
  }));

test('a tarball without all six batches names the missing members', () =>
  withTemp(async (dir) => {
    const files = synthesizeBatches({ imagesPerClass: 6, seed: 1 });
    const tarball = await buildTar(batchEntries(files.filter((f) => f.name !== 'test_batch.bin')));
    await expectRefused(dir, tarball, /lacks cifar-10-batches-bin\/test_batch\.bin/);
  }));

test('a batch whose bytes differ from its manifest is an MD5 mismatch naming the batch', () =>
  withTemp(async (dir) => {
    const files = synthesizeBatches({ imagesPerClass: 6, seed: 1 });
    const bytes = new Uint8Array(files[2]!.bytes);
    bytes[100]! ^= 1;
    files[2] = { name: files[2]!.name, bytes };
    await expectRefused(dir, await buildTar(batchEntries(files)), /data_batch_3\.bin: MD5 [0-9a-f]{32} matches neither the official .* nor .*synthetic\.md5/);
  }));

test('an uncompressed tar is read as well, and a re-run after a failure succeeds cleanly', () =>
  withTemp(async (dir) => {
    const files = synthesizeBatches({ imagesPerClass: 6, seed: 1 });
    const path = join(dir, 'plain.tar');
    await writeFile(path, (await buildTar(batchEntries(files), { gzip: false })).subarray(0, 5000));
    await assert.rejects(acquireCifar({ source: path, cacheDir: join(dir, 'cache'), quiet: true }), UserError);
    await writeFile(path, await buildTar(batchEntries(files), { gzip: false }));
    const { verified } = await acquireCifar({ source: path, cacheDir: join(dir, 'cache'), quiet: true });
    assert.equal(verified.batches.length, 6);
    assert.deepEqual(
      (await readdir(join(dir, 'cache'))).filter((n) => n.startsWith('.staging')),
      [],
    );
  }));
