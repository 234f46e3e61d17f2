#!/usr/bin/env node
// Runs every compiled test file with Node's built-in runner. Node 20's --test takes no globs, so the
// files are listed here; extra arguments (e.g. a folder or file filter) narrow the set. Without
// arguments, CIFAR10_TEST_FILTER (comma-separated) narrows it: the workflow tests run ci.yml, whose
// test step calls this script, and set it so that run does not start the whole suite again.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function testFiles(dir) {
  const found = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...testFiles(path));
    else if (name.endsWith('.test.js')) found.push(path);
  }
  return found;
}

const fromEnv = (process.env.CIFAR10_TEST_FILTER ?? '').split(',').map((f) => f.trim()).filter(Boolean);
const filters = process.argv.length > 2 ? process.argv.slice(2) : fromEnv;
const files = testFiles('dist/test').filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error(`no test files found under dist/test${filters.length ? ` matching ${filters.join(', ')}` : ''}; run \`npm run build\` first`);
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--test', '--test-reporter=spec', ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
