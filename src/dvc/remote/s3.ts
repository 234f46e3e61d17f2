import { createReadStream, createWriteStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type ObjectCannedACL,
  type PutObjectCommandInput,
  type S3ClientConfig,
  type ServerSideEncryption,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { UserError } from '../../util/errors.js';
import { command, hinted } from '../../util/hints.js';
import { CONFIG_FILE, parseIni, remoteSectionName } from '../config.js';
import { safeUrl } from '../messages.js';
import { mapLimit } from '../pool.js';
import { numberOption, REMOTE_OPTIONS, S3_SECRET_OPTIONS } from './options.js';
import type { RemoteConfig, RemoteStore } from './types.js';

/**
 * An S3 or S3-compatible DVC remote, `s3://bucket/prefix`, holding objects at
 * `<prefix>/files/md5/xx/rest` exactly as DVC lays them out (dvc-format.md §2). Options are read
 * from the remote's section of `.dvc/config` (+ `.dvc/config.local`) under DVC's own key names.
 * Credentials come from `.dvc/config.local`, a `profile`, or the standard AWS environment and
 * files (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_PROFILE, ~/.aws/…), never from the
 * committed `.dvc/config`.
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
const LIST_PAGE = 1000;

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
    throw new UserError(`${safeUrl(url)} is not a valid S3 remote URL; use s3://<bucket>/<prefix>, where the bucket name has 3–63 lower-case letters, digits, "." or "-"`);
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
      throw new UserError(`remote "${config.name}": access_key_id and secret_access_key go together; set both in .dvc/config.local, or neither to use the AWS environment`);
    }
    credentials = { accessKeyId: o.access_key_id, secretAccessKey: o.secret_access_key, ...(o.session_token ? { sessionToken: o.session_token } : {}) };
  }
  // The AWS SDK's own variables name an endpoint kept in a secret; empty ones are unset secrets (fork PRs).
  let endpoint = o.endpointurl || env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
  if (endpoint !== undefined) {
    try {
      endpoint = new URL(endpoint).toString().replace(/\/$/, '');
    } catch {
      throw new UserError(`remote "${config.name}": endpoint ${safeUrl(endpoint)} (from ${o.endpointurl ? 'endpointurl in .dvc/config' : 'AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL'}) is not a URL; use e.g. https://minio.example.com:9000`);
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

interface AwsErrorShape {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number; attempts?: number };
}

function statusOf(error: unknown): number | undefined {
  return (error as AwsErrorShape).$metadata?.httpStatusCode;
}

function isNotFound(error: unknown): boolean {
  const name = (error as AwsErrorShape).name;
  return name === 'NotFound' || name === 'NoSuchKey' || (statusOf(error) === 404 && name !== 'NoSuchBucket');
}

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND', 'ECONNABORTED']);

export class S3Remote implements RemoteStore {
  readonly url: string;
  private client: S3Client;
  /** Settles once: whether unsigned requests are in use (anonymous fallback). */
  private ready: Promise<void> | undefined;

  constructor(readonly settings: S3RemoteSettings) {
    this.url = `s3://${settings.bucket}${settings.prefix ? `/${settings.prefix}` : ''}`;
    this.client = this.makeClient(false);
  }

  private makeClient(unsigned: boolean): S3Client {
    const s = this.settings;
    const config: S3ClientConfig = {
      // A custom endpoint rarely knows regions; any region signs valid requests for it.
      region: s.region ?? (s.endpoint ? 'us-east-1' : undefined),
      // The SDK's standard retry strategy already backs off on throttling, 5xx, timeouts and resets.
      maxAttempts: s.retries + 1,
      followRegionRedirects: true,
      requestHandler: { connectionTimeout: s.connectTimeoutS * 1000, requestTimeout: s.readTimeoutS * 1000 },
    };
    if (s.endpoint) {
      config.endpoint = s.endpoint;
      config.forcePathStyle = true;
      // Many S3-compatible servers reject the SDK's default CRC32 trailers; DVC checks MD5s itself.
      config.requestChecksumCalculation = 'WHEN_REQUIRED';
      config.responseChecksumValidation = 'WHEN_REQUIRED';
    }
    if (s.profile) config.profile = s.profile;
    if (unsigned) {
      config.credentials = { accessKeyId: '', secretAccessKey: '' };
      config.signer = { sign: async (request) => request };
    } else if (s.credentials) {
      config.credentials = s.credentials;
    }
    return new S3Client(config);
  }

  /** With `allow_anonymous_login`, switches to unsigned requests when no credentials resolve. */
  private prepare(): Promise<void> {
    this.ready ??= (async () => {
      if (!this.settings.anonymous || this.settings.credentials) return;
      try {
        await this.client.config.credentials();
      } catch {
        this.client.destroy();
        this.client = this.makeClient(true);
      }
    })();
    return this.ready;
  }

  private keyOf(key: string): string {
    return this.settings.prefix ? `${this.settings.prefix}/${key}` : key;
  }

  /** A `UserError` that says what failed and how to fix it; never includes credentials. */
  private explain(error: unknown, what: string): unknown {
    if (error instanceof UserError) return error;
    const e = error as AwsErrorShape;
    const status = statusOf(error);
    const where = `${what} on ${this.url}${this.settings.endpoint ? ` (endpoint ${safeUrl(this.settings.endpoint)})` : ''}`;
    const detail = [status ? `HTTP ${status}` : undefined, e.name && e.name !== 'Error' && e.name !== 'Unknown' ? e.name : undefined].filter(Boolean).join(' ');
    if (e.name === 'CredentialsProviderError' || /could not load credentials/i.test(e.message ?? '')) {
      return new UserError(
        hinted`${where}: no AWS credentials found; set the AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY environment variables (workflow secrets on CI), a profile, or access_key_id/secret_access_key in .dvc/config.local (${command('remote modify', '--local', '<name>', 'access_key_id', '…')}); for a public bucket set allow_anonymous_login = true`,
        { cause: error },
      );
    }
    if (/region is missing/i.test(e.message ?? '')) {
      return new UserError(`${where}: no AWS region known; set region in the remote's section of .dvc/config or the AWS_REGION environment variable`, { cause: error });
    }
    if (e.name === 'NoSuchBucket') {
      return new UserError(`${where}: bucket ${this.settings.bucket} does not exist; create it or fix the remote URL in .dvc/config`, { cause: error });
    }
    if (status === 401 || status === 403 || ['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'InvalidToken'].includes(e.name ?? '')) {
      return new UserError(
        `${where}: access denied (${detail}); check the credentials (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, the profile, or .dvc/config.local) and that they may list, read and write s3://${this.settings.bucket}`,
        { cause: error },
      );
    }
    const attempts = e.$metadata?.attempts;
    const network = NETWORK_CODES.has(e.code ?? '') || e.name === 'TimeoutError' || /timed? ?out|socket hang up/i.test(e.message ?? '');
    if ((status !== undefined && (status >= 500 || status === 429)) || network) {
      return new UserError(
        `${where} failed after ${attempts ?? this.settings.retries + 1} attempts (${detail || e.message}); check that the endpoint is reachable and try again, or raise \`retries\`/\`read_timeout\` for the remote in .dvc/config`,
        { cause: error },
      );
    }
    return new UserError(`${where} failed (${[detail, e.message].filter(Boolean).join(': ')}); check the remote URL and endpointurl in .dvc/config`, { cause: error });
  }

  private async headOne(key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.settings.bucket, Key: this.keyOf(key) }));
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw this.explain(error, `checking ${key}`);
    }
  }

  /**
   * The object keys (relative to the remote root) below `folder/`, or undefined when the folder
   * holds more than `maxPages` pages of them (then probing the wanted keys one by one is cheaper).
   */
  private async listFolder(folder: string, maxPages = Infinity): Promise<string[] | undefined> {
    const prefix = this.keyOf(`${folder}/`);
    const strip = this.settings.prefix ? this.settings.prefix.length + 1 : 0;
    const found: string[] = [];
    let token: string | undefined;
    for (let pages = 0; pages === 0 || token; pages++) {
      if (pages >= maxPages) return undefined;
      let page;
      try {
        page = await this.client.send(new ListObjectsV2Command({ Bucket: this.settings.bucket, Prefix: prefix, MaxKeys: LIST_PAGE, ContinuationToken: token }));
      } catch (error) {
        throw this.explain(error, `listing ${folder}/`);
      }
      for (const item of page.Contents ?? []) if (item.Key) found.push(item.Key.slice(strip));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    }
    return found;
  }

  /**
   * Few keys: one HEAD each. Many keys: group them by folder (`files/md5/xx`) and list the folder
   * with the most wanted keys first, giving up once its listing would take more requests than
   * HEADing those keys; its size is the estimate for the other folders (DVC's objects spread
   * evenly over the 256 folders), each of which is then listed when that takes fewer requests
   * (one per 1,000 objects) than HEADing its wanted keys, and probed otherwise.
   */
  async has(keys: readonly string[]): Promise<Set<string>> {
    await this.prepare();
    const present = new Set<string>();
    const unique = [...new Set(keys)];
    const headAll = async (list: readonly string[]) => {
      const found = await mapLimit(list, this.settings.jobs, (key) => this.headOne(key));
      list.forEach((key, i) => found[i] && present.add(key));
    };
    if (unique.length <= HEAD_ONLY_LIMIT) {
      await headAll(unique);
      return present;
    }
    const byFolder = new Map<string, string[]>();
    for (const key of unique) {
      const folder = key.includes('/') ? key.slice(0, key.lastIndexOf('/')) : '';
      byFolder.set(folder, [...(byFolder.get(folder) ?? []), key]);
    }
    const folders = [...byFolder].sort((a, b) => b[1].length - a[1].length);
    const markListed = (wanted: readonly string[], listed: readonly string[]) => {
      const here = new Set(listed);
      for (const key of wanted) if (here.has(key)) present.add(key);
    };
    const [sampleFolder, sampleWanted] = folders[0]!;
    const sample = await this.listFolder(sampleFolder, sampleWanted.length);
    let pagesPerFolder: number;
    if (sample) {
      markListed(sampleWanted, sample);
      pagesPerFolder = Math.max(1, Math.ceil(sample.length / LIST_PAGE));
    } else {
      await headAll(sampleWanted);
      pagesPerFolder = sampleWanted.length + 1;
    }
    const tasks: Array<() => Promise<void>> = [];
    for (const [folder, wanted] of folders.slice(1)) {
      if (wanted.length >= pagesPerFolder) tasks.push(async () => markListed(wanted, (await this.listFolder(folder))!));
      else for (const key of wanted) tasks.push(async () => void ((await this.headOne(key)) && present.add(key)));
    }
    await mapLimit(tasks, this.settings.jobs, (task) => task());
    return present;
  }

  async download(key: string, destPath: string): Promise<void> {
    await this.prepare();
    // The SDK retries the request; a body that breaks off mid-stream is retried here.
    for (let attempt = 0; ; attempt++) {
      let body: Readable;
      try {
        const response = await this.client.send(new GetObjectCommand({ Bucket: this.settings.bucket, Key: this.keyOf(key) }));
        body = response.Body as Readable;
      } catch (error) {
        if (isNotFound(error)) {
          throw new UserError(hinted`object ${key} is missing from remote ${this.url}; push it from a clone that has it (${command('push')})`, { cause: error });
        }
        throw this.explain(error, `downloading ${key}`);
      }
      try {
        await pipeline(body, createWriteStream(destPath));
        return;
      } catch (error) {
        if (attempt >= this.settings.retries) throw this.explain(error, `downloading ${key}`);
        await sleep(100 * 2 ** attempt);
      }
    }
  }

  async upload(srcPath: string, key: string): Promise<void> {
    await this.prepare();
    const { size } = await stat(srcPath);
    const params: PutObjectCommandInput = { Bucket: this.settings.bucket, Key: this.keyOf(key), ContentType: 'application/octet-stream' };
    if (this.settings.sse) params.ServerSideEncryption = this.settings.sse;
    if (this.settings.sseKmsKeyId) params.SSEKMSKeyId = this.settings.sseKmsKeyId;
    if (this.settings.acl) params.ACL = this.settings.acl;
    try {
      if (size < this.settings.partBytes) {
        // A buffer, not a stream, so the SDK can resend it when it retries.
        await this.client.send(new PutObjectCommand({ ...params, Body: await readFile(srcPath), ContentLength: size }));
      } else {
        // lib-storage sends parts as buffers (each retried on its own) and aborts the upload on failure,
        // so no object appears until every part is in.
        await new Upload({ client: this.client, params: { ...params, Body: createReadStream(srcPath) }, partSize: this.settings.partBytes, queueSize: 4 }).done();
      }
    } catch (error) {
      throw this.explain(error, `uploading ${key}`);
    }
  }

  /** Closes the client's keep-alive sockets so the process can exit. */
  close(): void {
    this.client.destroy();
  }
}

/** The remote's own section of the committed `.dvc/config`, to keep secrets out of it. */
async function committedSection(dvcDir: string, name: string): Promise<Record<string, string>> {
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

/** The `s3` entry of the remote registry (`src/dvc/remote/index.ts`). */
export async function openS3Remote(config: RemoteConfig, dvcDir: string): Promise<RemoteStore> {
  return new S3Remote(s3SettingsFrom(config, await committedSection(dvcDir, config.name)));
}
