#!/usr/bin/env node
// npm run lock:refresh [-- --verify] [-- --keep]
//
// dvc.lock records the MD5 of the code folders the stages list as deps (src/data, src/model, …), so
// a commit that changes that code makes the committed lock stale. This refreshes it the way a user
// would meet it: clone HEAD into a temp folder, `npm ci && npm start` there, and copy back what
// npm start changed in the clone (dvc.lock and the cache: false outputs of dvc.yaml). With --verify
// a second fresh clone of that result runs `npm ci && npm start` again and must leave dvc.lock and
// `git status` unchanged. The CIFAR-10 download cache is the usual one (CIFAR10_CACHE, else
// ~/.cache/cifar10-ci), shared between runs and outside the clones.
import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(
    'Usage: npm run lock:refresh [-- [--verify] [--keep]]\n\n' +
      'Clones HEAD into a temp folder, runs `npm ci && npm start` there and copies dvc.lock and the\n' +
      'cache: false outputs of dvc.yaml back into this checkout; review them with `git diff`, then commit.\n\n' +
      '  --verify  then run `npm ci && npm start` in a second fresh clone of the result and check that\n' +
      '            dvc.lock and `git status` stay unchanged (twice the time)\n' +
      '  --keep    keep the temp folder (it is always kept when something fails)\n',
  );
  process.exit(0);
}
const unknown = args.filter((a) => !['--verify', '--keep'].includes(a));
if (unknown.length > 0) fail(`unknown option ${unknown.join(' ')}; see \`npm run lock:refresh -- --help\``);

function fail(message) {
  process.stderr.write(`lock:refresh: ${message}\n`);
  process.exit(1);
}

function sh(command, commandArgs, cwd, { capture = false } = {}) {
  const result = spawnSync(command, commandArgs, { cwd, stdio: capture ? ['ignore', 'pipe', 'inherit'] : 'inherit', encoding: 'utf8' });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`\`${command} ${commandArgs.join(' ')}\` in ${cwd} exited with status ${result.status}`);
  return capture ? result.stdout : '';
}

const git = (cwd, ...gitArgs) => sh('git', ['-c', 'user.name=lock:refresh', '-c', 'user.email=lock-refresh@localhost', ...gitArgs], cwd, { capture: true });
const minutes = (since) => `${((Date.now() - since) / 60000).toFixed(1)} min`;

/** Paths `git status` reports in `cwd` (modified, added, deleted or untracked), with their state. */
function changes(cwd) {
  const entries = git(cwd, 'status', '--porcelain', '-z', '--untracked-files=all')
    .split('\0')
    .filter((e) => e !== '');
  return entries.map((entry) => ({ state: entry.slice(0, 2), path: entry.slice(3) }));
}

/** Clones `source` at `commit` into `dest` and runs what a user runs there; returns the minutes taken. */
function cloneAndStart(source, commit, dest) {
  const started = Date.now();
  git(dirname(dest), 'clone', '--quiet', '--no-hardlinks', source, dest);
  git(dest, 'checkout', '--quiet', '--detach', commit);
  process.stdout.write(`\n== ${dest}: npm ci && npm start (commit ${commit.slice(0, 10)})\n`);
  sh('npm', ['ci', '--no-audit', '--no-fund'], dest);
  sh('npm', ['start'], dest);
  return minutes(started);
}

const root = git(process.cwd(), 'rev-parse', '--show-toplevel').trim();
const dirty = git(root, 'status', '--porcelain', '--untracked-files=no').trim();
if (dirty !== '')
  fail(`the working tree has uncommitted changes:\n${dirty}\ncommit or stash them first: the clone runs HEAD, and dvc.lock records HEAD's code`);
const head = git(root, 'rev-parse', 'HEAD').trim();
const work = await mkdtemp(join(tmpdir(), 'lock-refresh-'));
const began = Date.now();
let keep = args.includes('--keep');
try {
  const clone = join(work, 'clone');
  const took = cloneAndStart(root, head, clone);
  const { readPipeline } = await import(pathToFileURL(join(clone, 'dist/src/dvc/pipeline/dvcyaml.js')).href);
  const pipeline = await readPipeline(clone);
  const uncached = new Set(
    pipeline.stages.flatMap((stage) => stage.outs.filter((out) => !out.cache).map((out) => relative(clone, join(stage.wdir, out.path)).split('\\').join('/'))),
  );
  const changed = changes(clone);
  // Anything else npm start leaves behind is a .gitignore gap: fix that rather than commit it.
  const expected = (path) => path === 'dvc.lock' || uncached.has(path) || path === '.gitignore' || path.endsWith('/.gitignore');
  const strays = changed.filter((c) => !expected(c.path));
  if (strays.length > 0) {
    keep = true;
    fail(
      `npm start in the fresh clone also changed files that are neither dvc.lock nor cache: false outputs nor .gitignore files:\n${strays.map((c) => `  ${c.state} ${c.path}`).join('\n')}\nmake git ignore them (or stop writing them); nothing was copied. Clone kept in ${clone}`,
    );
  }
  for (const { state, path } of changed) {
    if (state.includes('D')) await rm(join(root, path), { force: true });
    else {
      await mkdir(dirname(join(root, path)), { recursive: true });
      await copyFile(join(clone, path), join(root, path));
    }
  }
  process.stdout.write(
    `\nlock:refresh: npm ci && npm start in a fresh clone of ${head.slice(0, 10)} took ${took}; ${changed.length === 0 ? 'nothing changed: dvc.lock was up to date' : `updated ${changed.map((c) => c.path).join(', ')}`}\n`,
  );

  if (args.includes('--verify')) {
    git(clone, 'add', '--all');
    git(clone, 'commit', '--quiet', '--allow-empty', '-m', 'lock:refresh');
    const refreshed = git(clone, 'rev-parse', 'HEAD').trim();
    const second = join(work, 'verify');
    const tookAgain = cloneAndStart(clone, refreshed, second);
    const left = changes(second);
    const same = (await readFile(join(clone, 'dvc.lock'), 'utf8')) === (await readFile(join(second, 'dvc.lock'), 'utf8'));
    if (left.length > 0 || !same) {
      keep = true;
      fail(
        `the second fresh clone did not reproduce the refreshed state (${same ? 'dvc.lock the same' : 'dvc.lock differs'}); git status there:\n${left.map((c) => `  ${c.state} ${c.path}`).join('\n')}\nclones kept in ${work}`,
      );
    }
    process.stdout.write(`lock:refresh: verified: a second fresh clone reproduced dvc.lock byte for byte and left git status clean (${tookAgain})\n`);
  }
  process.stdout.write(`lock:refresh: done in ${minutes(began)}. Review with \`git diff --stat\`, then commit, e.g. git commit -am "dvc.lock refreshed"\n`);
} catch (error) {
  keep = true;
  fail(`${error.message}\nthe temp folder ${work} is kept for a look`);
} finally {
  if (!keep) await rm(work, { recursive: true, force: true });
}
