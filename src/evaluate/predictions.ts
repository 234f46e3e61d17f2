import { argmax } from './metrics.js';

/** One scored image: the per-image record that hard-image analysis joins on by id. */
export interface PredictionRow {
  id: string;
  trueClass: string;
  predictedClass: string;
  /** Probability of the predicted class. */
  confidence: number;
  /** The most probable classes, most probable first. */
  top: { className: string; probability: number }[];
}

export const TOP_K = 3;

/**
 * Turns row-major probabilities `[n × classes.length]` into prediction rows. The predicted class is
 * the arg-max (ties to the lower label, like tf.argMax); the top list is ordered by probability,
 * ties in class order, so it is deterministic.
 */
export function predictionRows(
  ids: readonly string[],
  trueLabels: ArrayLike<number>,
  probabilities: ArrayLike<number>,
  classes: readonly string[],
  topK = TOP_K,
): PredictionRow[] {
  const k = classes.length;
  if (trueLabels.length !== ids.length || probabilities.length !== ids.length * k) {
    throw new RangeError(`${ids.length} ids, ${trueLabels.length} labels and ${probabilities.length} probabilities do not match ${k} classes`);
  }
  return ids.map((id, i) => {
    const offset = i * k;
    const predicted = argmax(probabilities, offset, k);
    const order = classes.map((_, c) => c).sort((a, b) => probabilities[offset + b]! - probabilities[offset + a]! || a - b);
    return {
      id,
      trueClass: classes[trueLabels[i]!]!,
      predictedClass: classes[predicted]!,
      confidence: probabilities[offset + predicted]!,
      top: order.slice(0, Math.min(topK, k)).map((c) => ({ className: classes[c]!, probability: probabilities[offset + c]! })),
    };
  });
}

/** The wrong predictions, most confident first (ties by id so the order is stable). */
export function mostConfidentMistakes(rows: readonly PredictionRow[], limit: number): PredictionRow[] {
  return rows
    .filter((row) => row.trueClass !== row.predictedClass)
    .sort((a, b) => b.confidence - a.confidence || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .slice(0, limit);
}
