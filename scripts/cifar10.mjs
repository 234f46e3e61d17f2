#!/usr/bin/env node
// `npm run cifar10 -- <command> …`: the CLI from this checkout, whatever state dist/ is in. It builds
// first when dist/src/cli.js is missing or older than a file under src/, then runs it with the
// arguments, passing its exit status on. (`npx cifar10` depends on npm having linked the package's
// own bin, which one checkout here did not do after `npm ci && npm run build`.)
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'src', 'cli.js');

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

const built = (() => {
  try {
    return statSync(cli).mtimeMs;
  } catch {
    return -1;
  }
})();
if (built < newestMtime(join(root, 'src'))) {
  process.stderr.write(
    built < 0 ? 'cifar10: building the CLI first (npm run build)\n' : 'cifar10: src/ changed since the last build; rebuilding (npm run build)\n',
  );
  const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (build.status !== 0) {
    process.stderr.write('cifar10: `npm run build` failed (see above); fix the error and run the command again\n');
    process.exit(build.status ?? 1);
  }
}
const child = spawn(process.execPath, [cli, ...process.argv.slice(2)], { stdio: 'inherit' });
// Ctrl-C reaches the CLI too (same process group); it stops cleanly, and this waits for it.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => {});
child.on('close', (code, signal) => {
  if (signal) {
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  } else process.exit(code ?? 1);
});
