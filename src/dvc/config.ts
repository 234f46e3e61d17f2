import { isAbsolute, join, relative, resolve } from 'node:path';
import { UserError } from '../util/errors.js';
import { command, hinted } from '../util/hints.js';
import { checkConfigValue, CONFIG_FILE, editConfigFile, type IniDoc, readConfig } from './config-file.js';
import { safeUrl } from './messages.js';
import { RemoteError } from './remote/errors.js';
import { checkOptionName, remoteKindOf, SECRET_OPTIONS } from './remote/options.js';
import type { RemoteConfig } from './remote/types.js';

/**
 * The remotes of `.dvc/config` and `.dvc/config.local` (docs/dvc-format.md §4): listing, choosing,
 * adding and modifying them, with secrets kept out of the committed file.
 */

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
    throw new RemoteError(
      'not configured',
      hinted`no remote given and no default remote in ${join(dvcDir, CONFIG_FILE)}; add one with ${command('remote add', '-d', '<name>', '<path or URL>')} or pass --remote <name>`,
    );
  }
  const remote = remotes.find((r) => r.name === wanted);
  if (!remote) {
    const known = remotes.map((r) => r.name).join(', ') || 'none';
    throw new UserError(
      hinted`remote "${wanted}" is not defined in ${join(dvcDir, CONFIG_FILE)} (known remotes: ${known}); add it with ${command('remote add', wanted, '<path or URL>')}`,
    );
  }
  if (!remote.url)
    throw new UserError(
      hinted`remote "${wanted}" in ${join(dvcDir, CONFIG_FILE)} has no url; set it with ${command('remote add', '-f', wanted, '<path or URL>')}`,
    );
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
    throw new UserError(
      hinted`remote "${name}" is not defined in ${join(dvcDir, CONFIG_FILE)}; add it first with ${command('remote add', name, '<path or URL>')}`,
    );
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
    throw new UserError(
      hinted`remote "${name}" is not defined in ${join(dvcDir, CONFIG_FILE)}; add it first with ${command('remote add', name, '<path or URL>')}`,
    );
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
