import sharp from 'sharp';
import type { TopLevelSpec } from 'vega-lite';

export interface RenderOptions {
  /** Pixel density multiplier: 1 renders at the spec's CSS size, 2 at twice the pixels. */
  scale?: number;
}

/**
 * Renders a Vega-Lite spec to PNG without a browser or canvas: Vega-Lite compiles to Vega, a Vega
 * View with the 'none' renderer produces SVG (text included), and sharp rasterises the SVG.
 * vega and vega-lite are imported on first use so that commands which draw nothing start fast.
 */
export async function renderVegaLitePng(spec: TopLevelSpec, options: RenderOptions = {}): Promise<Buffer> {
  const svg = await renderVegaLiteSvg(spec);
  const density = 72 * (options.scale ?? 1);
  // A 256-colour palette is plenty for flat chart colours and makes the PNG 2–3× smaller.
  return sharp(Buffer.from(svg), { density }).flatten({ background: '#ffffff' }).png({ palette: true, compressionLevel: 9 }).toBuffer();
}

export async function renderVegaLiteSvg(spec: TopLevelSpec): Promise<string> {
  const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
  const compiled = vegaLite.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
