import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join, relative, resolve, sep } from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { fsError } from '../util/errno.js';
import { UserError } from '../util/errors.js';
import { md5File, md5Hex as md5Bytes } from '../util/md5.js';
import { unsafePathReason } from './paths.js';
import { DEFAULT_JOBS, mapLimit } from './pool.js';
import { eachInBatches, readSmallSync } from './small-files.js';

/**
 * DVC 3.x hashes (docs/dvc-format.md §1): a file is the MD5 of its bytes; a directory is the MD5 of a
 * JSON manifest of its files, serialised exactly as Python's `json.dumps(..., sort_keys=True)`,
 * plus the suffix `.dir`.
 */

/** What a `.dvc` file or `dvc.lock` records about one output. `md5` ends in `.dir` for a directory. */
export interface HashInfo {
  md5: string;
  size: number;
  /** Directories only. */
  nfiles?: number;
}

/** One file of a directory manifest; `relpath` uses `/` on every OS. */
export interface ManifestEntry {
  md5: string;
  relpath: string;
}

/** A file found under a directory, with its hash and size. */
export interface HashedFile extends ManifestEntry {
  size: number;
}

export const DIR_SUFFIX = '.dir';

export function isDirHash(md5: string): boolean {
  return md5.endsWith(DIR_SUFFIX);
}

/** DVC's file hash is the plain MD5 of the bytes (docs/dvc-format.md §1). */
export { md5Bytes, md5File };

/** Compares two strings by Unicode code point, as Python sorts `str` (JS `<` compares UTF-16 units). */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (0xD800–0xDFFF) encode code points above 0xFFFF, so they outrank every BMP unit
    // above them (0xE000–0xFFFF) even though their unit value is lower.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

const SHORT_ESCAPES: Record<number, string> = {
  0x22: '\\"',
  0x5c: '\\\\',
  0x08: '\\b',
  0x0c: '\\f',
  0x0a: '\\n',
  0x0d: '\\r',
  0x09: '\\t',
};

/** A JSON string literal exactly as Python's `json.dumps` (ensure_ascii=True) writes it. */
export function pythonJsonString(text: string): string {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    const short = SHORT_ESCAPES[unit];
    if (short !== undefined) out += short;
    else if (unit < 0x20 || unit > 0x7e) out += `\\u${unit.toString(16).padStart(4, '0')}`;
    else out += text[i];
  }
  return `${out}"`;
}

/** Sorts entries by relpath in code-point order (a copy; the input is left alone). */
export function sortManifest<T extends ManifestEntry>(entries: readonly T[]): T[] {
  return [...entries].sort((a, b) => compareCodePoints(a.relpath, b.relpath));
}

/**
 * The manifest bytes of a directory, written by hand because `JSON.stringify` differs from
 * Python's `json.dumps(entries, sort_keys=True)` in separators and non-ASCII escaping, and
 * DVC's directory id is the MD5 of exactly these bytes.
 */
export function manifestBytes(entries: readonly ManifestEntry[]): Buffer {
  const items = sortManifest(entries).map((e) => `{"md5": ${pythonJsonString(e.md5)}, "relpath": ${pythonJsonString(e.relpath)}}`);
  return Buffer.from(`[${items.join(', ')}]`, 'ascii');
}

/** Parses the bytes of a `.dir` object back into entries, naming `source` when they are not a manifest. */
export function parseManifest(bytes: Uint8Array | string, source: string): ManifestEntry[] {
  let doc: unknown;
  try {
    doc = JSON.parse(typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('utf8'));
  } catch (error) {
    throw new UserError(`${source} is not a DVC directory manifest (invalid JSON); delete it so it is fetched again`, { cause: error });
  }
  if (!Array.isArray(doc) || !doc.every((e) => e && typeof e.md5 === 'string' && typeof e.relpath === 'string')) {
    throw new UserError(`${source} is not a DVC directory manifest (expected a list of {md5, relpath}); delete it so it is fetched again`);
  }
  return doc.map((e: ManifestEntry) => ({ md5: e.md5, relpath: e.relpath }));
}

/** An entry of a manifest that must not be written, with the reason. */
export interface UnsafeEntry {
  relpath: string;
  reason: string;
}

const FILE_MD5 = /^[0-9a-f]{32}$/;

/**
 * The first entry of a manifest that checkout must refuse, or undefined when every entry is safe:
 * a name the path rule refuses (src/dvc/paths.ts), a hash that is not a file's MD5, a name listed
 * twice, or a name that is both a file and the folder of another entry (`a` and `a/b`). The whole
 * manifest is judged before anything is written.
 */
export function unsafeManifestEntry(entries: readonly ManifestEntry[]): UnsafeEntry | undefined {
  const files = new Set<string>();
  for (const { relpath, md5 } of entries) {
    const reason = unsafePathReason(relpath);
    if (reason !== undefined) return { relpath, reason };
    if (!FILE_MD5.test(md5)) return { relpath, reason: `its md5 ${JSON.stringify(md5)} is not a file's MD5 (32 hex digits)` };
    if (files.has(relpath)) return { relpath, reason: 'it is listed twice' };
    files.add(relpath);
  }
  for (const relpath of files) {
    for (let slash = relpath.indexOf('/'); slash !== -1; slash = relpath.indexOf('/', slash + 1)) {
      const folder = relpath.slice(0, slash);
      if (files.has(folder)) return { relpath: folder, reason: `it is listed as a file and also as the folder of ${JSON.stringify(relpath)}` };
    }
  }
  return undefined;
}

/** The id, size and file count of a directory from its files' hashes, plus the manifest bytes. */
export function dirHashInfo(files: readonly HashedFile[]): { hash: HashInfo; manifest: Buffer } {
  const manifest = manifestBytes(files);
  const size = files.reduce((sum, f) => sum + f.size, 0);
  return { hash: { md5: md5Bytes(manifest) + DIR_SUFFIX, size, nfiles: files.length }, manifest };
}

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
        const isDir = entry.isDirectory() || (entry.isSymbolicLink() && (await stat(path).catch((error: unknown) => Promise.reject(fsError(error, path, 'read')))).isDirectory());
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
    const rel = path.slice(scope.base.length + 1).split(sep).join('/');
    const result = scope.matcher.test(isDir ? `${rel}/` : rel);
    if (result.ignored) decided = scope;
    else if (result.unignored) decided = undefined;
  }
  return decided;
}

function ignoredBy(scopes: readonly Scope[], path: string, isDir: boolean): boolean {
  return decidingScope(scopes, path, isDir) !== undefined;
}

export interface HashOptions {
  /** Repository root whose `.dvcignore` files apply. */
  root?: string;
  /** Shared ignore rules (read once per operation); built from `root` when absent. */
  ignore?: IgnoreRules;
  /** Files hashed at once. */
  jobs?: number;
  /** Called once per file hashed, for progress bars. */
  onFile?: () => void;
}

/** Hashes every (non-ignored) file under `dir`, in manifest order. */
export async function hashDirFiles(dir: string, options: HashOptions = {}): Promise<HashedFile[]> {
  const rules = options.ignore ?? new IgnoreRules(options.root);
  const relpaths = await rules.listFiles(dir);
  const files = new Array<HashedFile>(relpaths.length);
  const large: number[] = [];
  await eachInBatches(relpaths, (relpath, i) => {
    const data = readSmallSync(join(dir, ...relpath.split('/')));
    if (!data) return void large.push(i);
    files[i] = { md5: md5Bytes(data), relpath, size: data.length };
    options.onFile?.();
  });
  await mapLimit(large, options.jobs ?? DEFAULT_JOBS, async (i) => {
    files[i] = { relpath: relpaths[i]!, ...(await md5File(join(dir, ...relpaths[i]!.split('/')))) };
    options.onFile?.();
  });
  return files;
}

/**
 * The DVC hash of a file or directory, as a `.dvc` file records it: `{md5, size}` for a file,
 * `{md5: '<id>.dir', size, nfiles}` for a directory.
 */
export async function hashPath(path: string, options: HashOptions = {}): Promise<HashInfo> {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new UserError(`${path} does not exist; create it or check the path`, { cause: error });
    }
    throw fsError(error, path, 'read');
  }
  if (info.isDirectory()) return dirHashInfo(await hashDirFiles(path, options)).hash;
  const { md5, size } = await md5File(path);
  options.onFile?.();
  return { md5, size };
}
