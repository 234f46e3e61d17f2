import { createHash } from 'node:crypto';
import { z } from 'zod';

/**
 * The common held-out test set (docs/experiments.md, "One test set"): every run, whatever its
 * version spec, is scored on the union of all partitions' test splits, and records which set that
 * was by a fingerprint, the SHA-256 of its ids sorted and joined by newlines. Two runs are
 * comparable only when their fingerprints are equal.
 */

export const TestSetSchema = z.object({
  /** SHA-256 (hex) of the sorted image ids, one per line. */
  fingerprint: z.string().regex(/^[0-9a-f]{64}$/, { error: 'expected 64 lowercase hex digits (a SHA-256)' }),
  size: z.number().int().nonnegative().max(1_000_000),
});

export type TestSet = z.output<typeof TestSetSchema>;

export function testSetOf(ids: Iterable<string>): TestSet {
  const sorted = [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return { fingerprint: createHash('sha256').update(sorted.join('\n')).digest('hex'), size: sorted.length };
}

/** The first 12 hex digits: enough to tell test sets apart in a table caption. */
export function shortFingerprint(fingerprint: string): string {
  return fingerprint.slice(0, 12);
}
