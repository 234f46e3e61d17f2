/**
 * `cache.type`: `copy` (DVC's fallback for `reflink,copy`, the default) gives writable workspace
 * files; `hardlink` and `symlink` make the workspace file the read-only cache object itself.
 */
export type LinkType = 'copy' | 'hardlink' | 'symlink';

/** Where the cache lives, which repository's `.dvcignore` rules apply, how files are placed. A `Repo` satisfies it. */
export interface CacheRepo {
  root: string;
  cacheDir: string;
  /** How checkout places files (`cache.type`); copy when absent. */
  linkType?: LinkType;
}

export interface CheckoutResult {
  /** Files written from the cache. */
  written: number;
  /** Files that already had the right content. */
  unchanged: number;
  /** Files removed because the directory in the cache does not have them. */
  removed: number;
}
