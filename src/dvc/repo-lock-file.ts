import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename } from 'node:path';
import { z } from 'zod';
import { fsError } from '../util/errno.js';
import { currentShell } from '../util/hints.js';

/**
 * The format of the repository lock file `.dvc/tmp/lock` (the locking itself is in repo-lock.ts):
 * DVC's ` <pid>\n` line (zc.lockfile writes it), then one JSON line of ours with the host, the
 * command, the time and a token. A file without that line is DVC's own.
 */

export interface LockHolder {
  pid: number;
  host?: string;
  command?: string;
  since?: string;
  token?: string;
}

/** The file's text: DVC's ` <pid>` line, then ours. */
export function formatLockFile(holder: LockHolder): string {
  const { pid, ...rest } = holder;
  return ` ${pid}\n${JSON.stringify(rest)}\n`;
}

/** Our line after DVC's: each field optional, since another tool's lock may carry any JSON there. */
const LOCK_EXTRA = z.object({ host: z.string().optional(), command: z.string().optional(), since: z.string().optional(), token: z.string().optional() });

/** The holder a lock file names; `token` is absent for DVC's own format. Undefined when unreadable. */
export function parseLockFile(text: string): LockHolder | undefined {
  const [first, second] = text.split('\n');
  const pid = Number(first?.trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  if (!second?.trim()) return { pid };
  try {
    const extra = LOCK_EXTRA.safeParse(JSON.parse(second));
    if (!extra.success) return { pid };
    return { pid, host: extra.data.host, command: extra.data.command, since: extra.data.since, token: extra.data.token };
  } catch {
    return { pid };
  }
}

/** The lock file's text and the holder it names (none when unreadable); undefined when there is no file. */
export async function readLockFile(path: string): Promise<{ text: string; holder?: LockHolder } | undefined> {
  try {
    const text = await readFile(path, 'utf8');
    return { text, holder: parseLockFile(text) };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fsError(error, path, 'read');
  }
}

/** The command line of this process for the lock file, without credentials in URLs. */
function currentCommand(): string {
  const [, script, ...args] = process.argv;
  const name = currentShell().name ?? `node ${script ? basename(script) : ''}`.trim();
  return [name, ...args].join(' ').replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/gi, '$1');
}

/** The record this process writes when it takes the lock with `token`. */
export function currentHolder(token: string): LockHolder {
  return { pid: process.pid, host: hostname(), command: currentCommand(), since: new Date().toISOString(), token };
}

/** Whether the holder's process still runs; another machine's process cannot be checked, so it counts as running. */
export function isAlive(holder: LockHolder): boolean {
  if (holder.host !== undefined && holder.host !== hostname()) return true;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** The holder for a message: its pid, command, time and (when not this one) machine. */
export function describeHolder(holder: LockHolder): string {
  const parts = [
    holder.command ? `\`${holder.command}\`` : 'the real DVC or another tool',
    holder.since ? `since ${holder.since}` : undefined,
    holder.host && holder.host !== hostname() ? `on ${holder.host}` : undefined,
  ];
  return `pid ${holder.pid} (${parts.filter(Boolean).join(', ')})`;
}
