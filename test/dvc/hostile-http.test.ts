import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { add, addRemote, loadRepo, modifyRemote, pull, push } from '../../src/dvc/index.js';
import { readTree, writeTree } from './helpers.js';
import { assertCliError, hostileRepo, runCli } from './hostile-helpers.js';

/**
 * What a broken server or proxy does to one response:
 * - `extra-bytes`: the previous body on this keep-alive socket was longer than its Content-Length,
 *   so its leftover bytes arrive in front of this response (`Parse Error: Expected HTTP/`);
 * - `reset`: half the body, then a TCP reset;
 * - `silent`: never answers;
 * - `stall`: the headers and half the body, then nothing.
 */
type Misbehaviour = 'extra-bytes' | 'reset' | 'silent' | 'stall';

const SURPLUS = 'bytes beyond the last Content-Length';

/**
 * An HTTP/1.1 object server on 127.0.0.1 written on raw sockets, so it can break the protocol the
 * way real servers and proxies do. It serves GET and HEAD of `/dvc/<key>` from a local remote
 * folder, keeps connections alive, and plays the misbehaviour queued for the n-th request.
 */
class MisbehavingServer {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  /** Request number (1-based, over all connections) → what to do to it. */
  readonly plan = new Map<number, Misbehaviour>();
  requests = 0;
  url = '';

  constructor(readonly root: string) {
    this.server = createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
      let buffered = '';
      socket.on('data', (chunk) => {
        buffered += chunk.toString('latin1');
        for (let end = buffered.indexOf('\r\n\r\n'); end !== -1; end = buffered.indexOf('\r\n\r\n')) {
          const head = buffered.slice(0, end);
          buffered = buffered.slice(end + 4);
          void this.answer(socket, head);
        }
      });
    });
  }

  async start(t: TestContext): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/dvc`;
    t.after(() => this.stop());
    return this;
  }

  stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async answer(socket: Socket, head: string): Promise<void> {
    const [method, target] = head.split(' ');
    const misbehaviour = this.plan.get(++this.requests);
    if (misbehaviour === 'silent') return;
    const key = decodeURIComponent(target!.replace(/^\/dvc\//, ''));
    const body = await readFile(join(this.root, ...key.split('/'))).catch(() => undefined);
    if (!body) {
      socket.write('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    socket.write(`${misbehaviour === 'extra-bytes' ? SURPLUS : ''}HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\nConnection: keep-alive\r\n\r\n`);
    if (method === 'HEAD') return;
    if (misbehaviour === 'reset') {
      socket.write(body.subarray(0, body.length >> 1));
      socket.resetAndDestroy();
    } else if (misbehaviour === 'stall') {
      socket.write(body.subarray(0, body.length >> 1));
    } else {
      socket.write(body);
    }
  }
}

/** A repository with data pushed to a local folder, then the HTTP server in front of that folder as its default remote. */
async function served(t: TestContext, options: Record<string, string>) {
  const h = await hostileRepo(t);
  await writeTree(join(h.repo.root, 'data'), { 'a.txt': 'a'.repeat(5000), 'b.txt': 'b'.repeat(7000), 'c/d.txt': 'd'.repeat(3000) });
  const expected = await readTree(join(h.repo.root, 'data'));
  await add(h.repo, ['data'], { cwd: h.repo.root });
  await push(h.repo, { cwd: h.repo.root });
  const server = await new MisbehavingServer(h.store).start(t);
  await addRemote(h.repo.dvcDir, 'web', server.url, { makeDefault: true, cwd: h.repo.root });
  for (const [key, value] of Object.entries(options)) await modifyRemote(h.repo.dvcDir, 'web', key, value);
  await rm(join(h.repo.root, 'data'), { recursive: true });
  await rm(h.repo.cacheDir, { recursive: true });
  return { h, repo: await loadRepo(h.repo.root), server, expected };
}

test('a body longer than its Content-Length on a keep-alive socket (the next response does not parse) is retried and the pull succeeds', async (t) => {
  const { repo, server, expected } = await served(t, { backoff_ms: '10' });
  server.plan.set(2, 'extra-bytes');
  server.plan.set(3, 'extra-bytes');
  await pull(repo, { cwd: repo.root, jobs: 1 });
  assert.deepEqual(await readTree(join(repo.root, 'data')), expected);
  assert.equal(server.requests, 6, 'the two garbled requests were sent again');
});

test('a connection reset in the middle of a body is retried and the pull succeeds', async (t) => {
  const { repo, server, expected } = await served(t, { backoff_ms: '10' });
  server.plan.set(2, 'reset');
  server.plan.set(3, 'reset');
  await pull(repo, { cwd: repo.root });
  assert.deepEqual(await readTree(join(repo.root, 'data')), expected);
});

test('a server that never answers ends in an error that names the timeout, through the CLI without a stack trace', async (t) => {
  const { h, server } = await served(t, { read_timeout: '0.3', retries: '1', backoff_ms: '10' });
  for (let i = 1; i <= 10; i++) server.plan.set(i, 'silent');
  const result = await runCli(h.repo.root, ['data', 'pull', '-q']);
  assertCliError(
    result,
    /error: GET .*files\/md5\/.* failed after 2 attempts: timed out: no response within 0\.3 s \(the remote's read_timeout\); check that the server at http:\/\/127\.0\.0\.1:\d+\/dvc is up/,
  );
});

test('a body that stalls half way is a timeout too, named as one', async (t) => {
  const { repo, server } = await served(t, { read_timeout: '0.3', retries: '0' });
  server.plan.set(1, 'stall');
  await assert.rejects(
    pull(repo, { cwd: repo.root }),
    /failed after 1 attempt: timed out: the response stalled, no data within 0\.3 s \(the remote's read_timeout\)/,
  );
});
