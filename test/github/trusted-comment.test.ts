import assert from 'node:assert/strict';
import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { commentMarker } from '../../src/github/comment.js';
import { readPlanFile } from '../../src/github/plan-file.js';
import { buildExperimentsReport } from '../../src/github/report.js';
import { writeSyntheticBundle } from '../actions/bundles.js';
import { withTempDir } from '../fixtures/synth-workspace.js';

/**
 * A fork controls its result bundles. Every string field of every file the report reads is made
 * hostile in turn (markdown link, HTML, a mention, a tracking image), values and record keys alike;
 * the comment rendered from the bundles must carry none of it.
 */

const PAYLOAD = '[All good 🟢](https://phish.example/login) <img src="https://track.example/p.gif"> @octo/admins ![t](https://track.example/t.png) <b>x</b>';
const FRAGMENTS = ['phish.example', 'track.example', '@octo/admins', '<img', '<b>', 'All good'];

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every way to make one string of `doc` hostile: each string value, and each key of an object. */
function hostileVariants(doc: Json): Json[] {
  const variants: Json[] = [];
  const walk = (node: Json, replace: (value: Json) => Json): void => {
    if (typeof node === 'string') variants.push(replace(PAYLOAD));
    else if (Array.isArray(node)) node.forEach((item, i) => walk(item, (v) => replace(node.map((x, j) => (j === i ? v : x)))));
    else if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        walk(value, (v) => replace({ ...node, [key]: v }));
        variants.push(replace(Object.fromEntries(Object.entries(node).map(([k, x]) => [k === key ? PAYLOAD : k, x]))));
      }
    }
  };
  walk(doc, (v) => v);
  return variants;
}

test('a fork bundle with markdown, HTML, mentions or links in any string field produces a comment with none of them', async () => {
  await withTempDir('hostile-bundles-', async (dir) => {
    const good = join(dir, 'good');
    const baseline = join(dir, 'baseline');
    for (const seed of [1, 2]) {
      await writeSyntheticBundle(good, { seed, versions: 'v1', accuracy: 0.6, images: 40 });
      // main ran the same: without the hostile bundle the verdict is ⚪, so a refusal shows as ⚠️.
      await writeSyntheticBundle(baseline, { seed, versions: 'v1', accuracy: 0.6, images: 40 });
    }
    const template = join(dir, 'template');
    const templateDir = await writeSyntheticBundle(template, { seed: 3, versions: 'v1', accuracy: 0.6, images: 40 });
    await writeFile(join(templateDir, 'train_log.tsv'), 'epoch\tloss\tacc\tval_loss\tval_acc\tlr\n1\t2.0\t0.3\t2.1\t0.28\t0.001\n');
    // The manifest's lists are empty in a synthetic bundle: one entry each, so they are attacked too.
    const manifest = JSON.parse(await readFile(join(templateDir, 'manifest.json'), 'utf8')) as Record<string, Json>;
    manifest.overrides = ['train.lr=0.01'];

    const cases: { file: string; text: string }[] = [];
    for (const variant of hostileVariants(manifest)) cases.push({ file: 'manifest.json', text: JSON.stringify(variant) });
    for (const file of ['metrics.json', 'confusion.json']) {
      const doc = JSON.parse(await readFile(join(templateDir, file), 'utf8')) as Json;
      for (const variant of hostileVariants(doc)) cases.push({ file, text: JSON.stringify(variant) });
    }
    const csv = (await readFile(join(templateDir, 'predictions.csv'), 'utf8')).split('\n');
    const cells = csv[1]!.split(',');
    for (const [i] of cells.entries())
      cases.push({
        file: 'predictions.csv',
        text: [csv[0], cells.map((c, j) => (j === i ? `"${PAYLOAD.replaceAll('"', '""')}"` : c)).join(','), ...csv.slice(2)].join('\n'),
      });
    cases.push({ file: 'train_log.tsv', text: `epoch\tloss\tacc\tval_loss\tval_acc\tlr\n${PAYLOAD}\t2.0\t0.3\t2.1\t0.28\t0.001\n` });
    assert.ok(cases.length > 40, `${cases.length} hostile bundles`);

    let refused = 0;
    for (const [i, { file, text }] of cases.entries()) {
      const bundles = join(dir, `case-${i}`);
      await cp(good, bundles, { recursive: true });
      // The artifact (folder) name comes from the fork too.
      const hostile = join(bundles, `bundle-${i} ${PAYLOAD.replaceAll('/', '∕')}`);
      await cp(templateDir, hostile, { recursive: true });
      await writeFile(join(hostile, 'manifest.json'), JSON.stringify(manifest));
      await writeFile(join(hostile, file), text);
      const report = await buildExperimentsReport({ bundlesDir: bundles, baselineDir: baseline, marker: commentMarker(), kind: 'quick' });
      for (const fragment of FRAGMENTS) {
        assert.ok(!report.comment.includes(fragment), `${file}, case ${i}: the comment carries "${fragment}":\n${report.comment.slice(0, 2000)}`);
        assert.ok(!report.jobSummary.includes(fragment), `${file}, case ${i}: the job summary carries "${fragment}"`);
      }
      assert.ok(report.bundles.length >= 2, 'the good bundles are still reported');
      if (report.refusedBundles.length > 0) {
        refused++;
        assert.match(report.comment, /⚠️ 1 result bundle was left out: it fails the bundle checks/);
        assert.ok(report.comment.includes('\n## ⚠️ incomplete: v1 ±0 pp'), `case ${i}: a refused bundle keeps the verdict incomplete`);
      }
      await rm(bundles, { recursive: true, force: true });
    }
    // Fields the comment never shows (the host's name, the start time…) may pass; every shown one is refused.
    assert.ok(refused > cases.length / 2, `${refused} of ${cases.length} hostile bundles refused`);
  });
});

test("a fork's plan file naming hostile cells is refused without quoting it", async () => {
  await withTempDir('hostile-plan-', async (dir) => {
    const path = join(dir, 'plan.json');
    await writeFile(path, JSON.stringify({ kind: 'quick', matrix: { include: [{ cell: PAYLOAD, seed: 1, versions: 'v1', epochs: 1 }] } }));
    await assert.rejects(
      readPlanFile(path),
      (error: Error) => /is not a plan the report action writes/.test(error.message) && !FRAGMENTS.some((f) => error.message.includes(f)),
    );
    await writeFile(path, JSON.stringify({ kind: 'quick', matrix: { include: [{ cell: 's1-v1', seed: 1, versions: 'v1', epochs: 1 }] } }));
    assert.deepEqual(
      (await readPlanFile(path))?.matrix.include.map((c) => c.cell),
      ['s1-v1'],
    );
    assert.equal(await readPlanFile(join(dir, 'missing.json')), undefined);
  });
});

test('readBundle refuses names that are not a run id, a version spec or a partition, wherever a bundle comes from', async () => {
  const { readBundle } = await import('../../src/experiments/bundle.js');
  await withTempDir('unsafe-names-', async (dir) => {
    const bundle = await writeSyntheticBundle(dir, { seed: 1, versions: 'v1', accuracy: 0.5 });
    const manifest = JSON.parse(await readFile(join(bundle, 'manifest.json'), 'utf8')) as Record<string, unknown>;
    for (const [field, value] of [
      ['run_id', '../../etc'],
      ['run_id', 's1-v1/../../x'],
      ['versions', 'v1/../..'],
      ['partitions', ['../v1']],
      ['data', { '../../x': 'abc' }],
    ] as const) {
      await writeFile(join(bundle, 'manifest.json'), JSON.stringify({ ...manifest, [field]: value }));
      await assert.rejects(readBundle(bundle), /manifest\.json/, `${field}: ${JSON.stringify(value)}`);
    }
  });
});
