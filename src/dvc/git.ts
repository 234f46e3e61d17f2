import { execFile } from 'node:child_process';

/**
 * The few git facts the DVC layer needs, asked of the `git` command (as DVC asks its git library):
 * staging the files `dvc init` stages, and the plumbing experiments are recorded with. Outside a
 * git checkout (or without git) every question has a quiet answer.
 */

export interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs git; never throws for a non-zero exit (the caller reads `code`), only when git cannot start. */
export function runGit(args: readonly string[], cwd: string, options: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = execFile('git', [...args], { cwd, env: options.env ?? process.env, maxBuffer: 64 << 20, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error && typeof error.code === 'string') return reject(error as Error);
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** The top of the git work tree holding `dir`, or undefined outside one (or without git). */
async function gitRoot(dir: string): Promise<string | undefined> {
  const result = await runGit(['rev-parse', '--show-toplevel'], dir).catch(() => undefined);
  return result?.code === 0 ? result.stdout.trim() : undefined;
}

/** `git add` of `paths` (relative to `cwd`); false when `cwd` is not in a git work tree. */
export async function gitAdd(paths: readonly string[], cwd: string): Promise<boolean> {
  if ((await gitRoot(cwd)) === undefined) return false;
  const result = await runGit(['add', '--', ...paths], cwd);
  if (result.code !== 0) throw new Error(`git add ${paths.join(' ')} failed: ${result.stderr.trim()}`);
  return true;
}
