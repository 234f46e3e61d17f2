import { lstat, readlink, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, join, posix, relative, resolve, sep } from 'node:path';
import { UserError } from '../util/errors.js';
import type { MessagePart } from '../util/hints.js';

/**
 * The one rule for every name that someone else stored and this tool turns into a file path: the
 * entries of a `.dir` manifest (from a remote anyone with write access controls), the `path:` of a
 * `.dvc` file and the paths of `dvc.yaml` (from a pull request), bundle and artifact names. A safe
 * name is relative, uses `/`, has no `..`, no drive or backslash, no NUL, and no `.git` or `.dvc`
 * component; and where it is written, no existing symbolic link on the way leads out of its root.
 */

/** A stored name this tool refuses to turn into a path. */
export class UnsafePathError extends UserError {
  constructor(message: string | readonly MessagePart[]) {
    super(message);
    this.name = 'UnsafePathError';
  }
}

/** Folders that belong to git or DVC: nothing stored elsewhere may write into them. */
const RESERVED = new Set(['.git', '.dvc']);
const DRIVE = /^[a-z]:/i;

export interface NameRules {
  /**
   * Accept `.` segments, repeated and trailing `/` (`./data/`, `a//b`), as hand-written files have
   * them. Manifests written by DVC never do, so there they are refused.
   */
  loose?: boolean;
}

/** Why `name` may not become a path below a root, or undefined when it may. */
export function unsafePathReason(name: unknown, rules: NameRules = {}): string | undefined {
  if (typeof name !== 'string' || name === '') return 'it is empty';
  if (name.includes('\0')) return 'it contains a NUL character';
  if (name.includes('\\')) return 'it contains a backslash, a folder separator on Windows';
  if (name.startsWith('/')) return 'it is an absolute path';
  if (DRIVE.test(name)) return 'it starts with a drive letter';
  for (const part of name.split('/')) {
    if (part === '..') return 'it climbs out of its folder with ".."';
    if (part === '' || part === '.') {
      if (rules.loose) continue;
      return 'it has an empty or "." segment';
    }
    // Windows drops trailing dots and spaces and reads ':' as a stream name: `.git.` and `.git::$DATA` are `.git`.
    const bare = part
      .replace(/[. ]+$/, '')
      .split(':')[0]!
      .toLowerCase();
    if (bare === '') return `its segment "${part}" names the folder itself on Windows`;
    if (RESERVED.has(bare) || RESERVED.has(part.toLowerCase())) return `it reaches into ${bare}/, which belongs to ${bare === '.git' ? 'git' : 'DVC'}`;
  }
  if (rules.loose && posix.normalize(name).replace(/\/+$/, '') === '.') return 'it names the folder itself';
  return undefined;
}

/**
 * `name` checked by the rule, in its normal form (`./a//b/` → `a/b`); `refuse` builds the error
 * from the reason.
 */
export function safeRelativePath(name: unknown, refuse: (reason: string) => UserError, rules: NameRules = {}): string {
  const reason = unsafePathReason(name, rules);
  if (reason !== undefined) throw refuse(reason);
  return posix.normalize(name as string).replace(/\/+$/, '');
}

/**
 * A single file or folder name (a run id, a bundle or artifact name): the path rule, and no `/`
 * either, so it stays one level below its folder.
 */
export function safeName(name: unknown, what: string): string {
  const reason = typeof name === 'string' && name.includes('/') ? 'it contains "/"' : unsafePathReason(name);
  if (reason !== undefined)
    throw new UnsafePathError(`${what} ${JSON.stringify(name)} is not a safe file name: ${reason}; use letters, digits, ".", "-" and "_"`);
  return name as string;
}

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!isAbsolute(rel) && rel !== '..' && !rel.startsWith(`..${sep}`));
}

/** A symbolic link met on the way from a root to a path that leads outside the root. */
export interface LinkOut {
  /** The link, relative to the root, `/`-separated. */
  link: string;
  /** Where it leads. */
  target: string;
}

/**
 * Finds an existing symbolic link on the folders `relFolders` (each `/`-separated, relative to
 * `root`) that leads outside `root`'s real location, so a write below it would land elsewhere.
 * Links that stay inside are fine; folders that do not exist yet cannot be links. Each folder
 * prefix is looked at once, so the many files of one folder cost one check.
 */
export async function findLinkOut(root: string, relFolders: Iterable<string>): Promise<LinkOut | undefined> {
  let realRoot: string;
  try {
    realRoot = await realpath(root);
  } catch {
    return undefined; // Nothing exists below a root that does not exist.
  }
  const seen = new Map<string, boolean>();
  for (const folder of relFolders) {
    if (folder === '' || folder === '.') continue;
    const parts = folder.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const rel = parts.slice(0, i).join('/');
      const known = seen.get(rel);
      if (known === false) break;
      if (known === true) continue;
      const abs = join(root, ...parts.slice(0, i));
      const info = await lstat(abs).catch(() => undefined);
      if (!info) {
        seen.set(rel, false);
        break;
      }
      if (info.isSymbolicLink()) {
        // A dangling link is judged by where it points: a write below it could create its target.
        const target = await realpath(abs).catch(async () => resolve(await realpath(dirname(abs)), await readlink(abs)));
        if (!inside(realRoot, target)) return { link: rel, target };
      }
      seen.set(rel, true);
    }
  }
  return undefined;
}
