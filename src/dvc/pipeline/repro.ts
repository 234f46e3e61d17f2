import { resolve } from 'node:path';
import { UserError } from '../../util/errors.js';
import { command, hinted } from '../../util/hints.js';
import { findRepoRoot, loadRepo } from '../repo.js';
import { withRepoLockAt } from '../repo-lock.js';
import { readPipeline } from './dvcyaml.js';
import { executionOrder, upstreamOf } from './graph.js';
import { readLock } from './lock.js';
import { applyOverrides, overriddenParams } from './params.js';
import type { StageRunOptions } from './run-context.js';
import { runStage } from './run-stage.js';
import { HashMemo, stageStatus, type StageStatus } from './status.js';

export interface ReproOptions extends StageRunOptions {
  /** Project root holding dvc.yaml, params.yaml and .dvc/. */
  root: string;
  /** Reproduce only this stage and the stages it depends on. */
  target?: string;
  /** Decide and report, run nothing, write nothing. */
  dry?: boolean;
  /** `-S` overrides applied to the params files first (DVC's rules). */
  set?: readonly string[];
}

export interface StageOutcome extends StageStatus {
  /** What happened: ran, restored from the cache instead of running, up to date (skipped), frozen, or would run (dry). */
  action: 'ran' | 'restored' | 'unchanged' | 'frozen' | 'would run';
  seconds?: number;
  /** For a stage that ran or was restored: whether its dvc.lock entry changed (false when it made the same outputs from the same inputs). */
  lockChanged?: boolean;
}

/**
 * `dvc repro` natively: stages in dependency order, each run only when stale (or forced), outputs
 * stored in the DVC cache, dvc.lock updated stage by stage after each success (left as it is when a
 * stage's entry comes out the same). The first failure stops the run; stages already done keep
 * their new lock entries, the failed one keeps its old one.
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
    const { action, lockChanged } = await runStage({ repo, stage, locked: lock.get(stage.name), status, memo, options });
    const seconds = (Date.now() - started) / 1000;
    outcomes.push({ ...status, action, seconds, lockChanged });
    log(`Stage '${stage.name}' ${action === 'ran' ? 'done' : 'restored'} in ${seconds.toFixed(1)} s; dvc.lock ${lockChanged ? 'updated' : 'unchanged'}`);
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
