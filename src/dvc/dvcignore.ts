import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join, relative, resolve, sep } from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { fsError } from '../util/errno.js';
import { compareCodePoints } from './manifest.js';

/** The `.dvcignore` engine: which files DVC leaves out of hashes, listings and `add`. */

/** Names DVC never looks into, whatever `.dvcignore` says. */
const ALWAYS_IGNORED = new Set(['.git', '.hg', '.dvc']);
export const DVCIGNORE_FILE = '.dvcignore';

/**
 * `.dvcignore` files (gitignore syntax, each relative to its own folder) from the repository root
 * down. Matchers are read once per folder and shared by every walk of one operation.
 */
export class IgnoreRules {
  private readonly matchers = new Map<string, Promise<Ignore | undefined>>();

  /** `root` is the repository root; without one only the built-in names are left out. */
  constructor(readonly root?: string) {}

  private matcherOf(dir: string): Promise<Ignore | undefined> {
    let found = this.matchers.get(dir);
    if (!found) {
      found = readFile(join(dir, DVCIGNORE_FILE), 'utf8').then(
        (text) => ignore().add(text),
        (error: NodeJS.ErrnoException) => {
          if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined;
          throw fsError(error, join(dir, DVCIGNORE_FILE), 'read');
        },
      );
      this.matchers.set(dir, found);
    }
    return found;
  }

  /** The folders from the root down to `dir` (inclusive) that may hold `.dvcignore` files. */
  private ancestors(dir: string): string[] {
    if (!this.root) return [];
    const rel = relative(this.root, dir);
    if (rel.startsWith('..') || resolve(this.root, rel) !== resolve(dir)) return [];
    const parts = rel === '' ? [] : rel.split(sep);
    return [this.root, ...parts.map((_, i) => join(this.root!, ...parts.slice(0, i + 1)))];
  }

  /** Whether `path` (absolute) is left out; `isDir` decides whether `dir/` patterns apply. */
  async isIgnored(path: string, isDir: boolean): Promise<boolean> {
    return (await this.ignoredBy(path, isDir)) !== undefined;
  }

  /**
   * What leaves `path` out, for messages: the absolute path of the `.dvcignore` whose pattern
   * matches it, or the always-ignored folder name (`.git`, `.hg`, `.dvc`) it lies in; undefined
   * when nothing does.
   */
  async ignoredBy(path: string, isDir: boolean): Promise<string | undefined> {
    const abs = resolve(path);
    const inRepo = this.root ? relative(this.root, abs) : '';
    const names = this.root && !inRepo.startsWith('..') ? inRepo.split(sep) : [basename(abs)];
    const builtIn = names.find((name) => ALWAYS_IGNORED.has(name));
    if (builtIn !== undefined) return builtIn;
    const scopes: Scope[] = [];
    for (const dir of this.ancestors(resolve(abs, '..'))) {
      const matcher = await this.matcherOf(dir);
      if (matcher) scopes.push({ base: dir, matcher });
    }
    const decided = decidingScope(scopes, abs, isDir);
    return decided ? join(decided.base, DVCIGNORE_FILE) : undefined;
  }

  /**
   * Every file below `dir` that is not ignored, as `/`-separated paths relative to `dir`, in
   * code-point order. Symbolic links are followed, as DVC does. The matchers that apply are
   * gathered once per folder and tested synchronously, so a 20,000-file tree lists quickly.
   */
  async listFiles(dir: string): Promise<string[]> {
    const start = resolve(dir);
    const found: string[] = [];
    const above: Scope[] = [];
    for (const folder of this.ancestors(start).slice(0, -1)) {
      const matcher = await this.matcherOf(folder);
      if (matcher) above.push({ base: folder, matcher });
    }
    const visit = async (abs: string, rel: string, scopes: Scope[]): Promise<void> => {
      const [entries, own] = await Promise.all([
        readdir(abs, { withFileTypes: true }).catch((error: unknown) => Promise.reject(fsError(error, abs, 'list'))),
        this.root ? this.matcherOf(abs) : undefined,
      ]);
      const here = own ? [...scopes, { base: abs, matcher: own }] : scopes;
      const folders: Promise<void>[] = [];
      for (const entry of entries) {
        if (ALWAYS_IGNORED.has(entry.name)) continue;
        const path = join(abs, entry.name);
        // Links are followed, as DVC does; a dangling or looping one is named with the fix.
        const isDir =
          entry.isDirectory() ||
          (entry.isSymbolicLink() && (await stat(path).catch((error: unknown) => Promise.reject(fsError(error, path, 'read')))).isDirectory());
        if (here.length > 0 && ignoredBy(here, path, isDir)) continue;
        const childRel = rel === '' ? entry.name : `${rel}/${entry.name}`;
        if (isDir) folders.push(visit(path, childRel, here));
        else found.push(childRel);
      }
      await Promise.all(folders);
    };
    await visit(start, '', above);
    return found.sort(compareCodePoints);
  }
}

interface Scope {
  base: string;
  matcher: Ignore;
}

/**
 * The `.dvcignore` (as its scope) that leaves `path` out, or undefined. DVC merges a folder's
 * patterns after its parents' and the last match wins, so a nested `!keep.txt` re-includes what a
 * parent's `*.txt` excluded: scopes run outermost first, and a negation clears an earlier match.
 */
function decidingScope(scopes: readonly Scope[], path: string, isDir: boolean): Scope | undefined {
  let decided: Scope | undefined;
  for (const scope of scopes) {
    const rel = path
      .slice(scope.base.length + 1)
      .split(sep)
      .join('/');
    const result = scope.matcher.test(isDir ? `${rel}/` : rel);
    if (result.ignored) decided = scope;
    else if (result.unignored) decided = undefined;
  }
  return decided;
}

function ignoredBy(scopes: readonly Scope[], path: string, isDir: boolean): boolean {
  return decidingScope(scopes, path, isDir) !== undefined;
}
