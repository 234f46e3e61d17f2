import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { gitFilesOf, parsePipeline, readPipeline } from '../../src/dvc/index.js';

test('the files to commit after a repro are dvc.lock, the params files, the cache: false outputs and the .gitignore beside each cached output', async () => {
  const pipeline = await readPipeline(process.cwd());
  assert.deepEqual(gitFilesOf(pipeline, ['train', 'evaluate']), [
    'dvc.lock',
    'params.yaml',
    'models/.gitignore',
    'reports/tuning.csv',
    'reports/train_log.tsv',
    'reports/.gitignore',
    'reports/report.md',
    'reports/metrics.json',
    'reports/predictions.csv',
  ]);
  assert.deepEqual(gitFilesOf(pipeline, ['pull_data']), ['dvc.lock', 'data/pulled.json'], 'a stage without params lists none');
});

test('paths are relative to the folder of dvc.yaml, through a stage wdir', () => {
  const root = join('/', 'project');
  const pipeline = parsePipeline(
    'stages:\n  s:\n    cmd: run\n    wdir: sub\n    params: [x]\n    outs: [out/model, {m.json: {cache: false}}]\n',
    join(root, 'dvc.yaml'),
  );
  assert.deepEqual(gitFilesOf(pipeline, ['s']), ['dvc.lock', 'sub/params.yaml', 'sub/out/.gitignore', 'sub/m.json']);
});
