import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { FsError } from '../../util/errno.js';
import { UserError } from '../../util/errors.js';
import { hashPath, type HashInfo } from '../hash.js';
import { IgnoreRules } from '../dvcignore.js';
import type { Stage } from './dvcyaml.js';
import type { Lock, LockEntry } from './lock.js';
import { readStageParams } from './params.js';
import { pyEqual, pyShow, type PyValue } from '../yaml/values.js';

/** Hashes workspace paths once per decision round; cleared after a stage changes the workspace. */
export class HashMemo {
  private readonly memo = new Map<string, Promise<HashInfo | undefined>>();
  private readonly rules: IgnoreRules;

  constructor(readonly root: string) {
    this.rules = new IgnoreRules(root);
  }

  /** The DVC hash of `path`, or undefined when it does not exist. */
  hash(path: string): Promise<HashInfo | undefined> {
    let pending = this.memo.get(path);
    if (!pending) {
      pending = hashPath(path, { root: this.root, ignore: this.rules }).catch((error: unknown) => {
        // Only the path itself missing; a dangling link inside it is the user's to fix.
        if (error instanceof UserError && !(error instanceof FsError) && / does not exist/.test(error.message)) return undefined;
        throw error;
      });
      this.memo.set(path, pending);
    }
    return pending;
  }

  /** `hash(path)` plus `isexec` for an executable file, as dvc.lock records a dep or an out. */
  async lockEntry(path: string): Promise<(HashInfo & { isexec?: boolean }) | undefined> {
    const hash = await this.hash(path);
    return hash ? withIsexec(path, hash) : undefined;
  }

  clear(): void {
    this.memo.clear();
  }
}

/** DVC's `isexec`: any execute bit of a regular file. */
async function isExecutable(path: string): Promise<boolean> {
  const info = await stat(path).catch(() => undefined);
  return info !== undefined && info.isFile() && (info.mode & 0o111) !== 0;
}

/** The hash of the file or folder at `path` with `isexec: true` added when it is an executable file. */
export async function withIsexec(path: string, hash: HashInfo): Promise<HashInfo & { isexec?: boolean }> {
  if (hash.nfiles !== undefined) return hash;
  return (await isExecutable(path)) ? { ...hash, isexec: true } : hash;
}

export interface StageStatus {
  stage: string;
  /** True when the stage must run (never true for a frozen stage). */
  stale: boolean;
  frozen: boolean;
  /** Why it is stale, one line each (`dep modified: data/prepared`). */
  reasons: string[];
}

async function compareEntries(
  kind: 'dep' | 'out',
  wdir: string,
  paths: readonly string[],
  locked: readonly LockEntry[],
  memo: HashMemo,
  reasons: string[],
): Promise<void> {
  const byPath = new Map(locked.map((e) => [e.path, e]));
  for (const path of paths) {
    const current = await memo.hash(join(wdir, path));
    const before = byPath.get(path);
    if (!current) reasons.push(`${kind} deleted: ${path}`);
    else if (!before) reasons.push(`${kind} new: ${path}`);
    // size and nfiles are not compared: DVC decides on the hash alone.
    else if (before.md5 !== current.md5) reasons.push(`${kind} modified: ${path}`);
  }
  for (const entry of locked) if (!paths.includes(entry.path)) reasons.push(`${kind} removed from dvc.yaml: ${entry.path}`);
}

/**
 * The staleness rules of docs/dvc-format.md §5, applied to one stage against its dvc.lock entry;
 * `overriddenParams` are params documents that replace their files (see `readStageParams`).
 */
export async function stageStatus(stage: Stage, lock: Lock, memo: HashMemo, overriddenParams?: ReadonlyMap<string, PyValue>): Promise<StageStatus> {
  if (stage.frozen) return { stage: stage.name, stale: false, frozen: true, reasons: ['frozen'] };
  const reasons: string[] = [];
  const locked = lock.get(stage.name);
  if (stage.alwaysChanged) reasons.push('always_changed');
  if (stage.deps.length === 0 && stage.outs.length === 0) reasons.push('no deps or outs (always runs)');
  if (!locked) {
    reasons.push('not in dvc.lock (never run)');
    return { stage: stage.name, stale: true, frozen: false, reasons };
  }
  if (!isDeepStrictEqual(stage.cmd, locked.cmd)) reasons.push('cmd changed');
  await compareEntries('dep', stage.wdir, stage.deps, locked.deps, memo, reasons);
  const current = await readStageParams(stage.wdir, stage.name, stage.params, overriddenParams);
  for (const file of new Set([...Object.keys(current), ...Object.keys(locked.params)])) {
    const now = current[file] ?? {};
    const then = locked.params[file] ?? {};
    for (const key of new Set([...Object.keys(now), ...Object.keys(then)])) {
      if (!(key in then)) reasons.push(`param new: ${file} ${key}`);
      else if (!(key in now)) reasons.push(`param removed: ${file} ${key}`);
      else if (!pyEqual(now[key]!, then[key]!)) reasons.push(`param changed: ${file} ${key} (${pyShow(then[key]!)} → ${pyShow(now[key]!)})`);
    }
  }
  await compareEntries(
    'out',
    stage.wdir,
    stage.outs.map((o) => o.path),
    locked.outs,
    memo,
    reasons,
  );
  return { stage: stage.name, stale: reasons.length > 0, frozen: false, reasons };
}
