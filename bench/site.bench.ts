// The experiment page on a year of nightly matrices (365 × 9 runs, test/fixtures/synth-history.ts):
// history append time, page weight per file, and load time in headless Chromium (navigation until
// every chart is drawn), from file:// and from a local Pages-like server. `npm run bench -- site`.
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildSiteData } from '../src/experiments/site-data.js';
import { writeSite } from '../src/report/site.js';
import { listBundles } from '../src/experiments/bundle.js';
import { buildSynthHistory } from '../test/fixtures/synth-history.js';
import { chromiumMissing, launchChromium, loadPage, servePages } from '../test/report/browser.js';

const dir = await mkdtemp(join(tmpdir(), 'site-bench-'));
try {
  let started = performance.now();
  const history = await buildSynthHistory(dir);
  console.log(`history: ${history.records.length} records appended night by night in ${(performance.now() - started).toFixed(0)} ms`);
  started = performance.now();
  const data = await buildSiteData({ records: history.records, bundles: await listBundles(history.resultsDir) });
  const site = await writeSite(join(dir, 'site'), data, { historyFile: history.historyFile });
  console.log(`page written in ${(performance.now() - started).toFixed(0)} ms`);
  for (const f of site.files) console.log(`  ${f.name.padEnd(20)} ${(f.bytes / 1024).toFixed(0).padStart(6)} KiB`);
  const page = site.files.filter((f) => f.name !== 'history.jsonl').reduce((a, f) => a + f.bytes, 0);
  console.log(`page weight: ${(page / 1024).toFixed(0)} KiB without the history download (${(site.bytes / 1024).toFixed(0)} KiB with it)`);
  const missing = await chromiumMissing();
  if (missing) console.log(`load time: skipped, ${missing}`);
  else {
    const browser = await launchChromium();
    const { url, server } = await servePages(site.dir);
    try {
      for (const [label, target] of [
        ['file://', pathToFileURL(join(site.dir, 'index.html')).href],
        ['http (Pages-like)', url],
      ] as const) {
        const times: number[] = [];
        const cpu: number[] = [];
        for (let i = 0; i < 5; i++) {
          const tab = await browser.newPage();
          const cdp = await tab.createCDPSession();
          await cdp.send('Performance.enable');
          const load = await loadPage(tab, target);
          if (load.state !== 'ready') throw new Error(`the page did not draw: ${load.error}`);
          times.push(load.loadMs);
          // The renderer main thread's CPU time: what the page costs, whatever else the machine runs.
          const { metrics } = await cdp.send('Performance.getMetrics');
          cpu.push((metrics.find((m) => m.name === 'ThreadTime')?.value ?? Number.NaN) * 1000);
          await tab.close();
        }
        const median = (values: number[]) => [...values].sort((a, b) => a - b)[2]!;
        console.log(
          `${label}: until every chart is drawn median ${median(times).toFixed(0)} ms wall (min ${Math.min(...times).toFixed(0)}), ${median(cpu).toFixed(0)} ms of main-thread CPU, over 5 loads`,
        );
      }
      console.log(
        `(load average ${loadavg()
          .map((l) => l.toFixed(1))
          .join(' ')} on ${cpus().length} cores: wall times grow with it, CPU time much less)`,
      );
    } finally {
      server.close();
      await browser.close();
    }
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
