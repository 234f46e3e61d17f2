import { runIdFor } from '../experiments/bundle.js';
import { parseSeedList, parseVersionList } from '../experiments/matrix.js';
import { detectableShift, POWER } from '../experiments/welch.js';
import { UserError } from '../util/errors.js';
import type { EventPayload } from './event.js';
import { MAX_MATRIX_JOBS, WorkflowDispatchEvent } from './schemas.js';

/**
 * Turns the event that started a workflow into the experiment matrix: a manual run takes its
 * seeds, versions and epochs from the `workflow_dispatch` inputs, a scheduled run gets the full
 * default matrix, and pull requests (and pushes to the main branch, which serve as their baseline)
 * get a quick configuration that fits the time a reviewer waits.
 */

/** One job of the matrix: a seed, a version spec and the number of epochs. */
export interface MatrixCell {
  /** `s<seed>-<spec>`: the run id of the result bundle, and part of its artifact name. */
  cell: string;
  seed: number;
  versions: string;
  epochs: number;
}

export const PLAN_KINDS = ['quick', 'full', 'manual'] as const;
export type PlanKind = (typeof PLAN_KINDS)[number];

export interface Plan {
  kind: PlanKind;
  cells: MatrixCell[];
  /** The JSON `strategy.matrix` reads via `fromJSON`. */
  matrix: { include: MatrixCell[] };
}

export interface MatrixShape {
  seeds: number[];
  versions: string[];
  epochs: number;
}

export interface PlanDefaults {
  full: MatrixShape;
  quick: MatrixShape;
}

export function parseEpochs(text: string, source: string): number {
  const value = text.trim();
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 1000) {
    throw new UserError(`${source}: "${text}" is not a number of epochs; use a whole number from 1 to 1000`);
  }
  return Number(value);
}

/** The refusal of a matrix of `seeds` × `versions` jobs, over GitHub's limit. */
export const tooManyJobs = (seeds: number, versions: number): string =>
  `${seeds} seeds × ${versions} versions = ${seeds * versions} jobs, more than the ${MAX_MATRIX_JOBS} GitHub runs from one matrix; use fewer seeds or versions`;

/**
 * Seeds for a matrix with `versions` version specs, refused before they are listed when seeds ×
 * versions is over GitHub's job limit (a range such as 1-100000000 costs nothing to refuse).
 */
function parseMatrixSeeds(text: string, source: string, versions: number): number[] {
  return parseSeedList(text, source, { max: Math.floor(MAX_MATRIX_JOBS / versions), tooMany: (count) => `${source}: ${tooManyJobs(count, versions)}` });
}

export function cellsOf(shape: MatrixShape): MatrixCell[] {
  if (shape.seeds.length * shape.versions.length > MAX_MATRIX_JOBS) throw new UserError(tooManyJobs(shape.seeds.length, shape.versions.length));
  return shape.versions.flatMap((versions) => shape.seeds.map((seed) => ({ cell: runIdFor(seed, versions), seed, versions, epochs: shape.epochs })));
}

const inputText = (inputs: Record<string, string | number | boolean | null>, name: string): string | undefined => {
  const value = inputs[name];
  if (value === undefined || value === null) return undefined;
  const text = String(value).trim();
  return text === '' ? undefined : text;
};

/** The matrix for `eventName` (`GITHUB_EVENT_NAME`) and its payload. */
export function planMatrix(eventName: string, payload: EventPayload, defaults: PlanDefaults): Plan {
  let kind: PlanKind;
  let shape: MatrixShape;
  switch (eventName) {
    case 'workflow_dispatch': {
      const inputs = WorkflowDispatchEvent.parse(payload).inputs ?? {};
      const seeds = inputText(inputs, 'seeds');
      const versionsText = inputText(inputs, 'versions');
      const epochs = inputText(inputs, 'epochs');
      const versions = versionsText === undefined ? defaults.full.versions : parseVersionList(versionsText, 'workflow_dispatch input "versions"');
      kind = 'manual';
      shape = {
        seeds: seeds === undefined ? defaults.full.seeds : parseMatrixSeeds(seeds, 'workflow_dispatch input "seeds"', versions.length),
        versions,
        epochs: epochs === undefined ? defaults.full.epochs : parseEpochs(epochs, 'workflow_dispatch input "epochs"'),
      };
      break;
    }
    case 'schedule':
      kind = 'full';
      shape = defaults.full;
      break;
    case 'pull_request':
    case 'pull_request_target':
    case 'push':
    case 'merge_group':
      kind = 'quick';
      shape = defaults.quick;
      break;
    default:
      throw new UserError(`the plan action does not know the event "${eventName}"; run it on pull_request, push, schedule or workflow_dispatch`);
  }
  const cells = cellsOf(shape);
  return { kind, cells, matrix: { include: cells } };
}

/**
 * What a matrix with `seeds` seeds per version can tell when compared with as many runs of main:
 * the shift (in standard deviations of seed noise) Welch's test detects 80% of the time.
 */
export function detectableNote(seeds: number): string {
  if (seeds < 2) return `${seeds} seed per version: no comparison with main can be judged (Welch's test needs 2 runs a side)`;
  return `${seeds} seeds per version: against as many runs of main, a change of ${detectableShift(seeds).toFixed(1)} sd of seed noise is detected ${POWER * 100}% of the time (Welch's t-test, α = 0.05)`;
}
