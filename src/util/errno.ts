import { accessSync, constants, lstatSync, readlinkSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { getSystemErrorMap } from 'node:util';
import { UserError } from './errors.js';

/**
 * File-system errors a user can cause (a dangling link, a full disk, a read-only folder, a file
 * where a folder belongs) turned into messages that name the path, the error in words and the fix.
 * The layer that knows the path calls `fsError` where the system call failed.
 */

/** The code of a Node system error (`ENOENT`), or undefined for anything else. */
export function errnoOf(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) ? code : undefined;
}

/**
 * The errno codes of a network failure (reset, refused, unreachable, timed out, no DNS answer):
 * worth another attempt, and, when attempts run out, a remote that cannot be reached rather than
 * one that said no. One list for the HTTP client and the S3 remote.
 */
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'ENOTFOUND',
]);

/** Whether `code` (an error's `code`, if any) names a network failure. */
export function isNetworkErrorCode(code: string | undefined): boolean {
  return code !== undefined && NETWORK_CODES.has(code);
}

let wordsByCode: Map<string, string> | undefined;

/** The system's own words for an errno code (`ENOSPC` → "no space left on device"). */
export function errnoWords(code: string): string {
  wordsByCode ??= new Map([...getSystemErrorMap().values()].map(([name, words]) => [name, words]));
  return wordsByCode.get(code) ?? code;
}

/** A file-system failure on `path` that the user can fix. Keeps `code` so callers can still tell ENOENT apart. */
export class FsError extends UserError {
  constructor(
    message: string,
    readonly code: string,
    readonly path: string,
    cause: unknown,
  ) {
    super(message, { cause });
    this.name = 'FsError';
  }
}

function lstatOrUndefined(path: string) {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

/** The deepest existing path at or above `path` that is not a folder: what ENOTDIR trips over. */
function fileInTheWay(path: string): string | undefined {
  for (let at = resolve(path); at !== dirname(at); at = dirname(at)) {
    const info = lstatOrUndefined(at);
    if (info) return info.isDirectory() ? undefined : at;
  }
  return undefined;
}

/** The link at or above `path` whose target is missing, with that target. */
function danglingLink(path: string): { link: string; target: string } | undefined {
  for (let at = resolve(path); at !== dirname(at); at = dirname(at)) {
    const info = lstatOrUndefined(at);
    if (!info) continue;
    if (!info.isSymbolicLink()) return undefined;
    try {
      return { link: at, target: readlinkSync(at) };
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function fixFor(code: string, path: string, action: string): string {
  switch (code) {
    case 'ENOENT': {
      const dangling = danglingLink(path);
      if (dangling) return `${dangling.link} is a symbolic link to ${dangling.target}, which does not exist; restore its target or remove the link`;
      return 'check the path, or create what is missing';
    }
    case 'ELOOP':
      return 'a symbolic link on that path points back into itself (a loop); fix or remove the link';
    case 'EACCES':
    case 'EPERM':
      return `this user may not ${action} it; fix the permissions (ls -l ${dirname(path)}) or work in a folder you own`;
    case 'EROFS':
      return 'it is on a read-only file system; work in a writable copy (or move the DVC cache with cache.dir in .dvc/config)';
    case 'ENOSPC':
    case 'EDQUOT':
      return 'the disk is full; free some space there (or move the DVC cache with cache.dir in .dvc/config) and run the command again';
    case 'ENAMETOOLONG':
      return 'a name on that path is longer than the file system allows (usually 255 bytes per name); use a shorter name';
    case 'ENOTDIR': {
      const file = fileInTheWay(path);
      return `${file ?? 'a part of that path'} is a file where a folder is expected; move it away and run the command again`;
    }
    case 'EISDIR':
      return 'a folder stands where a file is expected; move it away and run the command again';
    case 'EEXIST':
    case 'ENOTEMPTY':
      return 'something is already there; move it away and run the command again';
    case 'EMFILE':
    case 'ENFILE':
      return 'too many files are open at once; pass a smaller --jobs or raise the limit (ulimit -n)';
    case 'EXDEV':
      return 'the source and destination are on different file systems; keep them on one';
    case 'EIO':
      return 'the disk reported an input/output error; check the disk';
    default:
      return 'check the path and its permissions';
  }
}

/**
 * Node's recursive mkdir reports ENOENT when the real cause is a read-only file system or a
 * folder the user may not write: asking the deepest existing folder tells which.
 */
function whyNotCreatable(path: string): string | undefined {
  for (let at = dirname(resolve(path)); at !== dirname(at); at = dirname(at)) {
    if (!lstatOrUndefined(at)) continue;
    try {
      accessSync(at, constants.W_OK);
      return undefined;
    } catch (error) {
      return errnoOf(error);
    }
  }
  return undefined;
}

/**
 * `error` as an `FsError` naming `path`, the error in words and the fix, when it is a system error;
 * anything else (a UserError already, a bug) comes back unchanged. `action` is a verb: read,
 * write, create, remove, list.
 */
export function fsError(error: unknown, path: string, action: string): unknown {
  if (error instanceof UserError) return error;
  let code = errnoOf(error);
  if (code === undefined) return error;
  if (code === 'ENOENT' && (action === 'write' || action === 'create') && !danglingLink(path)) code = whyNotCreatable(path) ?? code;
  return new FsError(`cannot ${action} ${path}: ${errnoWords(code)} (${code}); ${fixFor(code, path, action)}`, code, path, error);
}

/** Runs `work`, turning a system error into an `FsError` about `path`. */
export async function withFsErrors<T>(path: string, action: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw fsError(error, path, action);
  }
}
