import * as core from '@actions/core';
import { z } from 'zod';
import { formatVersionSpec, parseVersionSpec } from '../data/versions.js';
import { MAX_SEED, parseSeedList, parseVersionList } from '../experiments/matrix.js';
import { BaselineRunSchema } from '../github/baseline.js';
import { parseEpochs, PLAN_KINDS, tooManyJobs } from '../github/plan.js';
import { parseOverrides } from '../github/run-experiment.js';
import { issuesText, MatrixSchema, MAX_MATRIX_JOBS } from '../github/schemas.js';
import { DATA_SOURCES } from '../github/setup-data.js';
import { BACKEND_CHOICES } from '../model/backend-choices.js';
import { isUserError, UserError } from '../util/errors.js';
import { FindBaseline, Plan, PostComment, Report, RunExperiment, SetupData } from './constants.js';
import { inputSource } from './inputs.js';

/**
 * One zod schema per action for all of its inputs: each input is parsed once, up front, into a
 * typed value, and a bad one fails the step with a message naming the action and the input. The
 * runner hands every input over as a string (`core.getInput`: trimmed, '' when unset), so each
 * field is a schema from string to its value, built for the input's name so its messages can say
 * which input they are about.
 */

/** A schema for one input, given how to name it in messages (`actions/plan input "full-seeds"`). */
export type Field<T> = (source: string) => z.ZodType<T, string>;

interface ActionNames {
  readonly inputs: Readonly<Record<string, string>>;
}

export interface InputsSpec<N extends ActionNames, F extends { [K in keyof N['inputs']]: Field<unknown> }> {
  /** The folder under `actions/`. */
  action: string;
  names: N;
  fields: F;
  /** Checks across inputs: messages for the combinations that cannot work. */
  across?: (values: InputValues<F>, source: (key: keyof N['inputs']) => string) => string[];
}

export type InputValues<F> = { [K in keyof F]: F[K] extends (source: string) => z.ZodType ? z.output<ReturnType<F[K]>> : never };

/** Declares an action's inputs: a field for every name in its constants (the type checker insists). */
export function actionInputs<N extends ActionNames, F extends { [K in keyof N['inputs']]: Field<unknown> }>(
  action: string,
  names: N,
  fields: F,
  across?: InputsSpec<N, F>['across'],
): InputsSpec<N, F> {
  return { action, names, fields, across };
}

/** Parses every input of the action; `read` is `core.getInput` on a runner. */
export function readInputs<N extends ActionNames, F extends { [K in keyof N['inputs']]: Field<unknown> }>(
  spec: InputsSpec<N, F>,
  read: (name: string) => string = (name) => core.getInput(name),
): InputValues<F> {
  const keys = Object.keys(spec.fields) as (keyof N['inputs'] & string)[];
  const source = (key: keyof N['inputs']) => inputSource(spec.names.inputs[key as string]!, spec.action);
  const shape = Object.fromEntries(keys.map((key) => [key, (spec.fields[key] as Field<unknown>)(source(key))]));
  let schema: z.ZodType = z.object(shape);
  if (spec.across) {
    const across = spec.across;
    schema = schema.superRefine((values, ctx) => {
      for (const message of across(values as InputValues<F>, source)) ctx.addIssue({ code: 'custom', message });
    });
  }
  const result = schema.safeParse(Object.fromEntries(keys.map((key) => [key, read(spec.names.inputs[key]!)])));
  if (!result.success) {
    // Field messages name their input already; anything zod worded itself gets the input's name here.
    const messages = result.error.issues.map((issue) => {
      const key = issue.path[0];
      return typeof key !== 'string' || issue.message.startsWith(source(key)) ? issue.message : `${source(key)}: ${issue.message}`;
    });
    throw new UserError([...new Set(messages)].join('\n'));
  }
  return result.data as InputValues<F>;
}

// ---- fields ---------------------------------------------------------------------------------

/** Free text; '' (unset) becomes `fallback`. */
export const text =
  (fallback = ''): Field<string> =>
  () =>
    z.string().transform((value) => value || fallback);

/** Free text; '' (unset) becomes undefined. */
export const optionalText = (): Field<string | undefined> => () => z.string().transform((value) => value || undefined);

/** Text that must be given. */
export const requiredText = (): Field<string> => (source) =>
  z.string().min(1, { error: `${source} is required and empty; set it under \`with:\` in the workflow step` });

const TRUE = ['true', 'yes', '1', 'on'];
const FALSE = ['false', 'no', '0', 'off'];

export const bool =
  (fallback: boolean): Field<boolean> =>
  (source) =>
    z
      .string()
      .transform((value) => value.toLowerCase() || String(fallback))
      .pipe(z.enum([...TRUE, ...FALSE] as [string, ...string[]], { error: (issue) => `${source} is "${String(issue.input)}"; use true or false` }))
      .transform((value) => TRUE.includes(value));

const oneOf = <T extends string>(choices: readonly T[], source: string) =>
  z.enum(choices as unknown as [T, ...T[]], { error: (issue) => `${source} is "${String(issue.input)}"; use one of ${choices.join(', ')}` });

/** One of `choices`; '' (unset) becomes `fallback`. */
export const choice =
  <T extends string>(choices: readonly T[], fallback: T): Field<T> =>
  (source) =>
    z
      .string()
      .transform((value) => value || fallback)
      .pipe(oneOf(choices, source));

/** One of `choices`, or undefined when unset. */
export const optionalChoice =
  <T extends string>(choices: readonly T[]): Field<T | undefined> =>
  (source) =>
    z
      .string()
      .transform((value) => value || undefined)
      .pipe(oneOf(choices, source).optional());

/** A whole number in [min, max]; '' is undefined when `optional`. */
export function integer(options: { min: number; max: number; optional: true }): Field<number | undefined>;
export function integer(options: { min: number; max: number; optional?: false }): Field<number>;
export function integer(options: { min: number; max: number; optional?: boolean }): Field<number | undefined> {
  return (source) => {
    const number = z
      .string()
      .regex(/^-?\d+$/, {
        error: (issue) =>
          issue.input === '' ? `${source} is required and empty; set it to a whole number` : `${source} is "${String(issue.input)}"; use a whole number`,
      })
      .transform(Number)
      .pipe(
        z
          .number()
          .min(options.min, { error: (issue) => `${source} is ${String(issue.input)}; use ${options.min} or more` })
          .max(options.max, { error: (issue) => `${source} is ${String(issue.input)}; use at most ${options.max}` }),
      );
    return options.optional
      ? z
          .string()
          .transform((value) => value || undefined)
          .pipe(number.optional())
      : number;
  };
}

/** A value a domain parser makes from the text (seed lists, version specs, overrides); its UserError becomes the input's issue. */
export const parsedBy =
  <T>(parse: (text: string, source: string) => T): Field<T> =>
  (source) =>
    z.string().transform((value, ctx) => {
      try {
        return parse(value, source);
      } catch (error) {
        if (!isUserError(error)) throw error;
        ctx.addIssue({ code: 'custom', message: error.message });
        return z.NEVER;
      }
    });

/** JSON text checked against `schema` (`what` it should be, and `hint` how to get it right); '' is undefined. */
export const optionalJson =
  <T>(schema: z.ZodType<T>, what: string, hint: string): Field<T | undefined> =>
  (source) =>
    z.string().transform((value, ctx) => {
      if (value === '') return undefined;
      let json: unknown;
      try {
        json = JSON.parse(value);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: `${source} is not JSON (${(error as Error).message}); it should be ${what}: ${hint}` });
        return z.NEVER;
      }
      const checked = schema.safeParse(json);
      if (checked.success) return checked.data;
      ctx.addIssue({ code: 'custom', message: `${source} is not ${what} (${issuesText(checked.error)}); ${hint}` });
      return z.NEVER;
    });

// ---- the actions ----------------------------------------------------------------------------

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
