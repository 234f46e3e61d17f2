import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import { fsError } from '../util/errno.js';
import { UserError } from '../util/errors.js';

/**
 * `.dvc/config` and `.dvc/config.local` (docs/dvc-format.md §4). DVC writes them with Python's
 * configobj: INI with quoted section names (`['remote "storage"']`) and four-space-indented keys.
 * Parsed by hand because INI libraries on npm treat the quotes and brackets of those section
 * names differently and would not write them back the way DVC reads them.
 */

/** Sections in file order, each an ordered key → value map. */
export type IniDoc = Map<string, Map<string, string>>;

export const CONFIG_FILE = 'config';
export const LOCAL_CONFIG_FILE = 'config.local';

function unquote(text: string): string {
  const t = text.trim();
  for (const quote of ["'''", '"""']) if (t.length >= 6 && t.startsWith(quote) && t.endsWith(quote)) return t.slice(3, -3);
  if (t.length >= 2 && (t[0] === '"' || t[0] === "'") && t[t.length - 1] === t[0]) return t.slice(1, -1);
  return t;
}

/**
 * A value as configobj (DVC's INI writer) writes it, so DVC reads back the same string: quoted
 * when it is empty, has a comma (configobj would read a list) or `#` (a comment), or starts or
 * ends with a space or a quote. Values were checked by `checkConfigValue` before.
 */
function formatValue(value: string): string {
  if (value !== '' && !/[,#]/.test(value) && !/^[\s'"]|[\s'"]$/.test(value)) return value;
  return value.includes('"') ? `'${value}'` : `"${value}"`;
}

export function parseIni(text: string, source: string): IniDoc {
  const doc: IniDoc = new Map();
  let current: Map<string, string> | undefined;
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    const header = /^\[(.*)\]$/.exec(line);
    if (header) {
      const name = unquote(header[1]!);
      current = doc.get(name) ?? new Map();
      doc.set(name, current);
      return;
    }
    const eq = line.indexOf('=');
    if (eq <= 0 || !current) {
      throw new UserError(
        `${source}:${index + 1}: cannot read "${raw.trim()}" (expected "[section]" or "key = value" inside a section); fix or remove that line`,
      );
    }
    current.set(line.slice(0, eq).trim(), unquote(line.slice(eq + 1)));
  });
  return doc;
}

/** A section name as configobj writes it: quoted when it holds anything beyond word characters. */
function formatSectionName(name: string): string {
  return /^[\w.-]+$/.test(name) ? `[${name}]` : `['${name}']`;
}

export function formatIni(doc: IniDoc): string {
  const out: string[] = [];
  for (const [name, keys] of doc) {
    if (keys.size === 0) continue;
    out.push(formatSectionName(name));
    for (const [key, value] of keys) out.push(`    ${key} = ${formatValue(value)}`);
  }
  // Every writer checks its input first; a line break here would be a bug that lets a value add sections.
  if (out.some((line) => /[\r\n]/.test(line))) throw new Error('formatIni: a config name or value holds a line break');
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}

async function readIniFile(path: string): Promise<IniDoc> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw fsError(error, path, 'read');
  }
  return parseIni(text, path);
}

/** One of the two config files alone: `.dvc/config` (committed) or, with `local`, `.dvc/config.local`; absent is empty. */
export async function readConfigFile(dvcDir: string, local: boolean): Promise<IniDoc> {
  return readIniFile(join(dvcDir, local ? LOCAL_CONFIG_FILE : CONFIG_FILE));
}

/** `.dvc/config` overlaid with `.dvc/config.local`, key by key, as DVC merges them. */
export async function readConfig(dvcDir: string): Promise<IniDoc> {
  const merged = await readIniFile(join(dvcDir, CONFIG_FILE));
  const local = await readIniFile(join(dvcDir, LOCAL_CONFIG_FILE));
  for (const [name, keys] of local) {
    const section = merged.get(name) ?? new Map<string, string>();
    for (const [key, value] of keys) section.set(key, value);
    merged.set(name, section);
  }
  return merged;
}

/** Reads one config file, applies `edit` and writes it back atomically. */
export async function editConfigFile(dvcDir: string, local: boolean, edit: (doc: IniDoc) => void): Promise<void> {
  const path = join(dvcDir, local ? LOCAL_CONFIG_FILE : CONFIG_FILE);
  const doc = await readIniFile(path);
  edit(doc);
  await writeFileAtomic(path, formatIni(doc));
}

/**
 * Refuses a value that cannot be written to the config as the one line it must be: a line break
 * or other control character (`store\n[core]` would add a section), a value wrapped in `[...]`
 * (read as a section by INI readers), or one holding both kinds of quote (configobj would need
 * triple quotes, which other readers do not know).
 */
export function checkConfigValue(what: string, value: string): void {
  let reason: string | undefined;
  // eslint-disable-next-line no-control-regex -- control characters are what this check rejects
  if (/[\u0000-\u001f\u007f]/.test(value)) reason = 'contains a line break or another control character';
  else if (/^\s*\[.*\]\s*$/.test(value)) reason = 'looks like a [section] header';
  else if (value.includes("'") && value.includes('"')) reason = 'contains both kinds of quote';
  if (reason)
    throw new UserError(`${what} ${reason}, which cannot be stored in a config file as one value; nothing was changed. Give it on one line, as plain text`);
}
