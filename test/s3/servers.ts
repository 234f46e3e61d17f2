import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import { request as httpRequest, createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { mapLimit } from '../../src/util/map-limit.js';
import { tempDir } from '../dvc/helpers.js';

/** The access key s3rver knows (it checks the key id, not the V4 signature). */
export const S3RVER_KEY = 'S3RVER';
export const BUCKET = 'dvc-store';

/**
 * A real S3-compatible server (s3rver, in a child process) on 127.0.0.1 with one bucket; stopped
 * when the test ends. `dir` is its storage folder.
 */
export async function startS3rver(t: TestContext): Promise<{ endpoint: string; dir: string }> {
  const dir = await tempDir(t, 's3rver-');
  const main = fileURLToPath(new URL('./s3rver-main.js', import.meta.url));
  const child = spawn(process.execPath, ['--openssl-legacy-provider', main, dir, BUCKET], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  t.after(async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
  });
  const listening = once(createInterface({ input: child.stdout! }), 'line') as Promise<[string]>;
  const [line] = await Promise.race([listening, exited.then(() => Promise.reject(new Error(`s3rver exited before listening (code ${child.exitCode})`)))]);
  const { port } = JSON.parse(line) as { port: number };
  return { endpoint: `http://127.0.0.1:${port}`, dir };
}

/**
 * Puts objects straight into s3rver's storage folder (`<bucket>/<key>._S3rver_object`), which it
 * then serves like uploaded ones: thousands of PUTs through s3rver take ~30 s on this machine.
 */
export async function seedObjects(dir: string, keys: readonly string[], body: string | Uint8Array = 'x'): Promise<void> {
  const folders = new Set(keys.map((key) => dirname(join(dir, BUCKET, key))));
  for (const folder of folders) await mkdir(folder, { recursive: true });
  // With its `.md5` beside it, s3rver need not hash and write one per object when it first lists it.
  const md5 = createHash('md5').update(body).digest('hex');
  await mapLimit(keys, 32, async (key) => {
    await writeFile(join(dir, BUCKET, `${key}._S3rver_object`), body);
    await writeFile(join(dir, BUCKET, `${key}._S3rver_object.md5`), md5);
  });
}

/** One request as the proxy saw it, classified by S3 operation. */
export interface SeenRequest {
  op: 'HEAD' | 'GET' | 'LIST' | 'PUT' | 'PUT_PART' | 'CREATE_MULTIPART' | 'COMPLETE_MULTIPART' | 'OTHER';
  path: string;
  status: number;
}

function classify(req: IncomingMessage): SeenRequest['op'] {
  const url = new URL(req.url ?? '/', 'http://x');
  const q = url.searchParams;
  if (req.method === 'HEAD') return 'HEAD';
  if (req.method === 'GET') return q.has('list-type') ? 'LIST' : 'GET';
  if (req.method === 'PUT') return q.has('partNumber') ? 'PUT_PART' : 'PUT';
  if (req.method === 'POST' && q.has('uploads')) return 'CREATE_MULTIPART';
  if (req.method === 'POST' && q.has('uploadId')) return 'COMPLETE_MULTIPART';
  return 'OTHER';
}

/**
 * An HTTP proxy on 127.0.0.1 in front of s3rver that logs every request and, while `failNext` is
 * above zero, answers with S3's own throttling reply (503 SlowDown) instead of forwarding
 * (requests of any operation, or only those in `failOnly`).
 */
export class FaultProxy {
  readonly seen: SeenRequest[] = [];
  failNext = 0;
  /** When set, only requests of these operations are failed (and counted down). */
  failOnly?: ReadonlySet<SeenRequest['op']>;
  private server!: Server;
  endpoint = '';

  constructor(private readonly target: string) {}

  async start(t: TestContext): Promise<this> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    t.after(async () => {
      this.server.closeAllConnections();
      await new Promise((resolve) => this.server.close(resolve));
    });
    return this;
  }

  count(op: SeenRequest['op'], status?: number): number {
    return this.seen.filter((r) => r.op === op && (status === undefined || r.status === status)).length;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const op = classify(req);
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (this.failNext > 0 && (!this.failOnly || this.failOnly.has(op))) {
      this.failNext--;
      this.seen.push({ op, path, status: 503 });
      req.resume();
      req.on('end', () => {
        res.writeHead(503, { 'content-type': 'application/xml' });
        res.end(
          req.method === 'HEAD'
            ? undefined
            : '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>',
        );
      });
      return;
    }
    const target = new URL(this.target);
    const upstream = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      this.seen.push({ op, path, status: answer.statusCode ?? 0 });
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  }
}
