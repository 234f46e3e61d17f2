import { execFile, spawn } from 'node:child_process';
import { copyFile, mkdir, open, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { arch, cpus, hostname, platform } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseVersionSpec } from '../data/versions.js';
import { applyOverrides, hashPath, readDvcFile, withRepoLockAt } from '../dvc/index.js';
import { readMetricsJson, type MetricsFile } from '../evaluate/report-files.js';
import { tempPathFor, writeFileAtomic } from '../util/atomic.js';
import { UserError } from '../util/errors.js';
import { TIMING_FILE } from '../util/timing.js';
import { BUNDLE_FILES, DEFAULT_RESULTS_DIR, runIdFor, type RunManifest } from './bundle.js';
import { checkRunParams } from './run-params.js';

const run = promisify(execFile);

/** This package's CLI, which every cell runs its stages with. */
export const DEFAULT_CLI = fileURLToPath(new URL('../cli.js', import.meta.url));

/** The stages a cell runs, with the flags fixed in docs/architecture.md; paths are relative to the cell folder. */
export const CELL_STAGES: readonly { name: string; args: readonly string[] }[] = [
  { name: 'prepare', args: ['prepare', '--params', 'params.yaml'] },
  { name: 'train', args: ['train', '--params', 'params.yaml'] },
  { name: 'evaluate', args: ['evaluate', '--params', 'params.yaml'] },
];

export interface CellOptions {
  /** Project root holding params.yaml (the base params) and data/partitions. */
  root: string;
  seed: number;
  /** Version spec, e.g. `v1+v2`. */
  versions: string;
  /** Further `-S` overrides (`train.epochs=5`), applied before seed and versions. */
  overrides?: readonly string[];
  /** Where the bundle folder goes (default `<root>/results/experiments`). */
  resultsDir?: string;
  /** Scratch folder of the cell (default `<root>/.cache/experiments/<run-id>`); removed after success. */
  workDir?: string;
  /** Shared, read-only partitions (default `<root>/data/partitions`). */
  partitionsDir?: string;
  /** Partition hashes when the caller knows them (a matrix computes them once). */
  dataHashes?: Record<string, string>;
  /** The CLI that runs the stages (default: this package's `dist/src/cli.js`). */
  cli?: string;
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
  signal?: AbortSignal;
}

export interface CellResult {
  runId: string;
  /** The complete bundle folder. */
  bundleDir: string;
  manifest: RunManifest;
  metrics: MetricsFile;
}

/** A cell whose stage failed; its work folder and log are kept for a look. */
export class CellFailedError extends UserError {
  constructor(
    readonly runId: string,
    readonly stage: string,
    readonly logFile: string,
    detail: string,
  ) {
    super(`experiment ${runId}: stage "${stage}" failed (${detail}); see ${logFile}. Re-running the matrix retries this cell`);
  }
}

/** The overrides that make a cell's params: the extra ones first, then its seed and version spec. */
export function cellOverrides(cell: { seed: number; versions: string }, overrides: readonly string[]): string[] {
  return [...overrides, `train.seed=${cell.seed}`, `data.versions=${cell.versions}`];
}

/** The git commit of `root` and whether tracked files differ from it; nulls outside a git checkout. */
export async function gitState(root: string): Promise<RunManifest['git']> {
  try {
    const { stdout: commit } = await run('git', ['rev-parse', 'HEAD'], { cwd: root });
    const { stdout: changes } = await run('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: root });
    return { commit: commit.trim(), dirty: changes.trim().length > 0 };
  } catch {
    return { commit: null, dirty: null };
  }
}

/** DVC hash of each partition: from its `.dvc` file when there is one, else hashed now. */
export async function partitionHashes(partitionsDir: string, partitions: readonly string[]): Promise<Record<string, string>> {
  const hashes: Record<string, string> = {};
  for (const name of partitions) {
    const dir = join(partitionsDir, name);
    // Only a missing .dvc file means "not versioned"; a broken one is the user's to fix, not to hash around.
    const recorded = await readDvcFile(`${dir}.dvc`).then(
      (dvc) => dvc.outs[0]?.md5,
      (error: Error) => ((error.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT' ? undefined : Promise.reject(error)),
    );
    hashes[name] = recorded ?? (await hashPath(dir)).md5;
  }
  return hashes;
}

export function hostFacts(): RunManifest['host'] {
  const cores = cpus();
  return { name: hostname(), platform: platform(), arch: arch(), cpus: cores.length, cpu_model: cores[0]?.model.trim() ?? 'unknown', node: process.version };
}

/** How long a stage may take to exit after SIGTERM before it is killed. */
const STOP_GRACE_MS = 5000;

/**
 * Runs one stage process. When `signal` aborts, the stage gets SIGTERM (SIGKILL after a grace
 * period), and this returns only once it has exited: whoever reports the interruption can say
 * that nothing of the run is left running.
 */
async function runStage(cli: string, args: readonly string[], cwd: string, logFile: string, env: NodeJS.ProcessEnv | undefined, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) throw new Error('interrupted');
  const handle = await open(logFile, 'a');
  try {
    await handle.write(`$ cifar10 ${args.join(' ')}\n`);
    await new Promise<void>((resolvePromise, reject) => {
      const child = spawn(process.execPath, [cli, ...args], { cwd, env: env ?? process.env, stdio: ['ignore', handle.fd, handle.fd] });
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

async function tail(file: string, lines: number): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

async function copyIfPresent(from: string, to: string): Promise<void> {
  await copyFile(from, to).catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? undefined : Promise.reject(error)));
}

/** Moves a finished temp folder to `dest` in one rename, replacing an older bundle the same way. */
async function publish(temp: string, dest: string): Promise<void> {
  const old = tempPathFor(dest);
  const hadOld = await rename(dest, old).then(
    () => true,
    (error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? false : Promise.reject(error)),
  );
  await rename(temp, dest);
  if (hadOld) await rm(old, { recursive: true, force: true });
}

/**
 * Runs one experiment cell (seed × version spec × overrides) in its own folder and returns its
 * result bundle. The folder gets the project's params.yaml with the overrides applied and a link to
 * the shared, read-only partitions; prepare, train and evaluate run there as child processes (their
 * output goes to `run.log`). The bundle is assembled in a temp folder and renamed into
 * `<resultsDir>/<run-id>/` only when complete, so an interruption never leaves half a result.
 * The GitHub action `run-experiment` calls this for its one cell.
 */
export async function runCell(options: CellOptions): Promise<CellResult> {
  // The repository lock (re-entrant, so the cells of a matrix share their process's lock).
  return withRepoLockAt(resolve(options.root), () => runCellLocked(options));
}

async function runCellLocked(options: CellOptions): Promise<CellResult> {
  const root = resolve(options.root);
  const partitions = parseVersionSpec(options.versions, 'versions');
  const spec = partitions.join('+');
  const runId = runIdFor(options.seed, spec);
  const resultsDir = resolve(root, options.resultsDir ?? DEFAULT_RESULTS_DIR);
  const work = resolve(root, options.workDir ?? join('.cache', 'experiments', runId));
  const partitionsDir = resolve(root, options.partitionsDir ?? join('data', 'partitions'));
  const cli = options.cli ?? DEFAULT_CLI;
  const log = options.log ?? (() => {});
  const overrides = [...(options.overrides ?? [])];

  for (const name of partitions) {
    await readFile(join(partitionsDir, name, 'manifest.csv')).catch((error) => {
      throw new UserError(`experiment ${runId}: partition ${name} is missing in ${partitionsDir} (no manifest.csv); run \`cifar10 data pull\` or \`cifar10 partition\` first`, { cause: error });
    });
  }
  const dataHashes = options.dataHashes ?? (await partitionHashes(partitionsDir, partitions));
  const runOverrides = cellOverrides({ seed: options.seed, versions: spec }, overrides);
  await checkRunParams(root, (await applyOverrides(root, runOverrides, { write: false })).get(join(root, 'params.yaml')) as Record<string, unknown> | undefined, runOverrides);

  await rm(work, { recursive: true, force: true });
  await mkdir(join(work, 'data'), { recursive: true });
  await symlink(partitionsDir, join(work, 'data', 'partitions'), 'junction');
  await copyFile(join(root, 'params.yaml'), join(work, 'params.yaml')).catch((error) => {
    throw new UserError(`cannot read ${join(root, 'params.yaml')}: ${(error as Error).message}; run from the project root`, { cause: error });
  });
  await applyOverrides(work, runOverrides);

  const logFile = join(work, BUNDLE_FILES.log);
  await writeFile(logFile, '');
  const started = new Date();
  const durations: Record<string, number> = {};
  for (const stage of CELL_STAGES) {
    log(`${runId}: ${stage.name}`);
    const t0 = Date.now();
    try {
      await runStage(cli, stage.args, work, logFile, options.env, options.signal);
    } catch (error) {
      const detail = (error as Error).message;
      const last = await tail(logFile, 15);
      throw new CellFailedError(runId, stage.name, logFile, last ? `${detail}; last lines:\n${last}` : detail);
    }
    durations[stage.name] = (Date.now() - t0) / 1000;
  }
  const finished = new Date();
  durations['total'] = (finished.getTime() - started.getTime()) / 1000;

  const reports = join(work, 'reports');
  const metrics = await readMetricsJson(join(reports, 'metrics.json'));
  const manifest: RunManifest = {
    run_id: runId,
    seed: options.seed,
    versions: spec,
    partitions,
    overrides,
    git: await gitState(root),
    data: dataHashes,
    backend: metrics.backend,
    host: hostFacts(),
    durations,
    started: started.toISOString(),
    finished: finished.toISOString(),
  };

  await mkdir(resultsDir, { recursive: true });
  const temp = join(resultsDir, `.tmp-${runId}-${process.pid}-${Date.now()}`);
  try {
    await mkdir(temp);
    await copyFile(join(work, 'params.yaml'), join(temp, BUNDLE_FILES.params));
    await copyFile(join(reports, 'metrics.json'), join(temp, BUNDLE_FILES.metrics));
    await copyFile(join(reports, 'confusion.json'), join(temp, BUNDLE_FILES.confusion));
    await copyFile(join(reports, 'predictions.csv'), join(temp, BUNDLE_FILES.predictions));
    await copyIfPresent(join(reports, 'train_log.tsv'), join(temp, BUNDLE_FILES.trainLog));
    await copyIfPresent(join(work, 'models', 'model', 'training.json'), join(temp, BUNDLE_FILES.training));
    await copyIfPresent(join(reports, TIMING_FILE), join(temp, BUNDLE_FILES.timing));
    await copyFile(logFile, join(temp, BUNDLE_FILES.log));
    await writeFileAtomic(join(temp, BUNDLE_FILES.manifest), `${JSON.stringify(manifest, null, 2)}\n`);
    const bundleDir = join(resultsDir, runId);
    await publish(temp, bundleDir);
    await rm(work, { recursive: true, force: true });
    return { runId, bundleDir, manifest, metrics };
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
}
