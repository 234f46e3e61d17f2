import { CorruptObjectError } from '../object-store.js';
import type { Repo } from '../repo.js';
import { checkoutOutputs, type OutputCheckout } from './checkout.js';
import { fetchOutputs, type FetchResult, type TransferOptions, VerifiedBytes } from './fetch.js';
import { locked } from './locked.js';
import { collectOutputs } from './outputs.js';

export interface PullOptions extends TransferOptions {
  force?: boolean;
}

export interface PullResult {
  fetch: FetchResult;
  checkout: OutputCheckout[];
}

/**
 * `dvc pull` = fetch + checkout. Everything is fetched and verified before the workspace is
 * touched, so a bad remote leaves the workspace as it was. A cache object that goes bad between
 * the two steps is removed by checkout; it is fetched again once and checkout re-run.
 */
export async function pull(repo: Repo, options: PullOptions = {}): Promise<PullResult> {
  return locked(repo, () => pullLocked(repo, options));
}

async function pullLocked(repo: Repo, options: PullOptions): Promise<PullResult> {
  const outputs = await collectOutputs(repo, options.targets, options.cwd);
  const keep = new VerifiedBytes();
  const fetched = await fetchOutputs(repo, outputs, { ...options, keep });
  try {
    return { fetch: fetched, checkout: await checkoutOutputs(repo, outputs, { ...options, verified: keep.objects }) };
  } catch (error) {
    if (!(error instanceof CorruptObjectError)) throw error;
    const again = await fetchOutputs(repo, outputs, options);
    return {
      fetch: { downloaded: fetched.downloaded + again.downloaded, cached: fetched.cached },
      checkout: await checkoutOutputs(repo, outputs, options),
    };
  }
}
