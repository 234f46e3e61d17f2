import assert from 'node:assert/strict';
import sharp from 'sharp';

export interface PngFacts {
  width: number;
  height: number;
  bytes: number;
}

/**
 * Asserts that `png` is a real PNG within the given bounds and not blank: its pixels must vary
 * (a blank or single-colour picture has zero spread) and use more than a handful of colours.
 */
export async function assertPicture(
  png: Buffer,
  bounds: { minWidth: number; maxWidth: number; minHeight: number; maxHeight: number; maxBytes?: number },
): Promise<PngFacts> {
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const facts = { width: info.width, height: info.height, bytes: png.length };
  assert.ok(info.width >= bounds.minWidth && info.width <= bounds.maxWidth, `width ${info.width} outside ${bounds.minWidth}..${bounds.maxWidth}`);
  assert.ok(info.height >= bounds.minHeight && info.height <= bounds.maxHeight, `height ${info.height} outside ${bounds.minHeight}..${bounds.maxHeight}`);
  assert.ok(png.length <= (bounds.maxBytes ?? 1_000_000), `${png.length} bytes is too large`);
  const colours = new Set<number>();
  let nonWhite = 0;
  for (let i = 0; i < data.length; i += 3) {
    const rgb = (data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!;
    colours.add(rgb);
    if (rgb !== 0xffffff) nonWhite++;
  }
  const pixels = info.width * info.height;
  assert.ok(colours.size >= 16, `only ${colours.size} colours: the picture is blank or nearly so`);
  assert.ok(nonWhite / pixels > 0.02, `only ${((nonWhite / pixels) * 100).toFixed(2)}% of the pixels are not white`);
  return facts;
}

/** The RGB of one pixel. */
export async function pixelAt(png: Buffer, x: number, y: number): Promise<[number, number, number]> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const i = (y * info.width + x) * 3;
  return [data[i]!, data[i + 1]!, data[i + 2]!];
}
