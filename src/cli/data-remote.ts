import type { Command } from 'commander';
import { addRemote, defaultRemoteName, listRemotes, modifyRemote, openRepo, safeUrl, setDefaultRemote } from '../dvc/index.js';
import { UserError } from '../util/errors.js';
import { say } from './output.js';

/** The `cifar10 data remote …` commands: the remotes in .dvc/config (and .dvc/config.local for secrets). */
export function registerRemoteCommands(data: Command): void {
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
      say(`remote "${added.name}" → ${safeUrl(added.url)}${flags.default ? ' (default)' : ''}`);
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
      say(`remote "${name}": ${option} ${flags.unset ? 'removed' : 'set'} in ${flags.local ? '.dvc/config.local' : '.dvc/config'}`);
    });
  remote
    .command('list')
    .description('list remotes with their URLs')
    .action(async () => {
      const repo = await openRepo();
      const current = defaultRemoteName(repo.config);
      const remotes = listRemotes(repo.config);
      if (remotes.length === 0) return say('no remotes; add one with `cifar10 data remote add -d <name> <path or URL>`');
      for (const r of remotes) say(`${r.name}\t${safeUrl(r.url)}${r.name === current ? '\t(default)' : ''}`);
    });
  remote
    .command('default')
    .description('print the default remote, or set it')
    .argument('[name]', 'remote to make the default')
    .option('--local', 'write to .dvc/config.local instead of .dvc/config')
    .action(async (name: string | undefined, flags: { local?: boolean }) => {
      const repo = await openRepo();
      if (name === undefined) return say(defaultRemoteName(repo.config) ?? 'no default remote');
      await setDefaultRemote(repo.dvcDir, name, { local: flags.local });
      say(`default remote: ${name}`);
    });
}
