import { UserError } from '../util/errors.js';

/**
 * Runs `fn` over `items` with at most `limit` calls in flight and returns the results in input
 * order. Written here (a dozen lines) because the only dependency-free need is "bounded
 * Promise.all"; on the first failure no new calls start and the first error is thrown once the
 * calls already running have settled, so no file operation is left running behind the caller.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const index = next++;
      try {
        results[index] = await fn(items[index]!, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker);
  await Promise.all(workers);
  if (failure !== undefined) throw failure.error;
  return results;
}

/** The default number of concurrent file operations: enough to keep the disk and libuv busy. */
export const DEFAULT_JOBS = 16;

/** Parses a `--jobs` value, naming the flag when it is not a positive integer. */
export function parseJobs(value: string | number | undefined, source = '--jobs'): number {
  if (value === undefined) return DEFAULT_JOBS;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UserError(`${source}: expected a positive integer, got ${JSON.stringify(value)}; pass e.g. ${source} 8`);
  return n;
}
