import { execFile, spawn } from 'node:child_process';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';

/**
 * The real DVC (3.64.0) as the tests' oracle: its command through `REAL_DVC` (see .ci/run), and its
 * own Python functions through the same install. Without `REAL_DVC`, `realDvcSkip` is the reason
 * each test gives for skipping.
 */

const run = promisify(execFile);

export const REAL_DVC = process.env['REAL_DVC'];
export const realDvcSkip: string | false = REAL_DVC
  ? false
  : 'REAL_DVC is not set (the real DVC 3.x command; .ci/run sets it up, see /work/shared/tools/realdvc/README.md)';

/** Runs the real `dvc` in `cwd` with a private site cache and a git identity; rejects with its output on failure. */
export async function dvc(cwd: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  try {
    const { stdout } = await run(REAL_DVC!, [...args], {
      cwd,
      env: { ...process.env, ...gitIdentity, DVC_SITE_CACHE_DIR: join(cwd, '..', '.dvc-site-cache'), ...env },
      maxBuffer: 64 << 20,
    });
    return stdout;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`dvc ${args.join(' ')} failed in ${cwd}: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

export const gitIdentity = {
  GIT_AUTHOR_NAME: 'Parity',
  GIT_AUTHOR_EMAIL: 'parity@example.com',
  GIT_COMMITTER_NAME: 'Parity',
  GIT_COMMITTER_EMAIL: 'parity@example.com',
};

export async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('git', args, { cwd, env: { ...process.env, ...gitIdentity }, maxBuffer: 64 << 20 });
  return stdout;
}

/**
 * Runs Python `source` with the real DVC's packages importable, `input` on stdin; returns stdout.
 * For DVC's own functions where no command prints what a test compares (its YAML writer).
 */
export function dvcPython(source: string, input: string, args: readonly string[] = []): Promise<string> {
  // setup.sh writes the wrapper as DEST/dvc and DEST/bin/dvc; the packages are in DEST/site.
  const dest = dirname(REAL_DVC!);
  const site = join(basename(dest) === 'bin' ? dirname(dest) : dest, 'site');
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/python3', ['-s', '-c', source, ...args], { env: { ...process.env, PYTHONPATH: site }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`python with DVC's packages failed (${code}): ${stderr}`))));
    child.stdin.end(input);
  });
}

/** Names the issue lists as awkward, plus unicode, spaces, leading dashes, quotes and long ones. */
export const AWKWARD_NAMES = [
  '2024-01-01',
  '=',
  '<<',
  '123',
  'null',
  'true',
  'True',
  '1e3',
  '[x]',
  '*star',
  '#hash',
  '~',
  '1.0',
  '?q',
  '!bang',
  'données été',
  '日本語',
  'with space',
  '-dash',
  '--double',
  "it's",
  'key: value',
  'x #y',
  '0x1F',
  '1_000',
  '.inf',
  '@at',
  '%pct',
  '`tick',
  '"dq"',
  '{brace}',
  'a,b',
  'trailing ',
  'line\u2028separator',
  'tab\tname',
  ' leading',
  `deep/${'long-folder-name/'.repeat(6)}file with spaces and more words.txt`,
  'x'.repeat(130),
];
