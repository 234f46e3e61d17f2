import { createReadStream } from 'node:fs';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { isNetworkErrorCode } from './errno.js';

/**
 * The project's one HTTP client (the DVC HTTP remote, the CIFAR-10 download), with one retry
 * policy. Built on node:http rather than fetch/undici: Node's own parser reports a garbled
 * response as an `HPE_*` error code on the request (e.g. a short Content-Length on a keep-alive
 * socket leaves bytes that garble the next response), which is what the retry of parser errors
 * keys on; its sockets give separate connect and idle timers, and the body is a Node stream that
 * file writes and the tar extractor take as it is.
 *
 * The policy: a failure worth another attempt is a 5xx, 429 or 408 status, a timeout, a dropped,
 * refused or reset connection, an unresolvable host, or a response the parser cannot read. The
 * agent drops the socket of a failed request, so a retry starts on a fresh connection. Attempts
 * are spaced by `backoffMs`, doubled each time. Redirects are followed (up to MAX_REDIRECTS), and
 * the client's headers (credentials) go to its own host only, never to where a redirect points.
 */

/** aiohttp's default limit is 10; a server needs one or two (a CDN, then a signed URL). */
export const MAX_REDIRECTS = 5;

/** A failure worth another attempt (see the module comment). */
export class RetryableError extends Error {
  constructor(
    message: string,
    options?: { cause?: unknown },
    /** Set for a timeout: which one. */
    readonly timeout?: 'connect' | 'read',
  ) {
    super(message, options);
    this.name = 'RetryableError';
  }
}

/** A response whose status is a failure worth another attempt; it carries the response (body drained). */
export class RetryableStatusError extends RetryableError {
  constructor(readonly response: IncomingMessage) {
    super(`HTTP ${response.statusCode}`);
  }
}

/** Whether a request error is a network or parser failure worth another attempt. */
function isRetryableNetworkError(error: NodeJS.ErrnoException): boolean {
  const code = error.code ?? '';
  return isNetworkErrorCode(code) || code.startsWith('HPE_');
}

/** Whether `status` is a failure worth another attempt. */
export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 429 || status === 408;
}

export interface HttpClientOptions {
  /** The client's own origin: its `headers` go to this host only. */
  base: URL;
  /** Attempts after the first one for retryable failures. */
  retries: number;
  /** First back-off delay; doubled each retry. */
  backoffMs: number;
  /** Milliseconds to wait for a connection. */
  connectTimeoutMs: number;
  /** Milliseconds a request may sit without receiving data (headers or body). */
  readTimeoutMs: number;
  /** Sockets kept alive per host. */
  maxSockets?: number;
  /** Sent with every request to `base`'s host (credentials). */
  headers?: Record<string, string>;
  /** What the timeouts are called where the user sets them, for messages (`the remote's read_timeout`). */
  timeoutNames?: { connect: string; read: string };
}

export interface RequestBody {
  path: string;
  size: number;
}

export class HttpClient {
  private readonly agent: http.Agent;
  private readonly client: typeof http | typeof https;

  constructor(readonly options: HttpClientOptions) {
    this.client = options.base.protocol === 'https:' ? https : http;
    this.agent = new this.client.Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 4 });
  }

  /** One request; resolves with the response (body unread) or rejects, with a `RetryableError` when worth it. */
  request(method: string, url: URL, body?: RequestBody): Promise<IncomingMessage> {
    const { connectTimeoutMs, readTimeoutMs } = this.options;
    const names = this.options.timeoutNames;
    return new Promise((resolvePromise, reject) => {
      // Credentials go to the client's own host only, never to where a redirect points elsewhere.
      const headers: Record<string, string | number> = url.host === this.options.base.host ? { ...this.options.headers } : {};
      if (body) {
        headers['content-length'] = body.size;
        headers['content-type'] = 'application/octet-stream';
      }
      const sameProtocol = url.protocol === this.options.base.protocol;
      const client = sameProtocol ? this.client : url.protocol === 'https:' ? https : http;
      const req = client.request(url, { method, agent: sameProtocol ? this.agent : undefined, headers });
      const connectTimer = setTimeout(
        () =>
          req.destroy(
            new RetryableError(
              `timed out connecting: no connection within ${connectTimeoutMs / 1000} s${names ? ` (${names.connect})` : ''}`,
              undefined,
              'connect',
            ),
          ),
        connectTimeoutMs,
      );
      req.on('socket', (socket) => {
        if (!socket.connecting) clearTimeout(connectTimer);
        else socket.once('connect', () => clearTimeout(connectTimer));
      });
      let response: IncomingMessage | undefined;
      // The socket's idle timer runs while the headers and while the body are awaited: a stalled body is a timeout too.
      req.setTimeout(readTimeoutMs, () => {
        const what = response ? 'the response stalled, no data' : 'no response';
        const error = new RetryableError(`timed out: ${what} within ${readTimeoutMs / 1000} s${names ? ` (${names.read})` : ''}`, undefined, 'read');
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
      if (body)
        createReadStream(body.path)
          .on('error', (error) => req.destroy(error))
          .pipe(req);
      else req.end();
    });
  }

  /**
   * GET or HEAD, following redirects as DVC's HTTP remote (aiohttp) does, so a server behind a
   * CDN or an object store's signed URLs works. `tooMany` makes the error for a redirect loop.
   */
  async follow(method: 'GET' | 'HEAD', url: URL, tooMany: () => Error): Promise<IncomingMessage> {
    let at = url;
    for (let hops = 0; ; hops++) {
      const res = await this.request(method, at);
      const location = res.headers.location;
      if (![301, 302, 303, 307, 308].includes(res.statusCode ?? 0) || !location) return res;
      res.resume();
      if (hops === MAX_REDIRECTS) throw tooMany();
      at = new URL(location, at);
    }
  }

  /**
   * Runs `attempt` until it succeeds, throws something not retryable, or has failed `retries + 1`
   * times; then `giveUp` makes the error from the last failure and the number of attempts.
   */
  async withRetries<T>(attempt: () => Promise<T>, giveUp: (last: RetryableError, attempts: number) => Error): Promise<T> {
    for (let tried = 0; ; tried++) {
      try {
        return await attempt();
      } catch (error) {
        if (!(error instanceof RetryableError)) throw error;
        if (tried >= this.options.retries) throw giveUp(error, tried + 1);
        await sleep(this.options.backoffMs * 2 ** tried);
      }
    }
  }

  /** Closes idle keep-alive sockets so the process can exit. */
  close(): void {
    this.agent.destroy();
  }
}
