import { rm } from 'node:fs/promises';
import { BATCH_FILES } from '../records.js';
import { BATCHES_DIR_NAME, META_FILE, SYNTHETIC_MANIFEST, datasetFingerprint, verifyBatchesDir, type VerifiedBatches } from '../batches.js';
import { holdsBatches, installDir, officialBatchesDir, syntheticBatchesDir } from '../cache.js';

/** The tar members every source extracts: the six batches, the label names and (synthetic data only) the manifest. */
export const WANTED_MEMBERS = [...BATCH_FILES.map((b) => b.name), META_FILE, SYNTHETIC_MANIFEST].map((name) => `${BATCHES_DIR_NAME}/${name}`);

/**
 * Verifies the batches in `staging` and moves them into their cache entry: the official one, or
 * (local sources only) one per synthetic dataset. On failure the staging folder is removed and
 * the cache left as it was.
 */
export async function verifyAndInstall(staging: string, options: { cacheDir: string; allowSynthetic: boolean; fix: string }): Promise<VerifiedBatches> {
  try {
    const verified = await verifyBatchesDir(staging, options);
    const target =
      verified.kind === 'official' ? officialBatchesDir(options.cacheDir) : syntheticBatchesDir(options.cacheDir, datasetFingerprint(verified.batches));
    await installDir(staging, target, (dir) => holdsBatches(dir, verified));
    return { ...verified, dir: target };
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
}
