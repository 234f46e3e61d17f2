import { readFile } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import { fsError } from '../util/errno.js';
import { UserError } from '../util/errors.js';
import { command, hinted } from '../util/hints.js';
import { safeUrl } from './messages.js';
import { checkOptionName, remoteKindOf, SECRET_OPTIONS } from './remote/options.js';
import type { RemoteConfig } from './remote/types.js';

/**
 * `.dvc/config` and `.dvc/config.local` (dvc-format.md §4). DVC writes them with Python's
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
      throw new UserError(`${source}:${index + 1}: cannot read "${raw.trim()}" (expected "[section]" or "key = value" inside a section); fix or remove that line`);
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
  if (/[\u0000-\u001f\u007f]/.test(value)) reason = 'contains a line break or another control character';
  else if (/^\s*\[.*\]\s*$/.test(value)) reason = 'looks like a [section] header';
  else if (value.includes("'") && value.includes('"')) reason = 'contains both kinds of quote';
  if (reason) throw new UserError(`${what} ${reason}, which cannot be stored in a config file as one value; nothing was changed. Give it on one line, as plain text`);
}

/** Whether a URL carries a password (`https://user:secret@host`). */
export function urlHasPassword(value: string): boolean {
  if (!hasScheme(value)) return false;
  try {
    return new URL(value).password !== '';
  } catch {
    return /^[a-z][a-z0-9+.-]*:\/\/[^/@]*:[^/@]*@/i.test(value);
  }
}

/** A command line argument quoted for a POSIX shell. */
function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The URL with its password replaced by a placeholder, for a message. */
function maskPassword(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = 'PASSWORD';
    return parsed.toString().replace(/\/$/, url.endsWith('/') ? '/' : '');
  } catch {
    return safeUrl(url);
  }
}

export function remoteSectionName(name: string): string {
  return `remote "${name}"`;
}

const REMOTE_SECTION = /^remote "(.+)"$/;
const REMOTE_NAME = /^[a-z0-9][a-z0-9_.-]*$/;

/** Every remote of a merged config, in file order. */
export function listRemotes(config: IniDoc): RemoteConfig[] {
  const remotes: RemoteConfig[] = [];
  for (const [section, keys] of config) {
    const match = REMOTE_SECTION.exec(section);
    if (!match) continue;
    const options = Object.fromEntries([...keys].filter(([key]) => key !== 'url'));
    remotes.push({ name: match[1]!, url: keys.get('url') ?? '', options });
  }
  return remotes;
}

export function defaultRemoteName(config: IniDoc): string | undefined {
  return config.get('core')?.get('remote');
}

/**
 * The remote to use: the named one, else `core.remote`. Fails with the fix when there is none.
 */
export function selectRemote(config: IniDoc, name: string | undefined, dvcDir: string): RemoteConfig {
  const wanted = name ?? defaultRemoteName(config);
  const remotes = listRemotes(config);
  if (!wanted) {
    throw new UserError(
      hinted`no remote given and no default remote in ${join(dvcDir, CONFIG_FILE)}; add one with ${command('remote add', '-d', '<name>', '<path or URL>')} or pass --remote <name>`,
    );
  }
  const remote = remotes.find((r) => r.name === wanted);
  if (!remote) {
    const known = remotes.map((r) => r.name).join(', ') || 'none';
    throw new UserError(hinted`remote "${wanted}" is not defined in ${join(dvcDir, CONFIG_FILE)} (known remotes: ${known}); add it with ${command('remote add', wanted, '<path or URL>')}`);
  }
  if (!remote.url) throw new UserError(hinted`remote "${wanted}" in ${join(dvcDir, CONFIG_FILE)} has no url; set it with ${command('remote add', '-f', wanted, '<path or URL>')}`);
  return remote;
}

/** Whether a remote URL names a scheme (`s3://`, `https://`) rather than a local path. */
export function hasScheme(url: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(url);
}

/**
 * The URL stored in the config for what the user typed: a relative local path, given relative to
 * `cwd`, is stored relative to the `.dvc/` folder (so `../store` at the root becomes `../../store`).
 */
export function configUrlFor(url: string, cwd: string, dvcDir: string): string {
  if (hasScheme(url) || isAbsolute(url)) return url;
  return relative(dvcDir, resolve(cwd, url)).split('\\').join('/') || '.';
}

export interface AddRemoteOptions {
  makeDefault?: boolean;
  /** Write to `.dvc/config.local` (not committed). */
  local?: boolean;
  /** Replace an existing remote of that name. */
  force?: boolean;
  cwd?: string;
}

export async function addRemote(dvcDir: string, name: string, url: string, options: AddRemoteOptions = {}): Promise<RemoteConfig> {
  if (!REMOTE_NAME.test(name)) {
    throw new UserError(`"${name}" is not a valid remote name; use lower-case letters, digits, "-", "_" or "." (e.g. storage)`);
  }
  if (url.trim() === '') throw new UserError(`remote "${name}": the URL is empty; give a folder path or an http(s)/s3 URL`);
  checkConfigValue(`remote "${name}": the URL`, url);
  if (!options.local && urlHasPassword(url)) {
    const flags = [options.makeDefault ? '-d' : '', options.force ? '-f' : ''].filter(Boolean);
    throw new UserError(
      hinted`remote "${name}": the URL carries a password, and .dvc/config is committed with git; nothing was changed. Store it in .dvc/config.local (git-ignored) instead: ${command('remote add', '--local', ...flags, name, shellQuote(maskPassword(url)))} with the real password for PASSWORD`,
    );
  }
  const stored = configUrlFor(url, options.cwd ?? process.cwd(), dvcDir);
  const merged = await readConfig(dvcDir);
  const existing = listRemotes(merged).find((r) => r.name === name);
  if (existing && !options.force && existing.url !== stored) {
    throw new UserError(`remote "${name}" already exists with url ${safeUrl(existing.url)}; pass -f to replace it, or choose another name`);
  }
  await editConfigFile(dvcDir, options.local ?? false, (doc) => {
    const section = doc.get(remoteSectionName(name)) ?? new Map<string, string>();
    section.set('url', stored);
    doc.set(remoteSectionName(name), section);
    if (options.makeDefault) setDefault(doc, name);
  });
  return { name, url: stored, options: existing?.options ?? {} };
}

function setDefault(doc: IniDoc, name: string): void {
  const core = doc.get('core') ?? new Map<string, string>();
  core.set('remote', name);
  if (!doc.has('core')) {
    // `core` goes first, where DVC puts it.
    const rest = [...doc];
    doc.clear();
    doc.set('core', core);
    for (const [k, v] of rest) doc.set(k, v);
  }
}

export async function setDefaultRemote(dvcDir: string, name: string, options: { local?: boolean } = {}): Promise<void> {
  const merged = await readConfig(dvcDir);
  if (!listRemotes(merged).some((r) => r.name === name)) {
    throw new UserError(hinted`remote "${name}" is not defined in ${join(dvcDir, CONFIG_FILE)}; add it first with ${command('remote add', name, '<path or URL>')}`);
  }
  await editConfigFile(dvcDir, options.local ?? false, (doc) => setDefault(doc, name));
}

/**
 * `dvc remote modify`: sets (or with `unset`, removes) one option of a remote, e.g. `auth`,
 * `user`, `password`, `read_timeout`. Secrets belong in `.dvc/config.local` (`local`).
 */
export async function modifyRemote(dvcDir: string, name: string, option: string, value: string | undefined, options: { local?: boolean } = {}): Promise<void> {
  const merged = await readConfig(dvcDir);
  if (!listRemotes(merged).some((r) => r.name === name)) {
    throw new UserError(hinted`remote "${name}" is not defined in ${join(dvcDir, CONFIG_FILE)}; add it first with ${command('remote add', name, '<path or URL>')}`);
  }
  if (!/^[a-z][a-z0-9_]*$/.test(option)) throw new UserError(`"${option}" is not a remote option name; use e.g. auth, user, password, read_timeout`);
  const remote = listRemotes(merged).find((r) => r.name === name)!;
  const kind = remoteKindOf(option === 'url' && value !== undefined ? value : remote.url);
  // Options of kinds this tool cannot open are left to the real DVC to judge.
  if (kind !== undefined) checkOptionName(name, kind, option);
  if (value !== undefined) {
    checkConfigValue(`remote "${name}": the value of ${option}`, value);
    if (!options.local && (SECRET_OPTIONS.has(option) || urlHasPassword(value))) {
      throw new UserError(
        hinted`remote "${name}": ${SECRET_OPTIONS.has(option) ? `${option} is a secret` : `the value of ${option} carries a password`}, and .dvc/config is committed with git; nothing was changed. Store it in .dvc/config.local (git-ignored) instead: ${command('remote modify', '--local', name, option, '<value>')}`,
      );
    }
  }
  await editConfigFile(dvcDir, options.local ?? false, (doc) => {
    const section = doc.get(remoteSectionName(name)) ?? new Map<string, string>();
    if (value === undefined) section.delete(option);
    else section.set(option, value);
    doc.set(remoteSectionName(name), section);
  });
}
