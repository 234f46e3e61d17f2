import { formatVersionSpec, parseVersionSpec } from '../data/versions.js';
import { MAX_SEED, parseSeedList, parseVersionList } from '../experiments/matrix.js';
import { BaselineRunSchema } from '../github/baseline.js';
import { parseEpochs, PLAN_KINDS, tooManyJobs } from '../github/plan.js';
import { parseOverrides } from '../github/run-experiment.js';
import { MatrixSchema, MAX_MATRIX_JOBS } from '../github/schemas.js';
import { DATA_SOURCES } from '../github/setup-data.js';
import { BACKEND_CHOICES } from '../model/backend-choices.js';
import { UserError } from '../util/errors.js';
import { FindBaseline, Plan, PostComment, Report, RunExperiment, SetupData } from './constants.js';
import { actionInputs, bool, choice, integer, optionalChoice, optionalJson, optionalText, parsedBy, requiredText, text, type Field } from './input-fields.js';

/** The inputs of each of the project's actions, as schemas (input-fields.ts): read once, up front, with `readInputs`. */

/** At most as many seeds as GitHub runs jobs: whether seeds × versions fits is checked across inputs. */
const matrixSeeds: Field<number[]> = parsedBy((text, source) =>
  parseSeedList(text, source, {
    max: MAX_MATRIX_JOBS,
    tooMany: (count) => `${source}: ${count} seeds, more than the ${MAX_MATRIX_JOBS} jobs GitHub runs from one matrix; use fewer seeds`,
  }),
);

const matrixShapeFits = (seeds: number[], versions: string[], names: string): string[] =>
  seeds.length * versions.length > MAX_MATRIX_JOBS ? [`${names}: ${tooManyJobs(seeds.length, versions.length)}`] : [];

export const PlanInputs = actionInputs(
  'plan',
  Plan,
  {
    fullSeeds: matrixSeeds,
    fullVersions: parsedBy(parseVersionList),
    fullEpochs: parsedBy(parseEpochs),
    quickSeeds: matrixSeeds,
    quickVersions: parsedBy(parseVersionList),
    quickEpochs: parsedBy(parseEpochs),
  },
  (v, source) => [
    ...matrixShapeFits(v.fullSeeds, v.fullVersions, `${source('fullSeeds')} × "${Plan.inputs.fullVersions}"`),
    ...matrixShapeFits(v.quickSeeds, v.quickVersions, `${source('quickSeeds')} × "${Plan.inputs.quickVersions}"`),
  ],
);

export const SetupDataInputs = actionInputs('setup-data', SetupData, {
  // The plan's "v1,v2" as well as a cell's spec "v1+v2": both name partitions.
  versions: parsedBy((text, source) => {
    const specs = text.split(/[\s,]+/).filter(Boolean);
    if (specs.length === 0) throw new UserError(`${source} is required and empty; name the partitions, e.g. v1,v2`);
    return [...new Set(specs.flatMap((spec) => parseVersionSpec(spec, source)))].sort();
  }),
  source: choice(DATA_SOURCES, 'auto'),
  remote: optionalText(),
  saveCache: bool(false),
  cachePrefix: text('cifar10-dvc-v1'),
  cifarSource: text('auto'),
});

export const RunExperimentInputs = actionInputs('run-experiment', RunExperiment, {
  seed: integer({ min: 0, max: MAX_SEED }),
  versions: parsedBy((text, source) => formatVersionSpec(parseVersionSpec(text, source))),
  epochs: integer({ min: 1, max: 1000, optional: true }),
  backend: choice(BACKEND_CHOICES, 'auto'),
  overrides: parsedBy(parseOverrides),
  resultsDir: optionalText(),
});

export const ReportInputs = actionInputs('report', Report, {
  bundles: requiredText(),
  baseline: optionalText(),
  baselineRun: optionalJson(BaselineRunSchema, "the find-baseline action's run output", 'pass ${{ steps.<find-baseline step>.outputs.run }}'),
  token: text(),
  comment: bool(true),
  commentFile: optionalText(),
  planFile: optionalText(),
  publishPictures: bool(true),
  failOnRegression: bool(false),
  matrix: optionalJson(MatrixSchema, "the plan action's matrix", 'pass ${{ needs.plan.outputs.matrix }}'),
  kind: optionalChoice(PLAN_KINDS),
  out: optionalText(),
  history: optionalText(),
  pageUrl: optionalText(),
  partitions: text('data/partitions'),
});

export const FindBaselineInputs = actionInputs('find-baseline', FindBaseline, {
  workflow: optionalText(),
  branch: optionalText(),
  event: text('push'),
  pattern: text('bundle-*'),
  token: requiredText(),
});

export const PostCommentInputs = actionInputs('post-comment', PostComment, {
  bundles: requiredText(),
  baseline: optionalText(),
  baselineRun: optionalJson(BaselineRunSchema, "the find-baseline action's run output", 'pass ${{ steps.<find-baseline step>.outputs.run }}'),
  planFile: optionalText(),
  token: requiredText(),
  publishPictures: bool(true),
});
