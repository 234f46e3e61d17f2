/// <reference lib="dom" />
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'puppeteer-core';
import { PROJECT_ROOT } from '../actions/local-runner.js';
import { buildSynthHistory, type SynthHistory } from '../fixtures/synth-history.js';
import { chromiumMissing, launchChromium, loadPage, servePages } from './browser.js';

const run = promisify(execFile);
const CLI = join(PROJECT_ROOT, 'dist', 'src', 'cli.js');
const missing = await chromiumMissing();

/**
 * The experiment page in a real browser: a year of nightly matrices (365 × 9 runs) appended through
 * `cifar10 history append`'s code, the page written by `cifar10 site`, opened by headless Chromium
 * from file:// and from a Pages-like server; the screenshots in docs/images/ come from here
 * (UPDATE_GOLDEN=1 rewrites them).
 */
describe('the experiment page in headless Chromium', { skip: missing }, () => {
  let dir: string;
  let out: string;
  let history: SynthHistory;
  let browser: Browser;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'site-browser-'));
    history = await buildSynthHistory(dir);
    out = join(dir, 'site');
    // SOURCE_DATE_EPOCH fixes the page's "generated" date, so the screenshots do not change by themselves.
    await run(
      process.execPath,
      [CLI, 'site', '--out', out, '--file', history.historyFile, '--results', history.resultsDir, '--hard-images', join(dir, 'none')],
      { env: { ...process.env, SOURCE_DATE_EPOCH: '1796000000' } },
    );
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('holds a year of nightly runs', () => {
    const runs = history.records.filter((r) => r.kind === 'run');
    assert.equal(runs.length, 365 * 9);
    assert.equal(new Set(runs.map((r) => r.workflow_run!.id)).size, 365);
  });

  it('from file://: every chart draws its marks, nothing is fetched from elsewhere, no console error', async () => {
    const page = await browser.newPage();
    await page.setViewport({ width: 960, height: 900, deviceScaleFactor: 1 });
    const load = await loadPage(page, pathToFileURL(join(out, 'index.html')).href);
    assert.equal(load.state, 'ready', load.error ?? '');
    assert.deepEqual(load.problems, []);
    assert.deepEqual(Object.keys(load.marks).sort(), ['accuracy', 'confusion-0', 'confusion-1', 'confusion-2', 'macro-f1', 'per-class', 'speed']);
    for (const [chart, n] of Object.entries(load.marks)) assert.ok(n > 0, `${chart} drew no marks`);
    // A heat-map cell per week (Monday to Sunday, so 53 weeks touch a year) and class; 100 cells and labels per confusion matrix.
    assert.equal(load.marks['per-class'], 53 * 10);
    assert.equal(load.marks['confusion-0'], 200);
    assert.deepEqual(
      load.requests.filter((u) => !u.startsWith('file://')),
      [],
    );
    assert.equal(await page.$$eval('#runs tbody tr', (rows) => rows.length), 365);
    assert.match(await page.$eval('#summary', (e) => e.textContent ?? ''), /^3285 runs in 365 matrices/);
    // test-00003 was hard every night; test-00013 only since the last one (it is hard two nights in three).
    assert.deepEqual(await page.$$eval('#hard tbody tr', (rows) => rows.map((r) => [r.children[0]!.textContent, r.children[5]!.textContent])), [
      ['test-00003', '365'],
      ['test-00013', '1'],
    ]);
    // The README's screenshots are rewritten only on request: a test run must not change tracked files.
    const shots = process.env.UPDATE_GOLDEN === '1' ? join(PROJECT_ROOT, 'docs', 'images') : join(dir, 'screenshots');
    await mkdir(shots, { recursive: true });
    await page.screenshot({ path: join(shots, 'history-page.png') });
    await page.evaluate(() => document.getElementById('per-class')!.scrollIntoView());
    await page.screenshot({ path: join(shots, 'history-page-classes.png') });
    await page.close();
  });

  it('from a GitHub Pages-like server under /<repo>/: the same page, the history file downloadable beside it', async () => {
    const { url, server } = await servePages(out);
    try {
      const page = await browser.newPage();
      const load = await loadPage(page, url);
      assert.equal(load.state, 'ready', load.error ?? '');
      assert.deepEqual(load.problems, []);
      for (const [chart, n] of Object.entries(load.marks)) assert.ok(n > 0, `${chart} drew no marks`);
      const text = await (await fetch(`${url}history.jsonl`)).text();
      assert.equal(text, await readFile(history.historyFile, 'utf8'));
      await page.close();
    } finally {
      server.close();
    }
  });
});
