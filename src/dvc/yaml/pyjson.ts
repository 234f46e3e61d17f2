import { createHash } from 'node:crypto';
import { compareCodePoints, pythonJsonString } from '../manifest.js';
import { isPyMapping, PyDate, PyFloat, pythonFloatRepr, type PyValue } from './values.js';

/**
 * `json.dumps(value, sort_keys=True)` of Python, byte for byte: DVC hashes its run-cache keys and
 * experiments (`dict_sha256`) from this text, so the same stage must give the same text here.
 */
function pythonJsonDumps(value: PyValue): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : floatJson(value);
  if (value instanceof PyFloat) return floatJson(value.value);
  // Python's json cannot write a date; DVC would fail on it. Its text keeps the hash defined.
  if (value instanceof PyDate) return pythonJsonString(value.text);
  if (typeof value === 'string') return pythonJsonString(value);
  if (Array.isArray(value)) return `[${value.map(pythonJsonDumps).join(', ')}]`;
  const keys = Object.keys(value).sort(compareCodePoints);
  return `{${keys.map((key) => `${pythonJsonString(key)}: ${pythonJsonDumps(value[key]!)}`).join(', ')}}`;
}

function floatJson(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
  return pythonFloatRepr(value);
}

/** DVC's `dict_filter`: the value without the given keys, at every depth. */
function without(value: PyValue, exclude: readonly string[]): PyValue {
  if (Array.isArray(value)) return value.map((item) => without(item, exclude));
  if (!isPyMapping(value)) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !exclude.includes(key))
      .map(([key, item]) => [key, without(item, exclude)]),
  ) as PyValue;
}

/** DVC's `dict_sha256(value, exclude=…)`. */
export function dictSha256(value: PyValue, exclude: readonly string[] = []): string {
  return createHash('sha256')
    .update(pythonJsonDumps(without(value, exclude)), 'utf8')
    .digest('hex');
}
