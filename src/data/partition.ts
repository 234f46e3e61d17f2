import { mkdir, readFile, readdir, rm, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { sourceOfId } from '../cifar/batches.js';
import { CLASS_NAMES, NUM_CLASSES, type ClassName } from '../cifar/classes.js';
import { EXPORT_STATE_FILE, readExportState } from '../cifar/export.js';
import { pngEncoderInfo } from '../cifar/png.js';
import { tempPathFor, writeFileAtomic } from '../util/atomic.js';
import { UserError } from '../util/errors.js';
import { formatJsonFile } from '../util/json-file.js';
import { md5Hex } from '../util/md5.js';
import { startProgress } from '../util/progress.js';
import { Random } from '../util/random.js';
import { linkOrCopy, listImages } from './image-folder.js';
import { PARTITION_ALGORITHM, RECIPE, RECIPE_FILE, readRecipeIfPresent, type PartitionRecipe } from './recipe.js';

export const MANIFEST_FILE = 'manifest.csv';

export interface PartitionSpec {
  count: number;
  /** Images per partition. */
  size: number;
  seed: number;
  /** Same number of images of each class in every partition (size must divide by 10). */
  balanced: boolean;
}

export interface ImageEntry {
  id: string;
  class: ClassName;
}

export interface ManifestRow extends ImageEntry {
  /** `batch file:record index`. */
  source: string;
}

function checkSpec(spec: PartitionSpec): void {
  const positive = (name: string, v: number) => {
    if (!Number.isInteger(v) || v < 1) throw new UserError(`partition: --${name} must be a positive integer, got ${v}`);
  };
  positive('count', spec.count);
  positive('size', spec.size);
  if (!Number.isInteger(spec.seed)) throw new UserError(`partition: --seed must be an integer, got ${spec.seed}`);
  if (spec.balanced && spec.size % NUM_CLASSES !== 0) {
    throw new UserError(`partition: a balanced partition needs a size divisible by ${NUM_CLASSES}, got ${spec.size}; pick another --size or pass --no-balanced`);
  }
}

/**
 * Picks the images of each partition: pure, so a rebuild from the batches reproduces it exactly.
 * Balanced: each class's ids, sorted, are shuffled with one Random(seed) (classes in label order),
 * and partition k takes the k-th run of size/10 of them. Unbalanced: all ids, sorted, shuffled once,
 * partition k takes the k-th run of `size`. Returns sorted ids per partition; too few images is a UserError.
 */
export function selectPartitions(images: readonly ImageEntry[], spec: PartitionSpec, source = 'the image folder'): ImageEntry[][] {
  checkSpec(spec);
  const rng = new Random(spec.seed);
  const byId = (a: ImageEntry, b: ImageEntry) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  const parts: ImageEntry[][] = Array.from({ length: spec.count }, () => []);
  if (spec.balanced) {
    const perClass = spec.size / NUM_CLASSES;
    for (const name of CLASS_NAMES) {
      const pool = images.filter((image) => image.class === name).sort(byId);
      const needed = perClass * spec.count;
      if (pool.length < needed) {
        throw new UserError(
          `${source} has ${pool.length} "${name}" images, but ${spec.count} balanced partitions of ${spec.size} need ${needed}; lower --count or --size, or run \`cifar10 download\` first`,
        );
      }
      rng.shuffle(pool);
      for (let k = 0; k < spec.count; k++) parts[k]!.push(...pool.slice(k * perClass, (k + 1) * perClass));
    }
  } else {
    const pool = [...images].sort(byId);
    const needed = spec.size * spec.count;
    if (pool.length < needed) {
      throw new UserError(`${source} has ${pool.length} images, but ${spec.count} partitions of ${spec.size} need ${needed}; lower --count or --size`);
    }
    rng.shuffle(pool);
    for (let k = 0; k < spec.count; k++) parts[k]!.push(...pool.slice(k * spec.size, (k + 1) * spec.size));
  }
  return parts.map((part) => part.sort(byId));
}

/** The manifest text of one partition, `id,class,source`, rows in id order: byte-identical for the same selection. */
export function formatManifest(entries: readonly ImageEntry[]): string {
  const rows: ManifestRow[] = entries.map((e) => ({ id: e.id, class: e.class, source: sourceOfId(e.id) }));
  return stringify(rows, { header: true, columns: ['id', 'class', 'source'] });
}

export interface CreatePartitionsOptions extends PartitionSpec {
  /** The exported image folder, e.g. `data/cifar10`. */
  imagesDir: string;
  /** e.g. `data/partitions`. */
  outDir: string;
  quiet?: boolean;
}

export interface CreatePartitionsResult {
  recipe: PartitionRecipe;
  recipePath: string;
  /** Partition folders, v1..vN. */
  dirs: string[];
  /** True when an identical recipe and its folders were already in place. */
  unchanged: boolean;
  linked: number;
  copied: number;
}

/** True when `dir` holds the manifest with `md5` and every image it lists: one readdir per class, not a stat per image. */
async function partitionIntact(dir: string, md5: string, images: readonly ImageEntry[]): Promise<boolean> {
  try {
    if (md5Hex(await readFile(join(dir, MANIFEST_FILE))) !== md5) return false;
    const present = await Promise.all(CLASS_NAMES.map(async (name) => new Set(await readdir(join(dir, name)))));
    return images.every((image) => present[CLASS_NAMES.indexOf(image.class)]!.has(`${image.id}.png`));
  } catch {
    return false;
  }
}

/**
 * Writes `outDir/vK/<class>/<id>.png` (hard links into `imagesDir`, else copies) and
 * `outDir/vK/manifest.csv` for K = 1..count, then `outDir/partitions.json`. The recipe file is
 * removed first and written last, so its presence means the folders are complete; each folder is
 * built beside its target and renamed into place, never edited in place (DVC may have linked its
 * files into its cache). A re-run with the same recipe changes nothing only while every manifest
 * and every image it lists are in place; otherwise it rebuilds, which restores deleted images.
 */
export async function createPartitions(options: CreatePartitionsOptions): Promise<CreatePartitionsResult> {
  const { imagesDir, outDir } = options;
  const spec: PartitionSpec = { count: options.count, size: options.size, seed: options.seed, balanced: options.balanced };
  checkSpec(spec);
  const state = await readExportState(imagesDir);
  if (!state?.complete) {
    throw new UserError(`${imagesDir} is not a complete image export (${EXPORT_STATE_FILE} missing or incomplete); run \`cifar10 download\` (it resumes) first`);
  }
  const images = await listImages(imagesDir);
  if (images.length !== state.images) {
    throw new UserError(`${imagesDir} holds ${images.length} images but its export wrote ${state.images}; re-run \`cifar10 download\` to restore them`);
  }
  const parts = selectPartitions(images, spec, imagesDir);
  const manifests = parts.map(formatManifest);
  const names = parts.map((_, k) => `v${k + 1}`);
  const recipe: PartitionRecipe = {
    algorithm: PARTITION_ALGORITHM,
    ...spec,
    batches: state.batches.map((b) => ({ name: b.name, md5: b.md5 })),
    encoder: pngEncoderInfo(),
    partitions: Object.fromEntries(names.map((name, k) => [name, { images: parts[k]!.length, manifestMd5: md5Hex(Buffer.from(manifests[k]!)) }])),
  };
  const recipePath = join(outDir, RECIPE_FILE);
  const dirs = names.map((name) => join(outDir, name));
  const previous = await readRecipeIfPresent(recipePath);
  const recipeText = formatJsonFile(RECIPE(recipePath), recipe);
  // Compared as read, so a recipe written before format_version existed still counts as the same.
  if (previous && formatJsonFile(RECIPE(recipePath), previous) === recipeText) {
    const intact = await Promise.all(dirs.map((dir, k) => partitionIntact(dir, recipe.partitions[names[k]!]!.manifestMd5, parts[k]!)));
    if (intact.every(Boolean)) return { recipe, recipePath, dirs, unchanged: true, linked: 0, copied: 0 };
  }

  await mkdir(outDir, { recursive: true });
  await rm(recipePath, { force: true });
  const total = parts.reduce((sum, p) => sum + p.length, 0);
  const progress = startProgress('partitions', total, { unit: 'images', quiet: options.quiet });
  let linked = 0;
  let copied = 0;
  try {
    for (const [k, part] of parts.entries()) {
      const temp = tempPathFor(dirs[k]!);
      try {
        for (const name of CLASS_NAMES) await mkdir(join(temp, name), { recursive: true });
        for (const image of part) {
          const from = join(imagesDir, image.class, `${image.id}.png`);
          const to = join(temp, image.class, `${image.id}.png`);
          try {
            if ((await linkOrCopy(from, to)) === 'link') linked++;
            else copied++;
          } catch (error) {
            throw new UserError(`cannot place ${from} into ${dirs[k]}: ${(error as Error).message}; fix it (re-run \`cifar10 download\` to restore the images) and re-run \`cifar10 partition\``, {
              cause: error,
            });
          }
          progress.increment();
        }
        await writeFileAtomic(join(temp, MANIFEST_FILE), manifests[k]!);
        await rm(dirs[k]!, { recursive: true, force: true });
        await rename(temp, dirs[k]!);
      } catch (error) {
        await rm(temp, { recursive: true, force: true });
        throw error;
      }
    }
  } finally {
    progress.stop();
  }
  for (const name of Object.keys(previous?.partitions ?? {})) {
    if (!names.includes(name)) await rm(join(outDir, name), { recursive: true, force: true });
  }
  await writeFileAtomic(recipePath, recipeText);
  return { recipe, recipePath, dirs, unchanged: false, linked, copied };
}
