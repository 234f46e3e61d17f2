import sharp from 'sharp';
import { IMAGE_BYTES } from '../cifar/records.js';
import type { PackedSplit } from '../data/packed.js';
import { mostConfidentMistakes, type PredictionRow } from '../evaluate/predictions.js';
import { UserError } from '../util/errors.js';
import { renderContactSheet, type ContactSheetImage } from './contact-sheet.js';

const TRUE_COLOR = '#1a7f37';
const WRONG_COLOR = '#cf222e';

/** Contact-sheet entries for the most confidently misclassified images, pixels from the packed split. */
export function misclassifiedImages(rows: readonly PredictionRow[], split: PackedSplit, limit: number): ContactSheetImage[] {
  const index = new Map(split.ids.map((id, i) => [id, i]));
  return mostConfidentMistakes(rows, limit).map((row) => {
    const i = index.get(row.id);
    if (i === undefined) {
      throw new UserError(`image ${row.id} from the predictions is not in the prepared split; re-run \`cifar10 evaluate\` after \`cifar10 prepare\``);
    }
    return {
      pixels: split.pixels.subarray(i * IMAGE_BYTES, (i + 1) * IMAGE_BYTES),
      caption: [
        row.id,
        { text: `true: ${row.trueClass}`, color: TRUE_COLOR },
        { text: `pred: ${row.predictedClass} ${(row.confidence * 100).toFixed(0)}%`, color: WRONG_COLOR },
      ],
    };
  });
}

/**
 * The grid of the most confidently misclassified images; when nothing is misclassified, a small
 * picture that says so, so the report always has the same files.
 */
export async function renderMisclassifiedGrid(
  rows: readonly PredictionRow[],
  split: PackedSplit,
  options: { limit: number; columns?: number },
): Promise<Buffer> {
  const images = misclassifiedImages(rows, split, options.limit);
  if (images.length === 0) {
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="360" height="60"><rect width="100%" height="100%" fill="white"/><text x="16" y="36" font-family="DejaVu Sans, sans-serif" font-size="16" fill="#222">No misclassified images in ${rows.length}.</text></svg>`;
    return sharp(Buffer.from(svg)).png().toBuffer();
  }
  return renderContactSheet(images, {
    columns: options.columns ?? 8,
    title: `Most confidently misclassified: ${images.length} of ${rows.filter((r) => r.trueClass !== r.predictedClass).length} mistakes in ${rows.length} images`,
  });
}
