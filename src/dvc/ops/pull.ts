import { CorruptObjectError } from '../object-store.js';
import type { Repo } from '../repo.js';
import { checkoutOutputs, discardFolderBuilds, type OutputCheckout, startFolderBuilds } from './checkout.js';
import { fetchManifests, fetchObjects, fetchOutputs, type FetchResult, type TransferOptions, VerifiedBytes } from './fetch.js';
import { locked } from './locked.js';
import { collectOutputs, type TrackedOutput, withHash } from './outputs.js';

export interface PullOptions extends TransferOptions {
  force?: boolean;
}

export interface PullResult {
  fetch: FetchResult;
  checkout: OutputCheckout[];
}

/**
 * `dvc pull` = fetch + checkout. Everything is fetched and verified before anything in the
 * workspace changes (folders built meanwhile wait beside their place, under temp names), so a bad
 * remote leaves the workspace as it was. A cache object that goes bad between the two steps is
 * removed by checkout; it is fetched again once and checkout re-run.
 */
export async function pull(repo: Repo, options: PullOptions = {}): Promise<PullResult> {
  return locked(repo, async () => pullOutputs(repo, await collectOutputs(repo, options.targets, options.cwd, options), options));
}

/**
 * `pull` of already-collected outputs (the caller holds the repository lock). A folder where
 * nothing stands yet is built beside its place while the fetch goes on, from the bytes the fetch
 * has just verified, and renamed into place once the fetch is complete; the other outputs are
 * checked out after the fetch, from the bytes it kept.
 */
export async function pullOutputs(repo: Repo, outputs: readonly TrackedOutput[], options: PullOptions = {}): Promise<PullResult> {
  const plan = await fetchManifests(repo, outputs, options);
  const builds = await startFolderBuilds(repo, outputs);
  const keep = builds.size < withHash(outputs).length ? new VerifiedBytes() : undefined;
  let fetched: FetchResult | undefined;
  try {
    fetched = await fetchObjects(repo, plan, {
      ...options,
      onVerified: (md5, data) => {
        for (const build of builds.values()) build.offer(md5, data);
        keep?.keep(md5, data);
      },
    });
    return { fetch: fetched, checkout: await checkoutOutputs(repo, outputs, { ...options, verified: keep?.objects, builds }) };
  } catch (error) {
    await discardFolderBuilds(builds);
    if (!(error instanceof CorruptObjectError) || fetched === undefined) throw error;
    const again = await fetchOutputs(repo, outputs, options);
    return {
      fetch: { downloaded: fetched.downloaded + again.downloaded, cached: fetched.cached },
      checkout: await checkoutOutputs(repo, outputs, options),
    };
  }
}
