import type { Repo } from '../repo.js';
import type { Stage } from './dvcyaml.js';
import type { LockStage } from './lock.js';
import type { HashMemo, StageStatus } from './status.js';

/** What `repro` passes down to each stage it runs (the rest of ReproOptions is the loop's). */
export interface StageRunOptions {
  /** Run every selected stage even when nothing changed (frozen ones still never run). */
  force?: boolean;
  /** Look stale stages up in the run-cache (default true; `--no-run-cache` sets false). Forced stages always run. */
  runCache?: boolean;
  /** Where stage commands print (default: this process's stdout/stderr). */
  stdio?: 'inherit' | 'ignore';
  log?: (line: string) => void;
  signal?: AbortSignal;
}

/** One stage that `repro` decided to run, with what it knows of it. */
export interface StageRun {
  repo: Repo;
  stage: Stage;
  /** The stage's entry in dvc.lock before this run, if any. */
  locked: LockStage | undefined;
  /** The stage's status against `locked`, as reproduce decided to run it. */
  status: StageStatus;
  /** Hashes of this run, shared by the stages so a path is hashed once until something writes. */
  memo: HashMemo;
  options: StageRunOptions;
}
