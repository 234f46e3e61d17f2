import { readFile } from 'node:fs/promises';
import { closestMatch } from 'leven';
import { parse } from 'yaml';
import { UserError } from './util/errors.js';

/**
 * params.yaml holds every knob, grouped by stage (`data:`, `prepare:`, `train:`, `tune:`,
 * `evaluate:`). Each stage declares the schema of its own group and reads it through
 * `readParamsGroup`, which fills defaults, checks types and rejects unknown keys, so a typo inside
 * a group fails loudly instead of being ignored. Unknown top-level groups are allowed (DVC users
 * keep their own there), but one that looks like a misspelt stage group gets a warning.
 */
export type ParamType = 'number' | 'integer' | 'string' | 'boolean' | 'number[]' | 'integer[]' | 'string[]';

export interface ParamSpec {
  type: ParamType;
  /** Used when the key is absent; a key without a default is required. */
  default?: unknown;
  min?: number;
  max?: number;
  /** The value must be above this (a learning rate of 0 trains nothing). */
  exclusiveMin?: number;
  /** Why a value out of range is refused, appended to the error. */
  hint?: string;
  /** Allowed values of a string (or of each element of a string list). */
  choices?: readonly string[];
  description?: string;
}

export type ParamSchema = Record<string, ParamSpec>;

type ValueOf<T extends ParamType> = T extends 'number' | 'integer'
  ? number
  : T extends 'string'
    ? string
    : T extends 'boolean'
      ? boolean
      : T extends 'number[]' | 'integer[]'
        ? number[]
        : string[];

export type ParamsOf<S extends ParamSchema> = { -readonly [K in keyof S]: ValueOf<S[K]['type']> };

export const DEFAULT_PARAMS_FILE = 'params.yaml';

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

function checkValue(where: string, spec: ParamSpec, value: unknown): unknown {
  const fail = (expected: string): never => {
    throw new UserError(`${where}: expected ${expected}, got ${JSON.stringify(value)}${spec.hint ? ` (${spec.hint})` : ''}`);
  };
  const checkNumber = (v: unknown, integer: boolean): number => {
    if (typeof v !== 'number' || !Number.isFinite(v)) return fail(integer ? 'an integer' : 'a number');
    if (integer && !Number.isInteger(v)) return fail('an integer');
    if (spec.min !== undefined && v < spec.min) return fail(`a value ≥ ${spec.min}`);
    if (spec.exclusiveMin !== undefined && v <= spec.exclusiveMin) return fail(`a value > ${spec.exclusiveMin}`);
    if (spec.max !== undefined && v > spec.max) return fail(`a value ≤ ${spec.max}`);
    return v;
  };
  const checkString = (v: unknown): string => {
    if (typeof v !== 'string') return fail('a string');
    if (spec.choices && !spec.choices.includes(v)) return fail(`one of ${spec.choices.join(', ')}`);
    return v;
  };
  switch (spec.type) {
    case 'number':
      return checkNumber(value, false);
    case 'integer':
      return checkNumber(value, true);
    case 'string':
      return checkString(value);
    case 'boolean':
      return typeof value === 'boolean' ? value : fail('true or false');
    case 'number[]':
    case 'integer[]':
    case 'string[]': {
      const list = Array.isArray(value) ? value : [value];
      if (spec.type === 'string[]') return list.map(checkString);
      return list.map((v) => checkNumber(v, spec.type === 'integer[]'));
    }
  }
}

/** Validates `group` of an already-read params document against `schema`. */
export function paramsGroup<S extends ParamSchema>(
  doc: Record<string, unknown>,
  group: string,
  schema: S,
  file: ParamsSource = DEFAULT_PARAMS_FILE,
): ParamsOf<S> {
  const raw = doc[group] ?? {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new UserError(`${sourceOf(file, group)}: "${group}" must be a mapping of keys`);
  }
  const values = raw as Record<string, unknown>;
  for (const key of Object.keys(values)) {
    if (!(key in schema)) {
      throw new UserError(`${sourceOf(file, `${group}.${key}`)}: unknown key "${group}.${key}"; known keys of "${group}": ${Object.keys(schema).join(', ')}`);
    }
  }
  const result: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(schema)) {
    const where = `${sourceOf(file, `${group}.${key}`)}: ${group}.${key}`;
    if (values[key] === undefined || values[key] === null) {
      if (spec.default === undefined) throw new UserError(`${where} is required`);
      result[key] = spec.default;
    } else {
      result[key] = checkValue(where, spec, values[key]);
    }
  }
  return result as ParamsOf<S>;
}

/** Reads `file` and validates one group: the one call a stage needs. */
export async function readParamsGroup<S extends ParamSchema>(group: string, schema: S, file = DEFAULT_PARAMS_FILE): Promise<ParamsOf<S>> {
  return paramsGroup(await readParamsFile(file), group, schema, file);
}
