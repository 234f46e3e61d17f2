import { resolvePlain } from './resolve.js';
import { isPyMapping, PyDate, PyFloat, pythonFloatRepr, type PyValue } from './values.js';

/**
 * The YAML text DVC writes for `.dvc` files, `dvc.lock` and run-cache entries: ruamel.yaml's
 * round-trip dumper in block style with its defaults (80 columns, 2-space indents, sequences
 * inside mappings not indented, unicode kept).
 *
 * Written by hand because no JavaScript YAML library writes these bytes: the `yaml` package folds
 * long scalars before the width where ruamel folds at the first space after it, double-quotes where
 * ruamel single-quotes, and has no notion of Python's int/float difference. The scalar writers below
 * follow ruamel's emitter rule for rule (which style a string needs, where a long one breaks, how
 * a double-quoted one escapes); test/dvc/yaml.test.ts compares them with DVC's own output.
 */

const BEST_WIDTH = 80;
const INDENT = 2;
const MAX_SIMPLE_KEY = 128;
const BREAKS = '\n\x85\u2028\u2029';
const SPACE_OR_BREAK = '\0 \t\r\n\x85\u2028\u2029';

interface Analysis {
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
function analyze(chars: readonly string[]): Analysis {
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

const ESCAPES: Record<string, string> = {
  '\0': '0',
  '\x07': 'a',
  '\x08': 'b',
  '\x09': 't',
  '\x0A': 'n',
  '\x0B': 'v',
  '\x0C': 'f',
  '\x0D': 'r',
  '\x1B': 'e',
  '"': '"',
  '\\': '\\',
  '\x85': 'N',
  '\xA0': '_',
  '\u2028': 'L',
  '\u2029': 'P',
};

/** The text being written, with ruamel's emitter state (column in code points). */
class Writer {
  text = '';
  column = 0;
  whitespace = true;
  indention = true;
  /** Where a broken line of the scalar being written continues. */
  indent = 0;

  private put(data: string): void {
    this.text += data;
    this.column += [...data].length;
  }

  indicator(indicator: string, needWhitespace: boolean, whitespace = false, indention = false): void {
    this.put(this.whitespace || !needWhitespace ? indicator : ` ${indicator}`);
    this.whitespace = whitespace;
    this.indention = this.indention && indention;
  }

  lineBreak(data = '\n'): void {
    this.text += data;
    this.whitespace = true;
    this.indention = true;
    this.column = 0;
  }

  writeIndent(): void {
    if (!this.indention || this.column > this.indent || (this.column === this.indent && !this.whitespace)) this.lineBreak();
    if (this.column < this.indent) {
      this.whitespace = true;
      this.put(' '.repeat(this.indent - this.column));
    }
  }

  /** A run of line breaks inside a plain or single-quoted scalar: a leading `\n` is doubled (YAML folds one away), then the indent. */
  private breaks(run: readonly string[]): void {
    if (run[0] === '\n') this.lineBreak();
    for (const br of run) this.lineBreak(br);
    this.writeIndent();
  }

  plain(chars: readonly string[], split: boolean): void {
    if (chars.length === 0) return;
    if (!this.whitespace) this.put(' ');
    this.whitespace = false;
    this.indention = false;
    let spaces = false;
    let breaks = false;
    let start = 0;
    for (let end = 0; end <= chars.length; end++) {
      const ch = end < chars.length ? chars[end] : undefined;
      if (spaces) {
        if (ch !== ' ') {
          if (start + 1 === end && this.column > BEST_WIDTH && split) {
            this.writeIndent();
            this.whitespace = false;
            this.indention = false;
          } else this.put(chars.slice(start, end).join(''));
          start = end;
        }
      } else if (breaks) {
        if (ch === undefined || !BREAKS.includes(ch)) {
          this.breaks(chars.slice(start, end));
          this.whitespace = false;
          this.indention = false;
          start = end;
        }
      } else if (ch === undefined || ` ${BREAKS}`.includes(ch)) {
        this.put(chars.slice(start, end).join(''));
        start = end;
      }
      if (ch !== undefined) {
        spaces = ch === ' ';
        breaks = BREAKS.includes(ch);
      }
    }
  }

  singleQuoted(chars: readonly string[], split: boolean): void {
    this.indicator("'", true);
    let spaces = false;
    let breaks = false;
    let start = 0;
    for (let end = 0; end <= chars.length; end++) {
      const ch = end < chars.length ? chars[end] : undefined;
      if (spaces) {
        if (ch === undefined || ch !== ' ') {
          if (start + 1 === end && this.column > BEST_WIDTH && split && start !== 0 && end !== chars.length) this.writeIndent();
          else this.put(chars.slice(start, end).join(''));
          start = end;
        }
      } else if (breaks) {
        if (ch === undefined || !BREAKS.includes(ch)) {
          this.breaks(chars.slice(start, end));
          start = end;
        }
      } else if ((ch === undefined || ` ${BREAKS}`.includes(ch) || ch === "'") && start < end) {
        this.put(chars.slice(start, end).join(''));
        start = end;
      }
      if (ch === "'") {
        this.put("''");
        start = end + 1;
      }
      if (ch !== undefined) {
        spaces = ch === ' ';
        breaks = BREAKS.includes(ch);
      }
    }
    this.indicator("'", false);
  }

  doubleQuoted(chars: readonly string[], split: boolean): void {
    this.indicator('"', true);
    let start = 0;
    for (let end = 0; end <= chars.length; end++) {
      const ch = end < chars.length ? chars[end] : undefined;
      if (ch === undefined || '"\\\x85\u2028\u2029\uFEFF'.includes(ch) || !((ch >= ' ' && ch <= '~') || isUnicodePrintable(ch))) {
        if (start < end) {
          this.put(chars.slice(start, end).join(''));
          start = end;
        }
        if (ch !== undefined) {
          const code = ch.codePointAt(0)!;
          const escaped = ESCAPES[ch];
          if (escaped !== undefined) this.put(`\\${escaped}`);
          else if (code <= 0xff) this.put(`\\x${hex(code, 2)}`);
          else if (code <= 0xffff) this.put(`\\u${hex(code, 4)}`);
          else this.put(`\\U${hex(code, 8)}`);
          start = end + 1;
        }
      }
      if (end > 0 && end < chars.length - 1 && (ch === ' ' || start >= end) && this.column + (end - start) > BEST_WIDTH && split) {
        this.put(`${chars.slice(start, end).join('')}\\`);
        if (start < end) start = end;
        this.writeIndent();
        this.whitespace = false;
        this.indention = false;
        if (chars[start] === ' ') this.put('\\');
      }
    }
    this.indicator('"', false);
  }
}

/** What the double-quoted writer leaves unescaped besides ASCII (the basic plane, as ruamel). */
function isUnicodePrintable(ch: string): boolean {
  const code = ch.codePointAt(0)!;
  return (code >= 0xa0 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd);
}

function hex(code: number, width: number): string {
  return code.toString(16).toUpperCase().padStart(width, '0');
}

/** A scalar as ruamel represents it: its text, and whether it is a string (so it must read back as one). */
interface ScalarText {
  text: string;
  isString: boolean;
}

function scalarText(value: PyValue): ScalarText {
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

type Style = 'plain' | 'single' | 'double';

function chooseStyle(scalar: ScalarText, chars: readonly string[], analysis: Analysis, simpleKey: boolean): Style {
  // A string is plain only when it would read back as a string; other types always read back as themselves.
  const implicit = !scalar.isString || resolvePlain(scalar.text) === 'str';
  if (implicit && !(simpleKey && (analysis.empty || analysis.multiline)) && analysis.allowBlockPlain) return 'plain';
  if (analysis.allowDoubleQuoted && (chars.includes("'") || chars.includes('\n'))) return 'double';
  if (analysis.allowSingleQuoted && !(simpleKey && analysis.multiline)) return 'single';
  return 'double';
}

function isCollection(value: PyValue): value is PyValue[] | { [key: string]: PyValue } {
  return Array.isArray(value) || isPyMapping(value);
}

function isEmpty(value: PyValue[] | { [key: string]: PyValue }): boolean {
  return Array.isArray(value) ? value.length === 0 : Object.keys(value).length === 0;
}

class Emitter {
  readonly out = new Writer();

  /** Writes a scalar whose container's indent is `indent`; `sequenceItem` pads to it first, as ruamel does. */
  scalar(value: PyValue, indent: number, options: { simpleKey?: boolean; sequenceItem?: boolean } = {}): void {
    const scalar = scalarText(value);
    const chars = [...scalar.text];
    const analysis = analyze(chars);
    const style = chooseStyle(scalar, chars, analysis, options.simpleKey ?? false);
    this.out.indent = indent + INDENT;
    if (options.sequenceItem) this.out.writeIndent();
    const split = !options.simpleKey;
    if (style === 'plain') this.out.plain(chars, split);
    else if (style === 'single') this.out.singleQuoted(chars, split);
    else this.out.doubleQuoted(chars, split);
  }

  /** A node in the place of a mapping value (`inSequence` false) or a sequence item. */
  node(value: PyValue, indent: number, context: 'mapping' | 'sequence'): void {
    if (isCollection(value) && !isEmpty(value)) {
      if (Array.isArray(value)) this.sequence(value, context === 'mapping' && !this.out.indention ? indent : indent + INDENT);
      else this.mapping(value, indent + INDENT);
      return;
    }
    if (isCollection(value)) {
      // Empty collections are written in flow style after the indicator.
      this.out.indent = indent + INDENT;
      if (context === 'sequence') this.out.writeIndent();
      this.out.indicator(Array.isArray(value) ? '[' : '{', true, true);
      this.out.indicator(Array.isArray(value) ? ']' : '}', false);
      return;
    }
    this.scalar(value, indent, { sequenceItem: context === 'sequence' });
  }

  sequence(items: readonly PyValue[], indent: number): void {
    for (const item of items) {
      this.out.indent = indent;
      this.out.writeIndent();
      this.out.indicator('-', true, false, true);
      this.node(item, indent, 'sequence');
    }
  }

  mapping(map: { [key: string]: PyValue }, indent: number): void {
    for (const [key, value] of Object.entries(map)) {
      this.out.indent = indent;
      this.out.writeIndent();
      const keyText = scalarText(key);
      const chars = [...keyText.text];
      // ruamel counts the key's tag (`!!str`) into the length limit of a simple key.
      const simple = chars.length + '!!str'.length < MAX_SIMPLE_KEY && !analyze(chars).multiline;
      if (simple) {
        this.scalar(key, indent, { simpleKey: true });
        this.out.indicator(':', false);
      } else {
        this.out.indicator('?', true, false, true);
        this.scalar(key, indent);
        this.out.indent = indent;
        this.out.writeIndent();
        this.out.indicator(':', true, false, true);
      }
      this.node(value, indent, 'mapping');
    }
  }
}

/** The text ruamel (as DVC sets it up) writes for a mapping: `dump_yaml` of a `.dvc` file, `dvc.lock` or a run-cache entry. */
export function dumpYaml(doc: { [key: string]: PyValue }): string {
  const emitter = new Emitter();
  if (Object.keys(doc).length === 0) return '{}\n';
  emitter.mapping(doc, 0);
  return `${emitter.out.text}\n`;
}
