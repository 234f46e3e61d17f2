import { copyFile, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TopLevelSpec } from 'vega-lite';
import { fsError } from '../util/errno.js';
import { confusionHeatmapSpec } from './charts.js';

/**
 * The experiment page (docs/history.md): a static folder, index.html with its Vega-Lite specs and
 * data in data.js and vega, vega-lite and vega-embed beside it, so it opens from file:// (no fetch,
 * which browsers refuse there) and from GitHub Pages alike, with nothing loaded from elsewhere.
 * This module takes plain data; the experiments layer builds it from the history.
 */

export interface Band {
  mean: number;
  min: number;
  max: number;
}

export interface SiteData {
  title: string;
  /** ISO time the page was made. */
  generated: string;
  /** `owner/name`, for the heading's link; absent locally. */
  repository?: string;
  counts: { runs: number; matrices: number; first?: string; last?: string };
  /** Mean and seed band per matrix and version spec, in time order. */
  trend: { date: string; commit: string; versions: string; runs: number; accuracy: Band; macroF1: Band }[];
  /** Mean F1 per class and matrix, or per week (dated by its Monday) for long histories. */
  perClass: { date: string; class: string; f1: number }[];
  perClassBucket: 'matrix' | 'week';
  /** Mean per matrix and backend. */
  speed: { date: string; backend: string; trainSeconds: number; imagesPerSecond: number | null }[];
  /** The latest matrix's confusion matrices per version spec, summed over its seeds. */
  confusion: { versions: string; runs: number; classes: string[]; matrix: number[][] }[];
  hard: { id: string; class: string; wrongAs: string; errorRate: number; since: string; matrices: number }[];
  /** A picture of the hard images, copied into the page. */
  hardSheet?: string;
  /** One row per workflow run (or local day), newest first. */
  runs: { date: string; event: string; url?: string; label: string; commit: string; runs: number; versions: string[]; bestAccuracy: number }[];
  /** The history file, offered for download. */
  historyFile?: string;
}

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

/** The folder of an installed package (their `exports` hide the UMD builds from require.resolve). */
function packageDir(name: string): string {
  const entry = createRequire(import.meta.url).resolve(name);
  const at = entry.lastIndexOf(`${join('node_modules', name)}`);
  return join(entry.slice(0, at), 'node_modules', name);
}

export const VENDOR_FILES = [
  { name: 'vega.min.js', from: () => join(packageDir('vega'), 'build', 'vega.min.js') },
  { name: 'vega-lite.min.js', from: () => join(packageDir('vega-lite'), 'build', 'vega-lite.min.js') },
  { name: 'vega-embed.min.js', from: () => join(packageDir('vega-embed'), 'build', 'vega-embed.min.js') },
];

const ASSETS = ['app.js', 'style.css'];
const assetPath = (name: string) => fileURLToPath(new URL(`../../../src/report/site/${name}`, import.meta.url));

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function indexHtml(data: SiteData): string {
  const title = escapeHtml(data.title);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${title}</title>
<link rel="stylesheet" href="style.css">
</head>
<body>
<header><h1>${title}</h1><p id="summary"></p></header>
<main>
<section><h2>Accuracy</h2><div class="chart" id="accuracy"></div></section>
<section><h2>Macro-F1</h2><div class="chart" id="macro-f1"></div></section>
<section><h2>Per class</h2><div class="chart" id="per-class"></div></section>
<section><h2>Training time and speed</h2><div class="chart" id="speed"></div></section>
<section><h2>Latest confusion matrices</h2><div id="confusion" class="row"></div></section>
<section><h2>Hard images</h2><div id="hard"></div></section>
<section><h2>Runs</h2><div id="runs"></div></section>
</main>
<footer id="footer"></footer>
<script src="vega.min.js"></script>
<script src="vega-lite.min.js"></script>
<script src="vega-embed.min.js"></script>
<script src="data.js"></script>
<script src="app.js"></script>
</body>
</html>
`;
}

/** `</script>` inside the JSON would end data.js's script element early when inlined; escaped as < in strings. */
const scriptSafeJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

export interface WrittenSite {
  dir: string;
  files: { name: string; bytes: number }[];
  bytes: number;
}

/**
 * Writes the page into `out` (replacing what was there): built in a sibling folder first and
 * renamed into place, so a failure leaves the previous page whole.
 */
export async function writeSite(out: string, data: SiteData, files: { historyFile?: string; hardSheet?: string } = {}): Promise<WrittenSite> {
  const temp = join(dirname(out), `.${basename(out)}.tmp-${process.pid}`);
  await rm(temp, { recursive: true, force: true });
  try {
    await mkdir(temp, { recursive: true });
    const page: SiteData = {
      ...data,
      historyFile: files.historyFile ? 'history.jsonl' : undefined,
      hardSheet: files.hardSheet ? 'hard_images.png' : undefined,
    };
    await writeFile(join(temp, 'index.html'), indexHtml(page));
    // The series live in the specs only: the tables and the heading need no second copy.
    const { trend: _trend, perClass: _perClass, perClassBucket: _bucket, speed: _speed, ...tables } = page;
    await writeFile(
      join(temp, 'data.js'),
      `window.CIFAR10_SITE = ${scriptSafeJson({ data: { ...tables, confusion: page.confusion.map((c) => c.versions) }, specs: siteSpecs(page) })};\n`,
    );
    for (const name of ASSETS) await copyFile(assetPath(name), join(temp, name));
    for (const vendor of VENDOR_FILES) await copyFile(vendor.from(), join(temp, vendor.name));
    if (files.historyFile) await copyFile(files.historyFile, join(temp, 'history.jsonl'));
    if (files.hardSheet) await copyFile(files.hardSheet, join(temp, 'hard_images.png'));
    await rm(out, { recursive: true, force: true });
    await rename(temp, out);
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw fsError(error, out, 'write');
  }
  const names = [
    'index.html',
    'data.js',
    ...ASSETS,
    ...VENDOR_FILES.map((v) => v.name),
    ...(files.historyFile ? ['history.jsonl'] : []),
    ...(files.hardSheet ? ['hard_images.png'] : []),
  ];
  const sized = await Promise.all(names.map(async (name) => ({ name, bytes: (await stat(join(out, name))).size })));
  return { dir: out, files: sized, bytes: sized.reduce((a, f) => a + f.bytes, 0) };
}
