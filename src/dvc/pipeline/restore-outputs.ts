import { join } from 'node:path';
import { checkoutFromCache } from '../workspace/checkout.js';
import type { Stage } from './dvcyaml.js';
import type { LockStage } from './lock.js';
import { readStageParams } from './params.js';
import type { StageRun } from './run-context.js';
import { canHashStage, loadRunCache, outputsCached, runCacheKey } from './run-cache.js';
import type { HashMemo } from './status.js';

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
 */
export async function restoreOutputs({ repo, stage, locked, status, memo, options }: StageRun): Promise<boolean> {
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
