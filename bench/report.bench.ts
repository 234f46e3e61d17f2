// Evaluate and report on a 10,000-image, 10-class run with random pixels and probabilities:
// scoring, predictions.csv, each picture and the markdown. `npm run bench -- report`.
import { CLASS_NAMES } from '../src/cifar/classes.js';
import { classificationMetrics } from '../src/evaluate/metrics.js';
import { predictionRows } from '../src/evaluate/predictions.js';
import { formatPredictionsCsv, toMetricsFile } from '../src/evaluate/report-files.js';
import { confusionHeatmapSpec, learningCurvesSpec } from '../src/report/charts.js';
import { renderMisclassifiedGrid } from '../src/report/misclassified.js';
import { renderVegaLitePng } from '../src/report/render.js';
import { runReportMarkdown } from '../src/report/run-report.js';
import { Random } from '../src/util/random.js';

const n = 10_000;
const random = new Random(1);
const labels = new Uint8Array(n).map(() => random.int(10));
const probabilities = new Float32Array(n * 10);
for (let i = 0; i < n; i++) {
  let sum = 0;
  for (let k = 0; k < 10; k++) {
    const v = random.next() + (k === labels[i] ? 1.2 : 0);
    probabilities[i * 10 + k] = v;
    sum += v;
  }
  for (let k = 0; k < 10; k++) probabilities[i * 10 + k]! /= sum;
}
const pixels = new Uint8Array(n * 3072).map(() => random.int(256));
const ids = Array.from({ length: n }, (_, i) => `test-${String(i).padStart(5, '0')}`);

async function time<T>(label: string, work: () => T | Promise<T>): Promise<T> {
  const started = performance.now();
  const out = await work();
  console.log(`${label.padEnd(40)} ${(performance.now() - started).toFixed(0).padStart(6)} ms`);
  return out;
}

const rows = await time('prediction rows (10,000 images)', () => predictionRows(ids, labels, probabilities, CLASS_NAMES));
const predicted = rows.map((row) => CLASS_NAMES.indexOf(row.predictedClass as (typeof CLASS_NAMES)[number]));
const metrics = await time('metrics + confusion (10,000 images)', () =>
  classificationMetrics({ trueLabels: labels, predictedLabels: predicted, classes: CLASS_NAMES, probabilities }),
);
await time('predictions.csv text (10,000 rows)', () => formatPredictionsCsv(rows));
await time('first chart, loading vega', () => renderVegaLitePng(confusionHeatmapSpec(CLASS_NAMES, metrics.confusion), { scale: 1.5 }));
await time('confusion heat map', () => renderVegaLitePng(confusionHeatmapSpec(CLASS_NAMES, metrics.confusion), { scale: 1.5 }));
const log = Array.from({ length: 30 }, (_, i) => ({ epoch: i + 1, loss: 2 / (i + 1), acc: 0.5, val_loss: 2 / (i + 1), val_acc: 0.5, lr: 0.001 }));
await time('learning curves (30 epochs)', () => renderVegaLitePng(learningCurvesSpec(log), { scale: 1.5 }));
await time('misclassified grid (24 images)', () => renderMisclassifiedGrid(rows, { ids, labels, pixels }, { limit: 24 }));
const file = toMetricsFile(metrics, { backend: 'none', data_version: 'v1', seed: 1 });
const markdown = await time('report markdown', () =>
  runReportMarkdown({ metrics: file, confusion: { classes: [...CLASS_NAMES], matrix: metrics.confusion }, trainLog: log }),
);
console.log(`report markdown: ${markdown.length} characters`);
