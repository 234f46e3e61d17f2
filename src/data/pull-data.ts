import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { SourceSpec } from '../cifar/download.js';
import { loadRepo, type ProgressFactory, pull, readDvcFile, status } from '../dvc/index.js';
import { PROJECT_PATHS } from '../paths.js';
import { writeFileAtomic } from '../util/atomic.js';
import { fsError } from '../util/errno.js';
import { UserError } from '../util/errors.js';
import { command, hinted } from '../util/hints.js';
import { pullOrRebuild } from './pull-or-rebuild.js';

export interface PullDataOptions {
  root: string;
  /** Stamp file listing the partition hashes (the pull_data stage's output). */
  out?: string;
  progress?: ProgressFactory;
  log?: (line: string) => void;
  quiet?: boolean;
  /**
   * Where CIFAR-10 comes from when the remote cannot serve a missing partition: it is rebuilt from
   * there and verified against its `.dvc` file (src/data/pull-or-rebuild.ts). Without it, a
   * missing partition is only pulled.
   */
  source?: SourceSpec;
  /** CIFAR-10 download cache for a rebuild; default as `cifar10 download`. */
  cifarCacheDir?: string;
}

export interface PullDataResult {
  /** Partition → DVC hash recorded in its `.dvc` file. */
  partitions: Record<string, string>;
  /** Partitions that were missing and are now in place. */
  pulled: string[];
  /** Of those, the partitions (`v2`) rebuilt from CIFAR-10 because the remote could not serve them; absent when none. */
  rebuilt?: string[];
}

/**
 * The `pull_data` stage: makes sure every tracked partition (`data/partitions/vK.dvc`) is in the
 * workspace, getting only the missing ones (so a complete workspace needs no remote), and writes
 * a stamp of their hashes that changes exactly when the data does.
 */
export async function pullData(options: PullDataOptions): Promise<PullDataResult> {
  const repo = await loadRepo(options.root);
  const dir = join(options.root, PROJECT_PATHS.partitions);
  const listed = await readdir(dir).catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? [] : Promise.reject(fsError(error, dir, 'list'))));
  const dvcFiles = listed.filter((n) => /^v[1-9][0-9]*\.dvc$/.test(n)).sort();
  if (dvcFiles.length === 0) {
    throw new UserError(hinted`no partitions are tracked in ${dir} (no vK.dvc files); run ${command('start')} or ${command('version-data')} to make and version them`);
  }
  const targets = dvcFiles.map((n) => join(dir, n));
  const states = await status(repo, { targets, cwd: options.root });
  const modified = states.filter((s) => s.state === 'modified' || s.state === 'new');
  if (modified.length > 0) {
    const labels = modified.map((s) => s.label);
    throw new UserError(hinted`${labels.join(', ')} differ from their .dvc files; record the change with ${command('add', ...labels)} or restore it with ${command('checkout', '--force')}`);
  }
  const missing = states.filter((s) => s.state === 'deleted');
  let rebuilt: string[] = [];
  if (missing.length > 0) {
    options.log?.(`${missing.map((s) => s.label).join(', ')} missing from the workspace: fetching`);
    const missingFiles = missing.map((s) => s.dvcFile);
    if (options.source !== undefined) {
      const result = await pullOrRebuild(repo, {
        targets: missingFiles,
        cwd: options.root,
        source: options.source,
        cifarCacheDir: options.cifarCacheDir,
        progress: options.progress,
        quiet: options.quiet,
        log: options.log,
      });
      rebuilt = result.rebuild?.rebuilt ?? [];
    } else {
      await pull(repo, { targets: missingFiles, cwd: options.root, progress: options.progress });
    }
  }
  const partitions: Record<string, string> = {};
  for (const file of targets) {
    const out = (await readDvcFile(file)).outs[0];
    if (out?.md5) partitions[out.path] = out.md5;
  }
  await writeFileAtomic(join(options.root, options.out ?? PROJECT_PATHS.pulled), `${JSON.stringify({ partitions }, null, 2)}\n`);
  return { partitions, pulled: missing.map((s) => s.label), ...(rebuilt.length > 0 ? { rebuilt } : {}) };
}
