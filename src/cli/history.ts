import { access } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { listBundles } from '../experiments/bundle.js';
import {
  DEFAULT_RETENTION_DAYS,
  HISTORY_BRANCH,
  mergeHistory,
  parseSince,
  readHistory,
  runRecords,
  writeHistory,
  type HistoryRecord,
} from '../experiments/history.js';
import { historyContextFromEnv, matrixRecords, readHardImagesCsv, readMatrix } from '../experiments/history-records.js';
import { historyMarkdown } from '../experiments/history-views.js';
import { buildSiteData } from '../experiments/site-data.js';
import { readTrustedBundles } from '../experiments/trusted.js';
import { readHistoryBranch, repositoryUrlFromEnv, updateHistoryBranch, type HistoryBranch } from '../github/history-branch.js';
import { writeSite } from '../report/site.js';
import { PROJECT_PATHS } from '../paths.js';
import { UserError } from '../util/errors.js';
import { positiveInteger } from './options.js';
import { note, say } from './output.js';

/** `cifar10 history` (show, append) and `cifar10 site` (the static page). */

const DEFAULT_FILE = 'results/history.jsonl';

interface BranchOptions {
  branch?: string | true;
  remote?: string;
}

/** The branch to read or write, when --branch was given; the token comes from GITHUB_TOKEN and is never printed. */
function branchOf(opts: BranchOptions): HistoryBranch | undefined {
  if (!opts.branch) return undefined;
  return {
    branch: opts.branch === true ? HISTORY_BRANCH : opts.branch,
    remote: opts.remote ?? repositoryUrlFromEnv(),
    token: process.env.GITHUB_TOKEN || undefined,
  };
}

async function loadHistory(opts: BranchOptions & { file: string }): Promise<HistoryRecord[]> {
  const branch = branchOf(opts);
  return branch ? readHistoryBranch(branch) : readHistory(opts.file);
}

/** SOURCE_DATE_EPOCH (the reproducible-builds convention) dates the page, else now. */
function generatedAt(): Date {
  const epoch = Number(process.env.SOURCE_DATE_EPOCH);
  return process.env.SOURCE_DATE_EPOCH && Number.isInteger(epoch) ? new Date(epoch * 1000) : new Date();
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

export function registerHistoryCommands(program: Command): void {
  const branchHelp = `read the history from this branch of the repository (default ${HISTORY_BRANCH}) instead of --file`;
  const history = program
    .command('history')
    .description('The experiment history: one record per run of every scheduled, dispatched and main-branch matrix (docs/history.md)')
    .option('--file <history.jsonl>', 'history file', DEFAULT_FILE)
    .option('--branch [name]', branchHelp)
    .option('--remote <url>', "repository holding the branch (default: this workflow run's, from GITHUB_SERVER_URL/GITHUB_REPOSITORY)")
    .option('--since <when>', 'only runs since a date (2026-11-01) or a number of days back (30d)')
    .option('--md', 'a markdown table (the default)')
    .option('--json', 'the records as a JSON array')
    .action(async (opts: BranchOptions & { file: string; since?: string; md?: boolean; json?: boolean }) => {
      if (opts.md && opts.json) throw new UserError('--md and --json: choose one');
      const since = opts.since ? parseSince(opts.since) : undefined;
      const runs = runRecords(await loadHistory(opts)).filter((r) => !since || Date.parse(r.date) >= since.getTime());
      say(opts.json ? JSON.stringify(runs, null, 2) : historyMarkdown(runs).trimEnd());
    });

  history
    .command('append')
    .description(
      'Add the runs under --results (and the hard images of --hard-images) to the history; a re-run attempt replaces its own records; records past --retention-days are dropped',
    )
    .option('--results <dir>', 'results folder, one bundle per run (or a folder download-artifact filled)', PROJECT_PATHS.results)
    .option('--hard-images <csv>', 'hard images of this matrix (cifar10 hard-images)', `${PROJECT_PATHS.hardImages}.csv`)
    .option('--retention-days <n>', 'keep records of this many days', positiveInteger('--retention-days'), DEFAULT_RETENTION_DAYS)
    .addHelpText(
      'after',
      `\nWith history's --branch [name] (default ${HISTORY_BRANCH}) the merged history is also committed to that branch and pushed (GITHUB_TOKEN authenticates); --file is written either way.`,
    )
    // --file, --branch and --remote are history's own options (commander hands them to the parent command).
    .action(async (_opts: unknown, command: Command) => {
      const opts = command.optsWithGlobals<BranchOptions & { results: string; hardImages: string; file: string; retentionDays: number }>();
      // download-artifact's layouts too: one folder per artifact, or the single bundle itself.
      // The same checks as the PR comment's: a bundle a pull request could have shaped never reaches the history.
      const { bundles, refused } = await readTrustedBundles(resolve(opts.results));
      for (const r of refused) console.warn(`warning: result bundle left out of the history: ${r.dir}: ${r.reason}`);
      if (bundles.length === 0)
        throw new UserError(
          `no result bundles in ${opts.results}; nothing to add to the history (run \`cifar10 exp matrix\` first, or name the folder with --results)`,
        );
      const context = historyContextFromEnv();
      const incoming = matrixRecords(await readMatrix(bundles), await readHardImagesCsv(opts.hardImages), context);
      const merge = (existing: HistoryRecord[]) => mergeHistory(existing, incoming, { retentionDays: opts.retentionDays, now: new Date() });
      const branch = branchOf(opts);
      let result = merge(branch ? [] : await readHistory(opts.file));
      if (branch) {
        const where = context.workflowRun ? `workflow run ${context.workflowRun.id} (attempt ${context.workflowRun.attempt})` : 'a local append';
        const pushed = await updateHistoryBranch(branch, (existing) => {
          result = merge(existing);
          return result.added + result.replaced + result.expired === 0
            ? undefined
            : { records: result.records, message: `history: ${result.added} added, ${result.replaced} replaced, ${result.expired} expired, from ${where}` };
        });
        note(
          pushed.pushed
            ? `pushed the history to branch ${branch.branch} (${pushed.commit})`
            : `branch ${branch.branch} already holds these records; nothing pushed`,
        );
      }
      await writeHistory(opts.file, result.records);
      say(
        `${opts.file}: ${result.added} added, ${result.replaced} replaced (re-run), ${result.expired} past ${opts.retentionDays} days dropped; ${runRecords(result.records).length} runs in the history`,
      );
    });

  program
    .command('site')
    .description(
      'Write the static experiment page (charts over time, latest confusion matrices, hard images, runs) into --out; open <out>/index.html or publish the folder',
    )
    .requiredOption('--out <dir>', 'folder to write (replaced)')
    .option('--file <history.jsonl>', 'history file', DEFAULT_FILE)
    .option('--branch [name]', branchHelp)
    .option('--remote <url>', "repository holding the branch (default: this workflow run's)")
    .option('--results <dir>', "the latest matrix's bundles, for its confusion matrices", PROJECT_PATHS.results)
    .option('--hard-images <prefix>', 'hard images of the latest matrix: <prefix>.png is shown', PROJECT_PATHS.hardImages)
    .option('--title <text>', 'page title')
    .action(async (opts: BranchOptions & { out: string; file: string; results: string; hardImages: string; title?: string }) => {
      const records = await loadHistory(opts);
      if (records.length === 0) note(`the history is empty (${opts.branch ? `branch ${branchOf(opts)!.branch}` : opts.file}); the page will say so`);
      const data = await buildSiteData({
        records,
        bundles: await listBundles(resolve(opts.results)),
        title: opts.title,
        repository: process.env.GITHUB_REPOSITORY,
        now: generatedAt(),
      });
      const sheet = `${opts.hardImages}.png`;
      const site = await writeSite(opts.out, data, {
        historyFile: !opts.branch && (await exists(opts.file)) ? opts.file : undefined,
        hardSheet: (await exists(sheet)) ? sheet : undefined,
      });
      say(
        `${site.dir}/index.html: ${data.counts.runs} runs in ${data.counts.matrices} matrices, ${(site.bytes / 1024).toFixed(0)} KiB in ${site.files.length} files`,
      );
    });
}
