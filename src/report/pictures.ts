import type { PackedSplit } from '../data/packed.js';
import type { ConfusionFile } from '../evaluate/report-files.js';
import { reportPath } from '../evaluate/report-files.js';
import type { PredictionRow } from '../evaluate/predictions.js';
import { writeFileAtomic } from '../util/atomic.js';
import { confusionHeatmapSpec, learningCurvesSpec } from './charts.js';
import { renderMisclassifiedGrid } from './misclassified.js';
import { renderVegaLitePng } from './render.js';
import type { TrainLogRow } from './train-log.js';

export interface RunPicturesInput {
  /** Output folder (the evaluate stage's `reports/`). */
  dir: string;
  confusion: ConfusionFile;
  /** Absent: no learning-curve picture (e.g. a model trained elsewhere). */
  trainLog?: readonly TrainLogRow[];
  predictions: readonly PredictionRow[];
  /** The split the predictions were made on, for the misclassified images' pixels. */
  split: PackedSplit;
  /** How many misclassified images the grid shows; 0: no grid. */
  misclassified: number;
  /** Pixel density of the charts (2 = twice the CSS size, sharp on high-DPI screens). */
  scale?: number;
}

/** Renders and writes the run's pictures; returns the paths written. */
export async function writeRunPictures(input: RunPicturesInput): Promise<string[]> {
  const scale = input.scale ?? 1.5;
  const jobs: [string, Promise<Buffer>][] = [
    [reportPath(input.dir, 'confusionPng'), renderVegaLitePng(confusionHeatmapSpec(input.confusion.classes, input.confusion.matrix), { scale })],
    [
      reportPath(input.dir, 'confusionNormalisedPng'),
      renderVegaLitePng(confusionHeatmapSpec(input.confusion.classes, input.confusion.matrix, { normalised: true }), { scale }),
    ],
  ];
  if (input.trainLog) jobs.push([reportPath(input.dir, 'learningCurvesPng'), renderVegaLitePng(learningCurvesSpec(input.trainLog), { scale })]);
  if (input.misclassified > 0) {
    jobs.push([reportPath(input.dir, 'misclassifiedPng'), renderMisclassifiedGrid(input.predictions, input.split, { limit: input.misclassified })]);
  }
  // Render everything before writing anything, so a failed render leaves no mix of old and new pictures.
  const rendered = await Promise.all(jobs.map(async ([path, png]) => [path, await png] as const));
  for (const [path, png] of rendered) await writeFileAtomic(path, png);
  return rendered.map(([path]) => path);
}
