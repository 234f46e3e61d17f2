import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../util/errors.js';
import { md5File, md5Hex } from '../util/md5.js';
import { CLASS_NAMES } from './classes.js';
import { BATCH_FILES, RECORD_BYTES, recordId, recordOfId, type BatchFile } from './records.js';

/** The folder name the official tarball unpacks to; every source ends up as one of these. */
export const BATCHES_DIR_NAME = 'cifar-10-batches-bin';

/** The label file shipped beside the batches: one class name per line, as in the official tarball. */
export const META_FILE = 'batches.meta.txt';
export const META_TEXT = `${CLASS_NAMES.join('\n')}\n\n`;

/**
 * A checksum list (md5sum format) that only synthetic data carries, inside its
 * `cifar-10-batches-bin/`. A local source whose batches are not the official ones is accepted when
 * they match this list, and the output says loudly that the data is synthetic.
 */
export const SYNTHETIC_MANIFEST = 'synthetic.md5';

/** How a set of batches was verified: against the six official MD5s, or a synthetic manifest. */
export type DatasetKind = 'official' | 'synthetic';

export interface VerifiedBatch {
  name: string;
  idPrefix: string;
  md5: string;
  records: number;
}

export interface VerifiedBatches {
  dir: string;
  kind: DatasetKind;
  batches: VerifiedBatch[];
}

export function formatMd5Manifest(entries: readonly { name: string; md5: string }[]): string {
  return entries.map((e) => `${e.md5}  ${e.name}\n`).join('');
}

/** Parses md5sum output (`<md5>  <name>` per line); `source` names the file in errors. */
export function parseMd5Manifest(text: string, source: string): Map<string, string> {
  const result = new Map<string, string>();
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '') continue;
    const match = /^([0-9a-f]{32}) [ *]?(\S+)$/.exec(line);
    if (!match) throw new UserError(`${source}, line ${index + 1}: expected "<md5>  <file name>", got "${line}"; regenerate it with \`cifar10 synth\``);
    result.set(match[2]!, match[1]!);
  }
  return result;
}

/** A fingerprint of a whole dataset: the MD5 of its batch manifest. Official CIFAR-10 has one fixed value. */
export function datasetFingerprint(batches: readonly { name: string; md5: string }[]): string {
  return md5Hex(Buffer.from(formatMd5Manifest(batches)));
}

/** `batch file:record index` of an image id (`train1-00042` → `data_batch_1.bin:42`), as manifests record it. */
export function sourceOfId(id: string): string {
  const record = recordOfId(id);
  if (!record) throw new Error(`"${id}" is not a CIFAR-10 image id (train1-00042, test-09999, …)`);
  return `${record.batch.name}:${record.index}`;
}

/**
 * Checks the six batch files in `dir` (a `cifar-10-batches-bin/` folder): present, whole records,
 * and each MD5 equal to the official one or, failing that for every file, to the synthetic manifest
 * when `allowSynthetic` (local sources only). Throws a UserError naming the file otherwise.
 */
export async function verifyBatchesDir(dir: string, options: { allowSynthetic: boolean; fix: string }): Promise<VerifiedBatches> {
  const found: VerifiedBatch[] = [];
  for (const batch of BATCH_FILES) {
    const path = join(dir, batch.name);
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch {
      throw new UserError(`${path} is missing; ${options.fix}`);
    }
    if (size === 0 || size % RECORD_BYTES !== 0) {
      throw new UserError(`${path} has ${size} bytes, not a whole number of ${RECORD_BYTES}-byte CIFAR records (truncated?); ${options.fix}`);
    }
    found.push({ name: batch.name, idPrefix: batch.idPrefix, md5: (await md5File(path)).md5, records: size / RECORD_BYTES });
  }
  if (found.every((b, i) => b.md5 === BATCH_FILES[i]!.md5)) return { dir, kind: 'official', batches: found };
  const manifestPath = join(dir, SYNTHETIC_MANIFEST);
  let manifestText: string | undefined;
  if (options.allowSynthetic) manifestText = await readFile(manifestPath, 'utf8').catch(() => undefined);
  if (manifestText === undefined) {
    const bad = found.find((b, i) => b.md5 !== BATCH_FILES[i]!.md5)!;
    const official = BATCH_FILES.find((b) => b.name === bad.name)!;
    throw new UserError(`${join(dir, bad.name)}: MD5 ${bad.md5} differs from the official ${official.md5} (corrupt or not CIFAR-10); ${options.fix}`);
  }
  const manifest = parseMd5Manifest(manifestText, manifestPath);
  for (const b of found) {
    const expected = manifest.get(b.name);
    if (expected !== b.md5) {
      throw new UserError(
        `${join(dir, b.name)}: MD5 ${b.md5} matches neither the official ${BATCH_FILES.find((x) => x.name === b.name)!.md5} nor ${manifestPath} (${expected ?? 'not listed'}); ${options.fix}`,
      );
    }
  }
  return { dir, kind: 'synthetic', batches: found };
}

/** One image of a dataset, as partitions and rebuilds need it. */
export interface ImageRef {
  id: string;
  label: number;
  /** `batch file:record index`. */
  source: string;
}

/** Every image of a verified dataset in batch order, from the label bytes alone. */
export async function listBatchImages(dir: string, batches: readonly BatchFile[] = BATCH_FILES): Promise<ImageRef[]> {
  const images: ImageRef[] = [];
  for (const batch of batches) {
    const bytes = await readFile(join(dir, batch.name));
    for (let i = 0; i * RECORD_BYTES < bytes.length; i++) {
      images.push({ id: recordId(batch.idPrefix, i), label: bytes[i * RECORD_BYTES]!, source: `${batch.name}:${i}` });
    }
  }
  return images;
}
