import { chmod, lstat, stat } from 'node:fs/promises';
import { dirname, posix, sep } from 'node:path';
import { UserError } from '../../util/errors.js';
import { hinted } from '../../util/hints.js';
import { FolderBuild } from '../workspace/build.js';
import { checkoutFromCache } from '../workspace/checkout.js';
import { planCheckout } from '../workspace/plan.js';
import { type CheckoutResult } from '../workspace/types.js';
import { MissingObjectError, readDirManifest } from '../object-store.js';
import { IgnoreRules } from '../dvcignore.js';
import { type HashInfo, isDirHash } from '../hash.js';
import { findLinkOut, UnsafePathError } from '../paths.js';
import { DEFAULT_JOBS } from '../jobs.js';
import type { Repo } from '../repo.js';
import { locked } from './locked.js';
import { type CollectOptions, collectOutputs, NO_PROGRESS, type ProgressFactory, type TrackedOutput, withHash } from './outputs.js';

export interface CheckoutOptions extends CollectOptions {
  targets?: readonly string[];
  jobs?: number;
  progress?: ProgressFactory;
  cwd?: string;
  /** Overwrite workspace changes the cache has no copy of. */
  force?: boolean;
  /** Bytes a fetch in this process already verified. */
  verified?: ReadonlyMap<string, Buffer>;
  /** Folder builds a pull started before its fetch (`startFolderBuilds`): finished rather than planned. */
  builds?: ReadonlyMap<TrackedOutput, FolderBuild>;
}

export interface OutputCheckout extends CheckoutResult {
  label: string;
}

/**
 * Refuses an output whose folders below its `.dvc` file's folder include a symbolic link leading
 * out of it: a committed link (`data -> /home/me/.ssh`) must not carry a checkout elsewhere.
 */
async function checkNoLinkOut(output: TrackedOutput): Promise<void> {
  const base = dirname(output.dvc.file);
  const linkOut = await findLinkOut(base, [posix.dirname(posix.normalize(output.out.path))]);
  if (linkOut) {
    throw new UnsafePathError(
      `${output.dvc.file}: path ${output.out.path} runs through ${linkOut.link}, a symbolic link to ${linkOut.target} outside ${base}, and checkout does not write through it. Nothing was written. Replace the link with a real folder (or remove it) and run the command again`,
    );
  }
}

/** Every output is judged before the first is written: its path, and its manifest when cached. */
async function judgeOutputs(repo: Repo, chosen: readonly (TrackedOutput & { hash: HashInfo })[]): Promise<void> {
  for (const output of chosen) {
    await checkNoLinkOut(output);
    if (isDirHash(output.hash.md5))
      await readDirManifest(repo.cacheDir, output.hash.md5, output.label).catch((error: unknown) =>
        error instanceof MissingObjectError ? undefined : Promise.reject(error),
      );
  }
}

/**
 * The checkouts a pull starts before it fetches the files: each directory output where nothing
 * stands yet (a fresh clone) gets a folder build that the fetch feeds as it verifies objects
 * (src/dvc/workspace/build.ts); `checkoutOutputs` finishes them. Every output is judged first.
 */
export async function startFolderBuilds(repo: Repo, outputs: readonly TrackedOutput[]): Promise<Map<TrackedOutput, FolderBuild>> {
  const chosen = withHash(outputs);
  await judgeOutputs(repo, chosen);
  const builds = new Map<TrackedOutput, FolderBuild>();
  const overlaps = (output: TrackedOutput) => chosen.some((o) => o.path.startsWith(output.path + sep) || output.path.startsWith(o.path + sep));
  try {
    for (const output of chosen) {
      // Outputs nested in one another (hand-edited .dvc files) are checked out one after the other.
      if (!isDirHash(output.hash.md5) || overlaps(output)) continue;
      const standing = await lstat(output.path).then(
        () => true,
        (error: NodeJS.ErrnoException) => error.code !== 'ENOENT',
      );
      if (standing) continue;
      const plan = await planCheckout(repo, output.hash, output.path);
      if (plan.kind === 'dir' && plan.absent) builds.set(output, await FolderBuild.start(repo, plan));
    }
  } catch (error) {
    await discardFolderBuilds(builds);
    throw error;
  }
  return builds;
}

/** Abandons the builds not finished (after a failed fetch or checkout): nothing of them is left. */
export async function discardFolderBuilds(builds: ReadonlyMap<TrackedOutput, FolderBuild>): Promise<void> {
  for (const build of builds.values()) await build.discard();
}

/** Checks out already-collected outputs (used by `pull` after its fetch). */
export async function checkoutOutputs(repo: Repo, outputs: readonly TrackedOutput[], options: CheckoutOptions = {}): Promise<OutputCheckout[]> {
  const rules = new IgnoreRules(repo.root);
  const results: OutputCheckout[] = [];
  const chosen = withHash(outputs);
  await judgeOutputs(repo, chosen);
  for (const output of chosen) {
    const bar = (options.progress ?? NO_PROGRESS)(`checkout ${output.label}`, output.hash.nfiles ?? 1);
    try {
      const apply = { jobs: options.jobs ?? DEFAULT_JOBS, verified: options.verified, onFile: () => bar.increment() };
      const build = options.builds?.get(output);
      const done = build
        ? await build.finish(apply)
        : await checkoutFromCache(repo, output.hash, output.path, { ...apply, ignore: rules, force: options.force });
      // A copy gets the executable bit a `.dvc` file records (`isexec`); links share the cache's mode.
      if (output.out.isexec && (repo.linkType ?? 'copy') === 'copy') await chmod(output.path, (await stat(output.path)).mode | 0o111);
      results.push({ label: output.label, ...done });
    } catch (error) {
      if (error instanceof MissingObjectError) {
        throw new UserError(hinted`cannot check out ${output.label}: ${error}`, { cause: error });
      }
      throw error;
    } finally {
      bar.stop();
    }
  }
  return results;
}

/** `dvc checkout`: makes the workspace match the `.dvc` files, from the cache only. */
export async function checkout(repo: Repo, options: CheckoutOptions = {}): Promise<OutputCheckout[]> {
  return locked(repo, async () => checkoutOutputs(repo, await collectOutputs(repo, options.targets, options.cwd, options), options));
}
