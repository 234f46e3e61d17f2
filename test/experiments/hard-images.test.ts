import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findHardImages, formatHardImagesCsv } from '../../src/experiments/hard-images.js';

const p = (id: string, trueClass: string, predictedClass: string) => ({ id, trueClass, predictedClass });

const MEMBERSHIP = new Map([
  ['a', ['v1']],
  ['b', ['v2']],
  ['c', ['v3']],
  ['e', ['v2']],
]);

const RUNS = [
  { runId: 's42-v1', predictions: [p('a', 'cat', 'dog'), p('b', 'cat', 'cat'), p('c', 'ship', 'truck'), p('d', 'bird', 'frog')] },
  { runId: 's100-v1', predictions: [p('a', 'cat', 'dog'), p('b', 'cat', 'dog'), p('c', 'ship', 'airplane')] },
  { runId: 's42-v1+v2', predictions: [p('a', 'cat', 'frog'), p('b', 'cat', 'dog'), p('c', 'ship', 'ship'), p('e', 'dog', 'cat')] },
];

test('an image is hard when wrong in every run that held it out, over at least min-runs runs', () => {
  const result = findHardImages(RUNS, { membership: MEMBERSHIP });
  assert.deepEqual(result.images, [{ id: 'a', className: 'cat', runsHeldOut: 3, runsWrong: 3, errorRate: 1, mostFrequentWrong: 'dog', versions: ['v1'] }]);
  assert.equal(result.eligible, 3, 'd and e were held out once only');
  assert.equal(result.perClass['cat'], 1);
  assert.equal(result.perClass['truck'], 0);
});

test('a lower threshold admits images wrong in most runs; ties in the wrong label go to class order', () => {
  const result = findHardImages(RUNS, { threshold: 0.6 });
  assert.deepEqual(
    result.images.map((i) => [i.id, i.runsWrong, i.runsHeldOut, i.mostFrequentWrong]),
    [
      ['a', 3, 3, 'dog'],
      ['b', 2, 3, 'dog'],
      ['c', 2, 3, 'airplane'],
    ],
  );
  assert.deepEqual(
    findHardImages(RUNS, { minRuns: 1 }).images.map((i) => i.id),
    ['a', 'd', 'e'],
  );
  // Every run scores every partition's test images, so the runs do not tell an image's partition: the manifests do.
  assert.deepEqual(findHardImages(RUNS, { minRuns: 1 }).images.find((i) => i.id === 'e')!.versions, [], 'unknown without the partition manifests');
  assert.deepEqual(findHardImages(RUNS, { minRuns: 1, membership: MEMBERSHIP }).images.find((i) => i.id === 'e')!.versions, ['v2']);
});

test('the CSV lists id, class, runs held out, runs wrong, error rate, most frequent wrong label and versions', () => {
  assert.equal(
    formatHardImagesCsv(findHardImages(RUNS, { threshold: 0.6, membership: MEMBERSHIP }).images),
    'id,class,runs_held_out,runs_wrong,error_rate,most_frequent_wrong,versions\na,cat,3,3,1.0000,dog,v1\nb,cat,3,2,0.6667,dog,v2\nc,ship,3,2,0.6667,airplane,v3\n',
  );
});

test('bad options and inconsistent runs are clear errors', () => {
  assert.throws(() => findHardImages(RUNS, { threshold: 1.5 }), /--threshold 1\.5/);
  assert.throws(() => findHardImages(RUNS, { minRuns: 0 }), /--min-runs 0/);
  assert.throws(() => findHardImages([...RUNS, { runId: 'x', predictions: [p('a', 'dog', 'dog')] }]), /labels a as dog, another run as cat/);
});
