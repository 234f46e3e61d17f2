import { closestMatch } from 'leven';
import { UserError } from '../../util/errors.js';
import { command, hinted } from '../../util/hints.js';
import type { RemoteConfig } from './types.js';

/** A non-negative number from the remote's section of `.dvc/config` (or `config.local`), else `fallback`. */
export function numberOption(config: RemoteConfig, key: string, fallback: number): number {
  const raw = config.options[key];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) {
    throw new UserError(
      hinted`remote "${config.name}": ${key} = ${raw} is not a non-negative number; fix it with ${command('remote modify', config.name, key, '<number>')} (with --local if .dvc/config.local sets it)`,
    );
  }
  return value;
}

/** The kinds of remote this tool opens, by the scheme of their URL (none or `file://` is a folder). */
export type RemoteKind = 'local' | 'http' | 's3';

export function remoteKindOf(url: string): RemoteKind | undefined {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined || scheme === 'file') return 'local';
  if (scheme === 'http' || scheme === 'https') return 'http';
  return scheme === 's3' ? 's3' : undefined;
}

/** Keys of an S3 remote that hold secrets: accepted only from `.dvc/config.local`. */
export const S3_SECRET_OPTIONS = ['access_key_id', 'secret_access_key', 'session_token'] as const;

/** DVC's generic remote options (its config schema's REMOTE_COMMON), accepted for every kind. */
const DVC_COMMON = ['checksum_jobs', 'jobs', 'worktree', 'no_traverse', 'version_aware'];

/**
 * The options each kind takes, by DVC's names. A local or HTTP remote takes DVC's own list (its
 * config schema, so a config the real DVC reads works here), plus this tool's `retries` and
 * `backoff_ms` for HTTP; an S3 remote takes the keys its store honours (src/dvc/remote/s3.ts
 * refuses the others rather than ignore them), plus `retries` and `part_size_mb`.
 */
export const REMOTE_OPTIONS: Record<RemoteKind, readonly string[]> = {
  local: [...DVC_COMMON, 'type', 'protected', 'shared', 'slow_link_warning', 'verify'],
  http: [
    ...DVC_COMMON,
    'auth',
    'custom_auth_header',
    'user',
    'password',
    'ask_password',
    'ssl_verify',
    'method',
    'connect_timeout',
    'read_timeout',
    'verify',
    'retries',
    'backoff_ms',
  ],
  s3: [
    ...S3_SECRET_OPTIONS,
    'endpointurl',
    'region',
    'profile',
    'allow_anonymous_login',
    'read_timeout',
    'connect_timeout',
    'jobs',
    'sse',
    'sse_kms_key_id',
    'acl',
    // DVC's generic "trust the remote's hashes" switch: objects are always MD5-checked here, the safe side of it.
    'verify',
    'retries',
    'part_size_mb',
  ],
};

/** Options whose value is a secret: `.dvc/config.local` only, never the committed `.dvc/config`. */
export const SECRET_OPTIONS: ReadonlySet<string> = new Set(['password', ...S3_SECRET_OPTIONS]);

/** Refuses an option name that `kind` remotes do not take, suggesting the nearest one. */
export function checkOptionName(remote: string, kind: RemoteKind, option: string): void {
  const known = REMOTE_OPTIONS[kind];
  if (option === 'url' || known.includes(option)) return;
  const nearest = closestMatch(option, known, { maxDistance: Math.max(2, Math.floor(option.length / 3)) });
  throw new UserError(
    `remote "${remote}": "${option}" is not an option of ${kind} remotes${nearest ? `; did you mean "${nearest}"?` : ''} (known: ${[...known].sort().join(', ')}); nothing was changed`,
  );
}
