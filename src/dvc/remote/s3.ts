import { createReadStream, createWriteStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type PutObjectCommandInput,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { command, hinted } from '../../util/hints.js';
import { mapLimit } from '../../util/map-limit.js';
import { RemoteError } from './errors.js';
import { explainS3Error, isNotFound } from './s3-errors.js';
import { committedSection, HEAD_ONLY_LIMIT, LIST_PAGE, s3SettingsFrom, type S3RemoteSettings } from './s3-settings.js';
import type { RemoteConfig, RemoteStore } from './types.js';

export { HEAD_ONLY_LIMIT, parseS3Url, s3SettingsFrom } from './s3-settings.js';

/**
 * An S3 or S3-compatible DVC remote, `s3://bucket/prefix`, holding objects at
 * `<prefix>/files/md5/xx/rest` exactly as DVC lays them out (docs/dvc-format.md §2). Options are read
 * from the remote's section of `.dvc/config` (+ `.dvc/config.local`) under DVC's own key names.
 * Credentials come from `.dvc/config.local`, a `profile`, or the standard AWS environment and
 * files (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_PROFILE, ~/.aws/…), never from the
 * committed `.dvc/config`.
 */
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

  private async headOne(key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.settings.bucket, Key: this.keyOf(key) }));
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw explainS3Error(error, `checking ${key}`, this);
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
        throw explainS3Error(error, `listing ${folder}/`, this);
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
          throw new RemoteError(
            'missing data',
            hinted`object ${key} is missing from remote ${this.url}; push it from a clone that has it (${command('push')})`,
            { cause: error },
          );
        }
        throw explainS3Error(error, `downloading ${key}`, this);
      }
      try {
        await pipeline(body, createWriteStream(destPath));
        return;
      } catch (error) {
        if (attempt >= this.settings.retries) throw explainS3Error(error, `downloading ${key}`, this);
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
        await new Upload({
          client: this.client,
          params: { ...params, Body: createReadStream(srcPath) },
          partSize: this.settings.partBytes,
          queueSize: 4,
        }).done();
      }
    } catch (error) {
      throw explainS3Error(error, `uploading ${key}`, this);
    }
  }

  /** Closes the client's keep-alive sockets so the process can exit. */
  close(): void {
    this.client.destroy();
  }
}

/** The `s3` entry of the remote registry (`src/dvc/remote/index.ts`). */
export async function openS3Remote(config: RemoteConfig, dvcDir: string): Promise<RemoteStore> {
  return new S3Remote(s3SettingsFrom(config, await committedSection(dvcDir, config.name)));
}
