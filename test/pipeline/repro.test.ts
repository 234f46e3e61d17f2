import assert from 'node:assert/strict';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { formatLock, hashPath, initRepo, md5Bytes, objectPath, parseLock, pipelineStatus, readLock, reproduce, StageFailedError } from '../../src/dvc/index.js';
import { tempDir, writeTree } from '../dvc/helpers.js';
import { CIFAR10_SHELL } from '../../src/cifar10-shell.js';
import { useShell } from '../../src/util/hints.js';

// Messages are asserted as the CLI prints them: commands spelled the cifar10 way (src/util/hints.ts).
useShell(CIFAR10_SHELL);

/**
 * Two tiny shell stages: `prepare` copies data/raw.txt (plus a param) into out/prepared.txt,
 * `report` turns that into out/report/ and a cache:false metrics file. Every run appends the
 * stage name to runs.log (outside the outputs), so tests see exactly which stages ran.
 */
const PIPELINE = `stages:
  prepare:
    cmd: echo prepare >> runs.log && mkdir -p out && cat data/raw.txt > out/prepared.txt
    deps:
    - data/raw.txt
    params:
    - prepare.seed
    outs:
    - out/prepared.txt
  report:
    cmd: echo report >> runs.log && mkdir -p out/report && cp out/prepared.txt out/report/a.txt && echo done > out/report/b.txt && echo 1 > metrics.json
    deps:
    - out/prepared.txt
    params:
    - report
    outs:
    - out/report
    metrics:
    - metrics.json:
        cache: false
`;

const PARAMS = `# knobs
prepare:
  seed: 42
report:
  title: hello
  size: 3
`;

async function project(t: TestContext, pipeline = PIPELINE): Promise<string> {
  const root = await tempDir(t, 'repro-test-');
  await initRepo(root);
  await writeTree(root, { 'dvc.yaml': pipeline, 'params.yaml': PARAMS, 'data/raw.txt': 'raw data\n' });
  return root;
}

async function runs(root: string): Promise<string[]> {
  const text = await readFile(join(root, 'runs.log'), 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean);
}

const repro = (root: string, extra: Partial<Parameters<typeof reproduce>[0]> = {}) => reproduce({ root, stdio: 'ignore', ...extra });

test('a fresh pipeline runs every stage in dependency order and writes dvc.lock as docs/dvc-format.md §5 describes', async (t) => {
  const root = await project(t);
  const outcomes = await repro(root);
  assert.deepEqual(
    outcomes.map((o) => [o.stage, o.action]),
    [
      ['prepare', 'ran'],
      ['report', 'ran'],
    ],
  );
  assert.deepEqual(await runs(root), ['prepare', 'report']);

  const raw = await hashPath(join(root, 'data/raw.txt'));
  const prepared = await hashPath(join(root, 'out/prepared.txt'));
  const report = await hashPath(join(root, 'out/report'));
  const metrics = await hashPath(join(root, 'metrics.json'));
  const cmd = (name: string) =>
    PIPELINE.split('\n')
      .find((l) => l.includes(`cmd: echo ${name}`))!
      .replace(/^ +cmd: /, '');
  const expected = `schema: '2.0'
stages:
  prepare:
    cmd: ${cmd('prepare')}
    deps:
    - path: data/raw.txt
      hash: md5
      md5: ${raw.md5}
      size: ${raw.size}
    params:
      params.yaml:
        prepare.seed: 42
    outs:
    - path: out/prepared.txt
      hash: md5
      md5: ${prepared.md5}
      size: ${prepared.size}
  report:
    cmd: ${cmd('report')}
    deps:
    - path: out/prepared.txt
      hash: md5
      md5: ${prepared.md5}
      size: ${prepared.size}
    params:
      params.yaml:
        report:
          size: 3
          title: hello
    outs:
    - path: metrics.json
      hash: md5
      md5: ${metrics.md5}
      size: ${metrics.size}
    - path: out/report
      hash: md5
      md5: ${report.md5}
      size: ${report.size}
      nfiles: 2
`;
  const text = await readFile(join(root, 'dvc.lock'), 'utf8');
  assert.deepEqual(parseLock(text, 'dvc.lock'), parseLock(expected, 'expected'));
  assert.match(text, /^schema: '2\.0'\nstages:\n {2}prepare:\n {4}cmd: /);
  assert.ok(text.indexOf('path: metrics.json') < text.indexOf('path: out/report'), 'outs sorted by path');
  assert.ok(text.indexOf('    - path: data/raw.txt\n      hash: md5\n      md5: ') > 0, 'item keys in DVC order, list items not indented');
});

test('outputs are stored in the DVC cache read-only, cache:false metrics too (for the run-cache, as DVC does), and only cached outputs are git-ignored', async (t) => {
  const root = await project(t);
  await repro(root);
  const cacheDir = join(root, '.dvc', 'cache');
  const prepared = await hashPath(join(root, 'out/prepared.txt'));
  assert.equal((await stat(objectPath(cacheDir, prepared.md5))).mode & 0o777, 0o444);
  const report = await hashPath(join(root, 'out/report'));
  assert.ok(await stat(objectPath(cacheDir, report.md5)));
  assert.ok(await stat(objectPath(cacheDir, md5Bytes('done\n'))));
  const metrics = await hashPath(join(root, 'metrics.json'));
  // DVC stores a run's cache: false metrics and plots in the cache too, so the run-cache can restore them.
  assert.ok(await stat(objectPath(cacheDir, metrics.md5)));
  assert.doesNotMatch(await readFile(join(root, '.gitignore'), 'utf8').catch(() => ''), /metrics\.json/);
  assert.match(await readFile(join(root, 'out/.gitignore'), 'utf8'), /^\/prepared\.txt$/m);
  assert.match(await readFile(join(root, 'out/.gitignore'), 'utf8'), /^\/report$/m);
});

test('nothing re-runs when nothing changed, and status says so', async (t) => {
  const root = await project(t);
  await repro(root);
  const lock = await readFile(join(root, 'dvc.lock'), 'utf8');
  const outcomes = await repro(root);
  assert.deepEqual(
    outcomes.map((o) => o.action),
    ['unchanged', 'unchanged'],
  );
  assert.deepEqual(await runs(root), ['prepare', 'report']);
  assert.equal(await readFile(join(root, 'dvc.lock'), 'utf8'), lock);
  assert.deepEqual(
    (await pipelineStatus(root)).map((s) => s.stale),
    [false, false],
  );
});

test('a changed cmd makes its stage stale (exact string compare)', async (t) => {
  const root = await project(t);
  await repro(root);
  await writeFile(join(root, 'dvc.yaml'), PIPELINE.replace('echo done >', 'echo  done >'));
  const status = await pipelineStatus(root);
  assert.deepEqual(
    status.map((s) => [s.stage, s.stale]),
    [
      ['prepare', false],
      ['report', true],
    ],
  );
  assert.deepEqual(status[1]!.reasons, ['cmd changed']);
  await repro(root);
  assert.deepEqual(await runs(root), ['prepare', 'report', 'report']);
});

test('a changed dependency re-runs its stage, and downstream only when an output it reads changed', async (t) => {
  const root = await project(t);
  await repro(root);
  await writeFile(join(root, 'data/raw.txt'), 'other data\n');
  assert.deepEqual((await pipelineStatus(root))[0]!.reasons, ['dep modified: data/raw.txt']);
  await repro(root);
  assert.deepEqual(await runs(root), ['prepare', 'report', 'prepare', 'report']);

  await writeFile(join(root, 'data/raw.txt'), 'other data\n');
  await repro(root, { force: true, target: 'prepare' });
  assert.deepEqual(await runs(root), ['prepare', 'report', 'prepare', 'report', 'prepare'], 'target limits the run to prepare');
  await repro(root);
  assert.deepEqual((await runs(root)).length, 5, 'prepare re-made identical bytes, so report stays up to date');
});

test('size and nfiles are not compared: only the hash decides', async (t) => {
  const root = await project(t);
  await repro(root);
  const lock = await readLock(root);
  for (const stage of lock.values()) for (const entry of [...stage.deps, ...stage.outs]) entry.size += 1000;
  await writeFile(join(root, 'dvc.lock'), formatLock(lock, ['prepare', 'report']));
  assert.deepEqual(
    (await pipelineStatus(root)).map((s) => s.stale),
    [false, false],
  );
});

test('a changed, added or removed param makes the stage stale', async (t) => {
  const root = await project(t);
  await repro(root);
  await writeFile(join(root, 'params.yaml'), PARAMS.replace('seed: 42', 'seed: 43'));
  assert.deepEqual((await pipelineStatus(root))[0]!.reasons, ['param changed: params.yaml prepare.seed (42 → 43)']);
  await writeFile(join(root, 'params.yaml'), PARAMS.replace('size: 3', 'size: 3\n  extra: true'));
  const status = await pipelineStatus(root);
  assert.deepEqual(
    status.map((s) => s.stale),
    [false, true],
    'a whole-group param changes when a key is added',
  );
  assert.match(status[1]!.reasons[0]!, /param changed: params\.yaml report/);
  await writeFile(join(root, 'dvc.yaml'), PIPELINE.replace('    - prepare.seed\n', '    - prepare.seed\n    - report.size\n'));
  await writeFile(join(root, 'params.yaml'), PARAMS);
  assert.deepEqual((await pipelineStatus(root))[0]!.reasons, ['param new: params.yaml report.size']);
  await writeFile(join(root, 'dvc.yaml'), PIPELINE.replace('    params:\n    - prepare.seed\n', ''));
  assert.deepEqual((await pipelineStatus(root))[0]!.reasons, ['param removed: params.yaml prepare.seed']);
});

test('a missing output makes its stage stale; repro checks it out of the cache as DVC does, --force runs it', async (t) => {
  const root = await project(t);
  await repro(root);
  const lock = await readFile(join(root, 'dvc.lock'), 'utf8');
  await rm(join(root, 'out/report'), { recursive: true });
  const status = await pipelineStatus(root);
  assert.deepEqual(
    status.map((s) => s.reasons),
    [[], ['out deleted: out/report']],
  );
  const outcomes = await repro(root);
  assert.deepEqual(
    outcomes.map((o) => o.action),
    ['unchanged', 'restored'],
  );
  assert.deepEqual(await runs(root), ['prepare', 'report']);
  assert.equal(await readFile(join(root, 'out/report/b.txt'), 'utf8'), 'done\n');
  assert.equal(await readFile(join(root, 'dvc.lock'), 'utf8'), lock);
  await rm(join(root, 'out/report'), { recursive: true });
  await repro(root, { force: true, target: 'report' });
  assert.deepEqual(await runs(root), ['prepare', 'report', 'prepare', 'report'], '--force runs the stages');
  assert.equal(await readFile(join(root, 'out/report/b.txt'), 'utf8'), 'done\n');
});

test('the run-cache restores a known deps+params state instead of running it; --no-run-cache runs it', async (t) => {
  const root = await project(t);
  await repro(root);
  const lock = await readFile(join(root, 'dvc.lock'), 'utf8');
  await writeFile(join(root, 'data/raw.txt'), 'other data\n');
  await repro(root);
  assert.deepEqual(await runs(root), ['prepare', 'report', 'prepare', 'report']);
  await writeFile(join(root, 'data/raw.txt'), 'raw data\n');
  const outcomes = await repro(root);
  assert.deepEqual(
    outcomes.map((o) => o.action),
    ['restored', 'restored'],
  );
  assert.deepEqual(await runs(root), ['prepare', 'report', 'prepare', 'report'], 'nothing ran');
  assert.equal(await readFile(join(root, 'out/report/a.txt'), 'utf8'), 'raw data\n');
  assert.equal(await readFile(join(root, 'metrics.json'), 'utf8'), '1\n');
  assert.equal(await readFile(join(root, 'dvc.lock'), 'utf8'), lock, 'dvc.lock is what the first run wrote');
  await writeFile(join(root, 'data/raw.txt'), 'other data\n');
  await repro(root, { runCache: false });
  assert.deepEqual((await runs(root)).slice(4), ['prepare', 'report']);
});

test('an always_changed stage runs every time, a stage without deps or outs too', async (t) => {
  const root = await project(
    t,
    `stages:
  poll:
    cmd: echo poll >> runs.log && echo same > stamp.txt
    always_changed: true
    outs:
    - stamp.txt
  use:
    cmd: echo use >> runs.log && cp stamp.txt used.txt
    deps:
    - stamp.txt
    outs:
    - used.txt
  hello:
    cmd: echo hello >> runs.log
`,
  );
  const first = await repro(root);
  const lock = await readFile(join(root, 'dvc.lock'), 'utf8');
  const lines: string[] = [];
  const second = await repro(root, { log: (line) => lines.push(line) });
  assert.deepEqual(await runs(root), ['poll', 'use', 'hello', 'poll', 'hello'], 'use stays put: poll re-made the same stamp');
  assert.deepEqual(
    first.map((o) => o.lockChanged),
    [true, true, true],
  );
  assert.deepEqual(
    second.map((o) => [o.action, o.lockChanged]),
    [
      ['ran', false],
      ['unchanged', undefined],
      ['ran', false],
    ],
    'the same command and outputs again: dvc.lock kept as it was, and said so',
  );
  assert.equal(await readFile(join(root, 'dvc.lock'), 'utf8'), lock);
  assert.match(lines.join('\n'), /Stage 'poll' done in [\d.]+ s; dvc\.lock unchanged/);
  assert.doesNotMatch(lines.join('\n'), /dvc\.lock updated/);
  assert.deepEqual(
    (await pipelineStatus(root)).map((s) => s.stale),
    [true, false, true],
  );
});

test('a frozen stage never runs, even when stale or forced', async (t) => {
  const root = await project(t);
  await repro(root);
  await writeFile(join(root, 'dvc.yaml'), PIPELINE.replace('  prepare:\n', '  prepare:\n    frozen: true\n'));
  await writeFile(join(root, 'data/raw.txt'), 'changed\n');
  const status = await pipelineStatus(root);
  assert.deepEqual(status[0], { stage: 'prepare', stale: false, frozen: true, reasons: ['frozen'] });
  const outcomes = await repro(root, { force: true });
  assert.deepEqual(
    outcomes.map((o) => o.action),
    ['frozen', 'ran'],
  );
  assert.deepEqual(await runs(root), ['prepare', 'report', 'report']);
});

test('a failing stage leaves dvc.lock byte for byte as it was, and stops the run', async (t) => {
  const root = await project(t);
  await repro(root);
  const before = await readFile(join(root, 'dvc.lock'), 'utf8');
  await writeFile(join(root, 'dvc.yaml'), PIPELINE.replace('echo prepare >> runs.log &&', 'echo prepare >> runs.log && exit 3 &&'));
  await assert.rejects(
    repro(root),
    (error: unknown) => error instanceof StageFailedError && error.stage === 'prepare' && /exited with status 3/.test(error.message),
  );
  assert.equal(await readFile(join(root, 'dvc.lock'), 'utf8'), before);
  assert.deepEqual(await runs(root), ['prepare', 'report', 'prepare'], 'report did not run after the failure');

  await rm(join(root, 'dvc.lock'));
  await writeFile(
    join(root, 'dvc.yaml'),
    PIPELINE.replace('mkdir -p out/report && cp out/prepared.txt out/report/a.txt && echo done > out/report/b.txt && ', ''),
  );
  await assert.rejects(repro(root), /"out\/report" does not exist|out\/report/);
  const lock = await readLock(root);
  assert.deepEqual([...lock.keys()], ['prepare'], 'the stage whose output is missing is not locked');
});

test('--dry decides without running or writing anything', async (t) => {
  const root = await project(t);
  const outcomes = await repro(root, { dry: true });
  assert.deepEqual(
    outcomes.map((o) => o.action),
    ['would run', 'would run'],
  );
  await assert.rejects(readFile(join(root, 'dvc.lock')), /ENOENT/);
  assert.deepEqual(await runs(root), []);
});

test('-S overrides edit params.yaml before the run', async (t) => {
  const root = await project(t);
  await repro(root);
  await repro(root, { set: ['prepare.seed=100'] });
  assert.deepEqual(await runs(root), ['prepare', 'report', 'prepare'], 'report stays: prepare made the same bytes');
  assert.equal((await readLock(root)).get('prepare')!.params['params.yaml']!['prepare.seed'], 100);
  assert.match(await readFile(join(root, 'params.yaml'), 'utf8'), /^# knobs\n/);
});

test('--dry with -S answers for the overridden values and leaves params.yaml as it was', async (t) => {
  const root = await project(t);
  await repro(root);
  const outcomes = await repro(root, { dry: true, set: ['prepare.seed=100'] });
  assert.deepEqual(outcomes[0]!.reasons, ['param changed: params.yaml prepare.seed (42 → 100)']);
  assert.deepEqual(
    outcomes.map((o) => o.action),
    ['would run', 'would run'],
  );
  await assert.rejects(repro(root, { dry: true, set: ['prepare.sed=100'] }), /"prepare\.sed" is not in .*params\.yaml/);
  assert.equal(await readFile(join(root, 'params.yaml'), 'utf8'), PARAMS);
  assert.deepEqual(await runs(root), ['prepare', 'report']);
});

test('-S leaves params.yaml unchanged when the target, dvc.yaml or the repository is wrong', async (t) => {
  const root = await project(t);
  await assert.rejects(repro(root, { set: ['prepare.seed=100'], target: 'prepar' }), /has no stage "prepar"/);
  assert.equal(await readFile(join(root, 'params.yaml'), 'utf8'), PARAMS);
  await writeFile(join(root, 'dvc.yaml'), 'stages:\n  prepare: [unclosed\n');
  await assert.rejects(
    repro(root, { set: ['prepare.seed=100'] }),
    /dvc\.yaml is not valid YAML: .*at line \d+, column \d+:.*\nFix .*dvc\.yaml at the line shown above/s,
  );
  assert.equal(await readFile(join(root, 'params.yaml'), 'utf8'), PARAMS);
  await rm(join(root, '.dvc'), { recursive: true });
  await writeFile(join(root, 'dvc.yaml'), PIPELINE);
  await assert.rejects(repro(root, { set: ['prepare.seed=100'] }), /not a DVC repository/);
  assert.equal(await readFile(join(root, 'params.yaml'), 'utf8'), PARAMS);
});

test("a params.yaml that does not parse is named with the parser's message and the fix", async (t) => {
  const root = await project(t);
  await repro(root);
  await writeFile(join(root, 'params.yaml'), 'prepare:\n  seed: [42\n');
  await assert.rejects(pipelineStatus(root), /params\.yaml is not valid YAML: .*\nFix .*params\.yaml at the line shown above/s);
});

test('a cycle between stages is a clear error', async (t) => {
  const root = await project(
    t,
    `stages:
  a:
    cmd: cp b.txt a.txt
    deps: [b.txt]
    outs: [a.txt]
  b:
    cmd: cp a.txt b.txt
    deps: [a.txt]
    outs: [b.txt]
`,
  );
  await assert.rejects(repro(root), /cycle \(a → b → a\)|cycle \(b → a → b\)/);
});

test('repro outside a DVC repository says how to make one', async (t) => {
  const root = await tempDir(t, 'repro-test-');
  await writeTree(root, { 'dvc.yaml': PIPELINE, 'params.yaml': PARAMS, 'data/raw.txt': 'raw data\n' });
  await assert.rejects(repro(root), /not a DVC repository .*run `cifar10 data init`/);
});
