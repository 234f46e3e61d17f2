import type { TopLevelSpec } from 'vega-lite';
import { normaliseRows } from '../evaluate/metrics.js';
import type { TrainLogRow } from './train-log.js';

/**
 * Vega-Lite specs of the report pictures. They are plain data so they can also be saved next to
 * the PNGs or fed to any other Vega renderer; `render.ts` turns them into pixels.
 */

export interface ConfusionChartOptions {
  /** Colour and label each cell by its share of the true class's row instead of the raw count. */
  normalised?: boolean;
  title?: string;
  /** Side of one cell in CSS pixels. */
  cellSize?: number;
}

export function confusionHeatmapSpec(classes: readonly string[], matrix: number[][], options: ConfusionChartOptions = {}): TopLevelSpec {
  const shares = normaliseRows(matrix);
  const values = matrix.flatMap((row, t) => row.map((count, p) => ({ true: classes[t]!, predicted: classes[p]!, count, share: shares[t]![p]! })));
  const normalised = options.normalised ?? false;
  const field = normalised ? 'share' : 'count';
  const max = Math.max(1, ...values.map((v) => v[field]));
  const side = (options.cellSize ?? 44) * classes.length;
  const order = [...classes];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: options.title ?? (normalised ? 'Confusion matrix (share of each true class)' : 'Confusion matrix (counts)'),
    data: { values },
    width: side,
    height: side,
    background: 'white',
    encoding: {
      x: { field: 'predicted', type: 'nominal', sort: order, title: 'predicted class', axis: { labelAngle: -40, orient: 'top' } },
      y: { field: 'true', type: 'nominal', sort: order, title: 'true class' },
    },
    layer: [
      {
        mark: { type: 'rect', stroke: 'white', strokeWidth: 1 },
        encoding: {
          color: {
            field,
            type: 'quantitative',
            scale: { scheme: 'blues', domain: [0, max] },
            title: normalised ? 'share' : 'images',
            legend: normalised ? { format: '.0%' } : {},
          },
        },
      },
      {
        mark: { type: 'text', fontSize: 11 },
        encoding: {
          text: normalised ? { field: 'share', type: 'quantitative', format: '.0%' } : { field: 'count', type: 'quantitative' },
          color: { condition: { test: `datum.${field} > ${max / 2}`, value: 'white' }, value: 'black' },
        },
      },
    ],
    config: { view: { stroke: null } },
  };
}

interface CurvePoint {
  epoch: number;
  metric: 'loss' | 'accuracy';
  split: 'train' | 'validation';
  value: number;
}

/** The log in long form, leaving out values the log did not record (e.g. no validation split). */
export function learningCurvePoints(log: readonly TrainLogRow[]): CurvePoint[] {
  const points: CurvePoint[] = [];
  const add = (epoch: number, metric: CurvePoint['metric'], split: CurvePoint['split'], value: number | null) => {
    if (value !== null) points.push({ epoch, metric, split, value });
  };
  for (const row of log) {
    add(row.epoch, 'loss', 'train', row.loss);
    add(row.epoch, 'loss', 'validation', row.val_loss);
    add(row.epoch, 'accuracy', 'train', row.acc);
    add(row.epoch, 'accuracy', 'validation', row.val_acc);
  }
  return points;
}

export function learningCurvesSpec(log: readonly TrainLogRow[], options: { title?: string } = {}): TopLevelSpec {
  const points = learningCurvePoints(log);
  const panel = (metric: CurvePoint['metric']) => ({
    title: metric,
    width: 320,
    height: 220,
    transform: [{ filter: `datum.metric === '${metric}'` }],
    mark: { type: 'line' as const, point: true },
    encoding: {
      x: { field: 'epoch', type: 'quantitative' as const, title: 'epoch', axis: { tickMinStep: 1 } },
      y: {
        field: 'value',
        type: 'quantitative' as const,
        title: metric,
        scale: metric === 'accuracy' ? { domain: [0, 1] } : { zero: true },
        axis: metric === 'accuracy' ? { format: '.0%' } : {},
      },
      color: {
        field: 'split',
        type: 'nominal' as const,
        title: null,
        scale: { domain: ['train', 'validation'], range: ['#1f77b4', '#ff7f0e'] },
      },
    },
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: options.title ?? 'Learning curves',
    data: { values: points },
    background: 'white',
    hconcat: [panel('loss'), panel('accuracy')],
  };
}

/**
 * Validation accuracy per epoch of several runs (the seeds of one version): a thin line per run and
 * the band of mean ± sd over them, so a reader sees how far seeds alone spread the curve.
 */
export function seedCurvesSpec(runs: readonly { runId: string; log: readonly TrainLogRow[] }[], options: { title?: string } = {}): TopLevelSpec {
  const values = runs.flatMap(({ runId, log }) =>
    log.filter((row) => row.val_acc !== null).map((row) => ({ run: runId, epoch: row.epoch, value: row.val_acc })),
  );
  const x = { field: 'epoch', type: 'quantitative' as const, title: 'epoch', axis: { tickMinStep: 1 } };
  const y = { field: 'value', type: 'quantitative' as const, title: 'validation accuracy', scale: { zero: false }, axis: { format: '.0%' } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: options.title ?? 'Validation accuracy of every seed',
    data: { values },
    background: 'white',
    width: 480,
    height: 260,
    layer: [
      { mark: { type: 'errorband', extent: 'stdev', color: '#9ecae1' }, encoding: { x, y } },
      { mark: { type: 'line', strokeWidth: 1, opacity: 0.8 }, encoding: { x, y, color: { field: 'run', type: 'nominal', title: 'run' } } },
      { mark: { type: 'line', strokeWidth: 2.5, color: '#08306b' }, encoding: { x, y: { ...y, aggregate: 'mean' } } },
    ],
  };
}
