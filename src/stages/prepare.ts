import { z } from 'zod';
import { prepareParamsFrom } from '../data/params.js';
import { prepareData } from '../data/prepare.js';
import type { PreparedInfo } from '../data/prepared-info.js';
import { readParamsFile } from '../params.js';
import { silent, type StageOutput } from './output.js';

/** What the prepare stage reads and writes; paths relative to the current folder. */
export const PrepareInput = z.strictObject({
  /** Parameters: groups data: and prepare:. */
  params: z.string(),
  /** Partitions folder (vK/manifest.csv + PNGs). */
  partitions: z.string(),
  /** Output folder for {train,val,test}.{bin,ids} and info.json. */
  out: z.string(),
  quiet: z.boolean().optional(),
});
export type PrepareInput = z.infer<typeof PrepareInput>;

/** The prepare stage: the partitions of data.versions, split and packed as the prepare: params say. */
export async function prepareStage(input: PrepareInput, out: StageOutput = {}): Promise<PreparedInfo> {
  const params = prepareParamsFrom(await readParamsFile(input.params), input.params);
  const info = await prepareData({ partitionsDir: input.partitions, outDir: input.out, ...params, quiet: input.quiet });
  (out.say ?? silent)(
    `${input.out}: ${info.versions} → train ${info.counts.train}, val ${info.counts.val}, test ${info.counts.test} images (seed ${info.seed})`,
  );
  return info;
}
