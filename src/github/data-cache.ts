import * as cache from '@actions/cache';
import { messageOf } from '../util/errors.js';

/**
 * The Actions cache behind a small interface, guarded so that cache trouble (no cache service on
 * a self-hosted runner or locally, a full or unreachable service, a key race between jobs) is a
 * warning and never a failed job: the data can always be pulled or rebuilt instead.
 */
export interface CacheService {
  /** The key that matched (exact or by prefix), or undefined on a miss or any trouble. */
  restore(paths: string[], key: string, restoreKeys: string[]): Promise<string | undefined>;
  /** True when saved; false (with a warning) on any trouble. */
  save(paths: string[], key: string): Promise<boolean>;
}

export interface Warn {
  (message: string): void;
}

export function actionsCache(warn: Warn): CacheService {
  const available = (): boolean => {
    try {
      return cache.isFeatureAvailable();
    } catch {
      return false;
    }
  };
  return {
    async restore(paths, key, restoreKeys) {
      if (!available()) {
        warn('the Actions cache service is not available here (no ACTIONS_CACHE_URL / ACTIONS_RESULTS_URL); continuing without the DVC cache');
        return undefined;
      }
      try {
        return await cache.restoreCache(paths, key, restoreKeys);
      } catch (error) {
        warn(`restoring the DVC cache failed (${messageOf(error)}); continuing without it`);
        return undefined;
      }
    },
    async save(paths, key) {
      if (!available()) {
        warn('the Actions cache service is not available here; the DVC cache was not saved');
        return false;
      }
      try {
        await cache.saveCache(paths, key);
        return true;
      } catch (error) {
        // Another job saving the same key first is the common, harmless case.
        warn(`saving the DVC cache under ${key} failed (${messageOf(error)}); later jobs pull the data instead`);
        return false;
      }
    },
  };
}
