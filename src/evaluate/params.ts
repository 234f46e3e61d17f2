import { z } from 'zod';
import { param } from '../params.js';

/** The `evaluate:` group of params.yaml. */
export const EVALUATE_PARAMS = z.object({
  split: param.choice(['test', 'val'], { default: 'test', description: 'prepared split to score' }),
  batch_size: param.integer({ default: 500, min: 1, description: 'images per prediction batch' }),
  misclassified: param.integer({ default: 24, min: 0, max: 200, description: 'images in the most-confidently-misclassified grid' }),
  min_accuracy: param.number({ default: 0, min: 0, max: 1, description: 'accuracy the verdict asks for; 0: no pass/fail' }),
  pictures: param.flag({ default: true, description: 'render the PNG pictures' }),
  tta: param.flag({ default: true, description: 'also score each image mirrored and average (flip test-time augmentation)' }),
});

export type EvaluateParams = z.output<typeof EVALUATE_PARAMS>;
