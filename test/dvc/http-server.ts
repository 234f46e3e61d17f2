import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';

/** What the server does with the next request for a key, before serving it normally. */
export type Fault = 404 | 403 | 500 | 'slow' | 'drop';

/**
 * A real HTTP object store on 127.0.0.1 for tests: GET/HEAD serve files below `root`, POST/PUT
 * store the body; faults queued per object key are played first; every request is logged.
 */
export class TestHttpStore {
  readonly requests: { method: string; key: string; authorization?: string }[] = [];
  /** Keys answered with a 302 to the given absolute URL (a CDN or object store in front of the remote). */
  readonly redirects = new Map<string, string>();
  private readonly faults = new Map<string, Fault[]>();
  private server!: Server;
  url = '';
  /** When set, requests must carry this Authorization header. */
  requireAuth?: string;

  constructor(readonly root: string) {}

  fail(key: string, ...faults: Fault[]): void {
    this.faults.set(key, [...(this.faults.get(key) ?? []), ...faults]);
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/dvc`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  count(method: string, key?: string): number {
    return this.requests.filter((r) => r.method === method && (key === undefined || r.key === key)).length;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const key = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).replace(/^\/dvc\//, '');
    this.requests.push({ method: req.method ?? '', key, authorization: req.headers.authorization });
    const location = this.redirects.get(key);
    if (location) {
      req.resume();
      res.writeHead(302, { location }).end();
      return;
    }
    if (this.requireAuth && req.headers.authorization !== this.requireAuth) {
      req.resume();
      res.writeHead(401).end();
      return;
    }
    const fault = this.faults.get(key)?.shift();
    if (fault === 'slow') return; // never answers: the client's read timeout must fire
    if (fault === 'drop') {
      req.socket.destroy();
      return;
    }
    if (fault !== undefined) {
      req.resume();
      res.writeHead(fault).end();
      return;
    }
    const path = join(this.root, ...key.split('/'));
    if (req.method === 'POST' || req.method === 'PUT') {
      await mkdir(dirname(path), { recursive: true });
      const temp = `${path}.upload`;
      await pipeline(req, createWriteStream(temp));
      await rename(temp, path);
      res.writeHead(200).end();
      return;
    }
    const info = await stat(path).catch(() => undefined);
    if (!info?.isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-length': info.size });
    if (req.method === 'HEAD') res.end();
    else await pipeline(createReadStream(path), res);
  }
}
