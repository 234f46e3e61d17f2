import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parse } from 'yaml';
import { testSetPartitions } from '../data/recipe.js';
import { formatVersionSpec, parseVersionSpec } from '../data/versions.js';
import { UserError } from '../util/errors.js';
import { DEFAULT_PARAMS_FILE } from '../params.js';
import { PROJECT_PATHS } from '../paths.js';
import { BUNDLE_FILES, listBundles, readBundle, runIdFor, type RunBundle } from './bundle.js';
import { applyOverrides, withRepoLockAt } from '../dvc/index.js';
import { cellOverrides, type CellOptions, type CellResult, runCell } from './cell.js';
import { ledgerPathFor, writeLedger } from './ledger.js';
import { partitionHashes } from './provenance.js';
import { checkRunParams } from './run-params.js';

export const DEFAULT_SEEDS = [42, 100, 2025];
export const DEFAULT_VERSIONS = ['v1', 'v2', 'v3', 'v1+v2', 'v1+v2+v3'];

export interface MatrixCell {
  seed: number;
  versions: string;
  runId: string;
}

const splitList = (text: string): string[] =>
  text
    .split(/[\s,]+/)
    .map((part) => part.trim())
    .filter((part) => part !== '');

/**
 * Cells one `exp matrix` runs at most (seeds × version specs). Each cell trains a model for
 * minutes, so a bigger matrix is a typo (`1-100000000`) far more often than a plan; split a real
 * one into several runs of the command.
 */
export const MAX_MATRIX_CELLS = 1000;

/** Seeds are 32-bit: the random generator keeps `seed >>> 0`, so larger ones would repeat smaller ones. */
export const MAX_SEED = 2 ** 32 - 1;

export interface SeedListLimit {
  /** Most seeds the list may hold; counted before any is listed, so a huge range allocates nothing. */
  max: number;
  /** The error for `count` seeds, more than `max`. */
  tooMany: (count: number) => string;
}

const cliSeedLimit = (source: string): SeedListLimit => ({
  max: MAX_MATRIX_CELLS,
  tooMany: (count) => `${source}: ${count} seeds, more than the ${MAX_MATRIX_CELLS} cells a matrix runs at most; use fewer seeds (or run the matrix in parts)`,
});

/** `1,2,3`, `1 2 3` or a range `1-5`; each a whole number from 0 to 2^32 − 1, at most `limit.max` of them. */
export function parseSeedList(text: string, source: string, limit: SeedListLimit = cliSeedLimit(source)): number[] {
  const ranges: [number, number][] = [];
  let count = 0;
  for (const part of splitList(text)) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!match) throw new UserError(`${source}: "${part}" is not a seed; use whole numbers separated by commas (e.g. 1,2,3) or a range (1-5)`);
    const [from, to] = [Number(match[1]), Number(match[2] ?? match[1])];
    if (to > MAX_SEED) throw new UserError(`${source}: seed ${match[2] ?? match[1]} is too large; seeds run from 0 to ${MAX_SEED}`);
    if (to < from) throw new UserError(`${source}: range "${part}" runs backwards; write it low-high, e.g. 1-5`);
    ranges.push([from, to]);
    count += to - from + 1;
  }
  if (count === 0) throw new UserError(`${source}: no seeds given; use e.g. 1,2,3`);
  if (count > limit.max) throw new UserError(limit.tooMany(count));
  const seeds = ranges.flatMap(([from, to]) => Array.from({ length: to - from + 1 }, (_, i) => from + i));
  if (new Set(seeds).size !== seeds.length) throw new UserError(`${source}: a seed appears twice in "${text}"; list each seed once`);
  return seeds;
}

/** `v1, v1+v2, v1+v2+v3`: version specs separated by commas or spaces. */
export function parseVersionList(text: string, source: string): string[] {
  const specs = splitList(text).map((spec) => formatVersionSpec(parseVersionSpec(spec, source)));
  if (specs.length === 0) throw new UserError(`${source}: no data versions given; use e.g. v1,v1+v2`);
  if (new Set(specs).size !== specs.length) throw new UserError(`${source}: a version spec appears twice in "${text}"; list each once`);
  return specs;
}

/** Every seed × version spec, versions outermost (so one version's seeds finish close together). */
export function expandMatrix(seeds: readonly number[], versions: readonly string[]): MatrixCell[] {
  if (seeds.length === 0 || versions.length === 0)
    throw new UserError('the matrix needs at least one seed and one version spec (e.g. --seeds 42 --versions v1)');
  if (seeds.length * versions.length > MAX_MATRIX_CELLS) {
    throw new UserError(
      `${seeds.length} seeds × ${versions.length} version specs = ${seeds.length * versions.length} cells, more than the ${MAX_MATRIX_CELLS} a matrix runs at most; use fewer seeds or versions (or run the matrix in parts)`,
    );
  }
  const cells: MatrixCell[] = [];
  for (const spec of versions) {
    const canonical = parseVersionSpec(spec, '--versions').join('+');
    for (const seed of seeds) cells.push({ seed, versions: canonical, runId: runIdFor(seed, canonical) });
  }
  const ids = new Set(cells.map((c) => c.runId));
  if (ids.size !== cells.length) throw new UserError('--seeds or --versions repeat an entry; list each once');
  return cells;
}

/**
 * The order cells start in: most partitions first (partitions are equal-sized, so that is the
 * longest training first), ties in matrix order. With N jobs, starting the longest cells last
 * would leave one of them running alone at the end while the other cores idle.
 */
export function scheduleCells(cells: readonly MatrixCell[]): MatrixCell[] {
  const size = (cell: MatrixCell) => parseVersionSpec(cell.versions).length;
  return [...cells].sort((a, b) => size(b) - size(a));
}

export interface MatrixOptions extends Pick<CellOptions, 'root' | 'overrides' | 'resultsDir' | 'stageRunner' | 'env' | 'signal'> {
  seeds: readonly number[];
  versions: readonly string[];
  /** Cells run at once, each one process at a time (default: the number of cores). */
  jobs?: number;
  /** Re-run cells that already have a bundle made with the same params. */
  force?: boolean;
  log?: (line: string) => void;
  /** The command that resumes this matrix, for the message when it is interrupted. */
  resumeCommand?: string;
}

export interface MatrixResult {
  ran: CellResult[];
  /** Cells whose bundle was already there with the same params (resume). */
  skipped: string[];
  failed: { runId: string; error: Error }[];
  ledger: string;
  bundles: RunBundle[];
}

/** Whether an existing bundle was made with these params on these partitions (same DVC hashes), so resuming may keep it. */
async function bundleStillValid(bundleDir: string, params: unknown, data: Record<string, string>): Promise<boolean> {
  const text = await readFile(join(bundleDir, BUNDLE_FILES.params), 'utf8').catch(() => undefined);
  if (text === undefined || !isDeepStrictEqual(parse(text), params)) return false;
  const bundle = await readBundle(bundleDir).catch(() => undefined);
  return isDeepStrictEqual(bundle?.manifest.data, data);
}

async function cellParams(root: string, cell: MatrixCell, overrides: readonly string[]): Promise<unknown> {
  const files = await applyOverrides(root, cellOverrides(cell, overrides), { write: false });
  return files.get(join(root, DEFAULT_PARAMS_FILE));
}

/**
 * Runs the seed × version matrix with up to `jobs` cells at once. Finished cells whose bundle
 * holds the same params and partition hashes are skipped (resume); a failing cell is reported and
 * the others go on; the ledger is rewritten from the bundles after every finished cell. When
 * `signal` aborts, running cells are stopped (their processes have exited when this returns),
 * nothing half-written is kept, and the error says how to resume.
 */
export async function runMatrix(options: MatrixOptions): Promise<MatrixResult> {
  // Held from the first cell to the last, so no other writer slips in between two cells.
  return withRepoLockAt(resolve(options.root), () => runMatrixLocked(options));
}

async function runMatrixLocked(options: MatrixOptions): Promise<MatrixResult> {
  const root = resolve(options.root);
  const resultsDir = resolve(root, options.resultsDir ?? PROJECT_PATHS.results);
  const ledger = ledgerPathFor(resultsDir);
  const log = options.log ?? (() => {});
  const cells = expandMatrix(options.seeds, options.versions);
  const jobs = Math.max(1, options.jobs ?? availableParallelism());
  const overrides = options.overrides ?? [];
  // Every cell's params are checked before anything starts: a bad -S fails the matrix at once.
  for (const cell of cells)
    await checkRunParams(root, (await cellParams(root, cell, overrides)) as Record<string, unknown> | undefined, cellOverrides(cell, overrides));

  const partitionsDir = resolve(root, PROJECT_PATHS.partitions);
  // Every cell is scored on the test splits of all partitions, so every cell depends on all of them.
  const testSet = await testSetPartitions(partitionsDir);
  const partitions = [...new Set([...cells.flatMap((c) => parseVersionSpec(c.versions)), ...testSet])].sort();
  const hashes = await partitionHashes(partitionsDir, partitions);
  const dataOf = (cell: MatrixCell) => Object.fromEntries([...new Set([...parseVersionSpec(cell.versions), ...testSet])].map((p) => [p, hashes[p]!]));

  const todo: MatrixCell[] = [];
  const skipped: string[] = [];
  for (const cell of scheduleCells(cells)) {
    if (!options.force && (await bundleStillValid(join(resultsDir, cell.runId), await cellParams(root, cell, overrides), dataOf(cell))))
      skipped.push(cell.runId);
    else todo.push(cell);
  }
  if (skipped.length > 0) log(`${skipped.length} cell(s) already done with the same params and data: ${skipped.join(', ')}`);
  log(`${todo.length} cell(s) to run, ${Math.min(jobs, todo.length)} at a time`);
  const ran: CellResult[] = [];
  const failed: MatrixResult['failed'] = [];
  // Chained so two cells finishing together never write the ledger at once; a failed write does not poison later ones.
  let ledgerWrite: Promise<void> = Promise.resolve();
  const refreshLedger = () => {
    ledgerWrite = ledgerWrite.catch(() => {}).then(async () => writeLedger(ledger, await listBundles(resultsDir)));
    return ledgerWrite;
  };

  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < todo.length && !options.signal?.aborted) {
      const cell = todo[next++]!;
      const t0 = Date.now();
      try {
        const result = await runCell({
          root,
          seed: cell.seed,
          versions: cell.versions,
          overrides,
          resultsDir,
          stageRunner: options.stageRunner,
          env: options.env,
          signal: options.signal,
          dataHashes: dataOf(cell),
        });
        ran.push(result);
        done++;
        log(
          `[${done + failed.length}/${todo.length}] ${cell.runId}: accuracy ${(result.metrics.accuracy * 100).toFixed(1)}% in ${((Date.now() - t0) / 1000).toFixed(0)} s`,
        );
      } catch (error) {
        if (options.signal?.aborted) break;
        failed.push({ runId: cell.runId, error: error as Error });
        log(`[${done + failed.length}/${todo.length}] ${cell.runId} FAILED: ${(error as Error).message}`);
        continue;
      }
      await refreshLedger().catch((error: Error) =>
        log(`warning: could not update ${ledger} (${error.message}); it is written again after the next cell and at the end`),
      );
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, Math.max(todo.length, 1)) }, worker));
  await refreshLedger();
  if (options.signal?.aborted) {
    const command = options.resumeCommand ? `: ${options.resumeCommand}` : '';
    throw new UserError(
      `interrupted: ${ran.length + skipped.length} of ${cells.length} cell(s) are complete in ${resultsDir}; run the same command again to resume the rest${command}`,
    );
  }
  return { ran, skipped, failed, ledger, bundles: await listBundles(resultsDir) };
}
