import { z } from 'zod';
import { UserError } from './errors.js';
import { readJsonFileIfPresent, writeJsonFile, type JsonFileFormat } from './json-file.js';

/**
 * `reports/timing.json`: the wall-clock facts of the last run (seconds, images/s), one section per
 * stage. They differ on every run, so they are kept out of every file DVC hashes into dvc.lock
 * (metrics.json, train_log.tsv, tuning.csv, training.json, report.md), which stay byte-reproducible
 * from the same code, data and params; git ignores this file. Reports, bundles and job summaries
 * read the timings from here.
 */

export const TIMING_FILE = 'timing.json';

const rate = z.number().nonnegative();
const seconds = z.number().nonnegative();

const EpochTiming = z.object({ epoch: z.number().int(), seconds, images_per_second: rate });
const TrainTiming = z.object({
  backend: z.string(),
  seconds,
  /** Training images per second over the epochs, validation excluded. */
  images_per_second: rate,
  epochs: z.array(EpochTiming),
});
const TuneTiming = z.object({ seconds, trials: z.array(z.object({ trial: z.number().int(), seconds })) });
const EvaluateTiming = z.object({ backend: z.string(), seconds, images_per_second: rate });

const TimingSchema = z.object({ train: TrainTiming.optional(), tune: TuneTiming.optional(), evaluate: EvaluateTiming.optional() });

export type Timing = z.infer<typeof TimingSchema>;
export type TrainTiming = z.infer<typeof TrainTiming>;
export type TuneTiming = z.infer<typeof TuneTiming>;
export type EvaluateTiming = z.infer<typeof EvaluateTiming>;

const TIMING: JsonFileFormat<typeof TimingSchema> = {
  what: 'a timing file',
  version: 1,
  schema: TimingSchema,
  create: 'run `cifar10 train` and `evaluate` to write it',
  repair: 'delete it: it only holds timings, which the next `cifar10 train` and `evaluate` write again',
};

/** Reads a timing file; undefined when there is none (a run made elsewhere, or before timings were kept). */
export async function readTiming(path: string): Promise<Timing | undefined> {
  return readJsonFileIfPresent(path, TIMING);
}

/**
 * Records one stage's timings in the file, keeping the other stages' sections. A file that does
 * not read back is replaced: it only held timings of earlier stages, which their next run rewrites.
 */
export async function writeTiming(path: string, sections: Timing): Promise<void> {
  const before = await readTiming(path).catch((error: unknown) => (error instanceof UserError ? undefined : Promise.reject(error)));
  await writeJsonFile(path, TIMING, TimingSchema.parse({ ...before, ...sections }));
}
