import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { git, runGit } from './git.js';
import { type Pipeline, readPipeline } from './pipeline/dvcyaml.js';
import { stageGitFiles } from './pipeline/git-files.js';
import { formatLock, LOCK_FILE, type LockEntry, type LockStage, readLock } from './pipeline/lock.js';
import { readStageParams } from './pipeline/params.js';
import { HashMemo } from './pipeline/status.js';

/**
 * DVC experiments as git keeps them (`dvc exp run`, `dvc exp show`): a commit on top of its
 * baseline commit holding the experiment's params files, dvc.lock and git-tracked metrics, under
 * `refs/exps/<baseline[:2]>/<baseline[2:]>/<name>`. This layer lists the ones DVC made and records
 * runs made elsewhere the same way, so each tool shows the other's.
 */

/** git needs an author for the commit; a machine without one configured (a CI runner) gets this one. */
const FALLBACK_IDENTITY = { GIT_AUTHOR_NAME: 'dvc', GIT_AUTHOR_EMAIL: 'dvc@localhost', GIT_COMMITTER_NAME: 'dvc', GIT_COMMITTER_EMAIL: 'dvc@localhost' };

const EXP_REF = /^refs\/exps\/([0-9a-f]{2})\/([0-9a-f]{38})\/([^/]+)$/;

export interface DvcExperiment {
  name: string;
  ref: string;
  commit: string;
  /** The commit the experiment was run from. */
  baseline: string;
}

/** Every experiment in the git repository holding `root` (none outside a git work tree). */
export async function listExperiments(root: string): Promise<DvcExperiment[]> {
  const result = await runGit(['for-each-ref', '--format=%(refname)%00%(objectname)', 'refs/exps/'], root).catch(() => undefined);
  if (!result || result.code !== 0) return [];
  const found: DvcExperiment[] = [];
  for (const line of result.stdout.split('\n')) {
    const [ref, commit] = line.split('\0');
    const match = ref !== undefined ? EXP_REF.exec(ref) : null;
    if (match && commit) found.push({ name: match[3]!, ref: ref!, commit, baseline: match[1]! + match[2]! });
  }
  return found.sort((a, b) => a.name.localeCompare(b.name));
}

/** A file's text at a commit (a repository-relative path with `/`), or undefined when it is not there. */
export async function readFileAt(root: string, commit: string, path: string): Promise<string | undefined> {
  const top = await runGit(['rev-parse', '--show-prefix'], root);
  const result = await runGit(['show', `${commit}:${top.stdout.trim()}${path}`], root);
  return result.code === 0 ? result.stdout : undefined;
}

/**
 * dvc.lock as the run in `workDir` left the pipeline of `root`: each stage's params read from the
 * params files in `workDir`, its outputs hashed there when the run made them, and a dep that is
 * another stage's output given that output's entry; deps and outputs the run did not make stay as
 * `root`'s dvc.lock records them.
 */
async function lockForRun(root: string, pipeline: Pipeline, workDir: string): Promise<string> {
  const lock = await readLock(root);
  const memo = new HashMemo(workDir);
  const made = new Map<string, LockEntry>();
  const at = (stageWdir: string, path: string) => relative(root, join(stageWdir, path)).split(sep).join('/');
  for (const stage of pipeline.stages) {
    const locked = lock.get(stage.name);
    if (!locked) continue;
    const wdir = join(workDir, relative(root, stage.wdir));
    const outs: LockEntry[] = [];
    for (const entry of locked.outs) {
      const hash = await memo.lockEntry(join(wdir, entry.path)).catch(() => undefined);
      const updated = hash ? { path: entry.path, ...hash } : entry;
      if (hash) made.set(at(stage.wdir, entry.path), updated);
      outs.push(updated);
    }
    const params = await readStageParams(wdir, stage.name, stage.params).catch(() => locked.params);
    lock.set(stage.name, { ...locked, outs, params });
  }
  for (const stage of pipeline.stages) {
    const locked = lock.get(stage.name);
    if (!locked) continue;
    const deps = locked.deps.map((entry) => {
      const produced = made.get(at(stage.wdir, entry.path));
      return produced ? { ...produced, path: entry.path } : entry;
    });
    lock.set(stage.name, { ...locked, deps } satisfies LockStage);
  }
  return formatLock(
    lock,
    pipeline.stages.map((s) => s.name),
  );
}

/**
 * What the experiment commit of a run made in `workDir` (a copy of `root`'s layout) holds, as
 * `dvc exp run` commits it: the params files, dvc.lock (see `lockForRun`) and every `cache: false`
 * output file of the pipeline (metrics, plots: git tracks those) the run made.
 */
export async function experimentFiles(root: string, workDir: string): Promise<Record<string, string>> {
  const pipeline = await readPipeline(root);
  const files: Record<string, string> = {};
  // Without the .gitignores: the experiment's tree keeps HEAD's (a run changes outputs, not which of them git ignores).
  const paths = stageGitFiles(
    pipeline,
    pipeline.stages.map((stage) => stage.name),
    { gitignores: false },
  );
  for (const path of paths) {
    const text = await readFile(join(workDir, path), 'utf8').catch(() => undefined);
    if (text !== undefined) files[path] = text;
  }
  files[LOCK_FILE] = await lockForRun(root, pipeline, workDir);
  return files;
}

export interface RecordOptions {
  /** The experiment's name (a valid git ref component, e.g. `s42-v1`). */
  name: string;
  /**
   * Repository-relative path (with `/` or the platform's separator) → the text the experiment's
   * commit holds there; a function is called only inside a git repository with a commit.
   */
  files: Record<string, string> | (() => Promise<Record<string, string>>);
  message?: string;
}

/**
 * Records an experiment as `dvc exp run` does: a commit whose parent is HEAD and whose tree is
 * HEAD's with `files` replaced, under the experiment ref of that name (replacing an earlier one).
 * The work tree, the index and HEAD are left alone. Returns the ref, or undefined outside a git
 * repository with a commit.
 */
export async function recordExperiment(root: string, options: RecordOptions): Promise<string | undefined> {
  const head = await runGit(['rev-parse', '--verify', '-q', 'HEAD^{commit}'], root).catch(() => undefined);
  if (!head || head.code !== 0) return undefined;
  const baseline = head.stdout.trim();
  const prefix = (await git(['rev-parse', '--show-prefix'], root)).trim();
  const ref = `refs/exps/${baseline.slice(0, 2)}/${baseline.slice(2)}/${options.name}`;
  await git(['check-ref-format', ref], root);
  // A private index, so the user's staged changes are neither used nor touched.
  const scratch = await mkdtemp(join(tmpdir(), 'dvc-exp-'));
  try {
    const env = { ...process.env, GIT_INDEX_FILE: join(scratch, 'index') };
    await git(['read-tree', baseline], root, { env });
    const files = typeof options.files === 'function' ? await options.files() : options.files;
    for (const [path, text] of Object.entries(files)) {
      const blob = (await git(['hash-object', '-w', '--stdin'], root, { env, input: text })).trim();
      await git(['update-index', '--add', '--cacheinfo', `100644,${blob},${prefix}${path.split(sep).join('/')}`], root, { env });
    }
    const tree = (await git(['write-tree'], root, { env })).trim();
    const identified = (await runGit(['config', 'user.email'], root)).code === 0;
    const commit = (
      await git(['commit-tree', tree, '-p', baseline, '-m', options.message ?? `dvc: commit experiment ${options.name}`], root, {
        env: identified ? env : { ...FALLBACK_IDENTITY, ...env },
      })
    ).trim();
    await git(['update-ref', ref, commit], root);
    return ref;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
