import { analyze, chooseStyle, scalarText } from './scalar-style.js';
import { isPyMapping, type PyValue } from './values.js';
import { Writer } from './writer.js';

/**
 * The YAML text DVC writes for `.dvc` files, `dvc.lock` and run-cache entries: ruamel.yaml's
 * round-trip dumper in block style with its defaults (80 columns, 2-space indents, sequences
 * inside mappings not indented, unicode kept).
 *
 * Written by hand because no JavaScript YAML library writes these bytes: the `yaml` package folds
 * long scalars before the width where ruamel folds at the first space after it, double-quotes where
 * ruamel single-quotes, and has no notion of Python's int/float difference. This module lays out the
 * document (mappings, sequences, keys simple or not, empty collections in flow style); which style a
 * scalar needs is scalar-style.ts's and writing it writer.ts's, each following ruamel's emitter rule
 * for rule. test/dvc/yaml.test.ts compares the whole with DVC's own output.
 */

const INDENT = 2;
const MAX_SIMPLE_KEY = 128;

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
