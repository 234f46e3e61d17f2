import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A worker for worker-pool.test.ts: `fail` throws; others wait, then leave a file saying they
 * finished. With `failed` (shared by every task of a run) the failing task raises the flag before
 * it throws, and the others start their wait only once it is up: on a busy machine the failing
 * task's thread can start long after another thread has finished a task, and which thread starts
 * first is not what the test is about.
 */
export default async function task(input: { id: number; fail?: boolean; dir: string; failed?: SharedArrayBuffer }): Promise<number> {
  const flag = input.failed ? new Int32Array(input.failed) : undefined;
  if (input.fail) {
    if (flag) {
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
    }
    throw new Error(`task ${input.id} failed`);
  }
  // Blocking is fine here: this is a worker thread, and it has nothing else to do.
  if (flag && Atomics.wait(flag, 0, 0, 60_000) === 'timed-out') throw new Error(`task ${input.id}: the failing task never ran`);
  await sleep(150);
  writeFileSync(`${input.dir}/${input.id}`, 'done');
  return input.id * 2;
}
