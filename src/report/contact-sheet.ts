import sharp from 'sharp';

/** One picture on a contact sheet: raw interleaved pixels and the lines printed under it. */
export interface ContactSheetImage {
  /** Interleaved 8-bit pixels, `width × height × channels` bytes (CIFAR: 32×32 RGB). */
  pixels: Uint8Array;
  width?: number;
  height?: number;
  channels?: 3 | 4;
  /** Caption lines under the image; a line may carry its own colour. */
  caption: readonly (string | { text: string; color: string })[];
}

export interface ContactSheetOptions {
  /** Images per row (default: up to 8). */
  columns?: number;
  /** Integer upscaling with nearest-neighbour, so 32-pixel images stay crisp (default 3). */
  scale?: number;
  /** A heading across the top of the sheet. */
  title?: string;
  fontSize?: number;
}

const PADDING = 8;
const DEFAULT_COLOR = '#222222';

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);
}

export interface ContactSheetLayout {
  width: number;
  height: number;
  cellWidth: number;
  cellHeight: number;
  titleHeight: number;
  /** Where each upscaled image goes on the sheet. */
  tiles: { left: number; top: number; width: number; height: number }[];
}

/** Geometry of a sheet: cells wide enough for the longest caption, images centred in them. */
export function contactSheetLayout(images: readonly ContactSheetImage[], options: ContactSheetOptions = {}): ContactSheetLayout {
  if (images.length === 0) throw new RangeError('a contact sheet needs at least one image');
  const scale = options.scale ?? 3;
  const fontSize = options.fontSize ?? 11;
  const lineHeight = Math.round(fontSize * 1.3);
  const columns = Math.max(1, Math.min(options.columns ?? 8, images.length));
  const rows = Math.ceil(images.length / columns);
  const sizes = images.map((image, i) => {
    const size = { width: image.width ?? 32, height: image.height ?? 32, channels: image.channels ?? 3 };
    const expected = size.width * size.height * size.channels;
    if (image.pixels.length !== expected) {
      throw new RangeError(`image ${i}: ${image.pixels.length} bytes, expected ${expected} (${size.width}×${size.height}×${size.channels})`);
    }
    return size;
  });
  const captionLines = Math.max(0, ...images.map((image) => image.caption.length));
  const longestCaption = Math.max(0, ...images.flatMap((image) => image.caption.map((line) => (typeof line === 'string' ? line : line.text).length)));
  // DejaVu Sans (the usual fallback for sans-serif) averages about 0.6 em per character.
  const cellWidth = Math.max(...sizes.map((s) => s.width * scale), Math.ceil(longestCaption * fontSize * 0.6)) + 2 * PADDING;
  const cellHeight = Math.max(...sizes.map((s) => s.height * scale)) + captionLines * lineHeight + 2 * PADDING;
  const titleHeight = options.title ? Math.round(fontSize * 2.4) : 0;
  return {
    width: columns * cellWidth,
    height: titleHeight + rows * cellHeight,
    cellWidth,
    cellHeight,
    titleHeight,
    tiles: sizes.map((size, i) => {
      const column = i % columns;
      const row = Math.floor(i / columns);
      const width = size.width * scale;
      return {
        left: column * cellWidth + Math.round((cellWidth - width) / 2),
        top: titleHeight + row * cellHeight + PADDING,
        width,
        height: size.height * scale,
      };
    }),
  };
}

/**
 * Lays images out in a grid with captions and returns the PNG. Images are upscaled and composited
 * with sharp; all text goes in one SVG overlay that sharp rasterises, so no canvas or browser is
 * needed. Used for the misclassified-images grid and the experiments' hard-images picture.
 */
export async function renderContactSheet(images: readonly ContactSheetImage[], options: ContactSheetOptions = {}): Promise<Buffer> {
  const layout = contactSheetLayout(images, options);
  const fontSize = options.fontSize ?? 11;
  const lineHeight = Math.round(fontSize * 1.3);
  const { width, height, titleHeight } = layout;

  const tiles = await Promise.all(
    images.map(async (image, i) => {
      const tile = layout.tiles[i]!;
      const w = image.width ?? 32;
      const h = image.height ?? 32;
      const input = await sharp(image.pixels, { raw: { width: w, height: h, channels: image.channels ?? 3 } })
        .resize(tile.width, tile.height, { kernel: 'nearest' })
        .png()
        .toBuffer();
      return { input, left: tile.left, top: tile.top };
    }),
  );

  const text: string[] = [];
  if (options.title) {
    text.push(
      `<text x="${PADDING}" y="${Math.round(titleHeight * 0.7)}" font-size="${Math.round(fontSize * 1.4)}" font-weight="bold" fill="${DEFAULT_COLOR}">${escapeXml(options.title)}</text>`,
    );
  }
  images.forEach((image, i) => {
    const tile = layout.tiles[i]!;
    const x = tile.left + tile.width / 2;
    image.caption.forEach((line, l) => {
      const { text: content, color } = typeof line === 'string' ? { text: line, color: DEFAULT_COLOR } : line;
      const y = tile.top + tile.height + (l + 1) * lineHeight - 2;
      text.push(`<text x="${x}" y="${y}" text-anchor="middle" font-size="${fontSize}" fill="${escapeXml(color)}">${escapeXml(content)}</text>`);
    });
  });
  const overlay = Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="DejaVu Sans, Arial, Helvetica, sans-serif">${text.join('')}</svg>`,
  );

  return sharp({ create: { width, height, channels: 3, background: '#ffffff' } })
    .composite([...tiles, { input: overlay, left: 0, top: 0 }])
    .png()
    .toBuffer();
}
