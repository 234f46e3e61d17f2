import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  add,
  addRemote,
  cloudStatus,
  editConfigFile,
  initRepo,
  loadRepo,
  objectKey,
  openRemote,
  pull,
  push,
  RemoteError,
  remoteSectionName,
  type Repo,
} from '../../src/dvc/index.js';
import { HEAD_ONLY_LIMIT, parseS3Url, S3Remote, s3SettingsFrom } from '../../src/dvc/remote/s3.js';
import { UserError } from '../../src/util/errors.js';
import { fakeBytes, partitionLikeTree, readTree, tempDir, writeTree } from '../dvc/helpers.js';
import { BUCKET, FaultProxy, S3RVER_KEY, seedObjects, startS3rver } from './servers.js';
import { CIFAR10_SHELL } from '../../src/cifar10-shell.js';
import { useShell } from '../../src/util/hints.js';

// Messages are asserted as the CLI prints them: commands spelled the cifar10 way (src/util/hints.ts).
useShell(CIFAR10_SHELL);

const URL = `s3://${BUCKET}/project/dvc`;

/** A repo whose default remote is the S3 bucket behind `endpoint`, key pair in `.dvc/config.local`. */
async function repoWithS3Remote(t: TestContext, endpoint: string, name: string, local: Record<string, string> = {}): Promise<Repo> {
  const root = join(await tempDir(t, 's3-repo-'), name);
  await mkdir(root);
  const { repo } = await initRepo(root);
  await addRemote(repo.dvcDir, 'storage', URL, { makeDefault: true, cwd: root });
  await editConfigFile(repo.dvcDir, false, (doc) => doc.get(remoteSectionName('storage'))!.set('endpointurl', endpoint));
  const secrets = { access_key_id: S3RVER_KEY, secret_access_key: 'not-checked-by-s3rver', retries: '3', ...local };
  await editConfigFile(repo.dvcDir, true, (doc) => doc.set(remoteSectionName('storage'), new Map(Object.entries(secrets))));
  return loadRepo(root);
}

function store(endpoint: string, options: Record<string, string> = {}): S3Remote {
  const remote = new S3Remote(
    s3SettingsFrom({
      name: 'storage',
      url: URL,
      options: { endpointurl: endpoint, access_key_id: S3RVER_KEY, secret_access_key: 'x', retries: '3', ...options },
    }),
  );
  return remote;
}

test('an s3:// URL splits into bucket and prefix, and a bad bucket name is refused with the form to use', () => {
  assert.deepEqual(parseS3Url('s3://my-bucket/a/b/'), { bucket: 'my-bucket', prefix: 'a/b' });
  assert.deepEqual(parseS3Url('s3://my-bucket'), { bucket: 'my-bucket', prefix: '' });
  assert.throws(() => parseS3Url('s3://ab/x'), /s3:\/\/<bucket>\/<prefix>/);
  assert.throws(() => parseS3Url('s3://My_Bucket/x'), UserError);
});

test('options DVC uses are read, an unknown option is named, and endpoint and region also come from the AWS variables', () => {
  const settings = s3SettingsFrom({ name: 's', url: URL, options: { endpointurl: 'http://127.0.0.1:9000/', jobs: '4', part_size_mb: '8', profile: 'ci' } });
  assert.equal(settings.endpoint, 'http://127.0.0.1:9000');
  assert.equal(settings.jobs, 4);
  assert.equal(settings.partBytes, 8 * 1024 * 1024);
  assert.equal(settings.profile, 'ci');
  assert.equal(settings.credentials, undefined);
  assert.throws(() => s3SettingsFrom({ name: 's', url: URL, options: { endpoint_url: 'x' } }), /endpoint_url is not supported for s3 remotes/);
  const fromEnv = s3SettingsFrom({ name: 's', url: URL, options: {} }, {}, { AWS_ENDPOINT_URL_S3: 'https://minio.example.com:9000', AWS_REGION: 'eu-west-1' });
  assert.equal(fromEnv.endpoint, 'https://minio.example.com:9000', 'an endpoint kept in a workflow secret comes through the SDK variable');
  assert.equal(fromEnv.region, 'eu-west-1');
  const forkPr = s3SettingsFrom({ name: 's', url: URL, options: {} }, {}, { AWS_ENDPOINT_URL_S3: '', AWS_REGION: '' });
  assert.equal(forkPr.endpoint, undefined, 'an empty secret counts as unset');
  assert.equal(forkPr.region, undefined);
  assert.throws(() => s3SettingsFrom({ name: 's', url: URL, options: { access_key_id: 'AKIA' } }), /go together/);
});

test('credentials in the committed .dvc/config are refused without echoing them; .dvc/config.local is accepted', async (t) => {
  const root = await tempDir(t);
  const { repo } = await initRepo(root);
  await addRemote(repo.dvcDir, 'storage', URL, { makeDefault: true, cwd: root });
  await editConfigFile(repo.dvcDir, true, (doc) =>
    doc.set(
      remoteSectionName('storage'),
      new Map([
        ['access_key_id', 'AKIALOCAL'],
        ['secret_access_key', 'local-secret'],
      ]),
    ),
  );
  const fine = await openRemote({ name: 'storage', url: URL, options: { access_key_id: 'AKIALOCAL', secret_access_key: 'local-secret' } }, repo.dvcDir);
  assert.equal(fine.url, URL);
  (fine as S3Remote).close();

  await editConfigFile(repo.dvcDir, false, (doc) => doc.get(remoteSectionName('storage'))!.set('secret_access_key', 'committed-secret'));
  await assert.rejects(
    openRemote({ name: 'storage', url: URL, options: { access_key_id: 'AKIALOCAL', secret_access_key: 'committed-secret' } }, repo.dvcDir),
    (error: Error) => {
      assert.ok(error instanceof UserError);
      assert.match(error.message, /secret_access_key must not be in the committed \.dvc\/config/);
      assert.doesNotMatch(error.message, /committed-secret|AKIALOCAL/);
      return true;
    },
  );
});

test('push, cloud status and pull round-trip a partition through an S3 bucket under its prefix', async (t) => {
  const { endpoint, dir } = await startS3rver(t);
  const repo = await repoWithS3Remote(t, endpoint, 'a');
  await writeTree(join(repo.root, 'data', 'v1'), partitionLikeTree(3, 5));
  const [added] = await add(repo, ['data/v1'], { cwd: repo.root });
  assert.deepEqual((await cloudStatus(repo, { cwd: repo.root }))[0]!.state, 'not on remote');
  assert.deepEqual(await push(repo, { cwd: repo.root }), { uploaded: 16, present: 0 });
  assert.deepEqual(await push(repo, { cwd: repo.root }), { uploaded: 0, present: 16 }, 'a second push finds everything there');
  const [status] = await cloudStatus(repo, { cwd: repo.root });
  assert.equal(status!.state, 'up to date');
  assert.equal(status!.objects, 16);

  const key = objectKey(added!.hash.md5);
  assert.deepEqual(
    await readFile(join(dir, BUCKET, 'project', 'dvc', `${key}._S3rver_object`)),
    await readFile(join(repo.cacheDir, ...key.split('/'))),
    'objects sit at <prefix>/files/md5/xx/rest',
  );

  const clone = await repoWithS3Remote(t, endpoint, 'b');
  await writeTree(clone.root, { 'data/v1.dvc': await readFile(join(repo.root, 'data', 'v1.dvc')) });
  assert.equal((await cloudStatus(clone, { cwd: clone.root }))[0]!.state, 'not in cache');
  const pulled = await pull(clone, { cwd: clone.root });
  assert.equal(pulled.fetch.downloaded + pulled.fetch.cached, 16, 'cloud status already brought the manifest');
  assert.deepEqual(await readTree(join(clone.root, 'data', 'v1')), await readTree(join(repo.root, 'data', 'v1')));
});

test('credentials from the standard AWS environment variables are used when the config has none', async (t) => {
  const { endpoint } = await startS3rver(t);
  const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
  process.env.AWS_ACCESS_KEY_ID = S3RVER_KEY;
  process.env.AWS_SECRET_ACCESS_KEY = 'from-env';
  t.after(() => {
    for (const [key, value] of [
      ['AWS_ACCESS_KEY_ID', saved.id],
      ['AWS_SECRET_ACCESS_KEY', saved.secret],
    ] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });
  const remote = new S3Remote(s3SettingsFrom({ name: 'storage', url: URL, options: { endpointurl: endpoint } }));
  t.after(() => remote.close());
  const dir = await tempDir(t);
  await writeFile(join(dir, 'obj'), 'payload');
  await remote.upload(join(dir, 'obj'), 'files/md5/ab/cdef');
  assert.deepEqual([...(await remote.has(['files/md5/ab/cdef', 'files/md5/ab/0000']))], ['files/md5/ab/cdef']);
});

/** Clears every place the SDK looks for credentials (env, ~/.aws files, instance metadata) for one test. */
async function withoutAwsCredentials(t: TestContext): Promise<void> {
  const dir = await tempDir(t);
  const replaced: Record<string, string | undefined> = {
    AWS_ACCESS_KEY_ID: undefined,
    AWS_SECRET_ACCESS_KEY: undefined,
    AWS_SESSION_TOKEN: undefined,
    AWS_PROFILE: undefined,
    AWS_WEB_IDENTITY_TOKEN_FILE: undefined,
    AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: undefined,
    AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined,
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'),
    AWS_CONFIG_FILE: join(dir, 'config'),
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  const saved = Object.fromEntries(Object.keys(replaced).map((key) => [key, process.env[key]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [key, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
  apply(replaced);
  t.after(() => apply(saved));
}

test('with no credentials anywhere the error lists where to put them; allow_anonymous_login reads a public bucket unsigned', async (t) => {
  const { endpoint, dir } = await startS3rver(t);
  await seedObjects(dir, ['project/dvc/files/md5/ab/cdef']);
  await withoutAwsCredentials(t);
  const signed = new S3Remote(s3SettingsFrom({ name: 'storage', url: URL, options: { endpointurl: endpoint } }));
  t.after(() => signed.close());
  await assert.rejects(
    signed.has(['files/md5/ab/cdef']),
    /no AWS credentials found; set the AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY environment variables \(workflow secrets on CI\).*allow_anonymous_login/,
  );

  const anonymous = new S3Remote(s3SettingsFrom({ name: 'storage', url: URL, options: { endpointurl: endpoint, allow_anonymous_login: 'true' } }));
  t.after(() => anonymous.close());
  assert.deepEqual([...(await anonymous.has(['files/md5/ab/cdef', 'files/md5/ab/0000']))], ['files/md5/ab/cdef']);
  const out = join(await tempDir(t), 'obj');
  await anonymous.download('files/md5/ab/cdef', out);
  assert.equal(await readFile(out, 'utf8'), 'x');
});

test('a key the server does not know is an access-denied error that names the fix and never the secret', async (t) => {
  const { endpoint } = await startS3rver(t);
  const remote = new S3Remote(
    s3SettingsFrom({ name: 'storage', url: URL, options: { endpointurl: endpoint, access_key_id: 'AKIAWRONGKEY', secret_access_key: 'very-secret-value' } }),
  );
  t.after(() => remote.close());
  const dir = await tempDir(t);
  await writeFile(join(dir, 'obj'), 'payload');
  for (const attempt of [
    () => remote.upload(join(dir, 'obj'), 'files/md5/ab/cdef'),
    () => remote.has(['files/md5/ab/cdef']),
    () => remote.download('files/md5/ab/cdef', join(dir, 'out')),
  ]) {
    await assert.rejects(attempt(), (error: Error) => {
      assert.ok(error instanceof UserError);
      assert.match(error.message, /access denied \(HTTP 403/);
      assert.match(error.message, /AWS_ACCESS_KEY_ID/);
      assert.doesNotMatch(error.message, /very-secret-value|AKIAWRONGKEY/);
      return true;
    });
  }
});

test('a burst of 503 SlowDown answers is retried with back-off: uploads are resent whole and the data round-trips', async (t) => {
  const { endpoint } = await startS3rver(t);
  const proxy = await new FaultProxy(endpoint).start(t);
  const repo = await repoWithS3Remote(t, proxy.endpoint, 'a', { jobs: '1' });
  await writeTree(join(repo.root, 'data', 'v1'), partitionLikeTree(1, 4));
  await add(repo, ['data/v1'], { cwd: repo.root });
  proxy.failNext = 2;
  proxy.failOnly = new Set(['HEAD']);
  assert.deepEqual(await push(repo, { cwd: repo.root, jobs: 1 }), { uploaded: 5, present: 0 });
  proxy.failNext = 3;
  proxy.failOnly = new Set(['PUT']);
  await writeTree(join(repo.root, 'data', 'v1'), { 'class0/late.png': 'one more object, its upload throttled' });
  await add(repo, ['data/v1'], { cwd: repo.root });
  assert.deepEqual(await push(repo, { cwd: repo.root, jobs: 1 }), { uploaded: 2, present: 4 });
  assert.equal(proxy.count('HEAD', 503), 2);
  assert.equal(proxy.count('PUT', 503), 3);
  assert.equal(proxy.count('PUT', 200), 7, 'every object landed once, after the burst');

  const clone = await repoWithS3Remote(t, endpoint, 'b');
  await writeTree(clone.root, { 'data/v1.dvc': await readFile(join(repo.root, 'data', 'v1.dvc')) });
  await pull(clone, { cwd: clone.root });
  assert.deepEqual(await readTree(join(clone.root, 'data', 'v1')), await readTree(join(repo.root, 'data', 'v1')), 'a resent upload carried its whole body');
});

test('503s beyond the retry bound fail with the number of attempts and how to go on', async (t) => {
  const { endpoint } = await startS3rver(t);
  const proxy = await new FaultProxy(endpoint).start(t);
  const remote = store(proxy.endpoint, { retries: '1' });
  t.after(() => remote.close());
  proxy.failNext = 10;
  await assert.rejects(
    remote.has(['files/md5/ab/cdef']),
    /checking files\/md5\/ab\/cdef on s3:\/\/dvc-store\/project\/dvc .*failed after 2 attempts \(HTTP 503\).*raise `retries`/,
  );
  assert.equal(proxy.count('HEAD', 503), 2);
});

test('an endpoint where nothing listens is a network failure: retried, then named with the check to make', async (t) => {
  // A port that was just free: the connection is refused (ECONNREFUSED), which the SDK passes on as the error's code.
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  const remote = store(`http://127.0.0.1:${port}`, { retries: '1' });
  t.after(() => remote.close());
  await assert.rejects(remote.has(['files/md5/ab/cdef']), (error: Error) => {
    assert.ok(error instanceof RemoteError);
    assert.equal(error.problem, 'unreachable');
    assert.match(
      error.message,
      /checking files\/md5\/ab\/cdef on s3:\/\/dvc-store\/project\/dvc .*failed after 2 attempts .*check that the endpoint is reachable/,
    );
    return true;
  });
});

test('a missing object is named with the push that would fix it', async (t) => {
  const { endpoint } = await startS3rver(t);
  const remote = store(endpoint);
  t.after(() => remote.close());
  await assert.rejects(
    remote.download('files/md5/ab/cdef', join(await tempDir(t), 'out')),
    /object files\/md5\/ab\/cdef is missing from remote s3:\/\/dvc-store\/project\/dvc.*cifar10 data push/,
  );
});

test('existence of thousands of keys in one prefix is answered by paged listing, and few keys by one HEAD each', async (t) => {
  const { endpoint, dir } = await startS3rver(t);
  const keys = Array.from({ length: 2250 }, (_, i) => `files/md5/ab/${i.toString(16).padStart(30, '0')}`);
  const stored = keys.filter((_, i) => i % 15 !== 7);
  await seedObjects(
    dir,
    stored.map((key) => `project/dvc/${key}`),
  );
  const proxy = await new FaultProxy(endpoint).start(t);
  const remote = store(proxy.endpoint);
  t.after(() => remote.close());
  // Plus one key of another folder, where a HEAD is cheaper than a listing estimated at 2 pages.
  const asked = [...keys, 'files/md5/cd/0001'];
  const present = await remote.has(asked);
  assert.equal(stored.length, 2100);
  assert.equal(present.size, stored.length);
  assert.deepEqual([...present].sort(), [...stored].sort());
  assert.equal(proxy.count('LIST'), 3, '2,100 keys = 3 pages of 1,000');
  assert.equal(proxy.count('HEAD'), 1);

  proxy.seen.length = 0;
  assert.equal((await remote.has(keys.slice(0, HEAD_ONLY_LIMIT))).size, stored.filter((k) => keys.slice(0, HEAD_ONLY_LIMIT).includes(k)).length);
  assert.equal(proxy.count('HEAD'), HEAD_ONLY_LIMIT, 'a few keys are probed one by one');
  assert.equal(proxy.count('LIST'), 0);

  // Two keys of the big folder among 33 spread over many: listing it would cost 3 requests, so
  // the listing stops after 2 and every key is probed instead.
  proxy.seen.length = 0;
  const spread = [keys[0]!, keys[7]!, ...Array.from({ length: 31 }, (_, i) => `files/md5/${(i + 16).toString(16)}/0001`)];
  assert.deepEqual([...(await remote.has(spread))].sort(), [keys[0]!], 'keys[7] is one of the missing ones');
  assert.equal(proxy.count('LIST'), 2);
  assert.equal(proxy.count('HEAD'), 33);
});

test('a file larger than the part size is uploaded in parts (a throttled part is resent) and downloads byte-identical', async (t) => {
  const { endpoint } = await startS3rver(t);
  const proxy = await new FaultProxy(endpoint).start(t);
  const remote = store(proxy.endpoint, { part_size_mb: '5' });
  t.after(() => remote.close());
  const dir = await tempDir(t);
  const big = fakeBytes(7, 11 * 1024 * 1024 + 123);
  await writeFile(join(dir, 'big'), big);
  proxy.failNext = 1;
  proxy.failOnly = new Set(['PUT_PART']);
  await remote.upload(join(dir, 'big'), 'files/md5/12/big');
  assert.equal(proxy.count('CREATE_MULTIPART'), 1);
  assert.equal(proxy.count('PUT_PART', 503), 1, 'one part was throttled and sent again');
  assert.equal(proxy.count('PUT_PART', 200), 3);
  assert.equal(proxy.count('COMPLETE_MULTIPART'), 1);
  assert.equal(proxy.count('PUT'), 0);
  await remote.download('files/md5/12/big', join(dir, 'back'));
  assert.ok((await readFile(join(dir, 'back'))).equals(big));
});
