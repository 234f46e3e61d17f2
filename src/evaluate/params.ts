import type { ParamSchema } from '../params.js';

/** The `evaluate:` group of params.yaml. */
export const EVALUATE_PARAMS = {
  split: { type: 'string', default: 'test', choices: ['test', 'val'], description: 'prepared split to score' },
  batch_size: { type: 'integer', default: 500, min: 1, description: 'images per prediction batch' },
  misclassified: { type: 'integer', default: 24, min: 0, max: 200, description: 'images in the most-confidently-misclassified grid' },
  min_accuracy: { type: 'number', default: 0, min: 0, max: 1, description: 'accuracy the verdict asks for; 0: no pass/fail' },
  pictures: { type: 'boolean', default: true, description: 'render the PNG pictures' },
  tta: { type: 'boolean', default: true, description: 'also score each image mirrored and average (flip test-time augmentation)' },
} as const satisfies ParamSchema;
