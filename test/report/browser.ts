/// <reference lib="dom" />
import { access } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize } from 'node:path';
import type { AddressInfo } from 'node:net';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

/**
 * Debian's headless Chromium driven by puppeteer-core, for the experiment page's tests and its
 * benchmark and the PR comment's rendering test; and a static file server on 127.0.0.1 standing in
 * for GitHub Pages.
 */

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** Why the browser tests cannot run here, or undefined when they can. */
export async function chromiumMissing(): Promise<string | undefined> {
  return access(CHROMIUM).then(
    () => undefined,
    () => `no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM to its path)`,
  );
}

export function launchChromium(): Promise<Browser> {
  // --no-sandbox: tests run as root in containers, where Chromium's sandbox cannot start.
  return puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--font-render-hinting=none'] });
}

export interface PageLoad {
  state: string | null;
  error: string | null;
  /** console.error/warn messages, uncaught exceptions and failed requests. */
  problems: string[];
  /** Milliseconds from navigation to every chart drawn. */
  loadMs: number;
  /** Per chart element id: data marks drawn (children of Vega's role-mark groups, axes and legends excluded). */
  marks: Record<string, number>;
  /** URLs the page requested. */
  requests: string[];
}

export async function loadPage(page: Page, url: string): Promise<PageLoad> {
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warn') problems.push(`console.${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`uncaught: ${(e as Error).message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
  page.on('request', (r) => requests.push(r.url()));
  const started = performance.now();
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForFunction(() => document.documentElement.dataset.state !== undefined, { timeout: 60_000 });
  const loadMs = performance.now() - started;
  const facts = await page.evaluate(() => {
    const marks: Record<string, number> = {};
    for (const chart of document.querySelectorAll<HTMLElement>('.chart')) {
      let n = 0;
      for (const group of chart.querySelectorAll('svg g.role-mark')) {
        // Axis, legend and title parts are role-mark groups inside role-axis/role-legend/role-title groups.
        if (group.closest('.role-axis, .role-legend, .role-title')) continue;
        n += group.childElementCount;
      }
      marks[chart.id] = n;
    }
    return { state: document.documentElement.dataset.state ?? null, error: document.documentElement.dataset.error ?? null, marks };
  });
  return { ...facts, problems, loadMs, requests };
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css',
  '.png': 'image/png',
  '.jsonl': 'application/jsonl',
};

/** Serves `root` as GitHub Pages would (index.html for a folder), on 127.0.0.1 under `/<repo>/`. */
export async function servePages(root: string, base = '/cifar10-ci/'): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (!path.startsWith(base)) return void res.writeHead(404).end();
    const rel = normalize(path.slice(base.length) || 'index.html');
    if (rel.startsWith('..')) return void res.writeHead(403).end();
    const file = join(root, rel.endsWith('/') ? `${rel}index.html` : rel);
    const stream = createReadStream(file);
    stream.on('open', () => res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }));
    stream.on('error', () => res.writeHead(404).end());
    stream.pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${base}`, server };
}
