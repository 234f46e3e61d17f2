import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { remoteCannotServe } from '../../src/data/pull-or-rebuild.js';
import { add, addRemote, checkout, fetch, initRepo, loadRepo, modifyRemote, objectKey, push, readDvcFile, type Repo } from '../../src/dvc/index.js';
import { partitionLikeTree, tempDir, writeTree } from '../dvc/helpers.js';
import { TestHttpStore } from '../dvc/http-server.js';

/** A repository tracking `data/` (pushed to a local remote), with its cache and workspace copy removed. */
async function trackedRepo(t: TestContext): Promise<{ repo: Repo; store: string }> {
  const root = await tempDir(t, 'fallback-rule-');
  const store = join(root, '..', `${root.split('/').pop()}-store`);
  t.after(() => rm(store, { recursive: true, force: true }));
  const { repo } = await initRepo(root);
  await writeTree(join(root, 'data'), partitionLikeTree(2, 3));
  await addRemote(repo.dvcDir, 'storage', store, { makeDefault: true, cwd: root });
  const loaded = await loadRepo(root);
  await add(loaded, ['data'], { cwd: root });
  await push(loaded, { cwd: root });
  await rm(join(root, 'data'), { recursive: true });
  await rm(repo.cacheDir, { recursive: true });
  return { repo: loaded, store };
}

/** Why the remote could not serve, by the one rule; undefined when the rule says the user is to fix it. */
function problemOf(error: unknown): string | undefined {
  return remoteCannotServe(error) ? error.problem : undefined;
}

/** The error a fetch of `data` fails with. */
async function fetchError(repo: Repo, targets = ['data']): Promise<unknown> {
  return fetch(repo, { targets, cwd: repo.root }).then(
    () => assert.fail('the fetch was expected to fail'),
    (error: unknown) => error,
  );
}

test('a rebuild stands in when no remote is configured, or the remote lacks or has lost the data', async (t) => {
  const { repo, store } = await trackedRepo(t);
  await rm(store, { recursive: true });
  assert.equal(problemOf(await fetchError(repo)), 'missing data');

  await writeFile(join(repo.dvcDir, 'config'), '');
  assert.equal(problemOf(await fetchError(await loadRepo(repo.root))), 'not configured');
});

test('a rebuild stands in when an HTTP remote refuses the credentials or stays down', async (t) => {
  const { repo, store } = await trackedRepo(t);
  const server = await new TestHttpStore(store).start();
  t.after(() => server.stop());
  await addRemote(repo.dvcDir, 'web', server.url, { makeDefault: true, force: true, cwd: repo.root });
  await modifyRemote(repo.dvcDir, 'web', 'retries', '1');
  await modifyRemote(repo.dvcDir, 'web', 'backoff_ms', '1');
  const web = await loadRepo(repo.root);
  server.requireAuth = 'Basic never-sent';
  assert.equal(problemOf(await fetchError(web)), 'denied');

  server.requireAuth = undefined;
  const dirKey = objectKey((await readDvcFile(join(repo.root, 'data.dvc'))).outs[0]!.md5!);
  server.fail(dirKey, 500, 500);
  assert.equal(problemOf(await fetchError(web)), 'unreachable');
});

test('the user\'s own mistakes are not papered over by a rebuild', async (t) => {
  const { repo } = await trackedRepo(t);
  assert.equal(remoteCannotServe(await fetchError(repo, ['not-tracked'])), false, 'a target that is not tracked');

  await addRemote(repo.dvcDir, 'web', 'http://127.0.0.1:9/dvc', { makeDefault: true, cwd: repo.root });
  await modifyRemote(repo.dvcDir, 'web', 'read_timeout', 'soon');
  assert.equal(remoteCannotServe(await fetchError(await loadRepo(repo.root))), false, 'a malformed remote option');
  await addRemote(repo.dvcDir, 'storage', join(repo.root, '..', `${repo.root.split('/').pop()}-store`), { makeDefault: true, force: true, cwd: repo.root });

  const fresh = await loadRepo(repo.root);
  await fetch(fresh, { cwd: repo.root });
  await writeTree(join(repo.root, 'data'), { 'class0/img-00000.png': 'edited, and never added' });
  const lost = await checkout(fresh, { cwd: repo.root }).then(
    () => assert.fail('checkout was expected to refuse'),
    (error: unknown) => error,
  );
  assert.equal(remoteCannotServe(lost), false, 'workspace changes the cache has no copy of');
});
