import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import { fsError } from '../util/errno.js';
import { UserError } from '../util/errors.js';
import { command, hinted } from '../util/hints.js';
import { CONFIG_FILE, type IniDoc, readConfig } from './config-file.js';
import type { LinkType } from './workspace/types.js';
import { DVCIGNORE_FILE } from './dvcignore.js';
import { gitAdd } from './git.js';

/** An opened DVC repository: its root, `.dvc/` folder, cache folder and merged config. */
export interface Repo {
  root: string;
  dvcDir: string;
  cacheDir: string;
  /** From `cache.type`: the first of its comma-separated choices this tool can make. */
  linkType: LinkType;
  config: IniDoc;
}

/**
 * Reads `cache.type` (e.g. `reflink,copy`, `hardlink`). Reflinks are not available from Node: the
 * next choice is taken, and a lone `reflink` becomes a copy; an unknown name is an error.
 */
export function linkTypeFrom(value: string | undefined, source: string): LinkType {
  if (value === undefined) return 'copy';
  const choices = value.split(',').map((c) => c.trim());
  // Like DVC, take the first choice that works; a reflink is never possible here.
  const usable = choices.find((c) => c === 'copy' || c === 'hardlink' || c === 'symlink');
  if (usable) return usable as LinkType;
  if (choices.every((c) => c === 'reflink')) return 'copy';
  throw new UserError(`${source}: cache.type = ${value} is not one of reflink, copy, hardlink, symlink; fix it in .dvc/config`);
}

export const DVC_DIR = '.dvc';

/** Exactly what `dvc init` writes (docs/dvc-format.md §4). */
export const DVC_GITIGNORE = '/config.local\n/tmp\n/cache\n';
export const DVCIGNORE_TEXT =
  '# Add patterns of files dvc should ignore, which could improve\n# the performance. Learn more at\n# https://dvc.org/doc/user-guide/dvcignore\n';

async function isDir(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** The nearest folder at or above `start` holding a `.dvc/` folder, or undefined. */
export async function findRepoRoot(start: string = process.cwd()): Promise<string | undefined> {
  let dir = resolve(start);
  for (;;) {
    if (await isDir(join(dir, DVC_DIR))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** Opens the repository containing `start`, failing with the fix when there is none. */
export async function openRepo(start: string = process.cwd()): Promise<Repo> {
  const root = await findRepoRoot(start);
  if (!root) {
    throw new UserError(
      hinted`${resolve(start)} is not inside a DVC repository (no ${DVC_DIR}/ folder here or above); run ${command('init')} at the project root first`,
    );
  }
  return loadRepo(root);
}

/** Loads the repository whose root is `root` (re-reads the config, e.g. after a remote was added). */
export async function loadRepo(root: string): Promise<Repo> {
  const dvcDir = join(root, DVC_DIR);
  const config = await readConfig(dvcDir);
  const configured = config.get('cache')?.get('dir');
  // A relative cache.dir is relative to .dvc/, like every path in the config.
  const cacheDir = configured ? (isAbsolute(configured) ? configured : resolve(dvcDir, configured)) : join(dvcDir, 'cache');
  return { root, dvcDir, cacheDir, linkType: linkTypeFrom(config.get('cache')?.get('type'), join(dvcDir, CONFIG_FILE)), config };
}

export interface InitResult {
  repo: Repo;
  /** False when the folder already was a DVC repository (nothing was changed). */
  created: boolean;
  /** Whether the files were staged in git (`git add`), as `dvc init` does in a git work tree. */
  staged: boolean;
}

async function writeIfAbsent(path: string, text: string): Promise<boolean> {
  try {
    await writeFile(path, text, { flag: 'wx' });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw fsError(error, path, 'create');
    return false;
  }
}

/**
 * `dvc init`: `.dvc/config` (empty), `.dvc/.gitignore`, `.dvcignore`, staged in git as `dvc init`
 * stages them when the folder is in a git work tree. Running it again on a repository changes
 * nothing; a missing file of a half-made repository is filled in (and staged).
 */
export async function initRepo(root: string): Promise<InitResult> {
  const dvcDir = join(root, DVC_DIR);
  const created = !(await isDir(dvcDir));
  try {
    await mkdir(dvcDir, { recursive: true });
  } catch (error) {
    throw fsError(error, dvcDir, 'create');
  }
  const files: [string, string][] = [
    [join(DVC_DIR, CONFIG_FILE), ''],
    [join(DVC_DIR, '.gitignore'), DVC_GITIGNORE],
    [DVCIGNORE_FILE, DVCIGNORE_TEXT],
  ];
  let wrote = false;
  for (const [rel, text] of files) wrote = (await writeIfAbsent(join(root, rel), text)) || wrote;
  const paths = files.map(([rel]) => rel.split(sep).join('/'));
  const staged = wrote
    ? await gitAdd(paths, root).catch((error: Error) => {
        throw new UserError(
          `${root} is a DVC repository now, but git could not stage its files (${error.message}); run \`git add ${paths.join(' ')}\` there (check that no .gitignore pattern matches them)`,
          { cause: error },
        );
      })
    : false;
  return { repo: await loadRepo(root), created, staged };
}

/**
 * A `.gitignore` line for a name, escaped as DVC escapes it (pathspec's `GitWildMatchPattern.escape`):
 * `[`, `]`, `!`, `*`, `#` and `?` get a backslash, so the line matches that one name and nothing else.
 */
export function gitignoreEntry(name: string): string {
  return `/${name}`.replace(/[[\]!*#?]/g, (ch) => `\\${ch}`);
}

/**
 * Appends `/<name>` to the `.gitignore` beside `path`, as `dvc add` does, so git skips the data
 * and commits the `.dvc` file instead. Nothing changes when the entry is already there.
 */
export async function addToGitignore(path: string): Promise<boolean> {
  const abs = resolve(path);
  const file = join(dirname(abs), '.gitignore');
  const entry = gitignoreEntry(abs.slice(dirname(abs).length + 1));
  let text = '';
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw fsError(error, file, 'read');
  }
  if (text.split(/\r?\n/).includes(entry)) return false;
  const prefix = text === '' || text.endsWith('\n') ? text : `${text}\n`;
  await writeFileAtomic(file, `${prefix}${entry}\n`);
  return true;
}
