/**
 * The parity matrix against the real DVC (REAL_DVC; skipped with the reason without it): the same
 * work done by DVC in one repository and by this layer in another gives the same bytes in every
 * file either tool writes, and each tool reads (status, pull, repro, run-cache) what the other
 * wrote. Awkward names, nested folders, .dvcignore rules, long commands, every params type, a
 * param change, repro twice, pull and status each way, stage outputs pushed and pulled each way.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import {
  add,
  addRemote,
  applyOverrides,
  experimentFiles,
  initRepo,
  listExperiments,
  loadRepo,
  pull,
  push,
  readFileAt,
  recordExperiment,
  reproduce,
  status,
} from '../../src/dvc/index.js';
import { readTree, tempDir, writeTree } from './helpers.js';
import { AWKWARD_NAMES, dvc, git, realDvcSkip } from './realdvc.js';

const run = promisify(execFile);

/** Every file below `root` except git's and DVC's own folders, as path → base64. */
async function workspace(root: string): Promise<Record<string, string>> {
  const tree = await readTree(root);
  return Object.fromEntries(Object.entries(tree).filter(([path]) => !path.startsWith('.git/') && !path.startsWith('.dvc/')));
}

/** Every file below `dir` (a remote or cache folder), as sorted relative paths. */
async function listing(dir: string): Promise<string[]> {
  return Object.keys(await readTree(dir).catch(() => ({}))).sort();
}

/** Each tracked target: odd ones are folders (nested, with files .dvcignore drops), even ones files. */
function dataTree(): { files: Record<string, string>; targets: string[] } {
  const files: Record<string, string> = {
    '.dvcignore': '# parity\n*.log\nskip/\n',
  };
  const targets: string[] = [];
  AWKWARD_NAMES.forEach((name, i) => {
    const target = name.includes('/') ? name : `data/${name}`;
    targets.push(target);
    if (i % 2 === 0) files[target] = `file ${i} ${name}\n`;
    else {
      files[`${target}/a.txt`] = `a ${i}\n`;
      files[`${target}/${name}`] = `same name inside ${i}\n`;
      files[`${target}/sub/deeper/b.bin`] = 'b'.repeat(i * 7);
      files[`${target}/sub/run.log`] = 'dropped by .dvcignore\n';
      files[`${target}/skip/c.txt`] = 'dropped by .dvcignore\n';
    }
  });
  return { files, targets };
}

async function gitRepo(root: string): Promise<void> {
  await git(root, 'init', '-q', '-b', 'main');
}

async function commitAll(root: string, message: string): Promise<void> {
  await git(root, 'add', '-A');
  await git(root, 'commit', '-q', '--allow-empty', '-m', message);
}

/** The files a tool wrote for the targets: .dvc files, .gitignore files, .dvcignore, .dvc/ files git keeps. */
async function written(root: string): Promise<Record<string, string>> {
  const tree = await readTree(root);
  return Object.fromEntries(
    Object.entries(tree).filter(([path]) => path.endsWith('.dvc') || path.endsWith('.gitignore') || path === '.dvcignore' || path === '.dvc/config'),
  );
}

describe('parity with the real DVC', { skip: realDvcSkip }, () => {
  test('add, push, pull and status both ways: awkward names, nested folders, .dvcignore; same bytes in every file', async (t) => {
    const dir = await tempDir(t, 'parity-data-');
    const ours = join(dir, 'ours');
    const theirs = join(dir, 'theirs');
    const { files, targets } = dataTree();
    for (const root of [ours, theirs]) {
      await writeTree(root, files);
      await gitRepo(root);
    }
    await initRepo(ours);
    await dvc(theirs, ['init', '-q']);
    // `dvc init` writes no .dvcignore over ours (it exists): compare the init files on empty repositories instead.
    const repo = await loadRepo(ours);
    await add(repo, targets, { cwd: ours });
    await dvc(theirs, ['add', '-q', '--', ...targets]);
    assert.deepEqual(await written(ours), await written(theirs), '.dvc files, .gitignore files and .dvc/config');

    // Each tool sees the other's work as up to date.
    assert.match(await dvc(ours, ['status']), /Data and pipelines are up to date/);
    const seen = await status(await loadRepo(theirs));
    assert.deepEqual(
      seen.filter((s) => s.state !== 'up to date'),
      [],
      'our status of what dvc added',
    );
    assert.equal(seen.length, targets.length);

    // Push each way into separate remotes: the same objects under the same names.
    const remoteOurs = join(dir, 'remote-ours');
    const remoteTheirs = join(dir, 'remote-theirs');
    await addRemote(repo.dvcDir, 'store', remoteOurs, { makeDefault: true });
    await push(await loadRepo(ours));
    await dvc(theirs, ['remote', 'add', '-d', 'store', remoteTheirs]);
    await dvc(theirs, ['push', '-q']);
    assert.deepEqual(await listing(remoteOurs), await listing(remoteTheirs));

    // DVC pulls what we pushed, we pull what DVC pushed, into fresh clones.
    for (const root of [ours, theirs]) await commitAll(root, 'data');
    const cloneOfOurs = join(dir, 'clone-ours');
    const cloneOfTheirs = join(dir, 'clone-theirs');
    await run('git', ['clone', '-q', ours, cloneOfOurs]);
    await run('git', ['clone', '-q', theirs, cloneOfTheirs]);
    await dvc(cloneOfOurs, ['pull', '-q']);
    await pull(await loadRepo(cloneOfTheirs));
    const expected = await workspace(ours);
    const dropped = (path: string) => path.endsWith('.log') || path.includes('/skip/');
    const keep = (tree: Record<string, string>) => Object.fromEntries(Object.entries(tree).filter(([path]) => !dropped(path)));
    assert.deepEqual(keep(await workspace(cloneOfOurs)), keep(expected), 'dvc pull restores what we added');
    assert.deepEqual(keep(await workspace(cloneOfTheirs)), keep(expected), 'our pull restores what dvc added');
  });

  test('init writes the files dvc init writes, and stages them in git', async (t) => {
    const dir = await tempDir(t, 'parity-init-');
    const ours = join(dir, 'ours');
    const theirs = join(dir, 'theirs');
    for (const root of [ours, theirs]) await writeTree(root, { 'keep.txt': '' }).then(() => gitRepo(root));
    await initRepo(ours);
    await dvc(theirs, ['init', '-q']);
    assert.deepEqual(await written(ours), await written(theirs));
    assert.equal(await git(ours, 'diff', '--cached', '--name-only'), await git(theirs, 'diff', '--cached', '--name-only'));
  });

  test('a pipeline both ways: dvc.lock bytes after repro, a param change, repro twice, each tool after the other; the run-cache each way', async (t) => {
    const dir = await tempDir(t, 'parity-pipeline-');
    const long = `cp data/in.txt 'out dir/prepared [1].txt' && echo ${'padding-words '.repeat(8)}>> 'out dir/prepared [1].txt'`;
    const pipeline = `stages:
  prepare:
    cmd: mkdir -p 'out dir' && echo prepare >> runs.log && ${long}
    deps:
    - data/in.txt
    params:
    - prepare
    outs:
    - out dir/prepared [1].txt
  report:
    cmd:
    - echo report >> runs.log
    - mkdir -p report && cp 'out dir/prepared [1].txt' report/copy.txt && printf '{"acc":0.5}' > metrics.json && printf 'x,y\\n1,2\\n' > plot.csv
    deps:
    - out dir/prepared [1].txt
    params:
    - train.lr
    - train.seed
    outs:
    - report
    metrics:
    - metrics.json:
        cache: false
    plots:
    - plot.csv:
        cache: false
`;
    const params = `prepare:
  float: 1.0
  eps: 1e-05
  nothing: null
  big: 12345678901234567890
  text: '123'
  list: [1, 2.5, x]
  flag: true
train:
  lr: 0.001
  seed: 42
`;
    const ours = join(dir, 'ours');
    const theirs = join(dir, 'theirs');
    for (const root of [ours, theirs]) {
      await writeTree(root, { 'dvc.yaml': pipeline, 'params.yaml': params, 'data/in.txt': 'input\n' });
      await gitRepo(root);
    }
    await initRepo(ours);
    await dvc(theirs, ['init', '-q']);
    const reproOurs = (root: string, extra: Partial<Parameters<typeof reproduce>[0]> = {}) => reproduce({ root, stdio: 'ignore', ...extra });
    const runs = async (root: string) => (await readFile(join(root, 'runs.log'), 'utf8').catch(() => '')).split('\n').filter(Boolean);
    const lock = (root: string) => readFile(join(root, 'dvc.lock'), 'utf8');
    const runCache = async (root: string) => (await listing(join(root, '.dvc/cache/runs'))).map((path) => path.split('/').slice(0, 2).join('/'));
    const same = async (what: string) => {
      assert.equal(await lock(ours), await lock(theirs), `dvc.lock ${what}`);
      assert.deepEqual(await written(ours), await written(theirs), `.gitignore files ${what}`);
      assert.deepEqual(await listing(join(ours, '.dvc/cache/files')), await listing(join(theirs, '.dvc/cache/files')), `cache ${what}`);
      assert.deepEqual(await runCache(ours), await runCache(theirs), `run-cache keys ${what}`);
    };

    await reproOurs(ours);
    await dvc(theirs, ['repro', '-q']);
    await same('after the first repro');

    // Each tool's repro after the other's changes no byte.
    const before = await lock(ours);
    await dvc(ours, ['repro', '-q']);
    assert.equal(await lock(ours), before, 'dvc repro after ours');
    assert.deepEqual(await runs(ours), ['prepare', 'report'], 'dvc ran nothing');
    await reproOurs(theirs);
    assert.equal(await lock(theirs), before, 'our repro after dvc');
    assert.deepEqual(await runs(theirs), ['prepare', 'report']);
    assert.match(await dvc(ours, ['status']), /Data and pipelines are up to date/);

    // A param change; then back: each tool restores the first run from the run-cache the other made.
    const changed = params.replace('lr: 0.001', 'lr: 0.01');
    for (const root of [ours, theirs]) await writeFile(join(root, 'params.yaml'), changed);
    await reproOurs(ours);
    await dvc(theirs, ['repro', '-q']);
    await same('after a param change');
    for (const root of [ours, theirs]) await writeFile(join(root, 'params.yaml'), params);
    const dvcSays = await dvc(ours, ['repro']);
    assert.match(dvcSays, /Stage 'report' is cached - skipping run, checking out outputs/, 'dvc restores from our run-cache');
    const outcomes = await reproOurs(theirs);
    assert.deepEqual(
      outcomes.map((o) => o.action),
      ['unchanged', 'restored'],
      'we restore from dvc’s run-cache',
    );
    assert.deepEqual(await runs(ours), ['prepare', 'report', 'report']);
    assert.deepEqual(await runs(theirs), ['prepare', 'report', 'report']);
    await same('after restoring from the run-cache');
    assert.equal(await lock(ours), before);
    assert.equal(await readFile(join(theirs, 'metrics.json'), 'utf8'), '{"acc":0.5}');

    // Outputs deleted: both check them out of the cache instead of running.
    for (const root of [ours, theirs]) await rm(join(root, 'report'), { recursive: true });
    await reproOurs(ours);
    await dvc(theirs, ['repro', '-q']);
    assert.deepEqual(await runs(ours), await runs(theirs));
    await same('after outputs were deleted');
    const files = await readdir(join(ours, 'report'));
    assert.deepEqual(files, ['copy.txt']);
  });

  test('stage outputs travel with push and pull, as dvc push and dvc pull take them: each tool pulls what the other pushed', async (t) => {
    const dir = await tempDir(t, 'parity-stage-outs-');
    const pipeline = `stages:
  make:
    cmd: mkdir -p 'out dir/deep' && cp data/in.txt 'out dir/deep/copy.txt' && echo made > result.txt && printf '{"acc":0.5}' > metrics.json
    deps:
    - data/in.txt
    outs:
    - out dir
    - result.txt
    metrics:
    - metrics.json:
        cache: false
`;
    const [ours, theirs] = [join(dir, 'ours'), join(dir, 'theirs')];
    const [remoteOurs, remoteTheirs] = [join(dir, 'remote-ours'), join(dir, 'remote-theirs')];
    for (const root of [ours, theirs]) {
      await writeTree(root, { 'dvc.yaml': pipeline, 'data/in.txt': 'input\n' });
      await gitRepo(root);
    }
    const repo = (await initRepo(ours)).repo;
    await addRemote(repo.dvcDir, 'store', remoteOurs, { makeDefault: true });
    await reproduce({ root: ours, stdio: 'ignore' });
    assert.deepEqual(await push(await loadRepo(ours), { pipeline: true }), { uploaded: 3, present: 0 }, "out dir's one file and its .dir, result.txt");
    await dvc(theirs, ['init', '-q']);
    await dvc(theirs, ['remote', 'add', '-d', 'store', remoteTheirs]);
    await dvc(theirs, ['repro', '-q']);
    await dvc(theirs, ['push', '-q']);
    assert.deepEqual(await listing(remoteOurs), await listing(remoteTheirs), 'both pushed the same objects');

    for (const root of [ours, theirs]) await commitAll(root, 'pipeline');
    const clone = async (from: string, name: string) => {
      await run('git', ['clone', '-q', from, join(dir, name)]);
      return join(dir, name);
    };
    const [dvcPulled, wePulledOurs, wePulledTheirs] = [
      await clone(ours, 'dvc-pulled'),
      await clone(ours, 'we-pulled'),
      await clone(theirs, 'we-pulled-theirs'),
    ];
    await dvc(dvcPulled, ['pull', '-q']);
    await pull(await loadRepo(wePulledOurs), { pipeline: true });
    await pull(await loadRepo(wePulledTheirs), { pipeline: true });
    const expected = await workspace(ours);
    assert.deepEqual(await workspace(dvcPulled), expected, 'dvc pull restores the stage outputs we pushed');
    assert.deepEqual(await workspace(wePulledOurs), expected, 'our pull restores them as dvc pull does');
    assert.deepEqual(await workspace(wePulledTheirs), await workspace(theirs), 'our pull restores the stage outputs dvc pushed');
    assert.match(await dvc(wePulledOurs, ['status']), /Data and pipelines are up to date/, 'dvc sees our pull complete');
    const seen = await status(await loadRepo(wePulledOurs), { pipeline: true });
    assert.deepEqual(
      seen.map((s) => [s.label, s.state]),
      [
        ['out dir', 'up to date'],
        ['result.txt', 'up to date'],
      ],
    );

    // A clone that never ran the stage pushes fine while the remote has its outputs (dvc: "Everything is up to date").
    const bare = await clone(ours, 'bare');
    assert.deepEqual(await push(await loadRepo(bare), { pipeline: true }), { uploaded: 0, present: 2 });
    assert.match(await dvc(bare, ['push']), /Everything is up to date/);
  });

  test('experiments both ways: dvc exp run is listed by us, ours by dvc exp show (params, metrics), the same dvc.lock and params.yaml for the same -S', async (t) => {
    const root = join(await tempDir(t, 'parity-exp-'), 'repo');
    const pipeline = `stages:
  train:
    cmd: cp params.yaml model.txt && printf '{"acc":0.25}' > metrics.json
    deps:
    - data.txt
    params:
    - train
    outs:
    - model.txt
    metrics:
    - metrics.json:
        cache: false
`;
    await writeTree(root, { 'dvc.yaml': pipeline, 'params.yaml': 'train:\n  seed: 42\n  epochs: 3\n', 'data.txt': 'data\n' });
    await gitRepo(root);
    await dvc(root, ['init', '-q']);
    await dvc(root, ['repro', '-q']);
    await commitAll(root, 'baseline');
    const head = (await git(root, 'rev-parse', 'HEAD')).trim();

    // DVC's experiment, seen by us.
    await dvc(root, ['exp', 'run', '-q', '-n', 'dvc-seven', '-S', 'train.seed=7', '-S', 'train.epochs=1']);
    const theirs = (await listExperiments(root)).find((e) => e.name === 'dvc-seven');
    assert.ok(theirs, 'listExperiments finds the experiment dvc exp run made');
    assert.equal(theirs.baseline, head);

    // Ours, made in a work folder as a cell runs, seen by DVC. (dvc exp run left its result in the work tree.)
    const statusBefore = await git(root, 'status', '--porcelain');
    const work = join(root, '..', 'work');
    await writeTree(work, { 'params.yaml': await readFile(join(root, 'params.yaml'), 'utf8'), 'data.txt': 'data\n' });
    await applyOverrides(work, ['train.seed=7', 'train.epochs=1']);
    await run('sh', ['-c', 'cp params.yaml model.txt && printf \'{"acc":0.25}\' > metrics.json'], { cwd: work });
    await recordExperiment(root, { name: 'ours-seven', files: () => experimentFiles(root, work) });
    const ours = (await listExperiments(root)).find((e) => e.name === 'ours-seven')!;
    for (const file of ['dvc.lock', 'params.yaml', 'metrics.json']) {
      assert.equal(await readFileAt(root, ours.commit, file), await readFileAt(root, theirs.commit, file), `${file} of the two experiments`);
    }
    const shown = JSON.parse(await dvc(root, ['exp', 'show', '--json'])) as unknown;
    const rev = findNamed(shown, 'ours-seven') as
      { data: { params: Record<string, { data: unknown }>; metrics: Record<string, { data: unknown }> } } | undefined;
    assert.ok(rev, `dvc exp show lists ours-seven: ${JSON.stringify(shown).slice(0, 2000)}`);
    assert.deepEqual(rev.data.params['params.yaml']!.data, { train: { seed: 7, epochs: 1 } });
    assert.deepEqual(rev.data.metrics['metrics.json']!.data, { acc: 0.25 });
    assert.equal(await git(root, 'status', '--porcelain'), statusBefore, 'recording leaves the work tree and index alone');
  });
});

/** The first revision in `value` (DVC's exp show JSON) named `name` that has `data`. */
function findNamed(value: unknown, name: string): unknown {
  if (Array.isArray(value)) return value.map((item) => findNamed(item, name)).find((found) => found !== undefined);
  if (value === null || typeof value !== 'object') return undefined;
  if ((value as { name?: unknown }).name === name && 'data' in value) return value;
  return Object.values(value)
    .map((item) => findNamed(item, name))
    .find((found) => found !== undefined);
}
