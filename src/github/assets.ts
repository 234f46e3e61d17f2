import { z } from 'zod';
import { safeName } from '../dvc/index.js';
import type { GitHubClient } from './client.js';
import { httpStatusOf } from './client.js';

/**
 * Pictures for the PR comment, published to an orphan branch of the repository (default
 * `cifar10-ci-assets`) with the Git Data API and the job's own token: one folder per pull request
 * and run (`pr-12/run-3456-1/`), the last `keep` folders kept. Each publication is a new root
 * commit (no parent) holding only the kept folders, so pruned pictures become unreachable and git
 * collects them; the comment links the files by that commit's sha, so a link never changes what it
 * shows. `index.json` lists the folders, oldest first. Two runs publishing at the same moment:
 * the later one wins the branch and the earlier one's folder is dropped from it (its comment is
 * replaced by the later run's anyway).
 */

export const ASSETS_BRANCH = 'cifar10-ci-assets';
export const ASSETS_KEEP = 50;
const INDEX_FILE = 'index.json';
const IndexSchema = z.object({ format_version: z.literal(1), folders: z.array(z.string()).max(10_000) });

export interface AssetFile {
  /** A file name inside the run's folder, e.g. `confusion.png`. */
  name: string;
  bytes: Buffer;
}

export interface PublishOptions {
  repo: { owner: string; repo: string };
  /** Folder of this run: `pr-<n>/run-<id>-<attempt>`. */
  folder: string;
  files: readonly AssetFile[];
  branch?: string;
  keep?: number;
  /** `https://github.com` (GITHUB_SERVER_URL): where the links point. */
  serverUrl: string;
}

export type PublishOutcome = { published: true; commit: string; urls: Record<string, string> } | { published: false; reason: string };

/** `pr-12/run-3456-1`: each part a safe name, so the folder cannot leave its place in the branch. */
export function assetsFolder(pr: number, runId: string, attempt = '1'): string {
  return [`pr-${pr}`, `run-${runId}-${attempt}`].map((part) => safeName(part, 'assets folder')).join('/');
}

interface TreeEntry {
  path: string;
  mode: '100644';
  type: 'blob';
  sha: string;
}

async function currentBranch(
  client: GitHubClient,
  repo: PublishOptions['repo'],
  branch: string,
): Promise<{ commit: string; folders: string[]; entries: TreeEntry[] } | undefined> {
  let commitSha: string;
  try {
    commitSha = (await client.rest.git.getRef({ ...repo, ref: `heads/${branch}` })).data.object.sha;
  } catch (error) {
    // 404: no such branch yet; 409: the repository is empty.
    if (httpStatusOf(error) === 404 || httpStatusOf(error) === 409) return undefined;
    throw error;
  }
  const commit = await client.rest.git.getCommit({ ...repo, commit_sha: commitSha });
  const tree = await client.rest.git.getTree({ ...repo, tree_sha: commit.data.tree.sha, recursive: 'true' });
  if (tree.data.truncated)
    throw new Error(`the ${branch} branch holds more files than the Git Data API lists at once; delete the branch, the next run starts it anew`);
  const entries = tree.data.tree
    .filter((e) => e.type === 'blob' && e.path && e.sha)
    .map((e) => ({ path: e.path!, mode: '100644' as const, type: 'blob' as const, sha: e.sha! }));
  const index = entries.find((e) => e.path === INDEX_FILE);
  let folders: string[] = [];
  if (index) {
    const blob = await client.rest.git.getBlob({ ...repo, file_sha: index.sha });
    const parsed = IndexSchema.safeParse(JSON.parse(Buffer.from(blob.data.content, 'base64').toString('utf8')));
    // An index this code cannot read is started anew rather than trusted.
    if (parsed.success) folders = parsed.data.folders;
  }
  return { commit: commitSha, folders, entries };
}

/** Publishes `files` under `folder`; a token that may not write gives `published: false` with the fix, other failures throw. */
export async function publishAssets(client: GitHubClient, options: PublishOptions): Promise<PublishOutcome> {
  const { repo } = options;
  const branch = options.branch ?? ASSETS_BRANCH;
  const keep = Math.max(1, options.keep ?? ASSETS_KEEP);
  const names = options.files.map((f) => safeName(f.name, 'picture file'));
  try {
    const current = await currentBranch(client, repo, branch);
    const added: TreeEntry[] = [];
    for (const [i, file] of options.files.entries()) {
      const blob = await client.rest.git.createBlob({ ...repo, content: file.bytes.toString('base64'), encoding: 'base64' });
      added.push({ path: `${options.folder}/${names[i]}`, mode: '100644', type: 'blob', sha: blob.data.sha });
    }
    const urlsAt = (commit: string) => {
      const base = `${options.serverUrl.replace(/\/+$/, '')}/${repo.owner}/${repo.repo}/raw/${commit}`;
      return Object.fromEntries(names.map((name) => [name, `${base}/${options.folder}/${name}`]));
    };
    // The same pictures already published for this run (a re-run of the report): the same links, so the comment stays unchanged.
    const there = current?.entries.filter((e) => e.path.startsWith(`${options.folder}/`)) ?? [];
    if (
      current?.folders.includes(options.folder) &&
      there.length === added.length &&
      added.every((a) => there.some((e) => e.path === a.path && e.sha === a.sha))
    ) {
      return { published: true, commit: current.commit, urls: urlsAt(current.commit) };
    }
    const folders = [...(current?.folders ?? []).filter((f) => f !== options.folder), options.folder].slice(-keep);
    const kept = (current?.entries ?? []).filter((e) => folders.some((f) => f !== options.folder && e.path.startsWith(`${f}/`)));
    const index = await client.rest.git.createBlob({ ...repo, content: `${JSON.stringify({ format_version: 1, folders }, null, 2)}\n`, encoding: 'utf-8' });
    const tree = await client.rest.git.createTree({
      ...repo,
      tree: [...kept, ...added, { path: INDEX_FILE, mode: '100644', type: 'blob', sha: index.data.sha }],
    });
    const commit = await client.rest.git.createCommit({
      ...repo,
      message: `Pictures of ${options.folder} (last ${keep} runs kept)`,
      tree: tree.data.sha,
      parents: [],
    });
    if (current) await client.rest.git.updateRef({ ...repo, ref: `heads/${branch}`, sha: commit.data.sha, force: true });
    else await client.rest.git.createRef({ ...repo, ref: `refs/heads/${branch}`, sha: commit.data.sha });
    return { published: true, commit: commit.data.sha, urls: urlsAt(commit.data.sha) };
  } catch (error) {
    const status = httpStatusOf(error);
    if (status === 403 || status === 404) {
      return {
        published: false,
        reason: `The pictures could not be published: the job's token may not write to the ${branch} branch (HTTP ${status}; give the job \`permissions: contents: write\`, or turn publishing off with \`publish-pictures: false\`).`,
      };
    }
    throw error;
  }
}

/** The report's `publishPictures` for one pull request and workflow run, from the runner's environment. */
export function picturePublisher(
  client: GitHubClient,
  repo: PublishOptions['repo'],
  where: { pr: number; runId: string; attempt?: string },
  env: NodeJS.ProcessEnv = process.env,
) {
  return (files: AssetFile[]) =>
    publishAssets(client, {
      repo,
      folder: assetsFolder(where.pr, where.runId, where.attempt),
      files,
      serverUrl: env.GITHUB_SERVER_URL ?? 'https://github.com',
    });
}
