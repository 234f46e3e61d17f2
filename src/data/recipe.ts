import { join } from 'node:path';
import { z } from 'zod';
import { UserError } from '../util/errors.js';
import { readJsonFileIfPresent, type JsonFileFormat } from '../util/json-file.js';
import { VERSION_PATTERN } from './versions.js';

/**
 * The partition recipe, `partitions.json`: kept apart from the partitioning code because every
 * stage that needs to know which partitions exist (prepare, for the common test set) reads it, and
 * should not depend on how partitions are made.
 */

/** Names the selection algorithm, so a rebuild can refuse a recipe made by a different one. */
export const PARTITION_ALGORITHM = 'per-class-shuffle/v1';
export const RECIPE_FILE = 'partitions.json';

/** Everything an exact rebuild of the partitions needs; written to `partitions.json`. */
const RecipeSchema = z.object({
  algorithm: z.string(),
  count: z.number().int(),
  size: z.number().int(),
  seed: z.number().int(),
  balanced: z.boolean(),
  /** MD5 of each source batch file the images came from. */
  batches: z.array(z.object({ name: z.string(), md5: z.string() })),
  /** The PNG encoder: it fixes the bytes of every image, so a rebuild must use the same. */
  encoder: z.object({ name: z.string(), version: z.string(), deflate: z.string(), level: z.number() }),
  /**
   * Per partition: image count and the MD5 of its manifest.csv, to check a rebuild against. The
   * names become folder names, so only partition names (`v1`, `v2`, …) are accepted.
   */
  partitions: z.record(z.string().regex(VERSION_PATTERN, { error: 'a partition name is v1, v2, …' }), z.object({ images: z.number().int(), manifestMd5: z.string() })),
});

export type PartitionRecipe = z.output<typeof RecipeSchema>;

/** Recipes are committed with the partitions' `.dvc` files: a broken one is restored from git, never remade. */
export const RECIPE = (path: string): JsonFileFormat<typeof RecipeSchema> => ({
  what: 'a partition recipe',
  version: 1,
  schema: RecipeSchema,
  create: 'run `cifar10 partition` to create it',
  repair: `restore it from git (\`git checkout -- ${path}\`)`,
});

/**
 * The recipe, or undefined when there is none. An unreadable or corrupt one is a UserError: taking
 * it for missing would send the user to `cifar10 partition`, which makes different partitions than
 * the ones the repository's hashes record.
 */
export async function readRecipeIfPresent(path: string): Promise<PartitionRecipe | undefined> {
  return readJsonFileIfPresent(path, RECIPE(path));
}

/** Reads `partitions.json`, for rebuilds and checks. */
export async function readPartitionRecipe(path: string): Promise<PartitionRecipe> {
  const recipe = await readRecipeIfPresent(path);
  if (!recipe) throw new UserError(`cannot read ${path}; run \`cifar10 partition\` to create it`);
  if (recipe.algorithm !== PARTITION_ALGORITHM) {
    throw new UserError(`${path} was made by partition algorithm "${recipe.algorithm}", this version implements "${PARTITION_ALGORITHM}"; re-run \`cifar10 partition\``);
  }
  return recipe;
}

/**
 * The partitions the recipe in `partitionsDir` lists, in number order (v2 before v10): the common
 * test set is made of all of their test splits, so every run needs every one of them.
 */
export async function testSetPartitions(partitionsDir: string): Promise<string[]> {
  const path = join(partitionsDir, RECIPE_FILE);
  const recipe = await readPartitionRecipe(path).catch((error: unknown) => {
    if (error instanceof UserError) throw new UserError(`${error.message} (every run is scored on the test splits of all the partitions it lists, the common test set)`, { cause: error });
    throw error;
  });
  return Object.keys(recipe.partitions).sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
}
