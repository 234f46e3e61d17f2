import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Random } from '../../src/util/random.js';

test('the same seed gives the same sequence, another seed a different one', () => {
  const a = new Random(42);
  const b = new Random(42);
  const c = new Random(43);
  const seqA = Array.from({ length: 8 }, () => a.next());
  assert.deepEqual(
    Array.from({ length: 8 }, () => b.next()),
    seqA,
  );
  assert.notDeepEqual(
    Array.from({ length: 8 }, () => c.next()),
    seqA,
  );
});

test('int stays in range and shuffle is a permutation', () => {
  const r = new Random(7);
  for (let i = 0; i < 1000; i++) {
    const v = r.int(10);
    assert.ok(v >= 0 && v < 10 && Number.isInteger(v));
  }
  const items = Array.from({ length: 100 }, (_, i) => i);
  const shuffled = r.shuffle([...items]);
  assert.notDeepEqual(shuffled, items);
  assert.deepEqual(
    [...shuffled].sort((x, y) => x - y),
    items,
  );
});
