/**
 * Values as DVC (Python) holds them after reading YAML: the difference between an int and a float
 * matters to the bytes DVC writes (`1.0` stays `1.0`, `12345678901234567890` stays exact), so a
 * float is a `PyFloat`, an int a `number` (or a `bigint` beyond 2^53), a date its ISO text in a
 * `PyDate`. Mappings are plain objects in insertion order.
 */

export class PyFloat {
  constructor(readonly value: number) {}
}

/** A YAML timestamp (`2024-01-01`), which Python reads as a `date` and writes back the same. */
export class PyDate {
  constructor(readonly text: string) {}
}

export type PyValue = string | boolean | null | number | bigint | PyFloat | PyDate | PyValue[] | { [key: string]: PyValue };

/** A value as text where a string is expected (a key, a path, a hash): scalars as they read, a list or mapping as JSON. */
export function pyText(value: PyValue | undefined): string {
  if (value instanceof PyFloat) return String(value.value);
  if (value instanceof PyDate) return value.text;
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
}

export function isPyMapping(value: unknown): value is { [key: string]: PyValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof PyFloat) && !(value instanceof PyDate);
}

/** A mapping from entries, safe for any key (`__proto__` included). */
export function pyMapping(entries: Iterable<readonly [string, PyValue]>): { [key: string]: PyValue } {
  return Object.fromEntries(entries) as { [key: string]: PyValue };
}

/**
 * `repr(float)` of Python: the shortest digits that read back the same number, in positional
 * notation from 1e-4 up to 1e16 (with `.0` when whole) and in exponent notation (`1e-05`,
 * `1.5e+16`) outside that range.
 */
export function pythonFloatRepr(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  // toExponential() without digits gives the shortest round-trip digits, like Python's repr.
  const [mantissa, exp] = value.toExponential().split('e') as [string, string];
  const exponent = Number(exp);
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  const sign = negative ? '-' : '';
  if (exponent < -4 || exponent >= 16) {
    const body = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${body}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
  const fraction = digits.slice(exponent + 1);
  return `${sign}${whole}.${fraction === '' ? '0' : fraction}`;
}

/** The number a numeric value stands for (bool counts as 0/1, as in Python), or undefined. */
function numeric(value: PyValue): number | bigint | undefined {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number' || typeof value === 'bigint') return value;
  if (value instanceof PyFloat) return value.value;
  return undefined;
}

function numbersEqual(a: number | bigint, b: number | bigint): boolean {
  if (typeof a === typeof b) return a === b;
  // An int and a float are equal when the float is whole and the same number.
  const [big, other] = typeof a === 'bigint' ? [a, b as number] : [b as bigint, a];
  return Number.isInteger(other) && BigInt(other) === big;
}

/** Python's `==` on these values: `1 == 1.0 == True`, mappings by keys regardless of order. */
export function pyEqual(a: PyValue, b: PyValue): boolean {
  const na = numeric(a);
  const nb = numeric(b);
  if (na !== undefined || nb !== undefined) return na !== undefined && nb !== undefined && numbersEqual(na, nb);
  if (a instanceof PyDate || b instanceof PyDate) return a instanceof PyDate && b instanceof PyDate && a.text === b.text;
  if (Array.isArray(a) || Array.isArray(b)) return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, i) => pyEqual(item, b[i]!));
  if (isPyMapping(a) || isPyMapping(b)) {
    if (!isPyMapping(a) || !isPyMapping(b)) return false;
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && pyEqual(a[key]!, b[key]!));
  }
  return a === b;
}

/** A plain JS value for display (floats as numbers, big ints as numbers). */
function toPlain(value: PyValue): unknown {
  if (value instanceof PyFloat) return value.value;
  if (value instanceof PyDate) return value.text;
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(toPlain);
  if (isPyMapping(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toPlain(v)]));
  return value;
}

/** How Python's `str()` shows a value in a message (`1.0`, `True`, `None`). */
export function pyShow(value: PyValue): string {
  if (value === null) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (value instanceof PyFloat) return pythonFloatRepr(value.value);
  if (value instanceof PyDate) return value.text;
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  return JSON.stringify(toPlain(value));
}
