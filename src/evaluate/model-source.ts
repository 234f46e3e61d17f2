import { BACKEND_CHOICES, isBackendChoice } from '../model/backend-choices.js';
import { selectBackend } from '../model/backend.js';
import { loadTrainedModel, predictProbabilities } from '../model/predict.js';
import { UserError } from '../util/errors.js';
import type { ProbabilitySource } from './evaluate.js';

/** A trained model from `cifar10 train` as the evaluate stage's probability source. */
export interface ModelSource extends ProbabilitySource {
  /** Backend details for logs, e.g. `@tensorflow/tfjs-backend-wasm (SIMD, …)`. */
  backendDetail: string;
  /** Frees the model's weights. */
  dispose(): void;
}

/** Selects the tfjs backend, then loads `modelDir` (model.json, weights, training.json) on it. */
export async function loadModelSource(modelDir: string, backend: string): Promise<ModelSource> {
  if (!isBackendChoice(backend)) throw new UserError(`--backend ${backend}: expected one of ${BACKEND_CHOICES.join(', ')}`);
  const active = await selectBackend(backend);
  const trained = await loadTrainedModel(modelDir);
  return {
    backend: active.name,
    backendDetail: active.detail,
    seed: trained.training?.params.seed,
    predict: async (split, batchSize, onBatch, flipTta) => predictProbabilities(trained, split, { batchSize, onBatch, flipTta }),
    dispose: () => trained.model.dispose(),
  };
}
