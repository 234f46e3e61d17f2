import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../util/atomic.js';
import { fsError } from '../../util/errno.js';
import { UserError } from '../../util/errors.js';
import { readDvcFile } from '../dvcfile.js';
import { type ProgressFactory } from '../ops/outputs.js';
import { pull } from '../ops/pull.js';
import { status } from '../ops/status.js';
import { loadRepo, type Repo } from '../repo.js';
import { PROJECT_PATHS } from '../../paths.js';

export const PARTITIONS_DIR = PROJECT_PATHS.partitions;
export const PULLED_FILE = PROJECT_PATHS.pulled;

export interface PullDataOptions {
  root: string;
  /** Stamp file listing the partition hashes (the pull_data stage's output). */
  out?: string;
  progress?: ProgressFactory;
  log?: (line: string) => void;
  /**
   * Gets the missing partitions (their `.dvc` files) into the workspace; default a DVC pull. The
   * CLI passes a pull that rebuilds from CIFAR-10 when no remote has them.
   */
  fetchMissing?: (repo: Repo, dvcFiles: string[]) => Promise<void>;
}

export interface PullDataResult {
  /** Partition → DVC hash recorded in its `.dvc` file. */
  partitions: Record<string, string>;
  /** Partitions fetched from the remote now. */
  pulled: string[];
}

/**
 * The `pull_data` stage: makes sure every tracked partition (`data/partitions/vK.dvc`) is in the
 * workspace, pulling only the missing ones (so a complete workspace needs no remote), and writes a
 * stamp of their hashes that changes exactly when the data does.
 */
export async function pullData(options: PullDataOptions): Promise<PullDataResult> {
  const repo = await loadRepo(options.root);
  const dir = join(options.root, PARTITIONS_DIR);
  const listed = await readdir(dir).catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? [] : Promise.reject(fsError(error, dir, 'list'))));
  const dvcFiles = listed.filter((n) => /^v[1-9][0-9]*\.dvc$/.test(n)).sort();
  if (dvcFiles.length === 0) {
    throw new UserError(`no partitions are tracked in ${dir} (no vK.dvc files); run \`cifar10 start\` or \`cifar10 data version-data\` to make and version them`);
  }
  const targets = dvcFiles.map((n) => join(dir, n));
  const states = await status(repo, { targets, cwd: options.root });
  const modified = states.filter((s) => s.state === 'modified' || s.state === 'new');
  if (modified.length > 0) {
    throw new UserError(
      `${modified.map((s) => s.label).join(', ')} differ from their .dvc files; record the change with \`cifar10 data add ${modified.map((s) => s.label).join(' ')}\` or restore it with \`cifar10 data checkout --force\``,
    );
  }
  const missing = states.filter((s) => s.state === 'deleted');
  if (missing.length > 0) {
    options.log?.(`${missing.map((s) => s.label).join(', ')} missing from the workspace: fetching`);
    const dvcFiles = missing.map((s) => s.dvcFile);
    if (options.fetchMissing) await options.fetchMissing(repo, dvcFiles);
    else await pull(repo, { targets: dvcFiles, cwd: options.root, progress: options.progress });
  }
  const partitions: Record<string, string> = {};
  for (const file of targets) {
    const out = (await readDvcFile(file)).outs[0];
    if (out?.md5) partitions[out.path] = out.md5;
  }
  await writeFileAtomic(join(options.root, options.out ?? PULLED_FILE), `${JSON.stringify({ partitions }, null, 2)}\n`);
  return { partitions, pulled: missing.map((s) => s.label) };
}
