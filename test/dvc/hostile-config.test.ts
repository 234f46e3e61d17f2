import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { addRemote, initRepo, listRemotes, modifyRemote, readConfig } from '../../src/dvc/index.js';
import { tempDir } from './helpers.js';
import { assertCliError, runCli } from './hostile-helpers.js';
import { CIFAR10_SHELL } from '../../src/cifar10-shell.js';
import { useShell } from '../../src/util/hints.js';

// Messages are asserted as the CLI prints them: commands spelled the cifar10 way (src/util/hints.ts).
useShell(CIFAR10_SHELL);

const run = promisify(execFile);

// `.dvc/config` is committed and read by every clone: a value that adds a line adds a section
// (`[core] remote = evil`), and a password written there is published with the repository.

async function repo(t: Parameters<typeof tempDir>[0]) {
  const root = await tempDir(t, 'dvc-config-');
  const { repo } = await initRepo(root);
  await addRemote(repo.dvcDir, 'storage', 'https://dvc.example.com/store', { makeDefault: true, cwd: root });
  return { root, dvcDir: repo.dvcDir, config: () => readFile(join(repo.dvcDir, 'config'), 'utf8') };
}

test('a remote name, URL or option value with a line break is refused and the config is left as it was', async (t) => {
  const r = await repo(t);
  const before = await r.config();
  await assert.rejects(addRemote(r.dvcDir, 'store\n[core]\n    remote = evil', '/x', { cwd: r.root }), /is not a valid remote name/);
  await assert.rejects(
    addRemote(r.dvcDir, 'other', '/x\n[core]\n    remote = evil', { cwd: r.root }),
    /remote "other": the URL contains a line break or another control character.*nothing was changed/,
  );
  await assert.rejects(addRemote(r.dvcDir, 'other', '/x\r[core]', { cwd: r.root }), /line break/);
  await assert.rejects(modifyRemote(r.dvcDir, 'storage', 'read_timeout', '5\n[core]\n    remote = evil'), /the value of read_timeout contains a line break/);
  await assert.rejects(modifyRemote(r.dvcDir, 'storage', 'user', '[core]'), /looks like a \[section\] header/);
  await assert.rejects(modifyRemote(r.dvcDir, 'storage', 'url', 'https://x/\u0000'), /control character/);
  await assert.rejects(modifyRemote(r.dvcDir, 'storage', 'user', `it's "quoted"`), /both kinds of quote/);
  assert.equal(await r.config(), before);
  assert.equal((await readConfig(r.dvcDir)).get('core')?.get('remote'), 'storage');
});

test('through the CLI the injection of the issue is one clear error without a stack trace', async (t) => {
  const r = await repo(t);
  const before = await r.config();
  assertCliError(await runCli(r.root, ['data', 'remote', 'add', 'r', 'store\n[core]\n    remote = evil']), /error: remote "r": the URL contains a line break/);
  assertCliError(
    await runCli(r.root, ['data', 'remote', 'modify', 'storage', 'user', 'bob\n[core]\n    remote = evil']),
    /error: remote "storage": the value of user contains a line break/,
  );
  assert.equal(await r.config(), before);
});

test('unknown remote options are refused with the nearest known one, per kind of remote', async (t) => {
  const r = await repo(t);
  await addRemote(r.dvcDir, 'local', '../store', { cwd: r.root });
  await addRemote(r.dvcDir, 'bucket', 's3://bucket/prefix', { cwd: r.root });
  const before = await r.config();
  await assert.rejects(
    modifyRemote(r.dvcDir, 'storage', 'colour', 'blue'),
    /remote "storage": "colour" is not an option of http remotes \(known: .*auth.*\); nothing was changed/,
  );
  await assert.rejects(modifyRemote(r.dvcDir, 'storage', 'read_timout', '5'), /did you mean "read_timeout"\?/);
  await assert.rejects(modifyRemote(r.dvcDir, 'bucket', 'endpoint_url', 'http://127.0.0.1:9000'), /not an option of s3 remotes; did you mean "endpointurl"\?/);
  await assert.rejects(modifyRemote(r.dvcDir, 'local', 'auth', 'basic'), /"auth" is not an option of local remotes/);
  assert.equal(await r.config(), before);
  // Known ones are stored; values DVC's writer (configobj) would quote are quoted the same way.
  await modifyRemote(r.dvcDir, 'storage', 'read_timeout', '30');
  await modifyRemote(r.dvcDir, 'storage', 'custom_auth_header', 'X-Token, v2 # team');
  await modifyRemote(r.dvcDir, 'bucket', 'endpointurl', 'http://127.0.0.1:9000');
  await modifyRemote(r.dvcDir, 'local', 'verify', 'true');
  assert.match(await r.config(), /\n {4}custom_auth_header = "X-Token, v2 # team"\n/);
  assert.equal(listRemotes(await readConfig(r.dvcDir)).find((x) => x.name === 'storage')!.options.custom_auth_header, 'X-Token, v2 # team');
});

test('a URL with a password is refused for the committed config with the --local command; with --local it is stored there', async (t) => {
  const r = await repo(t);
  const before = await r.config();
  await assert.rejects(addRemote(r.dvcDir, 'web', 'https://alice:s3cret@dvc.example.com/x', { cwd: r.root, makeDefault: true }), (error: Error) => {
    assert.match(error.message, /remote "web": the URL carries a password, and \.dvc\/config is committed with git; nothing was changed/);
    assert.ok(error.message.includes('`cifar10 data remote add --local -d web https://alice:PASSWORD@dvc.example.com/x`'), error.message);
    assert.doesNotMatch(error.message, /s3cret/);
    return true;
  });
  await assert.rejects(
    modifyRemote(r.dvcDir, 'storage', 'password', 'hunter2'),
    /password is a secret.*`cifar10 data remote modify --local storage password <value>`/,
  );
  await assert.rejects(modifyRemote(r.dvcDir, 'storage', 'url', 'https://bob:pw@dvc.example.com/store'), /the value of url carries a password/);
  assert.equal(await r.config(), before);
  await addRemote(r.dvcDir, 'web', 'https://alice:s3cret@dvc.example.com/x', { cwd: r.root, local: true });
  await modifyRemote(r.dvcDir, 'storage', 'password', 'hunter2', { local: true });
  assert.equal(await r.config(), before);
  assert.match(await readFile(join(r.dvcDir, 'config.local'), 'utf8'), /alice:s3cret@.*\n[\s\S]*password = hunter2/);
  const result = await runCli(r.root, ['data', 'remote', 'add', 'cli', 'https://carol:t0ken@dvc.example.com/y']);
  assertCliError(result, /the URL carries a password/);
  assert.doesNotMatch(result.stderr, /t0ken/);
});

test('the real DVC reads back what this tool writes, quoted values included', async (t) => {
  const dvc = process.env.REAL_DVC;
  if (!dvc) return t.skip('REAL_DVC is not set (see /work/shared/tools/realdvc/README.md): cannot compare with the real DVC');
  const r = await repo(t);
  await modifyRemote(r.dvcDir, 'storage', 'custom_auth_header', 'X-Token, v2 # team');
  await modifyRemote(r.dvcDir, 'storage', 'read_timeout', '30');
  const { stdout } = await run(dvc, ['config', 'remote.storage.custom_auth_header'], { cwd: r.root });
  assert.equal(stdout.trim(), 'X-Token, v2 # team');
  const listed = await run(dvc, ['remote', 'list'], { cwd: r.root });
  assert.match(listed.stdout, /^storage\s+https:\/\/dvc\.example\.com\/store/m);
});
