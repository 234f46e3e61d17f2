import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { fsError } from '../../util/errno.js';
import { UserError } from '../../util/errors.js';
import { command, hinted } from '../../util/hints.js';
import { safeUrl } from '../messages.js';
import { mapLimit } from '../pool.js';
import { numberOption } from './options.js';
import type { RemoteConfig, RemoteStore } from './types.js';

/** aiohttp's default limit is 10; a remote needs one or two (a CDN, then a signed URL). */
const MAX_REDIRECTS = 5;

/**
 * An HTTP(S) remote as DVC uses one (dvc-format.md §2): objects are plain GETs of
 * `<url>/files/md5/xx/rest`, existence is a HEAD per object, uploads are POSTs of the raw bytes
 * (`method = PUT` in the remote's config switches). Options read from the config, named as in
 * DVC: `auth` (basic | custom), `user`, `password`, `custom_auth_header`, `method`,
 * `read_timeout`, `connect_timeout` (seconds), plus `retries` (this tool's bound on retries).
 */

/**
 * A failure worth another attempt: 5xx, 429, a timeout, a dropped or reset connection, or a
 * response the HTTP parser cannot read (`HPE_*`: e.g. a short Content-Length on a keep-alive
 * socket leaves bytes that garble the next response). The agent drops the socket, so the retry
 * starts on a fresh connection.
 */
class RetryableError extends Error {}

const RETRYABLE_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'EAI_AGAIN', 'ENOTFOUND']);

function isRetryableNetworkError(error: NodeJS.ErrnoException): boolean {
  const code = error.code ?? '';
  return RETRYABLE_CODES.has(code) || code.startsWith('HPE_');
}

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
  private readonly agent: http.Agent;
  private readonly client: typeof http | typeof https;

  constructor(
    rawUrl: string,
    private readonly options: HttpRemoteOptions,
  ) {
    try {
      this.base = new URL(rawUrl.endsWith('/') ? rawUrl : `${rawUrl}/`);
    } catch (error) {
      throw new UserError(hinted`remote URL ${safeUrl(rawUrl)} is not a valid URL; fix it with ${command('remote add', '-f', '<name>', '<url>')}`, { cause: error });
    }
    this.url = safeUrl(rawUrl);
    if (this.base.username) {
      this.options.headers.authorization ??= `Basic ${Buffer.from(`${decodeURIComponent(this.base.username)}:${decodeURIComponent(this.base.password)}`).toString('base64')}`;
      this.base.username = '';
      this.base.password = '';
    }
    this.client = this.base.protocol === 'https:' ? https : http;
    this.agent = new this.client.Agent({ keepAlive: true, maxSockets: Math.max(4, options.jobs) });
  }

  private urlOf(key: string): URL {
    return new URL(key, this.base);
  }

  /** One request; resolves with the response (body unread) or rejects, retryable when worth it. */
  private request(method: string, key: string, body?: { path: string; size: number }, url = this.urlOf(key)): Promise<IncomingMessage> {
    return new Promise((resolvePromise, reject) => {
      // Credentials go to the remote's own host only, never to where a redirect points elsewhere.
      const headers: Record<string, string | number> = url.host === this.base.host ? { ...this.options.headers } : {};
      if (body) {
        headers['content-length'] = body.size;
        headers['content-type'] = 'application/octet-stream';
      }
      const sameProtocol = url.protocol === this.base.protocol;
      const client = sameProtocol ? this.client : url.protocol === 'https:' ? https : http;
      const req = client.request(url, { method, agent: sameProtocol ? this.agent : undefined, headers });
      const connectTimer = setTimeout(
        () => req.destroy(new RetryableError(`timed out connecting: no connection within ${this.options.connectTimeoutS} s (the remote's connect_timeout)`)),
        this.options.connectTimeoutS * 1000,
      );
      req.on('socket', (socket) => {
        if (!socket.connecting) clearTimeout(connectTimer);
        else socket.once('connect', () => clearTimeout(connectTimer));
      });
      let response: IncomingMessage | undefined;
      // The socket's idle timer runs while the headers and while the body are awaited: a stalled body is a timeout too.
      req.setTimeout(this.options.readTimeoutS * 1000, () => {
        const what = response ? 'the response stalled, no data' : 'no response';
        const error = new RetryableError(`timed out: ${what} within ${this.options.readTimeoutS} s (the remote's read_timeout)`);
        req.destroy(error);
        response?.destroy(error);
      });
      req.on('response', (res) => {
        clearTimeout(connectTimer);
        response = res;
        resolvePromise(res);
      });
      req.on('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(connectTimer);
        if (error instanceof RetryableError) reject(error);
        else if (isRetryableNetworkError(error)) reject(new RetryableError(`${error.message}${error.code ? ` (${error.code})` : ''}`, { cause: error }));
        else reject(error);
      });
      if (body) createReadStream(body.path).on('error', (error) => req.destroy(error)).pipe(req);
      else req.end();
    });
  }

  /**
   * GET or HEAD, following redirects as DVC's HTTP remote (aiohttp) does, so a remote served
   * through a CDN or an object store's signed URLs works.
   */
  private async fetchFollowing(method: 'GET' | 'HEAD', key: string): Promise<IncomingMessage> {
    let url = this.urlOf(key);
    for (let hops = 0; ; hops++) {
      const res = await this.request(method, key, undefined, url);
      const location = res.headers.location;
      if (![301, 302, 303, 307, 308].includes(res.statusCode ?? 0) || !location) return res;
      res.resume();
      if (hops === MAX_REDIRECTS) throw new UserError(`${method} ${this.url}/${key}: more than ${MAX_REDIRECTS} redirects; check the remote URL and the server's redirect rules`);
      url = new URL(location, url);
    }
  }

  /** Throws the right error for a non-2xx status (after draining the body so the socket is reused). */
  private failFor(res: IncomingMessage, method: string, key: string): never {
    res.resume();
    const status = res.statusCode ?? 0;
    const where = `${method} ${this.url}/${key}`;
    if (status >= 500 || status === 429 || status === 408) throw new RetryableError(`HTTP ${status}`);
    if (status === 401 || status === 403) {
      throw new UserError(`${where}: HTTP ${status} (access denied); set the remote's credentials in .dvc/config.local (auth, user, password or custom_auth_header)`);
    }
    if (status === 404) throw new UserError(hinted`${where}: HTTP 404, object ${key} is missing from remote ${this.url}; push it from a clone that has it (${command('push')})`);
    throw new UserError(`${where}: unexpected HTTP ${status}; check the remote URL and server`);
  }

  /** Runs `attempt` with bounded retries and exponential back-off for retryable failures. */
  private async withRetries<T>(what: string, attempt: () => Promise<T>): Promise<T> {
    for (let tried = 0; ; tried++) {
      try {
        return await attempt();
      } catch (error) {
        if (!(error instanceof RetryableError)) throw error;
        if (tried >= this.options.retries) {
          throw new UserError(`${what} failed after ${tried + 1} attempt${tried > 0 ? 's' : ''}: ${error.message}; check that the server at ${this.url} is up, or raise \`retries\`/\`read_timeout\` for the remote`, { cause: error });
        }
        await sleep(this.options.backoffMs * 2 ** tried);
      }
    }
  }

  async has(keys: readonly string[]): Promise<Set<string>> {
    const present = new Set<string>();
    await mapLimit(keys, this.options.jobs, async (key) => {
      const exists = await this.withRetries(`HEAD ${this.url}/${key}`, async () => {
        const res = await this.fetchFollowing('HEAD', key);
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
      const res = await this.fetchFollowing('GET', key);
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
      const res = await this.request(this.options.method, key, { path: srcPath, size });
      if ((res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) >= 300) this.failFor(res, this.options.method, key);
      res.resume();
    });
  }

  /** Closes idle keep-alive sockets so the process can exit. */
  close(): void {
    this.agent.destroy();
  }
}

export function openHttpRemote(config: RemoteConfig): RemoteStore {
  return new HttpRemote(config.url, httpOptionsFrom(config));
}
