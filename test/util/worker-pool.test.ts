import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { test } from 'node:test';
import { runOnThreads, WorkerPool } from '../../src/util/worker-pool.js';
import { tempDir } from '../dvc/helpers.js';

const worker = new URL('./pool-worker.js', import.meta.url);

test('runOnThreads runs every task on worker threads and hands each result back', async (t) => {
  const dir = await tempDir(t);
  const results = new Map<number, number>();
  await runOnThreads<{ id: number; dir: string }, number>(
    worker,
    [1, 2, 3, 4].map((id) => ({ id, dir })),
    2,
    { onResult: (r, task) => results.set(task.id, r) },
  );
  assert.deepEqual([...results].sort(), [
    [1, 2],
    [2, 4],
    [3, 6],
    [4, 8],
  ]);
});

test('after a failure no new task starts, the one running finishes, then the failure is thrown', async (t) => {
  const dir = await tempDir(t);
  const failed = new SharedArrayBuffer(4);
  const tasks = [
    { id: 1, dir, failed },
    { id: 2, dir, fail: true, failed },
    { id: 3, dir, failed },
    { id: 4, dir, failed },
  ];
  await assert.rejects(runOnThreads(worker, tasks, 2), /task 2 failed/);
  assert.deepEqual(await readdir(dir), ['1'], 'task 1 was running and finished; 3 and 4 never started');
});

test('a WorkerPool runs one task at a time on demand and closes its threads', async (t) => {
  const dir = await tempDir(t);
  const pool = new WorkerPool<{ id: number; dir: string }, number>(worker, 1);
  try {
    assert.equal(await pool.run({ id: 21, dir }), 42);
  } finally {
    await pool.close();
  }
});
