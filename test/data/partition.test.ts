import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { createPartitions, selectPartitions, type ImageEntry } from '../../src/data/partition.js';
import { readPartitionRecipe } from '../../src/data/recipe.js';
import { CLASS_NAMES } from '../../src/cifar/classes.js';
import { UserError } from '../../src/util/errors.js';
import { exportPngs } from '../../src/cifar/export.js';
import { createSynthWorkspace, type SynthWorkspace } from '../fixtures/synth-workspace.js';

async function withWorkspace(fn: (ws: SynthWorkspace) => Promise<void>, options = { imagesPerClass: 30, partitions: 3, partitionSize: 50, seed: 1 }): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'partition-'));
  try {
    await fn(await createSynthWorkspace(root, options));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

interface Row {
  id: string;
  class: string;
  source: string;
}
const manifest = async (dir: string): Promise<Row[]> => parse(await readFile(join(dir, 'manifest.csv')), { columns: true }) as Row[];

describe('on one synthetic workspace (tests that only read it or write elsewhere)', () => {
  let shared: SynthWorkspace;
  before(async () => {
    shared = await createSynthWorkspace(await mkdtemp(join(tmpdir(), 'partition-shared-')), { imagesPerClass: 30, partitions: 3, partitionSize: 50, seed: 1 });
  });
  after(() => rm(shared.root, { recursive: true, force: true }));
  const withShared = (fn: (ws: SynthWorkspace) => Promise<void>) => () => fn(shared);

  test('partitions are disjoint, of the requested size, balanced, and their folders match their manifests', withShared(async (ws) => {
    const seen = new Set<string>();
    for (const version of ws.versions) {
      const dir = join(ws.partitionsDir, version);
      const rows = await manifest(dir);
      assert.equal(rows.length, 50);
      for (const name of CLASS_NAMES) {
        const files = (await readdir(join(dir, name))).sort();
        assert.equal(files.length, 5, `${version}/${name}`);
        assert.deepEqual(files, rows.filter((r) => r.class === name).map((r) => `${r.id}.png`).sort());
      }
      for (const row of rows) {
        assert.ok(!seen.has(row.id), `${row.id} is in two partitions`);
        seen.add(row.id);
        assert.match(row.source, /^(data_batch_[1-5]|test_batch)\.bin:\d+$/);
      }
    }
  }));

  test('partition images are hard links to the exported images (same inode)', withShared(async (ws) => {
    const [row] = await manifest(join(ws.partitionsDir, 'v2'));
    const linked = await stat(join(ws.partitionsDir, 'v2', row!.class, `${row!.id}.png`));
    const original = await stat(join(ws.imagesDir, row!.class, `${row!.id}.png`));
    assert.equal(linked.ino, original.ino);
  }));

  test('the same seed gives byte-identical manifests, another seed different ones', withShared(async (ws) => {
    const manifests = async (seed: number, name: string) => {
      const out = join(ws.root, name);
      await createPartitions({ imagesDir: ws.imagesDir, outDir: out, count: 3, size: 50, seed, balanced: true, quiet: true });
      return Promise.all(['v1', 'v2', 'v3'].map((v) => readFile(join(out, v, 'manifest.csv'), 'utf8')));
    };
    const a = await manifests(7, 'seed7-a');
    assert.deepEqual(await manifests(7, 'seed7-b'), a);
    assert.notDeepEqual(await manifests(8, 'seed8'), a);
  }));

  test('the recipe records seed, sizes, batch MD5s, encoder and manifest MD5s, and a re-run with it changes nothing', withShared(async (ws) => {
    const recipe = await readPartitionRecipe(join(ws.partitionsDir, 'partitions.json'));
    assert.equal(recipe.seed, 1);
    assert.equal(recipe.count, 3);
    assert.equal(recipe.size, 50);
    assert.equal(recipe.balanced, true);
    assert.deepEqual(recipe.batches.map((b) => b.md5), ws.batches.map((b) => b.md5));
    assert.equal(recipe.encoder.name, 'fast-png');
    assert.deepEqual(Object.keys(recipe.partitions), ['v1', 'v2', 'v3']);
    const again = await createPartitions({ imagesDir: ws.imagesDir, outDir: ws.partitionsDir, count: 3, size: 50, seed: 1, balanced: true, quiet: true });
    assert.equal(again.unchanged, true);
  }));

  test('too few images for the requested partitions is a UserError that says what is needed', withShared(async (ws) => {
    await assert.rejects(
      createPartitions({ imagesDir: ws.imagesDir, outDir: ws.partitionsDir, count: 3, size: 200, seed: 1, balanced: true, quiet: true }),
      (error: unknown) => error instanceof UserError && /has 30 "airplane" images, but 3 balanced partitions of 200 need 60/.test(error.message),
    );
    assert.throws(() => selectPartitions([], { count: 1, size: 15, seed: 1, balanced: true }), /divisible by 10/);
  }));
});

test('a re-run with the same recipe restores an image deleted from a partition', () =>
  withWorkspace(async (ws) => {
    const [row] = await manifest(join(ws.partitionsDir, 'v2'));
    const image = join(ws.partitionsDir, 'v2', row!.class, `${row!.id}.png`);
    await rm(image);
    const again = await createPartitions({ imagesDir: ws.imagesDir, outDir: ws.partitionsDir, count: 3, size: 50, seed: 1, balanced: true, quiet: true });
    assert.equal(again.unchanged, false);
    assert.deepEqual(await readFile(image), await readFile(join(ws.imagesDir, row!.class, `${row!.id}.png`)));
  }));

test('a corrupt partitions.json is reported as corrupt, with the parse error and the way to restore it, never as missing', () =>
  withWorkspace(async (ws) => {
    const path = join(ws.partitionsDir, 'partitions.json');
    await writeFile(path, '{"algorithm": "per-class-shuffle/v1", "seed":');
    const corrupt = (error: unknown) => {
      assert.ok(error instanceof UserError);
      assert.ok(error.message.startsWith(`${path} is not valid JSON (`), error.message);
      assert.match(error.message, /restore it from git/);
      return true;
    };
    await assert.rejects(readPartitionRecipe(path), corrupt);
    await assert.rejects(createPartitions({ imagesDir: ws.imagesDir, outDir: ws.partitionsDir, count: 3, size: 50, seed: 1, balanced: true, quiet: true }), corrupt);
    await rm(path);
    await assert.rejects(readPartitionRecipe(path), /run `cifar10 partition` to create it/);
  }));

test('fewer partitions on a re-run remove the partitions the old recipe made', () =>
  withWorkspace(async (ws) => {
    await createPartitions({ imagesDir: ws.imagesDir, outDir: ws.partitionsDir, count: 2, size: 40, seed: 2, balanced: true, quiet: true });
    assert.deepEqual((await readdir(ws.partitionsDir)).sort(), ['partitions.json', 'v1', 'v2']);
  }));

test('unbalanced partitions take exactly `size` images each, still disjoint', () => {
  const images: ImageEntry[] = Array.from({ length: 100 }, (_, i) => ({ id: `train1-${String(i).padStart(5, '0')}`, class: CLASS_NAMES[i % 7]! }));
  const parts = selectPartitions(images, { count: 3, size: 33, seed: 4, balanced: false });
  assert.deepEqual(parts.map((p) => p.length), [33, 33, 33]);
  assert.equal(new Set(parts.flat().map((e) => e.id)).size, 99);
});

test('a failing write mid-way leaves no recipe and no half-built partition, and a re-run after the fix completes', () =>
  withWorkspace(async (ws) => {
    const out = join(ws.root, 'p2');
    // A folder in place of an image: listed like one, but it can be neither linked nor copied.
    const [victim] = (await readdir(join(ws.imagesDir, 'cat'))).sort();
    const poser = join(ws.imagesDir, 'cat', victim!);
    await rm(poser);
    await mkdir(poser);
    const spec = { imagesDir: ws.imagesDir, outDir: out, count: 3, size: 100, seed: 1, balanced: true, quiet: true };
    await assert.rejects(createPartitions(spec), (error: unknown) => error instanceof UserError && error.message.includes(poser));
    assert.deepEqual((await readdir(out)).filter((n) => !/^v[123]$/.test(n)), [], 'no recipe and no temp folders');
    // The fix a user would apply: remove the intruder and let the export restore the image.
    await rm(poser, { recursive: true });
    await exportPngs({ batchesDir: ws.batchesDir, batches: ws.batches, outDir: ws.imagesDir, workers: 1, quiet: true });
    const result = await createPartitions(spec);
    assert.equal(result.unchanged, false);
    assert.deepEqual((await readdir(out)).sort(), ['partitions.json', 'v1', 'v2', 'v3']);
  }));

test('a file in a class folder that is not a CIFAR-10 image id is named in the error', () =>
  withWorkspace(async (ws) => {
    await writeFile(join(ws.imagesDir, 'cat', 'holiday.png'), 'x');
    await assert.rejects(
      createPartitions({ imagesDir: ws.imagesDir, outDir: ws.partitionsDir, count: 1, size: 10, seed: 1, balanced: true, quiet: true }),
      (error: unknown) => error instanceof UserError && error.message.includes(join(ws.imagesDir, 'cat', 'holiday.png')),
    );
  }));

test('an image folder whose export is incomplete is refused', () =>
  withWorkspace(async (ws) => {
    await rm(join(ws.imagesDir, '.export.json'));
    await assert.rejects(createPartitions({ imagesDir: ws.imagesDir, outDir: ws.partitionsDir, count: 1, size: 10, seed: 1, balanced: true, quiet: true }), /not a complete image export/);
  }));
