import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { applyOverrides, parseOverride } from '../../src/dvc/index.js';
import { tempDir, writeTree } from '../dvc/helpers.js';

const PARAMS = `# experiment knobs
data:
  versions: v1 # which partitions
train:
  seed: 42
  lr: 0.003
`;

test('override values are typed like YAML', () => {
  assert.deepEqual(parseOverride('train.seed=100'), { file: 'params.yaml', key: 'train.seed', mode: 'set', value: 100 });
  assert.equal(parseOverride('data.versions=v1+v2').value, 'v1+v2');
  assert.equal(parseOverride('train.lr=1e-3').value, 0.001);
  assert.equal(parseOverride('train.flip=true').value, true);
  assert.deepEqual(parseOverride('train.sizes=[1, 2]').value, [1, 2]);
  assert.deepEqual(parseOverride('other.yaml:a.b=x'), { file: 'other.yaml', key: 'a.b', mode: 'set', value: 'x' });
  assert.equal(parseOverride('+train.new=1').mode, 'add');
  assert.equal(parseOverride('++train.new=1').mode, 'force');
  assert.equal(parseOverride('~train.lr').mode, 'delete');
  assert.throws(() => parseOverride('train.seed'), /expected key=value/);
});

test('-S edits params.yaml in place, keeping comments', async (t) => {
  const dir = await tempDir(t, 'params-test-');
  await writeTree(dir, { 'params.yaml': PARAMS });
  await applyOverrides(dir, ['train.seed=100', 'data.versions=v1+v2', '+train.epochs=3']);
  const text = await readFile(join(dir, 'params.yaml'), 'utf8');
  assert.deepEqual(parse(text), { data: { versions: 'v1+v2' }, train: { seed: 100, lr: 0.003, epochs: 3 } });
  assert.match(text, /^# experiment knobs\n/);
  assert.match(text, /# which partitions/);
});

test('a key that does not exist is refused unless added with +, and nothing is written', async (t) => {
  const dir = await tempDir(t, 'params-test-');
  await writeTree(dir, { 'params.yaml': PARAMS });
  await assert.rejects(applyOverrides(dir, ['train.seed=7', 'train.sed=100']), /"train\.sed" is not in .*params\.yaml.*-S \+train\.sed=/);
  await assert.rejects(applyOverrides(dir, ['+train.seed=1']), /already exists/);
  await assert.rejects(applyOverrides(dir, ['train.seed.x=1']), /not in/);
  await assert.rejects(applyOverrides(dir, ['+train.seed.x=1']), /"train\.seed" .* is not a mapping/);
  assert.equal(await readFile(join(dir, 'params.yaml'), 'utf8'), PARAMS, 'the valid first override was not written either');
  await applyOverrides(dir, ['++train.seed=5', '++train.momentum=0.9', '~train.lr']);
  assert.deepEqual((parse(await readFile(join(dir, 'params.yaml'), 'utf8')) as { train: unknown }).train, { seed: 5, momentum: 0.9 });
});

test("-S on a params file that does not parse names the parser's message and the fix", async (t) => {
  const dir = await tempDir(t, 'params-test-');
  await writeTree(dir, { 'params.yaml': 'train:\n  seed: 42\n lr: 1\n' });
  await assert.rejects(applyOverrides(dir, ['train.seed=7']), /params\.yaml is not valid YAML: .*line 3.*\nFix .*params\.yaml at the line shown above/s);
});
