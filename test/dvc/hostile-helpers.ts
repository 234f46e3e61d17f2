import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { addRemote, initRepo, loadRepo, manifestBytes, md5Bytes, objectPath, type Repo } from '../../src/dvc/index.js';
import { tempDir } from './helpers.js';

/** The project's CLI as users run it. */
export const CLI = join(process.cwd(), 'dist', 'src', 'cli.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node dist/src/cli.js <args>` in `cwd` as a separate process. */
export function runCli(cwd: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; uid?: number; gid?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd,
      env: options.env ?? process.env,
      uid: options.uid,
      gid: options.gid,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A failed CLI run: exit status 1, the message matching `message`, and no stack trace. */
export function assertCliError(result: CliResult, message: RegExp): void {
  assert.equal(result.code, 1, `exit status 1 expected; stdout: ${result.stdout}\nstderr: ${result.stderr}`);
  assert.match(result.stderr, message);
  assert.doesNotMatch(result.stderr, /^\s+at /m, `no stack trace: ${result.stderr}`);
}

export interface HostileRepo {
  /** Holds repo/, store/ (the default local remote "storage") and outside/ (must stay untouched). */
  base: string;
  repo: Repo;
  store: string;
  outside: string;
}

/** A repository with the default local remote `storage` (../store) and a folder beside it that nothing may touch. */
export async function hostileRepo(t: TestContext): Promise<HostileRepo> {
  const base = await tempDir(t, 'dvc-hostile-');
  const root = join(base, 'repo');
  await mkdir(root);
  const { repo } = await initRepo(root);
  await addRemote(repo.dvcDir, 'storage', '../store', { makeDefault: true, cwd: root });
  const outside = join(base, 'outside');
  await mkdir(outside);
  await writeFile(join(outside, 'keep.txt'), 'the user file outside the workspace\n');
  return { base, repo: await loadRepo(root), store: join(base, 'store'), outside };
}

/** Puts `bytes` on the local remote as the object `md5` (DVC layout). */
export async function putRemoteObject(store: string, md5: string, bytes: Uint8Array): Promise<void> {
  const path = objectPath(store, md5);
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, bytes);
}

/**
 * Pushes a directory manifest listing `entries` (relpath → content) to the remote, byte for byte
 * as a hostile writer could (no check of the names), with every file object, and returns its id.
 */
export async function pushManifest(store: string, entries: readonly (readonly [string, string])[]): Promise<string> {
  const listed = entries.map(([relpath, content]) => ({ relpath, md5: md5Bytes(content) }));
  for (const [, content] of entries) await putRemoteObject(store, md5Bytes(content), Buffer.from(content));
  const manifest = manifestBytes(listed);
  const id = `${md5Bytes(manifest)}.dir`;
  await putRemoteObject(store, id, manifest);
  return id;
}

/** A `.dvc` file tracking `path` with `md5`, as a pull request could commit it. */
export function dvcText(path: string, md5: string, nfiles?: number): string {
  return `outs:\n- md5: ${md5}\n  size: 1\n${nfiles !== undefined ? `  nfiles: ${nfiles}\n` : ''}  hash: md5\n  path: ${JSON.stringify(path)}\n`;
}

/** Every path below `dir` (files and folders), for before/after comparisons. */
export async function listing(dir: string): Promise<string[]> {
  const found = await readdir(dir, { recursive: true }).catch(() => [] as string[]);
  return found.map(String).sort();
}

/** A snapshot of what must not change: the repository's config and the folder outside it. */
export async function snapshot(h: HostileRepo): Promise<unknown> {
  return {
    config: await readFile(join(h.repo.dvcDir, 'config'), 'utf8'),
    outside: await listing(h.outside),
    keep: await readFile(join(h.outside, 'keep.txt'), 'utf8'),
    base: await listing(h.base).then((all) =>
      all.filter((p) => !p.startsWith('store') && !p.startsWith(join('repo', '.dvc', 'cache')) && !p.startsWith(join('repo', '.dvc', 'tmp'))),
    ),
  };
}

export async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
