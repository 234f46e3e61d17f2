import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import rehypeRaw from 'rehype-raw';
import rehypeSanitize from 'rehype-sanitize';
import rehypeStringify from 'rehype-stringify';
import remarkGfm from 'remark-gfm';
import remarkParse from 'remark-parse';
import remarkRehype from 'remark-rehype';
import sharp from 'sharp';
import { unified } from 'unified';
import { CLASS_NAMES } from '../../src/cifar/classes.js';
import { assetsFolder, publishAssets } from '../../src/github/assets.js';
import { gitHubClient } from '../../src/github/client.js';
import { commentMarker } from '../../src/github/comment.js';
import { buildExperimentsReport } from '../../src/github/report.js';
import { GITHUB_COMMENT_LIMIT } from '../../src/report/budget.js';
import { writeSyntheticBundle } from '../actions/bundles.js';
import { withTempDir } from '../fixtures/synth-workspace.js';
import { chromiumMissing, launchChromium } from '../report/browser.js';
import { FakeGitHub } from './fake-github.js';

/**
 * The PR comment as a reviewer sees it: rendered GitHub-style (GitHub-flavoured markdown, raw HTML
 * sanitised by GitHub's allow-list, which rehype-sanitize's default schema follows) in headless
 * Chromium, with its pictures published to the fake GitHub's assets branch and loaded from there.
 */

const TOKEN = 'ghs_assetsWriterToken0011';

async function githubStyleHtml(markdown: string): Promise<string> {
  const html = await unified()
    .use(remarkParse)
    .use(remarkGfm)
    .use(remarkRehype, { allowDangerousHtml: true })
    .use(rehypeRaw)
    .use(rehypeSanitize)
    .use(rehypeStringify)
    .process(markdown);
  return `<!doctype html><html><head><meta charset="utf-8"><title>PR comment</title></head><body><article class="markdown-body">${String(html)}</article></body></html>`;
}

test('the PR comment rendered GitHub-style in headless Chromium: status in the heading, every picture loads from the assets branch, under 65,536 characters', async (t) => {
  const missing = await chromiumMissing();
  if (missing) {
    t.skip(missing);
    return;
  }
  const github = await new FakeGitHub().start();
  github.addToken(TOKEN, { login: 'github-actions[bot]', viewerLogin: 'github-actions', type: 'Bot' });
  try {
    await withTempDir('comment-chromium-', async (dir) => {
      const hard = ['test-00003', 'test-00014', 'test-00025'];
      for (const seed of [1, 2, 3]) {
        const own = await writeSyntheticBundle(join(dir, 'bundles'), { seed, versions: 'v1', accuracy: 0.55, alwaysWrong: hard });
        await writeFile(
          join(own, 'train_log.tsv'),
          `epoch\tloss\tacc\tval_loss\tval_acc\tlr\n${[1, 2, 3, 4].map((e) => `${e}\t${2 / e}\t${0.3 + e / 10}\t${2.1 / e}\t${0.28 + e / 11 + seed / 100}\t0.001`).join('\n')}\n`,
        );
        await writeSyntheticBundle(join(dir, 'baseline'), { seed, versions: 'v1', accuracy: 0.65, salt: 1 });
      }
      // The partitions' PNGs, for the hard-images sheet.
      const partition = join(dir, 'partitions', 'v1');
      const rows = [];
      for (const [i, id] of Array.from({ length: 200 }, (_, k) => `test-${String(k).padStart(5, '0')}`).entries()) {
        const cls = CLASS_NAMES[i % CLASS_NAMES.length]!;
        rows.push(`${id},${cls},test_batch.bin:${i}`);
        if (!hard.includes(id)) continue;
        await mkdir(join(partition, cls), { recursive: true });
        await sharp(Buffer.alloc(32 * 32 * 3, 40 * i), { raw: { width: 32, height: 32, channels: 3 } })
          .png()
          .toFile(join(partition, cls, `${id}.png`));
      }
      await writeFile(join(partition, 'manifest.csv'), `id,class,source\n${rows.join('\n')}\n`);

      const client = gitHubClient(TOKEN, { baseUrl: github.url });
      const report = await buildExperimentsReport({
        bundlesDir: join(dir, 'bundles'),
        baselineDir: join(dir, 'baseline'),
        partitionsDir: join(dir, 'partitions'),
        kind: 'quick',
        commit: 'feedfacefeedfacefeedfacefeedfacefeedface',
        marker: commentMarker(),
        runUrl: `${github.url}/octo/cifar/actions/runs/777`,
        publishPictures: (files) =>
          publishAssets(client, { repo: { owner: 'octo', repo: 'cifar' }, folder: assetsFolder(12, '777'), files, serverUrl: github.url }),
      });
      assert.ok(report.comment.length <= GITHUB_COMMENT_LIMIT, `${report.comment.length} characters`);
      assert.deepEqual(report.pictures?.published && Object.keys(report.pictures.urls).sort(), ['confusion.png', 'hard-images.png', 'learning-curves.png']);

      const browser = await launchChromium();
      try {
        const page = await browser.newPage();
        await page.setContent(await githubStyleHtml(report.comment), { waitUntil: 'load' });
        // Runs in the page (as a string: this project compiles without the DOM's types).
        const seen = (await page.evaluate(`(async () => {
          // A reviewer opens the folded sections; every picture must load from its link.
          for (const details of document.querySelectorAll('details')) details.open = true;
          const images = [...document.images];
          await Promise.all(images.map((image) => image.decode().catch(() => undefined)));
          return {
            heading: document.querySelector('h2')?.textContent ?? '',
            images: images.map((image) => ({ src: image.src, alt: image.alt, width: image.naturalWidth })),
            text: document.body.innerText,
          };
        })()`)) as { heading: string; images: { src: string; alt: string; width: number }[]; text: string };
        assert.match(
          seen.heading,
          /^(🟢 better|🔴 worse|⚪ no detectable change|⚠️ incomplete): v1 [+-±][\d.]+ pp \(p [=<] [\d.]+, n = 3 vs 3\)$/,
          seen.heading,
        );
        assert.match(seen.heading, /^🔴 worse/, 'main is 10 pp better in this data');
        assert.equal(seen.images.length, 3, JSON.stringify(seen.images));
        for (const image of seen.images) {
          assert.ok(image.src.startsWith(`${github.url}/octo/cifar/raw/`) && image.src.includes('/pr-12/run-777-1/'), image.src);
          assert.ok(image.width > 100, `${image.alt} did not load from ${image.src}`);
        }
        assert.ok(!seen.text.includes('cifar10-ci:experiments'), 'the marker is an invisible HTML comment');
        assert.match(seen.text, /What changed in the confusion matrix/);
      } finally {
        await browser.close();
      }
    });
  } finally {
    await github.stop();
  }
});
