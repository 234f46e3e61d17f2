import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { add, applyCheckoutPlan, describeCheckoutPlan, initRepo, planCheckout, readDvcFile } from '../../src/dvc/index.js';
import { readTree, tempDir, writeTree } from './helpers.js';

test('checkout plans first: the plan says what would change, can be printed, and writes nothing', async (t) => {
  const root = await tempDir(t);
  const { repo } = await initRepo(root);
  const data = join(root, 'data');
  await writeTree(data, { 'a.txt': 'a', 'b.txt': 'b', 'sub/c.txt': 'c' });
  await add(repo, ['data'], { cwd: root });
  const hash = { md5: (await readDvcFile(join(root, 'data.dvc'))).outs[0]!.md5! };
  const tracked = await readTree(data);

  // b.txt and an extra file hold content the cache has (an older version), c.txt is gone.
  await writeTree(join(root, 'old'), { 'b.txt': 'older b' });
  await add(repo, ['old'], { cwd: root });
  await writeFile(join(data, 'b.txt'), 'older b');
  await writeFile(join(data, 'extra.txt'), 'older b');
  await rm(join(data, 'sub/c.txt'));
  const before = await readTree(data);

  const plan = await planCheckout(repo, hash, data);
  assert.deepEqual(await readTree(data), before, 'planning writes nothing');
  assert.equal(plan.kind, 'dir');
  assert.deepEqual(describeCheckoutPlan(plan), [`${data}: 2 to write, 1 unchanged, 1 to remove`, 'M b.txt', '+ sub/c.txt', '- extra.txt']);

  const done = await applyCheckoutPlan(repo, plan);
  assert.deepEqual(done, { written: 2, unchanged: 1, removed: 1 });
  assert.deepEqual(await readTree(data), tracked);
});

test('a plan lists the workspace changes the cache has no copy of, and a forced plan does not', async (t) => {
  const root = await tempDir(t);
  const { repo } = await initRepo(root);
  const data = join(root, 'data');
  await writeTree(data, { 'a.txt': 'a' });
  await add(repo, ['data'], { cwd: root });
  const hash = { md5: (await readDvcFile(join(root, 'data.dvc'))).outs[0]!.md5! };
  await writeFile(join(data, 'a.txt'), 'edited, never added');

  const plan = await planCheckout(repo, hash, data);
  assert.deepEqual(plan.lost, [`${data}/a.txt`]);
  assert.deepEqual(describeCheckoutPlan(plan), [`${data}: 1 to write, 0 unchanged, 0 to remove`, 'M a.txt', `! ${data}/a.txt (not in the cache)`]);
  assert.deepEqual((await planCheckout(repo, hash, data, { force: true })).lost, []);
});
