import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decode, encode } from 'fast-png';
import { z } from 'zod';
import { UserError } from '../util/errors.js';
import { IMAGE_BYTES, IMAGE_SIZE } from './records.js';

/**
 * Deflate level for CIFAR PNGs. Part of the byte-exact contract: changing it changes every PNG's
 * bytes and therefore every DVC hash of the partitions, so it is recorded in partitions.json.
 */
const ZLIB_LEVEL = 3;

/** The two fields of a package.json this reads; a folder's other package.json files do not match. */
const PackageIdentity = z.looseObject({ name: z.string(), version: z.string() });

/** The installed version of a dependency; its package.json is not in its `exports`, so walk up from its entry. */
function packageVersion(name: string): string {
  let dir = dirname(fileURLToPath(import.meta.resolve(name)));
  for (;;) {
    try {
      const manifest = PackageIdentity.safeParse(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')));
      if (manifest.success && manifest.data.name === name) return manifest.data.version;
    } catch {
      // no package.json at this level: keep walking up
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the version of ${name}`);
    dir = parent;
  }
}

/**
 * What produced the PNG bytes. fast-png deflates with fflate, pure JavaScript, so the bytes depend
 * only on these versions and the level, never on the platform or a native zlib.
 */
export interface PngEncoderInfo {
  name: string;
  version: string;
  deflate: string;
  level: number;
}

export function pngEncoderInfo(): PngEncoderInfo {
  return {
    name: 'fast-png',
    version: packageVersion('fast-png'),
    deflate: `fflate@${packageVersion('fflate')}`,
    level: ZLIB_LEVEL,
  };
}

/** Encodes one 32×32 image given as interleaved RGB bytes (RGBRGB…, 3072 bytes) as an 8-bit RGB PNG. */
export function encodeCifarPng(rgb: Uint8Array): Uint8Array {
  if (rgb.length !== IMAGE_BYTES) {
    throw new Error(`encodeCifarPng: expected ${IMAGE_BYTES} bytes of interleaved RGB, got ${rgb.length}`);
  }
  return encode({ width: IMAGE_SIZE, height: IMAGE_SIZE, data: rgb, depth: 8, channels: 3 }, { zlib: { level: ZLIB_LEVEL } });
}

/**
 * Decodes a CIFAR PNG back to 3072 bytes of interleaved RGB. Anything else (not a PNG, a truncated
 * or corrupt one, another size, alpha, palette or 16-bit) is a UserError naming `source`.
 */
export function decodeCifarPng(bytes: Uint8Array, source = 'PNG'): Uint8Array {
  let png: ReturnType<typeof decode>;
  try {
    png = decode(bytes, { checkCrc: true });
  } catch (error) {
    throw new UserError(`${source} is not a readable PNG (${(error as Error).message}); delete it and re-run the command that wrote it`, { cause: error });
  }
  if (png.width !== IMAGE_SIZE || png.height !== IMAGE_SIZE || png.channels !== 3 || png.depth !== 8 || png.palette) {
    throw new UserError(
      `${source} is a ${png.width}×${png.height} PNG with ${png.channels} channel(s) of ${png.depth} bits; a CIFAR-10 image is 32×32 8-bit RGB. Delete it and re-run the command that wrote it`,
    );
  }
  const data = png.data;
  return data instanceof Uint8Array ? data : Uint8Array.from(data);
}
