import { spawn } from 'node:child_process';
import { access, rm } from 'node:fs/promises';
import { join, posix, relative, sep } from 'node:path';
import { UserError } from '../../util/errors.js';
import { command, hinted } from '../../util/hints.js';
import { findLinkOut, UnsafePathError } from '../paths.js';
import { addToGitignore } from '../repo.js';
import { saveToCache } from '../save.js';
import type { Stage } from './dvcyaml.js';
import { type LockEntry, type LockStage, writeLockStage } from './lock.js';
import { readStageParams } from './params.js';
import { restoreOutputs } from './restore-outputs.js';
import type { StageRun } from './run-context.js';
import { keepsRunCache, saveRunCache } from './run-cache.js';
import { withIsexec } from './status.js';

/** A stage command that exited non-zero or was interrupted; dvc.lock keeps its previous entry. */
export class StageFailedError extends UserError {
  constructor(
    readonly stage: string,
    detail: string,
  ) {
    super(hinted`stage "${stage}" failed: ${detail}; dvc.lock was left unchanged for it. Fix the cause and run ${command('repro')} again`);
  }
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

function runCommand(cmd: string, cwd: string, stdio: 'inherit' | 'ignore', signal?: AbortSignal): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, { cwd, shell: true, stdio: ['ignore', stdio, stdio], signal });
    child.on('error', (error) => reject(error));
    child.on('close', (code, sig) => {
      if (code === 0) resolvePromise();
      else reject(new Error(sig ? `\`${cmd}\` was stopped by ${sig}` : `\`${cmd}\` exited with status ${code}`));
    });
  });
}

async function lockEntries(
  stage: Stage,
  paths: readonly string[],
  hashOne: (abs: string) => Promise<Omit<LockEntry, 'path'> | undefined>,
  kind: string,
): Promise<LockEntry[]> {
  const result: LockEntry[] = [];
  for (const path of paths) {
    const entry = await hashOne(join(stage.wdir, path));
    if (!entry)
      throw new StageFailedError(
        stage.name,
        `its ${kind} "${path}" does not exist after the command ran; make the command write it or remove it from dvc.yaml`,
      );
    result.push({ path, ...entry });
  }
  return result;
}

/** What became of a stage that ran (or whose outputs were restored), and whether dvc.lock changed by it. */
export interface StageRunResult {
  action: 'ran' | 'restored';
  lockChanged: boolean;
}

/** Runs one stage (or restores its outputs from the cache) and, only when everything succeeded, records it in dvc.lock. */
export async function runStage(run: StageRun): Promise<StageRunResult> {
  const { repo, stage, memo, options } = run;
  // Outputs are removed, cached and git-ignored: never through a link that leads out of the repository.
  const folders = stage.outs.map((out) => posix.dirname(relative(repo.root, join(stage.wdir, out.path)).split(sep).join('/')));
  const linkOut = await findLinkOut(repo.root, folders);
  if (linkOut) {
    throw new UnsafePathError(
      `stage "${stage.name}": an output lies below ${linkOut.link}, a symbolic link to ${linkOut.target} outside the repository, and repro does not remove or write through it; replace the link with a real folder and run the command again`,
    );
  }
  for (const out of stage.outs) if (!out.persist) await rm(join(stage.wdir, out.path), { recursive: true, force: true });
  const restored = !options.force && (await restoreOutputs(run));
  if (!restored) {
    const commands = Array.isArray(stage.cmd) ? stage.cmd : [stage.cmd];
    for (const cmd of commands) {
      try {
        await runCommand(cmd, stage.wdir, options.stdio ?? 'inherit', options.signal);
      } catch (error) {
        throw new StageFailedError(stage.name, (error as Error).name === 'AbortError' ? 'interrupted' : (error as Error).message);
      }
    }
  }
  memo.clear();
  const deps = await lockEntries(stage, stage.deps, async (abs) => memo.lockEntry(abs), 'dependency');
  const outs: LockEntry[] = [];
  for (const out of stage.outs) {
    const [entry] = await lockEntries(
      stage,
      [out.path],
      async (abs) => {
        if (!out.cache || !(await exists(abs))) return memo.lockEntry(abs);
        return withIsexec(abs, await saveToCache(repo, abs));
      },
      'output',
    );
    if (out.cache) await addToGitignore(join(stage.wdir, out.path));
    outs.push(entry!);
  }
  const params = await readStageParams(stage.wdir, stage.name, stage.params);
  const entry: LockStage = { cmd: stage.cmd, deps, params, outs };
  if (keepsRunCache(stage)) {
    // As DVC does for its run-cache, the cache: false outputs (metrics, plots) are stored too.
    for (const out of stage.outs) if (!out.cache) await saveToCache({ ...repo, linkType: 'copy' }, join(stage.wdir, out.path));
    await saveRunCache(repo.cacheDir, entry);
  }
  const lockChanged = await writeLockStage(repo.root, stage.name, entry);
  memo.clear();
  return { action: restored ? 'restored' : 'ran', lockChanged };
}
