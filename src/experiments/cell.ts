import { access, copyFile, mkdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { testSetPartitions } from '../data/recipe.js';
import { testSetOf } from '../data/test-set.js';
import { parseVersionSpec } from '../data/versions.js';
import { applyOverrides, experimentFiles, PIPELINE_FILE, recordExperiment, withRepoLockAt } from '../dvc/index.js';
import { readMetricsJson, readPredictionsCsv, REPORT_FILES, type MetricsFile } from '../evaluate/report-files.js';
import { TRAINING_FILE } from '../model/training-record.js';
import { TUNING_FILE } from '../model/tune.js';
import { DEFAULT_PARAMS_FILE } from '../params.js';
import { PROJECT_PATHS } from '../paths.js';
import { STAGE_RUNNER, stageArgs } from '../stages/args.js';
import { tempPathFor } from '../util/atomic.js';
import { UserError } from '../util/errors.js';
import { TIMING_FILE } from '../util/timing.js';
import { BUNDLE_FILES, runIdFor, writeRunManifest, type RunManifest } from './bundle.js';
import { gitState, hostFacts, partitionHashes } from './provenance.js';
import { checkRunParams } from './run-params.js';
import { runStageProcess, tail } from './stage-process.js';

/** A cell folder is laid out like the project, so its stages read and write the usual paths. */
const reportsFile = (name: string) => `${PROJECT_PATHS.reports}/${name}`;

/** The stages a cell runs, through the stage runner; paths are relative to the cell folder. */
export const CELL_STAGES: readonly { name: string; args: readonly string[] }[] = [
  { name: 'prepare', args: stageArgs('prepare', { params: DEFAULT_PARAMS_FILE, partitions: PROJECT_PATHS.partitions, out: PROJECT_PATHS.prepared }) },
  {
    name: 'train',
    args: stageArgs('train', {
      params: DEFAULT_PARAMS_FILE,
      prepared: PROJECT_PATHS.prepared,
      model: PROJECT_PATHS.model,
      log: reportsFile(REPORT_FILES.trainLog),
      tuning: reportsFile(TUNING_FILE),
    }),
  },
  {
    name: 'evaluate',
    args: stageArgs('evaluate', { params: DEFAULT_PARAMS_FILE, prepared: PROJECT_PATHS.prepared, model: PROJECT_PATHS.model, out: PROJECT_PATHS.reports }),
  },
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
  /** Hashes of the partitions the cell uses (its spec's and the test set's), when the caller knows them (a matrix computes them once). */
  dataHashes?: Record<string, string>;
  /** The program that runs a stage, `node <stageRunner> <stage> '<JSON>'` (default: this package's `dist/src/stages/run.js`). */
  stageRunner?: string;
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
 * Records the finished cell as a DVC experiment named by its run id (`dvc exp show` lists it with its
 * params, dvc.lock and metrics). The bundle is the result: a repository without git, or a git
 * failure, costs only the DVC view of it, so this warns instead of failing the cell.
 */
async function recordAsDvcExperiment(root: string, work: string, runId: string, log: (line: string) => void): Promise<void> {
  // Only a DVC pipeline in git has experiments.
  if (
    !(await access(join(root, PIPELINE_FILE)).then(
      () => true,
      () => false,
    ))
  )
    return;
  try {
    const ref = await recordExperiment(root, { name: runId, files: () => experimentFiles(root, work) });
    if (ref) log(`${runId}: recorded as DVC experiment ${runId} (${ref})`);
  } catch (error) {
    log(`${runId}: warning: not recorded as a DVC experiment (${(error as Error).message}); the result bundle is complete`);
  }
}

/**
 * Runs one experiment cell (seed × version spec × overrides) in its own folder and returns its
 * result bundle. The folder gets the project's params.yaml with the overrides applied and a link to
 * the shared, read-only partitions; prepare, train and evaluate run there as child processes of the
 * stage runner (their output goes to `run.log`). The bundle is assembled in a temp folder and renamed into
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
  const resultsDir = resolve(root, options.resultsDir ?? PROJECT_PATHS.results);
  const work = resolve(root, options.workDir ?? join(PROJECT_PATHS.experimentsWork, runId));
  const partitionsDir = resolve(root, options.partitionsDir ?? PROJECT_PATHS.partitions);
  const runner = options.stageRunner ?? STAGE_RUNNER;
  const log = options.log ?? (() => {});
  const overrides = [...(options.overrides ?? [])];

  // Training uses the spec's partitions, scoring the test splits of all of them (the common test set).
  const used = [...new Set([...partitions, ...(await testSetPartitions(partitionsDir))])];
  for (const name of used) {
    await readFile(join(partitionsDir, name, 'manifest.csv')).catch((error) => {
      const why = partitions.includes(name) ? '' : ` (the common test set holds its test split)`;
      throw new UserError(
        `experiment ${runId}: partition ${name} is missing in ${partitionsDir}${why} (no manifest.csv); run \`cifar10 data pull\` or \`cifar10 partition\` first`,
        { cause: error },
      );
    });
  }
  const dataHashes = options.dataHashes ?? (await partitionHashes(partitionsDir, used));
  const runOverrides = cellOverrides({ seed: options.seed, versions: spec }, overrides);
  await checkRunParams(
    root,
    (await applyOverrides(root, runOverrides, { write: false })).get(join(root, DEFAULT_PARAMS_FILE)) as Record<string, unknown> | undefined,
    runOverrides,
  );

  await rm(work, { recursive: true, force: true });
  await mkdir(join(work, PROJECT_PATHS.partitions, '..'), { recursive: true });
  await symlink(partitionsDir, join(work, PROJECT_PATHS.partitions), 'junction');
  await copyFile(join(root, DEFAULT_PARAMS_FILE), join(work, DEFAULT_PARAMS_FILE)).catch((error) => {
    throw new UserError(`cannot read ${join(root, DEFAULT_PARAMS_FILE)}: ${(error as Error).message}; run from the project root`, { cause: error });
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
      await runStageProcess(runner, stage.args, work, logFile, options.env, options.signal);
    } catch (error) {
      const detail = (error as Error).message;
      const last = await tail(logFile, 15);
      throw new CellFailedError(runId, stage.name, logFile, last ? `${detail}; last lines:\n${last}` : detail);
    }
    durations[stage.name] = (Date.now() - t0) / 1000;
  }
  const finished = new Date();
  durations['total'] = (finished.getTime() - started.getTime()) / 1000;

  const reports = join(work, PROJECT_PATHS.reports);
  const metrics = await readMetricsJson(join(reports, REPORT_FILES.metrics));
  const scored = await readPredictionsCsv(join(reports, REPORT_FILES.predictions));
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
    test_set: testSetOf(scored.map((p) => p.id)),
  };

  await mkdir(resultsDir, { recursive: true });
  const temp = join(resultsDir, `.tmp-${runId}-${process.pid}-${Date.now()}`);
  try {
    await mkdir(temp);
    await copyFile(join(work, DEFAULT_PARAMS_FILE), join(temp, BUNDLE_FILES.params));
    await copyFile(join(reports, REPORT_FILES.metrics), join(temp, BUNDLE_FILES.metrics));
    await copyFile(join(reports, REPORT_FILES.confusionJson), join(temp, BUNDLE_FILES.confusion));
    await copyFile(join(reports, REPORT_FILES.predictions), join(temp, BUNDLE_FILES.predictions));
    await copyIfPresent(join(reports, REPORT_FILES.trainLog), join(temp, BUNDLE_FILES.trainLog));
    await copyIfPresent(join(work, PROJECT_PATHS.model, TRAINING_FILE), join(temp, BUNDLE_FILES.training));
    await copyIfPresent(join(reports, TIMING_FILE), join(temp, BUNDLE_FILES.timing));
    await copyFile(logFile, join(temp, BUNDLE_FILES.log));
    await writeRunManifest(temp, manifest);
    const bundleDir = join(resultsDir, runId);
    await publish(temp, bundleDir);
    await recordAsDvcExperiment(root, work, runId, log);
    await rm(work, { recursive: true, force: true });
    return { runId, bundleDir, manifest, metrics };
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
}
