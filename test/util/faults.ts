/**
 * What the fault tests share: the shells run as users run them (the CLI as `node dist/src/cli.js`,
 * an action as the runner starts it) and the check that their output carries no stack trace.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// The one import of the action harness in the fault tests.
export { runActionProcess, type ActionRun } from '../actions/local-runner.js';

export const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));

/**
 * A stack frame in process output: `    at fn (file:…)` on a line of its own, also inside the
 * `::error::` and `::debug::` commands of an action, which write newlines as %0A.
 */
export const STACK_FRAME = /(?:^|\n|%0A) {4}at \S/;

export function assertNoStack(text: string, what: string): void {
  assert.doesNotMatch(text, STACK_FRAME, `${what} printed a stack trace:\n${text}`);
}

export function assertStack(text: string, what: string): void {
  assert.match(text, STACK_FRAME, `${what} printed no stack trace:\n${text}`);
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** This process's environment without the switch that turns stacks on (so a test sees what a user sees). */
export function plainEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env['CIFAR10_VERBOSE'];
  return { ...env, ...extra };
}

/** Runs `cifar10 <args>` in `cwd` to its end, failing or not. */
export async function runCli(cwd: string, args: readonly string[], env: NodeJS.ProcessEnv = plainEnv()): Promise<CliRun> {
  return runScript(CLI, cwd, args, env);
}

/** Runs `node <script> <args>` in `cwd` to its end, failing or not. */
export async function runScript(script: string, cwd: string, args: readonly string[], env: NodeJS.ProcessEnv = plainEnv()): Promise<CliRun> {
  const child = spawn(process.execPath, [script, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, stdout, stderr };
}
