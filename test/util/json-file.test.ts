import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CLASS_NAMES } from '../../src/cifar/classes.js';
import { writePackedSplit } from '../../src/data/packed.js';
import { readPartitionRecipe } from '../../src/data/recipe.js';
import { readPreparedInfo, writePreparedInfo } from '../../src/data/prepared-info.js';
import { metricsFromConfusion } from '../../src/evaluate/metrics.js';
import { readConfusionJson, readMetricsJson, toMetricsFile, writeConfusionFiles, writeMetricsJson } from '../../src/evaluate/report-files.js';
import { readBundle, writeRunManifest, type RunManifest } from '../../src/experiments/bundle.js';
import { TRAIN_PARAMS } from '../../src/model/params.js';
import { readTrainingRecord, writeTrainingRecord, type TrainingInfo } from '../../src/model/training-record.js';
import { UserError } from '../../src/util/errors.js';
import { readTiming, writeTiming } from '../../src/util/timing.js';
import { withTempDir } from '../fixtures/synth-workspace.js';

/**
 * The project's own JSON files, each read and written through one schema: the writer stamps
 * `format_version: 1`, a file from before the field (none) still reads, a file from a newer
 * version is refused with a message naming the file, and a file that is not what it should be is
 * a UserError naming the field, never a crash later on.
 */

interface Contract {
  name: string;
  file: string;
  /** Writes a valid file into `dir`; returns its path. */
  write: (dir: string) => Promise<string>;
  read: (dir: string) => Promise<unknown>;
  /** A field the schema requires, to break. */
  field: string;
}

const confusion = { classes: [...CLASS_NAMES], matrix: CLASS_NAMES.map((_, t) => CLASS_NAMES.map((_, p) => (t === p ? 2 : 0))) };
const metrics = toMetricsFile(metricsFromConfusion(confusion.matrix, confusion.classes), { backend: 'cpu', data_version: 'v1', seed: 42 });

const training: TrainingInfo = {
  arch: 'fast',
  backend: 'cpu',
  backendDetail: 'test',
  normalisation: { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] },
  epochsRun: 2,
  bestEpoch: 1,
  bestValAcc: 0.5,
  bestValLoss: 1.5,
  stoppedEarly: false,
  outOfTime: false,
  trainImages: 10,
  valImages: 2,
  dataVersions: 'v1',
  params: TRAIN_PARAMS.parse({}),
};

const manifest: RunManifest = {
  run_id: 's42-v1',
  seed: 42,
  versions: 'v1',
  partitions: ['v1'],
  overrides: [],
  git: { commit: null, dirty: null },
  data: { v1: 'abc.dir' },
  backend: 'cpu',
  host: { name: 'h', platform: 'linux', arch: 'x64', cpus: 2, cpu_model: 'x', node: 'v20' },
  durations: { total: 1 },
  started: '2026-01-01T00:00:00.000Z',
  finished: '2026-01-01T00:00:01.000Z',
  test_set: { fingerprint: 'a'.repeat(64), size: 1 },
};

const empty = { ids: [], labels: new Uint8Array(0), pixels: new Uint8Array(0) };

const CONTRACTS: Contract[] = [
  {
    name: 'prepared info.json',
    file: 'info.json',
    write: async (dir) => {
      for (const split of ['train', 'val', 'test'] as const) await writePackedSplit(dir, split, empty);
      const none = { train: 0, val: 0, test: 0 };
      await writePreparedInfo(dir, {
        versions: 'v1',
        partitions: ['v1'],
        seed: 1,
        fractions: none,
        counts: none,
        perClass: { train: [], val: [], test: [] },
        manifests: {},
        test_set: { partitions: ['v1'], fingerprint: 'f'.repeat(64), size: 1 },
      });
      return join(dir, 'info.json');
    },
    read: (dir) => readPreparedInfo(dir),
    field: 'counts',
  },
  {
    name: 'training.json',
    file: 'training.json',
    write: async (dir) => {
      await writeTrainingRecord(dir, training);
      return join(dir, 'training.json');
    },
    read: (dir) => readTrainingRecord(dir),
    field: 'normalisation',
  },
  {
    name: 'metrics.json',
    file: 'metrics.json',
    write: async (dir) => {
      await writeMetricsJson(join(dir, 'metrics.json'), metrics);
      return join(dir, 'metrics.json');
    },
    read: (dir) => readMetricsJson(join(dir, 'metrics.json')),
    field: 'accuracy',
  },
  {
    name: 'confusion.json',
    file: 'confusion.json',
    write: async (dir) => {
      await writeConfusionFiles(dir, confusion);
      return join(dir, 'confusion.json');
    },
    read: (dir) => readConfusionJson(join(dir, 'confusion.json')),
    field: 'matrix',
  },
  {
    name: 'timing.json',
    file: 'timing.json',
    write: async (dir) => {
      await writeTiming(join(dir, 'timing.json'), { evaluate: { backend: 'cpu', seconds: 1, images_per_second: 10 } });
      return join(dir, 'timing.json');
    },
    read: (dir) => readTiming(join(dir, 'timing.json')),
    field: 'evaluate',
  },
  {
    name: "a bundle's manifest.json",
    file: 'manifest.json',
    write: async (dir) => {
      await writeMetricsJson(join(dir, 'metrics.json'), metrics);
      await writeRunManifest(dir, manifest);
      return join(dir, 'manifest.json');
    },
    read: async (dir) => (await readBundle(dir)).manifest,
    field: 'run_id',
  },
];

describe('the JSON files the project reads: one schema each, with a format version', () => {
  for (const contract of CONTRACTS) {
    it(`${contract.name}: written with format_version 1 first, read back as written, and read without the field as version 1`, () =>
      withTempDir('json-file-', async (dir) => {
        const path = await contract.write(dir);
        const text = await readFile(path, 'utf8');
        assert.match(text, /^\{\s*"format_version": ?1,/);
        const read = await contract.read(dir);
        const { format_version: version, ...content } = JSON.parse(text) as Record<string, unknown>;
        assert.equal(version, 1);
        assert.deepEqual(read, content);
        await writeFile(path, JSON.stringify(content));
        assert.deepEqual(await contract.read(dir), read, 'a file from before format_version reads the same');
      }));

    it(`${contract.name}: a newer format version, or a missing field, is a UserError naming the file and the way out`, () =>
      withTempDir('json-file-', async (dir) => {
        const path = await contract.write(dir);
        const doc = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
        await writeFile(path, JSON.stringify({ ...doc, format_version: 2 }));
        await assert.rejects(contract.read(dir), (error: unknown) => {
          assert.ok(error instanceof UserError, String(error));
          assert.ok(error.message.startsWith(`${path} is `), error.message);
          assert.match(error.message, /in format_version 2, newer than the 1 this cifar10-ci reads; update the project \(git pull && npm ci\), or /);
          return true;
        });
        const { [contract.field]: dropped, ...rest } = doc;
        assert.ok(dropped !== undefined);
        await writeFile(path, JSON.stringify(rest));
        // timing.json's sections are all optional: what it lacks, it does not claim.
        if (contract.file === 'timing.json') return;
        await assert.rejects(contract.read(dir), (error: unknown) => {
          assert.ok(error instanceof UserError, String(error));
          assert.ok(error.message.startsWith(`${path} is not `), error.message);
          assert.ok(error.message.includes(`: ${contract.field}: `), error.message);
          return true;
        });
        await writeFile(path, '{"format_version": 1, ');
        await assert.rejects(contract.read(dir), (error: unknown) => error instanceof UserError && error.message.startsWith(`${path} is not valid JSON (`));
      }));
  }

  it('partitions.json: a recipe without format_version reads; a newer one is refused with the git command that restores it', () =>
    withTempDir('json-file-', async (dir) => {
      await mkdir(join(dir, 'data'));
      const path = join(dir, 'data', 'partitions.json');
      const recipe = {
        algorithm: 'per-class-shuffle/v1',
        count: 1,
        size: 10,
        seed: 1,
        balanced: true,
        batches: [{ name: 'test_batch.bin', md5: '0' }],
        encoder: { name: 'fast-png', version: '8', deflate: 'fflate', level: 3 },
        partitions: { v1: { images: 10, manifestMd5: '0' } },
      };
      await writeFile(path, JSON.stringify(recipe));
      assert.deepEqual(await readPartitionRecipe(path), recipe);
      await writeFile(path, JSON.stringify({ format_version: 3, ...recipe }));
      await assert.rejects(
        readPartitionRecipe(path),
        /partitions\.json is a partition recipe in format_version 3, newer than the 1 this cifar10-ci reads; .*restore it from git \(`git checkout -- .*partitions\.json`\)/,
      );
    }));
});
