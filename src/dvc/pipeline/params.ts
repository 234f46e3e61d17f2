import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { isMap, parse, parseDocument, type Document } from 'yaml';
import { writeFileAtomic } from '../../util/atomic.js';
import { UserError } from '../../util/errors.js';
import { invalidYamlError } from '../messages.js';
import { loadYaml } from '../yaml/resolve.js';
import { isPyMapping, type PyValue } from '../yaml/values.js';
import { DEFAULT_PARAMS_FILE, type StageParam } from './dvcyaml.js';
import type { ParamValues } from './lock.js';

/** Params as stages track them, and `-S key=value` overrides with DVC's (Hydra's) rules. */

/** A params file typed as DVC reads it (`1.0` a float, `1_000` an int, `2024-01-01` a date). */
async function readParamsDoc(path: string): Promise<PyValue> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UserError(`cannot read params file ${path}: ${(error as Error).message}; create it or fix the params list in dvc.yaml`, { cause: error });
  }
  try {
    return loadYaml(text) ?? {};
  } catch (error) {
    throw invalidYamlError(path, (error as Error).message, error);
  }
}

/** The value at a dotted key, or undefined when any part is missing (only a document's own keys count, never `constructor`). */
export function valueAt(doc: unknown, key: string): unknown {
  let node = doc;
  for (const part of key.split('.')) {
    if (!isPyMapping(node) || !Object.hasOwn(node, part)) return undefined;
    node = node[part];
  }
  return node;
}

/**
 * Current values of a stage's params, grouped per file as dvc.lock records them; a missing key is an
 * error. `overridden` (absolute path → document, as `overriddenParams` returns them) stands in for
 * files not written yet, so a dry run answers for the values it was given.
 */
export async function readStageParams(
  wdir: string,
  stageName: string,
  params: readonly StageParam[],
  overridden: ReadonlyMap<string, PyValue> = new Map(),
): Promise<ParamValues> {
  const docs = new Map<string, PyValue>(overridden);
  const result: ParamValues = {};
  for (const { file, key } of params) {
    const path = isAbsolute(file) ? file : join(wdir, file);
    if (!docs.has(path)) docs.set(path, await readParamsDoc(path));
    const value = valueAt(docs.get(path), key) as PyValue | undefined;
    if (value === undefined)
      throw new UserError(`stage "${stageName}" tracks parameter "${key}", which is missing from ${path}; add it there or remove it from dvc.yaml`);
    (result[file] ??= {})[key] = value;
  }
  return result;
}

export interface ParamOverride {
  file: string;
  key: string;
  /** `set`: key must exist; `add` (`+key=`): key must not exist; `force` (`++key=`): either; `delete` (`~key`). */
  mode: 'set' | 'add' | 'force' | 'delete';
  value?: unknown;
}

/** Parses `-S` texts: `[+|++|~][file:]key[=value]`; values are typed like YAML (`100` → number, `v1+v2` → string). */
export function parseOverride(text: string): ParamOverride {
  const eq = text.indexOf('=');
  let left = eq < 0 ? text : text.slice(0, eq);
  const raw = eq < 0 ? undefined : text.slice(eq + 1);
  let mode: ParamOverride['mode'] = 'set';
  if (left.startsWith('++')) [mode, left] = ['force', left.slice(2)];
  else if (left.startsWith('+')) [mode, left] = ['add', left.slice(1)];
  else if (left.startsWith('~')) [mode, left] = ['delete', left.slice(1)];
  if (mode !== 'delete' && raw === undefined) throw new UserError(`-S ${text}: expected key=value (e.g. -S train.seed=100)`);
  const colon = left.lastIndexOf(':');
  const file = colon < 0 ? DEFAULT_PARAMS_FILE : left.slice(0, colon);
  const key = colon < 0 ? left : left.slice(colon + 1);
  if (!/^[A-Za-z_][\w-]*(\.[A-Za-z_0-9][\w-]*)*$/.test(key))
    throw new UserError(`-S ${text}: "${key}" is not a parameter key (use dotted names such as train.seed)`);
  let value: unknown;
  if (raw !== undefined) {
    try {
      value = raw === '' ? '' : parse(raw);
    } catch {
      value = raw;
    }
  }
  return { file, key, mode, value };
}

function applyOne(doc: Document, override: ParamOverride, path: string, text: string): void {
  const parts = override.key.split('.');
  const exists = doc.hasIn(parts);
  if (override.mode === 'set' && !exists) {
    throw new UserError(`-S ${text}: "${override.key}" is not in ${path}; check the spelling, or use -S +${override.key}=… to add a new key`);
  }
  if (override.mode === 'add' && exists) throw new UserError(`-S ${text}: "${override.key}" already exists in ${path}; use -S ${override.key}=… to change it`);
  if (override.mode === 'delete') {
    if (!exists) throw new UserError(`-S ${text}: "${override.key}" is not in ${path}; nothing to delete`);
    doc.deleteIn(parts);
    return;
  }
  for (let i = 1; i < parts.length; i++) {
    const parent = doc.getIn(parts.slice(0, i), true);
    if (parent !== undefined && !isMap(parent))
      throw new UserError(`-S ${text}: "${parts.slice(0, i).join('.')}" in ${path} is not a mapping, so it cannot hold "${parts[i]}"`);
  }
  doc.setIn(parts, override.value);
}

/** The params documents under `dir` with the overrides applied, all checked before any is returned. */
async function overriddenDocuments(dir: string, texts: readonly string[]): Promise<Map<string, Document>> {
  const overrides = texts.map(parseOverride);
  const docs = new Map<string, Document>();
  for (const [i, override] of overrides.entries()) {
    const path = isAbsolute(override.file) ? override.file : join(dir, override.file);
    let doc = docs.get(path);
    if (!doc) {
      const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
        throw new UserError(`-S ${texts[i]}: cannot read ${path} (${error.code ?? error.message}); create it or name another file as file:key=value`, {
          cause: error,
        });
      });
      doc = parseDocument(text);
      if (doc.errors.length > 0) throw invalidYamlError(path, doc.errors[0]!.message, doc.errors[0]);
      docs.set(path, doc);
    }
    applyOne(doc, override, path, texts[i]!);
  }
  return docs;
}

/**
 * Applies overrides to the params files under `dir`, keeping comments and layout. All overrides are
 * checked before any file is written, so a bad one leaves every file unchanged. With `write: false`
 * nothing is written: the result says what the files would hold.
 */
export async function applyOverrides(dir: string, texts: readonly string[], options: { write?: boolean } = {}): Promise<Map<string, unknown>> {
  const result = new Map<string, unknown>();
  for (const [path, doc] of await overriddenDocuments(dir, texts)) {
    if (options.write ?? true) await writeFileAtomic(path, doc.toString());
    result.set(path, doc.toJS());
  }
  return result;
}

/** What the params files would hold after the overrides, typed as DVC reads them (for a dry run). */
export async function overriddenParams(dir: string, texts: readonly string[]): Promise<Map<string, PyValue>> {
  const result = new Map<string, PyValue>();
  for (const [path, doc] of await overriddenDocuments(dir, texts)) result.set(path, loadYaml(doc.toString()) ?? {});
  return result;
}
