import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { addRemote, defaultRemoteName, initRepo, listRemotes, loadRepo } from '../../src/dvc/index.js';
import { START_REMOTE_NAME, yieldToCommittedRemote } from '../../src/experiments/start.js';
import { withTempDir } from '../fixtures/synth-workspace.js';

test("start's local default remote (config.local) yields to a default remote committed later, and stays while none is", async () => {
  await withTempDir('start-remote-', async (root) => {
    const { repo } = await initRepo(root);
    // What npm start writes on a clone with no remote.
    await addRemote(repo.dvcDir, START_REMOTE_NAME, '.cache/dvc-remote', { makeDefault: true, local: true, cwd: root });
    const localFile = join(repo.dvcDir, 'config.local');
    const before = await readFile(localFile, 'utf8');
    const kept = await yieldToCommittedRemote(await loadRepo(root));
    assert.equal(defaultRemoteName(kept.config), START_REMOTE_NAME, 'nothing committed: start’s remote stays the default');
    assert.equal(await readFile(localFile, 'utf8'), before);

    // The project commits a shared remote as its default since.
    await addRemote(repo.dvcDir, 'storage', 's3://bucket/prefix', { makeDefault: true, cwd: root });
    const lines: string[] = [];
    const yielded = await yieldToCommittedRemote(await loadRepo(root), (line) => lines.push(line));
    assert.equal(defaultRemoteName(yielded.config), 'storage');
    assert.equal(defaultRemoteName((await loadRepo(root)).config), 'storage', 'as read back from the files');
    assert.deepEqual(
      listRemotes(yielded.config).map((r) => r.name),
      ['storage', START_REMOTE_NAME],
      'the local remote itself stays, for -r local',
    );
    assert.match(lines.join('\n'), /"storage"/);
  });
});
