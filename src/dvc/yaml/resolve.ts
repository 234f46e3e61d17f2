import { type Alias, isAlias, isMap, isScalar, isSeq, parseDocument, Scalar, type Node } from 'yaml';
import { singleQuotedValue } from './single-quoted.js';
import { PyDate, PyFloat, pyMapping, pyText, type PyValue } from './values.js';

/**
 * What DVC's YAML library (ruamel.yaml, YAML 1.2 rules) makes of a plain (unquoted) scalar. The
 * writer quotes every string that would read back as something else, and the reader types every
 * plain scalar the way DVC does, so both sides agree on `1.0` (a float), `1_000` (an int),
 * `2024-01-01` (a date), `=` and `<<` (not strings: DVC refuses them as names).
 *
 * Each rule lists the first characters it applies to, as ruamel's resolver does: `+_` is an int
 * to it, while `_` is a string.
 */
export type PlainTag = 'bool' | 'float' | 'int' | 'merge' | 'null' | 'timestamp' | 'value' | 'yaml' | 'str';

const RULES: readonly { tag: PlainTag; pattern: RegExp; first: string }[] = [
  { tag: 'bool', pattern: /^(?:true|True|TRUE|false|False|FALSE)$/, first: 'tTfF' },
  {
    tag: 'float',
    pattern:
      /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)|[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/,
    first: '-+0123456789.',
  },
  { tag: 'int', pattern: /^(?:[-+]?0b[0-1_]+|[-+]?0o?[0-7_]+|[-+]?[0-9_]+|[-+]?0x[0-9a-fA-F_]+)$/, first: '-+0123456789' },
  { tag: 'merge', pattern: /^(?:<<)$/, first: '<' },
  { tag: 'null', pattern: /^(?:~|null|Null|NULL|)$/, first: '~nN' },
  {
    tag: 'timestamp',
    pattern:
      /^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$/,
    first: '0123456789',
  },
  { tag: 'value', pattern: /^(?:=)$/, first: '=' },
  { tag: 'yaml', pattern: /^(?:!|&|\*)$/, first: '!&*' },
];

/** The type ruamel gives `text` written as a plain scalar. */
export function resolvePlain(text: string): PlainTag {
  // Python's `$` also matches before one final newline.
  const subject = text.endsWith('\n') ? text.slice(0, -1) : text;
  if (text === '') return 'null';
  for (const rule of RULES) if (rule.first.includes(text[0]!) && rule.pattern.test(subject)) return rule.tag;
  return 'str';
}

function pyInt(text: string): number | bigint {
  let digits = text.replaceAll('_', '');
  const sign = digits.startsWith('-') ? -1n : 1n;
  if (digits[0] === '-' || digits[0] === '+') digits = digits.slice(1);
  let value: bigint;
  if (digits.startsWith('0b')) value = BigInt(`0b${digits.slice(2)}`);
  else if (digits.startsWith('0x')) value = BigInt(`0x${digits.slice(2)}`);
  else if (digits.startsWith('0o')) value = BigInt(`0o${digits.slice(2)}`);
  else value = BigInt(digits);
  value *= sign;
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

function pyFloat(text: string): PyFloat {
  let digits = text.replaceAll('_', '').toLowerCase();
  const sign = digits.startsWith('-') ? -1 : 1;
  if (digits[0] === '-' || digits[0] === '+') digits = digits.slice(1);
  if (digits === '.inf') return new PyFloat(sign * Infinity);
  if (digits === '.nan') return new PyFloat(NaN);
  return new PyFloat(sign * Number(digits));
}

/** The value of a plain scalar, typed as DVC reads it. */
function plainValue(text: string): PyValue {
  switch (resolvePlain(text)) {
    case 'bool':
      return text.toLowerCase() === 'true';
    case 'float':
      return pyFloat(text);
    case 'int':
      return pyInt(text);
    case 'null':
      return null;
    case 'timestamp':
      return new PyDate(text);
    default:
      return text;
  }
}

const EXPLICIT: Record<string, (text: string) => PyValue> = {
  'tag:yaml.org,2002:str': (text) => text,
  'tag:yaml.org,2002:int': pyInt,
  'tag:yaml.org,2002:float': pyFloat,
  'tag:yaml.org,2002:bool': (text) => text.toLowerCase() === 'true',
  'tag:yaml.org,2002:null': () => null,
};

function nodeValue(node: Node | Alias | null, describe: (message: string) => Error): PyValue {
  if (node === null) return null;
  if (isAlias(node)) throw describe('aliases (*name) are not supported here');
  if (isScalar(node)) {
    const text = String((node as Scalar).value);
    if (node.tag) {
      const make = EXPLICIT[node.tag];
      if (!make) throw describe(`the tag ${node.tag} is not supported here`);
      return make(text);
    }
    if (node.type === Scalar.PLAIN) return plainValue(text);
    // Only a text with LS/PS keeps its source tokens (`loadYaml`).
    return node.srcToken?.type === 'single-quoted-scalar' && /[\u2028\u2029]/.test(node.srcToken.source) ? singleQuotedValue(node.srcToken.source) : text;
  }
  if (isSeq(node)) return node.items.map((item) => nodeValue(item as Node, describe));
  if (isMap(node)) {
    return pyMapping(
      node.items.map((pair) => {
        const key = nodeValue(pair.key as Node, describe);
        return [key === null ? 'null' : pyText(key), nodeValue(pair.value as Node, describe)] as const;
      }),
    );
  }
  throw describe('an unexpected YAML node');
}

/**
 * Reads YAML text typed as DVC reads it (see `resolvePlain`). Throws an Error with the parser's
 * message; callers turn it into a message naming the file.
 */
export function loadYaml(text: string): PyValue {
  // The failsafe schema keeps every scalar's text; the types come from ruamel's rules above. NEL
  // is a line break read as "\n" in YAML 1.1 (DVC's reader), text in 1.2 (this parser's); a text
  // with LS/PS keeps its source tokens, which `nodeValue` scans as 1.1 does.
  const doc = parseDocument(text.includes('\x85') ? text.replaceAll('\x85', '\n') : text, {
    schema: 'failsafe',
    uniqueKeys: true,
    keepSourceTokens: /[\u2028\u2029]/.test(text),
  });
  if (doc.errors.length > 0) throw new Error(doc.errors[0]!.message);
  return nodeValue(doc.contents as Node | null, (message) => new Error(message));
}
