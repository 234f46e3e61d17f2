import { join } from 'node:path';
import { hardImagesSheet, type HardImagesResult } from '../experiments/hard-images.js';
import type { TrustedBundle } from '../experiments/trusted.js';
import { confusionHeatmapSpec, seedCurvesSpec } from '../report/charts.js';
import { renderVegaLitePng } from '../report/render.js';
import type { AssetFile, PublishOutcome } from './assets.js';
import { safeErrorMessage } from './client.js';
import type { BestRun, CommentPicture } from './pr-comment.js';

/** The pictures of the experiments report (report.ts): rendered from the bundles, published by the shell, linked from the comment. */

/** Hard images shown in the comment; the CSV artifact has them all. */
export const HARD_IMAGES_SHOWN = 20;

/** A rendered picture: its file name on the assets branch and its title in the comment. */
export type RenderedPicture = AssetFile & { title: string };

/**
 * The comment's pictures: the best run's confusion heat map, the validation curves of every seed
 * of its version with their band, and the hard-images sheet when the job has the partitions' PNGs.
 */
export async function renderPictures(
  bundles: readonly TrustedBundle[],
  best: BestRun | undefined,
  hard: HardImagesResult,
  partitionsDir: string | undefined,
): Promise<RenderedPicture[]> {
  const pictures: RenderedPicture[] = [];
  if (!best) return pictures;
  const title = `Confusion matrix of ${best.runId} (share of each true class)`;
  pictures.push({
    name: 'confusion.png',
    title,
    bytes: await renderVegaLitePng(confusionHeatmapSpec(best.confusion.classes, best.confusion.matrix, { normalised: true, title }), { scale: 1.5 }),
  });
  const versions = bundles.find((b) => b.runId === best.runId)!.manifest.versions;
  const curves = bundles
    .filter((b) => b.manifest.versions === versions && b.trainLog && b.trainLog.length > 0)
    .map((b) => ({ runId: b.runId, log: b.trainLog! }));
  if (curves.length > 0) {
    const curvesTitle = `Validation accuracy of the ${curves.length} run${curves.length === 1 ? '' : 's'} of ${versions} (band: mean ± sd)`;
    pictures.push({
      name: 'learning-curves.png',
      title: curvesTitle,
      bytes: await renderVegaLitePng(seedCurvesSpec(curves, { title: curvesTitle }), { scale: 1.5 }),
    });
  }
  if (partitionsDir && hard.images.length > 0) {
    const dirs = [...new Set(hard.images.flatMap((i) => i.versions))].map((v) => join(partitionsDir, v));
    const sheet = await hardImagesSheet(hard.images, dirs, { limit: HARD_IMAGES_SHOWN, title: 'Hard images: true → most frequent wrong answer' });
    if (sheet) pictures.push({ name: 'hard-images.png', title: `The ${sheet.shown} hardest images`, bytes: sheet.png });
  }
  return pictures;
}

/** Pictures are a bonus: a GitHub that fails to take them (down, slow, rate-limited) costs the comment its pictures, never the comment. */
export async function publishOrSayWhy(publish: (files: AssetFile[]) => Promise<PublishOutcome>, files: AssetFile[]): Promise<PublishOutcome> {
  try {
    return await publish(files);
  } catch (error) {
    return { published: false, reason: `The pictures could not be published (${safeErrorMessage(error)}).` };
  }
}

export function commentPictures(outcome: PublishOutcome, rendered: readonly RenderedPicture[]): { published: CommentPicture[]; note?: string } {
  if (!outcome.published) return { published: [], note: outcome.reason };
  return { published: rendered.map((p) => ({ title: p.title, url: outcome.urls[p.name]! })) };
}
