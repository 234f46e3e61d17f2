/**
 * The YAML writer and reader of .dvc files, dvc.lock and run-cache entries (src/dvc/yaml) against
 * DVC's own: the same documents through DVC's `parse_yaml` + `dumps_yaml` (ruamel) and through
 * ours give the same bytes; and the gitignore lines DVC writes for awkward names.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { gitignoreEntry } from '../../src/dvc/repo.js';
import { dumpYaml } from '../../src/dvc/yaml/emit.js';
import { dictSha256 } from '../../src/dvc/yaml/pyjson.js';
import { loadYaml } from '../../src/dvc/yaml/resolve.js';
import { isPyMapping, PyFloat, pythonFloatRepr, type PyValue } from '../../src/dvc/yaml/values.js';
import { AWKWARD_NAMES, dvcPython, realDvcSkip } from './realdvc.js';

const LONG_COMMANDS = [
  'node dist/src/cli.js stage train --params params.yaml --out models/model.json --metrics reports/train.json --log',
  `python train.py ${'--flag value '.repeat(20)}--last`,
  `echo ${'a'.repeat(90)} b c`,
  `echo 'quoted ${'x '.repeat(50)}' && echo "double ${'y '.repeat(40)}"`,
  'a:b c#d e: f # g',
  // Line breaks other than \n keep a string single-quoted, where each break is written as a line of its own.
  'first\u2028second\u2029\u2029third',
];

/**
 * Strings no file name of the parity matrix carries but a path or command may: every other YAML
 * line break, control characters, a byte-order mark, characters outside the BMP, tabs, and
 * non-printable Unicode, each alone and inside text (they decide between plain, single- and
 * double-quoted styles, and the escapes of the last).
 */
const RARE_CHARACTERS = [
  '\x85',
  'a\x85b',
  '\u2028',
  'a\u2029b',
  'tab\tinside',
  '\ttab first',
  'bell\x07',
  'del\x7f',
  'nul\0',
  'esc\x1b[0m',
  '\uFEFFbom',
  'mid\uFEFFbom',
  '😀 emoji',
  'a\u00A0nbsp',
  'zwsp\u200B',
  'private\uE000',
  'surrogate-free \u{1F600}\u{10FFFF}',
  'cr\rinside',
  'crlf\r\nline',
  'trailing newline\n',
  'x'.repeat(70) + '\u2028' + 'y'.repeat(30),
  'a\u2028\nb',
  'a\n\u2028b',
  'a\u2028\u2029\x85b',
  '\u2028\u2028',
  'x y\u2028z w',
];

const PARAMS_TEXT = `lr: 1.0
eps: 1e-05
small: 0.0001
tiny: 0.00001
nothing: null
tilde: ~
big: 12345678901234567890
neg_big: -98765432109876543210
under: 1_000
hex: 0x1F
oct: 0o17
date: 2024-01-01
list: [1, 2.5, 'x', null, true]
empty_map: {}
empty_list: []
inf: .inf
neg_zero: -0.0
large: 1.5e+20
whole_large: 1e16
bool: true
yes: yes
empty_string: ''
quoted_num: '1.0'
third: 0.3333333333333333
nested:
  deeper:
    value: 0.1
`;

const PARAMS_CASE = '__PARAMS__';

/** The documents both writers dump: .dvc files for every awkward name, lock entries, params. */
function cases(): string[] {
  const docs: string[] = [];
  // JSON escapes only C0 controls: the rest a YAML reader refuses raw (DEL, C1, BOM, line separators) become \\u escapes too.
  const quote = (s: string) => JSON.stringify(s).replace(/[\x7f-\x9f\u2028\u2029\uFEFF]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  for (const name of [...AWKWARD_NAMES, ...RARE_CHARACTERS])
    docs.push(`{"outs": [{"md5": "0cc175b9c0f1b6a831c399e269772661", "size": 1, "hash": "md5", "path": ${quote(name)}}]}`);
  for (const cmd of [...LONG_COMMANDS, ...RARE_CHARACTERS]) {
    docs.push(
      `{"schema": "2.0", "stages": {"train": {"cmd": ${quote(cmd)}, "deps": [{"path": "data/x", "hash": "md5", "md5": "d41d8cd98f00b204e9800998ecf8427e.dir", "size": 0, "nfiles": 0}]}}}`,
    );
    docs.push(`{"stages": {"s": {"cmd": [${quote(cmd)}, ${quote(cmd.slice(0, 40))}]}}}`);
  }
  // The params of a lock entry, read from PARAMS_TEXT by each side.
  docs.push(PARAMS_CASE);
  return docs;
}

// Both sides read the same flow-style YAML text (a JSON document is one), so types come from each reader.
const PY = `
import sys, json
from dvc.utils.serialize import parse_yaml, dumps_yaml
PARAMS = json.loads(sys.argv[1])
out = []
for text in json.load(sys.stdin):
    if text == "__PARAMS__":
        doc = {"stages": {"s": {"cmd": "x", "params": {"params.yaml": parse_yaml(PARAMS, "params.yaml")}}}}
    else:
        doc = parse_yaml(text, "case")
    out.append(dumps_yaml(doc))
json.dump(out, sys.stdout)
`;

function ours(text: string): string {
  if (text === PARAMS_CASE) return dumpYaml({ stages: { s: { cmd: 'x', params: { 'params.yaml': loadYaml(PARAMS_TEXT) } } } });
  const doc = loadYaml(text);
  assert.ok(isPyMapping(doc));
  return dumpYaml(doc);
}

describe('the YAML writer writes what DVC writes', () => {
  test('awkward names, long commands and every params type give the bytes of DVC’s dumps_yaml', { skip: realDvcSkip }, async () => {
    const docs = cases();
    const theirs = JSON.parse(await dvcPython(PY, JSON.stringify(docs), [JSON.stringify(PARAMS_TEXT)])) as string[];
    const mismatches = docs.map((doc, i) => ({ doc, dvc: theirs[i]!, ours: ours(doc) })).filter((c) => c.dvc !== c.ours);
    assert.deepEqual(mismatches, [], `${mismatches.length} of ${docs.length} documents differ from DVC's writer`);
  });

  test('what the writer writes reads back as the same values (strings stay strings)', () => {
    // Not a name with NEL: DVC writes it raw in single quotes and reads it back as a newline (below).
    for (const name of [...AWKWARD_NAMES, ...RARE_CHARACTERS].filter((n) => !n.includes('\x85'))) {
      const text = dumpYaml({ outs: [{ path: name }] });
      assert.deepEqual(loadYaml(text), { outs: [{ path: name }] }, text);
    }
    const params = loadYaml(PARAMS_TEXT);
    assert.ok(isPyMapping(params));
    const again = loadYaml(dumpYaml(params));
    assert.equal(dumpYaml(again as { [key: string]: PyValue }), dumpYaml(params));
  });

  test('the reader reads what DVC reads: its own output for every name, and hand-written line breaks in quotes', { skip: realDvcSkip }, async () => {
    const texts = [
      ...[...AWKWARD_NAMES, ...RARE_CHARACTERS].map((name) => ({ dump: name })),
      ...[
        "path: 'a\u2028\n\n    b'\n",
        "path: 'a  \u2028  \u2029 \t b'\n",
        "path: 'a\r\n  b\u2028\r\n\r\n  c'\n",
        "path: 'it''s\u2028  ''quoted'''\n",
        "path: 'nel\x85  folds'\n",
        "path: 'nel\x85\x85  keeps one'\n",
        'path: "double\x85  quoted"\n',
        'path: plain\x85  # a comment after NEL\n',
        "path: 'tabs\t\u2029\tafter'\n",
      ].map((text) => ({ text })),
    ];
    const py = `
import sys, json
from dvc.utils.serialize import parse_yaml, dumps_yaml
out = []
for case in json.load(sys.stdin):
    text = case["text"] if "text" in case else dumps_yaml({"path": case["dump"]})
    out.append([text, parse_yaml(text, "case")["path"]])
json.dump(out, sys.stdout)
`;
    const theirs = JSON.parse(await dvcPython(py, JSON.stringify(texts))) as [string, string][];
    const differ = theirs.map(([text, path]) => ({ text, dvc: path, ours: (loadYaml(text) as { path: unknown }).path })).filter((c) => c.dvc !== c.ours);
    assert.deepEqual(differ, [], `${differ.length} of ${texts.length} texts read otherwise than DVC reads them`);
  });

  test('floats print as Python prints them', () => {
    const cases: [number, string][] = [
      [1, '1.0'],
      [1e-5, '1e-05'],
      [0.0001, '0.0001'],
      [1e16, '1e+16'],
      [1.5e20, '1.5e+20'],
      [123456789012345.6, '123456789012345.6'],
      [0.1 + 0.2, '0.30000000000000004'],
      [-2.5e-7, '-2.5e-07'],
    ];
    for (const [value, repr] of cases) assert.equal(pythonFloatRepr(value), repr);
    assert.equal(dumpYaml({ a: new PyFloat(1) }), 'a: 1.0\n');
  });

  test('dict_sha256 hashes what DVC hashes', { skip: realDvcSkip }, async () => {
    const text = `cmd: echo "x" é\ndeps:\n- path: a\n  md5: b\n  size: 3\nparams:\n  params.yaml:\n    lr: 1.0\n    big: 12345678901234567890\n    n: null\nouts:\n- path: o\n`;
    const doc = loadYaml(text) as PyValue;
    const py = `
import sys, json
from dvc.utils import dict_sha256
from dvc.utils.serialize import parse_yaml
print(dict_sha256(parse_yaml(sys.stdin.read(), "x"), exclude=["size", "nfiles"]))
`;
    assert.equal(dictSha256(doc, ['size', 'nfiles']), (await dvcPython(py, text)).trim());
  });
});

describe('.gitignore entries are escaped as DVC escapes them', () => {
  test('wildcards, brackets, # and ! get a backslash; other names stay as they are', () => {
    assert.equal(gitignoreEntry('[x]'), '/\\[x\\]');
    assert.equal(gitignoreEntry('*star'), '/\\*star');
    assert.equal(gitignoreEntry('?q'), '/\\?q');
    assert.equal(gitignoreEntry('#hash'), '/\\#hash');
    assert.equal(gitignoreEntry('!bang'), '/\\!bang');
    assert.equal(gitignoreEntry('plain name.txt'), '/plain name.txt');
  });

  test('the same lines as pathspec’s escape, which DVC uses', { skip: realDvcSkip }, async () => {
    const py = `
import sys, json
from pathspec.patterns import GitWildMatchPattern
print(json.dumps(["/" + GitWildMatchPattern.escape(n) for n in json.load(sys.stdin)]))
`;
    const names = AWKWARD_NAMES.filter((n) => !n.includes('/'));
    assert.deepEqual(names.map(gitignoreEntry), JSON.parse(await dvcPython(py, JSON.stringify(names))));
  });
});
