import { copyFile, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fsError } from '../util/errno.js';
import { siteSpecs } from './site-charts.js';
import type { SiteData } from './site-types.js';

/**
 * The experiment page (docs/history.md): a static folder, index.html with its Vega-Lite specs and
 * data in data.js and vega, vega-lite and vega-embed beside it, so it opens from file:// (no fetch,
 * which browsers refuse there) and from GitHub Pages alike, with nothing loaded from elsewhere.
 * This module writes the folder; its data is site-types.ts, its charts site-charts.ts.
 */

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
