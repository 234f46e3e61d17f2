import { UserError } from '../../util/errors.js';
import { command, hinted } from '../../util/hints.js';
import type { HashInfo } from '../hash.js';
import { type ApplyOptions, applyCheckoutPlan } from './apply.js';
import { type CheckoutPlan, type PlanOptions, planCheckout } from './plan.js';
import type { CacheRepo, CheckoutResult } from './types.js';

/** Workspace content that checkout would overwrite or delete although the cache has no copy of it. */
export class UncachedChangesError extends UserError {
  constructor(
    readonly path: string,
    readonly files: readonly string[],
    /** The plan that was refused, for printing. */
    readonly plan?: CheckoutPlan,
  ) {
    const shown = files.slice(0, 5).join(', ') + (files.length > 5 ? `, … (${files.length} files)` : '');
    super(
      hinted`${path} has changes that are not in the cache (${shown}); keep them with ${command('add', path)}, or discard them with ${command('checkout', '--force')}`,
    );
    this.name = 'UncachedChangesError';
  }
}

export interface CheckoutOptions extends PlanOptions, ApplyOptions {
  onTotal?: (files: number) => void;
}

/**
 * Makes the workspace at `path` match `hash` from the cache, as writable copies (or the links
 * `cache.type` asks for): plans first, then applies. Files already right are left alone, and a
 * directory loses the files its manifest does not list (ignored files are kept). Workspace content
 * that would be lost (changed or extra files the cache has no copy of) stops the checkout before
 * anything is written, with `UncachedChangesError`, unless `force` is set.
 */
export async function checkoutFromCache(repo: CacheRepo, hash: Pick<HashInfo, 'md5'>, path: string, options: CheckoutOptions = {}): Promise<CheckoutResult> {
  const plan = await planCheckout(repo, hash, path, options);
  options.onTotal?.(plan.kind === 'file' ? 1 : plan.entries.length);
  if (!options.force && plan.lost.length > 0) throw new UncachedChangesError(path, plan.lost, plan);
  return applyCheckoutPlan(repo, plan, options);
}
