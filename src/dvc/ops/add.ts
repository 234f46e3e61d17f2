import { stat } from 'node:fs/promises';
import { basename, isAbsolute, resolve, sep } from 'node:path';
import { UserError } from '../../util/errors.js';
import { command, hinted } from '../../util/hints.js';
import { saveToCache } from '../save.js';
import { dvcFileFor, dvcFileWithHash, readDvcFile, repoRelative, writeDvcFile } from '../dvcfile.js';
import { type HashInfo } from '../hash.js';
import { IgnoreRules } from '../dvcignore.js';
import { DEFAULT_JOBS } from '../jobs.js';
import { addToGitignore, DVC_DIR, type Repo } from '../repo.js';
import { locked } from './locked.js';
import { collectOutputs, NO_PROGRESS, type ProgressFactory } from './outputs.js';

export interface AddOptions {
  jobs?: number;
  progress?: ProgressFactory;
  cwd?: string;
}

export interface AddedOutput {
  /** Repository-relative path of the data. */
  label: string;
  /** Absolute path of the `.dvc` file written. */
  dvcFile: string;
  hash: HashInfo;
  /** False when the `.dvc` file already recorded this exact hash. */
  changed: boolean;
}

function checkInsideRepo(repo: Repo, abs: string, typed: string): void {
  const rel = repoRelative(repo.root, abs);
  if (rel === '.' || rel.startsWith('../') || rel === '..') {
    throw new UserError(`${typed} is outside the DVC repository ${repo.root} (or is its root); add a file or folder inside it`);
  }
  if (rel.split('/').some((part) => part === DVC_DIR || part === '.git')) {
    throw new UserError(`${typed} is inside ${DVC_DIR}/ or .git/, which DVC never tracks; add a data file or folder instead`);
  }
  if (abs.endsWith('.dvc')) throw new UserError(`${typed} is a .dvc file; pass the data path it tracks instead`);
  // DVC's YAML reader (1.1) turns NEL in the .dvc file's `path` into a line break: neither tool would find the data again.
  if (basename(abs).includes('\x85')) {
    throw new UserError(
      `${typed.replaceAll('\x85', '<NEL>')}: its name holds NEL (U+0085), which DVC reads back from a .dvc file as a line break; rename it without that character and add it again`,
    );
  }
}

/**
 * `dvc add`: stores each path (file or folder) in the cache, writes `<path>.dvc` beside it and
 * lists `/<name>` in the `.gitignore` there. Re-adding unchanged data changes nothing.
 */
export async function add(repo: Repo, paths: readonly string[], options: AddOptions = {}): Promise<AddedOutput[]> {
  return locked(repo, () => addLocked(repo, paths, options));
}

async function addLocked(repo: Repo, paths: readonly string[], options: AddOptions): Promise<AddedOutput[]> {
  if (paths.length === 0) throw new UserError(hinted`nothing to add; name the files or folders to track, e.g. ${command('add', '<path>')}`);
  const cwd = options.cwd ?? process.cwd();
  const progress = options.progress ?? NO_PROGRESS;
  const rules = new IgnoreRules(repo.root);
  const tracked = await collectOutputs(repo, [], cwd);
  const results: AddedOutput[] = [];
  for (const typed of paths) {
    const abs = resolve(cwd, typed);
    checkInsideRepo(repo, abs, typed);
    const info = await stat(abs).catch((error: NodeJS.ErrnoException) =>
      Promise.reject(error.code === 'ENOENT' ? new UserError(`${typed} does not exist; create it or check the path`, { cause: error }) : error),
    );
    const overlap = tracked.find((o) => o.path !== abs && (abs.startsWith(o.path + sep) || o.path.startsWith(abs + sep)));
    if (overlap) {
      throw new UserError(
        `${typed} overlaps ${overlap.label}, which ${repoRelative(repo.root, overlap.dvc.file)} already tracks; track either the folder or the paths inside it, not both`,
      );
    }
    const excludedBy = await rules.ignoredBy(abs, info.isDirectory());
    if (excludedBy !== undefined) {
      throw new UserError(
        isAbsolute(excludedBy)
          ? `${typed} is excluded by a pattern in ${excludedBy}; remove that pattern to track it, or add another path`
          : `${typed} lies in a ${excludedBy} folder, which DVC never tracks; add a path outside it`,
      );
    }
    const label = repoRelative(repo.root, abs);
    const bar = progress(`add ${label}`, 0);
    let hash: HashInfo;
    try {
      hash = await saveToCache(repo, abs, {
        jobs: options.jobs ?? DEFAULT_JOBS,
        ignore: rules,
        onTotal: (n) => bar.setTotal(n),
        onFile: () => bar.increment(),
      });
    } finally {
      bar.stop();
    }
    const file = dvcFileFor(abs);
    const existing = await readDvcFile(file).catch(() => undefined);
    const before = existing?.outs[0];
    const isexec = info.isFile() && (info.mode & 0o111) !== 0;
    const changed = !(
      before &&
      before.md5 === hash.md5 &&
      before.size === hash.size &&
      before.hash === 'md5' &&
      Boolean(before.isexec) === isexec &&
      existing?.outs.length === 1
    );
    if (changed) await writeDvcFile(dvcFileWithHash(abs, hash, existing, isexec));
    await addToGitignore(abs);
    results.push({ label, dvcFile: file, hash, changed });
  }
  return results;
}

/** The git command that records what `add` wrote, for the CLI to print. */
export function gitAddHint(repo: Repo, added: readonly AddedOutput[]): string {
  const files = new Set<string>();
  for (const a of added) {
    files.add(repoRelative(repo.root, a.dvcFile));
    const parent = a.label.includes('/') ? a.label.slice(0, a.label.lastIndexOf('/')) : '';
    files.add(parent ? `${parent}/.gitignore` : '.gitignore');
  }
  return `git add ${[...files].join(' ')}`;
}
