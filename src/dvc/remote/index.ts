import { UserError } from '../../util/errors.js';
import { hasScheme } from '../config.js';
import { openHttpRemote } from './http.js';
import { openLocalRemote } from './local.js';
import type { RemoteConfig, RemoteFactory, RemoteStore } from './types.js';

/**
 * Which store opens a remote, by URL scheme. A URL without a scheme is a local folder. Each new
 * backend adds one line here (e.g. `s3: openS3Remote`).
 */
export const REMOTE_FACTORIES: Record<string, RemoteFactory> = {
  file: openLocalRemote,
  http: openHttpRemote,
  https: openHttpRemote,
  // Loaded on use: the AWS SDK takes most of a second to import, which no other command should pay.
  s3: async (config, dvcDir) => (await import('./s3.js')).openS3Remote(config, dvcDir),
};

export function schemeOf(url: string): string | undefined {
  return hasScheme(url) ? url.slice(0, url.indexOf(':')).toLowerCase() : undefined;
}

/** Opens the store for a remote config; `dvcDir` anchors relative local paths. */
export async function openRemote(config: RemoteConfig, dvcDir: string): Promise<RemoteStore> {
  const scheme = schemeOf(config.url);
  const factory = scheme === undefined ? openLocalRemote : REMOTE_FACTORIES[scheme];
  if (!factory) {
    const known = ['a local folder', ...Object.keys(REMOTE_FACTORIES).map((s) => `${s}://`)].join(', ');
    throw new UserError(`remote "${config.name}" uses ${scheme}://, which this tool cannot open (supported: ${known}); change its url in .dvc/config`);
  }
  return factory(config, dvcDir);
}
