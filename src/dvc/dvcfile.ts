import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import { fsError } from '../util/errno.js';
import { UserError } from '../util/errors.js';
import { command, hinted } from '../util/hints.js';
import type { HashInfo } from './hash.js';
import { IgnoreRules } from './dvcignore.js';
import { safeRelativePath, UnsafePathError } from './paths.js';
import { dumpYaml } from './yaml/emit.js';
import { loadYaml } from './yaml/resolve.js';
import { isPyMapping, pyMapping, type PyValue } from './yaml/values.js';

/**
 * `.dvc` files (docs/dvc-format.md §3): one `outs:` list whose items carry `md5`, `size`, `nfiles`
 * (directories), `isexec` (when set), `hash: md5` and `path`, in that order.
 */

export interface DvcOut {
  /** POSIX path relative to the `.dvc` file's folder. */
  path: string;
  md5?: string;
  size?: number;
  nfiles?: number;
  isexec?: boolean;
  /** `md5` for DVC 3.x outputs; absent means a 2.x output. */
  hash?: string;
  /** Other keys DVC allows (`cache`, `remote`, `push`, `desc`, …), kept as they were. */
  extra: Record<string, PyValue>;
}

export interface DvcFile {
  /** Absolute path of the `.dvc` file. */
  file: string;
  outs: DvcOut[];
  /** Top-level keys besides `outs` (`deps`, `md5`, `frozen`, `wdir`, `meta`), kept as they were. */
  extra: Record<string, PyValue>;
}

export const DVCFILE_SUFFIX = '.dvc';
const OUT_KEYS = new Set(['path', 'md5', 'size', 'nfiles', 'isexec', 'hash']);

/** The `.dvc` file that tracks `outputPath` (`data/v1` → `data/v1.dvc`). */
export function dvcFileFor(outputPath: string): string {
  return `${resolve(outputPath)}${DVCFILE_SUFFIX}`;
}

/** The absolute workspace path of an output of a `.dvc` file. */
export function outputPath(dvc: DvcFile, out: DvcOut): string {
  return resolve(dirname(dvc.file), ...out.path.split('/'));
}

export function hashOf(out: DvcOut): HashInfo | undefined {
  if (!out.md5) return undefined;
  return { md5: out.md5, size: out.size ?? 0, ...(out.nfiles !== undefined ? { nfiles: out.nfiles } : {}) };
}

export function parseDvcFile(text: string, file: string): DvcFile {
  let doc: PyValue;
  try {
    // Typed as DVC reads it: an unquoted `path: 2024-01-01` is a date, not a name, and is refused below.
    doc = loadYaml(text);
  } catch (error) {
    throw new UserError(`${file} is not valid YAML: ${(error as Error).message}; fix it or restore it from git`, { cause: error });
  }
  if (!isPyMapping(doc) || !Array.isArray(doc['outs'])) {
    throw new UserError(`${file} has no "outs:" list, so it is not a .dvc file of tracked data; restore it from git or remove it`);
  }
  const { outs, ...extra } = doc as { outs: PyValue[] } & Record<string, PyValue>;
  return {
    file,
    extra,
    outs: outs.map((item, index) => {
      if (!isPyMapping(item) || typeof item['path'] !== 'string') {
        throw new UserError(`${file}: outs[${index}] has no "path" (a name that reads as text; quote a name such as '2024-01-01'); every output needs one`);
      }
      const o = item;
      // The path comes from a file anyone can commit (a pull request): it must name something in this folder or below.
      safeRelativePath(
        o['path'],
        (reason) =>
          new UnsafePathError(
            `${file}: outs[${index}] has path ${JSON.stringify(o['path'])}, which is refused: ${reason}. A .dvc file tracks data in its own folder or below it (e.g. path: v1); fix or remove ${file}`,
          ),
        { loose: true },
      );
      const num = (key: string): number | undefined => (typeof o[key] === 'number' ? o[key] : typeof o[key] === 'bigint' ? Number(o[key]) : undefined);
      return {
        path: o['path'] as string,
        md5: typeof o['md5'] === 'string' ? o['md5'] : undefined,
        size: num('size'),
        nfiles: num('nfiles'),
        isexec: o['isexec'] === true ? true : undefined,
        hash: typeof o['hash'] === 'string' ? o['hash'] : undefined,
        extra: Object.fromEntries(Object.entries(o).filter(([key]) => !OUT_KEYS.has(key))),
      };
    }),
  };
}

export async function readDvcFile(file: string): Promise<DvcFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new UserError(hinted`${file} does not exist; track the data with ${command('add', '<path>')} first`, { cause: error });
    throw fsError(error, file, 'read');
  }
  return parseDvcFile(text, file);
}

/** The text DVC writes for a `.dvc` file: keys in DVC's order, through DVC's YAML writer (src/dvc/yaml/emit.ts). */
export function formatDvcFile(dvc: Pick<DvcFile, 'outs' | 'extra'>): string {
  const outs = dvc.outs.map((out) => {
    const item: [string, PyValue][] = [];
    if (out.md5 !== undefined) item.push(['md5', out.md5]);
    if (out.size !== undefined) item.push(['size', out.size]);
    if (out.nfiles !== undefined) item.push(['nfiles', out.nfiles]);
    if (out.isexec) item.push(['isexec', true]);
    if (out.hash !== undefined) item.push(['hash', out.hash]);
    item.push(['path', out.path]);
    return pyMapping([...item, ...Object.entries(out.extra)]);
  });
  return dumpYaml(pyMapping([['outs', outs], ...Object.entries(dvc.extra)]));
}

export async function writeDvcFile(dvc: DvcFile): Promise<void> {
  await writeFileAtomic(dvc.file, formatDvcFile(dvc));
}

/**
 * The `.dvc` file recording `hash` for `output`, keeping the other keys of an existing one (a
 * re-add updates the hash and nothing else); `isexec` marks an executable single file, as DVC does.
 */
export function dvcFileWithHash(output: string, hash: HashInfo, existing?: DvcFile, isexec?: boolean): DvcFile {
  const file = dvcFileFor(output);
  const path = basename(resolve(output));
  const previous = existing?.outs.find((o) => o.path === path);
  const out: DvcOut = { path, md5: hash.md5, size: hash.size, nfiles: hash.nfiles, isexec: isexec || undefined, hash: 'md5', extra: previous?.extra ?? {} };
  return { file, outs: [out], extra: existing?.extra ?? {} };
}

/** Folders never searched for `.dvc` files: tool folders and installed packages. */
const SKIPPED_FOLDERS = new Set(['.git', '.dvc', '.hg', 'node_modules']);

/**
 * Every `.dvc` file in the repository, sorted. Does not descend into folders tracked by a sibling
 * `<folder>.dvc` (they hold data, not `.dvc` files), `.dvcignore`d ones, or nested repositories.
 */
export async function findDvcFiles(root: string, rules = new IgnoreRules(root)): Promise<string[]> {
  const found: string[] = [];
  const visit = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch((error: unknown) => Promise.reject(fsError(error, dir, 'list')));
    const names = new Set(entries.map((e) => e.name));
    // A folder with its own .dvc/ is another repository (a DVC "subrepo"): its files are its own.
    if (dir !== root && names.has('.dvc') && entries.some((e) => e.name === '.dvc' && e.isDirectory())) return;
    await Promise.all(
      entries.map(async (entry) => {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) {
          if (SKIPPED_FOLDERS.has(entry.name) || names.has(`${entry.name}${DVCFILE_SUFFIX}`)) return;
          if (await rules.isIgnored(path, true)) return;
          await visit(path);
        } else if (entry.isFile() && entry.name.endsWith(DVCFILE_SUFFIX) && entry.name !== DVCFILE_SUFFIX) {
          if (!(await rules.isIgnored(path, false))) found.push(path);
        }
      }),
    );
  };
  await visit(root);
  return found.sort();
}

/** A path relative to the repository root with `/`, for messages. */
export function repoRelative(root: string, path: string): string {
  return relative(root, path).split(sep).join('/') || '.';
}
