import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addRemote, git, GitError, initRepo, invalidYamlError, safeUrl } from '../../src/dvc/index.js';
import { parseS3Url, S3Remote, s3SettingsFrom } from '../../src/dvc/remote/s3.js';
import { tempDir } from './helpers.js';

/** Fails unless `error`'s message shows neither part of the user info `alice:s3cret`. */
function hidesSecret(error: unknown): true {
  assert.ok(error instanceof Error);
  assert.doesNotMatch(error.message, /s3cret|alice/);
  return true;
}

test('safeUrl drops user info and query from URLs and leaves local paths as they are', () => {
  assert.equal(safeUrl('https://alice:s3cret@example.test/dvc/?sig=abc'), 'https://example.test/dvc');
  assert.equal(safeUrl('s3://alice:s3cret@bucket/prefix'), 's3://bucket/prefix');
  assert.equal(safeUrl('../../dvc-storage'), '../../dvc-storage');
  assert.equal(safeUrl('/mnt/store@2024'), '/mnt/store@2024');
  assert.equal(safeUrl('https://alice:s3cret@exa mple.test'), '<invalid URL>');
});

test('remote add names an existing remote by its URL without the user info in it', async (t) => {
  const root = await tempDir(t);
  const { repo } = await initRepo(root);
  await addRemote(repo.dvcDir, 'web', 'https://alice:s3cret@example.test/dvc', { cwd: root, local: true });
  await assert.rejects(addRemote(repo.dvcDir, 'web', 'https://example.test/other', { cwd: root }), (error: Error) => {
    assert.match(error.message, /already exists with url https:\/\/example\.test\/dvc;/);
    return hidesSecret(error);
  });
});

test('s3 URLs and endpoints with user info are printed without it', async () => {
  assert.throws(() => parseS3Url('s3://alice:s3cret@Bad_Bucket/x'), hidesSecret);
  assert.throws(() => s3SettingsFrom({ name: 's', url: 's3://bucket/x', options: { endpointurl: 'http://alice:s3cret@bad host:9000' } }), hidesSecret);
  // Nothing listens on port 1: the connection is refused at once and the error names the endpoint.
  const settings = s3SettingsFrom({
    name: 's',
    url: 's3://bucket/x',
    options: { endpointurl: 'http://alice:s3cret@127.0.0.1:1', retries: '0', access_key_id: 'AKIAEXAMPLE', secret_access_key: 'x' },
  });
  await assert.rejects(new S3Remote(settings).has(['files/md5/ab/cdef']), (error: Error) => {
    assert.match(error.message, /endpoint http:\/\/127\.0\.0\.1:1\)/);
    return hidesSecret(error);
  });
});

test("a YAML error keeps the parser's message and ends with the fix", () => {
  const error = invalidYamlError('/p/params.yaml', 'Bad indentation at line 2, column 1:\n\n x: 1\n^\n');
  assert.equal(
    error.message,
    '/p/params.yaml is not valid YAML: Bad indentation at line 2, column 1:\n\n x: 1\n^\nFix /p/params.yaml at the line shown above and run the command again.',
  );
});

test("a failing git command's error names the command, the folder and git's stderr, and leaves out its -c settings (an auth header)", async (t) => {
  const dir = await tempDir(t);
  const encoded = Buffer.from('alice:s3cret').toString('base64');
  const header = `AUTHORIZATION: basic ${encoded}`;
  await assert.rejects(git(['rev-parse', '--verify', 'no-such-ref'], dir, { config: { 'http.extraHeader': header } }), (error: Error) => {
    assert.ok(error instanceof GitError);
    assert.equal(error.message, `git rev-parse --verify no-such-ref failed in ${dir}: ${error.result.stderr.trim()}`);
    assert.match(error.result.stderr, /fatal: /);
    assert.ok(!error.message.includes(encoded), error.message);
    return hidesSecret(error);
  });
  assert.equal(await git(['config', '--get', 'http.extraHeader'], dir, { config: { 'http.extraHeader': header } }), `${header}\n`, 'git gets the setting');
});
