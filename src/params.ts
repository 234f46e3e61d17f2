import { readFile } from 'node:fs/promises';
import { closestMatch } from 'leven';
import { parse } from 'yaml';
import { z } from 'zod';
import { UserError } from './util/errors.js';

/**
 * params.yaml holds every knob, grouped by stage (`data:`, `prepare:`, `train:`, `tune:`,
 * `evaluate:`). Each layer declares the zod schema of its own groups (built with `param` below, so
 * every group speaks with the same messages) and reads them through `paramsGroup`, which fills
 * defaults, checks types and ranges and rejects unknown keys, so a typo inside a group fails
 * loudly instead of being ignored. Unknown top-level groups are allowed (DVC users keep their own
 * there), but one that looks like a misspelt stage group gets a warning.
 */

export const DEFAULT_PARAMS_FILE = 'params.yaml';

/** What a field says when a value is refused, after "got <value>": why the range is what it is. */
interface FieldMeta {
  hint?: string;
  description?: string;
}

interface NumberSpec<T> extends FieldMeta {
  default: T;
  min?: number;
  max?: number;
  /** The value must be above this (a learning rate of 0 trains nothing). */
  above?: number;
}

function numberSchema(spec: Omit<NumberSpec<unknown>, 'default'>, integer: boolean): z.ZodNumber {
  let schema = z.number({ error: integer ? 'expected an integer' : 'expected a number' });
  if (integer) schema = schema.int({ error: 'expected an integer' });
  if (spec.min !== undefined) schema = schema.min(spec.min, { error: `expected a value ≥ ${spec.min}` });
  if (spec.above !== undefined) schema = schema.gt(spec.above, { error: `expected a value > ${spec.above}` });
  if (spec.max !== undefined) schema = schema.max(spec.max, { error: `expected a value ≤ ${spec.max}` });
  return schema;
}

const choiceSchema = <const C extends readonly [string, ...string[]]>(choices: C) => z.enum(choices, { error: `expected one of ${choices.join(', ')}` });

/** A list field also takes a single value (`lr: 0.01` for `lr: [0.01]`), as YAML writers expect. */
const listOf = <T extends z.ZodType>(item: T) => z.preprocess((value) => (value === undefined || Array.isArray(value) ? value : [value]), z.array(item));

const withMeta = <T extends z.ZodType>(schema: T, meta: FieldMeta): T => schema.meta({ hint: meta.hint, description: meta.description });

/** Field builders of a params group: a default, the checks, and the project's wording of each refusal. */
export const param = {
  number: (spec: NumberSpec<number>) => withMeta(numberSchema(spec, false).default(spec.default), spec),
  integer: (spec: NumberSpec<number>) => withMeta(numberSchema(spec, true).default(spec.default), spec),
  text: (spec: FieldMeta & { default: string }) => withMeta(z.string({ error: 'expected a string' }).default(spec.default), spec),
  choice: <const C extends readonly [string, ...string[]]>(choices: C, spec: FieldMeta & { default: C[number] }) =>
    withMeta(choiceSchema(choices).default(spec.default as never), spec),
  flag: (spec: FieldMeta & { default: boolean }) => withMeta(z.boolean({ error: 'expected true or false' }).default(spec.default), spec),
  numbers: (spec: NumberSpec<number[]>) => withMeta(listOf(numberSchema(spec, false)).default(spec.default), spec),
  integers: (spec: NumberSpec<number[]>) => withMeta(listOf(numberSchema(spec, true)).default(spec.default), spec),
  choices: <const C extends readonly [string, ...string[]]>(choices: C, spec: FieldMeta & { default: C[number][] }) =>
    withMeta(listOf(choiceSchema(choices)).default(spec.default as never), spec),
};

/** The schema of one params group: a zod object whose fields come from `param`. */
export type GroupSchema = z.ZodObject<Record<string, z.ZodType>>;

/**
 * Where params came from, for messages: a file name, or a function naming the source of each key
 * (`group.key`), so a value set by `-S group.key=…` is blamed on that override, not on the file.
 */
export type ParamsSource = string | ((key: string) => string);

const sourceOf = (source: ParamsSource, key: string): string => (typeof source === 'function' ? source(key) : source);

const PARAMS_GROUPS = ['data', 'prepare', 'train', 'tune', 'evaluate'] as const;

/** Warns on stderr about each top-level key within edit distance 2 of a stage group it is not. */
function warnMisspeltGroups(doc: Record<string, unknown>, file: string): void {
  for (const key of Object.keys(doc)) {
    if ((PARAMS_GROUPS as readonly string[]).includes(key)) continue;
    const nearest = closestMatch(key, PARAMS_GROUPS, { maxDistance: 2 });
    if (nearest) process.stderr.write(`warning: ${file}: unknown group "${key}" is ignored; did you mean "${nearest}"?\n`);
  }
}

export async function readParamsFile(file = DEFAULT_PARAMS_FILE): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UserError(`cannot read ${file}: ${(error as Error).message}; run from the project root or pass --params <file>`, { cause: error });
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (error) {
    throw new UserError(`${file} is not valid YAML: ${(error as Error).message}`, { cause: error });
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new UserError(`${file}: expected a mapping of groups (data:, train:, …) at the top level`);
  warnMisspeltGroups(doc as Record<string, unknown>, file);
  return doc as Record<string, unknown>;
}

/** Validates `group` of an already-read params document against its schema. */
export function paramsGroup<S extends GroupSchema>(
  doc: Record<string, unknown>,
  group: string,
  schema: S,
  file: ParamsSource = DEFAULT_PARAMS_FILE,
): z.output<S> {
  const raw = doc[group] ?? {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new UserError(`${sourceOf(file, group)}: "${group}" must be a mapping of keys`);
  }
  const known = Object.keys(schema.shape);
  // An empty key (`lr:` with no value) means "the default", as it did before schemas were zod's.
  const values = Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== null && value !== undefined));
  for (const key of Object.keys(raw)) {
    if (!known.includes(key))
      throw new UserError(`${sourceOf(file, `${group}.${key}`)}: unknown key "${group}.${key}"; known keys of "${group}": ${known.join(', ')}`);
  }
  const parsed = schema.safeParse(values);
  if (parsed.success) return parsed.data;
  // Fields are checked in schema order; the first refusal is the one to fix first.
  const issue = parsed.error.issues[0]!;
  const key = String(issue.path[0]);
  const where = `${sourceOf(file, `${group}.${key}`)}: ${group}.${key}`;
  if (values[key] === undefined) throw new UserError(`${where} is required`);
  const hint = (schema.shape[key]?.meta() as FieldMeta | undefined)?.hint;
  throw new UserError(`${where}: ${issue.message}, got ${JSON.stringify(values[key])}${hint ? ` (${hint})` : ''}`);
}

/** Reads `file` and validates one group: the one call a stage needs. */
export async function readParamsGroup<S extends GroupSchema>(group: string, schema: S, file = DEFAULT_PARAMS_FILE): Promise<z.output<S>> {
  return paramsGroup(await readParamsFile(file), group, schema, file);
}
