import { test } from 'node:test';
import assert from 'node:assert/strict';
import { basename, dirname, join } from 'node:path';
import { isStaleTempOf, TEMP_NAME, tempPathFor } from '../../src/util/atomic.js';

// pid 2^22 + 1 is above Linux's pid limit: never a live process.
const DEAD = 4194305;

test('temp paths are unique per call, sit beside their target and carry the writer pid', () => {
  const target = join('/data', 'v1');
  const temps = Array.from({ length: 1000 }, () => tempPathFor(target));
  assert.equal(new Set(temps).size, temps.length);
  for (const temp of temps) {
    assert.equal(dirname(temp), '/data');
    assert.match(basename(temp), TEMP_NAME);
    assert.ok(basename(temp).startsWith(`v1.tmp-${process.pid}-`));
  }
});

test("a killed writer's temp of a path is told from a live one's and from another path's, long names included", () => {
  const target = join('/data', 'v1');
  assert.equal(isStaleTempOf(`v1.tmp-${DEAD}-0123abcd`, target), true);
  assert.equal(isStaleTempOf(`v1.tmp-${process.pid}-0123abcd`, target), false, 'this process is alive');
  assert.equal(isStaleTempOf(`v2.tmp-${DEAD}-0123abcd`, target), false, 'the temp of another path');
  assert.equal(isStaleTempOf(`v1.tmp-${DEAD}-0123abcd.png`, target), false);
  assert.equal(isStaleTempOf('v1', target), false);
  const long = join('/data', 'x'.repeat(250));
  const temp = basename(tempPathFor(long));
  assert.ok(temp.length < 255 && temp.startsWith('.'), 'a name too long for the suffix gets a short stand-in');
  assert.equal(isStaleTempOf(temp.replace(`-${process.pid}-`, `-${DEAD}-`), long), true);
  assert.equal(isStaleTempOf(temp.replace(`-${process.pid}-`, `-${DEAD}-`), target), false);
});
