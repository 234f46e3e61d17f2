import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { acquireCifar } from '../../src/cifar/download.js';
import { downloadOfficial } from '../../src/cifar/sources/official.js';
import { BATCHES_DIR_NAME } from '../../src/cifar/batches.js';
import { md5Hex } from '../../src/util/md5.js';
import { BATCH_FILES } from '../../src/cifar/records.js';
import { UserError } from '../../src/util/errors.js';
import { synthTarball } from '../fixtures/synth-tarballs.js';
import { withTempDir } from '../fixtures/synth-workspace.js';

interface TarballServer {
  url: string;
  hits: () => number;
  close: () => Promise<void>;
}

/**
 * Serves `body` at /cifar.tar.gz; `cutAt` ends the response early while announcing the full length,
 * `stallAt` stops sending there and keeps the connection open, `chunked` announces no length.
 */
async function serve(
  body: Buffer,
  options: { cutAt?: number; stallAt?: number; status?: number; chunked?: boolean; failFirst?: number } = {},
): Promise<TarballServer> {
  let hits = 0;
  const server: Server = createServer((req, res) => {
    hits++;
    if (hits <= (options.failFirst ?? 0)) {
      res.writeHead(503).end();
      return;
    }
    if (options.status) {
      res.writeHead(options.status).end();
      return;
    }
    res.writeHead(200, options.chunked ? { 'content-type': 'application/gzip' } : { 'content-length': body.length, 'content-type': 'application/gzip' });
    if (options.cutAt !== undefined) res.write(body.subarray(0, options.cutAt), () => res.destroy());
    else if (options.stallAt !== undefined) res.write(body.subarray(0, options.stallAt));
    else res.end(body);
    void req;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/cifar.tar.gz`,
    hits: () => hits,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Runs `fn` with a server for `body`, closing it whatever happens. */
async function withServer(body: Buffer, options: Parameters<typeof serve>[1], fn: (server: TarballServer) => Promise<void>): Promise<void> {
  const server = await serve(body, options);
  try {
    await fn(server);
  } finally {
    await server.close();
  }
}

const withTemp = (fn: (dir: string) => Promise<void>) => withTempDir('cifar-dl-', fn);

const cacheEntries = async (cacheDir: string) => (await readdir(cacheDir).catch(() => [] as string[])).filter((n) => n.startsWith('.staging-'));

test('the official path streams a tarball over HTTP, checks its size and MD5, and caches the six verified batches', () =>
  withTemp(async (dir) => {
    const { files, tarball } = await synthTarball();
    await withServer(tarball, {}, async (server) => {
      const verified = await downloadOfficial({ cacheDir: dir, url: server.url, expected: { size: tarball.length, md5: md5Hex(tarball) }, quiet: true });
      assert.equal(verified.kind, 'synthetic');
      assert.deepEqual(
        verified.batches.map((b) => b.md5),
        files.slice(0, 6).map((f) => md5Hex(f.bytes)),
      );
      for (const batch of BATCH_FILES)
        assert.deepEqual(await readFile(join(verified.dir, batch.name)), Buffer.from(files.find((f) => f.name === batch.name)!.bytes));
      assert.deepEqual(await cacheEntries(dir), []);
    });
  }));

test('a server that answers 503 is asked again under the HTTP retry policy, and a persistent one is named with its status', () =>
  withTemp(async (dir) => {
    const { tarball } = await synthTarball(20);
    const expected = { size: tarball.length, md5: md5Hex(tarball) };
    await withServer(tarball, { failFirst: 2 }, async (server) => {
      const verified = await downloadOfficial({ cacheDir: dir, url: server.url, expected, quiet: true });
      assert.equal(verified.kind, 'synthetic');
      assert.equal(server.hits(), 3, 'two 503s, then the tarball');
    });
    await withServer(tarball, { status: 503 }, async (server) => {
      await assert.rejects(
        downloadOfficial({ cacheDir: join(dir, 'again'), url: server.url, expected, retries: 1, quiet: true }),
        /answered HTTP 503 Service Unavailable/,
      );
      assert.equal(server.hits(), 2, 'one retry');
    });
  }));

test('with the official expectations, a tarball that is not the official one is refused before anything is cached', () =>
  withTemp(async (dir) => {
    const { tarball } = await synthTarball();
    await withServer(tarball, {}, async (server) => {
      await assert.rejects(
        downloadOfficial({ cacheDir: dir, url: server.url, quiet: true }),
        (error: unknown) => error instanceof UserError && /offers \d+ bytes/.test(error.message),
      );
      assert.deepEqual(await readdir(dir), []);
    });
  }));

test('a well-formed tarball whose MD5 differs from the expected one is refused after streaming, naming both MD5s', () =>
  withTemp(async (dir) => {
    const { tarball } = await synthTarball();
    await withServer(tarball, {}, async (server) => {
      await assert.rejects(
        downloadOfficial({ cacheDir: dir, url: server.url, expected: { size: tarball.length, md5: '0'.repeat(32) }, quiet: true }),
        new RegExp(`tarball MD5 ${md5Hex(tarball)} differs from the expected 0{32}`),
      );
      assert.deepEqual(await readdir(dir), []);
    });
  }));

test('a damaged download (same size, altered byte) fails, leaves no cache entry, and a re-run with the right file succeeds', () =>
  withTemp(async (dir) => {
    const { tarball } = await synthTarball();
    const expected = { size: tarball.length, md5: md5Hex(tarball) };
    const damaged = Buffer.from(tarball);
    damaged[damaged.length - 30]! ^= 0xff;
    await withServer(damaged, {}, async (bad) => {
      await assert.rejects(downloadOfficial({ cacheDir: dir, url: bad.url, expected, quiet: true }), UserError);
    });
    assert.deepEqual(await readdir(dir), []);
    await withServer(tarball, {}, async (good) => {
      const verified = await downloadOfficial({ cacheDir: dir, url: good.url, expected, quiet: true });
      assert.equal(verified.batches.length, 6);
    });
  }));

test('a response without a length that runs past the expected size is stopped and refused', () =>
  withTemp(async (dir) => {
    const { tarball } = await synthTarball(20);
    await withServer(tarball, { chunked: true }, async (server) => {
      await assert.rejects(
        downloadOfficial({ cacheDir: dir, url: server.url, expected: { size: 1000, md5: md5Hex(tarball) }, quiet: true }),
        /sent more than the expected 1000 bytes/,
      );
      assert.deepEqual(await readdir(dir), []);
    });
  }));

test('a connection cut mid-way is reported as truncated and leaves nothing behind', () =>
  withTemp(async (dir) => {
    const { tarball } = await synthTarball(20);
    await withServer(tarball, { cutAt: Math.floor(tarball.length / 2) }, async (server) => {
      await assert.rejects(
        downloadOfficial({ cacheDir: dir, url: server.url, expected: { size: tarball.length, md5: md5Hex(tarball) }, quiet: true }),
        (error: unknown) => error instanceof UserError && error.message.includes(server.url),
      );
      assert.deepEqual(await readdir(dir), []);
    });
  }));

test('a download that stalls is given up after the stall timeout, naming how far it got', () =>
  withTemp(async (dir) => {
    const { tarball } = await synthTarball(20);
    await withServer(tarball, { stallAt: 4096 }, async (server) => {
      await assert.rejects(
        downloadOfficial({ cacheDir: dir, url: server.url, expected: { size: tarball.length, md5: md5Hex(tarball) }, stallTimeoutMs: 500, quiet: true }),
        /the download stalled \(nothing received for 0\.5 s after \d+ bytes\)/,
      );
      assert.deepEqual(await readdir(dir), []);
    });
  }));

test('an HTTP error and an unreachable host are UserErrors that name the URL', () =>
  withTemp(async (dir) => {
    let closedUrl = '';
    await withServer(Buffer.alloc(0), { status: 404 }, async (server) => {
      closedUrl = server.url;
      await assert.rejects(downloadOfficial({ cacheDir: dir, url: server.url, quiet: true }), /HTTP 404/);
    });
    await assert.rejects(
      downloadOfficial({ cacheDir: dir, url: closedUrl, quiet: true }),
      (error: unknown) => error instanceof UserError && /cannot reach/.test(error.message),
    );
  }));

test('a local synthetic tarball is accepted against its own manifest, and a second run re-reads it into the same cache entry', () =>
  withTemp(async (dir) => {
    const { tarball } = await synthTarball();
    const path = join(dir, 'synth.tar.gz');
    await writeFile(path, tarball);
    const first = await acquireCifar({ source: path, cacheDir: join(dir, 'cache'), quiet: true });
    const second = await acquireCifar({ source: path, cacheDir: join(dir, 'cache'), quiet: true });
    assert.equal(first.servedBy, 'local');
    assert.equal(first.verified.kind, 'synthetic');
    assert.equal(second.verified.dir, first.verified.dir);
  }));

test('installing a cache entry never removes an intact one another process may be reading; only a damaged one is replaced', () =>
  withTemp(async (dir) => {
    const { tarball } = await synthTarball();
    const path = join(dir, 'synth.tar.gz');
    await writeFile(path, tarball);
    const cacheDir = join(dir, 'cache');
    const entry = (await acquireCifar({ source: path, cacheDir, quiet: true })).verified.dir;
    const testBatch = join(entry, 'test_batch.bin');
    const original = await readFile(testBatch);
    const inode = (await stat(testBatch)).ino;
    // Four jobs sharing the cache install the same dataset while a fifth reads it (the workflow
    // scenario's matrix jobs did this, and a reader found test_batch.bin gone).
    let installing = true;
    const reads = (async () => {
      let count = 0;
      while (installing || count === 0) {
        assert.deepEqual(await readFile(testBatch), original);
        count++;
      }
      return count;
    })();
    const installs = await Promise.all([1, 2, 3, 4].map(() => acquireCifar({ source: path, cacheDir, quiet: true })));
    installing = false;
    assert.ok((await reads) > 0);
    assert.deepEqual(new Set(installs.map((i) => i.verified.dir)), new Set([entry]));
    assert.equal((await stat(testBatch)).ino, inode, 'the intact entry is the one that was there');
    assert.deepEqual(await cacheEntries(cacheDir), [], 'no staging folder is left');
    assert.deepEqual(await readdir(join(entry, '..')), [BATCHES_DIR_NAME], 'nothing moved aside is left');

    await writeFile(testBatch, original.subarray(0, 100));
    await acquireCifar({ source: path, cacheDir, quiet: true });
    assert.deepEqual(await readFile(testBatch), original, 'a damaged entry is replaced');
    assert.deepEqual(await readdir(join(entry, '..')), [BATCHES_DIR_NAME]);
  }));

test('auto takes the source CIFAR10_SOURCE names (a mirror copy), and an explicit source still wins', () =>
  withTemp(async (dir) => {
    const { tarball } = await synthTarball();
    const path = join(dir, 'mirror', 'cifar-10.tar.gz');
    await mkdir(join(dir, 'mirror'));
    await writeFile(path, tarball);
    const lines: string[] = [];
    process.env.CIFAR10_SOURCE = path;
    try {
      const viaAuto = await acquireCifar({ source: 'auto', cacheDir: join(dir, 'cache'), quiet: true, log: (l) => lines.push(l) });
      assert.equal(viaAuto.servedBy, 'local');
      assert.equal(viaAuto.verified.kind, 'synthetic');
      assert.deepEqual(lines, [`auto: CIFAR10_SOURCE names the source: ${path}`]);
      await assert.rejects(acquireCifar({ source: join(dir, 'elsewhere.tar.gz'), cacheDir: join(dir, 'cache'), quiet: true }), /no such file or folder/);
    } finally {
      delete process.env.CIFAR10_SOURCE;
    }
  }));

test('a local folder, itself or its parent, is verified in place', () =>
  withTemp(async (dir) => {
    const { files } = await synthTarball();
    const batches = join(dir, 'data', BATCHES_DIR_NAME);
    await mkdir(batches, { recursive: true });
    for (const f of files) await writeFile(join(batches, f.name), f.bytes);
    for (const source of [batches, join(dir, 'data')]) {
      const { verified } = await acquireCifar({ source, cacheDir: join(dir, 'cache'), quiet: true });
      assert.equal(verified.dir, batches);
    }
  }));

test('a local folder with a batch that matches neither the official MD5 nor a manifest is refused, naming the file', () =>
  withTemp(async (dir) => {
    const { files } = await synthTarball();
    const batches = join(dir, BATCHES_DIR_NAME);
    await mkdir(batches, { recursive: true });
    for (const f of files) if (f.name !== 'synthetic.md5') await writeFile(join(batches, f.name), f.bytes);
    await assert.rejects(
      acquireCifar({ source: batches, cacheDir: join(dir, 'cache'), quiet: true }),
      /data_batch_1\.bin: MD5 [0-9a-f]{32} differs from the official/,
    );
  }));

test('a missing source path gets a clear error', () =>
  withTemp(async (dir) => {
    await assert.rejects(acquireCifar({ source: join(dir, 'nope.tar.gz'), cacheDir: dir, quiet: true }), /no such file or folder/);
  }));
