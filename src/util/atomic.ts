import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fsError } from './errno.js';

/** Most file systems allow 255 bytes per name; a temp name must fit where its target's name fits. */
const NAME_LIMIT = 255;

/** Temp files of `tempPathFor`: `<name>.tmp-<pid>-<8 hex>`, another process's write in flight, never data. */
export const TEMP_NAME = /\.tmp-(\d+)-[0-9a-f]{8}$/;

/**
 * The 8 hex digits of a temp name: a counter from a random start, so every call of this process
 * (and thread) gets its own. Temp names need uniqueness, not secrecy, and a `randomBytes` call per
 * file was a measurable share of a pull's CPU time (tens of thousands of files).
 */
let tempCounter = randomBytes(4).readUInt32BE(0);

/**
 * A temp path beside `path`, unique per call, so concurrent writers never share one. It carries
 * the writer's pid, so a later run can tell the litter of a killed process from a live write. A
 * name too long to take the suffix gets a short stand-in (a hash of the name), so a name that fits
 * the file system never fails because of its temp file.
 */
export function tempPathFor(path: string): string {
  tempCounter = (tempCounter + 1) >>> 0;
  const suffix = `.tmp-${process.pid}-${tempCounter.toString(16).padStart(8, '0')}`;
  const name = basename(path);
  if (Buffer.byteLength(name) + suffix.length <= NAME_LIMIT) return `${path}${suffix}`;
  return join(dirname(path), `${shortStem(name)}${suffix}`);
}

/** The stand-in `tempPathFor` uses for a name too long to take the temp suffix. */
function shortStem(name: string): string {
  return `.${createHash('md5').update(name).digest('hex').slice(0, 16)}`;
}

/** Whether `name`, in the folder of `path`, is a temp file (or folder) that `tempPathFor(path)` gave a killed process. */
export function isStaleTempOf(name: string, path: string): boolean {
  const match = TEMP_NAME.exec(name);
  if (!match) return false;
  const stem = name.slice(0, match.index);
  return (stem === basename(path) || stem === shortStem(basename(path))) && isStaleTemp(name);
}

/** Whether the process that wrote this temp file (by its name) no longer runs: it was killed mid-write. */
export function isStaleTemp(name: string): boolean {
  const match = TEMP_NAME.exec(name);
  if (!match) return false;
  const pid = Number(match[1]);
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Removes a temp file after a failed write; its own failure must not hide the write's error. */
export async function discardTemp(temp: string): Promise<void> {
  await rm(temp, { force: true }).catch(() => undefined);
}

export function discardTempSync(temp: string): void {
  try {
    rmSync(temp, { force: true });
  } catch {
    // The write's own error is the one to report.
  }
}

/**
 * Writes `data` to `path` so that readers see either the old file or the complete new one,
 * never a half-written file: write a temp file in the same folder, then rename it into place.
 * A file-system failure is reported as an `FsError` naming `path`.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, options: { mode?: number } = {}): Promise<void> {
  try {
    await mkdir(dirname(path), { recursive: true });
  } catch (error) {
    throw fsError(error, dirname(path), 'create');
  }
  const temp = tempPathFor(path);
  try {
    await writeFile(temp, data, { mode: options.mode });
    await rename(temp, path);
  } catch (error) {
    await discardTemp(temp);
    throw fsError(error, path, 'write');
  }
}

/**
 * `writeFileAtomic` for blocking callers (the small-file fast path of the DVC layer, the PNG writers
 * in worker threads): a temp file beside `path`, renamed into place, the parent folder created on
 * first need. A failure is an `FsError` naming the path; its `code`
 * (EISDIR, ENOTEMPTY, …) stays readable for callers that handle a case themselves.
 */
export function writeFileAtomicSync(path: string, data: Uint8Array, mode?: number): void {
  const write = () => {
    const temp = tempPathFor(path);
    try {
      writeFileSync(temp, data, { mode });
      renameSync(temp, path);
    } catch (error) {
      discardTempSync(temp);
      throw error;
    }
  };
  try {
    write();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw fsError(error, path, 'write');
    try {
      mkdirSync(dirname(path), { recursive: true });
      write();
    } catch (again) {
      throw fsError(again, path, 'write');
    }
  }
}
