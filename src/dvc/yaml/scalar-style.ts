import { resolvePlain } from './resolve.js';
import { PyDate, PyFloat, pythonFloatRepr, type PyValue } from './values.js';

/**
 * Which of ruamel's three block-context styles a scalar is written in (plain, single- or double-
 * quoted), and its text: Python's repr of a float, YAML 1.2's words for null, booleans and the
 * special floats. The rules are ruamel's `analyze_scalar` and `choose_scalar_style`, for the
 * layout src/dvc/yaml/emit.ts writes.
 */

export const BREAKS = '\n\x85\u2028\u2029';
const SPACE_OR_BREAK = '\0 \t\r\n\x85\u2028\u2029';

export interface Analysis {
  empty: boolean;
  multiline: boolean;
  allowBlockPlain: boolean;
  allowSingleQuoted: boolean;
  allowDoubleQuoted: boolean;
}

function printable(ch: string): boolean {
  const code = ch.codePointAt(0)!;
  return (
    (code >= 0x20 && code <= 0x7e) ||
    code === 0x85 ||
    (code >= 0xa0 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd && code !== 0xfeff) ||
    (code >= 0x10000 && code <= 0x10ffff)
  );
}

/** ruamel's `analyze_scalar` for block context and YAML 1.2 (`chars` are code points). */
export function analyze(chars: readonly string[]): Analysis {
  if (chars.length === 0) return { empty: true, multiline: false, allowBlockPlain: true, allowSingleQuoted: true, allowDoubleQuoted: true };
  const text = chars.join('');
  let blockIndicators = text.startsWith('---') || text.startsWith('...');
  let lineBreaks = false;
  let special = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  let precededByWhitespace = true;
  let followedByWhitespace = chars.length === 1 || SPACE_OR_BREAK.includes(chars[1]!);
  let previousSpace = false;
  let previousBreak = false;
  for (let index = 0; index < chars.length; index++) {
    const ch = chars[index]!;
    if (index === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(ch)) blockIndicators = true;
      if ('?:'.includes(ch) && followedByWhitespace) blockIndicators = true;
      if (ch === '-' && followedByWhitespace) blockIndicators = true;
    } else {
      if (ch === ':' && followedByWhitespace) blockIndicators = true;
      if (ch === '#' && precededByWhitespace) blockIndicators = true;
    }
    if (BREAKS.includes(ch)) lineBreaks = true;
    if (!(ch === '\n' || (ch >= ' ' && ch <= '~')) && !printable(ch)) special = true;
    if (ch === ' ') {
      if (index === 0) leadingSpace = true;
      if (index === chars.length - 1) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (BREAKS.includes(ch)) {
      if (index === 0) leadingBreak = true;
      if (index === chars.length - 1) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWhitespace = SPACE_OR_BREAK.includes(ch);
    followedByWhitespace = index + 2 >= chars.length || SPACE_OR_BREAK.includes(chars[index + 2]!);
  }
  let allowBlockPlain = !(leadingSpace || leadingBreak || trailingSpace || trailingBreak);
  let allowSingleQuoted = true;
  if (breakSpace) allowBlockPlain = allowSingleQuoted = false;
  if (special || spaceBreak) allowBlockPlain = allowSingleQuoted = false;
  if (lineBreaks || blockIndicators) allowBlockPlain = false;
  return { empty: false, multiline: lineBreaks, allowBlockPlain, allowSingleQuoted, allowDoubleQuoted: true };
}

/** A scalar as ruamel represents it: its text, and whether it is a string (so it must read back as one). */
export interface ScalarText {
  text: string;
  isString: boolean;
}

export function scalarText(value: PyValue): ScalarText {
  if (value === null) return { text: '', isString: false };
  if (typeof value === 'boolean') return { text: value ? 'true' : 'false', isString: false };
  if (typeof value === 'bigint') return { text: value.toString(), isString: false };
  if (typeof value === 'number') return { text: Number.isInteger(value) ? String(value) : floatText(value), isString: false };
  if (value instanceof PyFloat) return { text: floatText(value.value), isString: false };
  if (value instanceof PyDate) return { text: value.text, isString: false };
  return { text: value as string, isString: true };
}

function floatText(value: number): string {
  if (Number.isNaN(value)) return '.nan';
  if (!Number.isFinite(value)) return value > 0 ? '.inf' : '-.inf';
  return pythonFloatRepr(value);
}

export type Style = 'plain' | 'single' | 'double';

/** ruamel's `choose_scalar_style` for a block-context scalar (a simple key may not be empty or span lines). */
export function chooseStyle(scalar: ScalarText, chars: readonly string[], analysis: Analysis, simpleKey: boolean): Style {
  // A string is plain only when it would read back as a string; other types always read back as themselves.
  const implicit = !scalar.isString || resolvePlain(scalar.text) === 'str';
  if (implicit && !(simpleKey && (analysis.empty || analysis.multiline)) && analysis.allowBlockPlain) return 'plain';
  if (analysis.allowDoubleQuoted && (chars.includes("'") || chars.includes('\n'))) return 'double';
  if (analysis.allowSingleQuoted && !(simpleKey && analysis.multiline)) return 'single';
  return 'double';
}
