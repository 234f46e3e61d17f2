import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { synthesizeBatches, writeSynthDataset } from '../../src/cifar/synth.js';
import { SYNTHETIC_MANIFEST, META_FILE, parseMd5Manifest } from '../../src/cifar/batches.js';
import { md5Hex } from '../../src/util/md5.js';
import { BATCH_FILES, IMAGE_BYTES, RECORD_BYTES, interleavedToPlanar, planarToInterleaved } from '../../src/cifar/records.js';
import { NUM_CLASSES } from '../../src/cifar/classes.js';

test('the same seed gives byte-identical batches, another seed different ones', () => {
  const a = synthesizeBatches({ imagesPerClass: 12, seed: 5 });
  const b = synthesizeBatches({ imagesPerClass: 12, seed: 5 });
  const c = synthesizeBatches({ imagesPerClass: 12, seed: 6 });
  assert.deepEqual(
    a.map((f) => md5Hex(f.bytes)),
    b.map((f) => md5Hex(f.bytes)),
  );
  assert.notEqual(md5Hex(a[0]!.bytes), md5Hex(c[0]!.bytes));
});

test('the six official batch names hold whole records with every class equally often, plus meta and manifest', () => {
  const files = synthesizeBatches({ imagesPerClass: 14, seed: 1 });
  assert.deepEqual(
    files.map((f) => f.name),
    [...BATCH_FILES.map((b) => b.name), META_FILE, SYNTHETIC_MANIFEST],
  );
  const counts = new Array<number>(NUM_CLASSES).fill(0);
  for (const file of files.slice(0, 6)) {
    assert.equal(file.bytes.length % RECORD_BYTES, 0);
    for (let i = 0; i < file.bytes.length; i += RECORD_BYTES) counts[file.bytes[i]!]!++;
  }
  assert.deepEqual(counts, new Array(NUM_CLASSES).fill(14));
  const manifest = parseMd5Manifest(Buffer.from(files.at(-1)!.bytes).toString(), SYNTHETIC_MANIFEST);
  for (const file of files.slice(0, 6)) assert.equal(manifest.get(file.name), md5Hex(file.bytes));
});

test('classes are learnable: even a nearest-class-mean classifier on block colours beats chance (0.1) by 2.5×', () => {
  // Colour is only a partial cue by design (shapes carry the rest); a small CNN reaches ~70% after
  // three epochs on 2,400 images (docs/bench/cifar.md), this linear check guards the colour part.
  const train = synthesizeBatches({ imagesPerClass: 60, seed: 11 }).slice(0, 6);
  const heldOut = synthesizeBatches({ imagesPerClass: 20, seed: 12 }).slice(0, 6);
  // Features: mean colour of the 8×8 blocks of the image (16 blocks × 3 channels).
  const features = (record: Uint8Array) => {
    const rgb = planarToInterleaved(record.subarray(1, 1 + IMAGE_BYTES));
    const f = new Float64Array(48);
    for (let p = 0; p < 1024; p++) {
      const block = (Math.floor(p / 32 / 8) * 4 + Math.floor((p % 32) / 8)) * 3;
      for (let c = 0; c < 3; c++) f[block + c]! += rgb[3 * p + c]! / 64;
    }
    return f;
  };
  const records = (files: typeof train) =>
    files.flatMap((f) => Array.from({ length: f.bytes.length / RECORD_BYTES }, (_, i) => f.bytes.subarray(i * RECORD_BYTES, (i + 1) * RECORD_BYTES)));
  const means = Array.from({ length: NUM_CLASSES }, () => new Float64Array(48));
  for (const r of records(train)) features(r).forEach((v, k) => (means[r[0]!]![k]! += v / 60));
  let right = 0;
  const test = records(heldOut);
  for (const r of test) {
    const f = features(r);
    const distances = means.map((m) => m.reduce((sum, v, k) => sum + (v - f[k]!) ** 2, 0));
    if (distances.indexOf(Math.min(...distances)) === r[0]) right++;
  }
  assert.ok(right / test.length > 0.25, `accuracy ${right / test.length} should be at least 2.5× chance (0.1)`);
});

test('planar and interleaved layouts convert both ways without loss', () => {
  const record = synthesizeBatches({ imagesPerClass: 6, seed: 2 })[0]!.bytes.subarray(1, 1 + IMAGE_BYTES);
  assert.deepEqual(interleavedToPlanar(planarToInterleaved(record)), new Uint8Array(record));
});

test('writes a folder holding cifar-10-batches-bin/ when the output is not a tarball name', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'synth-'));
  try {
    const result = await writeSynthDataset(join(dir, 'out'), { imagesPerClass: 6, seed: 1 });
    assert.equal(result.path, join(dir, 'out', 'cifar-10-batches-bin'));
    assert.deepEqual((await readdir(result.path)).sort(), [...BATCH_FILES.map((b) => b.name), META_FILE, SYNTHETIC_MANIFEST].sort());
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
