import { relative, resolve } from 'node:path';
import type { SourceSpec } from '../cifar/download.js';
import {
  checkoutOutputs,
  collectOutputs,
  type FetchResult,
  locked,
  type OutputCheckout,
  pullOutputs,
  RemoteError,
  type Repo,
  type TrackedOutput,
  type TransferOptions,
} from '../dvc/index.js';
import { PROJECT_PATHS } from '../paths.js';
import { type RebuildResult, rebuildVersions } from './rebuild.js';
import { VERSION_PATTERN } from './versions.js';

/**
 * The one rule for when a rebuild from CIFAR-10 stands in for the DVC remote: when the remote
 * cannot serve the data. That is a `RemoteError` of the DVC layer: no remote configured, the
 * remote unreachable (network, timeouts, server errors, an unreadable folder), credentials refused
 * or absent (a fork's pull request has no secrets), or objects missing or corrupt there. Anything
 * else is the user's to fix and is reported, not papered over by a rebuild: a target that is not
 * tracked, a malformed `.dvc` file or remote option, a refused manifest, a full disk.
 */
export function remoteCannotServe(error: unknown): error is RemoteError {
  return error instanceof RemoteError;
}

/** No `pipeline`: a rebuild remakes partitions, so only the `.dvc` files' outputs are taken. */
export interface PullOrRebuildOptions extends Omit<TransferOptions, 'cwd' | 'pipeline'> {
  cwd?: string;
  force?: boolean;
  /** Where CIFAR-10 comes from when a rebuild is needed. */
  source: SourceSpec;
  partitionsDir?: string;
  cifarCacheDir?: string;
  quiet?: boolean;
  log?: (line: string) => void;
}

export interface PullOrRebuildResult {
  /** `remote`: every object came from the cache or the remote; `rebuild`: partitions were rebuilt. */
  via: 'remote' | 'rebuild';
  /** What the fetch did, when it succeeded. */
  fetch?: FetchResult;
  /** Outputs checked out besides the rebuilt partitions (all of them when nothing was rebuilt). */
  checkout: OutputCheckout[];
  /** Why the remote could not serve, when it could not. */
  reason?: string;
  rebuild?: RebuildResult;
}

/**
 * `cifar10 data pull --rebuild` and the pull_data stage: a normal pull first; when the remote
 * cannot serve (`remoteCannotServe`), the partitions among the targets are rebuilt and verified
 * instead, and then everything is checked out. Other outputs still need the remote: if they are
 * missing, checkout names them.
 */
export async function pullOrRebuild(repo: Repo, options: PullOrRebuildOptions): Promise<PullOrRebuildResult> {
  return locked(repo, () => pullOrRebuildLocked(repo, options));
}

async function pullOrRebuildLocked(repo: Repo, options: PullOrRebuildOptions): Promise<PullOrRebuildResult> {
  const log = options.log ?? (() => {});
  const cwd = options.cwd ?? process.cwd();
  const outputs = await collectOutputs(repo, options.targets, cwd);
  let failure: RemoteError;
  try {
    // A pull leaves the workspace as it was when the remote fails it: the rebuild starts from there.
    const pulled = await pullOutputs(repo, outputs, { ...options, cwd });
    return { via: 'remote', fetch: pulled.fetch, checkout: pulled.checkout };
  } catch (error) {
    if (!remoteCannotServe(error)) throw error;
    failure = error;
  }
  const checkoutOptions = { force: options.force, progress: options.progress, jobs: options.jobs };
  const partitionsDir = resolve(repo.root, options.partitionsDir ?? PROJECT_PATHS.partitions);
  const isPartition = (o: TrackedOutput) => VERSION_PATTERN.test(relative(partitionsDir, o.path));
  const versions = outputs.filter(isPartition).map((o) => relative(partitionsDir, o.path));
  if (versions.length === 0) throw failure;
  log(`pull: ${failure.message}`);
  log(`pull: rebuilding ${versions.join(', ')} from CIFAR-10 and verifying them against their .dvc files instead`);
  const rebuild = await rebuildVersions({
    repoRoot: repo.root,
    versions,
    source: options.source,
    partitionsDir,
    cifarCacheDir: options.cifarCacheDir,
    force: options.force,
    quiet: options.quiet,
    log,
  });
  const others = outputs.filter((o) => !isPartition(o));
  const checkout = others.length > 0 ? await checkoutOutputs(repo, others, checkoutOptions) : [];
  return { via: 'rebuild', reason: failure.message, rebuild, checkout };
}

