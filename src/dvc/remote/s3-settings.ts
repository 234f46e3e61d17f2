import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ObjectCannedACL, ServerSideEncryption } from '@aws-sdk/client-s3';
import { UserError } from '../../util/errors.js';
import { command, hinted } from '../../util/hints.js';
import { remoteSectionName } from '../config.js';
import { CONFIG_FILE, parseIni } from '../config-file.js';
import { safeUrl } from '../messages.js';
import { numberOption, REMOTE_OPTIONS, S3_SECRET_OPTIONS } from './options.js';
import type { RemoteConfig } from './types.js';

/**
 * The settings of an S3 remote (src/dvc/remote/s3.ts), read from the remote's section of
 * `.dvc/config` (+ `.dvc/config.local`) under DVC's own key names and the standard AWS
 * environment. Credentials never come from the committed `.dvc/config`.
 */

/** Keys that hold secrets: accepted only from `.dvc/config.local`. */
const SECRET_KEYS = S3_SECRET_OPTIONS;

/** DVC's S3 keys this store honours, plus `retries` and `part_size_mb` of this tool. */
const SUPPORTED_KEYS = new Set<string>(REMOTE_OPTIONS.s3);

/** S3's smallest allowed multipart part. */
const MIN_PART_BYTES = 5 * 1024 * 1024;

/**
 * Asking for this many keys or fewer is always answered with one HEAD each; above it, listing
 * folders may be cheaper (see `has`).
 */
export const HEAD_ONLY_LIMIT = 32;

/** Objects per ListObjectsV2 page (S3's maximum). */
export const LIST_PAGE = 1000;

export interface S3RemoteSettings {
  bucket: string;
  /** Key prefix inside the bucket, without leading or trailing `/`; may be empty. */
  prefix: string;
  region?: string;
  /** Custom endpoint (MinIO, Ceph, R2, a local server); switches to path-style addressing. */
  endpoint?: string;
  profile?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Send unsigned requests (public buckets) when no credentials can be found. */
  anonymous: boolean;
  /** Requests in flight at once for `has`. */
  jobs: number;
  /** Attempts after the first for throttling, 5xx, timeouts and dropped connections. */
  retries: number;
  readTimeoutS: number;
  connectTimeoutS: number;
  /** Files at least this large are uploaded in parts of this size. */
  partBytes: number;
  sse?: ServerSideEncryption;
  sseKmsKeyId?: string;
  acl?: ObjectCannedACL;
}

/** Splits `s3://bucket/some/prefix/` into bucket and prefix. */
export function parseS3Url(url: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/i.exec(url.trim());
  const bucket = match?.[1] ?? '';
  if (!match || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new UserError(
      `${safeUrl(url)} is not a valid S3 remote URL; use s3://<bucket>/<prefix>, where the bucket name has 3–63 lower-case letters, digits, "." or "-"`,
    );
  }
  return { bucket, prefix: match[2]!.replace(/^\/+|\/+$/g, '') };
}

function booleanOption(config: RemoteConfig, key: string): boolean {
  const raw = config.options[key]?.toLowerCase();
  if (raw === undefined || raw === 'false' || raw === '0' || raw === 'no') return false;
  if (raw === 'true' || raw === '1' || raw === 'yes') return true;
  throw new UserError(`remote "${config.name}": ${key} = ${config.options[key]} is not true or false; fix it in .dvc/config`);
}

/**
 * The settings of one S3 remote. `committed` holds the keys of the remote's section in the
 * committed `.dvc/config` alone, so secrets found there are refused rather than used.
 */
export function s3SettingsFrom(config: RemoteConfig, committed: Record<string, string> = {}, env: NodeJS.ProcessEnv = process.env): S3RemoteSettings {
  const leaked = SECRET_KEYS.filter((key) => committed[key] !== undefined);
  if (leaked.length > 0) {
    throw new UserError(
      hinted`remote "${config.name}": ${leaked.join(', ')} must not be in the committed .dvc/config; remove them there, rotate the key if it was ever pushed, and set them with ${command('remote modify', '--local', config.name, leaked[0]!, '…')} (.dvc/config.local, which git ignores) or in the AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY environment variables`,
    );
  }
  const unknown = Object.keys(config.options).filter((key) => !SUPPORTED_KEYS.has(key));
  if (unknown.length > 0) {
    throw new UserError(
      `remote "${config.name}": option${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} ${unknown.length > 1 ? 'are' : 'is'} not supported for s3 remotes (supported: ${[...SUPPORTED_KEYS].sort().join(', ')}); remove ${unknown.length > 1 ? 'them' : 'it'} from .dvc/config`,
    );
  }
  const { bucket, prefix } = parseS3Url(config.url);
  const o = config.options;
  let credentials: S3RemoteSettings['credentials'];
  if (o.access_key_id !== undefined || o.secret_access_key !== undefined) {
    if (!o.access_key_id || !o.secret_access_key) {
      throw new UserError(
        `remote "${config.name}": access_key_id and secret_access_key go together; set both in .dvc/config.local, or neither to use the AWS environment`,
      );
    }
    credentials = { accessKeyId: o.access_key_id, secretAccessKey: o.secret_access_key, ...(o.session_token ? { sessionToken: o.session_token } : {}) };
  }
  // The AWS SDK's own variables name an endpoint kept in a secret; empty ones are unset secrets (fork PRs).
  let endpoint = o.endpointurl || env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
  if (endpoint !== undefined) {
    try {
      endpoint = new URL(endpoint).toString().replace(/\/$/, '');
    } catch {
      throw new UserError(
        `remote "${config.name}": endpoint ${safeUrl(endpoint)} (from ${o.endpointurl ? 'endpointurl in .dvc/config' : 'AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL'}) is not a URL; use e.g. https://minio.example.com:9000`,
      );
    }
  }
  const partMb = numberOption(config, 'part_size_mb', 16);
  return {
    bucket,
    prefix,
    region: o.region || env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined,
    endpoint,
    profile: o.profile,
    credentials,
    anonymous: booleanOption(config, 'allow_anonymous_login'),
    jobs: Math.max(1, Math.floor(numberOption(config, 'jobs', 16))),
    retries: Math.floor(numberOption(config, 'retries', 5)),
    readTimeoutS: numberOption(config, 'read_timeout', 60),
    connectTimeoutS: numberOption(config, 'connect_timeout', 30),
    partBytes: Math.max(MIN_PART_BYTES, Math.round(partMb * 1024 * 1024)),
    sse: o.sse as ServerSideEncryption | undefined,
    sseKmsKeyId: o.sse_kms_key_id,
    acl: o.acl as ObjectCannedACL | undefined,
  };
}

/** The remote's own section of the committed `.dvc/config`, to keep secrets out of it. */
export async function committedSection(dvcDir: string, name: string): Promise<Record<string, string>> {
  const path = join(dvcDir, CONFIG_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
  return Object.fromEntries(parseIni(text, path).get(remoteSectionName(name)) ?? []);
}
