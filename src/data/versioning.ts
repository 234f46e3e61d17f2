import { access } from 'node:fs/promises';
import { join } from 'node:path';
import {
  add,
  addRemote,
  configUrlFor,
  defaultRemoteName,
  findRepoRoot,
  initRepo,
  listRemotes,
  loadRepo,
  LOCAL_CONFIG_FILE,
  type ProgressFactory,
  push,
  type PushResult,
  type Repo,
  repoRelative,
  safeUrl,
  urlHasPassword,
} from '../dvc/index.js';
import { PROJECT_PATHS } from '../paths.js';
import { UserError } from '../util/errors.js';
import { command, hinted } from '../util/hints.js';
import { createPartitions, type PartitionSpec } from './partition.js';
import { readPartitionRecipe, RECIPE_FILE } from './recipe.js';

/** The partition layout made by default: three class-balanced partitions of 20,000 images. */
export const DEFAULT_PARTITIONS = { count: 3, size: 20000, seed: 42, balanced: true } as const;
export const DEFAULT_REMOTE_NAME = 'storage';
const PARTITIONS_DIR = PROJECT_PATHS.partitions;
const IMAGES_DIR = PROJECT_PATHS.images;

export interface VersionDataOptions {
  /** Folder to work in (the project root); default the current folder. */
  cwd?: string;
  /** Remote path or URL; added as the default remote `storage` unless a remote with that URL exists. */
  remote?: string;
  jobs?: number;
  progress?: ProgressFactory;
  /** Asks the user for a remote; the shell passes one when it has a terminal (the CLI: a readline prompt), and without it nothing is asked. */
  ask?: (question: string) => Promise<string>;
  log?: (line: string) => void;
  /** Partition layout when the partitions must be made; default DEFAULT_PARTITIONS. */
  partitions?: Partial<PartitionSpec>;
}

export interface VersionDataResult {
  versions: string[];
  push: PushResult;
  /** The default remote's URL for messages, without user info. */
  remote: string;
  /** The `git add …` line that records the versions. */
  gitCommand: string;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** Picks the remote to push to, adding `--remote` or the answer to a prompt to `.dvc/config` when needed. */
async function ensureRemote(repo: Repo, options: VersionDataOptions, cwd: string): Promise<Repo> {
  const remotes = listRemotes(repo.config);
  if (options.remote !== undefined) {
    const stored = configUrlFor(options.remote, cwd, repo.dvcDir);
    const same = remotes.find((r) => r.url === stored);
    // A password never goes into the committed config: such a remote is kept in config.local.
    const local = urlHasPassword(options.remote);
    if (local) options.log?.(`the remote URL carries a password: it is stored in ${join(repo.dvcDir, LOCAL_CONFIG_FILE)}, which git ignores`);
    if (same) {
      if (defaultRemoteName(repo.config) !== same.name) await addRemote(repo.dvcDir, same.name, options.remote, { makeDefault: true, cwd, force: true, local });
    } else {
      const name = remotes.some((r) => r.name === DEFAULT_REMOTE_NAME) ? `${DEFAULT_REMOTE_NAME}-${remotes.length + 1}` : DEFAULT_REMOTE_NAME;
      await addRemote(repo.dvcDir, name, options.remote, { makeDefault: true, cwd, local });
    }
    return loadRepo(repo.root);
  }
  if (defaultRemoteName(repo.config)) return repo;
  if (!options.ask) {
    throw new UserError(
      hinted`no DVC remote is configured in ${join(repo.dvcDir, 'config')} and there is no terminal to ask for one; pass --remote <folder or URL> (e.g. ${command('version-data', '--remote', '../dvc-storage')}) or run ${command('remote add', '-d', 'storage', '<folder or URL>')} first`,
    );
  }
  const answer = (await options.ask('No DVC remote is configured. Folder path or URL to push the data to (e.g. ../dvc-storage): ')).trim();
  if (answer === '') throw new UserError(hinted`no remote given; run ${command('version-data', '--remote', '<folder or URL>')}`);
  await addRemote(repo.dvcDir, DEFAULT_REMOTE_NAME, answer, { makeDefault: true, cwd });
  return loadRepo(repo.root);
}

/**
 * Versions the partitions in one call: `data init` if needed, `partition` if the partition folders
 * are missing, `data add` of each partition (one `.dvc` file each), `data push`, and the git
 * command that records the result. Every step is idempotent, so a re-run after a failure
 * finishes the job.
 */
export async function versionData(options: VersionDataOptions = {}): Promise<VersionDataResult> {
  const cwd = options.cwd ?? process.cwd();
  const log = options.log ?? (() => {});
  const found = await findRepoRoot(cwd);
  const root = found ?? cwd;
  let repo: Repo;
  if (found) repo = await loadRepo(root);
  else {
    repo = (await initRepo(root)).repo;
    log(`Initialized a DVC repository in ${root}`);
  }
  repo = await ensureRemote(repo, options, cwd);

  const partitionsDir = join(root, PARTITIONS_DIR);
  const recipePath = join(partitionsDir, RECIPE_FILE);
  const spec: PartitionSpec = { ...DEFAULT_PARTITIONS, ...options.partitions };
  const hasRecipe = await exists(recipePath);
  let versions = hasRecipe ? Object.keys((await readPartitionRecipe(recipePath)).partitions) : Array.from({ length: spec.count }, (_, k) => `v${k + 1}`);
  const present = await Promise.all(versions.map((v) => exists(join(partitionsDir, v))));
  if (!hasRecipe || present.some((p) => !p)) {
    log(`Partitions missing in ${PARTITIONS_DIR}; creating them from ${IMAGES_DIR}`);
    const made = await createPartitions({ imagesDir: join(root, IMAGES_DIR), outDir: partitionsDir, ...spec, quiet: options.progress === undefined });
    versions = Object.keys(made.recipe.partitions);
  }

  const added = await add(
    repo,
    versions.map((v) => join(partitionsDir, v)),
    { jobs: options.jobs, progress: options.progress, cwd: root },
  );
  for (const a of added) log(`${a.changed ? 'added' : 'unchanged'}: ${a.label} (${a.hash.md5}, ${a.hash.nfiles} files)`);
  const pushed = await push(repo, { targets: added.map((a) => a.dvcFile), jobs: options.jobs, progress: options.progress, cwd: root });
  const remote = listRemotes(repo.config).find((r) => r.name === defaultRemoteName(repo.config))!;
  const shownUrl = safeUrl(remote.url);
  log(`pushed ${pushed.uploaded} object(s) to "${remote.name}" (${shownUrl}); ${pushed.present} were already there`);
  // The recipe is there: it was read above, or createPartitions wrote it.
  const files = ['.dvc/config', '.dvc/.gitignore', '.dvcignore', ...added.map((a) => repoRelative(root, a.dvcFile)), `${PARTITIONS_DIR}/.gitignore`, `${PARTITIONS_DIR}/${RECIPE_FILE}`];
  return { versions, push: pushed, remote: shownUrl, gitCommand: `git add ${files.join(' ')}` };
}
