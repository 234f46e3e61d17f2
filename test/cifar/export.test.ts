import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exportPngs, readExportState } from '../../src/cifar/export.js';
import { decodeCifarPng } from '../../src/cifar/png.js';
import type { VerifiedBatch } from '../../src/cifar/batches.js';
import { md5Hex } from '../../src/util/md5.js';
import { CLASS_NAMES } from '../../src/cifar/classes.js';
import { BATCH_FILES, IMAGE_BYTES, RECORD_BYTES, planarToInterleaved, recordId } from '../../src/cifar/records.js';
import { synthesizeBatches } from '../../src/cifar/synth.js';
import { UserError } from '../../src/util/errors.js';
import { withTempDir } from '../fixtures/synth-workspace.js';

const withTemp = (fn: (dir: string) => Promise<void>) => withTempDir('cifar-export-', fn);

/** Writes a synthetic batches folder and returns it with its batch list, as `download` would. */
async function batchesIn(dir: string, seed: number, imagesPerClass = 12): Promise<{ batchesDir: string; batches: VerifiedBatch[] }> {
  const batchesDir = join(dir, `batches-${seed}`);
  await mkdir(batchesDir, { recursive: true });
  const files = synthesizeBatches({ imagesPerClass, seed });
  const batches = BATCH_FILES.map((b) => {
    const bytes = files.find((f) => f.name === b.name)!.bytes;
    return { name: b.name, idPrefix: b.idPrefix, md5: md5Hex(bytes), records: bytes.length / RECORD_BYTES };
  });
  for (const f of files) await writeFile(join(batchesDir, f.name), f.bytes);
  return { batchesDir, batches };
}

async function listPngs(outDir: string): Promise<string[]> {
  const all: string[] = [];
  for (const name of CLASS_NAMES) for (const file of await readdir(join(outDir, name))) all.push(`${name}/${file}`);
  return all.sort();
}

test('every record becomes <class>/<id>.png holding exactly its pixels', () =>
  withTemp(async (dir) => {
    const { batchesDir, batches } = await batchesIn(dir, 1);
    const outDir = join(dir, 'images');
    const result = await exportPngs({ batchesDir, batches, outDir, workers: 1, quiet: true });
    assert.equal(result.images, 120);
    assert.equal(result.written, 120);
    assert.equal((await listPngs(outDir)).length, 120);
    const batch = await readFile(join(batchesDir, 'data_batch_2.bin'));
    for (const i of [0, 7, 19]) {
      const record = batch.subarray(i * RECORD_BYTES, (i + 1) * RECORD_BYTES);
      const png = await readFile(join(outDir, CLASS_NAMES[record[0]!]!, `${recordId('train2', i)}.png`));
      assert.deepEqual(decodeCifarPng(png), planarToInterleaved(record.subarray(1, 1 + IMAGE_BYTES)));
    }
    assert.equal((await readExportState(outDir))?.complete, true);
  }));

test('worker threads write the same bytes as the single-threaded path', () =>
  withTemp(async (dir) => {
    const { batchesDir, batches } = await batchesIn(dir, 2, 30);
    const one = join(dir, 'one');
    const two = join(dir, 'two');
    await exportPngs({ batchesDir, batches, outDir: one, workers: 1, quiet: true });
    const threaded = await exportPngs({ batchesDir, batches, outDir: two, workers: 2, quiet: true });
    assert.equal(threaded.workers, 2);
    const files = await listPngs(one);
    assert.deepEqual(await listPngs(two), files);
    for (const file of files.filter((_, i) => i % 37 === 0)) assert.deepEqual(await readFile(join(two, file)), await readFile(join(one, file)), file);
  }));

test('a re-run writes nothing and keeps the files', () =>
  withTemp(async (dir) => {
    const { batchesDir, batches } = await batchesIn(dir, 3);
    const outDir = join(dir, 'images');
    await exportPngs({ batchesDir, batches, outDir, workers: 1, quiet: true });
    const again = await exportPngs({ batchesDir, batches, outDir, workers: 1, quiet: true });
    assert.deepEqual([again.written, again.skipped, again.removed], [0, 120, 0]);
  }));

test('a state file that does not read (damaged, or fields of the wrong type) vouches for nothing: every image is written again', () =>
  withTemp(async (dir) => {
    const { batchesDir, batches } = await batchesIn(dir, 3);
    const outDir = join(dir, 'images');
    await exportPngs({ batchesDir, batches, outDir, workers: 1, quiet: true });
    const state = JSON.parse(await readFile(join(outDir, '.export.json'), 'utf8')) as Record<string, unknown>;
    for (const damaged of ['{"fingerprint":', JSON.stringify({ ...state, images: 'many' }), JSON.stringify({ ...state, encoder: null })]) {
      await writeFile(join(outDir, '.export.json'), damaged);
      assert.equal(await readExportState(outDir), undefined, damaged);
      const again = await exportPngs({ batchesDir, batches, outDir, workers: 1, quiet: true });
      assert.deepEqual([again.written, again.skipped, again.removed], [120, 0, 120]);
      assert.equal((await readExportState(outDir))?.complete, true);
    }
  }));

test('a failing write mid-way is a UserError naming the file, leaves the export marked incomplete, and a re-run resumes', async () => {
  for (const workers of [1, 2]) {
    await withTemp(async (dir) => {
      const { batchesDir, batches } = await batchesIn(dir, 4, 12);
      const outDir = join(dir, 'images');
      await exportPngs({ batchesDir, batches, outDir, workers, quiet: true });
      // Take a few images away, and put a folder where one of them must be written again.
      const files = await listPngs(outDir);
      for (const file of files.slice(0, 30)) await rm(join(outDir, file));
      const blocked = join(outDir, files[20]!);
      await mkdir(join(blocked, 'occupied'), { recursive: true });
      await assert.rejects(exportPngs({ batchesDir, batches, outDir, workers, quiet: true }), (error: unknown) => {
        return error instanceof UserError && error.message.includes(blocked) && /re-run/.test(error.message);
      });
      assert.equal((await readExportState(outDir))?.complete, false);
      assert.ok(!(await listPngs(outDir)).some((f) => f.includes('.tmp-')), 'no temp files are left');
      await rm(blocked, { recursive: true });
      const resumed = await exportPngs({ batchesDir, batches, outDir, workers, quiet: true });
      assert.ok(resumed.skipped >= 90, `workers=${workers}: the images still in place are kept`);
      assert.ok(resumed.written > 0 && resumed.written + resumed.skipped === 120);
      assert.deepEqual(await listPngs(outDir), files);
      assert.equal((await readExportState(outDir))?.complete, true);
    });
  }
});

test('exporting another dataset into the same folder replaces every image of the old one', () =>
  withTemp(async (dir) => {
    const outDir = join(dir, 'images');
    const first = await batchesIn(dir, 5);
    await exportPngs({ ...first, outDir, workers: 1, quiet: true });
    const second = await batchesIn(dir, 6, 6);
    const result = await exportPngs({ ...second, outDir, workers: 1, quiet: true });
    assert.deepEqual([result.written, result.skipped, result.removed], [60, 0, 120]);
    assert.equal((await listPngs(outDir)).length, 60);
  }));

test('a record with a label outside 0–9 is refused naming the batch file and record', () =>
  withTemp(async (dir) => {
    const { batchesDir, batches } = await batchesIn(dir, 7);
    const path = join(batchesDir, 'test_batch.bin');
    const bytes = await readFile(path);
    bytes[3 * RECORD_BYTES] = 12;
    await writeFile(path, bytes);
    await assert.rejects(exportPngs({ batchesDir, batches, outDir: join(dir, 'images'), workers: 1, quiet: true }), /test_batch\.bin: record 3 has label 12/);
  }));
