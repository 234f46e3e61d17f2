import assert from 'node:assert/strict';
import { copyFile, cp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { pipelineOutputs } from '../../src/dvc/index.js';
import { start } from '../../src/experiments/start.js';
import { createSynthWorkspace, withTempDir } from '../fixtures/synth-workspace.js';

/** The repository's own dvc.yaml and params.yaml, made small by -S overrides as a user would. */
const TINY = ['train.epochs=1', 'train.width=0.125', 'train.batch_size=32', 'evaluate.misclassified=4'];
const STAGES = ['pull_data', 'prepare', 'train', 'evaluate'];

const actions = (stages: { stage: string; action: string }[]) => Object.fromEntries(stages.map((s) => [s.stage, s.action]));

test("`start` versions the data, runs the project's dvc.yaml end to end, changes nothing on a re-run, pulls into a fresh clone and rebuilds without a remote", async () => {
  const project = process.cwd();
  await withTempDir('start-', async (root) => {
    const ws = await createSynthWorkspace(root, { imagesPerClass: 30, partitions: 3, partitionSize: 50, seed: 5 });
    await copyFile(join(project, 'dvc.yaml'), join(root, 'dvc.yaml'));
    await copyFile(join(project, 'params.yaml'), join(root, 'params.yaml'));
    // The stages list source folders as deps and run `node dist/src/cli.js`, both relative to the project root.
    await cp(join(project, 'src'), join(root, 'src'), { recursive: true });
    await symlink(join(project, 'dist'), join(root, 'dist'), 'junction');

    const first = await start({ root, set: TINY, quiet: true });
    assert.equal(first.data, 'made');
    assert.deepEqual(actions(first.stages), Object.fromEntries(STAGES.map((s) => [s, 'ran'])));
    assert.equal(first.metrics.test_images, 30, 'the common test set: one test image per class of each of v1, v2, v3 (50 images each, test 0.1, stratified)');
    assert.ok(first.metrics.accuracy >= 0 && first.metrics.accuracy <= 1);
    for (const file of ['reports/metrics.json', 'reports/predictions.csv', 'reports/report.md', 'reports/train_log.tsv', 'reports/tuning.csv']) {
      assert.ok(first.reports.includes(file), file);
    }
    assert.deepEqual(first.pictures, ['reports/confusion.png', 'reports/confusion_normalized.png', 'reports/learning_curves.png', 'reports/misclassified.png']);
    assert.equal(
      await readFile(join(root, 'reports/tuning.csv'), 'utf8'),
      'trial,arch,lr,batch_size,width,dropout,epochs,val_acc,val_loss,best_epoch,best\n',
      'tune disabled: header only',
    );
    for (const v of ['v1', 'v2', 'v3']) await readFile(join(root, 'data/partitions', `${v}.dvc`), 'utf8');

    const lock = parseYaml(await readFile(join(root, 'dvc.lock'), 'utf8')) as {
      schema: string;
      stages: Record<string, { params?: Record<string, Record<string, unknown>> }>;
    };
    assert.equal(lock.schema, '2.0');
    assert.deepEqual(Object.keys(lock.stages).sort(), [...STAGES].sort());
    assert.equal((lock.stages['train']!.params!['params.yaml']!['train'] as { epochs: number }).epochs, 1, 'the -S override is what ran');

    const again = await start({ root, quiet: true });
    assert.equal(again.data, 'present');
    assert.deepEqual(actions(again.stages), { pull_data: 'ran', prepare: 'unchanged', train: 'unchanged', evaluate: 'unchanged' });
    assert.equal(again.stages[0]!.lockChanged, false, 'pull_data stamped the same hashes: dvc.lock kept every byte');
    assert.equal(again.metrics.accuracy, first.metrics.accuracy);

    // A fresh clone: the .dvc files and dvc.lock are there, the data and the outputs are not.
    await Promise.all(
      ['data/cifar10', 'data/prepared', 'models', 'reports', ...['v1', 'v2', 'v3'].map((v) => `data/partitions/${v}`)].map((p) =>
        rm(join(root, p), { recursive: true, force: true }),
      ),
    );
    const clone = await start({ root, quiet: true });
    assert.equal(clone.data, 'pulled');
    // The cache still holds prepare's output, so it is checked out as DVC does (the run-cache); train
    // has a cache: false output that is not a metric or plot, which DVC never keeps: it runs, and so does evaluate.
    assert.deepEqual(
      actions(clone.stages),
      { pull_data: 'ran', prepare: 'restored', train: 'ran', evaluate: 'ran' },
      'outputs are missing: restored from the cache or run again',
    );
    assert.equal(clone.metrics.test_images, 30);

    // A fresh clone with no remote configured (as this repository is committed): the partitions are
    // rebuilt from CIFAR-10, and since they hash as their .dvc files say, no stage has to run again.
    // A clone has no git-ignored .cache/ either, so no local remote left by the runs above.
    await writeFile(join(root, '.dvc/config'), '');
    await Promise.all(
      ['.dvc/cache', '.cache/dvc-remote', ...['v1', 'v2', 'v3'].map((v) => `data/partitions/${v}`)].map((p) =>
        rm(join(root, p), { recursive: true, force: true }),
      ),
    );
    const rebuilt = await start({ root, source: ws.tarball, cifarCacheDir: ws.cacheDir, quiet: true });
    assert.equal(rebuilt.data, 'rebuilt');
    assert.deepEqual(actions(rebuilt.stages), { pull_data: 'ran', prepare: 'unchanged', train: 'unchanged', evaluate: 'unchanged' });
    assert.deepEqual(
      rebuilt.pushed?.notInCache,
      (await pipelineOutputs(root)).map((o) => o.label),
      'the stages did not run, so their outputs are in the workspace only: named, not pushed; the rebuilt partitions went up',
    );
  });
});
