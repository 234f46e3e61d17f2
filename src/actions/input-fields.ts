import * as core from '@actions/core';
import { z } from 'zod';
import { issuesText } from '../github/schemas.js';
import { isUserError, UserError } from '../util/errors.js';
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
