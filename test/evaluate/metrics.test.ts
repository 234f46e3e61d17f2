import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  argmax,
  classificationMetrics,
  confusionMatrix,
  crossEntropy,
  metricsFromConfusion,
  normaliseRows,
  topConfusions,
} from '../../src/evaluate/metrics.js';

// Hand-worked example. Classes a..e:
//   c has support 2 but is never predicted; d is predicted once but has no support;
//   e appears nowhere (left out of the macro average, like scikit-learn's default labels).
// true: a a a b b c c     pred: a a b b d a b
const CLASSES = ['a', 'b', 'c', 'd', 'e'];
const TRUE = [0, 0, 0, 1, 1, 2, 2];
const PRED = [0, 0, 1, 1, 3, 0, 1];

const close = (actual: number, expected: number, what: string) =>
  assert.ok(Math.abs(actual - expected) < 1e-12, `${what}: expected ${expected}, got ${actual}`);

describe('classification metrics', () => {
  const metrics = classificationMetrics({ trueLabels: TRUE, predictedLabels: PRED, classes: CLASSES });

  it('counts the confusion matrix with rows as true classes', () => {
    assert.deepEqual(metrics.confusion, [
      [2, 1, 0, 0, 0],
      [0, 1, 0, 1, 0],
      [1, 1, 0, 0, 0],
      [0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0],
    ]);
  });

  it('gives accuracy as the share of correct predictions', () => {
    close(metrics.accuracy, 3 / 7, 'accuracy');
    assert.equal(metrics.count, 7);
  });

  it('matches hand-computed per-class precision, recall, F1 and support', () => {
    const pc = metrics.per_class;
    close(pc.a!.precision, 2 / 3, 'a precision');
    close(pc.a!.recall, 2 / 3, 'a recall');
    close(pc.a!.f1, 2 / 3, 'a f1');
    close(pc.b!.precision, 1 / 3, 'b precision');
    close(pc.b!.recall, 1 / 2, 'b recall');
    close(pc.b!.f1, 2 / 5, 'b f1');
    assert.deepEqual(pc.c, { precision: 0, recall: 0, f1: 0, support: 2 });
    assert.deepEqual(pc.d, { precision: 0, recall: 0, f1: 0, support: 0 });
    assert.deepEqual(pc.e, { precision: 0, recall: 0, f1: 0, support: 0 });
    assert.deepEqual(Object.keys(pc), CLASSES);
  });

  it('never yields NaN for a class with no predictions or no support', () => {
    const values = JSON.stringify(metrics, (_, v: unknown) => (typeof v === 'number' && Number.isNaN(v) ? 'NaN!' : v));
    assert.ok(!values.includes('NaN!'), values);
  });

  it('macro-averages over the classes seen in true or predicted labels', () => {
    close(metrics.macro.precision, (2 / 3 + 1 / 3) / 4, 'macro precision');
    close(metrics.macro.recall, (2 / 3 + 1 / 2) / 4, 'macro recall');
    close(metrics.macro.f1, (2 / 3 + 2 / 5) / 4, 'macro f1');
  });

  it('weights the weighted average by support, so weighted recall equals accuracy', () => {
    close(metrics.weighted.precision, 8 / 21, 'weighted precision');
    close(metrics.weighted.recall, 3 / 7, 'weighted recall');
    close(metrics.weighted.f1, 0.4, 'weighted f1');
  });

  it('computes the loss as mean cross-entropy when probabilities are given', () => {
    const probabilities = [0.5, 0.25, 0.25, 0.1, 0.9, 0];
    const scored = classificationMetrics({ trueLabels: [0, 2], predictedLabels: [0, 1], classes: ['x', 'y', 'z'], probabilities });
    // The second example gives its true class probability 0, clipped to 1e-7 as tfjs does.
    close(scored.loss!, (-Math.log(0.5) - Math.log(1e-7)) / 2, 'loss');
    assert.equal(classificationMetrics({ trueLabels: [0], predictedLabels: [0], classes: ['x'] }).loss, undefined);
  });

  it('scores an empty set as zeros rather than NaN', () => {
    const empty = metricsFromConfusion(
      [
        [0, 0],
        [0, 0],
      ],
      ['x', 'y'],
    );
    assert.equal(empty.accuracy, 0);
    assert.deepEqual(empty.macro, { precision: 0, recall: 0, f1: 0 });
    assert.deepEqual(empty.weighted, { precision: 0, recall: 0, f1: 0 });
    assert.equal(crossEntropy([], [], 3), 0);
  });

  it('rejects labels outside the class range and mismatched lengths', () => {
    assert.throws(() => confusionMatrix([0, 5], [0, 1], 3), /true label 5 at index 1/);
    assert.throws(() => confusionMatrix([0], [0, 1], 3), /1 true labels but 2 predictions/);
    assert.throws(() => crossEntropy([0.5, 0.5], [0, 1], 2), /expected 4 probabilities/);
  });

  it('takes the first of tied maxima in argmax, like tf.argMax', () => {
    assert.equal(argmax([0.2, 0.4, 0.4]), 1);
    assert.equal(argmax([9, 1, 7, 8, 3], 2, 3), 1);
  });

  it('normalises rows to shares and leaves empty rows at zero', () => {
    assert.deepEqual(
      normaliseRows([
        [1, 3],
        [0, 0],
      ]),
      [
        [0.25, 0.75],
        [0, 0],
      ],
    );
  });

  it('lists the largest off-diagonal confusions first, ties in class order', () => {
    assert.deepEqual(
      topConfusions(
        [
          [5, 2, 2],
          [0, 4, 3],
          [1, 0, 6],
        ],
        ['x', 'y', 'z'],
        2,
      ),
      [
        { trueClass: 'y', predictedClass: 'z', count: 3 },
        { trueClass: 'x', predictedClass: 'y', count: 2 },
      ],
    );
  });
});
