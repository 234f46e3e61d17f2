import { isDeepStrictEqual } from 'node:util';
import { WorkflowError, type Json } from './expressions.js';

/**
 * `strategy` after its expressions are evaluated → the job's matrix cells, by GitHub's documented
 * rules: the cartesian product of the dimensions, minus every combination an `exclude` entry
 * matches (on the keys it names), then each `include` entry added to every combination whose
 * original values it does not overwrite, or appended as a cell of its own when it fits none.
 */

export interface Strategy {
  cells: Record<string, Json>[];
  failFast: boolean;
  maxParallel?: number;
}

const isObject = (value: Json): value is Record<string, Json> => typeof value === 'object' && value !== null && !Array.isArray(value);

export function expandStrategy(strategy: Json, where: string): Strategy | undefined {
  if (strategy === null || strategy === undefined) return undefined;
  if (!isObject(strategy)) throw new WorkflowError(`${where}: strategy must be a mapping`);
  const failFast = strategy['fail-fast'] ?? true;
  const maxParallel = strategy['max-parallel'];
  if (typeof failFast !== 'boolean') throw new WorkflowError(`${where}: strategy.fail-fast must be true or false`);
  if (maxParallel !== undefined && typeof maxParallel !== 'number') throw new WorkflowError(`${where}: strategy.max-parallel must be a number`);
  const matrix = strategy.matrix;
  if (matrix === undefined) return { cells: [{}], failFast, maxParallel };
  if (!isObject(matrix)) throw new WorkflowError(`${where}: strategy.matrix must be a mapping (got ${JSON.stringify(matrix)})`);

  const { include = [], exclude = [], ...dimensions } = matrix;
  if (!Array.isArray(include) || !Array.isArray(exclude)) throw new WorkflowError(`${where}: matrix include and exclude must be sequences`);
  let cells: Record<string, Json>[] = Object.keys(dimensions).length > 0 ? [{}] : [];
  for (const [key, values] of Object.entries(dimensions)) {
    if (!Array.isArray(values) || values.length === 0) throw new WorkflowError(`${where}: matrix dimension "${key}" must be a non-empty sequence`);
    cells = cells.flatMap((cell) => values.map((value) => ({ ...cell, [key]: value })));
  }
  for (const rule of exclude) {
    if (!isObject(rule)) throw new WorkflowError(`${where}: matrix exclude entries must be mappings`);
    cells = cells.filter((cell) => !Object.entries(rule).every(([key, value]) => isDeepStrictEqual(cell[key], value)));
  }
  const original = cells.map((cell) => ({ ...cell }));
  for (const entry of include) {
    if (!isObject(entry)) throw new WorkflowError(`${where}: matrix include entries must be mappings`);
    let added = false;
    // Only the product's own combinations take include entries; an appended one takes no other.
    original.forEach((base, i) => {
      if (Object.entries(entry).every(([key, value]) => !(key in base) || isDeepStrictEqual(base[key], value))) {
        Object.assign(cells[i]!, entry);
        added = true;
      }
    });
    if (!added) cells.push({ ...entry });
  }
  if (cells.length === 0) throw new WorkflowError(`${where}: the matrix has no cells`);
  if (cells.length > 256) throw new WorkflowError(`${where}: the matrix has ${cells.length} cells; GitHub allows 256`);
  return { cells, failFast, maxParallel };
}
