import { WorkerPool } from '../../util/worker-pool.js';
import { workspaceError } from './place.js';
import type { WriteBatch, WriteFailure } from './write-worker.js';

/** Files per message to the write thread. */
const BATCH_FILES = 512;

/**
 * The thread is `behind` with more than this many files or bytes handed over and not written: its
 * caller then writes the next files itself, so that both threads stay busy to the end.
 */
const IN_FLIGHT_FILES = 2 * BATCH_FILES;
const IN_FLIGHT_BYTES = 64 * 1024 * 1024;

interface Pending {
  paths: string[];
  /** The paths for messages (the file's final place, not the temp folder). */
  shownAs: string[];
  parts: Uint8Array[];
  size: number;
}

const nothingPending = (): Pending => ({ paths: [], shownAs: [], parts: [], size: 0 });

/**
 * New files written on a worker thread (write-worker.ts), in batches, while the main thread goes
 * on with other work (a folder build's fetch: reading, MD5-checking and caching the next objects).
 * The first failure is kept (`failure`) and stops nothing in flight: `close` waits for every
 * batch sent, so no thread is stopped mid-write.
 */
export class WriteThread {
  private readonly pool = new WorkerPool<WriteBatch, WriteFailure | undefined>(new URL('./write-worker.js', import.meta.url), 1, Number.POSITIVE_INFINITY);
  /** Whether the thread has started: tasks sent before would queue in tinypool and go one at a time. */
  private ready = false;
  /** Batches complete but not sent, until the thread is ready. */
  private readonly unsent: Pending[] = [];
  private pending = nothingPending();
  private readonly inFlight = new Set<Promise<void>>();
  private inFlightBytes = 0;
  private inFlightFiles = 0;
  private firstFailure: Error | undefined;

  /** `onWritten(files)` is called as batches are written. */
  constructor(private readonly onWritten: (files: number) => void) {
    this.track(
      this.pool.run({ paths: [], ends: [], bytes: new Uint8Array(0) }).then(() => {
        this.ready = true;
        for (const batch of this.unsent.splice(0)) this.send(batch);
      }),
      0,
      0,
    );
  }

  get failure(): Error | undefined {
    return this.firstFailure;
  }

  /** Whether the thread is too far behind to take more for now. */
  get behind(): boolean {
    return this.inFlightFiles + this.pending.paths.length > IN_FLIGHT_FILES || this.inFlightBytes + this.pending.size > IN_FLIGHT_BYTES;
  }

  /** Queues a new file at `path` (`shownAs` names it in messages). */
  write(path: string, shownAs: string, data: Uint8Array): void {
    const pending = this.pending;
    pending.paths.push(path);
    pending.shownAs.push(shownAs);
    pending.parts.push(data);
    pending.size += data.length;
    if (pending.paths.length >= BATCH_FILES) this.flush();
  }

  /** Sends what is queued and waits until everything is written; throws the first failure. */
  async settle(): Promise<void> {
    this.flush();
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
    if (this.firstFailure !== undefined) throw this.firstFailure;
  }

  /** Drops what is not sent, waits for what is (no thread stops mid-write), and ends the thread. */
  async close(): Promise<void> {
    this.firstFailure ??= new Error('the writes were abandoned');
    this.unsent.length = 0;
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
    await this.pool.close();
  }

  private flush(): void {
    const batch = this.pending;
    if (batch.paths.length === 0) return;
    this.pending = nothingPending();
    this.inFlightBytes += batch.size;
    this.inFlightFiles += batch.paths.length;
    if (this.ready) this.send(batch);
    else this.unsent.push(batch);
  }

  /** Hands a batch to the thread: its bytes copied into one buffer, moved to the thread rather than cloned. */
  private send(batch: Pending): void {
    const bytes = new Uint8Array(batch.size);
    const ends: number[] = [];
    let offset = 0;
    for (const part of batch.parts) {
      bytes.set(part, offset);
      offset += part.length;
      ends.push(offset);
    }
    const task = this.pool.run({ paths: batch.paths, ends, bytes }, [bytes.buffer]).then((failed) => {
      this.onWritten(failed ? failed.index : batch.paths.length);
      if (failed) throw workspaceError(batch.shownAs[failed.index]!, Object.assign(new Error(failed.message), { code: failed.code }));
    });
    this.track(task, batch.size, batch.paths.length);
  }

  private track(task: Promise<void>, size: number, files: number): void {
    const settled = task.then(
      () => undefined,
      (error: unknown) => void (this.firstFailure ??= error instanceof Error ? error : new Error(String(error))),
    );
    const tracked = settled.finally(() => {
      this.inFlight.delete(tracked);
      this.inFlightBytes -= size;
      this.inFlightFiles -= files;
    });
    this.inFlight.add(tracked);
  }
}
