import { removeCacheLitter } from '../object-folders.js';
import { withRepoLock } from '../repo-lock.js';
import type { Repo } from '../repo.js';

const cleaned = new Set<string>();

/**
 * Runs a data verb that writes the cache or the workspace under the repository lock
 * (src/dvc/repo-lock.ts). The first such verb of a process also clears the cache of the temp files
 * of killed writers.
 */
export async function locked<T>(repo: Pick<Repo, 'dvcDir' | 'cacheDir'>, work: () => Promise<T>): Promise<T> {
  return withRepoLock(repo.dvcDir, async () => {
    if (!cleaned.has(repo.cacheDir)) {
      cleaned.add(repo.cacheDir);
      await removeCacheLitter(repo.cacheDir);
    }
    return work();
  });
}
