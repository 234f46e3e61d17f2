import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { add, addRemote, editConfigFile, initRepo, loadRepo, objectKey, openRemote, pull, push, remoteSectionName, type Repo } from '../../src/dvc/index.js';
import { HttpRemote, httpOptionsFrom } from '../../src/dvc/remote/http.js';
import { partitionLikeTree, readTree, tempDir, writeTree } from './helpers.js';
import { TestHttpStore } from './http-server.js';
import { CIFAR10_SHELL } from '../../src/cifar10-shell.js';
import { useShell } from '../../src/util/hints.js';

// Messages are asserted as the CLI prints them: commands spelled the cifar10 way (src/util/hints.ts).
useShell(CIFAR10_SHELL);

// Quick retries; a read timeout long enough never to fire on a loaded machine (its retry would add
// a request the tests count), except in the tests of timeouts themselves (SHORT_TIMEOUT).
const FAST = { retries: '2', backoff_ms: '10', read_timeout: '30' };
const SHORT_TIMEOUT = { ...FAST, read_timeout: '0.3' };

async function server(t: TestContext): Promise<TestHttpStore> {
  const store = await new TestHttpStore(await tempDir(t, 'http-store-')).start();
  t.after(() => store.stop());
  return store;
}

async function repoWithHttpRemote(t: TestContext, store: TestHttpStore, name: string, options: Record<string, string> = FAST): Promise<Repo> {
  const root = join(await tempDir(t), name);
  await mkdir(root);
  const { repo } = await initRepo(root);
  await addRemote(repo.dvcDir, 'web', store.url, { makeDefault: true, cwd: root });
  await editConfigFile(repo.dvcDir, true, (doc) => doc.set(remoteSectionName('web'), new Map(Object.entries(options))));
  return loadRepo(root);
}

function remote(store: TestHttpStore, options: Record<string, string> = FAST): HttpRemote {
  const config = { name: 'web', url: store.url, options };
  return new HttpRemote(store.url, httpOptionsFrom(config));
}

test('push POSTs objects (.dir last) and pull GETs them back into identical files', async (t) => {
  const store = await server(t);
  const repo = await repoWithHttpRemote(t, store, 'a');
  await writeTree(join(repo.root, 'data', 'v1'), partitionLikeTree(2, 6));
  const [added] = await add(repo, ['data/v1'], { cwd: repo.root });
  assert.deepEqual(await push(repo, { cwd: repo.root }), { uploaded: 13, present: 0 });
  const posts = store.requests.filter((r) => r.method === 'POST');
  assert.equal(posts.length, 13);
  assert.equal(posts.at(-1)!.key, objectKey(added!.hash.md5), 'the manifest is uploaded last');
  assert.equal(store.count('HEAD'), 13, 'existence is probed with one HEAD per object');
  const dirPath = (rootDir: string) => join(rootDir, ...objectKey(added!.hash.md5).split('/'));
  assert.deepEqual(await readFile(dirPath(store.root)), await readFile(dirPath(repo.cacheDir)));

  const clone = await repoWithHttpRemote(t, store, 'b');
  await mkdir(join(clone.root, 'data'));
  await writeTree(clone.root, { 'data/v1.dvc': await readFile(join(repo.root, 'data', 'v1.dvc')) });
  await pull(clone, { cwd: clone.root });
  assert.deepEqual(await readTree(join(clone.root, 'data', 'v1')), await readTree(join(repo.root, 'data', 'v1')));
});

test('a 500 answered twice is retried and the third attempt succeeds', async (t) => {
  const store = await server(t);
  await writeTree(store.root, { 'files/md5/ab/cdef': 'payload' });
  store.fail('files/md5/ab/cdef', 500, 500);
  const dest = join(store.root, 'out');
  await remote(store).download('files/md5/ab/cdef', dest);
  assert.equal(await readFile(dest, 'utf8'), 'payload');
  assert.equal(store.count('GET', 'files/md5/ab/cdef'), 3);
});

test('a server that keeps failing is tried a bounded number of times, then a clear error', async (t) => {
  const store = await server(t);
  store.fail('files/md5/ab/cdef', 500, 500, 500, 500, 500);
  const started = Date.now();
  await assert.rejects(
    remote(store).download('files/md5/ab/cdef', join(store.root, 'out')),
    /GET .*files\/md5\/ab\/cdef failed after 3 attempts: .*HTTP 500.*check that the server .* is up/,
  );
  assert.equal(store.count('GET'), 3);
  assert.ok(Date.now() - started < 5000);
});

test('a slow response times out, is retried, and succeeds when the server answers', async (t) => {
  const store = await server(t);
  await writeTree(store.root, { 'files/md5/ab/cdef': 'late' });
  store.fail('files/md5/ab/cdef', 'slow');
  const dest = join(store.root, 'out');
  await remote(store, SHORT_TIMEOUT).download('files/md5/ab/cdef', dest);
  assert.equal(await readFile(dest, 'utf8'), 'late');
  assert.equal(store.count('GET'), 2);
});

test('a server that never answers ends in a timeout error after the retries', async (t) => {
  const store = await server(t);
  store.fail('files/md5/ab/cdef', 'slow', 'slow', 'slow');
  await assert.rejects(remote(store, SHORT_TIMEOUT).has(['files/md5/ab/cdef']), /failed after 3 attempts: .*no response within 0\.3 s/);
});

test('404 on GET names the missing object; 404 on HEAD means absent; 403 is not retried', async (t) => {
  const store = await server(t);
  const r = remote(store);
  await assert.rejects(
    r.download('files/md5/ab/cdef', join(store.root, 'out')),
    /HTTP 404, object files\/md5\/ab\/cdef is missing from remote http:\/\/127\.0\.0\.1:\d+\/dvc/,
  );
  assert.equal(store.count('GET'), 1);
  assert.deepEqual(await r.has(['files/md5/ab/cdef']), new Set());
  store.fail('files/md5/ab/cdef', 403);
  await assert.rejects(r.has(['files/md5/ab/cdef']), /HTTP 403 \(access denied\).*config\.local/);
  assert.equal(store.count('HEAD'), 2);
});

test('a dropped connection during a pull is retried; basic auth is sent and never printed', async (t) => {
  const store = await server(t);
  store.requireAuth = `Basic ${Buffer.from('alice:s3cret').toString('base64')}`;
  await writeTree(store.root, { 'files/md5/ab/cdef': 'secret data' });
  store.fail('files/md5/ab/cdef', 'drop');
  const withAuth = remote(store, { ...FAST, auth: 'basic', user: 'alice', password: 's3cret' });
  const dest = join(store.root, 'out');
  await withAuth.download('files/md5/ab/cdef', dest);
  assert.equal(await readFile(dest, 'utf8'), 'secret data');
  const wrong = remote(store, { ...FAST, auth: 'basic', user: 'alice', password: 'wrong-pass' });
  await assert.rejects(wrong.download('files/md5/ab/cdef', dest), (error: Error) => {
    assert.match(error.message, /HTTP 401/);
    assert.doesNotMatch(error.message, /wrong-pass|s3cret/);
    return true;
  });
});

test('GET and HEAD follow redirects; credentials are not sent to another host; a redirect loop ends in a clear error', async (t) => {
  const front = await server(t);
  const objects = await server(t);
  front.requireAuth = `Basic ${Buffer.from('alice:s3cret').toString('base64')}`;
  await writeTree(objects.root, { 'files/md5/ab/cdef': 'redirected data' });
  front.redirects.set('files/md5/ab/cdef', `${objects.url}/files/md5/ab/cdef`);
  const r = remote(front, { ...FAST, auth: 'basic', user: 'alice', password: 's3cret' });
  const dest = join(front.root, 'out');
  await r.download('files/md5/ab/cdef', dest);
  assert.equal(await readFile(dest, 'utf8'), 'redirected data');
  assert.deepEqual(await r.has(['files/md5/ab/cdef']), new Set(['files/md5/ab/cdef']));
  assert.equal(front.requests[0]!.authorization, front.requireAuth, 'the remote itself gets the credentials');
  assert.deepEqual(
    objects.requests.map((q) => [q.method, q.authorization]),
    [
      ['GET', undefined],
      ['HEAD', undefined],
    ],
    'the other host never does',
  );

  front.redirects.set('files/md5/ab/loop', `${front.url}/files/md5/ab/loop`);
  await assert.rejects(r.download('files/md5/ab/loop', dest), /more than 5 redirects/);
  assert.equal(front.count('GET', 'files/md5/ab/loop'), 6);
});

test('a bad number option names the remote modify command that fixes it', () => {
  assert.throws(
    () => httpOptionsFrom({ name: 'web', url: 'https://example.test/dvc', options: { read_timeout: 'soon' } }),
    /read_timeout = soon is not a non-negative number; fix it with `cifar10 data remote modify web read_timeout <number>`/,
  );
});

test('the registry opens http(s) URLs as HTTP remotes and rejects unknown schemes clearly', async () => {
  assert.ok((await openRemote({ name: 'web', url: 'https://example.test/dvc', options: {} }, '/tmp')) instanceof HttpRemote);
  await assert.rejects(
    async () => openRemote({ name: 'x', url: 'gdrive://folder', options: {} }, '/tmp'),
    /remote "x" uses gdrive:\/\/, which this tool cannot open/,
  );
});
