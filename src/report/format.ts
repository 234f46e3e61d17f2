/**
 * Number formatting for reports. Written by hand rather than with Intl so that the output is the
 * same byte for byte on every machine (ICU data and locales differ between Node builds).
 */

export function formatCount(n: number): string {
  return Math.round(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

export function formatPercent(share: number, digits = 1): string {
  return `${(share * 100).toFixed(digits)}%`;
}

export function formatScore(value: number, digits = 3): string {
  return value.toFixed(digits);
}

/** A signed difference, e.g. "+1.2 pp" for shares or "-0.031" for losses; "±0" when equal at this precision. */
export function formatDelta(delta: number, kind: 'percent' | 'score'): string {
  const text = kind === 'percent' ? (delta * 100).toFixed(1) : delta.toFixed(3);
  const unit = kind === 'percent' ? ' pp' : '';
  if (Number(text) === 0) return `±0${unit}`;
  return `${delta > 0 ? '+' : ''}${text}${unit}`;
}

/** An unsigned gap between shares or scores, e.g. the seed-noise band: "1.1 pp" or "0.010". */
export function formatGap(gap: number, kind: 'percent' | 'score'): string {
  return kind === 'percent' ? `${(gap * 100).toFixed(1)} pp` : gap.toFixed(3);
}
