import { stat } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { fsError } from '../../util/errno.js';
import { UserError } from '../../util/errors.js';
import { command, hinted } from '../../util/hints.js';
import { HttpClient, isRetryableStatus, MAX_REDIRECTS, RetryableError, RetryableStatusError } from '../../util/http.js';
import { mapLimit } from '../../util/map-limit.js';
import { safeUrl } from '../messages.js';
import { RemoteError } from './errors.js';
import { numberOption } from './options.js';
import type { RemoteConfig, RemoteStore } from './types.js';

/**
 * An HTTP(S) remote as DVC uses one (docs/dvc-format.md §2): objects are plain GETs of
 * `<url>/files/md5/xx/rest`, existence is a HEAD per object, uploads are POSTs of the raw bytes
 * (`method = PUT` in the remote's config switches); requests, retries, timeouts and redirects are
 * src/util/http.ts's. Options read from the config, named as in
 * DVC: `auth` (basic | custom), `user`, `password`, `custom_auth_header`, `method`,
 * `read_timeout`, `connect_timeout` (seconds), plus `retries` (this tool's bound on retries).
 */

export interface HttpRemoteOptions {
  /** Attempts after the first one for retryable failures. */
  retries: number;
  /** First back-off delay; doubled each retry. */
  backoffMs: number;
  /** Seconds a request may sit without receiving data. */
  readTimeoutS: number;
  connectTimeoutS: number;
  /** Concurrent HEAD probes in `has`. */
  jobs: number;
  method: 'POST' | 'PUT';
  headers: Record<string, string>;
}

export function httpOptionsFrom(config: RemoteConfig): HttpRemoteOptions {
  const headers: Record<string, string> = {};
  const auth = config.options.auth;
  const user = config.options.user;
  const password = config.options.password ?? '';
  if (auth === 'basic' || (auth === undefined && user !== undefined)) {
    if (!user) throw new UserError(`remote "${config.name}": auth = basic needs a user; set it in .dvc/config.local`);
    headers.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  } else if (auth === 'custom') {
    const header = config.options.custom_auth_header;
    if (!header) throw new UserError(`remote "${config.name}": auth = custom needs custom_auth_header (and password as its value) in .dvc/config.local`);
    headers[header.toLowerCase()] = password;
  } else if (auth !== undefined) {
    throw new UserError(`remote "${config.name}": auth = ${auth} is not supported; use basic or custom`);
  }
  const method = (config.options.method ?? 'POST').toUpperCase();
  if (method !== 'POST' && method !== 'PUT') throw new UserError(`remote "${config.name}": method = ${method} is not supported for uploads; use POST or PUT`);
  return {
    retries: numberOption(config, 'retries', 4),
    backoffMs: numberOption(config, 'backoff_ms', 250),
    readTimeoutS: numberOption(config, 'read_timeout', 60),
    connectTimeoutS: numberOption(config, 'connect_timeout', 30),
    jobs: numberOption(config, 'jobs', 16),
    method,
    headers,
  };
}

export class HttpRemote implements RemoteStore {
  readonly url: string;
  private readonly base: URL;
  private readonly http: HttpClient;

  constructor(
    rawUrl: string,
    private readonly options: HttpRemoteOptions,
  ) {
    try {
      this.base = new URL(rawUrl.endsWith('/') ? rawUrl : `${rawUrl}/`);
    } catch (error) {
      throw new UserError(hinted`remote URL ${safeUrl(rawUrl)} is not a valid URL; fix it with ${command('remote add', '-f', '<name>', '<url>')}`, {
        cause: error,
      });
    }
    this.url = safeUrl(rawUrl);
    const headers = { ...options.headers };
    if (this.base.username) {
      headers.authorization ??= `Basic ${Buffer.from(`${decodeURIComponent(this.base.username)}:${decodeURIComponent(this.base.password)}`).toString('base64')}`;
      this.base.username = '';
      this.base.password = '';
    }
    this.http = new HttpClient({
      base: this.base,
      retries: options.retries,
      backoffMs: options.backoffMs,
      connectTimeoutMs: options.connectTimeoutS * 1000,
      readTimeoutMs: options.readTimeoutS * 1000,
      maxSockets: Math.max(4, options.jobs),
      headers,
      timeoutNames: { connect: "the remote's connect_timeout", read: "the remote's read_timeout" },
    });
  }

  private urlOf(key: string): URL {
    return new URL(key, this.base);
  }

  private follow(method: 'GET' | 'HEAD', key: string): Promise<IncomingMessage> {
    return this.http.follow(
      method,
      this.urlOf(key),
      () =>
        new RemoteError(
          'unreachable',
          `${method} ${this.url}/${key}: more than ${MAX_REDIRECTS} redirects; check the remote URL and the server's redirect rules`,
        ),
    );
  }

  /** Throws the right error for a non-2xx status (after draining the body so the socket is reused). */
  private failFor(res: IncomingMessage, method: string, key: string): never {
    res.resume();
    const status = res.statusCode ?? 0;
    const where = `${method} ${this.url}/${key}`;
    if (isRetryableStatus(status)) throw new RetryableStatusError(res);
    if (status === 401 || status === 403) {
      throw new RemoteError(
        'denied',
        `${where}: HTTP ${status} (access denied); set the remote's credentials in .dvc/config.local (auth, user, password or custom_auth_header)`,
      );
    }
    if (status === 404)
      throw new RemoteError(
        'missing data',
        hinted`${where}: HTTP 404, object ${key} is missing from remote ${this.url}; push it from a clone that has it (${command('push')})`,
      );
    throw new RemoteError('unreachable', `${where}: unexpected HTTP ${status}; check the remote URL and server`);
  }

  /** Runs `attempt` under the client's retry policy; giving up means the server is out of reach. */
  private withRetries<T>(what: string, attempt: () => Promise<T>): Promise<T> {
    return this.http.withRetries(
      attempt,
      (error, attempts) =>
        new RemoteError(
          'unreachable',
          `${what} failed after ${attempts} attempt${attempts > 1 ? 's' : ''}: ${error.message}; check that the server at ${this.url} is up, or raise \`retries\`/\`read_timeout\` for the remote`,
          {
            cause: error,
          },
        ),
    );
  }

  async has(keys: readonly string[]): Promise<Set<string>> {
    const present = new Set<string>();
    await mapLimit(keys, this.options.jobs, async (key) => {
      const exists = await this.withRetries(`HEAD ${this.url}/${key}`, async () => {
        const res = await this.follow('HEAD', key);
        if (res.statusCode === 404) {
          res.resume();
          return false;
        }
        if ((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300) {
          res.resume();
          return true;
        }
        return this.failFor(res, 'HEAD', key);
      });
      if (exists) present.add(key);
    });
    return present;
  }

  async download(key: string, destPath: string): Promise<void> {
    await this.withRetries(`GET ${this.url}/${key}`, async () => {
      const res = await this.follow('GET', key);
      if ((res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) >= 300) this.failFor(res, 'GET', key);
      try {
        await pipeline(res, createWriteStream(destPath));
      } catch (error) {
        if (error instanceof RetryableError) throw error;
        // The file being written failed (a full disk): retrying would not help.
        if ((error as NodeJS.ErrnoException).path === destPath) throw fsError(error, destPath, 'write');
        throw new RetryableError(`the response broke off (${(error as Error).message})`, { cause: error });
      }
    });
  }

  async upload(srcPath: string, key: string): Promise<void> {
    const { size } = await stat(srcPath).catch((error: unknown) => Promise.reject(fsError(error, srcPath, 'read')));
    await this.withRetries(`${this.options.method} ${this.url}/${key}`, async () => {
      const res = await this.http.request(this.options.method, this.urlOf(key), { path: srcPath, size });
      if ((res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) >= 300) this.failFor(res, this.options.method, key);
      res.resume();
    });
  }

  /** Closes idle keep-alive sockets so the process can exit. */
  close(): void {
    this.http.close();
  }
}

export function openHttpRemote(config: RemoteConfig): RemoteStore {
  return new HttpRemote(config.url, httpOptionsFrom(config));
}
