import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { pack as tarPack } from 'tar-stream';
import { tempPathFor, writeFileAtomic } from '../util/atomic.js';
import { UserError } from '../util/errors.js';
import { md5Hex } from '../util/md5.js';
import { Random } from '../util/random.js';
import { BATCHES_DIR_NAME, META_FILE, META_TEXT, SYNTHETIC_MANIFEST, formatMd5Manifest } from './batches.js';
import { NUM_CLASSES } from './classes.js';
import { BATCH_FILES, IMAGE_SIZE, PIXELS_PER_IMAGE, RECORD_BYTES } from './records.js';

export interface SynthOptions {
  /** Images of each class in the whole dataset, dealt round-robin over the six batch files. */
  imagesPerClass: number;
  seed: number;
}

export interface SynthFile {
  name: string;
  bytes: Uint8Array;
}

/**
 * Per class: a hue (degrees) and a shape. The shape is the reliable cue; the hue helps most of the
 * time (see OFF_HUE_SHARE), so a small CNN learns the classes well but not trivially.
 */
const CLASS_HUES = [0, 36, 72, 108, 144, 180, 216, 252, 288, 324];

type Shape = (dx: number, dy: number, r: number) => boolean;
const CLASS_SHAPES: readonly Shape[] = [
  (dx, dy, r) => dx * dx + dy * dy <= r * r, // disc
  (dx, dy, r) => Math.abs(dx) <= r * 0.8 && Math.abs(dy) <= r * 0.8, // square
  (dx, dy, r) => Math.abs(Math.hypot(dx, dy) - r * 0.75) <= 1.6, // ring
  (dx, dy, r) => Math.abs(dx) <= r && Math.abs(dy) <= r && Math.floor((dy + 32) / 3) % 2 === 0, // horizontal stripes
  (dx, dy, r) => Math.abs(dx) <= r && Math.abs(dy) <= r && Math.floor((dx + 32) / 3) % 2 === 0, // vertical stripes
  (dx, dy, r) => Math.abs(dx) <= r && Math.abs(dy) <= r && Math.floor((dx + dy + 64) / 3) % 2 === 0, // diagonal stripes
  (dx, dy, r) => (Math.abs(dx) <= 2 || Math.abs(dy) <= 2) && Math.abs(dx) <= r && Math.abs(dy) <= r, // plus
  (dx, dy, r) => (Math.abs(dx - dy) <= 2 || Math.abs(dx + dy) <= 2) && Math.abs(dx) <= r && Math.abs(dy) <= r, // X
  (dx, dy, r) => dy <= r * 0.7 && dy >= -r && Math.abs(dx) <= (dy + r) * 0.6, // triangle
  (dx, dy, r) => Math.abs(dx) <= r && Math.abs(dy) <= r && (Math.floor((dx + 32) / 4) + Math.floor((dy + 32) / 4)) % 2 === 0, // checkerboard
];

function hueToRgb(hue: number, saturation: number, value: number): [number, number, number] {
  const c = value * saturation;
  const h = (((hue % 360) + 360) % 360) / 60;
  const x = c * (1 - Math.abs((h % 2) - 1));
  const [r, g, b] = h < 1 ? [c, x, 0] : h < 2 ? [x, c, 0] : h < 3 ? [0, c, x] : h < 4 ? [0, x, c] : h < 5 ? [x, 0, c] : [c, 0, x];
  const m = value - c;
  return [(r + m) * 255, (g + m) * 255, (b + m) * 255];
}

const clampByte = (v: number) => (v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v));

/** Share of images drawn in a random hue instead of their class's, so colour alone cannot tell the classes apart. */
const OFF_HUE_SHARE = 0.3;
/** Share of images with a distracting blob of random colour, partly covering the shape. */
const DISTRACTOR_SHARE = 0.5;

/** Writes one synthetic record (label byte + planar RGB) of class `label` into `out` at `offset`. */
function drawRecord(label: number, rng: Random, out: Uint8Array, offset: number): void {
  out[offset] = label;
  const hue = rng.next() < OFF_HUE_SHARE ? rng.next() * 360 : CLASS_HUES[label]! + (rng.next() - 0.5) * 40;
  const foreground = hueToRgb(hue, 0.5 + rng.next() * 0.5, 0.55 + rng.next() * 0.45);
  const background = hueToRgb(rng.next() * 360, rng.next() * 0.5, rng.next() * 0.6);
  const cx = 15.5 + (rng.next() - 0.5) * 12;
  const cy = 15.5 + (rng.next() - 0.5) * 12;
  const radius = 6 + rng.next() * 6;
  const shape = CLASS_SHAPES[label]!;
  const blob =
    rng.next() < DISTRACTOR_SHARE
      ? { x: rng.int(28), y: rng.int(28), size: 3 + rng.int(6), colour: hueToRgb(rng.next() * 360, rng.next(), rng.next()) }
      : undefined;
  const noise = 14 + rng.next() * 18;
  for (let y = 0; y < IMAGE_SIZE; y++) {
    for (let x = 0; x < IMAGE_SIZE; x++) {
      const p = y * IMAGE_SIZE + x;
      const inBlob = blob !== undefined && x >= blob.x && x < blob.x + blob.size && y >= blob.y && y < blob.y + blob.size;
      const colour = inBlob ? blob.colour : shape(x - cx, y - cy, radius) ? foreground : background;
      const base = offset + 1 + p;
      for (let c = 0; c < 3; c++) out[base + c * PIXELS_PER_IMAGE] = clampByte(colour[c]! + rng.normal() * noise);
    }
  }
}

/**
 * The six batch files of a synthetic CIFAR-format dataset, plus batches.meta.txt and the checksum
 * manifest that lets `download` accept it from a local source. Same options → same bytes.
 */
export function synthesizeBatches(options: SynthOptions): SynthFile[] {
  const { imagesPerClass, seed } = options;
  if (!Number.isInteger(imagesPerClass) || imagesPerClass < BATCH_FILES.length) {
    throw new UserError(
      `synth: images per class must be an integer ≥ ${BATCH_FILES.length} (so each of the six batch files holds images), got ${imagesPerClass}`,
    );
  }
  const rng = new Random(seed);
  const labelsPerBatch: number[][] = BATCH_FILES.map(() => []);
  for (let j = 0; j < imagesPerClass; j++) {
    for (let label = 0; label < NUM_CLASSES; label++) labelsPerBatch[j % BATCH_FILES.length]!.push(label);
  }
  const files: SynthFile[] = BATCH_FILES.map((batch, b) => {
    const labels = rng.shuffle(labelsPerBatch[b]!);
    const bytes = new Uint8Array(labels.length * RECORD_BYTES);
    labels.forEach((label, i) => drawRecord(label, rng, bytes, i * RECORD_BYTES));
    return { name: batch.name, bytes };
  });
  const manifest = formatMd5Manifest(files.map((f) => ({ name: f.name, md5: md5Hex(f.bytes) })));
  return [...files, { name: META_FILE, bytes: Buffer.from(META_TEXT) }, { name: SYNTHETIC_MANIFEST, bytes: Buffer.from(manifest) }];
}

export interface SynthResult {
  /** The tarball or the `cifar-10-batches-bin/` folder written. */
  path: string;
  images: number;
}

/**
 * Writes a synthetic dataset to `out`: a `.tar.gz`/`.tgz` shaped like the official tarball
 * (members under `cifar-10-batches-bin/`), or else a folder holding `cifar-10-batches-bin/`.
 * Either is written beside its target and renamed into place, so a crash leaves nothing behind.
 */
export async function writeSynthDataset(out: string, options: SynthOptions): Promise<SynthResult> {
  const files = synthesizeBatches(options);
  const images = options.imagesPerClass * NUM_CLASSES;
  if (/\.(tar\.gz|tgz)$/.test(out)) {
    await mkdir(dirname(out), { recursive: true });
    const temp = tempPathFor(out);
    const pack = tarPack();
    const written = pipeline(pack, createGzip(), createWriteStream(temp));
    try {
      pack.entry({ name: `${BATCHES_DIR_NAME}/`, type: 'directory', mtime: new Date(0), mode: 0o755 });
      for (const file of files) {
        pack.entry({ name: `${BATCHES_DIR_NAME}/${file.name}`, size: file.bytes.length, mtime: new Date(0), mode: 0o644 }, Buffer.from(file.bytes));
      }
      pack.finalize();
      await written;
      await rename(temp, out);
    } catch (error) {
      pack.destroy();
      await rm(temp, { force: true });
      throw error;
    }
    return { path: out, images };
  }
  const target = join(out, BATCHES_DIR_NAME);
  const temp = tempPathFor(target);
  try {
    for (const file of files) await writeFileAtomic(join(temp, file.name), file.bytes);
    await rm(target, { recursive: true, force: true });
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
  return { path: target, images };
}
