import Tinypool from 'tinypool';
import { mapLimit } from './map-limit.js';

/**
 * Worker threads for CPU-bound work (PNG encoding, in the export and in the partition rebuild) and
 * for blocking writes beside the main thread (a DVC checkout's folder build), on tinypool. A
 * worker module's default export takes one task and returns its result.
 */
export class WorkerPool<Task, Result> {
  private readonly pool: Tinypool;

  /**
   * `tasksPerThread` above 1 sends a thread further tasks while it works (they wait in its queue):
   * a thread then keeps working while the main thread is busy and cannot hand it the next task.
   */
  constructor(
    worker: URL,
    readonly threads: number,
    tasksPerThread = 1,
  ) {
    this.pool = new Tinypool({ filename: worker.href, minThreads: threads, maxThreads: threads, concurrentTasksPerWorker: tasksPerThread });
  }

  /** Runs one task on a free thread; `transfer` moves buffers to it instead of copying them. */
  run(task: Task, transfer: ArrayBuffer[] = []): Promise<Result> {
    return this.pool.run(task, { transferList: transfer }) as Promise<Result>;
  }

  /** Ends the threads; a task still running is stopped. */
  close(): Promise<void> {
    return this.pool.destroy();
  }
}

/**
 * Runs every task on `threads` worker threads, `onResult` called as each finishes. After the
 * first failure no new task starts, but the tasks in flight finish, so no thread is stopped
 * between writing a temp file and renaming it; then the failure is thrown.
 */
export async function runOnThreads<Task, Result>(
  worker: URL,
  tasks: readonly Task[],
  threads: number,
  options: { transfer?: (task: Task) => ArrayBuffer[]; onResult?: (result: Result, task: Task) => void } = {},
): Promise<void> {
  const pool = new WorkerPool<Task, Result>(worker, threads);
  try {
    await mapLimit(tasks, threads, async (task) => {
      const result = await pool.run(task, options.transfer?.(task));
      options.onResult?.(result, task);
    });
  } finally {
    await pool.close();
  }
}
