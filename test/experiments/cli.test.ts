import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { test } from 'node:test';
import sharp from 'sharp';
import { runMatrix } from '../../src/experiments/matrix.js';
import { createSynthWorkspace, withTempDir } from '../fixtures/synth-workspace.js';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));
const STAGE_CLI = fileURLToPath(new URL('./stage-cli.js', import.meta.url));
const cifar10 = (cwd: string, ...args: string[]) => run(process.execPath, [CLI, ...args], { cwd });

test('exp show, exp diff and hard-images work from the command line on a results folder', async () => {
  await withTempDir('exp-cli-test-', async (root) => {
    await createSynthWorkspace(root, { imagesPerClass: 30, partitions: 2, partitionSize: 50, seed: 5 });
    await writeFile(join(root, 'params.yaml'), 'data:\n  versions: v1\ntrain:\n  seed: 42\n');
    await runMatrix({ root, seeds: [1, 2, 3], versions: ['v1', 'v1+v2'], jobs: 2, stageRunner: STAGE_CLI });

    const show = await cifar10(root, 'exp', 'show');
    assert.match(show.stdout, /\| v1 +\| +3 \| 1, 2, 3 +\|/);
    assert.match(show.stdout, /\| v1\+v2 +\| +3 \|/);
    assert.match(show.stdout, /★/);
    await cifar10(root, 'exp', 'show', '--md', 'results/summary.md');
    assert.equal(await readFile(join(root, 'results/summary.md'), 'utf8'), `${show.stdout.trimEnd()}\n`);

    const diff = await cifar10(root, 'exp', 'diff', 'v1', 'v1+v2');
    assert.match(diff.stdout, /\| accuracy +\|.*\| (no detectable change|better|worse) +\|/);
    assert.match(
      diff.stdout,
      /\| metric +\| +A: v1 \(3 runs\) \| +B: v1\+v2 \(3 runs\) \| +Δ \(B − A\) \| +95% interval \| +p \| +detectable \| verdict +\|/,
      'exp diff prints p, the interval and the detectable difference',
    );
    await assert.rejects(cifar10(root, 'exp', 'diff', 'v1', 'v9'), /"v9" names no runs/);

    const hard = await cifar10(root, 'hard-images', '--min-runs', '2');
    assert.match(hard.stdout, /(\d+) hard image\(s\) of \d+ held out by ≥ 2 of 6 runs/);
    assert.match(hard.stdout, /per class: airplane \d+, automobile \d+/);
    const csv = await readFile(join(root, 'results/hard_images.csv'), 'utf8');
    assert.match(csv, /^id,class,runs_held_out,runs_wrong,error_rate,most_frequent_wrong,versions\n/);
    const rows = csv.trim().split('\n').length - 1;
    assert.ok(rows > 0);
    const png = await sharp(join(root, 'results/hard_images.png')).metadata();
    assert.ok(png.width! > 32 * 3 && png.height! > 32 * 3);
    await assert.rejects(cifar10(root, 'hard-images', '--threshold', '2'), /must be a share/);

    await cifar10(root, 'data', 'init');
    await cifar10(root, 'data', 'remote', 'add', '-d', 'storage', 'remote');
    const pushed = await cifar10(root, 'exp', 'push');
    const dvc = await readFile(join(root, 'results/experiments.dvc'), 'utf8');
    const md5 = /md5: ([0-9a-f]{32})\.dir/.exec(dvc)![1]!;
    assert.ok(await stat(join(root, 'remote/files/md5', md5.slice(0, 2), `${md5.slice(2)}.dir`)), 'the results are on the remote');
    assert.match(pushed.stdout, /results\/experiments: [0-9a-f]{32}\.dir \(\d+ files\); \d+ object\(s\) uploaded/);
  });
});

test('repro and status run a dvc.yaml from the command line', async () => {
  await withTempDir('repro-cli-test-', async (root) => {
    await cifar10(root, 'data', 'init');
    await writeFile(join(root, 'params.yaml'), 'n: 1\n');
    await writeFile(join(root, 'dvc.yaml'), 'stages:\n  make:\n    cmd: echo made > out.txt\n    params:\n    - n\n    outs:\n    - out.txt\n');
    assert.match((await cifar10(root, 'status')).stdout, /make:\n +not in dvc\.lock/);
    assert.match((await cifar10(root, 'repro', '--dry')).stdout, /1 stage\(s\) would run/);
    assert.match((await cifar10(root, 'repro')).stdout, /1 stage\(s\) ran; dvc\.lock updated\. Record it with: git add dvc\.lock params\.yaml \.gitignore\n/);
    assert.ok(await stat(join(root, 'dvc.lock')));
    assert.match((await cifar10(root, 'repro', '--force')).stdout, /^1 stage\(s\) ran; dvc\.lock unchanged\n$/m, 'the same output again');
    assert.match((await cifar10(root, 'repro')).stdout, /Data and pipelines are up to date/);
    assert.match((await cifar10(root, 'repro', '-S', 'n=2')).stdout, /1 stage\(s\) ran/);
    assert.equal(await readFile(join(root, 'params.yaml'), 'utf8'), 'n: 2\n');
    await assert.rejects(cifar10(root, 'repro', '-S', 'm=2'), /"m" is not in .*params\.yaml/);
    await assert.rejects(cifar10(root, 'repro', 'nope'), /has no stage "nope"; stages: make/);
  });
});
