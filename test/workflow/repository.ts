import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import type { FakeArtifact, FakeGitHub } from '../github/fake-github.js';
import { WorkflowError } from './expressions.js';

/**
 * The GitHub side of the executor's runs, shared by every workflow run of one repository as on
 * GitHub: the git repository the runs check out, the workflow runs and their artifacts (listed by
 * the fake GitHub's REST API, kept on disk here), and the Actions cache (scoped by ref: a run
 * restores its own ref's entries and the default branch's).
 */

export const run = promisify(execFile);
const DAY_MS = 24 * 60 * 60 * 1000;
/** GitHub's default artifact retention (days), and its maximum for public repositories. */
export const DEFAULT_RETENTION_DAYS = 90;

/**
 * `cp -a` of a folder's contents (Node 20's fs.cp is several times slower on node_modules). With
 * `link`, files are hard links to the source instead of copies: a cache entry is saved and restored
 * that way, since a 500 MB node_modules copied into every job would cost more than the install
 * the cache saves; nothing here writes into a restored file in place (npm ci replaces node_modules).
 */
export async function copyTree(from: string, to: string, link = false): Promise<void> {
  await mkdir(to, { recursive: true });
  await run('cp', [link ? '-al' : '-a', `${from}/.`, to]);
}

export interface RepositoryOptions {
  github: FakeGitHub;
  /** The git repository (a clone made for the runs) that `actions/checkout` clones from. */
  origin: string;
  /** Where artifacts and caches are kept. */
  storage: string;
  defaultBranch?: string;
}

interface CacheEntry {
  key: string;
  /** The ref whose run saved it. */
  scope: string;
  dir: string;
  /** Paths as the saving step named them, relative to its workspace. */
  paths: string[];
  created: number;
}

export class Repository {
  readonly github: FakeGitHub;
  readonly origin: string;
  readonly storage: string;
  readonly defaultBranch: string;
  private readonly caches: CacheEntry[] = [];
  /** Keys (with their scope) saved or being saved. */
  private readonly reserved = new Set<string>();

  constructor(options: RepositoryOptions) {
    this.github = options.github;
    this.origin = options.origin;
    this.storage = options.storage;
    this.defaultBranch = options.defaultBranch ?? 'main';
  }

  get fullName(): string {
    return `${this.github.owner}/${this.github.repo}`;
  }

  artifactDir(artifact: FakeArtifact): string {
    return join(this.storage, 'artifacts', String(artifact.id));
  }

  artifactsOf(runId: number): FakeArtifact[] {
    return this.github.artifacts.filter((a) => a.runId === runId);
  }

  /** Files of `root` (given relative to it) become artifact `name` of the run; `overwrite` replaces one of that name. */
  async addArtifact(options: { runId: number; name: string; root: string; files: string[]; retentionDays: number; overwrite: boolean }): Promise<FakeArtifact> {
    const existing = this.artifactsOf(options.runId).find((a) => a.name === options.name);
    if (existing && !options.overwrite) {
      throw new WorkflowError(`Failed to CreateArtifact: (409) Conflict: an artifact with this name already exists on the workflow run`);
    }
    if (existing) {
      this.github.artifacts.splice(this.github.artifacts.indexOf(existing), 1);
      await rm(this.artifactDir(existing), { recursive: true, force: true });
    }
    const created = this.github.now();
    const artifact: FakeArtifact = {
      id: this.github.newId(),
      runId: options.runId,
      name: options.name,
      size: 0,
      digest: '',
      created,
      expires: created + options.retentionDays * DAY_MS,
    };
    const dir = this.artifactDir(artifact);
    const digest = createHash('sha256');
    for (const file of options.files.sort()) {
      const bytes = await readFile(join(options.root, file));
      await mkdir(join(dir, file, '..'), { recursive: true });
      await writeFile(join(dir, file), bytes);
      digest.update(`${file}\0`).update(bytes);
      artifact.size += bytes.length;
    }
    await mkdir(dir, { recursive: true });
    artifact.digest = `sha256:${digest.digest('hex')}`;
    this.github.artifacts.push(artifact);
    return artifact;
  }

  /** The entry a cache restore gets: the exact key, else the newest entry starting with a restore key; own ref first, then the default branch. */
  findCache(key: string, restoreKeys: string[], ref: string): CacheEntry | undefined {
    const scopes = [ref, `refs/heads/${this.defaultBranch}`];
    for (const scope of scopes) {
      const exact = this.caches.find((c) => c.scope === scope && c.key === key);
      if (exact) return exact;
    }
    for (const prefix of restoreKeys) {
      for (const scope of scopes) {
        const match = this.caches.filter((c) => c.scope === scope && c.key.startsWith(prefix)).sort((a, b) => b.created - a.created)[0];
        if (match) return match;
      }
    }
    return undefined;
  }

  /**
   * False when an entry with that key exists in the scope already, or another job is saving one: as
   * on GitHub, a save first reserves its key (two jobs that missed the cache at once both try to
   * save it), and cache entries are immutable.
   */
  async saveCache(key: string, ref: string, workspace: string, paths: string[]): Promise<boolean> {
    const id = `${ref}\0${key}`;
    if (this.reserved.has(id)) return false;
    this.reserved.add(id);
    const dir = join(this.storage, 'caches', createHash('sha256').update(id).digest('hex').slice(0, 16));
    try {
      await rm(dir, { recursive: true, force: true });
      for (const path of paths) await copyCachedPath(join(workspace, path), join(dir, path));
    } catch (error) {
      this.reserved.delete(id);
      throw error;
    }
    this.caches.push({ key, scope: ref, dir, paths, created: this.github.now() });
    return true;
  }

  async restoreCache(entry: CacheEntry, workspace: string): Promise<void> {
    for (const path of entry.paths) {
      const source = join(entry.dir, path);
      const target = join(workspace, path);
      if (basename(path) === 'node_modules' && (await stat(source).catch(() => undefined))?.isDirectory()) {
        // A symlink into the entry, not 41,000 hard links made and removed again in every job (~1.3 CPU-s
        // each): jobs only read node_modules, and a package's own imports resolve from its real path,
        // which stays inside this one entry. dist/ is copied: its imports must resolve to the job's node_modules.
        await mkdir(dirname(target), { recursive: true });
        await symlink(source, target, 'dir');
      } else await copyCachedPath(source, target);
    }
  }
}

/** One path of a cache entry, saved or restored: a folder as hard links (copyTree), a file as a copy; nothing when it is missing. */
async function copyCachedPath(source: string, target: string): Promise<void> {
  const info = await stat(source).catch(() => undefined);
  if (!info) return;
  if (info.isDirectory()) return copyTree(source, target, true);
  await mkdir(dirname(target), { recursive: true });
  await run('cp', ['-a', source, target]);
}

/** Every file under `dir`, relative to it; hidden files and folders (a segment starting with `.`) only when asked. */
export async function listFiles(dir: string, includeHidden: boolean): Promise<string[]> {
  const found: string[] = [];
  const walk = async (current: string) => {
    for (const entry of await readdir(current, { withFileTypes: true })) {
      if (!includeHidden && entry.name.startsWith('.')) continue;
      const path = join(current, entry.name);
      if (entry.isDirectory()) await walk(path);
      else found.push(relative(dir, path));
    }
  };
  await walk(dir);
  return found;
}
