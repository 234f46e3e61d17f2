import type { TopLevelSpec } from 'vega-lite';
import { confusionHeatmapSpec } from './charts.js';
import type { SiteData } from './site-types.js';

/** The Vega-Lite charts of the experiment page, made from its data; the page's app.js embeds them by element id. */

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const WIDTH = 760;

function trendSpec(data: SiteData, metric: 'accuracy' | 'macroF1'): TopLevelSpec {
  const label = metric === 'accuracy' ? 'accuracy' : 'macro-F1';
  const values = data.trend.map((p) => ({
    date: p.date,
    commit: p.commit.slice(0, 7),
    versions: p.versions,
    runs: p.runs,
    mean: p[metric].mean,
    min: p[metric].min,
    max: p[metric].max,
  }));
  return {
    $schema: SCHEMA,
    title: `${label} per data version: mean over seeds, band from the worst to the best seed`,
    width: WIDTH,
    height: 260,
    data: { values },
    encoding: {
      x: { field: 'date', type: 'temporal', title: null },
      color: { field: 'versions', type: 'nominal', title: 'versions' },
    },
    layer: [
      {
        mark: { type: 'area', opacity: 0.18 },
        encoding: {
          y: { field: 'min', type: 'quantitative', title: label, scale: { zero: false }, axis: metric === 'accuracy' ? { format: '.0%' } : { format: '.2f' } },
          y2: { field: 'max' },
        },
      },
      {
        mark: { type: 'line', point: values.length <= 200 },
        encoding: {
          y: { field: 'mean', type: 'quantitative' },
          tooltip: [
            { field: 'date', type: 'temporal', format: '%Y-%m-%d %H:%M' },
            { field: 'commit' },
            { field: 'versions' },
            { field: 'runs', title: 'seeds' },
            { field: 'mean', format: metric === 'accuracy' ? '.1%' : '.3f' },
            { field: 'min', format: metric === 'accuracy' ? '.1%' : '.3f' },
            { field: 'max', format: metric === 'accuracy' ? '.1%' : '.3f' },
          ],
        },
      },
    ],
  };
}

function perClassSpec(data: SiteData): TopLevelSpec {
  return {
    $schema: SCHEMA,
    title: data.perClassBucket === 'week' ? 'F1 per class over time (mean over each week’s runs)' : 'F1 per class over time (mean over each matrix’s runs)',
    width: WIDTH,
    height: 240,
    data: { values: data.perClass },
    mark: { type: 'rect' },
    encoding: {
      x: {
        field: 'date',
        type: 'ordinal',
        timeUnit: 'utcyearmonthdatehoursminutes',
        title: null,
        axis: { labelOverlap: true, format: '%m-%d', labelAngle: 0 },
      },
      y: { field: 'class', type: 'nominal', title: null, sort: null },
      color: { field: 'f1', type: 'quantitative', title: 'F1', scale: { scheme: 'redyellowgreen', domain: [0, 1] } },
      tooltip: [
        { field: 'date', type: 'temporal', format: '%Y-%m-%d', title: data.perClassBucket === 'week' ? 'week of' : 'date' },
        { field: 'class' },
        { field: 'f1', format: '.3f' },
      ],
    },
  };
}

function speedSpec(data: SiteData): TopLevelSpec {
  const panel = (field: 'trainSeconds' | 'imagesPerSecond', title: string) => ({
    width: WIDTH / 2 - 40,
    height: 200,
    title,
    transform: [{ filter: `isValid(datum.${field})` }],
    mark: { type: 'line' as const, point: data.speed.length <= 120 },
    encoding: {
      x: { field: 'date', type: 'temporal' as const, title: null },
      y: { field, type: 'quantitative' as const, title, scale: { zero: true } },
      color: { field: 'backend', type: 'nominal' as const, title: 'backend' },
      tooltip: [{ field: 'date', type: 'temporal' as const }, { field: 'backend' }, { field, format: '.1f' }],
    },
  });
  return {
    $schema: SCHEMA,
    title: 'Training time and speed per backend',
    data: { values: data.speed },
    hconcat: [panel('trainSeconds', 'training seconds per run'), panel('imagesPerSecond', 'training images/s')],
  };
}

/** Every chart of the page by its element id. */
export function siteSpecs(data: SiteData): Record<string, TopLevelSpec> {
  const specs: Record<string, TopLevelSpec> = {
    accuracy: trendSpec(data, 'accuracy'),
    'macro-f1': trendSpec(data, 'macroF1'),
    'per-class': perClassSpec(data),
    speed: speedSpec(data),
  };
  data.confusion.forEach((c, i) => {
    specs[`confusion-${i}`] = confusionHeatmapSpec(c.classes, c.matrix, {
      normalised: true,
      cellSize: 30,
      title: `${c.versions} (${c.runs} run${c.runs === 1 ? '' : 's'}, summed)`,
    });
  });
  return specs;
}
