/**
 * A DVC remote seen as a flat object store. Keys are object paths relative to the remote root in
 * DVC 3.x layout, e.g. `files/md5/28/994df71f7bf0a12c1339ea7de537e9.dir` (see docs/dvc-format.md §2).
 * Implementations move bytes only: callers verify MD5s, order uploads (files before `.dir`) and
 * rename downloads into place.
 */
export interface RemoteStore {
  /** The remote's URL for messages; never contains credentials. */
  readonly url: string;
  /** Which of `keys` exist on the remote. Implementations may batch (list a prefix) or probe each. */
  has(keys: readonly string[]): Promise<Set<string>>;
  /** Writes the object's exact bytes to `destPath` (a temp path chosen by the caller). */
  download(key: string, destPath: string): Promise<void>;
  /** Uploads the local file `srcPath` as `key`; a reader never sees a partial object where the backend allows. */
  upload(srcPath: string, key: string): Promise<void>;
}

/** One `['remote "name"']` section of `.dvc/config` (+ `.dvc/config.local`), as key → value. */
export interface RemoteConfig {
  name: string;
  url: string;
  options: Record<string, string>;
}

/**
 * Opens a store for one remote config. `dvcDir` is the absolute `.dvc/` folder, against which a
 * relative local URL is resolved (docs/dvc-format.md §4).
 */
export type RemoteFactory = (config: RemoteConfig, dvcDir: string) => RemoteStore | Promise<RemoteStore>;
