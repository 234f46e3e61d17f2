import { execFile } from 'node:child_process';

/**
 * The project's one way to run the `git` command (as DVC asks its git library): the DVC layer's
 * few git facts (staging the files `dvc init` stages, the plumbing experiments are recorded with),
 * and, through src/dvc/index.ts, the layers above. Outside a git checkout (or without git) the DVC
 * layer's questions have quiet answers.
 */

export interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface GitOptions {
  /** Written to git's stdin (which is closed either way, so no command waits for it). */
  input?: string;
  env?: NodeJS.ProcessEnv;
  /** `-c name=value` settings for this one command, left out of error messages: an auth header is one. */
  config?: Readonly<Record<string, string>>;
}

/** A git command that exited non-zero: the message names the command, the folder it ran in and git's stderr. */
export class GitError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly cwd: string,
    readonly result: GitResult,
  ) {
    super(`git ${args.join(' ')} failed in ${cwd}: ${result.stderr.trim() || `exit code ${result.code}`}`);
    this.name = 'GitError';
  }
}

/** Runs git in `cwd`; never throws for a non-zero exit (the caller reads `code`), only when git cannot start. */
export function runGit(args: readonly string[], cwd: string, options: GitOptions = {}): Promise<GitResult> {
  const config = Object.entries(options.config ?? {}).flatMap(([name, value]) => ['-c', `${name}=${value}`]);
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      [...config, ...args],
      { cwd, env: options.env ?? process.env, maxBuffer: 256 << 20, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error && typeof error.code === 'string') return reject(error as Error);
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
    // A git that exits before reading stdin (most commands take none) must not fail the command.
    child.stdin?.on('error', () => {});
    child.stdin?.end(options.input ?? '');
  });
}

/** Runs git in `cwd` and returns its stdout; a non-zero exit throws a `GitError`. */
export async function git(args: readonly string[], cwd: string, options: GitOptions = {}): Promise<string> {
  const result = await runGit(args, cwd, options);
  if (result.code !== 0) throw new GitError(args, cwd, result);
  return result.stdout;
}

/** The top of the git work tree holding `dir`, or undefined outside one (or without git). */
async function gitRoot(dir: string): Promise<string | undefined> {
  const result = await runGit(['rev-parse', '--show-toplevel'], dir).catch(() => undefined);
  return result?.code === 0 ? result.stdout.trim() : undefined;
}

/** `git add` of `paths` (relative to `cwd`); false when `cwd` is not in a git work tree. */
export async function gitAdd(paths: readonly string[], cwd: string): Promise<boolean> {
  if ((await gitRoot(cwd)) === undefined) return false;
  await git(['add', '--', ...paths], cwd);
  return true;
}
