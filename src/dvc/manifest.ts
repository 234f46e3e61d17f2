import { UserError } from '../util/errors.js';
import { unsafePathReason } from './paths.js';

/**
 * Directory manifests (`.dir` objects): the JSON list of `{md5, relpath}` a directory's DVC id is
 * the MD5 of, written byte for byte as Python's `json.dumps(entries, sort_keys=True)` writes it,
 * read back, and judged before checkout writes any of its names.
 */

/** One file of a directory manifest; `relpath` uses `/` on every OS. */
export interface ManifestEntry {
  md5: string;
  relpath: string;
}

/** Compares two strings by Unicode code point, as Python sorts `str` (JS `<` compares UTF-16 units). */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (0xD800–0xDFFF) encode code points above 0xFFFF, so they outrank every BMP unit
    // above them (0xE000–0xFFFF) even though their unit value is lower.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

const SHORT_ESCAPES: Record<number, string> = {
  0x22: '\\"',
  0x5c: '\\\\',
  0x08: '\\b',
  0x0c: '\\f',
  0x0a: '\\n',
  0x0d: '\\r',
  0x09: '\\t',
};

/** A JSON string literal exactly as Python's `json.dumps` (ensure_ascii=True) writes it. */
export function pythonJsonString(text: string): string {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    const short = SHORT_ESCAPES[unit];
    if (short !== undefined) out += short;
    else if (unit < 0x20 || unit > 0x7e) out += `\\u${unit.toString(16).padStart(4, '0')}`;
    else out += text[i];
  }
  return `${out}"`;
}

/** Sorts entries by relpath in code-point order (a copy; the input is left alone). */
export function sortManifest<T extends ManifestEntry>(entries: readonly T[]): T[] {
  return [...entries].sort((a, b) => compareCodePoints(a.relpath, b.relpath));
}

/**
 * The manifest bytes of a directory, written by hand because `JSON.stringify` differs from
 * Python's `json.dumps(entries, sort_keys=True)` in separators and non-ASCII escaping, and
 * DVC's directory id is the MD5 of exactly these bytes.
 */
export function manifestBytes(entries: readonly ManifestEntry[]): Buffer {
  const items = sortManifest(entries).map((e) => `{"md5": ${pythonJsonString(e.md5)}, "relpath": ${pythonJsonString(e.relpath)}}`);
  return Buffer.from(`[${items.join(', ')}]`, 'ascii');
}

/** Parses the bytes of a `.dir` object back into entries, naming `source` when they are not a manifest. */
export function parseManifest(bytes: Uint8Array | string, source: string): ManifestEntry[] {
  let doc: unknown;
  try {
    doc = JSON.parse(typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('utf8'));
  } catch (error) {
    throw new UserError(`${source} is not a DVC directory manifest (invalid JSON); delete it so it is fetched again`, { cause: error });
  }
  if (!Array.isArray(doc) || !doc.every(isManifestEntry)) {
    throw new UserError(`${source} is not a DVC directory manifest (expected a list of {md5, relpath}); delete it so it is fetched again`);
  }
  return doc.map((e) => ({ md5: e.md5, relpath: e.relpath }));
}

function isManifestEntry(e: unknown): e is ManifestEntry {
  return typeof e === 'object' && e !== null && typeof (e as ManifestEntry).md5 === 'string' && typeof (e as ManifestEntry).relpath === 'string';
}

/** An entry of a manifest that must not be written, with the reason. */
export interface UnsafeEntry {
  relpath: string;
  reason: string;
}

const FILE_MD5 = /^[0-9a-f]{32}$/;

/**
 * The first entry of a manifest that checkout must refuse, or undefined when every entry is safe:
 * a name the path rule refuses (src/dvc/paths.ts), a hash that is not a file's MD5, a name listed
 * twice, or a name that is both a file and the folder of another entry (`a` and `a/b`). The whole
 * manifest is judged before anything is written.
 */
export function unsafeManifestEntry(entries: readonly ManifestEntry[]): UnsafeEntry | undefined {
  const files = new Set<string>();
  for (const { relpath, md5 } of entries) {
    const reason = unsafePathReason(relpath);
    if (reason !== undefined) return { relpath, reason };
    if (!FILE_MD5.test(md5)) return { relpath, reason: `its md5 ${JSON.stringify(md5)} is not a file's MD5 (32 hex digits)` };
    if (files.has(relpath)) return { relpath, reason: 'it is listed twice' };
    files.add(relpath);
  }
  for (const relpath of files) {
    for (let slash = relpath.indexOf('/'); slash !== -1; slash = relpath.indexOf('/', slash + 1)) {
      const folder = relpath.slice(0, slash);
      if (files.has(folder)) return { relpath: folder, reason: `it is listed as a file and also as the folder of ${JSON.stringify(relpath)}` };
    }
  }
  return undefined;
}
