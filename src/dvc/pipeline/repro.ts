import { spawn } from 'node:child_process';
import { access, rm } from 'node:fs/promises';
import { join, posix, relative, resolve, sep } from 'node:path';
import { UserError } from '../../util/errors.js';
import { command, hinted } from '../../util/hints.js';
import { saveToCache } from '../save.js';
import { checkoutFromCache } from '../workspace/checkout.js';
import { findLinkOut, UnsafePathError } from '../paths.js';
import { addToGitignore, findRepoRoot, loadRepo, type Repo } from '../repo.js';
import { withRepoLockAt } from '../repo-lock.js';
import { readPipeline, type Stage } from './dvcyaml.js';
import { executionOrder, upstreamOf } from './graph.js';
import { type LockEntry, type LockStage, readLock, writeLockStage } from './lock.js';
import { applyOverrides, overriddenParams, readStageParams } from './params.js';
import { canHashStage, keepsRunCache, loadRunCache, outputsCached, runCacheKey, saveRunCache } from './run-cache.js';
import { HashMemo, stageStatus, type StageStatus, withIsexec } from './status.js';

export interface ReproOptions {
  /** Project root holding dvc.yaml, params.yaml and .dvc/. */
  root: string;
  /** Reproduce only this stage and the stages it depends on. */
  target?: string;
  /** Run every selected stage even when nothing changed (frozen ones still never run). */
  force?: boolean;
  /** Decide and report, run nothing, write nothing. */
  dry?: boolean;
  /** `-S` overrides applied to the params files first (DVC's rules). */
  set?: readonly string[];
  /** Look stale stages up in the run-cache (default true; `--no-run-cache` sets false). Forced stages always run. */
  runCache?: boolean;
  /** Where stage commands print (default: this process's stdout/stderr). */
  stdio?: 'inherit' | 'ignore';
  log?: (line: string) => void;
  signal?: AbortSignal;
}

export interface StageOutcome extends StageStatus {
  /** What happened: ran, restored from the cache instead of running, up to date (skipped), frozen, or would run (dry). */
  action: 'ran' | 'restored' | 'unchanged' | 'frozen' | 'would run';
  seconds?: number;
}

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

/** The stage's command, deps and params as they are now, in a lock entry without outputs (what the run-cache is keyed on). */
async function currentInputs(stage: Stage, memo: HashMemo): Promise<LockStage | undefined> {
  const deps = await Promise.all(stage.deps.map(async (path) => ({ path, entry: await memo.lockEntry(join(stage.wdir, path)) })));
  if (deps.some((d) => d.entry === undefined)) return undefined;
  const params = await readStageParams(stage.wdir, stage.name, stage.params);
  return { cmd: stage.cmd, deps: deps.map((d) => ({ path: d.path, ...d.entry! })), params, outs: stage.outs.map((o) => ({ path: o.path, md5: '', size: 0 })) };
}

/**
 * DVC's `stage_cache.restore`: when the stage's command, deps and params are what dvc.lock says (only
 * outputs are missing or changed), or the run-cache holds an entry for them, and every output of
 * that entry is in the cache, the outputs are checked out instead of running the command.
 * `status` is the stage's status against `locked`, as reproduce decided to run it.
 */
async function restoreOutputs(
  repo: Repo,
  stage: Stage,
  locked: LockStage | undefined,
  status: StageStatus,
  memo: HashMemo,
  options: ReproOptions,
): Promise<boolean> {
  if (!canHashStage(stage)) return false;
  // Only outputs differ from dvc.lock: the lock entry itself says what to check out.
  const unchanged =
    locked !== undefined && stage.outs.every((o) => locked.outs.some((l) => l.path === o.path)) && status.reasons.every((reason) => reason.startsWith('out '));
  let entry: LockStage | undefined = unchanged ? locked : undefined;
  if (!entry && options.runCache !== false) {
    const current = await currentInputs(stage, memo);
    if (current) entry = await loadRunCache(repo.cacheDir, runCacheKey(current));
  }
  if (!entry || !(await outputsCached(repo.cacheDir, entry.outs))) return false;
  options.log?.(`Stage '${stage.name}' is cached - skipping run, checking out outputs`);
  for (const out of entry.outs) {
    const declared = stage.outs.find((o) => o.path === out.path);
    // A cache: false output is checked out as a plain copy, like a file from git.
    const target = declared?.cache === false ? { ...repo, linkType: 'copy' as const } : repo;
    await checkoutFromCache(target, out, join(stage.wdir, out.path), { force: true });
  }
  return true;
}

/** Runs one stage (or restores its outputs from the cache) and, only when everything succeeded, records it in dvc.lock. */
async function runStage(
  repo: Repo,
  stage: Stage,
  locked: LockStage | undefined,
  status: StageStatus,
  memo: HashMemo,
  options: ReproOptions,
): Promise<'ran' | 'restored'> {
  // Outputs are removed, cached and git-ignored: never through a link that leads out of the repository.
  const folders = stage.outs.map((out) => posix.dirname(relative(repo.root, join(stage.wdir, out.path)).split(sep).join('/')));
  const linkOut = await findLinkOut(repo.root, folders);
  if (linkOut) {
    throw new UnsafePathError(
      `stage "${stage.name}": an output lies below ${linkOut.link}, a symbolic link to ${linkOut.target} outside the repository, and repro does not remove or write through it; replace the link with a real folder and run the command again`,
    );
  }
  for (const out of stage.outs) if (!out.persist) await rm(join(stage.wdir, out.path), { recursive: true, force: true });
  const restored = !options.force && (await restoreOutputs(repo, stage, locked, status, memo, options));
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
  await writeLockStage(repo.root, stage.name, entry);
  memo.clear();
  return restored ? 'restored' : 'ran';
}

/**
 * `dvc repro` natively: stages in dependency order, each run only when stale (or forced), outputs
 * stored in the DVC cache, dvc.lock updated stage by stage after each success. The first failure
 * stops the run; stages already done keep their new lock entries, the failed one keeps its old one.
 */
export async function reproduce(options: ReproOptions): Promise<StageOutcome[]> {
  // A dry run writes nothing; a real one holds the repository lock from its -S edit to its last stage.
  return options.dry ? reproduceLocked(options) : withRepoLockAt(resolve(options.root), () => reproduceLocked(options));
}

async function reproduceLocked(options: ReproOptions): Promise<StageOutcome[]> {
  const log = options.log ?? (() => {});
  const root = resolve(options.root);
  const set = options.set ?? [];
  // Everything that can fail is checked before params files change, so a mistake leaves them as they were.
  const overridden = set.length > 0 ? await overriddenParams(root, set) : undefined;
  const pipeline = await readPipeline(root);
  if ((await findRepoRoot(root)) !== root) {
    throw new UserError(hinted`${root} is not a DVC repository (no .dvc/ folder), so stage outputs have no cache; run ${command('init')} there first`);
  }
  const repo = await loadRepo(root);
  const order = executionOrder(pipeline, options.target);
  if (overridden && !options.dry) await applyOverrides(root, set);
  const memo = new HashMemo(root);
  const outcomes: StageOutcome[] = [];
  const pending = new Set<string>();
  for (const stage of order) {
    const lock = await readLock(root);
    const status = await stageStatus(stage, lock, memo, options.dry ? overridden : undefined);
    if (status.frozen) {
      outcomes.push({ ...status, action: 'frozen' });
      log(`Stage '${stage.name}' is frozen; skipping`);
      continue;
    }
    const upstreamPending = upstreamOf(pipeline, stage).filter((s) => pending.has(s.name));
    const run = options.force || status.stale;
    if (options.dry) {
      if (run || upstreamPending.length > 0) {
        const reasons = run
          ? status.reasons.length > 0
            ? status.reasons
            : ['forced']
          : [`after ${upstreamPending.map((s) => s.name).join(', ')} runs, if its outputs change`];
        pending.add(stage.name);
        outcomes.push({ ...status, reasons, action: 'would run' });
        log(`Would run stage '${stage.name}': ${reasons.join('; ')}`);
      } else {
        outcomes.push({ ...status, action: 'unchanged' });
        log(`Stage '${stage.name}' didn't change, skipping`);
      }
      continue;
    }
    if (!run) {
      outcomes.push({ ...status, action: 'unchanged' });
      log(`Stage '${stage.name}' didn't change, skipping`);
      continue;
    }
    log(`Running stage '${stage.name}'${status.reasons.length > 0 ? ` (${status.reasons.join('; ')})` : ' (forced)'}:`);
    const started = Date.now();
    const action = await runStage(repo, stage, lock.get(stage.name), status, memo, options);
    const seconds = (Date.now() - started) / 1000;
    outcomes.push({ ...status, action, seconds });
    log(`Stage '${stage.name}' ${action === 'ran' ? 'done' : 'restored'} in ${seconds.toFixed(1)} s; dvc.lock updated`);
  }
  return outcomes;
}

/** `dvc status` for pipelines: every stage's staleness without running anything. */
export async function pipelineStatus(root: string, target?: string): Promise<StageStatus[]> {
  const pipeline = await readPipeline(root);
  const lock = await readLock(root);
  const memo = new HashMemo(root);
  const result: StageStatus[] = [];
  for (const stage of executionOrder(pipeline, target)) result.push(await stageStatus(stage, lock, memo));
  return result;
}
