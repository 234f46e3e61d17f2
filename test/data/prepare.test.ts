import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { decodeCifarPng } from '../../src/cifar/png.js';
import { CLASS_NAMES, classIndex } from '../../src/cifar/classes.js';
import { IMAGE_BYTES } from '../../src/cifar/records.js';
import { readPackedSplit, SPLIT_NAMES } from '../../src/data/packed.js';
import type { PrepareParams } from '../../src/data/params.js';
import { prepareData, stratifiedSplit } from '../../src/data/prepare.js';
import { readPreparedInfo } from '../../src/data/prepared-info.js';
import { testSetOf } from '../../src/data/test-set.js';
import { createSynthWorkspace, type SynthWorkspace } from '../fixtures/synth-workspace.js';
import { UserError } from '../../src/util/errors.js';

const run = promisify(execFile);
const params: PrepareParams = { seed: 7, train: 0.8, val: 0.1, test: 0.1 };

async function manifestIds(ws: SynthWorkspace, version: string): Promise<Map<string, string>> {
  const text = await readFile(join(ws.partitionsDir, version, 'manifest.csv'), 'utf8');
  const rows = text.trim().split('\n').slice(1).map((line) => line.split(','));
  return new Map(rows.map(([id, cls]) => [id!, cls!]));
}

describe('prepare: stratified train/val/test splits of the chosen partitions', () => {
  let root: string;
  let ws: SynthWorkspace;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'prepare-'));
    ws = await createSynthWorkspace(root, { imagesPerClass: 30, partitions: 3, partitionSize: 100, seed: 3 });
  });
  after(() => rm(root, { recursive: true, force: true }));

  test('v1+v2 trains and validates on v1 and v2 only; every version spec is tested on the same held-out union of all partitions\' test splits', async () => {
    const out = join(root, 'prepared-v12');
    const info = await prepareData({ partitionsDir: ws.partitionsDir, outDir: out, data: { versions: 'v1+v2' }, prepare: params, quiet: true });
    const parts = { v1: await manifestIds(ws, 'v1'), v2: await manifestIds(ws, 'v2'), v3: await manifestIds(ws, 'v3') };
    const all = new Map([...parts.v1, ...parts.v2, ...parts.v3]);
    // Each partition's own stratified split: its test split is the same whichever spec asks.
    const heldOut = new Set(
      Object.values(parts).flatMap((ids) => stratifiedSplit([...ids].map(([id, cls]) => ({ id, label: classIndex(cls) })), params).test.map((i) => i.id)),
    );
    assert.equal(heldOut.size, 30);
    const seen = new Set<string>();
    for (const name of SPLIT_NAMES) {
      const split = await readPackedSplit(out, name);
      assert.equal(split.ids.length, info.counts[name]);
      for (const [i, id] of split.ids.entries()) {
        assert.ok(!seen.has(id), `${id} is in two splits`);
        seen.add(id);
        const cls = all.get(id);
        assert.ok(cls, `${id} is in no partition`);
        assert.equal(CLASS_NAMES[split.labels[i]!], cls);
        if (name === 'test') assert.ok(heldOut.has(id), `${id} is not in a partition's test split`);
        else assert.ok((parts.v1.has(id) || parts.v2.has(id)) && !heldOut.has(id), `${id} (${name}) is not a v1/v2 training or validation image`);
      }
      // Spot-check pixels against the PNG on disk.
      const id = split.ids[0]!;
      const version = (['v1', 'v2', 'v3'] as const).find((v) => parts[v].has(id))!;
      const png = decodeCifarPng(await readFile(join(ws.partitionsDir, version, all.get(id)!, `${id}.png`)));
      assert.deepEqual(split.pixels.subarray(0, IMAGE_BYTES), png);
    }
    assert.deepEqual(info.counts, { train: 160, val: 20, test: 30 });
    for (const name of SPLIT_NAMES) assert.deepEqual(info.perClass[name], Array(10).fill(info.counts[name] / 10), `${name} is stratified`);
    assert.deepEqual(await readPreparedInfo(out), info);
    assert.deepEqual(info.partitions, ['v1', 'v2']);
    assert.deepEqual(info.test_set, { partitions: ['v1', 'v2', 'v3'], ...testSetOf(heldOut) });

    const v1 = await prepareData({ partitionsDir: ws.partitionsDir, outDir: join(root, 'prepared-v1'), data: { versions: 'v1' }, prepare: params, quiet: true });
    assert.deepEqual(v1.test_set, info.test_set, 'v1 is scored on the same test set as v1+v2');
    assert.deepEqual(await readFile(join(root, 'prepared-v1', 'test.bin')), await readFile(join(out, 'test.bin')), 'byte for byte');
    assert.equal(v1.counts.train, 80, "v1 trains on v1's training split only");
  });

  test('the same seed gives byte-identical splits; another seed a different split', async () => {
    const a = join(root, 'a');
    const b = join(root, 'b');
    const c = join(root, 'c');
    await prepareData({ partitionsDir: ws.partitionsDir, outDir: a, data: { versions: 'v3' }, prepare: params, quiet: true });
    await prepareData({ partitionsDir: ws.partitionsDir, outDir: b, data: { versions: 'v3' }, prepare: params, quiet: true });
    await prepareData({ partitionsDir: ws.partitionsDir, outDir: c, data: { versions: 'v3' }, prepare: { ...params, seed: 8 }, quiet: true });
    for (const file of ['train.bin', 'train.ids', 'val.ids', 'test.ids', 'info.json']) {
      assert.deepEqual(await readFile(join(a, file)), await readFile(join(b, file)), file);
    }
    assert.notDeepEqual(await readFile(join(a, 'val.ids'), 'utf8'), await readFile(join(c, 'val.ids'), 'utf8'));
  });

  test('a prepare that fails part-way leaves no info.json, so readers refuse its mix of new and old splits', async () => {
    const out = join(root, 'failed');
    await prepareData({ partitionsDir: ws.partitionsDir, outDir: out, data: { versions: 'v1' }, prepare: params, quiet: true });
    const oldTrain = await readFile(join(out, 'train.ids'), 'utf8');
    // A corrupt PNG among v2's val images: the train split is already rewritten when prepare meets it.
    const dir = join(root, 'parts-corrupt');
    await cp(ws.partitionsDir, dir, { recursive: true });
    const v2 = [...(await manifestIds(ws, 'v2'))].map(([id, cls]) => ({ id, cls, label: classIndex(cls) }));
    const victim = stratifiedSplit(v2, params).val[0]!;
    const png = join(dir, 'v2', victim.cls, `${victim.id}.png`);
    await rm(png);
    await writeFile(png, 'not a png');
    await assert.rejects(prepareData({ partitionsDir: dir, outDir: out, data: { versions: 'v2' }, prepare: params, quiet: true }), /not a readable PNG/);
    assert.notEqual(await readFile(join(out, 'train.ids'), 'utf8'), oldTrain, 'the new train split is in place');
    await assert.rejects(readPreparedInfo(out), (error: unknown) => error instanceof UserError && /info\.json .*run `cifar10 prepare` first/.test(error.message));
  });

  test('info.json whose counts disagree with a split beside it is refused, naming the folder', async () => {
    const a = join(root, 'counts-a');
    const b = join(root, 'counts-b');
    await prepareData({ partitionsDir: ws.partitionsDir, outDir: a, data: { versions: 'v1' }, prepare: params, quiet: true });
    await prepareData({ partitionsDir: ws.partitionsDir, outDir: b, data: { versions: 'v1' }, prepare: { ...params, train: 0.6, val: 0.2, test: 0.2 }, quiet: true });
    for (const file of ['train.bin', 'train.ids']) await copyFile(join(b, file), join(a, file));
    await assert.rejects(readPreparedInfo(a), (error: unknown) => {
      assert.ok(error instanceof UserError);
      assert.match(error.message, /counts 80 "train" images but .*train\.bin holds 60 records.*re-run `cifar10 prepare`/);
      assert.ok(error.message.startsWith(`${a}:`), error.message);
      return true;
    });
  });

  const rejects = async (versions: string, prepare: PrepareParams, pattern: RegExp, partitionsDir = ws.partitionsDir) => {
    const out = join(root, `rejected-${Math.random().toString(36).slice(2)}`);
    await assert.rejects(prepareData({ partitionsDir, outDir: out, data: { versions }, prepare, quiet: true }), (error: unknown) => {
      assert.ok(error instanceof UserError, `expected a UserError, got ${String(error)}`);
      assert.match(error.message, pattern);
      return true;
    });
    await assert.rejects(readFile(join(out, 'info.json')), 'nothing is written');
  };

  test('an unknown version is refused, naming the available ones', () => rejects('v1+v9', params, /unknown data version "v9".*available: v1, v2, v3/));
  test('a malformed version spec is refused', () => rejects('v1+', params, /not a partition name/));
  test('fractions that do not sum to 1 are refused', () => rejects('v1', { ...params, test: 0.2 }, /must sum to 1/));

  test('an empty partition is refused, even one the version spec does not name (its test split belongs to every run)', async () => {
    const dir = join(root, 'parts-empty');
    await cp(ws.partitionsDir, dir, { recursive: true });
    await writeFile(join(dir, 'v2', 'manifest.csv'), 'id,class,source\n');
    await rejects('v1', params, /"v2" is empty/, dir);
  });

  test('overlapping partitions are refused, naming an image in both', async () => {
    const dir = join(root, 'parts-overlap');
    await cp(ws.partitionsDir, dir, { recursive: true });
    await cp(join(dir, 'v1', 'manifest.csv'), join(dir, 'v3', 'manifest.csv'));
    await rejects('v1+v2', params, /partitions v1 and v3 overlap: image \S+ is in both/, dir);
  });

  test('a partitions folder without its recipe is refused: the recipe says which partitions make the test set', async () => {
    const dir = join(root, 'parts-no-recipe');
    await cp(ws.partitionsDir, dir, { recursive: true });
    await rm(join(dir, 'partitions.json'));
    await rejects('v1', params, /partitions\.json.*common test set/, dir);
  });

  test('`cifar10 prepare` reads params.yaml and writes data/prepared in the current folder', async () => {
    const cwd = join(root, 'cli');
    await mkdir(cwd);
    await writeFile(join(cwd, 'params.yaml'), 'data:\n  versions: v2\nprepare:\n  seed: 1\n  train: 0.6\n  val: 0.2\n  test: 0.2\n');
    const cli = join(process.cwd(), 'dist', 'src', 'cli.js');
    const { stdout } = await run(process.execPath, [cli, 'prepare', '--partitions', ws.partitionsDir, '--quiet'], { cwd });
    assert.match(stdout, /v2 → train 60, val 20, test 60 images/);
    assert.equal((await readPreparedInfo(join(cwd, 'data', 'prepared'))).counts.val, 20);
    await writeFile(join(cwd, 'params.yaml'), 'prepare:\n  trian: 0.6\n');
    await assert.rejects(run(process.execPath, [cli, 'prepare', '--partitions', ws.partitionsDir], { cwd }), /unknown key "prepare.trian"/);
  });
});
