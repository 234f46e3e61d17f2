import { UserError } from '../util/errors.js';

/** The default number of concurrent file operations: enough to keep the disk and libuv busy. */
export const DEFAULT_JOBS = 16;

/** Parses a `--jobs` value, naming the flag when it is not a positive integer. */
export function parseJobs(value: string | number | undefined, source = '--jobs'): number {
  if (value === undefined) return DEFAULT_JOBS;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UserError(`${source}: expected a positive integer, got ${JSON.stringify(value)}; pass e.g. ${source} 8`);
  return n;
}
