/**
 * The repository as a user clones and installs it: a working DVC repository (its pointer files
 * committed and not git-ignored) whose dvc.yaml the real DVC accepts, and whose package.json
 * `engines` is true of the tree `npm ci` installs, and whose messages and docs name only commands
 * the CLI has.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import semver from 'semver';
import { readPipeline } from '../src/dvc/index.js';
import { withTempDir } from './fixtures/synth-workspace.js';

const run = promisify(execFile);
const PROJECT = process.cwd();

/** What DVC's own workflow commits besides the code: the data stays out, these stay in. */
const POINTER_FILES = [
  '.dvc/config',
  '.dvc/.gitignore',
  '.dvcignore',
  'data/partitions/.gitignore',
  'data/partitions/partitions.json',
  'data/partitions/v1.dvc',
  'data/partitions/v2.dvc',
  'data/partitions/v3.dvc',
  'dvc.yaml',
  'dvc.lock',
  'params.yaml',
];

async function gitCheckout(): Promise<boolean> {
  return run('git', ['rev-parse', '--is-inside-work-tree'], { cwd: PROJECT }).then(
    () => true,
    () => false,
  );
}

describe('the repository is a DVC repository', async () => {
  const inGit = await gitCheckout();

  test(
    'git tracks every DVC pointer file, dvc.lock and the cache: false outputs of dvc.yaml, and ignores the cached ones',
    { skip: inGit ? false : `${PROJECT} is not a git checkout, so there is no git ls-files to check` },
    async () => {
      const pipeline = await readPipeline(PROJECT);
      const outs = pipeline.stages.flatMap((stage) =>
        stage.outs.map((out) => ({ ...out, path: relative(PROJECT, join(stage.wdir, out.path)).split('\\').join('/') })),
      );
      const uncached = outs.filter((out) => !out.cache).map((out) => out.path);
      const cached = outs.filter((out) => out.cache).map((out) => out.path);
      // DVC lists a cached output as /<name> in the .gitignore beside it; that file is committed too.
      const gitignores = [...new Set(cached.map((path) => (dirname(path) === '.' ? '.gitignore' : `${dirname(path)}/.gitignore`)))];
      const committed = [...POINTER_FILES, ...uncached, ...gitignores];

      const { stdout } = await run('git', ['ls-files', '-z'], { cwd: PROJECT });
      const tracked = new Set(stdout.split('\0'));
      const missing = committed.filter((file) => !tracked.has(file));
      assert.deepEqual(
        missing,
        [],
        `not committed: ${missing.join(', ')}; \`git add\` them (a fresh clone needs them: see "Refreshing dvc.lock" in docs/experiments.md)`,
      );
      assert.deepEqual(
        cached.filter((path) => tracked.has(path) || [...tracked].some((file) => file.startsWith(`${path}/`))),
        [],
        'cached outputs live in the DVC cache, not in git',
      );

      const checkIgnore = (paths: string[]) =>
        run('git', ['check-ignore', '--no-index', ...paths], { cwd: PROJECT }).then(
          ({ stdout: out }) => out.split('\n').filter((line) => line !== ''),
          (error: Error & { code?: number | string }) => (error.code === 1 ? [] : Promise.reject(error)),
        );
      // The real DVC skips a .dvc file that git ignores, so no committed file may match a pattern.
      assert.deepEqual(await checkIgnore(committed), [], 'git ignores committed files; change the .gitignore pattern that matches them');
      assert.deepEqual((await checkIgnore(cached)).sort(), [...cached].sort(), 'git ignores every cached output');
    },
  );

  const realDvc = process.env['REAL_DVC'];
  const skipDvc = !inGit ? `${PROJECT} is not a git checkout to clone` : !realDvc ? 'REAL_DVC is not set (the real DVC 3.x command; see .ci/run)' : false;
  test(
    "the real DVC accepts a fresh clone of HEAD: dvc dag, dvc status and dvc metrics show work, and it sees the partitions' .dvc files",
    { skip: skipDvc },
    async () => {
      await withTempDir('clone-dvc-', async (dir) => {
        const clone = join(dir, 'repo');
        await run('git', ['clone', '--quiet', '--no-hardlinks', PROJECT, clone]);
        // DVC's site cache (its state database) would otherwise be shared with other runs.
        const env = { ...process.env, DVC_SITE_CACHE_DIR: join(dir, 'site-cache'), DVC_NO_ANALYTICS: '1' };
        const dvc = (...args: string[]) => run(realDvc!, args, { cwd: clone, env, maxBuffer: 16 << 20 });
        const dag = await dvc('dag', '--md');
        for (const node of ['pull_data', 'prepare', 'train', 'evaluate', 'data/partitions/v1.dvc', 'data/partitions/v2.dvc', 'data/partitions/v3.dvc']) {
          assert.ok(dag.stdout.includes(`["${node}"]`), `dvc dag lists ${node}:\n${dag.stdout}`);
        }
        await dvc('status');
        for (const v of ['v1', 'v2', 'v3']) {
          const { stdout } = await dvc('status', `data/partitions/${v}.dvc`);
          assert.match(
            stdout,
            new RegExp(`data/partitions/${v}\\.dvc:[\\s\\S]*not in cache:\\s+data/partitions/${v}\\b`),
            `dvc status reads ${v}.dvc:\n${stdout}`,
          );
        }
        // The committed cache: false metric is what dvc metrics show (and dvc exp show) read.
        const metrics = JSON.parse((await dvc('metrics', 'show', '--json')).stdout) as Record<
          string,
          { data?: { 'reports/metrics.json'?: { data?: { accuracy?: unknown } } } }
        >;
        const accuracy = Object.values(metrics)[0]?.data?.['reports/metrics.json']?.data?.accuracy;
        assert.equal(typeof accuracy, 'number', `dvc metrics show reads reports/metrics.json: ${JSON.stringify(metrics).slice(0, 500)}`);
        const data = await dvc('data', 'status', '--json');
        const notInCache = (JSON.parse(data.stdout) as { not_in_cache?: string[] }).not_in_cache ?? [];
        for (const v of ['v1', 'v2', 'v3']) assert.ok(notInCache.includes(`data/partitions/${v}/`), `dvc data status names ${v}: ${data.stdout}`);
      });
    },
  );
});

/** Every package.json below `dir`/node_modules, nested and scoped ones included. */
async function installedPackages(dir: string): Promise<string[]> {
  const modules = join(dir, 'node_modules');
  const names = await readdir(modules).catch(() => [] as string[]);
  const found: string[] = [];
  for (const name of names) {
    if (name.startsWith('.')) continue;
    const paths = name.startsWith('@')
      ? (await readdir(join(modules, name)).catch(() => [] as string[])).map((scoped) => join(modules, name, scoped))
      : [join(modules, name)];
    for (const path of paths) {
      found.push(join(path, 'package.json'));
      found.push(...(await installedPackages(path)));
    }
  }
  return found;
}

describe('package.json engines', () => {
  test("admit the running Node, and every Node they admit is one every installed package's engines.node admits", async () => {
    const ours = (JSON.parse(await readFile(join(PROJECT, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
    assert.ok(semver.satisfies(process.version, ours), `package.json engines.node "${ours}" excludes the running ${process.version}`);
    const conflicts: string[] = [];
    let checked = 0;
    for (const file of await installedPackages(PROJECT)) {
      const pkg = await readFile(file, 'utf8').then(
        (text) => JSON.parse(text) as { name?: string; version?: string; engines?: { node?: unknown } },
        () => undefined,
      );
      const range = pkg?.engines?.node;
      if (typeof range !== 'string') continue;
      checked++;
      if (!semver.validRange(range) || !semver.subset(ours, range))
        conflicts.push(`${pkg!.name}@${pkg!.version} needs node ${range} (${relative(PROJECT, file)})`);
    }
    assert.ok(checked > 50, `only ${checked} installed packages declare engines.node; run \`npm ci\` first`);
    assert.deepEqual(
      conflicts,
      [],
      `package.json allows node ${ours}, which these installed packages exclude; narrow engines (and the README), or pin an older release with an "overrides" entry`,
    );
  });
});

describe('commands named to the user', () => {
  test('every `cifar10 …` command that src/, docs/, README.md, the actions and the workflows name is one the CLI has', async () => {
    const cli = join(PROJECT, 'dist', 'src', 'cli.js');
    /** The command names in the "Commands:" part of a `--help` (`remote add|…` gives `remote`). */
    const commandsOf = async (...group: string[]) => {
      const { stdout } = await run(process.execPath, [cli, ...group, '--help']);
      const listed = stdout.slice(stdout.indexOf('Commands:'));
      return new Set([...listed.matchAll(/^ {2}([a-z][a-z-]*)/gm)].map((m) => m[1]!));
    };
    const top = await commandsOf();
    const groups = new Map<string, Set<string>>();
    for (const group of ['data', 'exp', 'history']) groups.set(group, await commandsOf(group));
    assert.ok(top.has('start') && groups.get('data')!.has('pull'), `the help lists the commands: ${[...top].join(' ')}`);

    const files = [join(PROJECT, 'README.md')];
    for (const dir of ['src', 'docs', 'actions', '.github']) {
      for (const rel of await readdir(join(PROJECT, dir), { recursive: true })) {
        if (/\.(ts|md|ya?ml)$/.test(rel)) files.push(join(PROJECT, dir, rel));
      }
    }
    const unknown: string[] = [];
    for (const file of files) {
      for (const [named, first, second] of (await readFile(file, 'utf8')).matchAll(/\bcifar10 ([a-z][a-z-]*)(?: ([a-z][a-z-]*))?/g)) {
        const sub = groups.get(first!);
        if (!top.has(first!) || (sub && second !== undefined && !sub.has(second))) unknown.push(`${relative(PROJECT, file)}: ${named}`);
      }
    }
    assert.deepEqual(unknown, [], 'commands the CLI does not have (see `cifar10 --help`)');
  });
});
