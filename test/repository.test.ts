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
import type { Command } from 'commander';
import { buildProgram } from '../src/cli/program.js';
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

/** Every command path of the `cifar10` program (`''`, `data pull`, `exp matrix`) with the long flags it takes, its parents' included. */
function commandTable(): Map<string, Set<string>> {
  const table = new Map<string, Set<string>>();
  const walk = (command: Command, path: readonly string[], inherited: ReadonlySet<string>) => {
    const flags = new Set([...inherited, '--help', ...command.options.flatMap((o) => (o.long ? [o.long] : []))]);
    table.set(path.join(' '), flags);
    for (const sub of command.commands) walk(sub, [...path, sub.name()], flags);
  };
  walk(buildProgram(), [], new Set());
  return table;
}

/**
 * What a text names after `cifar10 ` that the program lacks: an unknown command or subcommand, or
 * a long flag the command does not take. A mention ends at a backtick, quote, comment or shell
 * operator; placeholders (`<path>`, `${…}`, `…`) are not judged.
 */
function unknownIn(text: string, table: ReadonlyMap<string, ReadonlySet<string>>): string[] {
  const found: string[] = [];
  for (const [, rest] of text.matchAll(/\bcifar10 ([^`'"\\\n#|&;)]*)/g)) {
    const words = rest!.trim().split(/\s+/).filter(Boolean);
    if (words[0] === '--') words.shift();
    if (!/^[a-z][a-z-]*$/.test(words[0] ?? '')) continue;
    let path = '';
    for (const word of words) {
      const longer = path ? `${path} ${word}` : word;
      if (table.has(longer)) path = longer;
      else break;
    }
    const shown = `cifar10 ${words.join(' ')}`;
    if (!path) {
      found.push(`${shown}: no command ${words[0]}`);
      continue;
    }
    const next = words[path.split(' ').length];
    const isGroup = [...table.keys()].some((key) => key.startsWith(`${path} `));
    if (isGroup && next !== undefined && /^[a-z][a-z-]*$/.test(next)) found.push(`${shown}: \`${path}\` has no subcommand ${next}`);
    for (const word of words) {
      const flag = word.split('=')[0]!;
      if (/^--[a-z][a-z-]*$/.test(flag) && !table.get(path)!.has(flag)) found.push(`${shown}: \`${path}\` takes no ${flag}`);
    }
  }
  return found;
}

describe('commands named to the user', () => {
  test('every `cifar10 …` command and long flag that src/, docs/, README.md, the actions and the workflows name is one the CLI has', async () => {
    const table = commandTable();
    assert.ok(
      table.get('data pull')?.has('--rebuild') && table.get('exp matrix')?.has('--jobs'),
      `the table holds commands and flags: ${[...table.keys()].join(', ')}`,
    );
    assert.deepEqual(unknownIn('run `cifar10 data version-data`, `cifar10 exp nothing`, `cifar10 data pull --rebuild --nope`', table), [
      'cifar10 data version-data: `data` has no subcommand version-data',
      'cifar10 exp nothing: `exp` has no subcommand nothing',
      'cifar10 data pull --rebuild --nope: `data pull` takes no --nope',
    ]);

    const files = [join(PROJECT, 'README.md')];
    for (const dir of ['src', 'docs', 'actions', '.github']) {
      for (const rel of await readdir(join(PROJECT, dir), { recursive: true })) {
        if (/\.(ts|md|ya?ml)$/.test(rel)) files.push(join(PROJECT, dir, rel));
      }
    }
    const unknown: string[] = [];
    for (const file of files) unknown.push(...unknownIn(await readFile(file, 'utf8'), table).map((line) => `${relative(PROJECT, file)}: ${line}`));
    assert.deepEqual(unknown, [], 'commands or flags the CLI does not have (see `cifar10 <command> --help`)');
  });
});
