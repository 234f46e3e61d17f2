import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { git, GitError } from '../dvc/index.js';
import { formatHistory, HISTORY_FILE, parseHistory, type HistoryRecord } from '../experiments/history.js';
import { UserError } from '../util/errors.js';

/**
 * The history's home: one file on a branch of the repository itself (docs/history.md, "Where the
 * history lives"). Git keeps every version, a pull request's job reads it with its read-only
 * token, and no service or remote is needed. Git plumbing in a scratch bare repository reads and
 * writes it, so the job's checkout is never touched; a push that lost a race with another writer
 * is retried on top of the new tip, which the keyed, idempotent merge makes safe.
 */

export interface HistoryBranch {
  /** The repository's URL, e.g. https://github.com/owner/repo (or a path in tests). */
  remote: string;
  branch: string;
  /** Sent as an HTTP header for this one command, never stored or printed. */
  token?: string;
}

/** `GITHUB_SERVER_URL/GITHUB_REPOSITORY`, the repository a workflow runs in. */
export function repositoryUrlFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repo } = env;
  if (!server || !repo)
    throw new UserError(
      '--remote is needed outside GitHub Actions (GITHUB_SERVER_URL and GITHUB_REPOSITORY are not set): name the repository, e.g. https://github.com/owner/repo or a local path',
    );
  return `${server}/${repo}`;
}

type Git = (args: string[], input?: string) => Promise<string>;

async function scratch<T>(work: (git: Git) => Promise<T>, where: HistoryBranch): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'cifar10-history-'));
  const auth = where.token ? { 'http.extraHeader': `AUTHORIZATION: basic ${Buffer.from(`x-access-token:${where.token}`).toString('base64')}` } : undefined;
  const bot = { name: 'github-actions[bot]', email: '41898282+github-actions[bot]@users.noreply.github.com' };
  const env = {
    ...process.env,
    GIT_TERMINAL_PROMPT: '0',
    GIT_AUTHOR_NAME: bot.name,
    GIT_AUTHOR_EMAIL: bot.email,
    GIT_COMMITTER_NAME: bot.name,
    GIT_COMMITTER_EMAIL: bot.email,
  };
  // Run from the current folder, which a --remote given as a relative path is relative to.
  const inScratch: Git = (args, input) => git(['--git-dir', dir, ...args], process.cwd(), { env, input, config: auth });
  try {
    await inScratch(['init', '--quiet', '--bare']);
    return await work(inScratch);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function fetchTip(git: Git, where: HistoryBranch): Promise<{ commit?: string; records: HistoryRecord[] }> {
  const listed = await git(['ls-remote', where.remote, `refs/heads/${where.branch}`]).catch((error: Error) => {
    throw new UserError(`cannot read ${where.remote} (${error.message}); check the URL and that the token may read contents`);
  });
  if (listed.trim() === '') return { records: [] };
  await git(['fetch', '--quiet', '--depth=1', where.remote, `refs/heads/${where.branch}`]);
  const commit = (await git(['rev-parse', 'FETCH_HEAD'])).trim();
  const text = await git(['show', `${commit}:${HISTORY_FILE}`]).catch(() => '');
  return { commit, records: parseHistory(text, `${where.branch}:${HISTORY_FILE}`) };
}

/** The history on the branch; empty when the branch does not exist yet. */
export async function readHistoryBranch(where: HistoryBranch): Promise<HistoryRecord[]> {
  return scratch(async (git) => (await fetchTip(git, where)).records, where);
}

export interface BranchUpdate {
  records: HistoryRecord[];
  message: string;
}

const README = `# Experiment history

Written by the Experiments workflow (\`cifar10 history append\`): one JSON line per experiment run.
Read it with \`npm run cifar10 -- history --branch\` or see the published page. Do not edit by hand.
`;

/**
 * Reads the branch, lets `update` compute the new history, and pushes it as one commit on top;
 * when another writer pushed first, starts again from its tip (at most `attempts` times).
 */
export async function updateHistoryBranch(
  where: HistoryBranch,
  update: (records: HistoryRecord[]) => BranchUpdate | undefined,
  attempts = 5,
): Promise<{ records: HistoryRecord[]; commit?: string; pushed: boolean }> {
  return scratch(async (git) => {
    for (let attempt = 1; ; attempt++) {
      const tip = await fetchTip(git, where);
      const next = update(tip.records);
      if (!next) return { records: tip.records, commit: tip.commit, pushed: false };
      const blob = async (text: string) => (await git(['hash-object', '-w', '--stdin'], text)).trim();
      const tree = (
        await git(['mktree'], `100644 blob ${await blob(README)}\tREADME.md\n100644 blob ${await blob(formatHistory(next.records))}\t${HISTORY_FILE}\n`)
      ).trim();
      const commit = (await git(['commit-tree', tree, ...(tip.commit ? ['-p', tip.commit] : []), '-m', next.message])).trim();
      try {
        await git(['push', '--quiet', where.remote, `${commit}:refs/heads/${where.branch}`]);
        return { records: next.records, commit, pushed: true };
      } catch (error) {
        const said = error instanceof GitError ? error.result.stderr : (error as Error).message;
        const lostRace = /\b(rejected|non-fast-forward|fetch first|stale info|cannot lock ref)\b/.test(said);
        if (!lostRace || attempt >= attempts)
          throw new UserError(
            `could not push the history to branch ${where.branch} of ${where.remote}: ${(error as Error).message}; the job needs permissions contents: write`,
          );
      }
    }
  }, where);
}
