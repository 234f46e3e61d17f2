import { defaultRemoteName, selectRemote } from '../config.js';
import { openRemote } from '../remote/index.js';
import type { RemoteStore } from '../remote/types.js';
import type { Repo } from '../repo.js';

export interface RemoteChoice {
  /** Remote name from `.dvc/config`; the default remote when absent. */
  remote?: string;
  /** An already-open store (tests, or callers that hold one); wins over `remote`. */
  store?: RemoteStore;
}

/** The store a transfer talks to, opened on first use so offline work never needs a remote. */
export function lazyRemote(repo: Repo, choice: RemoteChoice): () => Promise<RemoteStore> {
  let opened: Promise<RemoteStore> | undefined;
  return () => {
    if (choice.store) return Promise.resolve(choice.store);
    opened ??= Promise.resolve().then(() => openRemote(selectRemote(repo.config, choice.remote, repo.dvcDir), repo.dvcDir));
    return opened;
  };
}

/** The remote a transfer talks to, for messages: `remote "storage" (https://host/store)`. */
export function remoteLabel(repo: Repo, choice: RemoteChoice, store: RemoteStore): string {
  const name = choice.store ? undefined : (choice.remote ?? defaultRemoteName(repo.config));
  return name ? `remote "${name}" (${store.url})` : `remote ${store.url}`;
}
