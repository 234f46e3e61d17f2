import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { detectableShift, powerAt, welchTest } from '../../src/experiments/welch.js';
import { Random } from '../../src/util/random.js';

const close = (actual: number, expected: number, tolerance: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual}, expected ${expected} ± ${tolerance}`);

describe("Welch's t-test", () => {
  it('agrees with an independent implementation (scipy.stats.ttest_ind, equal_var=False) on t, df, p, the 95% interval and the detectable difference', () => {
    const test = welchTest([0.61, 0.63, 0.65], [0.7, 0.715, 0.74], { resolution: 1e-4 })!;
    // Reference values from SciPy 1.x: ttest_ind(a, b, equal_var=False) and t.ppf for the interval.
    close(test.t, 5.381334675208178, 1e-9, 't');
    close(test.df, 3.9995749202975572, 1e-9, 'df');
    close(test.p, 0.0057652384439154675, 1e-9, 'p');
    close(test.ci[0], 0.042756734605014154, 1e-9, 'interval low');
    close(test.ci[1], 0.13390993206165258, 1e-9, 'interval high');
    close(test.mdd, 0.06102249960818402, 1e-9, 'detectable difference');
    assert.equal(test.significant, true);
  });

  it('with fewer than 2 runs on a side there is nothing to judge by', () => {
    assert.equal(welchTest([0.7], [0.6, 0.61], { resolution: 1e-4 }), undefined);
    assert.equal(welchTest([0.7, 0.71], [0.6], { resolution: 1e-4 }), undefined);
  });

  it('sd 0 on both sides does not make every change significant: each sd is at least one test image', () => {
    const n = 6000;
    const same = (v: number, k: number) => Array.from({ length: k }, () => v);
    // One image apart, all runs alike: no detectable change at 2, 3 or 5 runs a side.
    for (const k of [2, 3, 5]) assert.equal(welchTest(same(0.7, k), same(0.7 + 1 / n, k), { resolution: 1 / n })!.significant, false, `n = ${k}`);
    const identical = welchTest(same(0.7, 3), same(0.7, 3), { resolution: 1 / n })!;
    assert.equal(identical.p, 1);
    assert.ok(identical.mdd > 0, 'the detectable difference is never 0');
  });

  it('20,000 comparisons of runs from one distribution at n = 2, 3, 5 per side raise a false alarm at most 5.5% of the time', () => {
    const random = new Random(20260101);
    const draw = (k: number) => Array.from({ length: k }, () => 0.7 + 0.01 * random.normal());
    for (const n of [2, 3, 5]) {
      let alarms = 0;
      for (let i = 0; i < 20_000; i++) if (welchTest(draw(n), draw(n), { resolution: 1e-5 })!.significant) alarms++;
      const rate = alarms / 20_000;
      assert.ok(rate <= 0.055, `n = ${n}: false-alarm rate ${(rate * 100).toFixed(2)}%`);
      // Welch is conservative at tiny n, not blind: a rate near 0 would mean the test never fires.
      assert.ok(rate >= 0.015, `n = ${n}: false-alarm rate ${(rate * 100).toFixed(2)}% is implausibly low`);
    }
  });

  it('a true shift of 3 sd is detected at least 90% of the time with 5 runs per side (20,000 comparisons)', () => {
    const random = new Random(77);
    const draw = (k: number, shift: number) => Array.from({ length: k }, () => 0.7 + 0.01 * (shift + random.normal()));
    let detected = 0;
    for (let i = 0; i < 20_000; i++) {
      const test = welchTest(draw(5, 0), draw(5, 3), { resolution: 1e-5 })!;
      if (test.significant && test.delta > 0) detected++;
    }
    assert.ok(detected / 20_000 >= 0.9, `detected ${((detected / 20_000) * 100).toFixed(1)}%`);
  });

  it('the planning figures: the shift n seeds detect 80% of the time, and the power against a 3-sd shift', () => {
    // (t_{.975,2n-2} + t_{.80,2n-2}) · sqrt(2/n)
    close(detectableShift(2), 5.364, 0.001, 'n = 2');
    close(detectableShift(3), 3.035, 0.001, 'n = 3');
    close(detectableShift(5), 2.021, 0.001, 'n = 5');
    assert.ok(powerAt(2, 3) < 0.25, 'two seeds a side rarely see a 3-sd shift');
    assert.ok(powerAt(3, 3) > 0.75 && powerAt(5, 3) > 0.95);
    close(powerAt(3, detectableShift(3)), 0.8, 0.005, 'power at the detectable shift');
  });
});
