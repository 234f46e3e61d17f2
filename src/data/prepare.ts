import { readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { CLASS_NAMES, NUM_CLASSES, classIndex } from '../cifar/classes.js';
import { IMAGE_BYTES } from '../cifar/records.js';
import { decodeCifarPng } from '../cifar/png.js';
import { UserError } from '../util/errors.js';
import { startProgress } from '../util/progress.js';
import { Random } from '../util/random.js';
import { md5Hex } from '../util/md5.js';
import { SPLIT_NAMES, writePackedSplit, type PackedSplit, type SplitName } from './packed.js';
import type { DataParams, PrepareParams } from './params.js';
import { RECIPE_FILE, testSetPartitions } from './recipe.js';
import { INFO_FILE, writePreparedInfo, type PreparedInfo } from './prepared-info.js';
import { testSetOf } from './test-set.js';
import { formatVersionSpec, parseVersionSpec } from './versions.js';

export interface PrepareOptions {
  partitionsDir: string;
  outDir: string;
  data: DataParams;
  prepare: PrepareParams;
  quiet?: boolean;
}

interface ManifestImage {
  id: string;
  label: number;
  file: string;
}

function checkFractions(params: PrepareParams): void {
  const sum = params.train + params.val + params.test;
  if (Math.abs(sum - 1) > 1e-6) {
    throw new UserError(`params.yaml: prepare.train + prepare.val + prepare.test must sum to 1, got ${params.train} + ${params.val} + ${params.test} = ${Number(sum.toFixed(6))}; adjust the fractions`);
  }
  if (params.train <= 0) throw new UserError('params.yaml: prepare.train must be greater than 0: training needs images');
}

async function readManifest(partitionsDir: string, version: string): Promise<{ images: ManifestImage[]; md5: string }> {
  const dir = join(partitionsDir, version);
  const file = join(dir, 'manifest.csv');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    let known: string[] = [];
    try {
      known = (await readdir(partitionsDir, { withFileTypes: true })).filter((e) => e.isDirectory() && /^v\d+$/.test(e.name)).map((e) => e.name).sort();
    } catch {
      // no partitions folder at all: reported below
    }
    const hint = known.length > 0 ? `available: ${known.join(', ')}` : `no partitions in ${partitionsDir}; run \`cifar10 partition\` (or \`cifar10 data pull\`) first`;
    throw new UserError(`unknown data version "${version}": ${file} does not exist (${hint}); fix data.versions in params.yaml`);
  }
  let rows: { id?: string; class?: string }[];
  try {
    rows = parse(text, { columns: true, skip_empty_lines: true, trim: true }) as { id?: string; class?: string }[];
  } catch (error) {
    throw new UserError(`${file} is not a valid CSV (${(error as Error).message}); rebuild the partition with \`cifar10 partition\``, { cause: error });
  }
  if (rows.length === 0) throw new UserError(`data version "${version}" is empty: ${file} lists no images; rebuild it with \`cifar10 partition\``);
  const images = rows.map((row, i) => {
    if (!row.id || !row.class) throw new UserError(`${file}: row ${i + 2} lacks an id or class; rebuild the partition with \`cifar10 partition\``);
    let label: number;
    try {
      label = classIndex(row.class);
    } catch {
      throw new UserError(`${file}: row ${i + 2} has unknown class "${row.class}"; expected one of ${CLASS_NAMES.join(', ')}`);
    }
    return { id: row.id, label, file: join(dir, row.class, `${row.id}.png`) };
  });
  return { images, md5: md5Hex(text) };
}

/**
 * Splits images into train/val/test per class (stratified): each class's images are sorted by id
 * (so the input order never matters), shuffled with the seed, and cut by the fractions. Pure.
 */
export function stratifiedSplit<T extends { id: string; label: number }>(images: readonly T[], params: PrepareParams): Record<SplitName, T[]> {
  const random = new Random(params.seed);
  const splits: Record<SplitName, T[]> = { train: [], val: [], test: [] };
  for (let label = 0; label < NUM_CLASSES; label++) {
    const ofClass = random.shuffle(images.filter((image) => image.label === label).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)));
    const nVal = Math.round(ofClass.length * params.val);
    const nTest = Math.round(ofClass.length * params.test);
    const nTrain = Math.max(ofClass.length - nVal - nTest, 0);
    splits.train.push(...ofClass.slice(0, nTrain));
    splits.val.push(...ofClass.slice(nTrain, nTrain + nVal));
    splits.test.push(...ofClass.slice(nTrain + nVal));
  }
  // Interleave classes so a split read in order is not sorted by class.
  for (const name of SPLIT_NAMES) random.shuffle(splits[name]);
  return splits;
}

/**
 * The prepare stage. Each partition of the recipe is split on its own (stratified, seeded by
 * prepare.seed), so a partition's test split is the same whichever version spec asks: train and
 * val are the union of the train and val splits of the partitions in `data.versions`, and test is
 * the union of the test splits of every partition, held out from every version spec (the common
 * test set, fingerprinted in info.json). Decodes the PNGs once and writes packed uint8 splits plus
 * info.json. info.json is removed before the first split is replaced and written last, so a failed
 * or interrupted run leaves a folder that readers refuse instead of new splits mixed with old ones
 * under the old info.json.
 */
export async function prepareData(options: PrepareOptions): Promise<PreparedInfo> {
  checkFractions(options.prepare);
  const partitions = parseVersionSpec(options.data.versions, 'params.yaml: data.versions');
  const all = await testSetPartitions(options.partitionsDir);
  for (const version of partitions) {
    if (!all.includes(version)) {
      throw new UserError(
        `unknown data version "${version}": ${join(options.partitionsDir, RECIPE_FILE)} lists no such partition (available: ${all.join(', ')}); fix data.versions in params.yaml`,
      );
    }
  }
  const manifests: Record<string, string> = {};
  const splitOf = new Map<string, Record<SplitName, ManifestImage[]>>();
  const owner = new Map<string, string>();
  for (const version of all) {
    const manifest = await readManifest(options.partitionsDir, version);
    manifests[version] = manifest.md5;
    for (const image of manifest.images) {
      const other = owner.get(image.id);
      if (other !== undefined) {
        throw new UserError(`partitions ${other} and ${version} overlap: image ${image.id} is in both; partitions must be disjoint (rebuild them with \`cifar10 partition\`)`);
      }
      owner.set(image.id, version);
    }
    splitOf.set(version, stratifiedSplit(manifest.images, options.prepare));
  }
  const random = new Random(options.prepare.seed);
  const splits: Record<SplitName, ManifestImage[]> = {
    // Mixed, so a split read in order is not sorted by partition either.
    train: random.shuffle(partitions.flatMap((p) => splitOf.get(p)!.train)),
    val: random.shuffle(partitions.flatMap((p) => splitOf.get(p)!.val)),
    // In id order: the same bytes for every version spec.
    test: all.flatMap((p) => splitOf.get(p)!.test).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
  };
  const images = SPLIT_NAMES.flatMap((name) => splits[name]);
  const progress = startProgress('prepare', images.length, { unit: 'images', quiet: options.quiet });
  const counts = {} as Record<SplitName, number>;
  const perClass = {} as Record<SplitName, number[]>;
  await rm(join(options.outDir, INFO_FILE), { force: true });
  try {
    for (const name of SPLIT_NAMES) {
      const members = splits[name];
      const packed: PackedSplit = { ids: members.map((m) => m.id), labels: Uint8Array.from(members, (m) => m.label), pixels: new Uint8Array(members.length * IMAGE_BYTES) };
      for (let start = 0; start < members.length; start += 256) {
        const chunk = members.slice(start, start + 256);
        const files = await Promise.all(chunk.map((m) => readImage(m.file)));
        files.forEach((bytes, j) => packed.pixels.set(decodeCifarPng(bytes, chunk[j]!.file), (start + j) * IMAGE_BYTES));
        progress.increment(chunk.length);
      }
      await writePackedSplit(options.outDir, name, packed);
      counts[name] = members.length;
      perClass[name] = Array.from({ length: NUM_CLASSES }, (_, label) => members.filter((m) => m.label === label).length);
    }
  } finally {
    progress.stop();
  }
  const info: PreparedInfo = {
    versions: formatVersionSpec(partitions),
    partitions,
    seed: options.prepare.seed,
    fractions: { train: options.prepare.train, val: options.prepare.val, test: options.prepare.test },
    counts,
    perClass,
    manifests,
    test_set: { partitions: all, ...testSetOf(splits.test.map((image) => image.id)) },
  };
  await writePreparedInfo(options.outDir, info);
  return info;
}

async function readImage(file: string): Promise<Uint8Array> {
  try {
    return await readFile(file);
  } catch (error) {
    throw new UserError(`cannot read ${file} listed in its partition's manifest.csv (${(error as Error).message}); restore the partition with \`cifar10 data pull\` or \`cifar10 partition\``, { cause: error });
  }
}
