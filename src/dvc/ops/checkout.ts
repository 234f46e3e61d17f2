import { chmod, stat } from 'node:fs/promises';
import { UserError } from '../../util/errors.js';
import { checkoutFromCache, type CheckoutResult, MissingObjectError } from '../cache.js';
import { IgnoreRules } from '../hash.js';
import { DEFAULT_JOBS } from '../pool.js';
import type { Repo } from '../repo.js';
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

/** Checks out already-collected outputs (used by `pull` after its fetch). */
export async function checkoutOutputs(repo: Repo, outputs: readonly TrackedOutput[], options: CheckoutOptions = {}): Promise<OutputCheckout[]> {
  const rules = new IgnoreRules(repo.root);
  const results: OutputCheckout[] = [];
  for (const output of withHash(outputs)) {
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
        throw new UserError(`cannot check out ${output.label}: ${error.message}`, { cause: error });
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
  return checkoutOutputs(repo, await collectOutputs(repo, options.targets, options.cwd), options);
}
