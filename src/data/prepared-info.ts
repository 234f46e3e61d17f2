import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { RECORD_BYTES } from '../cifar/records.js';
import { UserError } from '../util/errors.js';
import { readJsonFile, writeJsonFile, type JsonFileFormat } from '../util/json-file.js';
import { SPLIT_NAMES, splitPaths } from './packed.js';
import { TestSetSchema } from './test-set.js';

export const INFO_FILE = 'info.json';

const perSplit = <T extends z.ZodType>(value: T) => z.object({ train: value, val: value, test: value });
const count = z.number().int().nonnegative();

/** `data/prepared/info.json`: what the splits were made from, so a reader can check provenance. */
const PreparedInfoSchema = z.object({
  versions: z.string(),
  partitions: z.array(z.string()),
  seed: z.number().int(),
  fractions: perSplit(z.number()),
  counts: perSplit(count),
  /** Per split, images per class in label order. */
  perClass: perSplit(z.array(count)),
  /** MD5 of each partition's manifest.csv (of every partition: the test split draws on all). */
  manifests: z.record(z.string(), z.string()),
  /** The common held-out test set: the test splits of these partitions (all of the recipe's). */
  test_set: TestSetSchema.extend({ partitions: z.array(z.string()) }),
});

export type PreparedInfo = z.output<typeof PreparedInfoSchema>;

const PREPARED_INFO: JsonFileFormat<typeof PreparedInfoSchema> = {
  what: 'the record of prepared splits',
  version: 1,
  schema: PreparedInfoSchema,
  create: 'run `cifar10 prepare` first',
  repair: 're-run `cifar10 prepare`',
};

export async function writePreparedInfo(dir: string, info: PreparedInfo): Promise<void> {
  await writeJsonFile(join(dir, INFO_FILE), PREPARED_INFO, info);
}

/**
 * Reads info.json and checks it against the splits beside it: every split it counts must hold that
 * many records, so splits from different prepare runs (e.g. a copied or half-restored folder) never
 * pass as one set, which would leak training images into val or test.
 */
export async function readPreparedInfo(dir: string): Promise<PreparedInfo> {
  const info = await readJsonFile(join(dir, INFO_FILE), PREPARED_INFO);
  for (const name of SPLIT_NAMES) {
    const expected = info.counts[name];
    const bin = splitPaths(dir, name).bin;
    let records: number;
    try {
      records = (await stat(bin)).size / RECORD_BYTES;
    } catch (error) {
      throw new UserError(`${dir}: ${INFO_FILE} counts ${expected} "${name}" images but ${bin} is unreadable (${(error as Error).message}); re-run \`cifar10 prepare\``, { cause: error });
    }
    if (records !== expected) {
      throw new UserError(`${dir}: ${INFO_FILE} counts ${expected} "${name}" images but ${bin} holds ${records} records, so the splits come from different prepare runs; re-run \`cifar10 prepare\``);
    }
  }
  return info;
}
