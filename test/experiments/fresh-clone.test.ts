/**
 * A fresh clone as a user gets it, with the project's own commands, then the real DVC on it.
 *
 * The author is a `git clone` of this repository's committed HEAD. Its committed `.dvc` files name
 * the real CIFAR-10 partitions, which a test cannot afford, so the author versions small synthetic
 * CIFAR-10 data instead, through the project's own path (`npm start` on a repository without
 * `.dvc` files: partitions → version-data → repro), and commits that in its clone, with no DVC
 * remote in `.dvc/config` as this repository commits it. A user's fresh clone of that commit then
 * runs `npm start` (which rebuilds the partitions from the synthetic "CIFAR-10" and verifies them
 * against the committed hashes, sets up its local remote and pushes), and the real DVC runs the
 * commands of the README on the result, and `dvc pull` in a second clone pointed at that remote.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { access, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { collectOutputs, defaultRemoteName, hasObject, hasTree, isDirHash, listRemotes, loadRepo, pipelineOutputs, withHash } from '../../src/dvc/index.js';
import { start, START_REMOTE_NAME, type StartResult } from '../../src/experiments/start.js';
import { PROJECT_PATHS } from '../../src/paths.js';
import { createSynthWorkspace } from '../fixtures/synth-workspace.js';

const run = promisify(execFile);
const PROJECT = process.cwd();

/** The repository's own dvc.yaml and params.yaml, made small by -S overrides as a user would. */
const TINY = ['train.epochs=1', 'train.width=0.125', 'train.batch_size=32', 'evaluate.misclassified=4'];

const git = (cwd: string, ...args: string[]) => run('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', ...args], { cwd });

const inGit = await git(PROJECT, 'rev-parse', '--is-inside-work-tree').then(
  () => true,
  () => false,
);
const skipClone = inGit ? false : `${PROJECT} is not a git checkout, so there is no HEAD to clone`;
const realDvc = process.env['REAL_DVC'];
const skipDvc = skipClone || (realDvc ? false : 'REAL_DVC is not set (the real DVC 3.x command; see .ci/run)');

describe('a fresh git clone of HEAD, with synthetic data versioned the project’s way', () => {
  let dir = '';
  let clone = '';
  let lock = '';
  let again: StartResult | undefined;

  before(async () => {
    if (skipClone) return;
    dir = await mkdtemp(join(tmpdir(), 'fresh-clone-'));
    // The author's side: data made and versioned, the pipeline run, everything DVC users commit committed.
    const author = join(dir, 'author');
    await git(dir, 'clone', '--quiet', '--no-hardlinks', PROJECT, author);
    for (const file of ['v1.dvc', 'v2.dvc', 'v3.dvc', 'partitions.json']) await rm(join(author, PROJECT_PATHS.partitions, file));
    const ws = await createSynthWorkspace(author, { imagesPerClass: 20, partitions: 3, partitionSize: 50, seed: 3 });
    // The stages run `node dist/src/cli.js`, relative to the root: the project's build stands in for `npm run build`.
    await symlink(join(PROJECT, 'dist'), join(author, 'dist'), 'junction');
    await writeFile(join(author, '.git/info/exclude'), '/dist\n/synth/\n');
    const made = await start({ root: author, set: [...TINY, 'train.backend=wasm'], source: ws.tarball, cifarCacheDir: ws.cacheDir, quiet: true });
    assert.equal(made.data, 'made');
    // As this repository is committed: no DVC remote, so a clone rebuilds the partitions and verifies them.
    await writeFile(join(author, '.dvc/config'), '');
    await git(author, 'add', '--all');
    await git(author, 'commit', '--quiet', '-m', 'synthetic data versioned, pipeline run');
    lock = await readFile(join(author, 'dvc.lock'), 'utf8');

    // A user's fresh clone: no data, no cached outputs; `npm start` makes them again.
    clone = join(dir, 'clone');
    await git(dir, 'clone', '--quiet', author, clone);
    await symlink(join(PROJECT, 'dist'), join(clone, 'dist'), 'junction');
    await writeFile(join(clone, '.git/info/exclude'), '/dist\n');
    again = await start({ root: clone, source: ws.tarball, cifarCacheDir: join(dir, 'clone-cache'), quiet: true });
  });

  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test(
    'npm start reproduces the committed dvc.lock byte for byte with real tfjs on wasm, pushes to its own local remote, and leaves git status clean',
    { skip: skipClone },
    async () => {
      assert.equal(again!.data, 'rebuilt');
      assert.deepEqual(
        again!.stages.map((s) => [s.stage, s.action]),
        [
          ['pull_data', 'ran'],
          ['prepare', 'ran'],
          ['train', 'ran'],
          ['evaluate', 'ran'],
        ],
        'the cached outputs are not in git, so every stage runs',
      );
      assert.equal(await readFile(join(clone, 'dvc.lock'), 'utf8'), lock, 'dvc.lock, and so every output it hashes, is byte for byte the same');
      const { stdout } = await git(clone, 'status', '--porcelain');
      assert.equal(stdout, '', 'the committed cache: false outputs came out the same, and nothing new is left untracked (the remote is in .dvc/config.local)');

      const repo = await loadRepo(clone);
      assert.equal(defaultRemoteName(repo.config), START_REMOTE_NAME, 'with no remote committed, start makes its local remote the default');
      assert.equal(listRemotes(repo.config).find((r) => r.name === START_REMOTE_NAME)?.url, `../${PROJECT_PATHS.startRemote}`);
      // A local remote has the cache's layout: every partition and cached stage output is there, whole.
      const remoteDir = join(clone, PROJECT_PATHS.startRemote);
      const outputs = [...withHash(await collectOutputs(repo, [], clone)), ...(await pipelineOutputs(clone))];
      assert.deepEqual(
        outputs.map((o) => o.label),
        [
          'data/partitions/v1',
          'data/partitions/v2',
          'data/partitions/v3',
          'data/prepared',
          'models/model',
          'reports/confusion.json',
          'reports/confusion.csv',
          'reports/confusion.png',
          'reports/confusion_normalized.png',
          'reports/learning_curves.png',
          'reports/misclassified.png',
        ],
      );
      for (const { label, hash } of outputs) {
        assert.ok(await (isDirHash(hash.md5) ? hasTree(remoteDir, hash.md5) : hasObject(remoteDir, hash.md5)), `${label} (${hash.md5}) is on start's remote`);
      }
    },
  );

  test(
    'the real DVC on it: repro and exp run agree with cifar10 repro byte for byte on dvc.lock both ways; exp show and metrics show have the accuracy; a second clone pulls everything from the remote, and repro --dry then works',
    { skip: skipDvc },
    async () => {
      // DVC's site cache (its state database) would otherwise be shared with other runs.
      const env = { ...process.env, DVC_SITE_CACHE_DIR: join(dir, 'site-cache'), DVC_NO_ANALYTICS: '1' };
      const dvcIn =
        (cwd: string) =>
        (...args: string[]) =>
          run(realDvc!, args, { cwd, env, maxBuffer: 16 << 20 });
      const dvc = dvcIn(clone);
      const cifar10 = (...args: string[]) => run(process.execPath, ['dist/src/cli.js', ...args], { cwd: clone, maxBuffer: 16 << 20 });
      const readLock = () => readFile(join(clone, 'dvc.lock'), 'utf8');
      // Only the always-changed pull_data runs: each tool computes the hashes the other recorded.
      const unchanged = (output: { stdout: string; stderr: string }, tool: string) => {
        const text = output.stdout + output.stderr;
        assert.match(text, /Running stage 'pull_data'/, `${tool}:\n${text}`);
        assert.doesNotMatch(text, /Running stage '(prepare|train|evaluate)'/, `${tool} found a stage stale:\n${text}`);
      };

      unchanged(await dvc('repro'), 'dvc repro');
      assert.equal(await readLock(), lock, 'dvc repro after cifar10 repro (npm start) changes no byte of dvc.lock');
      unchanged(await cifar10('repro'), 'cifar10 repro');
      assert.equal(await readLock(), lock, 'cifar10 repro after dvc repro changes no byte of dvc.lock');

      await git(clone, 'config', 'user.name', 'test');
      await git(clone, 'config', 'user.email', 'test@example.com');
      await dvc('exp', 'run', '-S', 'train.seed=100', '-S', 'train.epochs=1');
      const expLock = await readLock();
      assert.notEqual(expLock, lock, 'the experiment trained with seed 100');
      unchanged(await cifar10('repro'), 'cifar10 repro after dvc exp run');
      assert.equal(await readLock(), expLock, 'cifar10 repro after dvc exp run changes no byte of dvc.lock');

      const shown = JSON.parse((await dvc('exp', 'show', '--json')).stdout) as unknown;
      const exp = findRecords(shown).find((r) => r.seed === 100);
      assert.equal(typeof exp?.accuracy, 'number', `dvc exp show lists the seed-100 experiment with its accuracy: ${JSON.stringify(shown).slice(0, 1500)}`);
      const metrics = findRecords(JSON.parse((await dvc('metrics', 'show', '--json')).stdout) as unknown);
      assert.equal(typeof metrics[0]?.accuracy, 'number', 'dvc metrics show reads reports/metrics.json');

      // Another clone on this machine, pointed at the first one's remote, pulls everything with the real DVC.
      const second = join(dir, 'second');
      await git(dir, 'clone', '--quiet', clone, second);
      const dvc2 = dvcIn(second);
      await dvc2('remote', 'add', '-d', '--local', 'first', join(clone, PROJECT_PATHS.startRemote));
      await dvc2('pull');
      for (const path of ['data/partitions/v1', 'data/partitions/v3', PROJECT_PATHS.prepared, PROJECT_PATHS.model, 'reports/confusion.png']) {
        await access(join(second, path));
      }
      // After a pull every stage's deps are in place, which DVC's dry run needs (docs/dvc.md, "The real DVC on a fresh clone").
      const dry = await dvc2('repro', '--dry');
      assert.match(dry.stdout, /Stage 'train' didn't change, skipping/, `dvc repro --dry after dvc pull:\n${dry.stdout}`);
      assert.doesNotMatch(dry.stdout, /Running stage '(prepare|train|evaluate)'/, dry.stdout);
    },
  );
});

/** Every `{seed, accuracy}` in DVC's JSON (exp show, metrics show): params.yaml's train.seed beside reports/metrics.json's accuracy. */
function findRecords(value: unknown): { seed?: unknown; accuracy?: unknown }[] {
  const found: { seed?: unknown; accuracy?: unknown }[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (typeof node !== 'object' || node === null) return;
    const record = node as Record<string, unknown>;
    const data = record['data'] as
      { params?: Record<string, { data?: { train?: { seed?: unknown } } }>; metrics?: Record<string, { data?: { accuracy?: unknown } }> } | undefined;
    const metric = (data?.metrics ?? (record as Record<string, { data?: { accuracy?: unknown } }>))['reports/metrics.json']?.data;
    if (metric) found.push({ seed: data?.params?.['params.yaml']?.data?.train?.seed, accuracy: metric.accuracy });
    Object.values(record).forEach(visit);
  };
  visit(value);
  return found;
}
