/**
 * A small synthetic CIFAR-10 workspace for tests and rehearsals, built through the same code paths as real data.
 *
 *   const ws = await createSynthWorkspace(root, { imagesPerClass: 30, partitions: 3, partitionSize: 50, seed: 1 });
 *   ws.imagesDir      // root/data/cifar10: <class>/<id>.png, 10 × imagesPerClass images
 *   ws.partitionsDir  // root/data/partitions: v1..vN/<class>/<id>.png + vK/manifest.csv, partitions.json
 *   ws.batchesDir     // the verified cifar-10-batches-bin/ (in ws.cacheDir), CIFAR binary records
 *   ws.tarball        // root/synth/cifar-10-synth.tar.gz, the tarball `download` read
 *
 * Steps: `cifar10 synth` (tarball) → `download --source <tarball>` (tar extraction, verification
 * against its synthetic manifest, cache) → PNG export → `partition` (balanced, so partitionSize
 * must divide by 10 and partitions × partitionSize / 10 ≤ imagesPerClass). Defaults: 30 images per
 * class, 3 partitions of 50, seed 1; this size takes about half a second on an idle machine.
 */
import { join } from 'node:path';
import type { VerifiedBatch } from '../cifar/batches.js';
import { acquireCifar } from '../cifar/download.js';
import { exportPngs } from '../cifar/export.js';
import { writeSynthDataset } from '../cifar/synth.js';
import { createPartitions } from './partition.js';
import { PROJECT_PATHS } from '../paths.js';

export interface SynthWorkspaceOptions {
  imagesPerClass?: number;
  partitions?: number;
  partitionSize?: number;
  seed?: number;
}

export interface SynthWorkspace {
  root: string;
  tarball: string;
  cacheDir: string;
  batchesDir: string;
  batches: VerifiedBatch[];
  imagesDir: string;
  partitionsDir: string;
  /** `v1`..`vN`. */
  versions: string[];
  /** Total number of images (10 × imagesPerClass). */
  images: number;
}

export async function createSynthWorkspace(root: string, options: SynthWorkspaceOptions = {}): Promise<SynthWorkspace> {
  const imagesPerClass = options.imagesPerClass ?? 30;
  const partitions = options.partitions ?? 3;
  const partitionSize = options.partitionSize ?? 50;
  const seed = options.seed ?? 1;
  const tarball = join(root, 'synth', 'cifar-10-synth.tar.gz');
  const cacheDir = join(root, '.cache', 'cifar10');
  const imagesDir = join(root, PROJECT_PATHS.images);
  const partitionsDir = join(root, PROJECT_PATHS.partitions);
  await writeSynthDataset(tarball, { imagesPerClass, seed });
  const { verified } = await acquireCifar({ source: tarball, cacheDir, quiet: true });
  await exportPngs({ batchesDir: verified.dir, batches: verified.batches, outDir: imagesDir, workers: 1, quiet: true });
  await createPartitions({ imagesDir, outDir: partitionsDir, count: partitions, size: partitionSize, seed, balanced: true, quiet: true });
  return {
    root,
    tarball,
    cacheDir,
    batchesDir: verified.dir,
    batches: verified.batches,
    imagesDir,
    partitionsDir,
    versions: Array.from({ length: partitions }, (_, k) => `v${k + 1}`),
    images: imagesPerClass * 10,
  };
}
