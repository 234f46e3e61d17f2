import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mostConfidentMistakes, predictionRows } from '../../src/evaluate/predictions.js';
import { CLASSES, IDS, LABELS, PROBABILITIES } from './fixtures.js';

describe('per-image predictions', () => {
  const rows = predictionRows(IDS, LABELS, PROBABILITIES, CLASSES);

  it('predicts the arg-max class with its probability as confidence', () => {
    assert.deepEqual(
      rows.map((r) => [r.id, r.trueClass, r.predictedClass, Number(r.confidence.toFixed(2))]),
      [
        ['test-0', 'cat', 'cat', 0.61],
        ['test-1', 'dog', 'frog', 0.6],
        ['test-2', 'frog', 'dog', 0.9],
        ['test-3', 'dog', 'dog', 0.4],
      ],
    );
  });

  it('orders the top-3 by probability with ties in class order', () => {
    assert.deepEqual(
      rows[3]!.top.map((t) => t.className),
      ['dog', 'frog', 'cat'],
    );
  });

  it('picks the most confident mistakes first', () => {
    assert.deepEqual(
      mostConfidentMistakes(rows, 5).map((r) => r.id),
      ['test-2', 'test-1'],
    );
    assert.equal(mostConfidentMistakes(rows, 1).length, 1);
  });
});
