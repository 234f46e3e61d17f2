import { chmod, stat } from 'node:fs/promises';
import { dirname, posix } from 'node:path';
import { UserError } from '../../util/errors.js';
import { hinted } from '../../util/hints.js';
import { checkoutFromCache } from '../workspace/checkout.js';
import { type CheckoutResult } from '../workspace/types.js';
import { MissingObjectError, readDirManifest } from '../object-store.js';
import { IgnoreRules } from '../dvcignore.js';
import { isDirHash } from '../hash.js';
import { findLinkOut, UnsafePathError } from '../paths.js';
import { DEFAULT_JOBS } from '../jobs.js';
import type { Repo } from '../repo.js';
import { locked } from './locked.js';
import { collectOutputs, NO_PROGRESS, type ProgressFactory, type TrackedOutput, withHash } from './outputs.js';

export interface CheckoutOptions {
  targets?: readonly string[];
  jobs?: number;
  progress?: ProgressFactory;
  cwd?: string;
  /** Overwrite workspace changes the cache has no copy of. */
  force?: boolean;
  /** Bytes a fetch in this process already verified. */
  verified?: ReadonlyMap<string, Buffer>;
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

/** Checks out already-collected outputs (used by `pull` after its fetch). */
export async function checkoutOutputs(repo: Repo, outputs: readonly TrackedOutput[], options: CheckoutOptions = {}): Promise<OutputCheckout[]> {
  const rules = new IgnoreRules(repo.root);
  const results: OutputCheckout[] = [];
  const chosen = withHash(outputs);
  // Every output is judged before the first is written: its path, and its manifest when cached.
  for (const output of chosen) {
    await checkNoLinkOut(output);
    if (isDirHash(output.hash.md5))
      await readDirManifest(repo.cacheDir, output.hash.md5, output.label).catch((error: unknown) =>
        error instanceof MissingObjectError ? undefined : Promise.reject(error),
      );
  }
  for (const output of chosen) {
    const bar = (options.progress ?? NO_PROGRESS)(`checkout ${output.label}`, output.hash.nfiles ?? 1);
    try {
      const done = await checkoutFromCache(repo, output.hash, output.path, {
        jobs: options.jobs ?? DEFAULT_JOBS,
        ignore: rules,
        force: options.force,
        verified: options.verified,
        onFile: () => bar.increment(),
      });
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
  return locked(repo, async () => checkoutOutputs(repo, await collectOutputs(repo, options.targets, options.cwd), options));
}
