import { spawn } from 'node:child_process';
import { open, readFile } from 'node:fs/promises';

/** How long a stage may take to exit after SIGTERM before it is killed. */
const STOP_GRACE_MS = 5000;

/**
 * Runs one stage process (`node <runner> …args`) with its output appended to `logFile`. When
 * `signal` aborts, the stage gets SIGTERM (SIGKILL after a grace period), and this returns only
 * once it has exited: whoever reports the interruption can say that nothing of the run is left
 * running.
 */
export async function runStageProcess(
  runner: string,
  args: readonly string[],
  cwd: string,
  logFile: string,
  env: NodeJS.ProcessEnv | undefined,
  signal?: AbortSignal,
): Promise<void> {
  if (signal?.aborted) throw new Error('interrupted');
  const handle = await open(logFile, 'a');
  try {
    await handle.write(`$ ${args.join(' ')}\n`);
    await new Promise<void>((resolvePromise, reject) => {
      const child = spawn(process.execPath, [runner, ...args], { cwd, env: env ?? process.env, stdio: ['ignore', handle.fd, handle.fd] });
      const stop = () => {
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS).unref();
      };
      signal?.addEventListener('abort', stop, { once: true });
      child.on('error', reject);
      child.on('close', (code, sig) => {
        signal?.removeEventListener('abort', stop);
        if (code === 0) resolvePromise();
        else reject(new Error(signal?.aborted ? 'interrupted' : sig ? `stopped by ${sig}` : `exit status ${code}`));
      });
    });
  } finally {
    await handle.close();
  }
}

/** The last `lines` lines of a log, for a failure message. */
export async function tail(file: string, lines: number): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
