/**
 * Classification metrics from true and predicted labels (and, for the loss, predicted
 * probabilities). Pure functions, no I/O.
 *
 * Zero-division conventions follow scikit-learn's `zero_division=0`: a class never predicted has
 * precision 0, a class with no support has recall 0, and F1 is 0 when precision + recall is 0, so
 * no metric is ever NaN. Macro averages run over the classes that occur among the true or the
 * predicted labels (scikit-learn's default label set), so a class absent from both (e.g. a test
 * split drawn without it) does not drag the average down; weighted averages weight by support.
 */

export interface ClassScores {
  precision: number;
  recall: number;
  f1: number;
  /** Number of test images whose true class is this one. */
  support: number;
}

export interface AveragedScores {
  precision: number;
  recall: number;
  f1: number;
}

export interface ClassificationMetrics {
  accuracy: number;
  /** Mean categorical cross-entropy; present when probabilities were given. */
  loss?: number;
  macro: AveragedScores;
  weighted: AveragedScores;
  /** Keyed by class name, in class order. */
  per_class: Record<string, ClassScores>;
  classes: string[];
  /** Counts, rows = true class, columns = predicted class. */
  confusion: number[][];
  /** Number of examples scored. */
  count: number;
}

/** tfjs clips probabilities by this epsilon in its cross-entropy; the same keeps losses comparable. */
export const LOSS_EPSILON = 1e-7;

function checkLabel(label: number, numClasses: number, what: string, index: number): void {
  if (!Number.isInteger(label) || label < 0 || label >= numClasses) {
    throw new RangeError(`${what} label ${label} at index ${index} is outside 0..${numClasses - 1}`);
  }
}

/** Confusion matrix of counts: `matrix[true][predicted]`. */
export function confusionMatrix(trueLabels: ArrayLike<number>, predictedLabels: ArrayLike<number>, numClasses: number): number[][] {
  if (trueLabels.length !== predictedLabels.length) {
    throw new RangeError(`${trueLabels.length} true labels but ${predictedLabels.length} predictions`);
  }
  const matrix = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < trueLabels.length; i++) {
    const t = trueLabels[i]!;
    const p = predictedLabels[i]!;
    checkLabel(t, numClasses, 'true', i);
    checkLabel(p, numClasses, 'predicted', i);
    matrix[t]![p]!++;
  }
  return matrix;
}

/** Index of the largest value in `values[offset .. offset + length)`; ties go to the lower index. */
export function argmax(values: ArrayLike<number>, offset = 0, length = values.length - offset): number {
  let best = 0;
  for (let k = 1; k < length; k++) {
    if (values[offset + k]! > values[offset + best]!) best = k;
  }
  return best;
}

/** Mean cross-entropy of row-major probabilities `[n × numClasses]` against the true labels. */
export function crossEntropy(probabilities: ArrayLike<number>, trueLabels: ArrayLike<number>, numClasses: number): number {
  const n = trueLabels.length;
  if (probabilities.length !== n * numClasses) {
    throw new RangeError(`expected ${n * numClasses} probabilities (${n} × ${numClasses}), got ${probabilities.length}`);
  }
  if (n === 0) return 0;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const p = probabilities[i * numClasses + trueLabels[i]!]!;
    sum -= Math.log(Math.min(Math.max(p, LOSS_EPSILON), 1 - LOSS_EPSILON));
  }
  return sum / n;
}

const ratio = (numerator: number, denominator: number): number => (denominator === 0 ? 0 : numerator / denominator);
const f1Of = (precision: number, recall: number): number => ratio(2 * precision * recall, precision + recall);

/** Per-class scores, averages and accuracy of a confusion matrix (rows = true class). */
export function metricsFromConfusion(confusion: number[][], classes: readonly string[]): ClassificationMetrics {
  const k = classes.length;
  if (confusion.length !== k || confusion.some((row) => row.length !== k)) {
    throw new RangeError(`confusion matrix must be ${k} × ${k} for ${k} classes`);
  }
  const support = confusion.map((row) => row.reduce((a, b) => a + b, 0));
  const predicted = classes.map((_, c) => confusion.reduce((sum, row) => sum + row[c]!, 0));
  const total = support.reduce((a, b) => a + b, 0);
  const correct = confusion.reduce((sum, row, c) => sum + row[c]!, 0);

  const perClass: Record<string, ClassScores> = {};
  const macroSum = { precision: 0, recall: 0, f1: 0 };
  const weightedSum = { precision: 0, recall: 0, f1: 0 };
  let present = 0;
  classes.forEach((name, c) => {
    const tp = confusion[c]![c]!;
    const precision = ratio(tp, predicted[c]!);
    const recall = ratio(tp, support[c]!);
    const f1 = f1Of(precision, recall);
    perClass[name] = { precision, recall, f1, support: support[c]! };
    if (support[c]! > 0 || predicted[c]! > 0) {
      present++;
      macroSum.precision += precision;
      macroSum.recall += recall;
      macroSum.f1 += f1;
    }
    weightedSum.precision += precision * support[c]!;
    weightedSum.recall += recall * support[c]!;
    weightedSum.f1 += f1 * support[c]!;
  });
  return {
    accuracy: ratio(correct, total),
    macro: {
      precision: ratio(macroSum.precision, present),
      recall: ratio(macroSum.recall, present),
      f1: ratio(macroSum.f1, present),
    },
    weighted: {
      precision: ratio(weightedSum.precision, total),
      recall: ratio(weightedSum.recall, total),
      f1: ratio(weightedSum.f1, total),
    },
    per_class: perClass,
    classes: [...classes],
    confusion: confusion.map((row) => [...row]),
    count: total,
  };
}

export interface ScoreInput {
  trueLabels: ArrayLike<number>;
  predictedLabels: ArrayLike<number>;
  classes: readonly string[];
  /** Row-major `[n × classes.length]`; enables the loss. */
  probabilities?: ArrayLike<number>;
}

/** All metrics of one set of predictions. */
export function classificationMetrics(input: ScoreInput): ClassificationMetrics {
  const confusion = confusionMatrix(input.trueLabels, input.predictedLabels, input.classes.length);
  const metrics = metricsFromConfusion(confusion, input.classes);
  if (input.probabilities) metrics.loss = crossEntropy(input.probabilities, input.trueLabels, input.classes.length);
  return metrics;
}

/** Row-normalised confusion matrix (each row sums to 1; a row without support stays all 0). */
export function normaliseRows(confusion: number[][]): number[][] {
  return confusion.map((row) => {
    const sum = row.reduce((a, b) => a + b, 0);
    return row.map((v) => ratio(v, sum));
  });
}

export interface Confusion {
  trueClass: string;
  predictedClass: string;
  count: number;
}

/** Off-diagonal cells, largest first (ties in class order), for "most confused" summaries. */
export function topConfusions(confusion: number[][], classes: readonly string[], limit = 3): Confusion[] {
  const cells: Confusion[] = [];
  confusion.forEach((row, t) =>
    row.forEach((count, p) => {
      if (t !== p && count > 0) cells.push({ trueClass: classes[t]!, predictedClass: classes[p]!, count });
    }),
  );
  return cells.sort((a, b) => b.count - a.count).slice(0, limit);
}
