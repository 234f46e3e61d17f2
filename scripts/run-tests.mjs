#!/usr/bin/env node
// Runs every compiled test file with Node's built-in runner. Node 20's --test takes no globs, so the
// files are listed here; extra arguments (e.g. a folder or file filter) narrow the set. Without
// arguments, CIFAR10_TEST_FILTER (comma-separated) narrows it: the workflow tests run ci.yml, whose
// test step calls this script, and set it so that run does not start the whole suite again.
//
// Test files run two at a time (CIFAR10_TEST_JOBS; this machine and CI have two cores), each in a
// `node --test` of its own, longest first by test/durations.json, so the long ones do not end up
// alone at the tail. With --lint, `npm run lint` is one more job, started first: ESLint's ~1.5
// single-threaded minutes then share the cores with the tests instead of leaving one idle before them.
// A file whose source says `test-runner: alone` (it mounts file systems, needs the machine to
// itself, …) runs after the others, by itself. `--record` rewrites test/durations.json from this run.
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const DURATIONS = 'test/durations.json';
const REPORTER = fileURLToPath(new URL('test-summary-reporter.mjs', import.meta.url));
const ALONE = /^\/\/ test-runner: alone\b/m;

function testFiles(dir) {
  const found = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...testFiles(path));
    else if (name.endsWith('.test.js')) found.push(path);
  }
  return found;
}

/** `dist/test/a/b.test.js` → `test/a/b.test.ts`, the key of test/durations.json. */
const sourceOf = (file) => relative('dist', file).replace(/\.js$/, '.ts');

const args = process.argv.slice(2);
const record = args.includes('--record');
const lint = args.includes('--lint');
const fromEnv = (process.env.CIFAR10_TEST_FILTER ?? '')
  .split(',')
  .map((f) => f.trim())
  .filter(Boolean);
const named = args.filter((a) => a !== '--record' && a !== '--lint');
const filters = named.length > 0 ? named : fromEnv;
const files = testFiles('dist/test').filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error(`no test files found under dist/test${filters.length ? ` matching ${filters.join(', ')}` : ''}; run \`npm run build\` first`);
  process.exit(1);
}

let durations = {};
try {
  durations = JSON.parse(readFileSync(DURATIONS, 'utf8'));
} catch {
  // No record yet: every file counts as long, in name order.
}
const jobs = Math.max(1, Number(process.env.CIFAR10_TEST_JOBS) || 2);
const alone = files.filter((f) => ALONE.test(readFileSync(f, 'utf8')));
// A file without a record counts as long (MAX_VALUE, not Infinity: Infinity − Infinity is NaN to sort).
const recorded = (file) => durations[sourceOf(file)] ?? Number.MAX_VALUE;
const shared = files.filter((f) => !alone.includes(f)).sort((a, b) => recorded(b) - recorded(a));

const scratch = mkdtempSync(join(tmpdir(), 'run-tests-'));
const totals = {};
const measured = {};
let failed = false;
let lintFailed = false;

/** Output is printed whole when a job ends, so the jobs that run at once do not interleave. */
function spawnBuffered(command, args, onClose) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const output = [];
    child.stdout.on('data', (chunk) => output.push(chunk));
    child.stderr.on('data', (chunk) => output.push(chunk));
    child.on('close', (code, signal) => {
      process.stdout.write(Buffer.concat(output));
      onClose(code, signal);
      resolve();
    });
  });
}

function runLint() {
  return spawnBuffered('npm', ['run', 'lint'], (code) => {
    if (code !== 0) failed = lintFailed = true;
  });
}

/**
 * One `node --test` per file, so the files start in this script's order: given several files,
 * Node's runner sorts them by name, which started the long workflow scenarios (test/workflow/) last.
 */
function runFile(file, index) {
  const summary = join(scratch, `${index}.json`);
  const args = [
    '--test',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    `--test-reporter=${REPORTER}`,
    `--test-reporter-destination=${summary}`,
    file,
  ];
  return spawnBuffered(process.execPath, args, (code, signal) => {
    if (code !== 0) failed = true;
    try {
      const { counts, files: times } = JSON.parse(readFileSync(summary, 'utf8'));
      for (const [key, value] of Object.entries(counts)) totals[key] = (totals[key] ?? 0) + value;
      for (const [name, ms] of Object.entries(times)) measured[sourceOf(relative(process.cwd(), name))] = Math.round(ms / 100) / 10;
    } catch {
      failed = true;
      console.error(`${file} left no test summary (${signal ?? `exit ${code}`})`);
    }
  });
}

let started = 0;
const fileJobs = (list) => list.map((file) => () => runFile(file, started++));
// The project's own pool, from the build these tests come from (a job never throws: failures are counted).
const { mapLimit } = await import('../dist/src/util/map-limit.js');
await mapLimit([...(lint ? [runLint] : []), ...fileJobs(shared)], jobs, (job) => job());
await mapLimit(fileJobs(alone), 1, (job) => job());
rmSync(scratch, { recursive: true, force: true });

if (record) {
  // Files this run did not measure keep their record, unless their test file is gone.
  const kept = Object.entries({ ...durations, ...measured }).filter(([file]) => existsSync(file));
  const merged = Object.fromEntries(kept.sort(([a], [b]) => a.localeCompare(b)));
  writeFileSync(DURATIONS, `${JSON.stringify(merged, null, 2)}\n`);
  console.log(`${DURATIONS}: the seconds of ${Object.keys(measured).length} test files recorded`);
}
// One closing line for all phases together.
console.log(
  `all: ${totals.pass ?? 0} passed, ${(totals.fail ?? 0) + (totals.cancelled ?? 0)} failed, ${totals.skipped ?? 0} skipped${lint ? `; npm run lint ${lintFailed ? 'FAILED (its output is above)' : 'passed'}` : ''}`,
);
process.exit(failed ? 1 : 0);
