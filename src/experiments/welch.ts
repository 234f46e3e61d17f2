import tCdf from '@stdlib/stats-base-dists-t-cdf';
import tQuantile from '@stdlib/stats-base-dists-t-quantile';

/**
 * Welch's two-sample t-test, the verdict of every comparison of two sets of runs (PR vs main,
 * `exp diff`, the regression gate): unequal variances, Welch–Satterthwaite degrees of freedom,
 * two-sided. The t distribution's CDF and quantiles come from stdlib (their accuracy at 2–10
 * degrees of freedom is what makes the false-alarm rate what α says).
 */

/** Significance level: a verdict of "better" or "worse" is a false alarm at most this often. */
export const ALPHA = 0.05;
/** Power at which the detectable difference is stated. */
export const POWER = 0.8;

export interface WelchOptions {
  /**
   * The finest difference the metric can show for one run (one test image: 1 / test images).
   * Each side's sd is taken as at least this, so runs that all score the same (sd 0) never make
   * every change significant.
   */
  resolution: number;
  alpha?: number;
  power?: number;
}

export interface WelchTest {
  /** mean(b) − mean(a). */
  delta: number;
  /** Standard error of delta: sqrt(sd_a²/n_a + sd_b²/n_b), sds floored at the resolution. */
  se: number;
  /** Welch–Satterthwaite degrees of freedom. */
  df: number;
  t: number;
  /** Two-sided p-value. */
  p: number;
  /** The 1 − α confidence interval of delta. */
  ci: [number, number];
  /**
   * Minimal detectable difference: the |delta| this test calls significant with probability
   * `power` at level α, given this SE and df: (t_{1−α/2, df} + t_{power, df}) · SE.
   */
  mdd: number;
  significant: boolean;
}

const mean = (values: readonly number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;
const variance = (values: readonly number[], m = mean(values)) => values.reduce((sum, v) => sum + (v - m) ** 2, 0) / (values.length - 1);

/** Welch's test of b against a; undefined with fewer than 2 runs on a side (no variance to judge by). */
export function welchTest(a: readonly number[], b: readonly number[], options: WelchOptions): WelchTest | undefined {
  if (a.length < 2 || b.length < 2) return undefined;
  if (!(options.resolution > 0)) throw new RangeError(`welchTest: resolution must be > 0, got ${options.resolution}`);
  const alpha = options.alpha ?? ALPHA;
  const power = options.power ?? POWER;
  const floor = options.resolution ** 2;
  const va = Math.max(variance(a), floor) / a.length;
  const vb = Math.max(variance(b), floor) / b.length;
  const se = Math.sqrt(va + vb);
  const df = (va + vb) ** 2 / (va ** 2 / (a.length - 1) + vb ** 2 / (b.length - 1));
  const delta = mean(b) - mean(a);
  const t = delta / se;
  // The lower tail, doubled: 1 − cdf(|t|) would round to 0 long before the p-value does.
  const p = Math.min(1, 2 * tCdf(-Math.abs(t), df));
  const critical = tQuantile(1 - alpha / 2, df);
  return {
    delta,
    se,
    df,
    t,
    p,
    ci: [delta - critical * se, delta + critical * se],
    mdd: (critical + tQuantile(power, df)) * se,
    significant: p < alpha,
  };
}

/**
 * The shift, in units of the runs' sd, that `n` runs per side detect with probability `power`
 * (equal sds, so df = 2n − 2): what a matrix with n seeds can promise before it runs.
 */
export function detectableShift(n: number, options: { alpha?: number; power?: number } = {}): number {
  if (!Number.isInteger(n) || n < 2) throw new RangeError(`detectableShift: n must be a whole number ≥ 2, got ${n}`);
  const df = 2 * n - 2;
  return (tQuantile(1 - (options.alpha ?? ALPHA) / 2, df) + tQuantile(options.power ?? POWER, df)) * Math.sqrt(2 / n);
}

/**
 * The chance that `n` runs per side call a true shift of `shift` sd significant (equal sds; the
 * usual shifted-t approximation of the noncentral t).
 */
export function powerAt(n: number, shift: number, options: { alpha?: number } = {}): number {
  if (!Number.isInteger(n) || n < 2) throw new RangeError(`powerAt: n must be a whole number ≥ 2, got ${n}`);
  const df = 2 * n - 2;
  const critical = tQuantile(1 - (options.alpha ?? ALPHA) / 2, df);
  const centre = shift / Math.sqrt(2 / n);
  return 1 - tCdf(critical - centre, df) + tCdf(-critical - centre, df);
}
