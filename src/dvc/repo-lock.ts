import { randomBytes } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { link, mkdir, readdir, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isStaleTemp, tempPathFor } from '../util/atomic.js';
import { fsError } from '../util/errno.js';
import { UserError } from '../util/errors.js';
import { currentHolder, describeHolder, formatLockFile, isAlive, parseLockFile, readLockFile } from './repo-lock-file.js';

/**
 * The repository lock, at DVC's own path `.dvc/tmp/lock`: one writer at a time (repro, exp run,
 * add, checkout, fetch, pull, push), so two runs never mix their parameters or outputs.
 *
 * DVC holds its lock with flock(2) on that file and writes ` <pid>\n` into it (zc.lockfile); the
 * file stays behind after every run. Node has no flock, so this lock is the file's existence:
 * created whole (written to a temp file, then hard-linked into place, which fails if one is
 * there) and removed on release. It holds ` <pid>\n` as DVC's does, then one JSON line with the
 * host, the command, the time and a token (repo-lock-file.ts). A file without that line is DVC's leftover and is
 * free; a file of ours whose process is gone (killed) is taken over with a warning. Limitation:
 * this lock does not keep the real DVC out while it is held, nor this tool out while the real DVC
 * holds its flock.
 *
 * A process that holds the lock passes its token to its children in `DVC_LOCK_TOKENS` (a
 * comma-separated list when it holds the locks of several repositories), so a
 * stage command of `repro` (one that pulls data) works under its parent's lock instead of
 * waiting for it; within one process the lock is re-entrant (the cells of a matrix).
 */

export const LOCK_ENV = 'DVC_LOCK_TOKENS';

/** How long a second writer waits before it gives up (DVC waits 3 s too). */
export const LOCK_WAIT_MS = 3000;
const POLL_MS = 150;
/** A takeover guard older than this belongs to a process that died while taking over. */
const GUARD_STALE_MS = 10_000;

interface Held {
  token: string;
  count: number;
  /** Held by an ancestor process (its token came in the environment): never removed here. */
  inherited: boolean;
}

const held = new Map<string, Held>();

/** The lock tokens this process's children act under. */
function envTokens(): string[] {
  return (process.env[LOCK_ENV] ?? '').split(',').filter(Boolean);
}

function setEnvTokens(tokens: readonly string[]): void {
  if (tokens.length > 0) process.env[LOCK_ENV] = tokens.join(',');
  else delete process.env[LOCK_ENV];
}
let exitHookInstalled = false;

/** On exit (process.exit, the second Ctrl-C) the locks still held are removed, so no stale lock is left. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const [path, lock] of held) {
      if (lock.inherited) continue;
      try {
        if (parseLockFile(readFileSync(path, 'utf8'))?.token === lock.token) unlinkSync(path);
      } catch {
        // Nothing to remove.
      }
    }
  });
}

export interface RepoLock {
  readonly path: string;
  release(): Promise<void>;
}

export interface LockOptions {
  /** Milliseconds to wait for another writer (default LOCK_WAIT_MS). */
  waitMs?: number;
  /** Where the takeover warning goes (default stderr). */
  warn?: (line: string) => void;
}

/** Creates the lock file whole, or returns false when one is there. */
async function tryCreate(path: string, text: string): Promise<boolean> {
  const temp = tempPathFor(path);
  try {
    await writeFile(temp, text);
    await link(temp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw fsError(error, path, 'create');
  } finally {
    await rm(temp, { force: true }).catch(() => undefined);
  }
}

/**
 * Removes a lock file whose holder is gone, if it still has the text that was judged stale. A
 * guard file makes one process at a time do this, so two takers never remove each other's new lock.
 */
async function removeStale(path: string, staleText: string): Promise<void> {
  const guard = `${path}.takeover`;
  if (!(await tryCreate(guard, `${process.pid}\n`))) {
    const age = await stat(guard).then(
      (s) => Date.now() - s.mtimeMs,
      () => 0,
    );
    if (age > GUARD_STALE_MS) await rm(guard, { force: true });
    return;
  }
  try {
    if ((await readLockFile(path))?.text === staleText) await unlink(path).catch(() => undefined);
  } finally {
    await rm(guard, { force: true });
  }
}

/** Temp files beside the lock from processes that were killed while taking it. */
async function removeLitter(dir: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  await Promise.all(
    names.filter((name) => name.startsWith('lock') && isStaleTemp(name)).map((name) => rm(join(dir, name), { force: true }).catch(() => undefined)),
  );
}

/**
 * Takes the repository lock of the `.dvc/` folder `dvcDir`, waiting up to `waitMs` for another
 * writer, then failing with a UserError that says who holds it.
 */
export async function lockRepo(dvcDir: string, options: LockOptions = {}): Promise<RepoLock> {
  const path = join(dvcDir, 'tmp', 'lock');
  const release = async (): Promise<void> => {
    const mine = held.get(path);
    if (!mine || --mine.count > 0) return;
    held.delete(path);
    if (mine.inherited) return;
    setEnvTokens(envTokens().filter((token) => token !== mine.token));
    if ((await readLockFile(path))?.holder?.token === mine.token) await unlink(path).catch(() => undefined);
  };
  const already = held.get(path);
  if (already) {
    already.count++;
    return { path, release };
  }
  try {
    await mkdir(dirname(path), { recursive: true });
  } catch (error) {
    throw fsError(error, dirname(path), 'create');
  }
  await removeLitter(dirname(path));
  if (envTokens().length > 0) {
    const current = (await readLockFile(path))?.holder?.token;
    if (current !== undefined && envTokens().includes(current)) {
      held.set(path, { token: current, count: 1, inherited: true });
      return { path, release };
    }
  }
  const token = randomBytes(8).toString('hex');
  const text = formatLockFile(currentHolder(token));
  const warn = options.warn ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const deadline = Date.now() + (options.waitMs ?? LOCK_WAIT_MS);
  for (;;) {
    if (await tryCreate(path, text)) {
      held.set(path, { token, count: 1, inherited: false });
      setEnvTokens([...envTokens(), token]);
      installExitHook();
      return { path, release };
    }
    const current = await readLockFile(path);
    if (!current) continue;
    const { holder } = current;
    if (holder && holder.token === undefined) {
      // DVC's leftover: its lock is the flock, which it has released when the file is read like this.
      await removeStale(path, current.text);
      continue;
    }
    if (holder && !isAlive(holder)) {
      warn(`warning: taking over the repository lock ${path} from ${describeHolder(holder)}, which ended without releasing it`);
      await removeStale(path, current.text);
      continue;
    }
    if (Date.now() >= deadline) {
      if (!holder) {
        const age = await stat(path).then(
          (s) => Date.now() - s.mtimeMs,
          () => 0,
        );
        if (age > (options.waitMs ?? LOCK_WAIT_MS)) {
          warn(`warning: taking over the repository lock ${path}, which holds no process id`);
          await removeStale(path, current.text);
          continue;
        }
      }
      throw new UserError(
        `the repository is locked by ${holder ? describeHolder(holder) : 'another process'}: only one command may change the data or run the pipeline at a time (${path}). Wait for it to finish and run the command again; if no such process runs, delete ${path}`,
      );
    }
    await sleep(POLL_MS);
  }
}

/** Runs `work` holding the lock of the `.dvc/` folder `dvcDir`. */
export async function withRepoLock<T>(dvcDir: string, work: () => Promise<T>, options?: LockOptions): Promise<T> {
  const lock = await lockRepo(dvcDir, options);
  try {
    return await work();
  } finally {
    await lock.release();
  }
}

/** `withRepoLock` for a project folder that may not be a DVC repository (then there is nothing to lock). */
export async function withRepoLockAt<T>(root: string, work: () => Promise<T>): Promise<T> {
  const dvcDir = join(root, '.dvc');
  const isRepo = await stat(dvcDir).then(
    (s) => s.isDirectory(),
    () => false,
  );
  return isRepo ? withRepoLock(dvcDir, work) : work();
}
