import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** A worker for worker-pool.test.ts: `fail` throws; others wait, then leave a file saying they finished. */
export default async function task(input: { id: number; fail?: boolean; dir: string }): Promise<number> {
  if (input.fail) throw new Error(`task ${input.id} failed`);
  await sleep(150);
  writeFileSync(`${input.dir}/${input.id}`, 'done');
  return input.id * 2;
}
