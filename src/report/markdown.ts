import { markdownTable } from 'markdown-table';
import { topConfusions } from '../evaluate/metrics.js';
import type { ConfusionFile, MetricsFile } from '../evaluate/report-files.js';
import { betterOnValidation } from '../model/train-log.js';
import type { EvaluateTiming, TrainTiming } from '../util/timing.js';
import { formatCount, formatDelta, formatPercent, formatScore } from './format.js';
import type { TrainLogRow } from './train-log.js';

/**
 * Markdown building blocks for one run's report: used by `cifar10 report`, the PR comment and job
 * summary (src/github/pr-comment.ts) and the experiments tables. Every function is deterministic:
 * the same inputs give the same bytes, so golden files and comment updates stay stable.
 */

/** Short column headers keep the 10×10 matrix narrow enough to read without scrolling. */
const SHORT_NAMES: Record<string, string> = { airplane: 'plane', automobile: 'car' };
export const shortClassName = (name: string): string => SHORT_NAMES[name] ?? name;

/**
 * Shading of a confusion cell by its share of the true class's row: the colour says where to look.
 * Diagonal cells (correct) are green when recall is high; off-diagonal cells turn yellow, orange
 * and red as a confusion grows.
 */
export const CONFUSION_SHADES = {
  diagonal: [
    { min: 0.75, mark: '🟩' },
    { min: 0.5, mark: '🟨' },
    { min: 0, mark: '🟥' },
  ],
  offDiagonal: [
    { min: 0.15, mark: '🟥' },
    { min: 0.1, mark: '🟧' },
    { min: 0.05, mark: '🟨' },
  ],
} as const;

export const CONFUSION_LEGEND =
  'Rows are true classes, columns predicted classes. Diagonal: 🟩 recall ≥ 75%, 🟨 ≥ 50%, 🟥 below. ' +
  'Elsewhere, share of the true class sent to the wrong column: 🟨 ≥ 5%, 🟧 ≥ 10%, 🟥 ≥ 15%.';

function shade(share: number, diagonal: boolean): string {
  const scale = diagonal ? CONFUSION_SHADES.diagonal : CONFUSION_SHADES.offDiagonal;
  return scale.find((step) => share >= step.min)?.mark ?? '';
}

/** The PR comment's confusion legend: one colour scale in the table, the share of a row that went wrong. */
export const CONFUSION_ERRORS_LEGEND =
  'Rows are true classes, columns predicted classes; the diagonal (bold) counts the correct answers. ' +
  'One colour scale, the share of the true class sent to the wrong column: 🟨 ≥ 5%, 🟧 ≥ 10%, 🟥 ≥ 15%.';

/**
 * The confusion matrix as a markdown table with a shade mark before each noteworthy count:
 * `scale: 'errors'` shades only the mistakes (one scale, for the PR comment); the default also
 * shades the diagonal by recall (CONFUSION_LEGEND).
 */
export function confusionTable(confusion: ConfusionFile, options: { scale?: 'errors' } = {}): string {
  const { classes, matrix } = confusion;
  const header = ['true \\ predicted', ...classes.map(shortClassName)];
  const rows = matrix.map((row, t) => {
    const support = row.reduce((a, b) => a + b, 0);
    return [
      `**${classes[t]}**`,
      ...row.map((count, p) => {
        const share = support === 0 ? 0 : count / support;
        const mark = support === 0 || (options.scale === 'errors' && t === p) ? '' : shade(share, t === p);
        const text = t === p ? `**${formatCount(count)}**` : formatCount(count);
        return mark ? `${mark} ${text}` : text;
      }),
    ];
  });
  return markdownTable([header, ...rows], { align: ['l', ...classes.map(() => 'r')] });
}

/** Mean share of each cell of its true class's row, over runs. */
function meanShares(confusions: readonly ConfusionFile[]): number[][] {
  const n = confusions[0]!.classes.length;
  const shares = Array.from({ length: n }, () => Array<number>(n).fill(0));
  for (const { matrix } of confusions) {
    matrix.forEach((row, t) => {
      const support = row.reduce((a, b) => a + b, 0);
      row.forEach((count, p) => (shares[t]![p]! += support === 0 ? 0 : count / support / confusions.length));
    });
  }
  return shares;
}

export const CONFUSION_CHANGES_LEGEND =
  "Share of the true class given each answer, mean over each side's runs; Δ = this PR − main in percentage points. " +
  'One colour scale, what the change means for the model: 🟩 better (more right answers or fewer of this mistake), 🟥 worse.';

/**
 * "What changed": the confusion cells whose share moved most between two sets of runs (main and
 * this PR), largest first; undefined when nothing moved.
 */
export function confusionChangesTable(main: readonly ConfusionFile[], pr: readonly ConfusionFile[], limit = 8): string | undefined {
  if (main.length === 0 || pr.length === 0) return undefined;
  const classes = pr[0]!.classes;
  const a = meanShares(main);
  const b = meanShares(pr);
  const cells = classes.flatMap((_, t) => classes.map((__, p) => ({ t, p, delta: b[t]![p]! - a[t]![p]! })));
  const moved = cells.filter((c) => Math.abs(c.delta) >= 0.0005).sort((x, y) => Math.abs(y.delta) - Math.abs(x.delta) || x.t - y.t || x.p - y.p);
  if (moved.length === 0) return undefined;
  const rows = moved.slice(0, limit).map(({ t, p, delta }) => {
    const helps = t === p ? delta > 0 : delta < 0;
    const cell = t === p ? `${classes[t]} (correct)` : `${classes[t]} → ${classes[p]}`;
    return [`${helps ? '🟩' : '🟥'} ${cell}`, formatPercent(a[t]![p]!), formatPercent(b[t]![p]!), formatDelta(delta, 'percent')];
  });
  return markdownTable([['true → answer', 'main', 'this PR', 'Δ'], ...rows], { align: ['l', 'r', 'r', 'r'] });
}

/** Headline metrics; with a baseline (e.g. the main branch) a Δ column shows the change. */
export function metricsTable(metrics: MetricsFile, baseline?: MetricsFile): string {
  const rows: [string, number, 'percent' | 'score', boolean][] = [
    ['accuracy', metrics.accuracy, 'percent', true],
    ['loss', metrics.loss, 'score', false],
    ['macro precision', metrics.macro.precision, 'score', true],
    ['macro recall', metrics.macro.recall, 'score', true],
    ['macro F1', metrics.macro.f1, 'score', true],
    ['weighted precision', metrics.weighted.precision, 'score', true],
    ['weighted recall', metrics.weighted.recall, 'score', true],
    ['weighted F1', metrics.weighted.f1, 'score', true],
  ];
  const baselineValue = (name: string): number | undefined => {
    if (!baseline) return undefined;
    const [group, key] = name.split(' ') as [string, string | undefined];
    if (!key) return baseline[group as 'accuracy' | 'loss'];
    return baseline[group as 'macro' | 'weighted']?.[key === 'F1' ? 'f1' : (key as 'precision' | 'recall')];
  };
  const format = (value: number, kind: 'percent' | 'score') => (kind === 'percent' ? formatPercent(value) : formatScore(value));
  const table = rows.map(([name, value, kind]) => {
    const cells = [name, format(value, kind)];
    if (baseline) {
      const before = baselineValue(name);
      cells.push(before === undefined ? 'n/a' : format(before, kind), before === undefined ? 'n/a' : formatDelta(value - before, kind));
    }
    return cells;
  });
  const header = baseline ? ['metric', 'this run', 'baseline', 'Δ'] : ['metric', 'value'];
  return markdownTable([header, ...table], { align: baseline ? ['l', 'r', 'r', 'r'] : ['l', 'r'] });
}

/**
 * The facts of the run: how many images, which data, seed and backend, and, when the run's timing
 * file is at hand, how fast it scored them (report.md, which dvc.lock hashes, is made without).
 */
export function runFactsTable(metrics: MetricsFile, timing?: EvaluateTiming): string {
  const header = ['test images', 'data version', 'seed', 'backend'];
  const row = [formatCount(metrics.test_images), `\`${metrics.data_version}\``, String(metrics.seed), metrics.backend];
  if (timing) {
    header.push('images/s');
    row.push(formatCount(timing.images_per_second));
  }
  return markdownTable([header, row], { align: ['r', 'l', 'r', 'l', 'r'] });
}

/** Precision, recall, F1 and support per class, and where each class's mistakes mostly go. */
export function perClassTable(metrics: MetricsFile, confusion?: ConfusionFile): string {
  const rows = Object.entries(metrics.per_class).map(([name, scores]) => {
    const cells = [name, formatScore(scores.precision), formatScore(scores.recall), formatScore(scores.f1), formatCount(scores.support)];
    if (confusion) {
      const t = confusion.classes.indexOf(name);
      const row = t >= 0 ? confusion.matrix[t]! : [];
      let worst = -1;
      row.forEach((count, p) => {
        if (p !== t && count > 0 && (worst < 0 || count > row[worst]!)) worst = p;
      });
      cells.push(worst < 0 ? '–' : `${confusion.classes[worst]} (${formatCount(row[worst]!)})`);
    }
    return cells;
  });
  const header = ['class', 'precision', 'recall', 'F1', 'support'];
  if (confusion) header.push('most often mistaken for');
  return markdownTable([header, ...rows], { align: ['l', 'r', 'r', 'r', 'r', 'l'] });
}

export interface VerdictOptions {
  /** Accuracy a run must reach; 0 or absent: no pass/fail, just the summary. */
  minAccuracy?: number;
  confusion?: ConfusionFile;
  /** A baseline run (e.g. main): the verdict then states the accuracy change. */
  baseline?: MetricsFile;
}

/** One line a reviewer reads first: accuracy, pass/fail against a threshold, best/worst class, top confusion. */
export function verdictLine(metrics: MetricsFile, options: VerdictOptions = {}): string {
  const change = options.baseline ? ` (${formatDelta(metrics.accuracy - options.baseline.accuracy, 'percent')} vs baseline)` : '';
  const accuracy = `**${formatPercent(metrics.accuracy)}**${change} accuracy on ${formatCount(metrics.test_images)} test images (\`${metrics.data_version}\`, seed ${metrics.seed})`;
  let head: string;
  if (options.minAccuracy && options.minAccuracy > 0) {
    head =
      metrics.accuracy >= options.minAccuracy
        ? `✅ ${accuracy}, at or above the ${formatPercent(options.minAccuracy)} bar`
        : `❌ ${accuracy}, below the ${formatPercent(options.minAccuracy)} bar`;
  } else {
    head = `📊 ${accuracy}`;
  }
  const ranked = Object.entries(metrics.per_class)
    .filter(([, scores]) => scores.support > 0)
    .sort(([a, x], [b, y]) => y.f1 - x.f1 || (a < b ? -1 : 1));
  const parts = [head];
  if (ranked.length > 1) {
    const [bestName, best] = ranked[0]!;
    const [worstName, worst] = ranked[ranked.length - 1]!;
    parts.push(`best ${bestName} (F1 ${formatScore(best.f1, 2)}), worst ${worstName} (F1 ${formatScore(worst.f1, 2)})`);
  }
  if (options.confusion) {
    const [top] = topConfusions(options.confusion.matrix, options.confusion.classes, 1);
    if (top) parts.push(`most confused: ${top.trueClass} → ${top.predictedClass} (${formatCount(top.count)})`);
  }
  return `${parts.join('; ')}.`;
}

/**
 * Epochs run, best validation accuracy and where it was reached, final training accuracy, and with
 * the run's timing file the training time and speed.
 */
export function trainingTable(log: readonly TrainLogRow[], timing?: TrainTiming): string {
  if (log.length === 0) return '_The training log is empty._';
  const last = log[log.length - 1]!;
  const withVal = log.filter((row) => row.val_acc !== null);
  const better = (row: TrainLogRow, best: TrainLogRow) =>
    betterOnValidation({ acc: row.val_acc!, loss: row.val_loss ?? Infinity }, { acc: best.val_acc!, loss: best.val_loss ?? Infinity });
  const best = withVal.reduce<TrainLogRow | undefined>((a, row) => (a === undefined || better(row, a) ? row : a), undefined);
  const header = ['epochs', 'best val acc (epoch)', 'final train acc', 'final val loss'];
  const row = [
    String(log.length),
    best ? `${formatPercent(best.val_acc!)} (${best.epoch})` : 'n/a',
    last.acc === null ? 'n/a' : formatPercent(last.acc),
    last.val_loss === null ? 'n/a' : formatScore(last.val_loss),
  ];
  if (timing) {
    header.push('train time', 'images/s');
    row.push(`${timing.seconds.toFixed(0)} s`, formatCount(timing.images_per_second));
  }
  return markdownTable([header, row], { align: ['r', 'r', 'r', 'r', 'r', 'r'] });
}
