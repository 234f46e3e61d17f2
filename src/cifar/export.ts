import { availableParallelism } from 'node:os';
import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../util/atomic.js';
import { UserError } from '../util/errors.js';
import { startProgress } from '../util/progress.js';
import { runOnThreads } from '../util/worker-pool.js';
import { datasetFingerprint, type VerifiedBatch } from './batches.js';
import { CLASS_NAMES, NUM_CLASSES } from './classes.js';
import { pngEncoderInfo } from './png.js';
import { CHUNK_RECORDS, writePngChunk, type PngChunk } from './png-writer.js';
import { RECORD_BYTES, recordId } from './records.js';

/** Written into the image folder: which dataset and encoder its PNGs come from, and whether all are there. */
export const EXPORT_STATE_FILE = '.export.json';

/** The content of `.export.json`. */
const EXPORT_STATE = z.object({
  fingerprint: z.string(),
  batches: z.array(z.object({ name: z.string(), idPrefix: z.string(), md5: z.string(), records: z.number().int().nonnegative() })),
  encoder: z.object({ name: z.string(), version: z.string(), deflate: z.string(), level: z.number() }),
  images: z.number().int().nonnegative(),
  complete: z.boolean(),
});
export type ExportState = z.infer<typeof EXPORT_STATE>;

export interface ExportOptions {
  /** A verified `cifar-10-batches-bin/` folder. */
  batchesDir: string;
  /** Its batches as verified (names, MD5s): they identify the dataset the folder holds. */
  batches: readonly VerifiedBatch[];
  /** The image folder, e.g. `data/cifar10`. */
  outDir: string;
  /** Encoding threads; 1 encodes on the calling thread. Default: one per core. */
  workers?: number;
  quiet?: boolean;
}

export interface ExportResult {
  images: number;
  written: number;
  /** Already present from an earlier run of the same dataset and encoder. */
  skipped: number;
  /** Stale images (from another dataset) and temp files removed. */
  removed: number;
  workers: number;
  seconds: number;
}

/**
 * The export state of an image folder, or undefined when there is none or it does not read: the
 * folder is then exported again from the verified batches, so a damaged state costs time, never
 * trust in images it cannot vouch for.
 */
export async function readExportState(imagesDir: string): Promise<ExportState | undefined> {
  try {
    const parsed = EXPORT_STATE.safeParse(JSON.parse(await readFile(join(imagesDir, EXPORT_STATE_FILE), 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Writes every image of the verified batches as `outDir/<class>/<id>.png`. Idempotent and
 * resumable: images already written for the same dataset and encoder are kept, images of another
 * dataset are replaced or removed, and `.export.json` says `complete` only after the last one.
 */
export async function exportPngs(options: ExportOptions): Promise<ExportResult> {
  const started = performance.now();
  const { outDir, batchesDir } = options;
  const workerCount = Math.max(1, options.workers ?? availableParallelism());
  const fingerprint = datasetFingerprint(options.batches);
  const encoder = pngEncoderInfo();
  const statePath = join(outDir, EXPORT_STATE_FILE);
  const previous = await readExportState(outDir);
  const resumable = previous !== undefined && previous.fingerprint === fingerprint && JSON.stringify(previous.encoder) === JSON.stringify(encoder);

  let removed = 0;
  const present = new Set<string>();
  for (const name of CLASS_NAMES) {
    const dir = join(outDir, name);
    await mkdir(dir, { recursive: true });
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      // Images of another dataset or encoder go first: after a crash the state file would otherwise
      // vouch for them. Partitions hold hard links, so their copies survive this.
      if (!resumable || entry.name.includes('.tmp-')) {
        await rm(join(dir, entry.name), { recursive: true, force: true });
        removed++;
      } else if (entry.isFile()) {
        present.add(`${name}/${entry.name}`);
      }
    }
  }
  const images = options.batches.reduce((sum, b) => sum + b.records, 0);
  await writeFileAtomic(
    statePath,
    `${JSON.stringify({ fingerprint, batches: [...options.batches], encoder, images, complete: false } satisfies ExportState, null, 2)}\n`,
  );

  const expected = new Set<string>();
  const chunks: PngChunk[] = [];
  let skipped = 0;
  for (const batch of options.batches) {
    const path = join(batchesDir, batch.name);
    const bytes = await readFile(path);
    if (bytes.length !== batch.records * RECORD_BYTES) {
      throw new UserError(`${path} changed since it was verified (${bytes.length} bytes); re-run \`cifar10 download\``);
    }
    let pending: { start: number; paths: string[] } | undefined;
    const flush = () => {
      if (!pending) return;
      const end = pending.start + pending.paths.length;
      // A copy, not a view: each chunk's buffer is transferred to a worker on its own.
      chunks.push({ records: new Uint8Array(bytes.subarray(pending.start * RECORD_BYTES, end * RECORD_BYTES)), paths: pending.paths });
      pending = undefined;
    };
    for (let i = 0; i < batch.records; i++) {
      const label = bytes[i * RECORD_BYTES]!;
      if (label >= NUM_CLASSES) {
        throw new UserError(`${path}: record ${i} has label ${label}, but CIFAR-10 labels are 0–9; the file is not CIFAR-10 data`);
      }
      const relative = `${CLASS_NAMES[label]}/${recordId(batch.idPrefix, i)}.png`;
      expected.add(relative);
      if (resumable && present.has(relative)) {
        skipped++;
        flush();
        continue;
      }
      if (pending && pending.paths.length >= CHUNK_RECORDS) flush();
      pending ??= { start: i, paths: [] };
      pending.paths.push(join(outDir, relative));
    }
    flush();
  }

  const toWrite = images - skipped;
  const progress = startProgress('PNG export', toWrite, { unit: 'images', quiet: options.quiet || toWrite === 0 });
  let written = 0;
  const onDone = (count: number) => {
    written += count;
    progress.increment(count);
  };
  const threads = Math.min(workerCount, chunks.length);
  try {
    if (threads <= 1) for (const chunk of chunks) onDone(writePngChunk(chunk));
    else {
      await runOnThreads<PngChunk, number>(new URL('./export-worker.js', import.meta.url), chunks, threads, {
        transfer: (chunk) => [chunk.records.buffer as ArrayBuffer],
        onResult: onDone,
      });
    }
  } catch (error) {
    throw new UserError(`PNG export into ${outDir} stopped: ${(error as Error).message}. Fix the cause and re-run; the images already written are kept`, {
      cause: error,
    });
  } finally {
    progress.stop();
  }

  for (const relative of present) {
    if (!expected.has(relative)) {
      await rm(join(outDir, relative), { recursive: true, force: true });
      removed++;
    }
  }
  await writeFileAtomic(
    statePath,
    `${JSON.stringify({ fingerprint, batches: [...options.batches], encoder, images, complete: true } satisfies ExportState, null, 2)}\n`,
  );
  return { images, written, skipped, removed, workers: Math.max(threads, 1), seconds: (performance.now() - started) / 1000 };
}
