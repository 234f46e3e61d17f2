import { BREAKS } from './scalar-style.js';

/**
 * The text ruamel's emitter writes, with its state (column, whether the last character was
 * whitespace or indentation, the indent a broken line continues at), and its writers of the three
 * scalar styles rule for rule: where a long scalar breaks (at the first space past the best width),
 * how a run of line breaks is kept, how a double-quoted one escapes.
 */

const BEST_WIDTH = 80;

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
export class Writer {
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
